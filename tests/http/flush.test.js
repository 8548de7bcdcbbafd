// UTIL-1: the flush plugin (spec 06 §6.8). POST /__flush__ empties every table and answers
// 202 {}; enabled by kinto.includes or kinto.flush_endpoint_enabled, advertised as upstream;
// disabled, the route is 404 errno 111. No worker serves what it cached before a flush.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, basic, req } from './lib/harness.js';
import { must, expectError } from './lib/expect.js';

const RUN = (Date.now() % 1e9).toString(36) + Math.random().toString(36).slice(2, 6);
const OWNER = basic(`owner-${RUN}`, 'secret');
const CAPABILITY = {
  description: 'The __flush__ endpoint can be used to remove all data from all backends.',
  url: 'https://kinto.readthedocs.io/en/latest/api/1.x/flush.html',
};

let off, on, bySetting;
before(async () => {
  [off, on, bySetting] = await Promise.all([
    startServer({ workers: 1 }),
    startServer({
      workers: 4,
      settings: { 'kinto.includes': 'kinto.plugins.flush', 'kinto.experimental_collection_schema_validation': 'true' },
    }),
    startServer({ workers: 1, settings: { 'kinto.flush_endpoint_enabled': 'true' } }),
  ]);
});
after(async () => { await Promise.all([off?.stop(), on?.stop(), bySetting?.stop()]); });

test('UTIL-1 disabled: 404 errno 111, no capability, nothing removed', async () => {
  await must(req(off, 'PUT', '/buckets/kept', { auth: OWNER, body: {} }), [200, 201]);
  expectError(await req(off, 'POST', '/__flush__'), 404, 111);
  const root = await must(req(off, 'GET', '/'), 200);
  assert.equal(root.json.capabilities.flush_endpoint, undefined);
  await must(req(off, 'GET', '/buckets/kept', { auth: OWNER }), 200);
});

test('UTIL-1 enabled by kinto.includes or kinto.flush_endpoint_enabled, advertised as upstream', async () => {
  for (const srv of [on, bySetting]) {
    const root = await must(req(srv, 'GET', '/'), 200);
    assert.deepEqual(root.json.capabilities.flush_endpoint, CAPABILITY);
  }
  const r = await req(on, 'GET', '/__flush__');
  expectError(r, 405, 115);
  assert.equal(r.headers.get('allow'), 'POST, OPTIONS');
});

test('UTIL-1 POST /__flush__ empties everything and answers 202 {} without authentication', async () => {
  const B = `/buckets/f${RUN}`;
  await must(req(bySetting, 'PUT', B, { auth: OWNER, body: {} }), 201);
  await must(req(bySetting, 'PUT', `${B}/groups/g`, { auth: OWNER, body: { data: { members: ['x'] } } }), 201);
  await must(req(bySetting, 'PUT', `${B}/collections/c`, { auth: OWNER, body: {} }), 201);
  await must(req(bySetting, 'PUT', `${B}/collections/c/records/r`, { auth: OWNER, body: { data: { a: 1 } } }), 201);
  await must(req(bySetting, 'DELETE', `${B}/collections/c/records/r`, { auth: OWNER }), 200);
  const r = await must(req(bySetting, 'POST', '/__flush__'), 202);
  assert.deepEqual(r.json, {});
  const buckets = await must(req(bySetting, 'GET', '/buckets', { auth: OWNER }), 200);
  assert.deepEqual(buckets.json.data, []);
  // The ACL went too: the owner no longer has write on the bucket, so re-creating it is a 201.
  await must(req(bySetting, 'PUT', B, { auth: OWNER, body: {} }), 201);
  await must(req(bySetting, 'PUT', `${B}/collections/c`, { auth: OWNER, body: {} }), 201);
  const recs = await must(req(bySetting, 'GET', `${B}/collections/c/records?_since=0`, { auth: OWNER }), 200);
  assert.deepEqual(recs.json.data, [], 'no tombstone survives');
});

test('UTIL-1 no worker serves a schema it compiled before the flush', async () => {
  const B = `/buckets/s${RUN}`;
  const T = Date.now() - 60000; // the same forced collection timestamp before and after
  const strict = { type: 'object', required: ['title'], properties: { title: { type: 'string' } } };
  const loose = { type: 'object', properties: { other: { type: 'number' } } };
  await must(req(on, 'PUT', B, { auth: OWNER, body: {} }), 201);
  const c1 = await must(req(on, 'PUT', `${B}/collections/c`, { auth: OWNER, body: { data: { schema: strict, last_modified: T } } }), 201);
  assert.equal(c1.json.data.last_modified, T);
  // The records list's timestamp row exists before the concurrent writes (a GET creates it):
  // this test is about caches, not about racing first writers of a list.
  await must(req(on, 'GET', `${B}/collections/c/records`, { auth: OWNER }), 200);
  // Concurrent requests reach every worker: each compiles and caches the strict schema.
  const post = (i) => req(on, 'POST', `${B}/collections/c/records`, { auth: OWNER, body: { data: { n: i } } });
  const spread = (n) => Promise.all(Array.from({ length: n }, (_, i) => post(i)));
  for (const r of await spread(32)) expectError(r, 400, 107);
  await must(req(on, 'POST', '/__flush__'), 202);
  await must(req(on, 'PUT', B, { auth: OWNER, body: {} }), 201);
  const c2 = await must(req(on, 'PUT', `${B}/collections/c`, { auth: OWNER, body: { data: { schema: loose, last_modified: T } } }), 201);
  assert.equal(c2.json.data.last_modified, T);
  await must(req(on, 'GET', `${B}/collections/c/records`, { auth: OWNER }), 200);
  for (const r of await spread(32)) assert.equal(r.status, 201, r.text);
});
