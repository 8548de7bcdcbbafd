// Smoke test: the whole stack (lighttpd -> cinto.fcgi workers -> MariaDB) answers the basics.
// The detailed API tests live in the other *.test.js files of this folder.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { basic, req, startServer } from './lib/harness.js';

let srv;
const alice = basic('alice', 'secret');

before(async () => {
  srv = await startServer({ workers: 2 });
});

after(async () => {
  await srv?.stop();
});

test('SRV-1 GET /v1/ answers the server information', async () => {
  const r = await req(srv, 'GET', '/');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^application\/json/);
  assert.equal(r.json.http_api_version, '1.23');
  assert.equal(r.json.url, `${srv.url}/`);
  assert.equal(r.json.user, undefined);
});

test('AUTH-1 Basic credentials make an authenticated user', async () => {
  const r = await req(srv, 'GET', '/', { auth: alice });
  assert.equal(r.status, 200);
  assert.match(r.json.user.id, /^basicauth:[0-9a-f]{64}$/);
});

test('OBJ-1 a bucket can be created and read back', async () => {
  const put = await req(srv, 'PUT', '/buckets/smoke', { auth: alice, body: { data: { title: 'smoke' } } });
  assert.equal(put.status, 201);
  assert.equal(put.json.data.id, 'smoke');
  const get = await req(srv, 'GET', '/buckets/smoke', { auth: alice });
  assert.equal(get.status, 200);
  assert.equal(get.json.data.title, 'smoke');
  assert.equal(get.headers.get('etag'), `"${get.json.data.last_modified}"`);
});

test('RTE-1 a path without the version prefix is redirected to /v1', async () => {
  const r = await req(srv, 'GET', `${srv.origin}/`);
  assert.equal(r.status, 307);
  assert.equal(r.headers.get('location'), `${srv.url}/`);
});

test('every worker serves requests', async () => {
  // several sequential requests spread over the workers; none may fail
  const results = await Promise.all(Array.from({ length: 8 }, () => req(srv, 'GET', '/')));
  for (const r of results) assert.equal(r.status, 200);
  assert.equal(srv.workerPids().length, 2);
});
