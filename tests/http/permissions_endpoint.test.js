// Black-box tests for GET/HEAD /permissions (spec 04 §4.10, PERM-10): switched on by
// kinto.experimental_permissions_endpoint or by including kinto.plugins.admin, the capability,
// every object the caller holds a permission on (ACLs through user id, groups and system
// principals; settings grants), same-object expansion only, the entry fields, deletions,
// filters, sorting, paging, HEAD counts, preconditions and the strict-field 400s.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, basic, req } from './lib/harness.js';
import { must, expectError } from './lib/expect.js';

const RUN = (Date.now() % 1e9).toString(36) + Math.random().toString(36).slice(2, 6);
let seq = 0;
const uid = (p = 'x') => `${p}${RUN}${(++seq).toString(36)}`;
const user = (name) => basic(`${name}-${RUN}`, 'secret');

const OWNER = user('owner');
const ALICE = user('alice');
const BOB = user('bob');

let srv; // kinto.experimental_permissions_endpoint = true
let off; // defaults: endpoint off
let grants; // settings grants, endpoint on through the admin plugin
const ids = {};

const CAPABILITY = {
  description: 'The permissions endpoint can be used to list all user objects permissions.',
  url: 'https://kinto.readthedocs.io/en/latest/configuration/settings.html#activating-the-permissions-endpoint',
};

// A stand-in for an unpacked Kinto Admin release (only its VERSION file matters to cinto).
const ADMIN_DIR = fs.mkdtempSync(path.join(process.env.CINTO_TEST_TMP || os.tmpdir(), 'admin-'));
fs.writeFileSync(path.join(ADMIN_DIR, 'VERSION'), '9.8.7\n');

before(async () => {
  [srv, off, grants] = await Promise.all([
    // history on: its entries carry ACL rows of their own, never listed
    startServer({ workers: 2, settings: { 'kinto.experimental_permissions_endpoint': 'true', 'kinto.includes': 'kinto.plugins.history' } }),
    startServer({ workers: 1 }),
    startServer({
      workers: 1,
      settings: {
        'kinto.includes': 'kinto.plugins.admin kinto.plugins.accounts',
        'kinto.admin_assets_path': ADMIN_DIR,
        'multiauth.policies': 'account basicauth',
        'multiauth.policy.account.use': 'kinto.plugins.accounts.authentication.AccountsPolicy',
        'kinto.account_create_principals': 'system.Everyone',
        'kinto.collection_create_principals': 'system.Authenticated',
        'kinto.group_read_principals': 'system.Authenticated',
        'kinto.record_read_principals': 'system.Authenticated',
        'kinto.permissions_read_principals': 'system.Authenticated',
      },
    }),
  ]);
  for (const [k, a] of Object.entries({ owner: OWNER, alice: ALICE, bob: BOB })) {
    ids[k] = (await must(req(srv, 'GET', '/', { auth: a }), 200)).json.user.id;
  }
});
after(async () => {
  await Promise.all([srv?.stop(), off?.stop(), grants?.stop()]);
  fs.rmSync(ADMIN_DIR, { recursive: true, force: true });
});

const sorted = (a) => [...a].sort();
const byUri = (r) => Object.fromEntries(r.json.data.map((e) => [e.uri, e]));
const list = (s, auth, qs = '') => must(req(s, 'GET', `/permissions${qs}`, { auth }), 200);

// Bucket b (owner) with collections c1, c2, group g (alice), records r1, r2 in c1.
async function world(s = srv) {
  const b = uid('b');
  const B = `/buckets/${b}`;
  await must(req(s, 'PUT', B, { auth: OWNER }), 201);
  await must(req(s, 'PUT', `${B}/groups/g`, { auth: OWNER, body: { data: { members: [ids.alice] } } }), 201);
  await must(req(s, 'PUT', `${B}/collections/c1`, { auth: OWNER, body: { permissions: { 'record:create': [ids.alice] } } }), 201);
  await must(req(s, 'PUT', `${B}/collections/c2`, { auth: OWNER, body: { permissions: { read: [`${B}/groups/g`] } } }), 201);
  await must(req(s, 'PUT', `${B}/collections/c1/records/r1`, { auth: OWNER, body: { data: {}, permissions: { read: [ids.alice] } } }), 201);
  await must(req(s, 'PUT', `${B}/collections/c1/records/r2`, { auth: OWNER, body: { data: {} } }), 201);
  return { b, B };
}

