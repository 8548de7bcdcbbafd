// UTIL-4..7: /__api__ (an OpenAPI 2.0 document generated from the routes served),
// /contribute.json, /__counters__ and DELETE /__user_data__/{principal} (spec 06 §6.9-6.10).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startServer, basic, req, dbQuery, DEFAULT_SETTINGS } from './lib/harness.js';
import { must, expectError } from './lib/expect.js';

const ALICE = basic('util-alice', 'secret');
const BOB = basic('util-bob', 'secret');
const ADMIN = basic('util-admin', 'secret');
const hid = (name) =>
  `basicauth:${createHmac('sha256', DEFAULT_SETTINGS['kinto.userid_hmac_secret']).update(`${name}:secret`, 'utf8').digest('hex')}`;

let plain, full, counting;
before(async () => {
  [plain, full, counting] = await Promise.all([
    startServer({ workers: 1, settings: { 'kinto.object_bucket_put_enabled': 'false' } }),
    startServer({
      workers: 2,
      settings: {
        'kinto.includes': 'kinto.plugins.history kinto.plugins.flush kinto_changes',
        'kinto.project_name': 'my-storage',
        'kinto.user-data_delete_principals': hid('util-admin'),
      },
    }),
    startServer({
      workers: 3,
      settings: { 'kinto.includes': 'kinto.plugins.counters kinto.plugins.accounts kinto.plugins.flush', 'multiauth.policies': 'account basicauth', 'multiauth.policy.account.use': 'kinto.plugins.accounts.AccountsPolicy', 'kinto.account_create_principals': 'system.Everyone' },
    }),
  ]);
});
after(async () => { await Promise.all([plain?.stop(), full?.stop(), counting?.stop()]); });

test('UTIL-4 /__api__ is an OpenAPI 2.0 document of the running instance', async () => {
  const r = await must(req(plain, 'GET', '/__api__'), 200);
  const doc = r.json;
  assert.equal(doc.swagger, '2.0');
  assert.deepEqual(doc.info, { title: 'kinto', version: '1.23' });
  assert.equal(doc.basePath, '/v1');
  assert.equal(doc.host, `127.0.0.1:${plain.port}`);
  assert.deepEqual(doc.schemes, ['http']);
  assert.deepEqual(doc.securityDefinitions, { basicauth: { type: 'basic' } });
  // Upstream's paths, placeholders and operation ids.
  const paths = doc.paths;
  for (const p of ['/', '/batch', '/__heartbeat__', '/__lbheartbeat__', '/__version__', '/__api__', '/contribute.json',
    '/buckets', '/buckets/{id}', '/buckets/{bucket_id}/groups', '/buckets/{bucket_id}/groups/{id}',
    '/buckets/{bucket_id}/collections', '/buckets/{bucket_id}/collections/{id}',
    '/buckets/{bucket_id}/collections/{collection_id}/records',
    '/buckets/{bucket_id}/collections/{collection_id}/records/{id}']) {
    assert.ok(paths[p], `path ${p}`);
  }
  assert.deepEqual(Object.keys(paths['/buckets']).sort(), ['delete', 'get', 'post']);
  assert.equal(paths['/buckets'].get.operationId, 'get_buckets');
  assert.equal(paths['/buckets'].post.operationId, 'create_bucket');
  assert.equal(paths['/buckets'].delete.operationId, 'delete_buckets');
  assert.deepEqual(paths['/buckets'].get.tags, ['Buckets']);
  assert.deepEqual(paths['/buckets'].get.security, [{ basicauth: [] }]);
  const rec = paths['/buckets/{bucket_id}/collections/{collection_id}/records/{id}'];
  assert.deepEqual(Object.keys(rec).sort(), ['delete', 'get', 'patch', 'put']);
  assert.equal(rec.put.operationId, 'update_record');
  assert.equal(rec.patch.operationId, 'patch_record');
  assert.deepEqual(rec.get.parameters.map((p) => [p.name, p.in, p.required]), [
    ['bucket_id', 'path', true], ['collection_id', 'path', true], ['id', 'path', true]]);
  assert.equal(paths['/'].get.operationId, 'server_info');
  assert.deepEqual(paths['/'].get.security, []);
  assert.equal(paths['/__api__'].get.operationId, 'get_openapi_spec');
  assert.deepEqual(Object.keys(paths['/batch']), ['post']);
  // A method the settings disable is not listed; disabled plugins' routes neither.
  assert.deepEqual(Object.keys(paths['/buckets/{id}']).sort(), ['delete', 'get', 'patch']);
  assert.equal(paths['/__flush__'], undefined);
  assert.equal(paths['/buckets/{bucket_id}/history'], undefined);
  assert.ok(doc.tags.some((t) => t.name === 'Records'));
});

