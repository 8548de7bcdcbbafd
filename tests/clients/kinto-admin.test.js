// Kinto Admin against cinto, replayed. Admin is not on npm and its code is never committed
// here, so this file repeats, through the same HTTP client Admin uses (the KintoClient of
// kinto.js 17, built as Admin builds it: Basic Authorization header, timeout 30 s, retry 1,
// its own fetch), the calls Admin's screens make, in their order and with their options, read
// from Admin's source (hooks/ and components/), and checks that each answer holds what Admin
// reads from it. Described in our own words:
//
//   sign-in page   the server URL is the page address up to "/admin/" (so /v1); server info
//                  without credentials: the auth methods offered are the capability keys
//                  among basicauth/accounts/ldap; sign-in: server info again with the Basic
//                  header, refused by Admin when it has no `user`
//   session        server info (project_name, capabilities), every page of /permissions
//                  filtered with exclude_resource_name=record,group (the sidebar and every
//                  create/edit button depend on it), /__heartbeat__ (no false value)
//   sidebar        buckets list, then one batch with each bucket's collections list (the
//                  user's default bucket addressed as "default"); `data` of each subresponse
//   bucket forms   create (If-None-Match: *), attributes (object read), update with the
//                  read last_modified (If-Match), permissions read and replace (If-Match),
//                  delete; collections and groups lists (_limit=200)
//   collection     create with schema/uiSchema/displayFields/sort, read, update, permissions,
//                  delete; records list (_sort, _limit=200, Next-Page) with HEAD
//                  Total-Records, one record read, create (one and bulk), update, permission
//                  replace, delete with If-Match
//   groups         create with members, read, update, permissions, delete
//   permissions    another user's sidebar built from /permissions alone
//   history        bucket (exclude_resource_name=record), collection, record and group
//                  history; the previous version of an entry (uri, _before, _limit=1); the
//                  collection snapshot (listRecords at a timestamp): only with the `history`
//                  capability (the build's history plugin), skipped otherwise
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { basic, loadClients, req, startServer, uid } from './lib/clients.js';

let K;
let srv;
let server; // the server URL as Admin derives it
const calls = []; // every request the replay sent: { method, path, status, headers }

const ALICE = uid('alice');
const BOB = uid('bob');
const ACCOUNT = uid('acc');
let alice; // Admin's client, signed in as alice (basicauth)
let aliceInfo; // server info as signed in
let bob;
let bobId;
const bid = uid('blog');
const cid = 'articles';
const gid = 'editors';

before(async () => {
  K = await loadClients();
  srv = await startServer({
    workers: 2,
    settings: {
      'kinto.includes':
        'kinto.plugins.admin kinto.plugins.accounts kinto.plugins.default_bucket kinto.plugins.history',
      'multiauth.policies': 'account basicauth',
      'multiauth.policy.account.use': 'kinto.plugins.accounts.authentication.AccountsPolicy',
      'kinto.account_create_principals': 'system.Everyone',
      'kinto.experimental_collection_schema_validation': 'true',
    },
  });
});
after(async () => {
  await srv?.stop();
});

// --- Admin's client --------------------------------------------------------------------

// Admin's fetch wrapper retries reads on 5xx; here every request is recorded instead.
async function recordingFetch(url, options = {}) {
  const r = await fetch(url, options);
  const u = new URL(url);
  calls.push({
    method: (options.method || 'GET').toUpperCase(),
    path: decodeURIComponent(u.pathname.replace(/^\/v1/, '') + u.search),
    status: r.status,
    headers: Object.fromEntries(new Headers(options.headers || {}).entries()),
  });
  return r;
}

// As Admin's setupClient: the Authorization header (undefined when anonymous), 30 s, 1 retry.
function adminClient(authorization) {
  return new K.KintoJsHttp(server, {
    headers: { Authorization: authorization },
    timeout: 30000,
    retry: 1,
    fetchFunc: recordingFetch,
  });
}

// The calls made by fn, as "METHOD path".
async function during(fn) {
  const start = calls.length;
  const result = await fn();
  return { result, sent: calls.slice(start) };
}