test('PERM-10 disabled by default: 404 errno 111, no capability', async () => {
  expectError(await req(off, 'GET', '/permissions', { auth: ALICE }), 404, 111);
  assert.equal((await req(off, 'HEAD', '/permissions', { auth: ALICE })).status, 404);
  const hello = await must(req(off, 'GET', '/'), 200);
  assert.equal(hello.json.capabilities.permissions_endpoint, undefined);
});

test('PERM-10 capability: by the setting, and by including kinto.plugins.admin', async () => {
  const a = await must(req(srv, 'GET', '/'), 200);
  assert.deepEqual(a.json.capabilities.permissions_endpoint, CAPABILITY);
  const b = await must(req(grants, 'GET', '/'), 200);
  assert.deepEqual(b.json.capabilities.permissions_endpoint, CAPABILITY);
  assert.equal(b.json.capabilities.admin.description, 'Serves the admin console.');
  assert.equal(b.json.capabilities.admin.url, 'https://github.com/Kinto/kinto-admin/');
  assert.equal(b.json.capabilities.admin.version, '9.8.7');
  assert.equal(a.json.capabilities.admin, undefined);
});

test('PERM-10 entries: ACLs of user id and groups, creator write, same-object expansion', async () => {
  const { b, B } = await world();
  const own = byUri(await list(srv, OWNER, `?bucket_id=${b}`));
  assert.deepEqual(own[B], {
    uri: B, resource_name: 'bucket', id: b, bucket_id: b,
    permissions: ['collection:create', 'group:create', 'read', 'read:attributes', 'write'],
  });
  assert.deepEqual(own[`${B}/collections/c1`], {
    uri: `${B}/collections/c1`, resource_name: 'collection', id: 'c1', collection_id: 'c1', bucket_id: b,
    permissions: ['read', 'read:attributes', 'record:create', 'write'],
  });
  assert.deepEqual(own[`${B}/groups/g`], {
    uri: `${B}/groups/g`, resource_name: 'group', id: 'g', group_id: 'g', bucket_id: b,
    permissions: ['read', 'write'],
  });
  assert.deepEqual(own[`${B}/collections/c1/records/r1`], {
    uri: `${B}/collections/c1/records/r1`, resource_name: 'record', id: 'r1', record_id: 'r1',
    bucket_id: b, collection_id: 'c1', permissions: ['read', 'write'],
  });
  assert.equal(Object.keys(own).length, 6);

  // alice: record:create on c1, read on r1, read on c2 through group g; nothing else of b
  const al = byUri(await list(srv, ALICE, `?bucket_id=${b}`));
  assert.deepEqual(Object.keys(al).sort(), [`${B}/collections/c1`, `${B}/collections/c1/records/r1`, `${B}/collections/c2`]);
  assert.deepEqual(al[`${B}/collections/c1`].permissions, ['read:attributes', 'record:create']);
  assert.deepEqual(al[`${B}/collections/c2`].permissions, ['read', 'read:attributes']);
  assert.deepEqual(al[`${B}/collections/c1/records/r1`].permissions, ['read']);
  // bob: nothing of b
  assert.deepEqual((await list(srv, BOB, `?bucket_id=${b}`)).json.data, []);
});

test('PERM-10 a bucket write is not expanded to its children; system principals count', async () => {
  const { b, B } = await world();
  await must(req(srv, 'PATCH', B, { auth: OWNER, body: { permissions: { write: [ids.bob] } } }), 200);
  const bob = (await list(srv, BOB, `?bucket_id=${b}`)).json.data;
  assert.deepEqual(bob.map((e) => e.uri), [B]);
  assert.deepEqual(bob[0].permissions, ['collection:create', 'group:create', 'read', 'read:attributes', 'write']);
  // system.Everyone read on c1: anonymous callers list it, with no root entry
  await must(req(srv, 'PATCH', `${B}/collections/c1`, { auth: OWNER, body: { permissions: { read: ['system.Everyone'] } } }), 200);
  const anon = (await list(srv, undefined, `?bucket_id=${b}`)).json.data;
  assert.deepEqual(anon, [{
    uri: `${B}/collections/c1`, resource_name: 'collection', id: 'c1', collection_id: 'c1', bucket_id: b,
    permissions: ['read', 'read:attributes'],
  }]);
  assert.ok(!(await list(srv, undefined)).json.data.some((e) => e.resource_name === 'root'));
});

