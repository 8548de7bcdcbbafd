// A request whose transaction fails on a conflict (MariaDB 1213: a deadlock, or a Galera
// certification failure, also at COMMIT) is run again whole, up to kinto.storage_max_retries
// times and within kinto.storage_retry_budget_seconds, before any byte of its answer is sent (README "Several web servers, Galera,
// replicas"). The conflicts are injected by the test-build failpoint
// CINTO_FAILPOINT_COMMIT_CONFLICTS=K (the outermost COMMIT of the first K attempts of every
// request is refused with 1213 after a rollback), so the replays are certain; and parallel
// first writers to brand-new lists (where a deadlock or a duplicate key could surface) must
// all succeed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, basic, req, dbQuery } from './lib/harness.js';
import { must, expectError } from './lib/expect.js';

const RUN = (Date.now() % 1e9).toString(36) + Math.random().toString(36).slice(2, 6);
const OWNER = basic(`owner-${RUN}`, 'secret');
const PLUGINS = 'kinto.plugins.history kinto.plugins.counters kinto.plugins.default_bucket';

let twice; // every request's first two commits conflict; the default replays absorb them
let never; // same database, every commit conflicts, 2 replays: the request gives up
let busy; // no failpoint, 4 workers: parallel first writers
let budget; // same database, every commit conflicts, 1000 replays allowed but 1 s: time ends it
before(async () => {
  twice = await startServer({
    settings: { 'kinto.includes': PLUGINS, 'kinto.log_file': 'cinto.log' },
    env: { CINTO_FAILPOINT_COMMIT_CONFLICTS: '2' },
  });
  never = await startServer({
    settings: {
      'kinto.includes': PLUGINS,
      'kinto.storage_url': twice.storageUrl,
      'kinto.storage_max_retries': '2',
      'kinto.log_file': 'cinto.log',
    },
    env: { CINTO_FAILPOINT_COMMIT_CONFLICTS: '1000' },
    migrate: false,
  });
  busy = await startServer({ workers: 4, settings: { 'kinto.includes': PLUGINS } });
  budget = await startServer({
    settings: {
      'kinto.includes': PLUGINS,
      'kinto.storage_url': twice.storageUrl,
      'kinto.storage_max_retries': '1000',
      'kinto.storage_retry_budget_seconds': '1',
      'kinto.log_file': 'cinto.log',
    },
    env: { CINTO_FAILPOINT_COMMIT_CONFLICTS: '100000' },
    migrate: false,
  });
});
after(async () => {
  await Promise.all([twice?.stop(), never?.stop(), busy?.stop(), budget?.stop()]);
});