async function fails(promise, status) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected HTTP ${status}, the call succeeded`);
  assert.equal(err.response?.status, status, err.message);
  return err;
}

// Admin's session: the /permissions entries of the sidebar and the buttons.
async function sessionPermissions(client) {
  const { data } = await client.listPermissions({
    pages: Infinity,
    filters: { exclude_resource_name: 'record,group' },
  });
  return data;
}

// permission.tsx in our words: what the entries allow.
const entry = (perms, resource, fields) =>
  perms.find((p) => p.resource_name === resource && Object.entries(fields).every(([k, v]) => p[k] === v));
const can = (perms, resource, fields, perm) => Boolean(entry(perms, resource, fields)?.permissions.includes(perm));

// --- sign-in ------------------------------------------------------------------------------

test('Admin sign-in page: server URL from the admin location, auth methods from capabilities', async () => {
  // /v1/admin -> /v1/admin/, where the release's page is; Admin cuts its address at "/admin/"
  const r = await req(srv, 'GET', '/admin');
  assert.equal(r.status, 307);
  const page = new URL(r.headers.get('location'));
  server = page.toString().split('/admin/')[0];
  assert.equal(server, srv.url);

  const info = await adminClient(undefined).fetchServerInfo();
  assert.equal(info.project_name, 'kinto'); // Admin shows "Kinto"
  assert.equal(typeof info.project_version, 'string');
  assert.ok(info.url.endsWith('/v1/'));
  const methods = ['basicauth', 'accounts', 'ldap'].filter((m) => m in info.capabilities);
  assert.deepEqual(methods, ['basicauth', 'accounts']);
  assert.ok('permissions_endpoint' in info.capabilities);
  assert.equal(info.capabilities.admin.url, 'https://github.com/Kinto/kinto-admin/');
  assert.equal(info.user, undefined);
});

test('Admin sign-in with Basic Auth and with an account: server info has `user`', async () => {
  alice = adminClient(basic(ALICE, 'secret'));
  aliceInfo = await alice.fetchServerInfo();
  assert.match(aliceInfo.user.id, /^basicauth:/);
  assert.ok(aliceInfo.user.principals.includes('system.Authenticated'));
  assert.match(aliceInfo.user.bucket, /^[0-9a-f-]{36}$/); // default bucket (sidebar's "default")
  bob = adminClient(basic(BOB, 'secret'));
  bobId = (await bob.fetchServerInfo()).user.id;

  await req(srv, 'PUT', `/accounts/${ACCOUNT}`, { body: { data: { password: 'pw-1' } } });
  const acc = await adminClient(basic(ACCOUNT, 'pw-1')).fetchServerInfo();
  assert.equal(acc.user.id, `account:${ACCOUNT}`);
  // a wrong account password falls through to the basicauth policy, as upstream's multiauth
  const wrong = await adminClient(basic(ACCOUNT, 'nope')).fetchServerInfo();
  assert.match(wrong.user.id, /^basicauth:/);
});

test('Admin session: /permissions (every page, exclude_resource_name=record,group), heartbeat', async () => {
  const { result: perms, sent } = await during(() => sessionPermissions(alice));
  assert.deepEqual(sent.map((c) => `${c.method} ${c.path} ${c.status}`), [
    'GET /permissions?exclude_resource_name=record,group&_sort=id 200',
  ]);
  // canCreateBucket: the root entry holds bucket:create. One root entry with both settings
  // grants, as upstream (one entry per URI): cinto once gave one "/" entry per grant when no
  // grant applied to objects, so a client taking the first "/" entry (this file's helper `can`)
  // saw account:create or bucket:create depending on the row order.
  assert.deepEqual(perms.filter((p) => p.uri === '/'), [
    { uri: '/', resource_name: 'root', permissions: ['account:create', 'bucket:create'] },
  ]);
  assert.ok(can(perms, 'root', {}, 'bucket:create'));
  const head = await req(srv, 'HEAD', '/permissions?resource_name=root', { auth: basic(ALICE, 'secret') });
  assert.equal(head.headers.get('total-records'), '1');
  const hb = await alice.execute({ path: '/__heartbeat__', headers: undefined });
  assert.equal(typeof hb, 'object');
  assert.ok(!Object.values(hb).some((v) => v === false), JSON.stringify(hb));
});

// --- buckets ----------------------------------------------------------------------------

test('Admin bucket create form, then the sidebar: buckets list and one batch of collections lists', async () => {
  const { sent } = await during(() => alice.createBucket(bid, { data: { title: 'Blog' }, safe: true }));
  assert.equal(sent[0].method, 'PUT');
  assert.equal(sent[0].path, `/buckets/${bid}`);
  assert.equal(sent[0].headers['if-none-match'], '*');
  assert.equal(sent[0].status, 201);
  // the user's default bucket exists once used
  await alice.bucket('default').getData();

  const buckets = (await alice.listBuckets()).data;
  assert.ok(buckets.some((b) => b.id === bid));
  const userBucket = aliceInfo.user.bucket;
  const batch = await alice.batch((b) => {
    for (const { id } of buckets) b.bucket(id === userBucket ? 'default' : id).listCollections();
  });
  assert.equal(batch.length, buckets.length);
  for (const sub of batch) assert.ok(Array.isArray(sub.body.data), JSON.stringify(sub));

  const perms = await sessionPermissions(alice);
  assert.ok(can(perms, 'bucket', { bucket_id: bid }, 'write')); // canEditBucket
  assert.ok(can(perms, 'bucket', { bucket_id: bid }, 'collection:create')); // canCreateCollection
  assert.ok(can(perms, 'bucket', { bucket_id: bid }, 'group:create')); // canCreateGroup
});

test('Admin bucket attributes and permissions forms: read, update and replace with If-Match', async () => {
  const bucket = alice.bucket(bid);
  const data = await bucket.getData();
  assert.equal(data.title, 'Blog');
  assert.equal(typeof data.last_modified, 'number');
  const acl = await bucket.getPermissions();
  assert.deepEqual(acl.write, [aliceInfo.user.id]);

  const { sent } = await during(() =>
    bucket.setData({ title: 'Blog!', last_modified: data.last_modified }, { safe: true }),
  );
  assert.equal(sent[0].method, 'PUT');
  assert.equal(sent[0].headers['if-match'], `"${data.last_modified}"`);
  assert.equal(sent[0].status, 200);
  // a stale form is refused (Admin shows the error)
  await fails(bucket.setData({ title: 'old', last_modified: data.last_modified }, { safe: true }), 412);

  const fresh = await bucket.getData();
  await bucket.setPermissions(
    { write: [aliceInfo.user.id], read: ['system.Authenticated'], 'collection:create': [], 'group:create': [] },
    { safe: true, last_modified: fresh.last_modified },
  );
  assert.deepEqual((await bucket.getPermissions()).read, ['system.Authenticated']);
});

// --- collections and records ---------------------------------------------------------------

const SCHEMA = {
  type: 'object',
  properties: { title: { type: 'string' }, stars: { type: 'integer' } },
  required: ['title'],
};

test('Admin collection forms: create with schema and display settings, list, read, update, permissions', async () => {
  const bucket = alice.bucket(bid);
  const form = {
    id: cid,
    schema: SCHEMA,
    uiSchema: { 'ui:order': ['title', 'stars'] },
    attachment: { enabled: false, required: false },
    displayFields: ['title'],
    sort: '-last_modified',
  };
  await bucket.createCollection(cid, { data: form, safe: true });
  const list = await bucket.listCollections({ limit: 200 });
  assert.deepEqual(list.data.map((c) => c.id), [cid]);
  assert.equal(list.hasNextPage, false);

  const coll = bucket.collection(cid);
  const data = await coll.getData();
  assert.deepEqual(data.schema, SCHEMA);
  assert.deepEqual(data.displayFields, ['title']);
  assert.equal(data.sort, '-last_modified');
  await coll.setData({ ...data, displayFields: ['title', 'stars'] }, { safe: true, last_modified: data.last_modified });
  const acl = await coll.getPermissions();
  assert.deepEqual(acl.write, [aliceInfo.user.id]);
  const after = await coll.getData();
  await coll.setPermissions(
    { write: [aliceInfo.user.id], read: [], 'record:create': ['system.Authenticated'] },
    { safe: true, last_modified: after.last_modified },
  );

  const perms = await sessionPermissions(alice);
  assert.ok(can(perms, 'collection', { bucket_id: bid, collection_id: cid }, 'write')); // canEditCollection
  assert.ok(can(perms, 'collection', { bucket_id: bid, collection_id: cid }, 'record:create'));
});

let recordId;

test('Admin records: create (one, bulk), list sorted with total, read, update, permissions, delete', async () => {
  const coll = alice.bucket(bid).collection(cid);
  const one = await coll.createRecord({ title: 'Hello', stars: 3 });
  recordId = one.data.id;
  for (const r of [{ title: 'B', stars: 1 }, { title: 'A', stars: 2 }]) await coll.createRecord(r); // bulk form
  // a record the schema refuses (Admin shows the 400)
  await fails(coll.createRecord({ stars: 'x' }), 400);

  const { result: page, sent } = await during(() => coll.listRecords({ sort: '-last_modified', limit: 200 }));
  assert.equal(sent[0].path, `/buckets/${bid}/collections/${cid}/records?_sort=-last_modified&_limit=200`);
  assert.equal(page.data.length, 3);
  assert.equal(page.hasNextPage, false);
  assert.equal(await coll.getTotalRecords(), 3);
  const byTitle = await coll.listRecords({ sort: 'title', limit: 200 });
  assert.deepEqual(byTitle.data.map((r) => r.title), ['A', 'B', 'Hello']);

  const rec = await coll.getRecord(recordId);
  assert.equal(rec.data.title, 'Hello');
  assert.deepEqual(rec.permissions.write, [aliceInfo.user.id]);
  await coll.updateRecord({ ...rec.data, title: 'Hello!', id: recordId }, { safe: true });
  const edited = await coll.getRecord(recordId);
  await coll.updateRecord(edited.data, {
    permissions: { read: [bobId], write: [aliceInfo.user.id] },
    safe: true,
    last_modified: edited.data.last_modified,
  });
  assert.deepEqual((await coll.getRecord(recordId)).permissions.read, [bobId]);

  const victim = byTitle.data[0];
  await coll.deleteRecord(victim.id, { safe: true, last_modified: victim.last_modified });
  assert.equal(await coll.getTotalRecords(), 2);
});

test('Admin records list pages through Next-Page (more than one page of 200 is the same path)', async () => {
  const coll = alice.bucket(bid).collection(cid);
  const first = await coll.listRecords({ sort: '-last_modified', limit: 1 });
  assert.equal(first.data.length, 1);
  assert.equal(first.hasNextPage, true);
  const second = await first.next();
  assert.equal(second.data.length, 1);
  assert.notEqual(second.data[0].id, first.data[0].id);
});

// --- groups -----------------------------------------------------------------------------

test('Admin group forms: create with members, list, read, update, permissions', async () => {
  const bucket = alice.bucket(bid);
  await bucket.createGroup(gid, [bobId], { data: { id: gid, members: [bobId], title: 'Editors' }, safe: true });
  const list = await bucket.listGroups({ limit: 200 });
  assert.deepEqual(list.data.map((g) => g.id), [gid]);
  const group = await bucket.getGroup(gid);
  assert.deepEqual(group.data.members, [bobId]);
  assert.equal(group.data.title, 'Editors');
  await bucket.updateGroup({ ...group.data, title: 'Editors!' }, { safe: true });
  const fresh = await bucket.getGroup(gid);
  await bucket.updateGroup(fresh.data, {
    permissions: { write: [aliceInfo.user.id], read: ['system.Authenticated'] },
    last_modified: fresh.data.last_modified,
    safe: true,
  });
  assert.deepEqual((await bucket.getGroup(gid)).permissions.read, ['system.Authenticated']);
  // the group reads the collection: its members get it through the group principal
  const coll = bucket.collection(cid);
  const data = await coll.getData();
  const acl = await coll.getPermissions();
  await coll.setPermissions({ ...acl, read: [`/buckets/${bid}/groups/${gid}`] }, { safe: true, last_modified: data.last_modified });
});

test("Admin permissions view: another user's sidebar comes from /permissions", async () => {
  const perms = await sessionPermissions(bob);
  const c = entry(perms, 'collection', { bucket_id: bid, collection_id: cid });
  assert.ok(c, JSON.stringify(perms));
  assert.deepEqual([...c.permissions].sort(), ['read', 'read:attributes', 'record:create']);
  assert.equal(c.uri, `/buckets/${bid}/collections/${cid}`);
  // read on the bucket through system.Authenticated: the bucket entry, read-only
  const b = entry(perms, 'bucket', { bucket_id: bid });
  assert.deepEqual([...b.permissions].sort(), ['read', 'read:attributes']);
  assert.ok(!can(perms, 'bucket', { bucket_id: bid }, 'write'));
  assert.ok(!perms.some((p) => p.resource_name === 'record' || p.resource_name === 'group'));
  // and bob reads what the sidebar offers
  const records = await bob.bucket(bid).collection(cid).listRecords({ sort: '-last_modified', limit: 200 });
  assert.equal(records.data.length, 2);
});

// --- history ----------------------------------------------------------------------------

test('Admin history tabs: bucket, collection, record, group; previous version; snapshot', async (t) => {
  if (!('history' in aliceInfo.capabilities)) {
    t.skip('no history capability in this build');
    return;
  }
  const bucket = alice.bucket(bid);
  const bh = await bucket.listHistory({
    limit: 200,
    sort: '-last_modified',
    filters: { resource_name: undefined, 'gt_target.data.last_modified': undefined, exclude_resource_name: 'record' },
  });
  assert.ok(bh.data.length > 0);
  assert.ok(!bh.data.some((e) => e.resource_name === 'record'));
  for (const e of bh.data) {
    for (const k of ['action', 'resource_name', 'uri', 'user_id', 'last_modified', 'target']) assert.ok(k in e, k);
    assert.ok(e.target.data, JSON.stringify(e));
  }
  const ch = await bucket.listHistory({ limit: 200, filters: { collection_id: cid } });
  assert.ok(ch.data.some((e) => e.resource_name === 'collection' && e.action === 'create'));
  const rh = await bucket.listHistory({ limit: 200, filters: { collection_id: cid, record_id: recordId } });
  assert.ok(rh.data.length >= 3); // create, update, permissions update
  assert.ok(rh.data.every((e) => e.record_id === recordId));
  const gh = await bucket.listHistory({ limit: 200, filters: { group_id: gid } });
  assert.ok(gh.data.some((e) => e.action === 'update'));
  // the row's "previous version": same uri, before it
  const latest = rh.data[0];
  const prev = await bucket.listHistory({ filters: { uri: latest.uri, _before: latest.last_modified }, limit: 1 });
  assert.equal(prev.data.length, 1);
  assert.ok(prev.data[0].last_modified < latest.last_modified);
  // the collection as it was at an entry's timestamp (Admin's link on each row)
  const snap = await bucket.collection(cid).listRecords({ at: latest.last_modified });
  assert.ok(snap.data.some((r) => r.id === recordId && r.title === 'Hello!'), JSON.stringify(snap));
  createEntry = rh.data[rh.data.length - 1];
});

let createEntry;

// Admin links every history row to the snapshot at that row's timestamp. The record's own
// timestamp can be one millisecond after its creation entry's (the records list and the
// history list keep separate clocks), and the snapshot then leaves the record out.
test('Admin history: the snapshot at a creation entry shows the created record', async (t) => {
  if (!createEntry) {
    t.skip('no history capability in this build');
    return;
  }
  const snap = await alice.bucket(bid).collection(cid).listRecords({ at: createEntry.last_modified });
  assert.ok(snap.data.some((r) => r.id === recordId), JSON.stringify({ entry: createEntry, snap }));
});

// --- deletes ----------------------------------------------------------------------------

test('Admin delete forms: group, collection, bucket; they leave the sidebar', async () => {
  const bucket = alice.bucket(bid);
  await bucket.deleteGroup(gid);
  await bucket.deleteCollection(cid);
  let perms = await sessionPermissions(alice);
  assert.equal(entry(perms, 'collection', { bucket_id: bid, collection_id: cid }), undefined);
  await alice.deleteBucket(bid);
  perms = await sessionPermissions(alice);
  assert.equal(entry(perms, 'bucket', { bucket_id: bid }), undefined);
  assert.ok(!(await alice.listBuckets()).data.some((b) => b.id === bid));
  assert.deepEqual(await sessionPermissions(bob).then((p) => p.filter((e) => e.bucket_id === bid)), []);
});

test('the replay never met a server error', () => {
  assert.ok(calls.length > 40);
  const bad = calls.filter((c) => c.status >= 500);
  assert.deepEqual(bad, []);
});