test('PERM-10 root entry from bucket_create_principals (authenticated users)', async () => {
  const r = await list(srv, BOB, '?resource_name=root');
  assert.deepEqual(r.json.data, [{ uri: '/', resource_name: 'root', permissions: ['bucket:create'] }]);
});

test('PERM-10 deleted objects (and their cascades) disappear', async () => {
  const { b, B } = await world();
  await must(req(srv, 'DELETE', `${B}/collections/c1/records/r1`, { auth: OWNER }), 200);
  let al = byUri(await list(srv, ALICE, `?bucket_id=${b}`));
  assert.equal(al[`${B}/collections/c1/records/r1`], undefined);
  assert.ok(al[`${B}/collections/c1`]);
  await must(req(srv, 'DELETE', B, { auth: OWNER }), 200);
  assert.deepEqual((await list(srv, ALICE, `?bucket_id=${b}`)).json.data, []);
  assert.deepEqual((await list(srv, OWNER, `?bucket_id=${b}`)).json.data, []);
});

test('PERM-10 settings grants: every bucket/collection/group, records and accounts not expanded', async () => {
  const b = uid('s');
  const B = `/buckets/${b}`;
  await must(req(grants, 'PUT', B, { auth: OWNER }), 201);
  await must(req(grants, 'PUT', `${B}/collections/c`, { auth: OWNER }), 201);
  await must(req(grants, 'PUT', `${B}/groups/g`, { auth: OWNER, body: { data: { members: [] } } }), 201);
  await must(req(grants, 'PUT', `${B}/collections/c/records/r`, { auth: OWNER }), 201);
  const al = byUri(await list(grants, ALICE));
  assert.deepEqual(al[B].permissions, ['collection:create', 'read:attributes']);
  assert.deepEqual(al[`${B}/groups/g`].permissions, ['read']);
  assert.equal(al[`${B}/collections/c`], undefined); // record_read is not expanded to collections
  assert.equal(al[`${B}/collections/c/records/r`], undefined);
  assert.deepEqual(al['/'], { uri: '/', resource_name: 'root', permissions: ['account:create', 'bucket:create'] });
  // accounts: the account's own entry, account:create at the root
  const acc = uid('acc');
  await must(req(grants, 'PUT', `/accounts/${acc}`, { body: { data: { password: 'pw' } } }), 201);
  const mine = byUri(await list(grants, basic(acc, 'pw')));
  assert.deepEqual(mine[`/accounts/${acc}`], {
    uri: `/accounts/${acc}`, resource_name: 'account', id: acc, account_id: acc, permissions: ['read', 'write'],
  });
  assert.deepEqual(mine['/'].permissions, ['account:create', 'bucket:create']);
  // permissions_read_principals = system.Authenticated: anonymous 401
  expectError(await req(grants, 'GET', '/permissions'), 401, 104);
});

