// The real kinto.js (npm `kinto`, offline-first client, in-memory adapter) syncing against
// cinto: spec 09 §9.2 (SYNC-1) end to end with two or more "devices" on one collection —
// create/sync/see, updates and deletes as tombstones, conflicts with each strategy (incoming
// and outgoing), lastModified bookkeeping, pulls after server-side changes, pagination and
// batch chunking during sync, the pagination hazard (D11), re-creation/flush detection.
//
// Every fetch of this process goes through a recorder so the tests can check the exact requests
// kinto.js sends (09 §9.2) and inject a concurrent server-side write at a chosen request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { authHeaders, loadClients, req, startServer, uid } from './lib/clients.js';

let K; // the loaded clients
let Y; // paginate_by = 5, batch_max_requests = 10 (+ plugins kinto.js can use when present)
const ALICE = uid('alice');
const BOB = uid('bob');
const PAGE = 5;
const BATCH = 10;

// --- request recorder ------------------------------------------------------------------

let LOG = [];
let onRequest = null; // async (entry) => void, called before a request is sent
let inHook = false;
const realFetch = globalThis.fetch;

function parseBody(body) {
  if (typeof body !== 'string') return body ?? null;
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

async function recordingFetch(input, init = {}) {
  const url = new URL(typeof input === 'string' || input instanceof URL ? String(input) : input.url);
  const entry = {
    method: (init.method || 'GET').toUpperCase(),
    url,
    headers: new Headers(init.headers),
    body: parseBody(init.body),
  };
  if (!inHook) {
    LOG.push(entry);
    if (onRequest) {
      inHook = true;
      try {
        await onRequest(entry);
      } finally {
        inHook = false;
      }
    }
  }
  const res = await realFetch(input, init);
  entry.status = res.status;
  entry.etag = res.headers.get('etag');
  entry.nextPage = res.headers.get('next-page');
  if (entry.method === 'POST' && url.pathname === '/v1/batch') {
    entry.response = await res
      .clone()
      .json()
      .catch(() => null);
  }
  return res;
}

// Runs fn and returns what it resolved to and the requests it made (GET /v1/ excluded unless
// `all`).
async function recorded(fn, { all = false } = {}) {
  LOG = [];
  const value = await fn();
  const log = LOG.filter((e) => all || e.url.pathname !== '/v1/');
  LOG = [];
  return { value, log };
}

before(async () => {
  K = await loadClients();
  globalThis.fetch = recordingFetch; // before any client exists: they bind fetch when built
  Y = await startServer({
    workers: 2,
    settings: {
      'kinto.paginate_by': String(PAGE),
      'kinto.batch_max_requests': String(BATCH),
      // used only when advertised (tests skip otherwise)
      'kinto.includes': 'kinto.plugins.default_bucket kinto.plugins.flush',
    },
  });
});
after(async () => {
  globalThis.fetch = realFetch;
  await Y?.stop();
});

// --- helpers -------------------------------------------------------------------------------

function http(user = ALICE) {
  return new K.KintoClient(Y.url, { headers: authHeaders(user) });
}

// A fresh bucket and collection "c" owned by alice (kinto.js does not create them).
async function setup({ permissions } = {}) {
  const bid = uid('s');
  const api = http();
  await api.createBucket(bid);
  await api.bucket(bid).createCollection('c', permissions ? { permissions } : {});
  return { bid, remote: api.bucket(bid).collection('c') };
}

// One kinto.js "device": its own Kinto instance and in-memory local database. The adapter
// factory is called once per kinto.collection() call, so the collection object is kept.
function device(bid, user = ALICE, opts = {}) {
  const kinto = new K.Kinto({
    remote: Y.url,
    bucket: bid,
    headers: authHeaders(user),
    adapter: () => new K.MemoryAdapter(),
    retry: 0,
    timeout: 30000,
    ...opts,
  });
  return kinto.collection('c');
}

const STRATEGY = () => K.Kinto.syncStrategy;
const unquote = (etag) => Number(String(etag).replace(/"/g, ''));
const recordsPath = (bid) => `/v1/buckets/${bid}/collections/c/records`;
const isRecordsGet = (bid) => (e) => e.method === 'GET' && e.url.pathname === recordsPath(bid);
const sortedIds = (list) => list.map((r) => r.id).sort();

async function serverEtag(remote) {
  return unquote(await remote.getRecordsTimestamp());
}

async function localIds(coll) {
  return sortedIds((await coll.list()).data);
}

async function mustSync(coll, options) {
  const res = await coll.sync(options);
  assert.ok(res.ok, `sync not ok: conflicts ${JSON.stringify(res.conflicts)} errors ${JSON.stringify(res.errors)}`);
  return res;
}

// --- tests -----------------------------------------------------------------------------------

test('SYNC-1 kinto.js: request sequence of a first sync (09 §9.2); the other device then sees the record', async () => {
  const { bid, remote } = await setup();
  const A = device(bid);
  const B = device(bid);
  const rec = (await A.create({ title: 'hello', n: 1 })).data;
  assert.equal(rec._status, 'created');

  const { value: res, log } = await recorded(() => A.sync(), { all: true });
  assert.ok(res.ok, JSON.stringify(res.errors));
  assert.deepEqual(res.published.map((r) => r.id), [rec.id]);
  const seq = log.map((e) => `${e.method} ${e.url.pathname}`);
  assert.deepEqual(seq, [
    `GET /v1/buckets/${bid}/collections/c`,
    `GET ${recordsPath(bid)}`,
    'GET /v1/',
    'POST /v1/batch',
    `GET ${recordsPath(bid)}`,
  ]);
  for (const e of log) assert.equal(e.status, 200, `${e.method} ${e.url}`);
  assert.ok(log.every((e) => e.headers.get('authorization')), 'every request carries the credentials');

  // first pull: everything, newest first, no _since
  const pull1 = log[1];
  assert.equal(pull1.url.searchParams.get('_sort'), '-last_modified');
  assert.equal(pull1.url.searchParams.has('_since'), false);
  // push: PUT + If-None-Match: * per created record, defaults carry the headers
  const batch = log[3].body;
  assert.equal(batch.requests.length, 1);
  assert.equal(batch.requests[0].method, 'PUT');
  assert.equal(batch.requests[0].path, `/buckets/${bid}/collections/c/records/${rec.id}`);
  assert.equal(batch.requests[0].headers['If-None-Match'], '*');
  assert.deepEqual(batch.requests[0].body.data, { id: rec.id, title: 'hello', n: 1 });
  assert.ok(batch.defaults.headers.Authorization);
  // second pull: _since = ETag of the first pull, excluding what was just published
  const pull2 = log[4];
  assert.equal(pull2.url.searchParams.get('_since'), String(unquote(pull1.etag)));
  assert.equal(pull2.url.searchParams.get('exclude_id'), rec.id);

  const local = (await A.get(rec.id)).data;
  assert.equal(local._status, 'synced');
  const stored = (await remote.getRecord(rec.id)).data;
  assert.equal(local.last_modified, stored.last_modified);
  assert.equal(A.lastModified, unquote(pull2.etag), 'lastModified = ETag of the last pull');
  assert.equal(A.lastModified, await serverEtag(remote));

  const resB = await mustSync(B);
  assert.deepEqual(resB.created.map((r) => r.id), [rec.id]);
  const seen = (await B.get(rec.id)).data;
  assert.equal(seen.title, 'hello');
  assert.equal(seen._status, 'synced');
  assert.equal(seen.last_modified, stored.last_modified);
  assert.equal(B.lastModified, A.lastModified);
});

test('SYNC-1 / SYNC-4 kinto.js: updates and deletes propagate (If-Match on push, tombstones on pull), lastModified bookkeeping', async () => {
  const { bid, remote } = await setup();
  const A = device(bid);
  const B = device(bid);
  const made = [];
  for (const t of ['one', 'two', 'three']) made.push((await A.create({ title: t })).data);
  await mustSync(A);
  assert.equal((await mustSync(B)).created.length, 3);
  const before = Object.fromEntries((await A.list()).data.map((r) => [r.id, r]));

  const [one, two] = made;
  await A.update({ ...before[one.id], title: 'ONE' });
  await A.delete(two.id);
  const { value: resA, log } = await recorded(() => mustSync(A));
  assert.deepEqual(sortedIds(resA.published), sortedIds([one, two]));
  const push = log.find((e) => e.method === 'POST');
  const subs = push.body.requests;
  const del = subs.find((s) => s.method === 'DELETE');
  assert.equal(del.path, `/buckets/${bid}/collections/c/records/${two.id}`);
  assert.equal(del.headers['If-Match'], `"${before[two.id].last_modified}"`);
  const put = subs.find((s) => s.method === 'PUT');
  assert.equal(put.headers['If-Match'], `"${before[one.id].last_modified}"`);
  assert.equal(put.body.data.title, 'ONE');
  assert.equal((await remote.getRecord(one.id)).data.title, 'ONE');
  await assert.rejects(remote.getRecord(two.id), /404/);
  // the tombstone is what A keeps as the published result
  const tomb = resA.published.find((r) => r.id === two.id);
  assert.equal(tomb.deleted, true);

  const lmB = B.lastModified;
  const { value: resB, log: logB } = await recorded(() => mustSync(B));
  const pull = logB.filter(isRecordsGet(bid));
  assert.equal(pull.length, 1, 'nothing published: no second pull');
  assert.equal(pull[0].url.searchParams.get('_since'), String(lmB));
  assert.ok(!logB.some((e) => e.method === 'POST'), 'nothing to push: no batch');
  assert.deepEqual(resB.updated.map((u) => u.new.id), [one.id]);
  assert.deepEqual(resB.deleted.map((d) => d.id), [two.id]);
  assert.deepEqual(await localIds(B), sortedIds([one, made[2]]));
  assert.equal((await B.get(one.id)).data.title, 'ONE');
  await assert.rejects(B.get(two.id), /not found/i);
  assert.equal(B.lastModified, await serverEtag(remote));
  assert.equal(B.lastModified, A.lastModified);

  // nothing changed: one pull with _since = lastModified, empty, lastModified unchanged
  const lm = B.lastModified;
  const { value: idle, log: logIdle } = await recorded(() => mustSync(B));
  assert.deepEqual(logIdle.map((e) => e.method), ['GET', 'GET']);
  assert.equal(logIdle[1].url.searchParams.get('_since'), String(lm));
  assert.equal(idle.created.length + idle.updated.length + idle.deleted.length, 0);
  assert.equal(B.lastModified, lm);
});

test('SYNC-1 kinto.js: a sync after server-side changes made by another client pulls exactly them with _since', async () => {
  const { bid, remote } = await setup();
  const A = device(bid);
  const a1 = (await A.create({ v: 1 })).data;
  const a2 = (await A.create({ v: 2 })).data;
  await mustSync(A);
  const lm = A.lastModified;

  // another client (kinto-http) writes directly
  const added = (await remote.createRecord({ v: 3 })).data;
  await remote.updateRecord({ id: a1.id, v: 10 });
  await remote.deleteRecord(a2.id);
  const ghost = (await remote.createRecord({ v: 4 })).data;
  await remote.deleteRecord(ghost.id);

  const { value: res, log } = await recorded(() => mustSync(A));
  const pull = log.filter(isRecordsGet(bid));
  assert.equal(pull.length, 1);
  assert.equal(pull[0].url.searchParams.get('_since'), String(lm));
  assert.deepEqual(res.created.map((r) => r.id), [added.id]);
  assert.deepEqual(res.updated.map((u) => u.new.id), [a1.id]);
  assert.deepEqual(res.deleted.map((d) => d.id), [a2.id]);
  assert.deepEqual(res.skipped.map((s) => s.id), [ghost.id], 'tombstone of a record never seen: skipped');
  assert.deepEqual(await localIds(A), sortedIds([a1, added]));
  assert.equal((await A.get(a1.id)).data.v, 10);
  assert.equal(A.lastModified, await serverEtag(remote));
  assert.ok(A.lastModified > lm);
});

test('SYNC-1 kinto.js: concurrent edits, MANUAL strategy reports the conflict, keeps lastModified, resolve() then sync', async () => {
  const { bid, remote } = await setup();
  const A = device(bid);
  const B = device(bid);
  const rec = (await A.create({ title: 'base' })).data;
  await mustSync(A);
  await mustSync(B);

  await A.update({ ...(await A.get(rec.id)).data, title: 'from A' });
  await mustSync(A);
  await B.update({ ...(await B.get(rec.id)).data, title: 'from B' });
  const lmB = B.lastModified;

  const res = await B.sync(); // MANUAL
  assert.equal(res.ok, false);
  assert.equal(res.conflicts.length, 1);
  const [conflict] = res.conflicts;
  assert.equal(conflict.type, 'incoming');
  assert.equal(conflict.local.title, 'from B');
  assert.equal(conflict.remote.title, 'from A');
  assert.equal(B.lastModified, lmB, 'lastModified not persisted after a conflict');
  assert.equal((await remote.getRecord(rec.id)).data.title, 'from A', 'nothing pushed');

  await B.resolve(conflict, { ...conflict.local, title: 'merged' });
  const { value: res2, log } = await recorded(() => mustSync(B));
  const put = log.find((e) => e.method === 'POST').body.requests[0];
  assert.equal(put.headers['If-Match'], `"${conflict.remote.last_modified}"`, 'resolution pushed over the remote version');
  assert.deepEqual(res2.published.map((r) => r.title), ['merged']);
  assert.equal(B.lastModified, await serverEtag(remote));

  const resA = await mustSync(A);
  assert.deepEqual(resA.updated.map((u) => u.new.title), ['merged']);
  assert.equal((await A.get(rec.id)).data.title, 'merged');
});

test('SYNC-1 kinto.js: SERVER_WINS and CLIENT_WINS resolve incoming conflicts', async () => {
  const { bid, remote } = await setup();
  const A = device(bid);
  const B = device(bid);
  const x = (await A.create({ k: 'x', v: 0 })).data;
  const y = (await A.create({ k: 'y', v: 0 })).data;
  await mustSync(A);
  await mustSync(B);

  for (const id of [x.id, y.id]) await A.update({ ...(await A.get(id)).data, v: 'A' });
  await mustSync(A);
  await B.update({ ...(await B.get(x.id)).data, v: 'B' });

  // SERVER_WINS: B takes A's version, nothing of B's is pushed
  const sw = await B.sync({ strategy: STRATEGY().SERVER_WINS });
  assert.ok(sw.ok, JSON.stringify(sw.conflicts));
  assert.deepEqual(sw.resolved.map((r) => r.id), [x.id]);
  assert.equal((await B.get(x.id)).data.v, 'A');
  assert.equal((await B.get(x.id)).data._status, 'synced');
  assert.equal((await remote.getRecord(x.id)).data.v, 'A');
  assert.equal(B.lastModified, await serverEtag(remote));

  // CLIENT_WINS: B's version is pushed with If-Match = the remote version
  for (const id of [x.id, y.id]) await A.update({ ...(await A.get(id)).data, v: 'A2' });
  await mustSync(A);
  await B.update({ ...(await B.get(y.id)).data, v: 'B2' });
  const { value: cw, log } = await recorded(() => B.sync({ strategy: STRATEGY().CLIENT_WINS }));
  assert.ok(cw.ok, JSON.stringify(cw.conflicts));
  assert.deepEqual(cw.resolved.map((r) => r.id), [y.id]);
  const stored = (await remote.getRecord(y.id)).data;
  assert.equal(stored.v, 'B2');
  const pushes = log.filter((e) => e.method === 'POST');
  assert.ok(pushes.length >= 1);
  const sub = pushes.flatMap((p) => p.body.requests).find((s) => s.path.endsWith(`/records/${y.id}`));
  assert.ok(/^"\d+"$/.test(sub.headers['If-Match']), JSON.stringify(sub));
  assert.equal((await B.get(y.id)).data._status, 'synced');
  assert.equal((await B.get(y.id)).data.last_modified, stored.last_modified);
  assert.equal((await B.get(x.id)).data.v, 'A2', 'the other record was updated normally');

  const resA = await mustSync(A);
  assert.equal((await A.get(y.id)).data.v, 'B2');
  assert.ok(resA.updated.some((u) => u.new.id === y.id));
});

test('SYNC-5 / SYNC-6 kinto.js: a write between pull and push gives an outgoing conflict with details.existing', async () => {
  const { bid, remote } = await setup();
  const A = device(bid);
  const rec = (await A.create({ v: 1 })).data;
  await mustSync(A);
  await A.update({ ...(await A.get(rec.id)).data, v: 'local' });

  // someone else updates the record right before A's batch goes out
  let sneaky = null;
  onRequest = async (e) => {
    if (e.method === 'POST' && e.url.pathname === '/v1/batch' && !sneaky) {
      sneaky = (await remote.updateRecord({ id: rec.id, v: 'sneaky' })).data;
    }
  };
  let res;
  try {
    res = await A.sync();
  } finally {
    onRequest = null;
  }
  assert.ok(sneaky, 'the concurrent write happened');
  assert.equal(res.ok, false);
  assert.equal(res.conflicts.length, 1);
  const [c] = res.conflicts;
  assert.equal(c.type, 'outgoing');
  assert.equal(c.local.v, 'local');
  assert.deepEqual(c.remote, sneaky, '412 subresponse carries details.existing = the stored record');
  assert.equal((await remote.getRecord(rec.id)).data.v, 'sneaky', 'the stale push did not win');

  // CLIENT_WINS: the outgoing conflict is resolved and re-pushed over the sneaky version
  sneaky = null;
  onRequest = async (e) => {
    if (e.method === 'POST' && e.url.pathname === '/v1/batch' && !sneaky) {
      sneaky = (await remote.updateRecord({ id: rec.id, v: 'sneaky2' })).data;
    }
  };
  let res2;
  try {
    res2 = await A.sync({ strategy: STRATEGY().CLIENT_WINS });
  } finally {
    onRequest = null;
  }
  assert.ok(res2.ok, JSON.stringify(res2.conflicts));
  assert.equal((await remote.getRecord(rec.id)).data.v, 'local');
  const local = (await A.get(rec.id)).data;
  assert.equal(local._status, 'synced');
  assert.equal(local.last_modified, (await remote.getRecord(rec.id)).data.last_modified);
});

test('SYNC-9 kinto.js: delete vs delete (404 → skipped), update vs delete (conflict with the tombstone)', async () => {
  const { bid, remote } = await setup();
  const A = device(bid);
  const B = device(bid);
  const d = (await A.create({ k: 'd' })).data;
  const u = (await A.create({ k: 'u' })).data;
  await mustSync(A);
  await mustSync(B);

  // both delete d; A first. B's pull sees the tombstone (local deletion kept as skipped), B's
  // push sends DELETE + If-Match on the tombstoned record → 404 → skipped, removed locally.
  await A.delete(d.id);
  await mustSync(A);
  await B.delete(d.id);
  const { value: res, log } = await recorded(() => B.sync());
  assert.ok(res.ok, JSON.stringify({ c: res.conflicts, e: res.errors }));
  const push = log.find((e) => e.method === 'POST');
  assert.ok(push, 'B pushed its deletion');
  assert.deepEqual(push.body.requests.map((r) => [r.method, r.path]), [['DELETE', `/buckets/${bid}/collections/c/records/${d.id}`]]);
  assert.equal(push.response.responses[0].status, 404, JSON.stringify(push.response));
  assert.ok(res.skipped.some((s) => s.id === d.id), JSON.stringify(res.skipped));
  const left = (await B.list({}, { includeDeleted: true })).data;
  assert.deepEqual(sortedIds(left), [u.id]);
  assert.equal(B.lastModified, await serverEtag(remote));

  // update vs delete: MANUAL reports a conflict whose remote is the tombstone
  const w = (await A.create({ k: 'w' })).data;
  await mustSync(A);
  await mustSync(B);
  await A.delete(w.id);
  await mustSync(A);
  await B.update({ ...(await B.get(w.id)).data, k: 'edited' });
  const res2 = await B.sync();
  assert.equal(res2.ok, false);
  assert.equal(res2.conflicts.length, 1);
  assert.equal(res2.conflicts[0].remote.deleted, true);
  assert.equal(res2.conflicts[0].remote.id, w.id);
});

test('SYNC-1 / LIST-16 / BATCH-1 kinto.js: pull over several pages (paginate_by) and push in chunks (batch_max_requests)', async () => {
  const { bid, remote } = await setup();
  const A = device(bid);
  const B = device(bid);
  const N = 55; // > 50: the second pull's exclude_id carries kinto.js's maximum of 50 ids (09 §9.10 item 2)
  for (let i = 0; i < N; i++) await A.create({ i });

  const { value: res, log } = await recorded(() => mustSync(A));
  assert.equal(res.published.length, N);
  const batches = log.filter((e) => e.method === 'POST');
  assert.deepEqual(batches.map((b) => b.body.requests.length), [10, 10, 10, 10, 10, 5], `batch_max_requests = ${BATCH}`);
  assert.ok(batches.every((b) => b.status === 200));
  // the second pull excludes (at most) 50 published ids: a ~1900-byte URL; it returns the 5
  // other records just published (harmless duplicates) and nothing else
  const pull2 = log.filter(isRecordsGet(bid)).at(-1);
  assert.equal(pull2.status, 200);
  assert.equal(pull2.url.searchParams.get('exclude_id').split(',').length, 50);
  assert.ok(pull2.url.href.length > 1800, String(pull2.url.href.length));
  assert.equal(A.lastModified, await serverEtag(remote));

  // B pulls 55 records over 11 pages, following Next-Page verbatim, with _expected kept
  const expected = String(A.lastModified);
  const { value: resB, log: logB } = await recorded(() => mustSync(B, { expectedTimestamp: expected }));
  assert.equal(resB.created.length, N);
  const pages = logB.filter((e) => e.method === 'GET' && e.url.pathname === recordsPath(bid));
  assert.equal(pages.length, Math.ceil(N / PAGE));
  for (const p of pages) assert.equal(p.url.searchParams.get('_expected'), expected, p.url.href);
  for (const p of pages.slice(1)) assert.ok(p.url.searchParams.get('_token'), p.url.href);
  assert.equal(pages.at(-1).nextPage, null);
  const meta = logB.find((e) => e.url.pathname === `/v1/buckets/${bid}/collections/c`);
  assert.equal(meta.url.searchParams.get('_expected'), expected);
  assert.equal(B.lastModified, A.lastModified);
  assert.deepEqual(await localIds(B), await localIds(A));

  // a later pull of changes spread over pages, with _since
  const locals = (await A.list()).data;
  for (const r of locals.slice(0, 7)) await A.update({ ...r, i: r.i + 100 });
  await mustSync(A);
  const lm = B.lastModified;
  const { value: resB2, log: logB2 } = await recorded(() => mustSync(B));
  const pages2 = logB2.filter(isRecordsGet(bid));
  assert.equal(pages2.length, 2);
  assert.equal(pages2[0].url.searchParams.get('_since'), String(lm));
  assert.equal(resB2.updated.length, 7);
  assert.equal(B.lastModified, A.lastModified);
});

// D11 (a SHOULD; upstream Kinto has the hazard): continuation pages answer the first page's
// ETag, carried in the pagination token, so the device that was paging sees the update later.
test(
  'SYNC-7 kinto.js: a record updated while another device pages through the list is not missed (09 §9.8, D11)',
  async () => {
    const { bid, remote } = await setup();
    const A = device(bid);
    const B = device(bid);
    for (let i = 0; i < 12; i++) await A.create({ i });
    await mustSync(A);
    // the oldest record sits on the last page of B's first pull
    const oldest = (await remote.listRecords({ sort: 'last_modified', limit: 1 })).data[0];

    let moved = null;
    onRequest = async (e) => {
      if (!moved && e.method === 'GET' && e.url.pathname === recordsPath(bid) && e.url.searchParams.get('_token')) {
        moved = (await remote.updateRecord({ ...oldest, i: 'moved' })).data;
      }
    };
    try {
      await mustSync(B);
    } finally {
      onRequest = null;
    }
    assert.ok(moved, 'the update happened between two pages');
    await mustSync(B);
    const got = (await B.list()).data.find((r) => r.id === oldest.id);
    assert.equal(got?.i, 'moved', 'B missed the update made while it paged: the last page ETag already covered it');
    assert.equal(B.lastModified, await serverEtag(remote));
  },
);

test('SYNC-8 kinto.js: a deleted and re-created collection is detected (ServerWasFlushedError), resetSyncStatus re-uploads', async () => {
  const { bid, remote } = await setup();
  const A = device(bid);
  for (let i = 0; i < 3; i++) await A.create({ i });
  await mustSync(A);
  const lm = A.lastModified;

  const bucket = http().bucket(bid);
  await bucket.deleteCollection('c');
  await bucket.createCollection('c');
  // G6.2: the re-created list's timestamp exceeds every value served before
  assert.ok((await serverEtag(remote)) > lm, 'records timestamp after re-creation must be > the old one');

  await assert.rejects(A.sync(), (e) => {
    assert.match(e.message, /flushed/i);
    return true;
  });
  assert.equal(A.lastModified, lm);
  assert.equal(await A.resetSyncStatus(), 3);
  const res = await mustSync(A);
  assert.equal(res.published.length, 3);
  assert.equal((await remote.listRecords()).data.length, 3);
  assert.equal(A.lastModified, await serverEtag(remote));
});

test('PERM-2 kinto.js: a second user with write through a group syncs into alice\'s collection', async () => {
  const bobId = (await http(BOB).fetchUser()).id;
  const bid = uid('s');
  const api = http();
  await api.createBucket(bid);
  await api.bucket(bid).createGroup('team', [bobId]);
  await api.bucket(bid).createCollection('c', { permissions: { write: [`/buckets/${bid}/groups/team`] } });
  const A = device(bid);
  const Bob = device(bid, BOB);
  await A.create({ by: 'alice' });
  await mustSync(A);
  const res = await mustSync(Bob);
  assert.equal(res.created.length, 1);
  const mine = (await Bob.create({ by: 'bob' })).data;
  await mustSync(Bob);
  const resA = await mustSync(A);
  assert.deepEqual(resA.created.map((r) => r.id), [mine.id]);
  assert.deepEqual((await A.list()).data.map((r) => r.by).sort(), ['alice', 'bob']);
  // a user without any permission fails loudly (403), nothing is half-written
  const Eve = device(bid, uid('eve'));
  await Eve.create({ by: 'eve' });
  await assert.rejects(Eve.sync(), /403/);
  assert.equal((await api.bucket(bid).collection('c').listRecords()).data.length, 2);
});

test('DEFB-2 kinto.js: sync into the default bucket (when default_bucket is advertised)', async (t) => {
  const caps = await http().fetchServerCapabilities();
  if (!caps.default_bucket) {
    t.skip('server does not advertise default_bucket');
    return;
  }
  const user = uid('dflt');
  const A = device('default', user);
  const B = device('default', user);
  const r = (await A.create({ hello: 'default' })).data;
  await mustSync(A);
  const res = await mustSync(B);
  assert.deepEqual(res.created.map((x) => x.id), [r.id]);
});

test('SYNC-8 / UTIL-1 kinto.js: flush is detected as ServerWasFlushedError (when flush_endpoint and default_bucket are advertised)', async (t) => {
  const caps = await http().fetchServerCapabilities();
  if (!caps.flush_endpoint || !caps.default_bucket) {
    t.skip('server does not advertise flush_endpoint and default_bucket');
    return;
  }
  const user = uid('fl');
  const A = device('default', user);
  await A.create({ v: 1 });
  await mustSync(A);
  const flushed = await req(Y, 'POST', '/__flush__');
  assert.equal(flushed.status, 202, flushed.text);
  await assert.rejects(A.sync(), /flushed/i);
  await A.resetSyncStatus();
  const res = await mustSync(A);
  assert.equal(res.published.length, 1);
});