test('UTIL-4 /__api__ follows the enabled plugins; every path it lists is served', async () => {
  const doc = (await must(req(full, 'GET', '/__api__'), 200)).json;
  assert.equal(doc.info.title, 'my-storage');
  assert.deepEqual(Object.keys(doc.paths['/__flush__']), ['post']);
  assert.deepEqual(Object.keys(doc.paths['/buckets/{bucket_id}/history']).sort(), ['delete', 'get']);
  assert.deepEqual(Object.keys(doc.paths['/buckets/monitor/collections/changes/records']), ['get']);
  assert.ok(doc.paths['/buckets/{bucket_id}/collections/{collection_id}/changeset'].get);
  // Each documented path and method is a route: OPTIONS preflight lists the method.
  for (const [p, item] of Object.entries(doc.paths)) {
    const url = p.replace(/\{[a-z_]+\}/g, 'x1');
    for (const m of Object.keys(item)) {
      const r = await req(full, 'OPTIONS', url, {
        headers: { Origin: 'http://example.com', 'Access-Control-Request-Method': m.toUpperCase() },
      });
      assert.equal(r.status, 200, `${m} ${url}: ${r.status} ${r.text}`);
      assert.match(r.headers.get('access-control-allow-methods') ?? '', new RegExp(`\\b${m.toUpperCase()}\\b`), url);
    }
  }
});

test('UTIL-4 /__api__ is public, read-only, and no body is accepted', async () => {
  await must(req(full, 'GET', '/__api__', { auth: ALICE }), 200);
  await must(req(full, 'HEAD', '/__api__'), 200);
  const r = await req(full, 'POST', '/__api__', { body: {} });
  expectError(r, 405, 115);
  assert.equal(r.headers.get('allow'), 'GET, HEAD, OPTIONS');
});

test('UTIL-5 /contribute.json has upstream\'s keys', async () => {
  const r = await must(req(full, 'GET', '/contribute.json'), 200);
  assert.deepEqual(Object.keys(r.json).sort(), ['bugs', 'description', 'keywords', 'name', 'participate', 'repository']);
  assert.equal(r.json.name, 'my-storage');
  assert.ok(Array.isArray(r.json.keywords));
  assert.equal(typeof r.json.repository.url, 'string');
  expectError(await req(full, 'DELETE', '/contribute.json'), 405, 115);
});

test('UTIL-7 DELETE /__user_data__/{principal}: only kinto.user-data_delete_principals may call it', async () => {
  const p = hid('util-alice');
  await must(req(full, 'PUT', '/buckets/keep-u7', { auth: ALICE, body: {} }), 201);
  expectError(await req(full, 'DELETE', `/__user_data__/${p}`), 401, 104);
  expectError(await req(full, 'DELETE', `/__user_data__/${p}`, { auth: ALICE }), 403, 121);
  // Without the setting nobody may.
  expectError(await req(plain, 'DELETE', `/__user_data__/${p}`, { auth: ADMIN }), 403, 121);
  await must(req(full, 'GET', '/buckets/keep-u7', { auth: ALICE }), 200);
  const r = await req(full, 'GET', `/__user_data__/${p}`, { auth: ADMIN });
  expectError(r, 405, 115);
  assert.equal(r.headers.get('allow'), 'DELETE, OPTIONS');
});