test('PERM-10 filters: resource_name, exclude_/in_, ids; Kinto Admin and kinto.js forms', async () => {
  const { b, B } = await world();
  const q = async (qs) => (await list(srv, OWNER, `?bucket_id=${b}&${qs}`)).json.data.map((e) => e.uri);
  assert.deepEqual(await q('resource_name=bucket'), [B]);
  assert.deepEqual(await q('exclude_resource_name=record,group'), [`${B}/collections/c2`, `${B}/collections/c1`, B]);
  assert.deepEqual(sorted(await q('in_resource_name=group,record')), sorted([`${B}/groups/g`, `${B}/collections/c1/records/r1`, `${B}/collections/c1/records/r2`]));
  assert.deepEqual(await q('collection_id=c1&resource_name=record'), [`${B}/collections/c1/records/r2`, `${B}/collections/c1/records/r1`]);
  assert.deepEqual(await q('not_resource_name=record&exclude_id=c1,c2'), [`${B}/groups/g`, B]);
  assert.deepEqual(await q('group_id=g'), [`${B}/groups/g`]);
  assert.deepEqual(await q('has_record_id=true'), [`${B}/collections/c1/records/r2`, `${B}/collections/c1/records/r1`]);
  assert.deepEqual(await q('contains_permissions=record:create'), [`${B}/collections/c2`, `${B}/collections/c1`]);
  assert.deepEqual(await q('like_uri=*records/r*&_sort=uri'), [`${B}/collections/c1/records/r1`, `${B}/collections/c1/records/r2`]);
  assert.deepEqual(await q('id=1'), []); // a number never equals a string id
  // filters and sorts on last_modified are ignored (no such field)
  assert.equal((await q('last_modified=5&_since=1&_sort=-last_modified')).length, 6);
  // kinto.js sends _sort=id: id, then -uri
  assert.deepEqual(await q('_sort=id'), [B, `${B}/collections/c1`, `${B}/collections/c2`, `${B}/groups/g`, `${B}/collections/c1/records/r1`, `${B}/collections/c1/records/r2`]);
  // _fields keeps id
  const f = (await list(srv, OWNER, `?bucket_id=${b}&resource_name=bucket&_fields=uri`)).json.data;
  assert.deepEqual(f, [{ uri: B, id: b }]);
});

test('PERM-10 default order -uri, paging with Next-Page, HEAD counts, ETag "0"', async () => {
  const { b } = await world();
  const all = (await list(srv, OWNER, `?bucket_id=${b}`)).json.data.map((e) => e.uri);
  assert.deepEqual(all, [...all].sort().reverse());
  for (const extra of ['', '&contains_permissions=write', '&_sort=resource_name']) {
    let url = `/permissions?bucket_id=${b}&_limit=2${extra}`;
    const seen = [];
    for (let pages = 0; url && pages < 10; pages++) {
      const r = await must(req(srv, 'GET', url, { auth: OWNER }), 200);
      assert.ok(r.json.data.length <= 2);
      seen.push(...r.json.data.map((e) => e.uri));
      url = r.headers.get('next-page');
    }
    assert.equal(url, null);
    assert.deepEqual(sorted(seen), sorted(all), `paging with ${extra || 'no extra'}`);
    assert.equal(new Set(seen).size, seen.length);
  }
  const h = await must(req(srv, 'HEAD', `/permissions?bucket_id=${b}`, { auth: OWNER }), 200);
  assert.equal(h.headers.get('total-records'), '6');
  assert.equal(h.headers.get('total-objects'), '6');
  assert.equal(h.text, '');
  const hc = await must(req(srv, 'HEAD', `/permissions?bucket_id=${b}&contains_permissions=record:create&_limit=1`, { auth: OWNER }), 200);
  assert.equal(hc.headers.get('total-records'), '2');
  const g = await list(srv, OWNER, `?bucket_id=${b}`);
  assert.equal(g.headers.get('etag'), '"0"');
  assert.equal(g.headers.get('cache-control'), 'no-cache, no-store');
  assert.equal((await req(srv, 'GET', '/permissions', { auth: OWNER, headers: { 'If-None-Match': '"0"' } })).status, 304);
  expectError(await req(srv, 'GET', '/permissions', { auth: OWNER, headers: { 'If-Match': '"12"' } }), 412, 114);
});

// spec 02 §2.6 order in JS: missing values last ascending, first descending; then -uri.
function expectedOrder(entries, sort) {
  const keys = sort.split(',').map((k) => (k.startsWith('-') ? [k.slice(1), -1] : [k, 1]));
  if (!keys.some(([f]) => f === 'uri')) keys.push(['uri', -1]);
  return [...entries].sort((a, b) => {
    for (const [f, d] of keys) {
      const pa = f in a, pb = f in b;
      let c = 0;
      if (!pa || !pb) c = pa === pb ? 0 : pa ? -1 : 1;
      else c = a[f] < b[f] ? -1 : a[f] > b[f] ? 1 : 0;
      if (c) return d * c;
    }
    return 0;
  }).map((e) => e.uri);
}

