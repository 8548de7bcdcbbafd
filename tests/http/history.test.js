// HIST-1..6: the history plugin, written from the write event in the write's transaction
// (spec 06 §6.4-6.5), and the collection snapshot built from it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, basic, req } from './lib/harness.js';
import { must, expectError } from './lib/expect.js';

const RUN = (Date.now() % 1e9).toString(36) + Math.random().toString(36).slice(2, 6);
let seq = 0;
const uid = (p = 'h') => `${p}${RUN}${(++seq).toString(36)}`;
const OWNER = basic(`owner-${RUN}`, 'secret');
const ALICE = basic(`alice-${RUN}`, 'secret');
const ACCOUNT = basic(`acc${RUN}`, 'secret');

let srv, off, excl, trim;
const ids = {};
before(async () => {
  [srv, off, excl, trim] = await Promise.all([
    startServer({
      workers: 2,
      settings: {
        'kinto.includes': 'kinto.plugins.history kinto.plugins.default_bucket kinto.plugins.accounts',
        'multiauth.policies': 'account basicauth',
        'multiauth.policy.account.use': 'kinto.plugins.accounts.authentication.AccountsAuthenticationPolicy',
        'kinto.account_create_principals': 'system.Everyone',
      },
    }),
    startServer({ workers: 1 }),
    startServer({
      workers: 1,
      settings: { 'kinto.includes': 'kinto.plugins.history', 'kinto.history.exclude_resources': `/buckets/skip${RUN} /buckets/half${RUN}/collections/quiet` },
    }),
    startServer({
      workers: 1,
      settings: { 'kinto.includes': 'kinto.plugins.history', 'kinto.history.auto_trim_max_count': '3', 'kinto.history.auto_trim_threshold': '2' },
    }),
  ]);
  for (const [k, a] of Object.entries({ owner: OWNER, alice: ALICE })) ids[k] = (await must(req(srv, 'GET', '/', { auth: a }), 200)).json.user.id;
});
after(async () => { await Promise.all([srv?.stop(), off?.stop(), excl?.stop(), trim?.stop()]); });

const history = async (s, b, q = '', auth = OWNER) => (await must(req(s, 'GET', `/buckets/${b}/history${q}`, { auth }), 200)).json.data;

test('HIST-6 capability as upstream; disabled: no capability and 404 errno 111', async () => {
  const root = await must(req(srv, 'GET', '/'), 200);
  assert.deepEqual(root.json.capabilities.history, {
    description: 'Track changes on data.',
    url: 'http://kinto.readthedocs.io/en/latest/api/1.x/history.html',
  });
  const r2 = await must(req(excl, 'GET', '/'), 200);
  assert.deepEqual(r2.json.capabilities.history.excluded_resources, [{ bucket: `skip${RUN}` }, { bucket: `half${RUN}`, collection: 'quiet' }]);
  const o = await must(req(off, 'GET', '/'), 200);
  assert.equal(o.json.capabilities.history, undefined);
  await must(req(off, 'PUT', '/buckets/b', { auth: OWNER, body: {} }), [200, 201]);
  expectError(await req(off, 'GET', '/buckets/b/history', { auth: OWNER }), 404, 111);
});