test('UTIL-7 owned objects go (with cascades, tombstones, history), shared ones lose the principal, groups too', async () => {
  const alice = hid('util-alice'), bob = hid('util-bob');
  // Alice owns bucket a7 (with a collection and records), a record in Bob's collection, and
  // shares Bob's bucket b7 (write) and a group there.
  await must(req(full, 'PUT', '/buckets/a7', { auth: ALICE, body: {} }), 201);
  await must(req(full, 'PUT', '/buckets/a7/collections/c', { auth: ALICE, body: {} }), 201);
  await must(req(full, 'PUT', '/buckets/a7/collections/c/records/r', { auth: ALICE, body: { data: { x: 1 } } }), 201);
  await must(req(full, 'PUT', '/buckets/b7', { auth: BOB, body: { permissions: { 'collection:create': [alice] } } }), 201);
  await must(req(full, 'PUT', '/buckets/b7/collections/bc', { auth: BOB, body: { permissions: { 'record:create': [alice], read: [alice] } } }), 201);
  const mine = await must(req(full, 'POST', '/buckets/b7/collections/bc/records', { auth: ALICE, body: { data: { y: 1 } } }), 201);
  await must(req(full, 'PUT', '/buckets/b7/collections/bc/records/shared', { auth: BOB, body: { data: {}, permissions: { write: [alice] } } }), 201);
  await must(req(full, 'PUT', '/buckets/b7/groups/team', { auth: BOB, body: { data: { members: [alice, 'someone'] } } }), 201);
  const before = await must(req(full, 'GET', '/', { auth: ALICE }), 200);
  assert.ok(before.json.user.principals.includes('/buckets/b7/groups/team'));

  const r = await must(req(full, 'DELETE', `/__user_data__/${alice}`, { auth: ADMIN }), 200);
  assert.deepEqual(r.json, { data: { principal: alice } });

  // Her bucket and what was below it are gone (tombstone of the bucket, cascade).
  expectError(await req(full, 'GET', '/buckets/a7', { auth: ADMIN }), 403, 121);
  const buckets = await must(req(full, 'GET', '/buckets?_since=0', { auth: ALICE }), 200);
  assert.ok(!buckets.json.data.some((b) => b.id === 'a7' && !b.deleted));
  // Her record in Bob's collection became a tombstone that Bob sees.
  const recs = await must(req(full, 'GET', '/buckets/b7/collections/bc/records?_since=0', { auth: BOB }), 200);
  const tomb = recs.json.data.find((x) => x.id === mine.json.data.id);
  assert.equal(tomb.deleted, true);
  // The history records the deletion (write event).
  const hist = await must(req(full, 'GET', `/buckets/b7/history?record_id=${mine.json.data.id}&action=delete`, { auth: BOB }), 200);
  assert.equal(hist.json.data.length, 1);
  // Shared objects stay, without her.
  const shared = await must(req(full, 'GET', '/buckets/b7/collections/bc/records/shared', { auth: BOB }), 200);
  assert.deepEqual(shared.json.permissions.write.sort(), [bob]);
  const coll = await must(req(full, 'GET', '/buckets/b7/collections/bc', { auth: BOB }), 200);
  assert.equal(coll.json.permissions.read, undefined);
  const bucket = await must(req(full, 'GET', '/buckets/b7', { auth: BOB }), 200);
  assert.equal(bucket.json.permissions['collection:create'], undefined);
  // She is no longer in the group's principals.
  const after = await must(req(full, 'GET', '/', { auth: ALICE }), 200);
  assert.ok(!after.json.user.principals.includes('/buckets/b7/groups/team'));
  // keep-u7 was hers alone too: gone. Bob keeps what he shared with her.
  await must(req(full, 'GET', '/buckets/keep-u7', { auth: ALICE }), 403);
  await must(req(full, 'GET', '/buckets/b7/collections/bc/records/shared', { auth: BOB }), 200);
  // A second call finds nothing left and still answers.
  await must(req(full, 'DELETE', `/__user_data__/${alice}`, { auth: ADMIN }), 200);
});

const COUNTERS_CAPABILITY = {
  description: 'The __counters__ endpoint exposes how many objects are stored.',
  url: 'https://kinto.readthedocs.io/en/latest/api/1.x/counters.html',
};

