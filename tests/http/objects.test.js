// Black-box tests for spec 01 (objects, URLs, timestamps, preconditions,
// tombstones, cascades, 404 vs 403, cache headers): features OBJ-1..OBJ-19.
// One shared server for the file (plus one with cache settings for OBJ-19);
// every test works in its own bucket so tests never see each other's data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, basic, req } from './lib/harness.js';
import { must, expectError } from './lib/expect.js';
import { portableTests } from './lib/portable.js';

const RUN = (Date.now() % 1e9).toString(36) + Math.random().toString(36).slice(2, 6);
let seq = 0;
const uid = (p = 'x') => `${p}${RUN}${(++seq).toString(36)}`;
const user = (name) => basic(`${name}-${RUN}`, 'secret');

const OWNER = user('owner');
const ALICE = user('alice');
const BOB = user('bob');

let srv;
const ids = {};

before(async () => {
  srv = await startServer({ workers: 2 });
  for (const [k, a] of Object.entries({ owner: OWNER, alice: ALICE, bob: BOB })) {
    const r = await req(srv, 'GET', '/', { auth: a });
    assert.equal(r.status, 200, r.text);
    ids[k] = r.json.user.id;
  }
});
after(async () => { await srv?.stop(); });

// OBJ-4, OBJ-5, OBJ-14, OBJ-16: shared with the deployment tests (lib/portable.js)
portableTests('objects', () => srv);

// --- helpers -------------------------------------------------------------



// Raw request (own fetch) for things the harness may normalise: no body
// encoding, no redirect following.
async function raw(method, url, { body, headers = {}, auth } = {}) {
  const h = { ...headers };
  if (auth) h.Authorization = auth;
  const res = await fetch(url.startsWith('http') ? url : srv.url + url,
    { method, headers: h, body, redirect: 'manual' });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, json, text };
}

const etagOf = (r) => {
  const e = r.headers.get('etag');
  assert.match(e ?? '', /^"\d+"$/, `ETag must be a quoted integer, got ${e}`);
  return Number(e.slice(1, -1));
};
const httpDate = (ts) => new Date(Math.floor(ts / 1000) * 1000).toUTCString();
function checkStamp(r, ts) {
  assert.equal(r.headers.get('etag'), `"${ts}"`);
  assert.equal(r.headers.get('last-modified'), httpDate(ts));
}

// A bucket owned by `auth` with one collection `c`.
async function fixture(auth = OWNER, { bucketPerms, collPerms } = {}) {
  const b = uid('b');
  await must(req(srv, 'PUT', `/buckets/${b}`, { auth, body: { data: {}, permissions: bucketPerms } }), 201);
  await must(req(srv, 'PUT', `/buckets/${b}/collections/c`, { auth, body: { data: {}, permissions: collPerms } }), 201);
  return { b, B: `/buckets/${b}`, C: `/buckets/${b}/collections/c`, R: `/buckets/${b}/collections/c/records` };
}

async function putRecord(R, id, data = {}, auth = OWNER, permissions) {
  const r = await must(req(srv, 'PUT', `${R}/${id}`, { auth, body: { data, permissions } }), 201);
  return r.json.data;
}

const idsOf = (r) => r.json.data.map((o) => o.id);
const allowOf = (r) => (r.headers.get('allow') ?? '').split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

// --- OBJ-1 ---------------------------------------------------------------

