// The real kinto-http client (npm, pinned in package.json) against cinto: server info, buckets,
// collections, records, `since`, pagination, safe writes and their 412s, deletes and
// tombstones, permissions (incl. the unescaped json-patch paths of addPermissions), batch
// (incl. chunking and aggregation) and groups. Test names start with the spec feature ids.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { authHeaders, loadClients, startServer, uid } from './lib/clients.js';

let K; // the loaded clients
let S; // defaults (+ optional plugins that only switch capabilities on)
let P; // kinto.paginate_by = 2
const ALICE = uid('alice');
const BOB = uid('bob');
let aliceId;
let bobId;

before(async () => {
  K = await loadClients();
  [S, P] = await Promise.all([
    startServer({
      workers: 2,
      settings: {
        // capabilities kinto-http has methods for; tests skip when the server lacks them
        'kinto.experimental_permissions_endpoint': 'true',
        'kinto.includes': 'kinto.plugins.history',
      },
    }),
    startServer({ workers: 1, settings: { 'kinto.paginate_by': '2' } }),
  ]);
  aliceId = (await client(S, ALICE).fetchUser()).id;
  bobId = (await client(S, BOB).fetchUser()).id;
});
after(async () => {
  await Promise.all([S?.stop(), P?.stop()]);
});

// --- helpers -------------------------------------------------------------

function client(srv, user, opts = {}) {
  return new K.KintoClient(srv.url, { headers: user ? authHeaders(user) : {}, ...opts });
}

// Awaits a kinto-http call that must fail with an HTTP error; returns the error body.
async function fails(promise, status, errno) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected HTTP ${status}, the call succeeded`);
  assert.ok(err.response && 'data' in err, `expected kinto-http's ServerResponse error, got ${err.stack}`);
  assert.equal(err.response.status, status, `${err.message} ${JSON.stringify(err.data)}`);
  if (errno !== undefined) assert.equal(err.data?.errno, errno, JSON.stringify(err.data));
  return err.data;
}

// A fresh bucket with one collection owned by `user`; returns the kinto-http objects.
async function fixture(srv, user = ALICE, cid = 'c') {
  const api = client(srv, user);
  const bid = uid('b');
  await api.createBucket(bid);
  await api.bucket(bid).createCollection(cid);
  return { api, bid, bucket: api.bucket(bid), coll: api.bucket(bid).collection(cid) };
}

const ids = (list) => list.map((r) => r.id).sort();

// --- server info -----------------------------------------------------------

test('SRV-1 / SRV-2 kinto-http: fetchServerInfo, settings, capabilities, user, API version', async () => {
  const api = client(S, ALICE);
  const info = await api.fetchServerInfo();
  assert.equal(info.http_api_version, '1.23');
  assert.equal(info.project_name, 'kinto');
  assert.match(info.url, /\/v1\/$/);
  const settings = await api.fetchServerSettings();
  assert.equal(settings.batch_max_requests, 25);
  assert.equal(settings.readonly, false);
  const caps = await api.fetchServerCapabilities();
  assert.equal(typeof caps, 'object');
  assert.ok(caps.basicauth, JSON.stringify(caps));
  assert.equal(await api.fetchHTTPApiVersion(), '1.23');

  const user = await api.fetchUser();
  assert.match(user.id, /^basicauth:[0-9a-f]{64}$/);
  assert.ok(user.principals.includes('system.Authenticated'));
  assert.ok(user.principals.includes('system.Everyone'));
  assert.equal(await client(S, null).fetchUser(), undefined, 'anonymous: no user in the hello');
});

// --- buckets and collections -----------------------------------------------