test('HIST-1 one entry per create/update/delete, newest first, with the upstream shape', async () => {
  const b = uid();
  await must(req(srv, 'PUT', `/buckets/${b}`, { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'PUT', `/buckets/${b}/groups/g`, { auth: OWNER, body: { data: { members: [] } } }), 201);
  await must(req(srv, 'PUT', `/buckets/${b}/collections/c`, { auth: OWNER, body: {} }), 201);
  const created = await must(req(srv, 'POST', `/buckets/${b}/collections/c/records`, { auth: OWNER, body: { data: { title: 'old' } } }), 201);
  const rid = created.json.data.id;
  const upd = await must(req(srv, 'PATCH', `/buckets/${b}/collections/c/records/${rid}`, { auth: OWNER, body: { data: { title: 'new' } } }), 200);
  const del = await must(req(srv, 'DELETE', `/buckets/${b}/collections/c/records/${rid}`, { auth: OWNER }), 200);
  const h = await history(srv, b);
  assert.deepEqual(h.map((e) => [e.action, e.resource_name]), [
    ['delete', 'record'], ['update', 'record'], ['create', 'record'], ['create', 'collection'], ['create', 'group'], ['create', 'bucket'],
  ]);
  const [d, u, , c, g, bk] = h;
  assert.equal(u.uri, `/buckets/${b}/collections/c/records/${rid}`);
  assert.equal(u.user_id, ids.owner);
  assert.equal(u.collection_id, 'c');
  assert.equal(u.record_id, rid);
  assert.equal(u.bucket_id, undefined);
  assert.deepEqual(u.target.data, upd.json.data);
  assert.deepEqual(u.target.permissions, { write: [ids.owner] });
  assert.match(u.date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/);
  assert.match(u.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.deepEqual(d.target, { data: del.json.data, permissions: {} });
  assert.equal(c.collection_id, 'c');
  assert.equal(c.record_id, undefined);
  assert.equal(g.group_id, 'g');
  assert.equal(bk.bucket_id, b);
  // unique, decreasing timestamps; the list ETag is the newest one
  for (let i = 1; i < h.length; i++) assert.ok(h[i - 1].last_modified > h[i].last_modified);
  const r = await must(req(srv, 'GET', `/buckets/${b}/history`, { auth: OWNER }), 200);
  assert.equal(r.headers.get('etag'), `"${h[0].last_modified}"`);
});

test('HIST-1 bulk deletes give one entry per object; cascades give one entry; refused writes none', async () => {
  const b = uid();
  await must(req(srv, 'PUT', `/buckets/${b}`, { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'PUT', `/buckets/${b}/collections/c`, { auth: OWNER, body: {} }), 201);
  for (const id of ['r1', 'r2', 'r3']) await must(req(srv, 'PUT', `/buckets/${b}/collections/c/records/${id}`, { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'DELETE', `/buckets/${b}/collections/c/records`, { auth: OWNER }), 200);
  let h = await history(srv, b, '?action=delete');
  assert.deepEqual(h.map((e) => e.record_id).sort(), ['r1', 'r2', 'r3']);
  // a refused write (412) and a batch undone by a 409-free 4xx leave no entry
  const before = (await history(srv, b)).length;
  expectError(await req(srv, 'PUT', `/buckets/${b}/collections/c/records/x`, { auth: OWNER, body: {}, headers: { 'If-Match': '"1"' } }), 412, 114);
  assert.equal((await history(srv, b)).length, before);
  // collection delete with records inside: one entry (no entries for the children)
  await must(req(srv, 'PUT', `/buckets/${b}/collections/c/records/r4`, { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'DELETE', `/buckets/${b}/collections/c`, { auth: OWNER }), 200);
  h = await history(srv, b, '?action=delete&resource_name=collection');
  assert.equal(h.length, 1);
  assert.equal((await history(srv, b, '?action=delete&record_id=r4')).length, 0);
});

test('HIST-1 a bucket deletion removes its history; accounts are not recorded', async () => {
  const b = uid();
  await must(req(srv, 'PUT', `/buckets/${b}`, { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'PUT', `/buckets/${b}/collections/c`, { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'DELETE', `/buckets/${b}`, { auth: OWNER }), 200);
  await must(req(srv, 'PUT', `/buckets/${b}`, { auth: OWNER, body: {} }), 201);
  const h = await history(srv, b);
  assert.deepEqual(h.map((e) => [e.action, e.resource_name]), [['create', 'bucket']]);
  await must(req(srv, 'PUT', `/accounts/acc${RUN}`, { body: { data: { password: 'secret' } } }), 201);
  await must(req(srv, 'PATCH', `/accounts/acc${RUN}`, { auth: ACCOUNT, body: { data: { password: 'other' } } }), 200);
});

test('HIST-1 the default bucket\'s implicit creations are recorded', async () => {
  const who = basic(`dflt-${RUN}`, 'x');
  const root = await must(req(srv, 'GET', '/', { auth: who }), 200);
  const bid = root.json.user.bucket;
  await must(req(srv, 'POST', '/buckets/default/collections/tasks/records', { auth: who, body: { data: { a: 1 } } }), 201);
  const h = await history(srv, 'default', '', who);
  assert.deepEqual(h.map((e) => [e.action, e.resource_name]), [['create', 'record'], ['create', 'collection'], ['create', 'bucket']]);
  assert.equal(h[2].bucket_id, bid);
  assert.deepEqual(h[2].target.permissions, { write: [root.json.user.id] });
});

test('HIST-2 entry ACL: readers of the bucket see all, readers of a collection its entries only', async () => {
  const b = uid();
  await must(req(srv, 'PUT', `/buckets/${b}`, { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'PUT', `/buckets/${b}/collections/open`, { auth: OWNER, body: { permissions: { read: [ids.alice] } } }), 201);
  await must(req(srv, 'PUT', `/buckets/${b}/collections/closed`, { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'PUT', `/buckets/${b}/collections/open/records/r`, { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'PUT', `/buckets/${b}/collections/closed/records/r`, { auth: OWNER, body: {} }), 201);
  const mine = await history(srv, b, '', ALICE);
  assert.deepEqual(mine.map((e) => e.uri).sort(), [`/buckets/${b}/collections/open`, `/buckets/${b}/collections/open/records/r`]);
  assert.equal((await history(srv, b)).length, 5);
  const head = await must(req(srv, 'HEAD', `/buckets/${b}/history`, { auth: ALICE }), 200);
  assert.equal(head.headers.get('total-objects'), '2');
  expectError(await req(srv, 'GET', `/buckets/${b}/history`), 401, 104);
  expectError(await req(srv, 'DELETE', `/buckets/${b}/history`, { auth: ALICE }), 403, 121);
});

test('HIST-4 filters, sort, paging, _since/_before; strict fields; no object endpoint', async () => {
  const b = uid();
  await must(req(srv, 'PUT', `/buckets/${b}`, { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'PUT', `/buckets/${b}/collections/c`, { auth: OWNER, body: {} }), 201);
  for (let i = 0; i < 5; i++) await must(req(srv, 'PUT', `/buckets/${b}/collections/c/records/r${i}`, { auth: OWNER, body: { data: { n: i } } }), 201);
  const all = await history(srv, b);
  assert.equal(all.length, 7);
  assert.equal((await history(srv, b, '?resource_name=record')).length, 5);
  assert.deepEqual((await history(srv, b, '?target.data.n=3')).map((e) => e.record_id), ['r3']);
  assert.deepEqual((await history(srv, b, '?_sort=last_modified&resource_name=record')).map((e) => e.record_id), ['r0', 'r1', 'r2', 'r3', 'r4']);
  assert.equal((await history(srv, b, `?_since=${all[3].last_modified}`)).length, 3);
  assert.equal((await history(srv, b, `?_before=${all[3].last_modified}`)).length, 3);
  const p1 = await must(req(srv, 'GET', `/buckets/${b}/history?_limit=4`, { auth: OWNER }), 200);
  assert.equal(p1.json.data.length, 4);
  const next = p1.headers.get('next-page');
  assert.ok(next);
  const p2 = await must(req(srv, 'GET', next.slice(next.indexOf('/v1') + 3), { auth: OWNER }), 200);
  assert.deepEqual([...p1.json.data, ...p2.json.data].map((e) => e.id), all.map((e) => e.id));
  expectError(await req(srv, 'GET', `/buckets/${b}/history?unknown=1`, { auth: OWNER }), 400, 107);
  // numbers on id fields are compared as strings
  await must(req(srv, 'PUT', `/buckets/${b}/collections/1`, { auth: OWNER, body: {} }), 201);
  assert.deepEqual((await history(srv, b, '?collection_id=1')).map((e) => e.uri), [`/buckets/${b}/collections/1`]);
  assert.equal((await history(srv, b, '?in_collection_id=1,c')).length, 7);
  expectError(await req(srv, 'GET', `/buckets/${b}/history/${all[0].id}`, { auth: OWNER }), 404, 111);
  const put = await req(srv, 'PUT', `/buckets/${b}/history`, { auth: OWNER, body: {} });
  expectError(put, 405, 115);
  assert.equal(put.headers.get('allow'), 'HEAD, GET, DELETE, OPTIONS');
});

test('HIST-4 DELETE purges entries (bucket write needed), with filters', async () => {
  const b = uid();
  await must(req(srv, 'PUT', `/buckets/${b}`, { auth: OWNER, body: {} }), 201);
  for (let i = 0; i < 3; i++) await must(req(srv, 'PUT', `/buckets/${b}/collections/c${i}`, { auth: OWNER, body: {} }), 201);
  const all = await history(srv, b);
  const del = await must(req(srv, 'DELETE', `/buckets/${b}/history?_before=${all[0].last_modified}`, { auth: OWNER }), 200);
  assert.equal(del.json.data.length, 3);
  assert.ok(del.json.data.every((e) => e.deleted === true));
  assert.deepEqual((await history(srv, b)).map((e) => e.id), [all[0].id]);
});

test('HIST-3 exclude_resources: nothing recorded at or below the excluded URIs', async () => {
  await must(req(excl, 'PUT', `/buckets/skip${RUN}`, { auth: OWNER, body: {} }), 201);
  await must(req(excl, 'PUT', `/buckets/skip${RUN}/collections/c`, { auth: OWNER, body: {} }), 201);
  assert.deepEqual(await history(excl, `skip${RUN}`), []);
  await must(req(excl, 'PUT', `/buckets/half${RUN}`, { auth: OWNER, body: {} }), 201);
  await must(req(excl, 'PUT', `/buckets/half${RUN}/collections/quiet`, { auth: OWNER, body: {} }), 201);
  await must(req(excl, 'PUT', `/buckets/half${RUN}/collections/quiet/records/r`, { auth: OWNER, body: {} }), 201);
  await must(req(excl, 'PUT', `/buckets/half${RUN}/collections/loud`, { auth: OWNER, body: {} }), 201);
  assert.deepEqual((await history(excl, `half${RUN}`)).map((e) => e.uri), [`/buckets/half${RUN}/collections/loud`, `/buckets/half${RUN}`]);
});

test('HIST-1 a batch that fails is undone with its entries', async () => {
  const b = uid();
  await must(req(srv, 'PUT', `/buckets/${b}`, { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'POST', '/batch', { auth: OWNER, body: { requests: [
    { method: 'PUT', path: `/buckets/${b}/collections/ok`, body: {} },
    { method: 'PUT', path: `/buckets/${b}/collections/bad`, body: { data: { cache_expires: 'soon' } } },
  ] } }), 200);
  assert.deepEqual((await history(srv, b)).map((e) => e.uri), [`/buckets/${b}/collections/ok`, `/buckets/${b}`]);
});

test('HIST-3 auto-trim: past max + threshold entries of one resource name, the oldest go (no tombstones)', async () => {
  const root = await must(req(trim, 'GET', '/'), 200);
  assert.equal(root.json.capabilities.history.auto_trim_max_count, 3);
  const b = uid();
  await must(req(trim, 'PUT', `/buckets/${b}`, { auth: OWNER, body: {} }), 201);
  await must(req(trim, 'PUT', `/buckets/${b}/collections/c`, { auth: OWNER, body: {} }), 201);
  const counts = [];
  for (let i = 0; i < 20; i++) {
    await must(req(trim, 'PUT', `/buckets/${b}/collections/c/records/r${i}`, { auth: OWNER, body: {} }), 201);
    counts.push((await history(trim, b, '?resource_name=record')).length);
  }
  // one worker: the count never passes max + threshold, and drops back to max when it would
  assert.ok(counts.every((n) => n <= 5), counts.join(','));
  assert.ok(counts.includes(3), counts.join(','));
  const records = await history(trim, b, '?resource_name=record');
  assert.deepEqual(records.map((e) => e.record_id), ['r19', 'r18', 'r17', 'r16', 'r15'].slice(0, records.length));
  // other resource names are counted apart; trimmed entries leave no tombstone
  assert.equal((await history(trim, b, '?resource_name=bucket')).length, 1);
  assert.equal((await history(trim, b, '?_since=0&deleted=true')).length, 0);
});

test('HIST-1 concurrent writes to different collections of one bucket all succeed, each with its entry', { timeout: 60000 }, async () => {
  const b = uid();
  await must(req(srv, 'PUT', `/buckets/${b}`, { auth: OWNER, body: {} }), 201);
  for (let k = 0; k < 4; k++) {
    await must(req(srv, 'PUT', `/buckets/${b}/collections/c${k}`, { auth: OWNER, body: {} }), 201);
    await must(req(srv, 'GET', `/buckets/${b}/collections/c${k}/records`, { auth: OWNER }), 200);
  }
  const writes = [];
  for (let k = 0; k < 4; k++) {
    for (let i = 0; i < 10; i++) writes.push(req(srv, 'PUT', `/buckets/${b}/collections/c${k}/records/r${i}`, { auth: OWNER, body: { data: { i } } }));
  }
  for (const r of await Promise.all(writes)) assert.equal(r.status, 201, r.text);
  const h = await history(srv, b, '?resource_name=record&_limit=100');
  assert.equal(h.length, 40);
  assert.equal(new Set(h.map((e) => e.last_modified)).size, 40, 'unique entry timestamps');
});

test('HIST-5 collection snapshot: each record as it was at the timestamp, newest first', async () => {
  const b = uid();
  const C = `/buckets/${b}/collections/c`;
  await must(req(srv, 'PUT', `/buckets/${b}`, { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'PUT', C, { auth: OWNER, body: {} }), 201);
  const t1 = (await must(req(srv, 'PUT', `${C}/records/r1`, { auth: OWNER, body: { data: { v: 1 } } }), 201)).json.data.last_modified;
  const t2 = (await must(req(srv, 'PUT', `${C}/records/r2`, { auth: OWNER, body: { data: { v: 1 } } }), 201)).json.data.last_modified;
  const t3 = (await must(req(srv, 'PUT', `${C}/records/r1`, { auth: OWNER, body: { data: { v: 2 } } }), 200)).json.data.last_modified;
  const t4 = (await must(req(srv, 'DELETE', `${C}/records/r2`, { auth: OWNER }), 200)).json.data.last_modified;
  const t5 = (await must(req(srv, 'PUT', `${C}/records/r3`, { auth: OWNER, body: { data: { v: 1 } } }), 201)).json.data.last_modified;
  const snap = async (ts, auth = OWNER) => (await must(req(srv, 'GET', `/buckets/${b}/snapshot/collections/c@${ts}`, { auth }), 200)).json.data;
  const brief = (list) => list.map((r) => [r.id, r.v, r.last_modified]);
  assert.deepEqual(await snap(t1 - 1), []);
  assert.deepEqual(brief(await snap(t2)), [['r2', 1, t2], ['r1', 1, t1]]);
  assert.deepEqual(brief(await snap(t3)), [['r1', 2, t3], ['r2', 1, t2]]);
  assert.deepEqual(brief(await snap(t4)), [['r1', 2, t3]]);
  assert.deepEqual(brief(await snap(t5)), [['r3', 1, t5], ['r1', 2, t3]]);
  // readers of the collection may ask; others may not
  expectError(await req(srv, 'GET', `/buckets/${b}/snapshot/collections/c@${t5}`, { auth: ALICE }), 403, 121);
  expectError(await req(srv, 'GET', `/buckets/${b}/snapshot/collections/c@${t5}`), 401, 104);
  await must(req(srv, 'PATCH', C, { auth: OWNER, body: { permissions: { read: [ids.alice] } } }), 200);
  assert.equal((await snap(t5, ALICE)).length, 2);
  // bad timestamps, other methods
  expectError(await req(srv, 'GET', `/buckets/${b}/snapshot/collections/c@abc`, { auth: OWNER }), 400, 107);
  expectError(await req(srv, 'GET', `/buckets/${b}/snapshot/collections/c@-1`, { auth: OWNER }), 400, 107);
  const post = await req(srv, 'POST', `/buckets/${b}/snapshot/collections/c@${t5}`, { auth: OWNER, body: {} });
  expectError(post, 405, 115);
  assert.equal(post.headers.get('allow'), 'GET, HEAD, OPTIONS');
  expectError(await req(off, 'GET', `/buckets/${b}/snapshot/collections/c@${t5}`, { auth: OWNER }), 404, 111);
  // through the default bucket too
  const who = basic(`snap-${RUN}`, 'x');
  const t = (await must(req(srv, 'PUT', '/buckets/default/collections/tasks/records/a', { auth: who, body: {} }), 201)).json.data.last_modified;
  const d = await must(req(srv, 'GET', `/buckets/default/snapshot/collections/tasks@${t}`, { auth: who }), 200);
  assert.deepEqual(d.json.data.map((r) => r.id), ['a']);
});
