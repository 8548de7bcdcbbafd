// Shared records (issue 9 item 4, spec 04 §4.7): a user without read on the collection or the
// bucket lists the records shared with them (through their user id, a group, system.Authenticated
// or system.Everyone) with one SQL query that joins the ACL rows, filtered, sorted and paged in
// SQL. Every answer here is compared with the owner's view of the same query (the whole list,
// read without restriction) cut down to the records the user may see: same records, same order,
// same pages, same counts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, basic, req } from './lib/harness.js';
import { must } from './lib/expect.js';

const RUN = (Date.now() % 1e9).toString(36) + Math.random().toString(36).slice(2, 6);
const OWNER = basic(`owner-${RUN}`, 'secret');
const ALICE = basic(`alice-${RUN}`, 'secret');
const BOB = basic(`bob-${RUN}`, 'secret');
const B = `/buckets/s${RUN}`;
const C = `${B}/collections/c`;
const R = `${C}/records`;
const N = 90;

let srv;
let alice; // alice's user id
const visible = { alice: new Set(), anon: new Set(), bob: new Set() };
const writable = new Set(); // alice may delete these

// A title of mixed types, so that a sort on it crosses the type ranks of spec 02 §2.6.
const title = (i) => (i % 11 === 0 ? i : i % 13 === 0 ? null : i % 17 === 0 ? true : `t${(i * 7) % 23}`);

