// UTIL-4..7: /__api__ (an OpenAPI 2.0 document generated from the routes served),
// /contribute.json, /__counters__ and DELETE /__user_data__/{principal} (spec 06 §6.9-6.10).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, basic, req } from './lib/harness.js';
import { must, expectError } from './lib/expect.js';

const ALICE = basic('util-alice', 'secret');

let plain, full;
before(async () => {
  [plain, full] = await Promise.all([
    startServer({ workers: 1, settings: { 'kinto.object_bucket_put_enabled': 'false' } }),
    startServer({
      workers: 2,
      settings: {
        'kinto.includes': 'kinto.plugins.history kinto.plugins.flush kinto_changes',
        'kinto.project_name': 'my-storage',
      },
    }),
  ]);
});
after(async () => { await Promise.all([plain?.stop(), full?.stop()]); });

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