const logOf = (srv) => {
  try {
    return fs.readFileSync(path.join(srv.dir, 'cinto.log'), 'utf8');
  } catch {
    return '';
  }
};
const etagOf = (r) => Number((r.headers.get('etag') ?? '').replace(/"/g, ''));

test('REPLAY-1 writes that conflict at COMMIT twice succeed once: one object, one history entry, one count', async () => {
  const b = `b${RUN}`;
  const C = `/buckets/${b}/collections/c`;
  await must(req(twice, 'PUT', `/buckets/${b}`, { auth: OWNER, body: {} }), 201);
  await must(req(twice, 'PUT', C, { auth: OWNER, body: {} }), 201);
  const created = await must(req(twice, 'POST', `${C}/records`, { auth: OWNER, body: { data: { n: 1 } } }), 201);
  const rid = created.json.data.id;
  await must(req(twice, 'PATCH', `${C}/records/${rid}`, { auth: OWNER, body: { data: { n: 2 } } }), 200);
  // A batch is one transaction: replayed whole.
  const batch = await must(
    req(twice, 'POST', '/batch', {
      auth: OWNER,
      body: {
        defaults: { method: 'PUT' },
        requests: [
          { path: `${C}/records/x1`, body: { data: { n: 10 } } },
          { path: `${C}/records/x2`, body: { data: { n: 20 } } },
          { method: 'DELETE', path: `${C}/records/${rid}` },
        ],
      },
    }),
    200,
  );
  assert.deepEqual(batch.json.responses.map((r) => r.status), [201, 201, 200]);

  const list = await must(req(twice, 'GET', `${C}/records?_since=0`, { auth: OWNER }), 200);
  const ids = list.json.data.map((o) => `${o.id}${o.deleted ? '-' : ''}`).sort();
  assert.deepEqual(ids, [`${rid}-`, 'x1', 'x2']);
  // Timestamps: unique, and the list's ETag is the newest one (no attempt left a mark).
  const stamps = list.json.data.map((o) => o.last_modified);
  assert.equal(new Set(stamps).size, stamps.length);
  assert.equal(etagOf(list), Math.max(...stamps));

  // One history entry per effect, none per attempt.
  const h = await must(req(twice, 'GET', `/buckets/${b}/history?_sort=last_modified`, { auth: OWNER }), 200);
  const seen = h.json.data.map((e) => `${e.action} ${e.resource_name} ${e.record_id ?? e.collection_id ?? e.bucket_id}`);
  assert.deepEqual(seen, [
    `create bucket ${b}`,
    'create collection c',
    `create record ${rid}`,
    `update record ${rid}`,
    'create record x1',
    'create record x2',
    `delete record ${rid}`,
  ]);
  const counts = await must(req(twice, 'GET', '/__counters__'), 200);
  assert.equal(counts.json.objects.record, 2);
  assert.equal(counts.json.tombstones.record, 1);
  assert.equal(counts.json.objects.collection, 1);

  // The database holds exactly that: no row from an undone attempt.
  const rows = await dbQuery(twice, `SELECT COUNT(*) FROM objects WHERE parent_id = '/buckets/${b}/collections/c' AND resource_name = 'record'`);
  assert.equal(Number(rows[0][0]), 3);
  assert.match(logOf(twice), /requests run again, \d+ replays in all/);
});

test('REPLAY-2 the default bucket is replayed from the path and body the client sent', async () => {
  const who = basic(`db-${RUN}`, 'pw');
  const r = await must(req(twice, 'POST', '/buckets/default/collections/notes/records', { auth: who, body: { data: { t: 'x' } } }), 201);
  const put = await must(req(twice, 'PUT', '/buckets/default/collections/notes/records/fixed', { auth: who, body: { data: { t: 'y' } } }), 201);
  assert.equal(put.json.data.id, 'fixed');
  const list = await must(req(twice, 'GET', '/buckets/default/collections/notes/records', { auth: who }), 200);
  assert.deepEqual(list.json.data.map((o) => o.id).sort(), [r.json.data.id, 'fixed'].sort());
  // The bucket and collection were created once, with the first write.
  const h = await must(req(twice, 'GET', '/buckets/default/history?_sort=last_modified', { auth: who }), 200);
  assert.deepEqual(h.json.data.map((e) => `${e.action} ${e.resource_name}`), [
    'create bucket',
    'create collection',
    'create record',
    'create record',
  ]);
});

test('REPLAY-3 still conflicting after kinto.storage_max_retries: 503 errno 201 with Retry-After, nothing kept', async () => {
  const b = `g${RUN}`;
  await must(req(twice, 'PUT', `/buckets/${b}`, { auth: OWNER, body: {} }), 201);
  await must(req(twice, 'PUT', `/buckets/${b}/collections/c`, { auth: OWNER, body: {} }), 201);
  const before = await must(req(twice, 'GET', `/buckets/${b}/collections/c/records`, { auth: OWNER }), 200);
  const r = await req(never, 'POST', `/buckets/${b}/collections/c/records`, { auth: OWNER, body: { data: { n: 1 } } });
  expectError(r, 503, 201, { message: /kinto\.storage_max_retries/ });
  assert.ok(Number(r.headers.get('retry-after')) > 0);
  const batch = await req(never, 'POST', '/batch', {
    auth: OWNER,
    body: { requests: [{ method: 'PUT', path: `/buckets/${b}/collections/c/records/y`, body: { data: {} } }] },
  });
  expectError(batch, 503, 201);
  // Reads commit nothing: unaffected.
  const after = await must(req(never, 'GET', `/buckets/${b}/collections/c/records`, { auth: OWNER }), 200);
  assert.deepEqual(after.json.data, []);
  assert.equal(etagOf(after), etagOf(before));
  const h = await must(req(twice, 'GET', `/buckets/${b}/history`, { auth: OWNER }), 200);
  assert.equal(h.json.data.length, 2); // the bucket and the collection
  // The worker that gave up logged counts (never a body).
  assert.match(logOf(never), /1 still conflicting after kinto\.storage_max_retries = 2/);
  assert.doesNotMatch(logOf(never), /"n"/);
});

test('REPLAY-4 parallel first writers to brand-new lists never see a 5xx', { timeout: 120000 }, async () => {
  const statuses = new Map();
  const note = (r) => statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  const b = `p${RUN}`;
  await must(req(busy, 'PUT', `/buckets/${b}`, { auth: OWNER, body: {} }), 201);
  for (let round = 0; round < 12; round++) {
    // Collections created in parallel in one bucket (its collections list), then records
    // created in parallel in a collection nobody wrote to yet (its records list).
    const cs = await Promise.all(
      Array.from({ length: 6 }, (_, i) => req(busy, 'PUT', `/buckets/${b}/collections/r${round}c${i}`, { auth: OWNER, body: {} })),
    );
    cs.forEach(note);
    const rs = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        req(busy, 'POST', `/buckets/${b}/collections/r${round}c${i % 6}/records`, { auth: OWNER, body: { data: { i } } }),
      ),
    );
    rs.forEach(note);
    // The default bucket: implicit creation of the bucket and collection by parallel first
    // requests of one user (each saw no bucket before locking: the second insert was a 409).
    const who = basic(`par${round}-${RUN}`, 'pw');
    const ds = await Promise.all(
      Array.from({ length: 6 }, (_, i) => req(busy, 'POST', '/buckets/default/collections/c/records', { auth: who, body: { data: { i } } })),
    );
    ds.forEach(note);
  }
  const summary = JSON.stringify(Object.fromEntries(statuses));
  for (const s of statuses.keys()) assert.ok(s < 500, `a 5xx among ${summary}`);
  assert.equal(statuses.get(201), 12 * (6 + 8 + 6), summary);
  // Every history entry is there once.
  const h = await must(req(busy, 'GET', `/buckets/${b}/history?resource_name=record`, { auth: OWNER }), 200);
  assert.equal(h.json.data.length, 12 * 8);
});