test('UTIL-6 /__counters__: capability as upstream; disabled it is 404 errno 111', async () => {
  const root = await must(req(counting, 'GET', '/'), 200);
  assert.deepEqual(root.json.capabilities.counters_endpoint, COUNTERS_CAPABILITY);
  assert.equal((await must(req(plain, 'GET', '/'), 200)).json.capabilities.counters_endpoint, undefined);
  expectError(await req(plain, 'GET', '/__counters__'), 404, 111);
  expectError(await req(counting, 'POST', '/__counters__', { body: {} }), 405, 115);
});

test('UTIL-6 counts follow creates, deletes, re-creations over tombstones and cascades', async () => {
  await must(req(counting, 'POST', '/__flush__'), 202);
  assert.deepEqual((await must(req(counting, 'GET', '/__counters__'), 200)).json, { objects: {}, tombstones: {} });
  await must(req(counting, 'PUT', '/accounts/carol', { body: { data: { password: 'secret123' } } }), 201);
  await must(req(counting, 'PUT', '/buckets/b', { auth: ALICE, body: {} }), 201);
  await must(req(counting, 'PUT', '/buckets/b/groups/g', { auth: ALICE, body: { data: { members: [] } } }), 201);
  await must(req(counting, 'PUT', '/buckets/b/collections/c', { auth: ALICE, body: {} }), 201);
  // Creates spread over the workers (their rows of the counters table).
  await Promise.all(Array.from({ length: 12 }, (_, i) =>
    must(req(counting, 'PUT', `/buckets/b/collections/c/records/r${i}`, { auth: ALICE, body: { data: { i } } }), 201)));
  await must(req(counting, 'PATCH', '/buckets/b/collections/c/records/r0', { auth: ALICE, body: { data: { x: 1 } } }), 200);
  await must(req(counting, 'DELETE', '/buckets/b/collections/c/records/r1', { auth: ALICE }), 200);
  await must(req(counting, 'DELETE', '/buckets/b/collections/c/records?_limit=2&_sort=id', { auth: ALICE }), 200);
  let r = await must(req(counting, 'GET', '/__counters__'), 200);
  assert.deepEqual(r.json, {
    objects: { account: 1, bucket: 1, group: 1, collection: 1, record: 9 },
    tombstones: { record: 3 },
  });
  // Re-creating over a tombstone takes it away; a failed (rolled back) write counts nothing.
  await must(req(counting, 'PUT', '/buckets/b/collections/c/records/r1', { auth: ALICE, body: { data: {} } }), 201);
  await must(req(counting, 'PUT', '/buckets/b/collections/c/records/r2', { auth: ALICE, body: { data: {} }, headers: { 'If-Match': '"1"' } }), 412);
  r = await must(req(counting, 'GET', '/__counters__'), 200);
  assert.deepEqual(r.json.objects.record, 10);
  assert.deepEqual(r.json.tombstones, { record: 2 });
  // Deleting the collection: its records and their tombstones go with it for good, it leaves
  // one tombstone.
  await must(req(counting, 'DELETE', '/buckets/b/collections/c', { auth: ALICE }), 200);
  r = await must(req(counting, 'GET', '/__counters__'), 200);
  assert.deepEqual(r.json, { objects: { account: 1, bucket: 1, group: 1 }, tombstones: { collection: 1 } });
  await must(req(counting, 'DELETE', '/buckets/b', { auth: ALICE }), 200);
  r = await must(req(counting, 'GET', '/__counters__'), 200);
  assert.deepEqual(r.json, { objects: { account: 1 }, tombstones: { bucket: 1 } });
  // The same as a count of the table.
  const stored = await dbQuery(counting, 'SELECT resource_name, SUM(deleted = 0), SUM(deleted = 1) FROM objects GROUP BY resource_name');
  assert.deepEqual(stored.map(([n, o, t]) => [n, Number(o), Number(t)]).sort(), [['account', 1, 0], ['bucket', 0, 1]]);
  // The counts come from the counters table, not from a count of the objects.
  const rows = await dbQuery(counting, 'SELECT COUNT(*) AS n FROM counters');
  assert.ok(Number(rows[0][0]) >= 1);
});