test('OBJ-1 lists are scoped by (parent, kind): same ids in other buckets/kinds are unrelated', async () => {
  const b1 = uid('b'), b2 = uid('b');
  await must(req(srv, 'PUT', `/buckets/${b1}`, { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'PUT', `/buckets/${b2}`, { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'PUT', `/buckets/${b1}/collections/articles`, { auth: OWNER, body: { data: { n: 1 } } }), 201);
  await must(req(srv, 'PUT', `/buckets/${b2}/collections/articles`, { auth: OWNER, body: { data: { n: 2 } } }), 201);
  assert.equal((await must(req(srv, 'GET', `/buckets/${b1}/collections/articles`, { auth: OWNER }), 200)).json.data.n, 1);
  assert.equal((await must(req(srv, 'GET', `/buckets/${b2}/collections/articles`, { auth: OWNER }), 200)).json.data.n, 2);
  // A collection called "groups" and a group called "articles" coexist with the rest.
  await must(req(srv, 'PUT', `/buckets/${b1}/collections/groups`, { auth: OWNER, body: { data: { kind: 'collection' } } }), 201);
  await must(req(srv, 'PUT', `/buckets/${b1}/groups/articles`, { auth: OWNER, body: { data: { members: [] } } }), 201);
  const groups = await must(req(srv, 'GET', `/buckets/${b1}/groups`, { auth: OWNER }), 200);
  assert.deepEqual(idsOf(groups), ['articles']);
  const colls = await must(req(srv, 'GET', `/buckets/${b1}/collections`, { auth: OWNER }), 200);
  assert.deepEqual(idsOf(colls).sort(), ['articles', 'groups']);
  await must(req(srv, 'POST', `/buckets/${b1}/collections/groups/records`, { auth: OWNER, body: { data: { x: 1 } } }), 201);
  const recs = await must(req(srv, 'GET', `/buckets/${b1}/collections/articles/records`, { auth: OWNER }), 200);
  assert.deepEqual(recs.json.data, []);
  const recs2 = await must(req(srv, 'GET', `/buckets/${b2}/collections/articles/records`, { auth: OWNER }), 200);
  assert.deepEqual(recs2.json.data, []);
});

// --- OBJ-2 ---------------------------------------------------------------

test('OBJ-2 server-generated ids: 8-char ids for buckets/collections/groups, UUID4 for records', async () => {
  const SHORT = /^[A-Za-z0-9][A-Za-z0-9_-]{7}$/;
  const b = await must(req(srv, 'POST', '/buckets', { auth: OWNER, body: { data: {} } }), 201);
  assert.match(b.json.data.id, SHORT);
  const B = `/buckets/${b.json.data.id}`;
  const c = await must(req(srv, 'POST', `${B}/collections`, { auth: OWNER, body: {} }), 201);
  assert.match(c.json.data.id, SHORT);
  const g = await must(req(srv, 'POST', `${B}/groups`, { auth: OWNER, body: { data: { members: [] } } }), 201);
  assert.match(g.json.data.id, SHORT);
  const seen = new Set();
  for (let i = 0; i < 10; i++) {
    const r = await must(req(srv, 'POST', `${B}/collections/${c.json.data.id}/records`, { auth: OWNER, body: { data: { i } } }), 201);
    assert.match(r.json.data.id, UUID4);
    seen.add(r.json.data.id);
  }
  assert.equal(seen.size, 10);
});

test('OBJ-2 client ids follow the pattern, are case-sensitive, bad path ids give 400 errno 107', async () => {
  const { R } = await fixture();
  const a = await putRecord(R, 'a', { v: 'lower' });
  const A = await putRecord(R, 'A', { v: 'upper' });
  assert.notEqual(a.last_modified, A.last_modified);
  assert.equal((await must(req(srv, 'GET', `${R}/a`, { auth: OWNER }), 200)).json.data.v, 'lower');
  assert.equal((await must(req(srv, 'GET', `${R}/A`, { auth: OWNER }), 200)).json.data.v, 'upper');
  await putRecord(R, 'x_y-Z9');
  await putRecord(R, '0abc');
  const bad = ['a.b', '_a', '-a', 'a%20b', '%C3%A9t%C3%A9', 'a~b', 'a:b', 'a%2Bb', 'a@b'];
  for (const id of bad) {
    const r = await req(srv, 'PUT', `${R}/${id}`, { auth: OWNER, body: { data: {} } });
    expectError(r, 400, 107, {
      message: 'path: Invalid object id',
      details: [{ location: 'path', name: null, description: 'Invalid object id' }],
    });
    const g = await req(srv, 'GET', `${R}/${id}`, { auth: OWNER });
    expectError(g, 400, 107, { message: 'path: Invalid object id' });
  }
  const rb = await req(srv, 'PUT', '/buckets/bad.bucket', { auth: OWNER, body: {} });
  expectError(rb, 400, 107, { message: 'path: Invalid object id' });
  const rl = await must(req(srv, 'GET', R, { auth: OWNER }), 200);
  assert.deepEqual(idsOf(rl).sort(), ['0abc', 'A', 'a', 'x_y-Z9']);
});

test('OBJ-2 data.id in a POST body must be a valid string id (400, location path)', async () => {
  const { R } = await fixture();
  for (const id of ['a.b', 123, true, '', ['x'], { a: 1 }]) {
    const r = await req(srv, 'POST', R, { auth: OWNER, body: { data: { id } } });
    expectError(r, 400, 107);
    assert.ok(Array.isArray(r.json.details), r.text);
    assert.equal(r.json.details[0].location, 'path', r.text);
  }
  const ok = await must(req(srv, 'POST', R, { auth: OWNER, body: { data: { id: 'good-id', x: 1 } } }), 201);
  assert.equal(ok.json.data.id, 'good-id');
  assert.deepEqual(idsOf(await req(srv, 'GET', R, { auth: OWNER })), ['good-id']);
});

test('OBJ-2 a malformed path id is checked after authorization (401/403 first)', async () => {
  const { R } = await fixture();
  expectError(await req(srv, 'PUT', `${R}/bad.id`, { body: { data: {} } }), 401, 104);
  expectError(await req(srv, 'PUT', `${R}/bad.id`, { auth: BOB, body: { data: {} } }), 403, 121);
  expectError(await req(srv, 'GET', `${R}/bad.id`, { auth: BOB }), 403, 121);
});

test('OBJ-2 the collection segment of record URLs is not validated: malformed cid is a missing collection (404)', async () => {
  const { B } = await fixture();
  const r = await req(srv, 'GET', `${B}/collections/bad.cid/records`, { auth: OWNER });
  expectError(r, 404, 111, { details: { id: 'bad.cid', resource_name: 'collection' } });
});

// --- OBJ-3 ---------------------------------------------------------------

test('OBJ-3 unsupported methods give 405 errno 115 with Allow (checked before authentication)', async () => {
  const { B, C, R } = await fixture();
  await putRecord(R, 'r1');
  const cases = [
    ['PATCH', '/buckets', ['GET', 'HEAD', 'POST', 'DELETE'], ['PATCH', 'PUT']],
    ['PUT', '/buckets', ['GET', 'HEAD', 'POST', 'DELETE'], ['PATCH', 'PUT']],
    ['POST', B, ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE'], ['POST']],
    ['PUT', `${B}/collections`, ['GET', 'HEAD', 'POST', 'DELETE'], ['PUT', 'PATCH']],
    ['POST', C, ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE'], ['POST']],
    ['PATCH', R, ['GET', 'HEAD', 'POST', 'DELETE'], ['PUT', 'PATCH']],
    ['POST', `${R}/r1`, ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE'], ['POST']],
    ['PUT', `${B}/groups`, ['GET', 'HEAD', 'POST', 'DELETE'], ['PUT', 'PATCH']],
    ['DELETE', '/', ['GET', 'HEAD'], ['DELETE']],
  ];
  for (const [method, path, allowed, notAllowed] of cases) {
    for (const auth of [OWNER, undefined]) {
      const r = await raw(method, path, { auth, body: method === 'DELETE' ? undefined : '{}', headers: { 'Content-Type': 'application/json' } });
      expectError(r, 405, 115, { message: 'Method not allowed on this endpoint.' });
      const allow = allowOf(r);
      for (const m of allowed) assert.ok(allow.includes(m), `${method} ${path}: Allow ${allow} lacks ${m}`);
      for (const m of notAllowed) assert.ok(!allow.includes(m), `${method} ${path}: Allow ${allow} has ${m}`);
    }
  }
});

test('OBJ-3 HEAD on an object is GET without a body', async () => {
  const { B, C, R } = await fixture();
  await putRecord(R, 'r1', { title: 'x' });
  for (const path of [B, C, `${R}/r1`]) {
    const g = await must(req(srv, 'GET', path, { auth: OWNER }), 200);
    const h = await must(raw('HEAD', path, { auth: OWNER }), 200);
    assert.equal(h.text, '');
    assert.equal(h.headers.get('etag'), g.headers.get('etag'));
    assert.equal(h.headers.get('last-modified'), g.headers.get('last-modified'));
  }
  expectError(await req(srv, 'GET', `${R}/missing`, { auth: OWNER }), 404, 110);
  const hm = await raw('HEAD', `${R}/missing`, { auth: OWNER });
  assert.equal(hm.status, 404);
});

// --- OBJ-4 / OBJ-5 -------------------------------------------------------

// --- OBJ-6 / OBJ-7 -------------------------------------------------------

test('OBJ-6 last_modified is an integer ms epoch, strictly increasing within a list; list ETag is the max', async () => {
  const { R } = await fixture();
  let prev = 0;
  for (let i = 0; i < 8; i++) {
    const r = await must(req(srv, 'POST', R, { auth: OWNER, body: { data: { i } } }), 201);
    const lm = r.json.data.last_modified;
    assert.ok(Number.isInteger(lm));
    assert.ok(Math.abs(lm - Date.now()) < 10 * 60 * 1000, `last_modified ${lm} not near now`);
    assert.ok(lm > prev, `${lm} must be > ${prev}`);
    prev = lm;
  }
  // Updates (even without any change) and deletes bump too.
  const one = (await must(req(srv, 'GET', R, { auth: OWNER }), 200)).json.data.at(-1);
  const u = await must(req(srv, 'PATCH', `${R}/${one.id}`, { auth: OWNER, body: { data: {} } }), 200);
  assert.ok(u.json.data.last_modified > prev);
  prev = u.json.data.last_modified;
  const p = await must(req(srv, 'PUT', `${R}/${one.id}`, { auth: OWNER, body: { data: u.json.data } }), 200);
  assert.ok(p.json.data.last_modified > prev);
  prev = p.json.data.last_modified;
  const d = await must(req(srv, 'DELETE', `${R}/${one.id}`, { auth: OWNER }), 200);
  assert.ok(d.json.data.last_modified > prev);
  const l = await must(req(srv, 'GET', R, { auth: OWNER }), 200);
  assert.equal(etagOf(l), d.json.data.last_modified);
  const lists = await must(req(srv, 'GET', `${R}?_since=0`, { auth: OWNER }), 200);
  const stamps = lists.json.data.map((o) => o.last_modified);
  assert.equal(new Set(stamps).size, stamps.length, 'timestamps unique within the list');
});

test('OBJ-6 scopes are independent: record writes do not touch collection or bucket metadata', async () => {
  const { B, C, R } = await fixture();
  const b0 = (await must(req(srv, 'GET', B, { auth: OWNER }), 200)).json.data.last_modified;
  const c0 = (await must(req(srv, 'GET', C, { auth: OWNER }), 200)).json.data.last_modified;
  const colls0 = etagOf(await must(req(srv, 'GET', `${B}/collections`, { auth: OWNER }), 200));
  const buckets0 = etagOf(await must(req(srv, 'GET', '/buckets', { auth: OWNER }), 200));
  const rec = await must(req(srv, 'POST', R, { auth: OWNER, body: { data: {} } }), 201);
  assert.equal((await req(srv, 'GET', C, { auth: OWNER })).json.data.last_modified, c0);
  assert.equal((await req(srv, 'GET', B, { auth: OWNER })).json.data.last_modified, b0);
  assert.equal(etagOf(await req(srv, 'GET', `${B}/collections`, { auth: OWNER })), colls0);
  const recs0 = etagOf(await req(srv, 'GET', R, { auth: OWNER }));
  assert.equal(recs0, rec.json.data.last_modified);
  // Updating collection metadata bumps the bucket's collections list only.
  const cu = await must(req(srv, 'PATCH', C, { auth: OWNER, body: { data: { title: 't' } } }), 200);
  assert.ok(cu.json.data.last_modified > c0);
  assert.equal(etagOf(await req(srv, 'GET', `${B}/collections`, { auth: OWNER })), cu.json.data.last_modified);
  assert.equal(etagOf(await req(srv, 'GET', R, { auth: OWNER })), recs0);
  assert.equal((await req(srv, 'GET', B, { auth: OWNER })).json.data.last_modified, b0);
  // Bucket metadata update bumps the buckets list, not the collections list.
  const bu = await must(req(srv, 'PATCH', B, { auth: OWNER, body: { data: { title: 'b' } } }), 200);
  assert.ok(bu.json.data.last_modified > b0);
  assert.ok(etagOf(await req(srv, 'GET', '/buckets', { auth: OWNER })) >= bu.json.data.last_modified);
  assert.ok(bu.json.data.last_modified > buckets0);
  assert.equal(etagOf(await req(srv, 'GET', `${B}/collections`, { auth: OWNER })), cu.json.data.last_modified);
});

test('OBJ-6 a re-created collection gets a records timestamp above every value served before (forced ones too)', async () => {
  const { C, R } = await fixture();
  await putRecord(R, 'r1');
  const future = Date.now() + 3600 * 1000;
  const f = await must(req(srv, 'PUT', `${R}/r2`, { auth: OWNER, body: { data: { last_modified: future } } }), 201);
  assert.equal(f.json.data.last_modified, future);
  const e1 = etagOf(await must(req(srv, 'GET', R, { auth: OWNER }), 200));
  assert.equal(e1, future);
  await must(req(srv, 'DELETE', C, { auth: OWNER }), 200);
  await must(req(srv, 'PUT', C, { auth: OWNER, body: { data: {} } }), 201);
  const l = await must(req(srv, 'GET', `${R}?_since=0`, { auth: OWNER }), 200);
  assert.deepEqual(l.json.data, []);
  const e2 = etagOf(l);
  assert.ok(e2 > e1, `re-created list ETag ${e2} must be > ${e1}`);
  const r = await must(req(srv, 'POST', R, { auth: OWNER, body: { data: {} } }), 201);
  assert.ok(r.json.data.last_modified > e2);
  // Same for a bucket: its collections list restarts above old values.
  const { B } = await fixture();
  const e3 = etagOf(await req(srv, 'GET', `${B}/collections`, { auth: OWNER }));
  await must(req(srv, 'DELETE', B, { auth: OWNER }), 200);
  await must(req(srv, 'PUT', B, { auth: OWNER, body: {} }), 201);
  const e4 = etagOf(await must(req(srv, 'GET', `${B}/collections`, { auth: OWNER }), 200));
  assert.ok(e4 > e3, `re-created bucket: collections ETag ${e4} must be > ${e3}`);
});

test('OBJ-7 a never-written list has a stable, persisted timestamp until the first write', async () => {
  const { B, R } = await fixture();
  const e1 = etagOf(await must(req(srv, 'GET', R, { auth: OWNER }), 200));
  await new Promise((r) => setTimeout(r, 30));
  const e2 = etagOf(await must(req(srv, 'GET', R, { auth: OWNER }), 200));
  const e3 = etagOf(await must(raw('HEAD', R, { auth: OWNER }), 200));
  assert.equal(e2, e1);
  assert.equal(e3, e1);
  const g1 = etagOf(await must(req(srv, 'GET', `${B}/groups`, { auth: OWNER }), 200));
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(etagOf(await req(srv, 'GET', `${B}/groups`, { auth: OWNER })), g1);
  const w = await must(req(srv, 'POST', R, { auth: OWNER, body: { data: {} } }), 201);
  assert.ok(w.json.data.last_modified > e1);
  assert.equal(etagOf(await req(srv, 'GET', R, { auth: OWNER })), w.json.data.last_modified);
  // 304 against the stable value before any write
  const { R: R2 } = await fixture();
  const e = (await req(srv, 'GET', R2, { auth: OWNER })).headers.get('etag');
  const nm = await raw('GET', R2, { auth: OWNER, headers: { 'If-None-Match': e } });
  assert.equal(nm.status, 304);
});

// --- OBJ-8 ---------------------------------------------------------------

test('OBJ-8 client-supplied last_modified: future used, equal to T bumped, <= current discarded', async () => {
  const { R } = await fixture();
  const r1 = await putRecord(R, 'r1');
  const T = r1.last_modified;
  const fut = T + 100000;
  const a = await must(req(srv, 'PUT', `${R}/r2`, { auth: OWNER, body: { data: { last_modified: fut } } }), 201);
  assert.equal(a.json.data.last_modified, fut);
  checkStamp(a, fut);
  assert.equal(etagOf(await req(srv, 'GET', R, { auth: OWNER })), fut);
  // equal to T(list) → T(list) + 1
  const b = await must(req(srv, 'POST', R, { auth: OWNER, body: { data: { id: 'r3', last_modified: fut } } }), 201);
  assert.equal(b.json.data.last_modified, fut + 1);
  // update with a value <= the object's current one: discarded, normal bump
  const c = await must(req(srv, 'PATCH', `${R}/r3`, { auth: OWNER, body: { data: { last_modified: fut + 1 } } }), 200);
  assert.equal(c.json.data.last_modified, fut + 2);
  const d = await must(req(srv, 'PUT', `${R}/r1`, { auth: OWNER, body: { data: { last_modified: 1 } } }), 200);
  assert.equal(d.json.data.last_modified, fut + 3);
  // update with a greater value: used
  const e = await must(req(srv, 'PATCH', `${R}/r1`, { auth: OWNER, body: { data: { last_modified: fut + 50 } } }), 200);
  assert.equal(e.json.data.last_modified, fut + 50);
  // non-integers are silently discarded
  let cur = fut + 50;
  for (const v of ['99999999999999', 1.5, true, null, [1], { a: 1 }, fut + 1000.5]) {
    const r = await must(req(srv, 'PATCH', `${R}/r1`, { auth: OWNER, body: { data: { last_modified: v } } }), 200);
    assert.equal(r.json.data.last_modified, cur + 1, `value ${JSON.stringify(v)} must be ignored`);
    cur += 1;
  }
});

test('OBJ-8 past value on creation is kept without moving T(list); a duplicate gives 409 errno 122 + Retry-After (HDR-2)', async () => {
  const { R } = await fixture();
  const r1 = await putRecord(R, 'r1');
  const r2 = await putRecord(R, 'r2');
  const T = r2.last_modified;
  const past = r1.last_modified - 7;
  const a = await must(req(srv, 'PUT', `${R}/old`, { auth: OWNER, body: { data: { last_modified: past } } }), 201);
  assert.equal(a.json.data.last_modified, past);
  assert.equal(etagOf(await req(srv, 'GET', R, { auth: OWNER })), T);
  const dup = await req(srv, 'PUT', `${R}/dup`, { auth: OWNER, body: { data: { last_modified: past } } });
  expectError(dup, 409, 122, { message: 'Integrity constraint violated, please retry.' });
  assert.equal(dup.headers.get('retry-after'), '3');
  expectError(await req(srv, 'GET', `${R}/dup`, { auth: OWNER }), 404, 110);
  const dup2 = await req(srv, 'PUT', `${R}/dup`, { auth: OWNER, body: { data: { last_modified: r1.last_modified } } });
  expectError(dup2, 409, 122);
  assert.equal(etagOf(await req(srv, 'GET', R, { auth: OWNER })), T);
});

test('OBJ-8 DELETE ?last_modified= forces the tombstone timestamp (ignored when not newer)', async () => {
  const { R } = await fixture();
  await putRecord(R, 'r1');
  const r2 = await putRecord(R, 'r2');
  const forced = r2.last_modified + 5000;
  const d1 = await must(req(srv, 'DELETE', `${R}/r1?last_modified=${forced}`, { auth: OWNER }), 200);
  assert.deepEqual(d1.json.data, { id: 'r1', last_modified: forced, deleted: true });
  checkStamp(d1, forced);
  const d2 = await must(req(srv, 'DELETE', `${R}/r2?last_modified=${r2.last_modified}`, { auth: OWNER }), 200);
  assert.equal(d2.json.data.last_modified, forced + 1);
});

// --- OBJ-9 ---------------------------------------------------------------

test('OBJ-9 ETag and Last-Modified values per response type', async () => {
  const { R } = await fixture();
  const post = await must(req(srv, 'POST', R, { auth: OWNER, body: { data: { id: 'a', v: 1 } } }), 201);
  checkStamp(post, post.json.data.last_modified);
  const again = await must(req(srv, 'POST', R, { auth: OWNER, body: { data: { id: 'a', v: 9 } } }), 200);
  checkStamp(again, post.json.data.last_modified);
  const put = await must(req(srv, 'PUT', `${R}/b`, { auth: OWNER, body: { data: {} } }), 201);
  checkStamp(put, put.json.data.last_modified);
  const put2 = await must(req(srv, 'PUT', `${R}/b`, { auth: OWNER, body: { data: { x: 1 } } }), 200);
  checkStamp(put2, put2.json.data.last_modified);
  const patch = await must(req(srv, 'PATCH', `${R}/a`, { auth: OWNER, body: { data: { y: 1 } } }), 200);
  checkStamp(patch, patch.json.data.last_modified);
  const get = await must(req(srv, 'GET', `${R}/a`, { auth: OWNER }), 200);
  checkStamp(get, patch.json.data.last_modified);
  const list = await must(req(srv, 'GET', `${R}?v=12345`, { auth: OWNER }), 200);
  assert.deepEqual(list.json.data, []);
  checkStamp(list, patch.json.data.last_modified);
  const del = await must(req(srv, 'DELETE', `${R}/b`, { auth: OWNER }), 200);
  checkStamp(del, del.json.data.last_modified);
  await putRecord(R, 'c');
  await putRecord(R, 'd');
  const bulk = await must(req(srv, 'DELETE', `${R}?in_id=c,d`, { auth: OWNER }), 200);
  assert.equal(bulk.json.data.length, 2);
  const maxTomb = Math.max(...bulk.json.data.map((t) => t.last_modified));
  checkStamp(bulk, maxTomb);
  const none = await must(req(srv, 'DELETE', `${R}?id=nothing-here`, { auth: OWNER }), 200);
  assert.deepEqual(none.json.data, []);
  checkStamp(none, maxTomb);
  // Errors other than 412 and the hello page carry no ETag.
  const nf = await req(srv, 'GET', `${R}/zzz`, { auth: OWNER });
  assert.equal(nf.status, 404);
  assert.equal(nf.headers.get('etag'), null);
  assert.equal((await req(srv, 'GET', '/', { auth: OWNER })).headers.get('etag'), null);
});

// --- OBJ-10 / OBJ-11 / OBJ-12 -------------------------------------------

test('OBJ-10 If-None-Match with the current value gives 304 on objects and lists', async () => {
  const { R } = await fixture();
  const rec = await putRecord(R, 'r1', { a: 1 });
  const v = rec.last_modified;
  const nm = await raw('GET', `${R}/r1`, { auth: OWNER, headers: { 'If-None-Match': `"${v}"` } });
  assert.equal(nm.status, 304);
  assert.equal(nm.text, '');
  checkStamp(nm, v);
  const hnm = await raw('HEAD', `${R}/r1`, { auth: OWNER, headers: { 'If-None-Match': `"${v}"` } });
  assert.equal(hnm.status, 304);
  await must(raw('GET', `${R}/r1`, { auth: OWNER, headers: { 'If-None-Match': `"${v - 1}"` } }), 200);
  const ln = await raw('GET', R, { auth: OWNER, headers: { 'If-None-Match': `"${v}"` } });
  assert.equal(ln.status, 304);
  checkStamp(ln, v);
  const lh = await raw('HEAD', R, { auth: OWNER, headers: { 'If-None-Match': `"${v}"` } });
  assert.equal(lh.status, 304);
  // With a filter the list ETag is the same, so still 304.
  assert.equal((await raw('GET', `${R}?a=2`, { auth: OWNER, headers: { 'If-None-Match': `"${v}"` } })).status, 304);
  const w = await putRecord(R, 'r2');
  const after = await must(raw('GET', R, { auth: OWNER, headers: { 'If-None-Match': `"${v}"` } }), 200);
  checkStamp(after, w.last_modified);
  // If-None-Match: * never yields 304.
  expectError(await raw('GET', `${R}/r1`, { auth: OWNER, headers: { 'If-None-Match': '*' } }), 412, 114);
  expectError(await raw('GET', R, { auth: OWNER, headers: { 'If-None-Match': '*' } }), 412, 114);
  // If-None-Match "N" on writes has no effect.
  await must(req(srv, 'PUT', `${R}/r1`, { auth: OWNER, headers: { 'If-None-Match': `"${v}"` }, body: { data: {} } }), 200);
});

test('OBJ-11 precondition table on an existing object', async () => {
  const { R } = await fixture();
  const MEANWHILE = 'Resource was modified meanwhile';
  let cur = await putRecord(R, 'e', { n: 0 });
  const stale = '"1"';
  const bodyFor = (m) => (m === 'POST' ? { data: { id: 'e', n: 99 } } : m === 'GET' || m === 'DELETE' ? undefined : { data: { n: 99 } });
  const urlFor = (m) => (m === 'POST' ? R : `${R}/e`);
  // stale If-Match and If-None-Match: * → 412 with details.existing, ETag = current
  for (const [h, v] of [['If-Match', stale], ['If-None-Match', '*']]) {
    for (const m of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
      const r = await req(srv, m, urlFor(m), { auth: OWNER, headers: { [h]: v }, body: bodyFor(m) });
      expectError(r, 412, 114, { message: MEANWHILE, error: 'Precondition Failed' });
      assert.deepEqual(r.json.details, { existing: cur }, `${m} ${h}: ${String(r.text).slice(0, 600)}`);
      checkStamp(r, cur.last_modified);
    }
  }
  assert.deepEqual((await req(srv, 'GET', `${R}/e`, { auth: OWNER })).json.data, cur, 'nothing changed');
  // matching If-Match (and If-Match: *) lets every method proceed
  for (const v of ['exact', '*']) {
    const hv = () => (v === '*' ? '*' : `"${cur.last_modified}"`);
    const g = await must(req(srv, 'GET', `${R}/e`, { auth: OWNER, headers: { 'If-Match': hv() } }), 200);
    assert.deepEqual(g.json.data, cur);
    const p = await must(req(srv, 'POST', R, { auth: OWNER, headers: { 'If-Match': hv() }, body: { data: { id: 'e', n: 42 } } }), 200);
    assert.deepEqual(p.json.data, cur, 'POST on an existing id returns it unchanged');
    cur = (await must(req(srv, 'PUT', `${R}/e`, { auth: OWNER, headers: { 'If-Match': hv() }, body: { data: { n: 1 } } }), 200)).json.data;
    cur = (await must(req(srv, 'PATCH', `${R}/e`, { auth: OWNER, headers: { 'If-Match': hv() }, body: { data: { n: 2 } } }), 200)).json.data;
    const d = await must(req(srv, 'DELETE', `${R}/e`, { auth: OWNER, headers: { 'If-Match': hv() } }), 200);
    assert.equal(d.json.data.deleted, true);
    cur = await putRecord(R, 'e', { n: 0 });
  }
});

test('OBJ-11 precondition table on a missing object (never existed, or tombstone)', async () => {
  const { R } = await fixture();
  const live = await putRecord(R, 'live');
  await putRecord(R, 'gone');
  await must(req(srv, 'DELETE', `${R}/gone`, { auth: OWNER }), 200);
  const T = etagOf(await req(srv, 'GET', R, { auth: OWNER }));
  assert.ok(T > live.last_modified);
  for (const id of ['never', 'gone']) {
    for (const im of ['"123"', '*']) {
      expectError(await req(srv, 'GET', `${R}/${id}`, { auth: OWNER, headers: { 'If-Match': im } }), 404, 110);
      expectError(await req(srv, 'PATCH', `${R}/${id}`, { auth: OWNER, headers: { 'If-Match': im }, body: { data: {} } }), 404, 110);
      expectError(await req(srv, 'DELETE', `${R}/${id}`, { auth: OWNER, headers: { 'If-Match': im } }), 404, 110);
      const put = await req(srv, 'PUT', `${R}/${id}`, { auth: OWNER, headers: { 'If-Match': im }, body: { data: {} } });
      expectError(put, 412, 114);
      assert.equal(put.json.details, undefined, 'no details when the target does not exist');
      checkStamp(put, T);
      const post = await req(srv, 'POST', R, { auth: OWNER, headers: { 'If-Match': im }, body: { data: { id } } });
      expectError(post, 412, 114);
      assert.equal(post.json.details, undefined);
    }
    expectError(await req(srv, 'GET', `${R}/${id}`, { auth: OWNER, headers: { 'If-None-Match': '*' } }), 404, 110);
    expectError(await req(srv, 'PATCH', `${R}/${id}`, { auth: OWNER, headers: { 'If-None-Match': '*' }, body: { data: {} } }), 404, 110);
    expectError(await req(srv, 'DELETE', `${R}/${id}`, { auth: OWNER, headers: { 'If-None-Match': '*' } }), 404, 110);
  }
  // If-None-Match: * creates (also over a tombstone), by PUT and by POST.
  await must(req(srv, 'PUT', `${R}/gone`, { auth: OWNER, headers: { 'If-None-Match': '*' }, body: { data: { k: 1 } } }), 201);
  await must(req(srv, 'POST', R, { auth: OWNER, headers: { 'If-None-Match': '*' }, body: { data: { id: 'never', k: 2 } } }), 201);
  // POST without data.id and with any If-Match → 412
  const cur = etagOf(await req(srv, 'GET', R, { auth: OWNER }));
  expectError(await req(srv, 'POST', R, { auth: OWNER, headers: { 'If-Match': `"${cur}"` }, body: { data: {} } }), 412, 114);
  expectError(await req(srv, 'POST', R, { auth: OWNER, headers: { 'If-Match': '*' }, body: { data: {} } }), 412, 114);
});

test('OBJ-11 preconditions on plural endpoints compare T(list); If-None-Match: * always fails', async () => {
  const { R } = await fixture();
  await putRecord(R, 'a');
  const T = etagOf(await req(srv, 'GET', R, { auth: OWNER }));
  await must(req(srv, 'GET', R, { auth: OWNER, headers: { 'If-Match': `"${T}"` } }), 200);
  await must(req(srv, 'GET', R, { auth: OWNER, headers: { 'If-Match': '*' } }), 200);
  const stale = await req(srv, 'GET', R, { auth: OWNER, headers: { 'If-Match': `"${T - 1}"` } });
  expectError(stale, 412, 114, { message: 'Resource was modified meanwhile' });
  assert.equal(stale.json.details, undefined);
  checkStamp(stale, T);
  const inm = await req(srv, 'GET', R, { auth: OWNER, headers: { 'If-None-Match': '*' } });
  expectError(inm, 412, 114);
  assert.equal(inm.json.details, undefined);
  expectError(await req(srv, 'DELETE', R, { auth: OWNER, headers: { 'If-Match': `"${T - 1}"` } }), 412, 114);
  expectError(await req(srv, 'DELETE', R, { auth: OWNER, headers: { 'If-None-Match': '*' } }), 412, 114);
  assert.deepEqual(idsOf(await req(srv, 'GET', R, { auth: OWNER })), ['a']);
  const d = await must(req(srv, 'DELETE', R, { auth: OWNER, headers: { 'If-Match': `"${T}"` } }), 200);
  assert.deepEqual(d.json.data.map((t) => t.id), ['a']);
});

test('OBJ-12 malformed If-Match / If-None-Match gives 400 errno 107 with a header detail', async () => {
  const { R } = await fixture();
  const rec = await putRecord(R, 'r');
  const bad = ['123', `${rec.last_modified}`, 'W/"123"', '"1", "2"', '"abc"', '"12', '12"', "'12'", '"1.5"', '""'];
  for (const name of ['If-Match', 'If-None-Match']) {
    for (const v of bad) {
      for (const [m, path, body] of [['GET', `${R}/r`], ['PUT', `${R}/r`, { data: {} }], ['GET', R]]) {
        const r = await req(srv, m, path, { auth: OWNER, headers: { [name]: v }, body });
        expectError(r, 400, 107, {
          error: 'Invalid parameters',
          message: `${name} in header: The value should be integer between double quotes.`,
          details: [{ location: 'header', name, description: 'The value should be integer between double quotes.' }],
        });
      }
    }
  }
  assert.equal((await req(srv, 'GET', `${R}/r`, { auth: OWNER })).json.data.last_modified, rec.last_modified);
});

// --- OBJ-13 --------------------------------------------------------------

test('OBJ-13 order of checks: record write on a missing collection is 404 before authentication', async () => {
  const { B } = await fixture();
  for (const [m, suffix] of [['PUT', '/r1'], ['PATCH', '/r1'], ['DELETE', '/r1'], ['POST', '']]) {
    for (const auth of [undefined, BOB, OWNER]) {
      const r = await req(srv, m, `${B}/collections/nope/records${suffix}`, { auth, body: m === 'DELETE' ? undefined : { data: {} } });
      expectError(r, 404, 111, { details: { id: 'nope', resource_name: 'collection' } });
    }
  }
  // Same under a bucket that does not exist.
  const r = await req(srv, 'PUT', `/buckets/${uid('nob')}/collections/c/records/r1`, { body: { data: {} } });
  expectError(r, 404, 111, { details: { id: 'c', resource_name: 'collection' } });
});

test('OBJ-13 order of checks: negotiation (415/406) before auth, auth before body/query validation, validation before 412', async () => {
  const { B, C, R } = await fixture();
  await putRecord(R, 'r1');
  // 415 / 406 without any permission check
  expectError(await raw('PUT', B, { body: '{}', headers: { 'Content-Type': 'text/plain' } }), 415, 107);
  expectError(await raw('PUT', `${R}/r1`, { auth: BOB, body: '{}', headers: { 'Content-Type': 'text/plain' } }), 415, 107);
  expectError(await raw('GET', C, { headers: { Accept: 'text/html' } }), 406, 107);
  // auth before JSON / schema / querystring validation
  const badJson = { body: '{"data": ', headers: { 'Content-Type': 'application/json' } };
  expectError(await raw('PUT', `${R}/r1`, badJson), 401, 104);
  expectError(await raw('PUT', `${R}/r1`, { ...badJson, auth: BOB }), 403, 121);
  expectError(await raw('PATCH', B, { ...badJson, auth: BOB }), 403, 121);
  expectError(await req(srv, 'PUT', `${R}/r1`, { body: { foo: 1 } }), 401, 104);
  expectError(await req(srv, 'GET', `${R}?_limit=abc`), 401, 104);
  expectError(await req(srv, 'GET', `${R}?_limit=abc`, { auth: BOB }), 403, 121);
  expectError(await req(srv, 'GET', `${R}/r1`, { auth: BOB, headers: { 'If-Match': 'garbage' } }), 403, 121);
  // schema validation (step 6) before the handler's 412 / 404 (step 7)
  expectError(await req(srv, 'PUT', `${R}/r1`, { auth: OWNER, headers: { 'If-Match': '"1"' }, body: { data: '' } }), 400, 107);
  expectError(await req(srv, 'GET', `${R}/missing`, { auth: OWNER, headers: { 'If-Match': '123' } }), 400, 107);
  expectError(await req(srv, 'GET', `${R}/missing?_limit=abc`, { auth: OWNER }), 404, 110);
  expectError(await raw('PATCH', `${R}/missing`, { ...badJson, auth: OWNER }), 400, 107);
});

// --- OBJ-14 --------------------------------------------------------------

// --- OBJ-15 / OBJ-16 -----------------------------------------------------

test('OBJ-15 tombstones: invisible to GET/list/count, listed with _since, re-creation over them is 201', async () => {
  const { R } = await fixture();
  await putRecord(R, 'keep', { a: 1 });
  await putRecord(R, 'del', { a: 2, secret: 'x' }, OWNER, { read: [ids.alice] });
  const d = await must(req(srv, 'DELETE', `${R}/del`, { auth: OWNER }), 200);
  assert.deepEqual(Object.keys(d.json.data).sort(), ['deleted', 'id', 'last_modified']);
  assert.equal(d.json.data.deleted, true);
  expectError(await req(srv, 'GET', `${R}/del`, { auth: OWNER }), 404, 110);
  assert.deepEqual(idsOf(await req(srv, 'GET', R, { auth: OWNER })), ['keep']);
  const h = await must(raw('HEAD', R, { auth: OWNER }), 200);
  assert.equal(h.headers.get('total-objects'), '1');
  assert.equal(h.headers.get('total-records'), '1');
  const hs = await must(raw('HEAD', `${R}?_since=0`, { auth: OWNER }), 200);
  assert.equal(hs.headers.get('total-objects'), '1', 'tombstones never counted');
  const s = await must(req(srv, 'GET', `${R}?_since=0`, { auth: OWNER }), 200);
  const tomb = s.json.data.find((o) => o.id === 'del');
  assert.deepEqual(tomb, d.json.data, 'tombstone has only id, last_modified, deleted');
  const re = await must(req(srv, 'PUT', `${R}/del`, { auth: OWNER, headers: { 'If-None-Match': '*' }, body: { data: { a: 3 } } }), 201);
  assert.deepEqual(re.json.data, { id: 'del', last_modified: re.json.data.last_modified, a: 3 });
  assert.ok(re.json.data.last_modified > d.json.data.last_modified);
  // The old ACL went with the delete.
  assert.deepEqual(re.json.permissions, { write: [ids.owner] });
  const s2 = await must(req(srv, 'GET', `${R}?_since=0`, { auth: OWNER }), 200);
  assert.equal(s2.json.data.filter((o) => o.id === 'del').length, 1);
  assert.equal(s2.json.data.find((o) => o.id === 'del').deleted, undefined);
});

// --- OBJ-17 --------------------------------------------------------------

test('OBJ-17 deleting a collection purges its records and their tombstones, leaves its own tombstone', async () => {
  const { B, C, R } = await fixture();
  await putRecord(R, 'r1');
  await putRecord(R, 'r2');
  await must(req(srv, 'DELETE', `${R}/r2`, { auth: OWNER }), 200);
  assert.equal((await req(srv, 'GET', `${R}?_since=0`, { auth: OWNER })).json.data.length, 2);
  const dc = await must(req(srv, 'DELETE', C, { auth: OWNER }), 200);
  expectError(await req(srv, 'GET', R, { auth: OWNER }), 404, 111, { details: { id: 'c', resource_name: 'collection' } });
  expectError(await req(srv, 'GET', `${R}/r1`, { auth: OWNER }), 404, 111);
  const cl = await must(req(srv, 'GET', `${B}/collections?_since=0`, { auth: OWNER }), 200);
  assert.deepEqual(cl.json.data, [dc.json.data]);
  await must(req(srv, 'PUT', C, { auth: OWNER, body: { data: {} } }), 201);
  assert.deepEqual((await must(req(srv, 'GET', `${R}?_since=0`, { auth: OWNER }), 200)).json.data, [], 'no tombstones survive the cascade');
  expectError(await req(srv, 'GET', `${R}/r1`, { auth: OWNER }), 404, 110);
});

test('OBJ-17 deleting a bucket purges groups, collections, records; /buckets/a leaves /buckets/ab alone', async () => {
  const a = uid('cas');
  const ab = `${a}b`;
  for (const b of [a, ab]) {
    await must(req(srv, 'PUT', `/buckets/${b}`, { auth: OWNER, body: {} }), 201);
    await must(req(srv, 'PUT', `/buckets/${b}/collections/c`, { auth: OWNER, body: {} }), 201);
    await must(req(srv, 'PUT', `/buckets/${b}/collections/c/records/r`, { auth: OWNER, body: { data: { b } } }), 201);
    await must(req(srv, 'PUT', `/buckets/${b}/groups/g`, { auth: OWNER, body: { data: { members: [ids.alice] } } }), 201);
  }
  const d = await must(req(srv, 'DELETE', `/buckets/${a}`, { auth: OWNER }), 200);
  assert.deepEqual(d.json.data.id, a);
  assert.equal(d.json.data.deleted, true);
  assert.equal((await must(req(srv, 'GET', `/buckets/${ab}/collections/c/records/r`, { auth: OWNER }), 200)).json.data.b, ab);
  assert.deepEqual((await must(req(srv, 'GET', `/buckets/${ab}/groups/g`, { auth: OWNER }), 200)).json.data.members, [ids.alice]);
  assert.deepEqual(idsOf(await must(req(srv, 'GET', `/buckets/${ab}/collections`, { auth: OWNER }), 200)), ['c']);
  expectError(await req(srv, 'GET', `/buckets/${a}`, { auth: OWNER }), 403, 121);
  expectError(await req(srv, 'GET', `/buckets/${a}/collections/c/records/r`, { auth: OWNER }), 403, 121);
  await must(req(srv, 'PUT', `/buckets/${a}`, { auth: OWNER, body: {} }), 201);
  assert.deepEqual((await must(req(srv, 'GET', `/buckets/${a}/collections?_since=0`, { auth: OWNER }), 200)).json.data, []);
  assert.deepEqual((await must(req(srv, 'GET', `/buckets/${a}/groups?_since=0`, { auth: OWNER }), 200)).json.data, []);
  expectError(await req(srv, 'GET', `/buckets/${a}/collections/c/records`, { auth: OWNER }), 404, 111);
  await must(req(srv, 'PUT', `/buckets/${a}/collections/c`, { auth: OWNER, body: {} }), 201);
  assert.deepEqual((await must(req(srv, 'GET', `/buckets/${a}/collections/c/records?_since=0`, { auth: OWNER }), 200)).json.data, []);
  // membership of the deleted group is gone (D1), the other bucket's remains
  const alice = (await req(srv, 'GET', '/', { auth: ALICE })).json.user.principals;
  assert.ok(!alice.includes(`/buckets/${a}/groups/g`), `stale membership: ${alice}`);
  assert.ok(alice.includes(`/buckets/${ab}/groups/g`));
  // a re-created group with the same id starts without the old members
  await must(req(srv, 'PUT', `/buckets/${a}/groups/g`, { auth: OWNER, body: { data: { members: [] } } }), 201);
  const again = (await req(srv, 'GET', '/', { auth: ALICE })).json.user.principals;
  assert.ok(!again.includes(`/buckets/${a}/groups/g`), `re-created group kept old members: ${again}`);
});

// --- OBJ-18 --------------------------------------------------------------

test('OBJ-18 404 versus 403 decision table', async () => {
  // alice has write on bucket b only; bob has read on b only; nobody (carol) has nothing.
  const CAROL = user('carol');
  const { b, B } = await fixture(OWNER, { bucketPerms: { write: [ids.alice], read: [ids.bob] } });
  const other = uid('other');
  await must(req(srv, 'PUT', `/buckets/${other}`, { auth: OWNER, body: {} }), 201);
  expectError(await req(srv, 'GET', `${B}/collections/zzz`, { auth: ALICE }), 404, 110, { details: { id: 'zzz', resource_name: 'collection' } });
  expectError(await req(srv, 'GET', `${B}/collections/zzz/records`, { auth: ALICE }), 404, 111, { details: { id: 'zzz', resource_name: 'collection' } });
  expectError(await req(srv, 'GET', `${B}/collections/zzz/records/r`, { auth: ALICE }), 404, 111, { details: { id: 'zzz', resource_name: 'collection' } });
  expectError(await req(srv, 'DELETE', `${B}/collections/zzz/records`, { auth: ALICE }), 404, 111);
  expectError(await req(srv, 'GET', `/buckets/${other}/collections`, { auth: ALICE }), 403, 121, { message: 'This user cannot access this resource.' });
  expectError(await req(srv, 'GET', `/buckets/${uid('nope')}/collections`, { auth: ALICE }), 403, 121);
  expectError(await req(srv, 'GET', `/buckets/${uid('nope')}`, { auth: ALICE }), 403, 121);
  expectError(await req(srv, 'GET', `/buckets/${uid('nope')}`), 401, 104);
  expectError(await req(srv, 'GET', `/buckets/${uid('nope')}/collections/c/records`, { auth: ALICE }), 403, 121);
  expectError(await req(srv, 'DELETE', `${B}/groups/g1`, { auth: ALICE }), 404, 110);
  expectError(await req(srv, 'DELETE', `${B}/groups/g1`, { auth: BOB }), 404, 110);
  expectError(await req(srv, 'PATCH', `${B}/groups/g1`, { auth: BOB, body: { data: {} } }), 404, 110);
  expectError(await req(srv, 'DELETE', `${B}/groups/g1`, { auth: CAROL }), 403, 121);
  expectError(await req(srv, 'PATCH', `${B}/collections/c/records/nope`, { auth: CAROL, body: { data: {} } }), 403, 121);
  expectError(await req(srv, 'PATCH', `${B}/collections/c/records/nope`, { body: { data: {} } }), 401, 104);
  expectError(await req(srv, 'DELETE', `${B}/collections/c/records/nope`, { auth: BOB }), 404, 110);
  // PUT on a missing object is a creation: needs the create permission
  expectError(await req(srv, 'PUT', `${B}/groups/g2`, { auth: BOB, body: { data: {} } }), 403, 121);
  await must(req(srv, 'PUT', `${B}/groups/g2`, { auth: ALICE, body: { data: {} } }), 201);
  assert.ok(b);
});

// --- OBJ-19 --------------------------------------------------------------

function cacheSet(r) {
  return (r.headers.get('cache-control') ?? '').split(',').map((s) => s.trim()).filter(Boolean).sort();
}
function checkExpires(r, seconds) {
  const e = r.headers.get('expires');
  assert.ok(e, 'Expires header expected');
  const t = Date.parse(e);
  assert.ok(Math.abs(t - (Date.now() + seconds * 1000)) < 10000, `Expires ${e} not ~ now+${seconds}s`);
}

test('OBJ-19 default cache headers: no-cache, no-store; collection cache_expires applies to anonymous record reads', async () => {
  const { C, R } = await fixture(OWNER, { bucketPerms: { read: ['system.Everyone'] } });
  await putRecord(R, 'r1');
  for (const auth of [undefined, OWNER]) {
    for (const path of [C, R, `${R}/r1`]) {
      const r = await must(req(srv, 'GET', path, { auth }), 200);
      assert.deepEqual(cacheSet(r), ['no-cache', 'no-store'], `${path}: ${r.headers.get('cache-control')}`);
      assert.equal(r.headers.get('expires'), null);
    }
  }
  await must(req(srv, 'PATCH', C, { auth: OWNER, body: { data: { cache_expires: 100 } } }), 200);
  for (const path of [R, `${R}/r1`]) {
    const anon = await must(req(srv, 'GET', path), 200);
    assert.deepEqual(cacheSet(anon), ['max-age=100']);
    checkExpires(anon, 100);
    const authd = await must(req(srv, 'GET', path, { auth: OWNER }), 200);
    assert.deepEqual(cacheSet(authd), ['no-cache', 'no-store']);
  }
  await must(req(srv, 'PATCH', C, { auth: OWNER, body: { data: { cache_expires: 0 } } }), 200);
  const zero = await must(req(srv, 'GET', R), 200);
  assert.deepEqual(cacheSet(zero), ['max-age=0', 'must-revalidate', 'no-cache', 'no-store']);
  assert.equal(zero.headers.get('pragma'), 'no-cache');
  checkExpires(zero, 0);
});

test('OBJ-19 *_cache_expires_seconds settings for anonymous reads; 304 carries no cache headers', async () => {
  const cb = uid('cache');
  const s2 = await startServer({
    workers: 1,
    settings: {
      'kinto.bucket_cache_expires_seconds': '60',
      'kinto.collection_cache_expires_seconds': '45',
      'kinto.record_cache_expires_seconds': '30',
      [`kinto.${cb}.c0.record_cache_expires_seconds`]: '0',
      [`kinto.${cb}.record_cache_expires_seconds`]: '20',
      [`kinto.${cb}.c9.record_cache_expires_seconds`]: '90',
    },
  });
  try {
    const B = `/buckets/${cb}`;
    await must(req(s2, 'PUT', B, { auth: OWNER, body: { permissions: { read: ['system.Everyone'] } } }), 201);
    for (const [c, data] of [['c0', {}], ['c1', { cache_expires: 120 }], ['c2', {}], ['c3', { cache_expires: 10 }], ['c9', {}]]) {
      await must(req(s2, 'PUT', `${B}/collections/${c}`, { auth: OWNER, body: { data } }), 201);
      await must(req(s2, 'PUT', `${B}/collections/${c}/records/r`, { auth: OWNER, body: { data: {} } }), 201);
    }
    const anon = async (path) => must(req(s2, 'GET', path), 200);
    let r = await anon(B);
    assert.deepEqual(cacheSet(r), ['max-age=60']);
    checkExpires(r, 60);
    r = await anon(`${B}/collections/c2`);
    assert.deepEqual(cacheSet(r), ['max-age=45']);
    r = await anon(`${B}/collections`);
    assert.deepEqual(cacheSet(r), ['max-age=45']);
    // records: <bid>.<cid> beats <bid> beats the global key; max with the collection's cache_expires
    const expect = { c0: 0, c1: 120, c2: 20, c3: 20, c9: 90 };
    for (const [c, n] of Object.entries(expect)) {
      for (const path of [`${B}/collections/${c}/records`, `${B}/collections/${c}/records/r`]) {
        r = await anon(path);
        if (n === 0) {
          assert.deepEqual(cacheSet(r), ['max-age=0', 'must-revalidate', 'no-cache', 'no-store'], path);
          assert.equal(r.headers.get('pragma'), 'no-cache');
        } else {
          assert.deepEqual(cacheSet(r), [`max-age=${n}`], `${path}: ${r.headers.get('cache-control')}`);
        }
        checkExpires(r, n);
      }
    }
    // another bucket falls back to the global record setting
    const ob = `/buckets/${uid('cache')}`;
    await must(req(s2, 'PUT', ob, { auth: OWNER, body: { permissions: { read: ['system.Everyone'] } } }), 201);
    await must(req(s2, 'PUT', `${ob}/collections/c`, { auth: OWNER, body: {} }), 201);
    assert.deepEqual(cacheSet(await anon(`${ob}/collections/c/records`)), ['max-age=30']);
    // authenticated requests always get the default
    const au = await must(req(s2, 'GET', `${B}/collections/c1/records`, { auth: OWNER }), 200);
    assert.deepEqual(cacheSet(au), ['no-cache', 'no-store']);
    // 304: only ETag / Last-Modified
    const etag = (await anon(`${B}/collections/c1/records/r`)).headers.get('etag');
    const nm = await req(s2, 'GET', `${B}/collections/c1/records/r`, { headers: { 'If-None-Match': etag } });
    assert.equal(nm.status, 304);
    assert.equal(nm.headers.get('cache-control'), null);
    assert.equal(nm.headers.get('expires'), null);
    assert.equal(nm.headers.get('etag'), etag);
  } finally {
    await s2.stop();
  }
});
