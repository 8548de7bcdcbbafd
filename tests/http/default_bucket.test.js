// Default bucket plugin (spec 04 §4.13): DEFB-1..3.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, basic, req } from './lib/harness.js';

let srv, other;
const MAT = basic('mat', 'secret');
before(async () => {
  // Both secrets empty, as in the spec's first test vector.
  srv = await startServer({
    workers: 2,
    settings: { 'kinto.includes': 'kinto.plugins.default_bucket', 'kinto.userid_hmac_secret': '' },
  });
  other = await startServer({
    workers: 1,
    settings: { 'kinto.includes': 'kinto.plugins.default_bucket', 'kinto.userid_hmac_secret': 'some-secret-string' },
  });
});
after(async () => {
  await srv?.stop();
  await other?.stop();
});

test('DEFB-1 bucket ids follow the spec test vectors', async () => {
  const hello = await req(srv, 'GET', '/', { auth: MAT });
  assert.equal(hello.json.user.bucket, 'ddaf8694-fa9e-2949-ed0e-77198a7907fb');
  const h2 = await req(other, 'GET', '/', { auth: MAT });
  assert.equal(h2.json.user.bucket, 'b4a52ebc-fe4a-1167-89f3-c792640c70b3');
});

test('DEFB-3 capability default_bucket and user.bucket; anonymous has no user', async () => {
  const hello = await req(srv, 'GET', '/');
  assert.ok(hello.json.capabilities.default_bucket.description);
  assert.equal(hello.json.user, undefined);
});

test('DEFB-2 implicit creation of the bucket and collection, even on GET; real ids in answers', async () => {
  const user = basic(`u${Date.now()}`, 'pw');
  const hello = await req(srv, 'GET', '/', { auth: user });
  const real = hello.json.user.bucket;
  const list = await req(srv, 'GET', '/buckets/default/collections/tasks/records', { auth: user });
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(list.json.data, []);
  const coll = await req(srv, 'GET', `/buckets/${real}/collections/tasks`, { auth: user });
  assert.equal(coll.status, 200, coll.text);
  assert.deepEqual(coll.json.permissions.write, [hello.json.user.id]);
  const bucket = await req(srv, 'GET', '/buckets/default', { auth: user });
  assert.equal(bucket.status, 200);
  assert.equal(bucket.json.data.id, real);
  const post = await req(srv, 'POST', '/buckets/default/collections/tasks/records', { auth: user, body: { data: { t: 1 } } });
  assert.equal(post.status, 201, post.text);
  const direct = await req(srv, 'GET', `/buckets/${real}/collections/tasks/records`, { auth: user });
  assert.deepEqual(direct.json.data.map((r) => r.id), [post.json.data.id]);
});

test('DEFB-2 Next-Page names the real bucket', async () => {
  const user = basic(`p${Date.now()}`, 'pw');
  const real = (await req(srv, 'GET', '/', { auth: user })).json.user.bucket;
  for (let i = 0; i < 3; i++)
    await req(srv, 'POST', '/buckets/default/collections/c/records', { auth: user, body: { data: { i } } });
  const page = await req(srv, 'GET', '/buckets/default/collections/c/records?_limit=2', { auth: user });
  assert.equal(page.json.data.length, 2);
  assert.ok(page.headers.get('next-page').includes(`/buckets/${real}/collections/c/records?`), page.headers.get('next-page'));
});

test('DEFB-2 anonymous → 401; invalid collection id → 400; PUT of the bucket itself creates it once', async () => {
  const anon = await req(srv, 'GET', '/buckets/default/collections/x/records');
  assert.equal(anon.status, 401);
  assert.equal(anon.json.errno, 104);
  const user = basic(`q${Date.now()}`, 'pw');
  const bad = await req(srv, 'GET', '/buckets/default/collections/a%20b/records', { auth: user });
  assert.equal(bad.status, 400);
  const put = await req(srv, 'PUT', '/buckets/default', { auth: user, body: { data: { x: 1 } } });
  assert.equal(put.status, 201, put.text);
  const again = await req(srv, 'PUT', '/buckets/default', { auth: user, body: { data: { x: 2 } } });
  assert.equal(again.status, 200, again.text);
});

test('DEFB-2 default bucket works inside a batch', async () => {
  const user = basic(`b${Date.now()}`, 'pw');
  const r = await req(srv, 'POST', '/batch', {
    auth: user,
    body: { requests: [{ method: 'POST', path: '/buckets/default/collections/n/records', body: { data: { a: 1 } } }, { path: '/buckets/default/collections/n/records' }] },
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.responses[0].status, 201);
  assert.equal(r.json.responses[1].body.data.length, 1);
  // the path answered is the one asked, as upstream (Kinto Admin's sidebar batch asks
  // /buckets/default/collections for the user's bucket); the real id shows in the bodies only
  assert.deepEqual(r.json.responses.map((x) => x.path), [
    '/v1/buckets/default/collections/n/records',
    '/v1/buckets/default/collections/n/records',
  ]);
});
