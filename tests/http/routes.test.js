// The route table: unknown paths are 404 (never treated as a record), and
// Allow / Access-Control-Allow-Methods list upstream's methods in upstream's
// order, OPTIONS included; disabled methods and read-only mode take methods off.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, basic, req } from './lib/harness.js';
import { must, expectError } from './lib/expect.js';

const RUN = (Date.now() % 1e9).toString(36) + Math.random().toString(36).slice(2, 6);
const OWNER = basic(`owner-${RUN}`, 'secret');
const B = `/buckets/r${RUN}`;

let srv, ro;
before(async () => {
  srv = await startServer({ workers: 1, settings: { 'kinto.object_collection_put_enabled': 'false' } });
  ro = await startServer({ workers: 1, settings: { 'kinto.readonly': 'true' } });
  await must(req(srv, 'PUT', B, { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'POST', `${B}/collections`, { auth: OWNER, body: { data: { id: 'c' } } }), 201);
});
after(async () => { await srv?.stop(); await ro?.stop(); });

test('unknown paths answer 404 errno 111, whatever the method and depth', async () => {
  const paths = ['/nothing', `${B}/other`, `${B}/collections/c/other`, `${B}/collections/c/records/r/x`,
    `${B}/groups/g/x`, '/batch/x', '/buckets/b/collections/c/records/r/attachment/x/y/z', '/__nothing__'];
  for (const p of paths) {
    for (const method of ['GET', 'PUT', 'DELETE', 'POST']) {
      const r = await req(srv, method, p, { auth: OWNER, body: method === 'PUT' || method === 'POST' ? {} : undefined });
      expectError(r, 404, 111, { message: 'The resource you are looking for could not be found.' });
    }
  }
  // Nothing was created along the way.
  const list = await must(req(srv, 'GET', `${B}/collections/c/records`, { auth: OWNER }), 200);
  assert.deepEqual(list.json.data, []);
});

test('Allow on a 405 lists upstream\'s methods in upstream\'s order', async () => {
  const cases = [
    ['PUT', '/buckets', 'HEAD, GET, POST, DELETE, OPTIONS'],
    ['POST', B, 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS'],
    ['PATCH', `${B}/collections/c/records`, 'HEAD, GET, POST, DELETE, OPTIONS'],
    ['POST', `${B}/collections/c/records/r`, 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS'],
    ['GET', '/batch', 'POST, OPTIONS'],
    ['DELETE', '/', 'GET, HEAD, OPTIONS'],
    ['POST', '/__heartbeat__', 'GET, HEAD, OPTIONS'],
    // kinto.object_collection_put_enabled = false removes PUT from collections only
    ['PUT', `${B}/collections/c`, 'GET, HEAD, PATCH, DELETE, OPTIONS'],
  ];
  for (const [method, path, allow] of cases) {
    const r = await req(srv, method, path, { body: method === 'DELETE' || method === 'GET' ? undefined : {} });
    expectError(r, 405, 115);
    assert.equal(r.headers.get('allow'), allow, `${method} ${path}`);
  }
});

test('read-only mode: Allow keeps the read methods, in order', async () => {
  const r = await req(ro, 'PUT', '/buckets/x', { body: {} });
  expectError(r, 405, 115);
  assert.equal(r.headers.get('allow'), 'GET, HEAD, OPTIONS');
  const p = await req(ro, 'POST', '/buckets', { body: {} });
  assert.equal(p.headers.get('allow'), 'HEAD, GET, OPTIONS');
});

test('preflight lists the same methods as Allow', async () => {
  const o = { Origin: 'http://app.example', 'Access-Control-Request-Method': 'GET' };
  const pl = await must(req(srv, 'OPTIONS', '/buckets', { headers: o }), 200);
  assert.equal(pl.headers.get('access-control-allow-methods'), 'HEAD, GET, POST, DELETE, OPTIONS');
  const ob = await must(req(srv, 'OPTIONS', `${B}/collections/c`, { headers: o }), 200);
  assert.equal(ob.headers.get('access-control-allow-methods'), 'GET, HEAD, PATCH, DELETE, OPTIONS');
  expectError(await req(srv, 'OPTIONS', '/nothing', { headers: o }), 404, 111);
});