before(async () => {
  srv = await startServer({ workers: 2 });
  alice = (await must(req(srv, 'GET', '/', { auth: ALICE }), 200)).json.user.id;
  await must(req(srv, 'PUT', B, { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'PUT', C, { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'PUT', `${B}/groups/g`, { auth: OWNER, body: { data: { members: [alice] } } }), 201);
  const requests = [];
  for (let i = 0; i < N; i++) {
    const id = `r${String(i).padStart(3, '0')}`;
    const permissions = {};
    // who may see what: a mix of principals, some records seen twice, some by nobody
    if (i % 4 === 0) { permissions.read = [alice]; visible.alice.add(id); }
    if (i % 6 === 1) { permissions.write = [alice]; visible.alice.add(id); writable.add(id); }
    if (i % 5 === 2) { permissions.read = [...(permissions.read || []), `${B}/groups/g`]; visible.alice.add(id); }
    if (i % 9 === 3) { permissions.read = [...(permissions.read || []), 'system.Authenticated']; visible.alice.add(id); visible.bob.add(id); }
    if (i % 10 === 7) { permissions.read = [...(permissions.read || []), 'system.Everyone']; visible.alice.add(id); visible.bob.add(id); visible.anon.add(id); }
    const data = { n: i % 5, title: title(i), ...(i % 8 === 0 ? {} : { tag: `k${i % 3}` }) };
    requests.push({ method: 'PUT', path: `${R}/${id}`, body: { data, permissions } });
  }
  for (let k = 0; k < requests.length; k += 25)
    await must(req(srv, 'POST', '/batch', { auth: OWNER, body: { requests: requests.slice(k, k + 25) } }), 200);
  // Records deleted after being shared: tombstones, which no longer carry an ACL.
  for (const id of ['r000', 'r007', 'r012']) {
    await must(req(srv, 'DELETE', `${R}/${id}`, { auth: OWNER }), 200);
    for (const s of Object.values(visible)) s.delete(id);
    writable.delete(id);
  }
});
after(async () => { await srv?.stop(); });

// Every page of a list, following Next-Page.
async function allPages(url, auth) {
  const out = [];
  let pages = 0;
  while (url) {
    const r = await must(req(srv, 'GET', url, { auth }), 200);
    out.push(...r.json.data);
    url = r.headers.get('next-page');
    pages++;
    assert.ok(pages < 200, 'pagination ends');
  }
  return { data: out, pages };
}

async function compare(query, who, auth, { limit } = {}) {
  const sep = query ? '&' : '';
  const full = (await allPages(`${R}?${query}`, OWNER)).data;
  const expected = full.filter((o) => visible[who].has(o.id));
  const got = await allPages(`${R}?${query}${limit ? `${sep}_limit=${limit}` : ''}`, auth);
  assert.deepEqual(got.data, expected, `${who} ?${query}`);
  if (limit) assert.equal(got.pages, Math.max(1, Math.ceil(expected.length / limit)), `pages of ${who} ?${query}`);
  const h = await must(req(srv, 'HEAD', `${R}?${query}`, { auth }), 200);
  assert.equal(Number(h.headers.get('total-records')), expected.filter((o) => !o.deleted).length, `count of ${who} ?${query}`);
  return expected;
}

test('SHARED-1 a user sees exactly the records shared with them, in order, over pages', async () => {
  const seen = await compare('', 'alice', ALICE);
  assert.equal(seen.length, visible.alice.size);
  assert.ok(seen.length > 30);
  await compare('', 'alice', ALICE, { limit: 7 });
  await compare('_sort=last_modified', 'alice', ALICE, { limit: 9 });
});

test('SHARED-2 filters, data-field sorts and their pagination tokens apply to the shared set', async () => {
  for (const q of ['n=2', 'in_n=1,3', 'has_tag=false', 'like_title=t1', 'min_n=3', 'not_n=0&has_tag=true']) {
    await compare(q, 'alice', ALICE);
    await compare(q, 'alice', ALICE, { limit: 4 });
  }
  for (const q of ['_sort=title', '_sort=-title', '_sort=n,-title', '_sort=-n,id', '_sort=id', '_sort=tag&n=1']) {
    await compare(q, 'alice', ALICE);
    await compare(q, 'alice', ALICE, { limit: 5 });
  }
});

test('SHARED-3 _since and _before: the changes of the shared records, without foreign tombstones', async () => {
  const all = (await must(req(srv, 'GET', `${R}?_sort=last_modified`, { auth: OWNER }), 200)).json.data;
  const mid = all[Math.floor(all.length / 2)].last_modified;
  await compare(`_since=${mid}`, 'alice', ALICE, { limit: 6 });
  await compare(`_before=${mid}&_sort=title`, 'alice', ALICE, { limit: 6 });
  // a record alice could read is deleted: its tombstone carries no ACL, so she does not see it
  const r = await must(req(srv, 'PUT', `${R}/late`, { auth: OWNER, body: { data: { n: 1 }, permissions: { read: [alice] } } }), 201);
  visible.alice.add('late');
  await compare(`_since=${r.json.data.last_modified - 1}`, 'alice', ALICE);
  await must(req(srv, 'DELETE', `${R}/late`, { auth: OWNER }), 200);
  visible.alice.delete('late');
  const after = await compare(`_since=${r.json.data.last_modified - 1}`, 'alice', ALICE);
  assert.deepEqual(after, []);
});

test('SHARED-4 other principals: system.Authenticated, system.Everyone (anonymous)', async () => {
  await compare('', 'bob', BOB, { limit: 3 });
  await compare('_sort=-title', 'bob', BOB, { limit: 2 });
  await compare('', 'anon', undefined);
  await compare('n=2', 'anon', undefined);
});

test('SHARED-5 a bulk DELETE by a user deletes only the records they may write', async () => {
  const before = (await must(req(srv, 'HEAD', R, { auth: OWNER }), 200)).headers.get('total-records');
  const nw = writable.size;
  const r = await must(req(srv, 'DELETE', `${R}?_sort=id`, { auth: ALICE }), 200);
  assert.deepEqual(r.json.data.map((o) => o.id), [...writable].sort());
  for (const id of writable) for (const s of Object.values(visible)) s.delete(id);
  writable.clear();
  await compare('', 'alice', ALICE, { limit: 8 });
  // nothing left to write: the list is no longer shared for writing, and the owner still sees the rest
  const h = await must(req(srv, 'HEAD', R, { auth: OWNER }), 200);
  assert.equal(Number(h.headers.get('total-records')), Number(before) - nw);
});