test('PERM-10 sorts SQL orders (string fields, absent values, uri) page through as lib/query orders', async () => {
  const { b } = await world();
  const all = (await list(srv, OWNER, `?bucket_id=${b}&_sort=uri`)).json.data;
  // the root entry too: no id, no bucket_id
  const everything = (await list(srv, OWNER, '?in_resource_name=root,bucket')).json.data;
  // _limit=1 on the second: every entry, the root too, ends a page (a token without id)
  for (const [qs, entries, limit] of [
    [`bucket_id=${b}`, all, 2],
    ['in_resource_name=root,bucket', everything, 1],
  ]) {
    for (const sort of ['id', '-id', 'collection_id', '-collection_id', 'resource_name,uri', '-record_id', 'bucket_id', '-bucket_id']) {
      let url = `/permissions?${qs}&_sort=${sort}&_limit=${limit}`;
      const seen = [];
      for (let pages = 0; url && pages < 100; pages++) {
        const r = await must(req(srv, 'GET', url, { auth: OWNER }), 200);
        seen.push(...r.json.data.map((e) => e.uri));
        url = r.headers.get('next-page');
      }
      assert.deepEqual(seen, expectedOrder(entries, sort), `${qs} _sort=${sort}`);
    }
  }
});

test('PERM-10 bad input: strict fields, sort, _fields, _limit, _since, methods', async () => {
  expectError(await req(srv, 'GET', '/permissions?title=x', { auth: OWNER }), 400, 107, {
    message: "Unknown filter field 'title'",
    details: [{ location: 'querystring', name: 'title', description: "Unknown filter field 'title'" }],
  });
  expectError(await req(srv, 'GET', '/permissions?in_account_id=a', { auth: OWNER }), 400, 107);
  expectError(await req(srv, 'GET', '/permissions?_sort=title', { auth: OWNER }), 400, 107, { message: /Unknown sort field 'title'/ });
  expectError(await req(srv, 'GET', '/permissions?_fields=title', { auth: OWNER }), 400, 107, { message: /Fields title do not exist/ });
  expectError(await req(srv, 'GET', '/permissions?_limit=x', { auth: OWNER }), 400, 107);
  expectError(await req(srv, 'GET', '/permissions?_since=abc', { auth: OWNER }), 400, 107);
  expectError(await req(srv, 'GET', '/permissions?_token=garbage', { auth: OWNER }), 400, 107);
  expectError(await req(srv, 'GET', '/permissions?in_id=1,2', { auth: OWNER }), 400, 107);
  const p = await req(srv, 'POST', '/permissions', { auth: OWNER, body: {} });
  expectError(p, 405, 115);
  assert.equal(p.headers.get('allow'), 'HEAD, GET, OPTIONS');
  expectError(await req(srv, 'GET', '/permissions/x', { auth: OWNER }), 404, 111);
});

test('admin location: /v1/admin -> /v1/admin/ -> the folder\'s index.html; absent files a JSON 404', async () => {
  const a = await req(grants, 'GET', '/admin');
  assert.equal(a.status, 307);
  assert.equal(a.headers.get('location'), `${grants.url}/admin/`);
  const home = await req(grants, 'GET', '/admin/');
  assert.equal(home.status, 307);
  assert.equal(home.headers.get('location'), `${grants.url}/admin/index.html`);
  // the web server serves the folder's files; one that reaches cinto is not installed
  expectError(await req(grants, 'GET', '/admin/index.html'), 404, 111, { message: /kinto-admin-release\.tar/ });
  expectError(await req(grants, 'GET', '/admin/assets/index.js'), 404, 111);
  // without the plugin there is no admin location (and /v1/admin/ is the usual slash redirect)
  expectError(await req(srv, 'GET', '/admin'), 404, 111);
  assert.equal((await req(srv, 'GET', '/admin/')).headers.get('location'), `${srv.url}/admin`);
});