test('REPLAY-5 kinto.storage_retry_budget_seconds ends the replays before kinto.storage_max_retries does: 503, nothing kept', async () => {
  const b = `t${RUN}`;
  await must(req(twice, 'PUT', `/buckets/${b}`, { auth: OWNER, body: {} }), 201);
  await must(req(twice, 'PUT', `/buckets/${b}/collections/c`, { auth: OWNER, body: {} }), 201);
  // 1000 replays with waits up to 500 ms would take minutes: the 1 s budget answers first.
  const r = await req(budget, 'POST', `/buckets/${b}/collections/c/records`, { auth: OWNER, body: { data: { n: 1 } } });
  expectError(r, 503, 201, { message: /kinto\.storage_retry_budget_seconds/ });
  assert.ok(Number(r.headers.get('retry-after')) > 0);
  const after = await must(req(twice, 'GET', `/buckets/${b}/collections/c/records`, { auth: OWNER }), 200);
  assert.deepEqual(after.json.data, []);
  const m = logOf(budget).match(/(\d+) replays in all, 1 still conflicting after kinto\.storage_max_retries = 1000 or kinto\.storage_retry_budget_seconds = 1 /);
  assert.ok(m, logOf(budget));
  assert.ok(Number(m[1]) >= 1 && Number(m[1]) < 1000, m[0]);
});