test('OBJ-4 / OBJ-5 / OBJ-11 kinto-http: buckets and collections (create, safe create, get/set data, list, delete)', async () => {
  const api = client(S, ALICE);
  const bid = uid('b');
  const created = await api.createBucket(bid, { data: { label: 'first' }, permissions: { read: ['system.Authenticated'] } });
  assert.equal(created.data.id, bid);
  assert.equal(created.data.label, 'first');
  assert.ok(created.permissions.write.includes(aliceId), 'creator gets write');
  assert.deepEqual(created.permissions.read, ['system.Authenticated']);
  // safe create of an existing bucket: If-None-Match: * → 412
  await fails(api.createBucket(bid, { safe: true }), 412, 114);

  const bucket = api.bucket(bid);
  assert.equal((await bucket.getData()).label, 'first');
  const patched = await bucket.setData({ extra: 1 }, { patch: true });
  assert.equal(patched.data.label, 'first');
  assert.equal(patched.data.extra, 1);
  const listed = await api.listBuckets();
  assert.ok(listed.data.some((b) => b.id === bid));

  const coll = await bucket.createCollection('tasks', { data: { kind: 'todo' } });
  assert.equal(coll.data.id, 'tasks');
  assert.equal(coll.data.kind, 'todo');
  await bucket.createCollection('other');
  const colls = await bucket.listCollections();
  assert.deepEqual(ids(colls.data), ['other', 'tasks']);
  const ts = await bucket.getCollectionsTimestamp();
  assert.match(ts, /^"\d+"$/);
  assert.equal(Number(ts.replace(/"/g, '')), Math.max(...colls.data.map((c) => c.last_modified)));

  const tasks = bucket.collection('tasks');
  const meta = await tasks.getData();
  assert.equal(meta.kind, 'todo');
  // safe setData with a stale last_modified → 412 with the stored version
  const stale = await fails(tasks.setData({ kind: 'x', last_modified: meta.last_modified - 1 }, { safe: true }), 412, 114);
  assert.equal(stale.details.existing.last_modified, meta.last_modified);
  const set = await tasks.setData({ kind: 'done', last_modified: meta.last_modified }, { safe: true });
  assert.equal(set.data.kind, 'done');
  assert.ok(set.data.last_modified > meta.last_modified);

  const del = await bucket.deleteCollection('other');
  assert.equal(del.data.deleted, true);
  assert.deepEqual(ids((await bucket.listCollections()).data), ['tasks']);
  await fails(bucket.collection('other').getData(), 404, 110);

  await api.deleteBucket(bid);
  await fails(api.bucket(bid).getData(), 403); // gone: nobody may read a missing bucket
});

// --- records ---------------------------------------------------------------

test('LIST-1 / LIST-12 / LIST-18 kinto-http: createRecord, getRecord, listRecords with since, filters, totals', async () => {
  const { coll } = await fixture(S);
  const made = [];
  for (const title of ['a', 'b', 'c']) made.push((await coll.createRecord({ title, n: made.length })).data);
  assert.ok(made.every((r) => typeof r.id === 'string' && r.id.length === 36), 'server-generated UUIDs');
  assert.ok(made[0].last_modified < made[1].last_modified && made[1].last_modified < made[2].last_modified);

  const all = await coll.listRecords();
  assert.deepEqual(all.data.map((r) => r.id), made.map((r) => r.id).reverse(), 'default order -last_modified');
  assert.equal(all.last_modified, String(made[2].last_modified), 'ETag, quotes stripped');
  assert.equal(all.hasNextPage, false);
  assert.equal((await coll.getRecord(made[1].id)).data.title, 'b');
  assert.equal(await coll.getTotalRecords(), 3);
  assert.equal(await coll.getRecordsTimestamp(), `"${made[2].last_modified}"`);

  const since = all.last_modified;
  const added = (await coll.createRecord({ title: 'd' })).data;
  const updated = (await coll.updateRecord({ ...made[0], title: 'A' })).data;
  const deleted = (await coll.deleteRecord(made[1].id)).data;
  assert.equal(deleted.deleted, true);
  const changes = await coll.listRecords({ since });
  assert.deepEqual(
    changes.data.map((r) => r.id),
    [deleted.id, updated.id, added.id],
    'only changes after `since`, newest first, tombstone included',
  );
  assert.deepEqual(changes.data[0], { id: deleted.id, last_modified: deleted.last_modified, deleted: true });
  assert.equal(changes.last_modified, String(deleted.last_modified));
  assert.deepEqual((await coll.listRecords({ since: changes.last_modified })).data, []);
  // `since` given quoted, as an ETag (kinto.js keeps it unquoted; both must work)
  assert.equal((await coll.listRecords({ since: `"${since}"` })).data.length, 3);

  const filtered = await coll.listRecords({ filters: { title: 'c' } });
  assert.deepEqual(filtered.data.map((r) => r.title), ['c']);
  const sorted = await coll.listRecords({ sort: 'title' });
  assert.deepEqual(sorted.data.map((r) => r.title), ['A', 'c', 'd']);
  const projected = await coll.listRecords({ fields: ['title'], sort: 'title' });
  assert.deepEqual(Object.keys(projected.data[0]).sort(), ['id', 'last_modified', 'title']);
  assert.equal(await coll.getTotalRecords(), 3);
});

test('LIST-15 / LIST-16 kinto-http: pagination with paginate_by = 2 (pages, next(), since, limit)', async () => {
  const { coll } = await fixture(P);
  await coll.batch((b) => {
    for (let i = 0; i < 7; i++) b.createRecord({ id: `r${i}`, i });
  });
  const first = await coll.listRecords();
  assert.equal(first.data.length, 2);
  assert.equal(first.hasNextPage, true);
  const second = await first.next();
  assert.equal(second.data.length, 2);
  assert.ok(second.data.every((r) => !first.data.some((f) => f.id === r.id)), 'no overlap between pages');

  const everything = await coll.listRecords({ pages: Infinity });
  assert.deepEqual(ids(everything.data), ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
  assert.equal(everything.hasNextPage, false);
  const max = Math.max(...everything.data.map((r) => r.last_modified));
  assert.equal(everything.last_modified, String(max), 'the last page carries the list ETag');
  assert.equal((await coll.listRecords({ pages: 2 })).data.length, 4);
  assert.equal((await coll.listRecords({ limit: 1, pages: Infinity })).data.length, 7, '_limit=1 pages');
  assert.equal((await coll.listRecords({ sort: 'i', pages: Infinity })).data.map((r) => r.i).join(), '0,1,2,3,4,5,6');
  assert.equal(await coll.getTotalRecords(), 7);

  // changes since the list ETag, over several pages
  const since = everything.last_modified;
  await coll.batch((b) => {
    b.updateRecord({ id: 'r0', i: 10 });
    b.updateRecord({ id: 'r3', i: 13 });
    b.deleteRecord('r5');
    b.createRecord({ id: 'r7', i: 7 });
    b.createRecord({ id: 'r8', i: 8 });
  });
  const changes = await coll.listRecords({ since, pages: Infinity });
  assert.deepEqual(ids(changes.data), ['r0', 'r3', 'r5', 'r7', 'r8']);
  assert.equal(changes.data.find((r) => r.id === 'r5').deleted, true);
  const last = Math.max(...changes.data.map((r) => r.last_modified));
  assert.equal(changes.last_modified, String(last));
  // buckets and collections paginate too
  const api = coll.client;
  const bid = uid('pb');
  await api.createBucket(bid);
  await api.bucket(bid).batch((b) => {
    for (let i = 0; i < 5; i++) b.createCollection(`c${i}`);
  });
  assert.equal((await api.bucket(bid).listCollections({ pages: Infinity })).data.length, 5);
});

test('OBJ-11 / WRITE-6 / WRITE-7 kinto-http: safe updates (If-Match), conflicts carry the stored record, patch', async () => {
  const { coll } = await fixture(S);
  const v1 = (await coll.createRecord({ title: 'v1', tags: ['x'] })).data;
  const v2 = (await coll.updateRecord({ ...v1, title: 'v2' }, { safe: true })).data;
  assert.equal(v2.title, 'v2');
  assert.ok(v2.last_modified > v1.last_modified);

  // stale If-Match → 412, details.existing = the stored version, without permissions
  const conflict = await fails(coll.updateRecord({ ...v1, title: 'stale' }, { safe: true }), 412, 114);
  assert.deepEqual(conflict.details.existing, v2);
  assert.equal(conflict.details.existing.permissions, undefined);
  assert.equal((await coll.getRecord(v1.id)).data.title, 'v2', 'refused update changed nothing');
  // last_modified given as an option instead of in the record
  await fails(coll.updateRecord({ id: v1.id, title: 'stale' }, { safe: true, last_modified: v1.last_modified }), 412, 114);
  const v3 = (await coll.updateRecord({ id: v1.id, title: 'v3' }, { safe: true, last_modified: v2.last_modified })).data;
  assert.deepEqual(v3.tags, undefined, 'PUT replaces the record');

  // unsafe update ignores a stale last_modified (kinto.js sends it; 09 §9.10 item 3)
  const v4 = (await coll.updateRecord({ ...v1, title: 'v4' })).data;
  assert.equal(v4.title, 'v4');
  assert.ok(v4.last_modified > v3.last_modified);

  // patch: shallow merge
  const v5 = (await coll.updateRecord({ id: v1.id, extra: true }, { patch: true })).data;
  assert.equal(v5.title, 'v4');
  assert.equal(v5.extra, true);

  // safe create over an existing id: If-None-Match: * → 412 with the record
  const exists = await fails(coll.createRecord({ id: v1.id, title: 'dup' }, { safe: true }), 412, 114);
  assert.equal(exists.details.existing.title, 'v4');
  // safe update of a record that does not exist yet (no last_modified) creates it
  const fresh = await coll.updateRecord({ id: 'fresh', title: 'new' }, { safe: true });
  assert.equal(fresh.data.id, 'fresh');
  // and a second one with If-None-Match fails
  await fails(coll.updateRecord({ id: 'fresh', title: 'again' }, { safe: true }), 412, 114);
});

test('OBJ-15 / OBJ-16 / LIST-19 kinto-http: deleteRecord, tombstones, safe delete, re-creation, deleteRecords', async () => {
  const { coll } = await fixture(S);
  const a = (await coll.createRecord({ id: 'a', n: 1 })).data;
  const b = (await coll.createRecord({ id: 'b', n: 2 })).data;
  const since = String(b.last_modified);

  const gone = await coll.deleteRecord('a');
  assert.deepEqual(Object.keys(gone.data).sort(), ['deleted', 'id', 'last_modified']);
  assert.equal(gone.data.deleted, true);
  assert.ok(gone.data.last_modified > b.last_modified);
  await fails(coll.getRecord('a'), 404, 110);
  await fails(coll.deleteRecord('a'), 404, 110);

  // safe delete: stale → 412, current → ok
  const b2 = (await coll.updateRecord({ ...b, n: 3 })).data;
  const conflict = await fails(coll.deleteRecord(b, { safe: true }), 412, 114);
  assert.equal(conflict.details.existing.last_modified, b2.last_modified);
  const goneB = (await coll.deleteRecord(b2, { safe: true })).data;
  assert.equal(goneB.deleted, true);

  const changes = await coll.listRecords({ since });
  assert.deepEqual(
    changes.data.map((r) => [r.id, r.deleted === true]),
    [['b', true], ['a', true]],
  );
  assert.deepEqual((await coll.listRecords()).data, [], 'tombstones are not listed without since');

  // re-creation over a tombstone, safe (If-None-Match: *) → created
  const again = (await coll.createRecord({ id: 'a', n: 4 }, { safe: true })).data;
  assert.equal(again.n, 4);
  assert.ok(again.last_modified > goneB.last_modified);
  assert.ok(a.last_modified < again.last_modified);

  // plural delete
  await coll.createRecord({ id: 'c', n: 5 });
  const wiped = await coll.deleteRecords();
  assert.deepEqual(ids(wiped.data), ['a', 'c']);
  assert.ok(wiped.data.every((r) => r.deleted === true));
  assert.deepEqual((await coll.listRecords()).data, []);
});

// --- permissions -------------------------------------------------------------

test('PERM-2 / PERM-4 / WRITE-9 kinto-http: set/add/removePermissions with group principals (unescaped json-patch paths)', async () => {
  const { bid, bucket, coll } = await fixture(S);
  await coll.createRecord({ id: 'r1', secret: 1 });
  const group = `/buckets/${bid}/groups/readers`;
  const created = await bucket.createGroup('readers', [bobId]);
  assert.deepEqual(created.data.members, [bobId]);

  const bobColl = client(S, BOB).bucket(bid).collection('c');
  await fails(bobColl.listRecords(), 403);
  await fails(bobColl.getRecord('r1'), 403);

  // addPermissions sends [{op: "add", path: "/permissions/read//buckets/<b>/groups/readers"}]:
  // no value, the principal not escaped (RFC 6901 would want ~1 for each "/"; D7)
  const sent = [];
  const recording = client(S, ALICE, {
    fetchFunc: (url, init) => {
      sent.push(init);
      return fetch(url, init);
    },
  });
  await recording.bucket(bid).collection('c').addPermissions({ read: [group] });
  assert.equal(sent.length, 1);
  assert.equal(new Headers(sent[0].headers).get('content-type'), 'application/json-patch+json');
  assert.deepEqual(JSON.parse(sent[0].body), [{ op: 'add', path: `/permissions/read/${group}` }]);
  let perms = await coll.getPermissions();
  assert.ok(perms.read.includes(group), JSON.stringify(perms));
  assert.ok(perms.write.includes(aliceId), 'write kept');
  assert.deepEqual((await bobColl.listRecords()).data.map((r) => r.id), ['r1']);
  assert.equal((await bobColl.getRecord('r1')).data.secret, 1);

  await coll.removePermissions({ read: [group] });
  perms = await coll.getPermissions();
  assert.ok(!(perms.read ?? []).includes(group), JSON.stringify(perms));
  await fails(bobColl.listRecords(), 403);

  // bucket level, a permission name with a colon, sent by kinto.js's own copy of the HTTP
  // client this time; members change through updateGroup
  const kjsHttp = new K.KintoJsHttp(S.url, { headers: authHeaders(ALICE) });
  await kjsHttp.bucket(bid).addPermissions({ 'collection:create': [group], read: [group] });
  const bobBucket = client(S, BOB).bucket(bid);
  const bobColl2 = await bobBucket.createCollection('bobs');
  assert.ok(bobColl2.permissions.write.includes(bobId));
  assert.equal((await bobBucket.collection('c').listRecords()).data.length, 1, 'bucket read inherited');
  const g = (await bucket.getGroup('readers')).data;
  await bucket.updateGroup({ ...g, members: [] }, { safe: true });
  await fails(bobBucket.collection('c').listRecords(), 403);
  await fails(bobBucket.createCollection('more'), 403);

  // setPermissions replaces the ACL and keeps the data (PUT without data)
  await coll.setData({ label: 'kept' });
  await coll.setPermissions({ read: ['system.Authenticated'], write: [aliceId] });
  assert.equal((await coll.getData()).label, 'kept');
  perms = await coll.getPermissions();
  assert.deepEqual(perms.read, ['system.Authenticated']);
  assert.deepEqual(perms.write, [aliceId]);
  assert.equal((await bobColl.listRecords()).data.length, 1);

  // record-level permissions: bob (no collection read now) sees only what is shared with him
  await coll.setPermissions({ write: [aliceId] });
  await coll.createRecord({ id: 'shared', x: 1 }, { permissions: { read: [bobId] } });
  assert.deepEqual((await bobColl.listRecords()).data.map((r) => r.id), ['shared']);
  await fails(bobColl.getRecord('r1'), 403);
  // record permissions given with updateRecord
  await coll.updateRecord({ id: 'r1', secret: 2 }, { permissions: { read: [bobId] } });
  assert.deepEqual(ids((await bobColl.listRecords()).data), ['r1', 'shared']);
  assert.equal((await bobColl.getRecord('r1')).data.secret, 2);
});

// --- batch ---------------------------------------------------------------------

test('BATCH-1 / BATCH-2 / SYNC-6 kinto-http: client.batch responses in order, aggregate, chunking', async () => {
  const api = client(S, ALICE);
  const bid = uid('bb');
  const responses = await api.batch((b) => {
    b.createBucket(bid);
    b.bucket(bid).createCollection('c');
    b.bucket(bid).collection('c').createRecord({ id: 'r1', n: 1 });
    b.bucket(bid).collection('c').createRecord({ id: 'r2', n: 2 });
    b.bucket(bid).createGroup('g', [bobId]);
  });
  assert.deepEqual(responses.map((r) => r.status), [201, 201, 201, 201, 201]);
  assert.deepEqual(responses.map((r) => r.body.data.id), [bid, 'c', 'r1', 'r2', 'g']);
  assert.ok(responses[2].body.data.last_modified < responses[3].body.data.last_modified);
  assert.match(responses[0].path, new RegExp(`/buckets/${bid}$`));
  const coll = api.bucket(bid).collection('c');

  // aggregate as kinto.js uses it: published / conflicts / skipped / errors
  const r1 = (await coll.getRecord('r1')).data;
  const agg = await coll.batch(
    (b) => {
      b.createRecord({ id: 'r3', n: 3 }); // new: published
      b.createRecord({ id: 'r1', n: 9 }); // exists, If-None-Match: * → conflict
      b.updateRecord({ ...r1, n: 10 }); // current If-Match → published
      b.updateRecord({ ...r1, n: 11 }); // now stale → conflict
      b.deleteRecord({ id: 'nope', last_modified: 1 }); // missing → skipped
      b.createRecord({ id: 'bad.id', n: 0 }); // invalid id → error (400)
    },
    { safe: true, aggregate: true },
  );
  assert.deepEqual(agg.published.map((p) => p.data.id), ['r3', 'r1']);
  assert.equal(agg.published[1].data.n, 10);
  assert.equal(agg.conflicts.length, 2);
  assert.equal(agg.conflicts[0].remote.n, 1, 'conflict on create carries the stored record');
  assert.equal(agg.conflicts[1].remote.n, 10, 'conflict on update carries the record as of that subrequest');
  assert.deepEqual(agg.skipped.map((s) => s.id), ['nope']);
  assert.equal(agg.errors.length, 1);
  assert.equal(agg.errors[0].error.code, 400);
  assert.equal((await coll.getRecord('r1')).data.n, 10);

  // more subrequests than batch_max_requests (25): kinto-http splits into chunks
  const many = await coll.batch((b) => {
    for (let i = 0; i < 30; i++) b.createRecord({ id: `m${String(i).padStart(2, '0')}`, i });
  });
  assert.equal(many.length, 30);
  assert.ok(many.every((r) => r.status === 201), JSON.stringify(many.filter((r) => r.status !== 201)).slice(0, 500));
  assert.equal(await coll.getTotalRecords(), 33);

  // bucket-scoped batch
  const bres = await api.bucket(bid).batch((b) => {
    b.createCollection('c2');
    b.collection('c2').createRecord({ id: 'x', v: 1 });
    b.deleteCollection('c2');
  });
  assert.deepEqual(bres.map((r) => r.status), [201, 201, 200]);
  assert.equal(bres[2].body.data.deleted, true);
});

// --- groups ------------------------------------------------------------------------

test('OBJ-1 / PERM-2 kinto-http: groups (create, get, list, update, delete, since)', async () => {
  const { bucket } = await fixture(S);
  const g1 = (await bucket.createGroup('editors', [aliceId, bobId], { data: { label: 'Editors' } })).data;
  assert.deepEqual(g1.members, [aliceId, bobId]);
  assert.equal(g1.label, 'Editors');
  await bucket.createGroup('empty');
  assert.deepEqual((await bucket.getGroup('empty')).data.members, []);
  const listed = await bucket.listGroups();
  assert.deepEqual(ids(listed.data), ['editors', 'empty']);
  const ts = await bucket.getGroupsTimestamp();
  assert.equal(ts, `"${Math.max(...listed.data.map((g) => g.last_modified))}"`);

  const since = String(Math.max(...listed.data.map((g) => g.last_modified)));
  const upd = (await bucket.updateGroup({ ...g1, members: [bobId] }, { safe: true })).data;
  assert.deepEqual(upd.members, [bobId]);
  assert.equal(upd.label, 'Editors');
  await fails(bucket.updateGroup({ ...g1, members: [] }, { safe: true }), 412, 114);
  await bucket.deleteGroup('empty');
  await fails(bucket.getGroup('empty'), 404, 110);
  const changes = await bucket.listGroups({ since });
  assert.deepEqual(
    changes.data.map((g) => [g.id, g.deleted === true]).sort(),
    [['editors', false], ['empty', true]],
  );
  // members must be a list of strings
  await fails(bucket.createGroup('broken', 'not-a-list'), 400, 107);
});

// --- optional features (only when the server advertises them) ----------------------

test('PERM-10 kinto-http: listPermissions (when permissions_endpoint is advertised)', async (t) => {
  const api = client(S, ALICE);
  const caps = await api.fetchServerCapabilities();
  if (!caps.permissions_endpoint) {
    t.skip('server does not advertise permissions_endpoint');
    return;
  }
  const { bid } = await fixture(S);
  const perms = await api.listPermissions({ pages: Infinity });
  const mine = perms.data.filter((p) => p.bucket_id === bid);
  assert.ok(mine.some((p) => p.resource_name === 'bucket' && p.permissions.includes('write')), JSON.stringify(mine));
  assert.ok(mine.some((p) => p.resource_name === 'collection' && p.collection_id === 'c'), JSON.stringify(mine));
});

test('HIST-4 kinto-http: listHistory (when the history capability is advertised)', async (t) => {
  const api = client(S, ALICE);
  const caps = await api.fetchServerCapabilities();
  if (!caps.history) {
    t.skip('server does not advertise history');
    return;
  }
  const { bucket, coll } = await fixture(S);
  await coll.createRecord({ id: 'h1', v: 1 });
  await coll.updateRecord({ id: 'h1', v: 2 });
  const hist = await bucket.listHistory({ pages: Infinity });
  const rec = hist.data.filter((e) => e.resource_name === 'record' && e.record_id === 'h1');
  assert.deepEqual(rec.map((e) => e.action), ['update', 'create']);
});

test('ACCT-1 kinto-http: createAccount, then authenticate with it', async () => {
  const srv = await startServer({
    workers: 1,
    settings: {
      'kinto.includes': 'kinto.plugins.accounts',
      'multiauth.policies': 'account basicauth',
      'multiauth.policy.account.use': 'kinto.plugins.accounts.AccountsPolicy',
      'kinto.account_create_principals': 'system.Everyone',
    },
  });
  try {
    const anon = client(srv, null);
    const name = uid('acc');
    const created = await anon.createAccount(name, 's3cret');
    assert.equal(created.data.id, name);
    assert.notEqual(created.data.password, 's3cret', 'password is stored hashed');
    const me = new K.KintoClient(srv.url, { headers: authHeaders(name, 's3cret') });
    assert.equal((await me.fetchUser()).id, `account:${name}`);
    await fails(anon.createAccount(name, 'other'), 401); // existing account, anonymous (04 §4.12)
  } finally {
    await srv.stop();
  }
});

test('ATT-2 / ATT-3 kinto-http: addAttachment (record data and permissions), download of location, removeAttachment', async () => {
  const srv = await startServer({ workers: 1, settings: { 'kinto.includes': 'kinto_attachment' } });
  try {
    const { bid } = await fixture(srv);
    // kinto-http's README for Node: its multipart bodies (the form-data package) need
    // node-fetch, which writes them with their boundary (Node's own fetch does not).
    const nodeFetch = (await import('node-fetch')).default;
    const api = client(srv, ALICE, { fetchFunc: nodeFetch });
    const coll = api.bucket(bid).collection('c');
    const caps = await api.fetchServerCapabilities();
    assert.equal(caps.attachments.base_url, `${srv.origin}/attachments/`);
    const content = 'hello from kinto-http';
    const dataURI = `data:text/plain;name=hello.txt;base64,${Buffer.from(content).toString('base64')}`;
    const res = await coll.addAttachment(dataURI, { id: 'a1', title: 't' }, { permissions: { read: ['system.Everyone'] } });
    const rec = res.data ?? res;
    assert.equal(rec.title, 't');
    assert.equal(rec.attachment.filename, 'hello.txt');
    assert.equal(rec.attachment.size, content.length);
    assert.match(rec.attachment.mimetype, /^text\/plain/);
    const dl = await fetch(rec.attachment.location);
    assert.equal(dl.status, 200);
    assert.equal(await dl.text(), content);
    const full = await coll.getRecord('a1');
    assert.deepEqual(full.permissions.read, ['system.Everyone']);
    await coll.removeAttachment('a1');
    const after = await coll.getRecord('a1');
    assert.equal(after.data.attachment, null);
    // the file is gone from the folder (lighttpd's stat cache may serve it for a second more)
    const relative = rec.attachment.location.slice(`${srv.origin}/attachments/`.length);
    assert.equal(fs.existsSync(path.join(srv.attachmentsDir, relative)), false);
  } finally {
    await srv.stop();
  }
});

// Kinto Admin's record form (src/sagas/collection.ts createRecord/updateRecord, read upstream):
// it calls kinto-http's addAttachment with { safe: true }, so a creation carries
// If-None-Match: * and an update the record's last_modified as If-Match.
test('ATT-2 kinto-http as Kinto Admin calls it: safe creation and update, stale and duplicate refused', async () => {
  const srv = await startServer({ workers: 1, settings: { 'kinto.includes': 'kinto_attachment' } });
  try {
    const { bid } = await fixture(srv);
    const nodeFetch = (await import('node-fetch')).default;
    const api = client(srv, ALICE, { fetchFunc: nodeFetch });
    const coll = api.bucket(bid).collection('c');
    const file = (name, text) =>
      `data:text/plain;name=${name};base64,${Buffer.from(text).toString('base64')}`;
    const created = await coll.addAttachment(file('one.txt', 'first'), { id: 'adm', title: 'a' }, { safe: true });
    const rec1 = created.data ?? created;
    assert.equal(rec1.attachment.filename, 'one.txt');
    // the same creation again: the record exists, If-None-Match: * fails
    await assert.rejects(
      coll.addAttachment(file('dup.txt', 'dup'), { id: 'adm', title: 'dup' }, { safe: true }),
      (e) => e.data?.code === 412 || e.response?.status === 412 || /412|Precondition/.test(String(e)),
    );
    const current = (await coll.getRecord('adm')).data;
    // an update with the record's last_modified, as the admin's form sends it
    const updated = await coll.addAttachment(
      file('two.txt', 'second'),
      { id: 'adm', title: 'b', last_modified: current.last_modified },
      { safe: true },
    );
    const rec2 = updated.data ?? updated;
    assert.equal(rec2.title, 'b');
    assert.equal(rec2.attachment.filename, 'two.txt');
    assert.ok(rec2.last_modified > current.last_modified);
    // a stale last_modified is refused and changes nothing
    await assert.rejects(
      coll.addAttachment(file('three.txt', 'third'), { id: 'adm', title: 'c', last_modified: current.last_modified }, { safe: true }),
      (e) => e.data?.code === 412 || e.response?.status === 412 || /412|Precondition/.test(String(e)),
    );
    const after = (await coll.getRecord('adm')).data;
    assert.equal(after.title, 'b');
    assert.equal(after.attachment.filename, 'two.txt');
    const dl = await fetch(after.attachment.location);
    assert.equal(await dl.text(), 'second');
    // the replaced file is gone (keep_old_files is off)
    const relative = rec1.attachment.location.slice(`${srv.origin}/attachments/`.length);
    assert.equal(fs.existsSync(path.join(srv.attachmentsDir, relative)), false);
  } finally {
    await srv.stop();
  }
});
