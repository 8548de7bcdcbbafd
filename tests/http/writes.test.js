// Black-box tests for spec 03 (writes): media types, body rules, JSON
// fidelity, POST/PUT, the three PATCH flavours, Response-Behavior, ACL
// changes per method, kind-specific validation: WRITE-1, -2, -4..-13.
// (WRITE-3, the body size limit, is in badinput.test.js.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, basic, req } from './lib/harness.js';
import { must, expectError } from './lib/expect.js';

const RUN = (Date.now() % 1e9).toString(36) + Math.random().toString(36).slice(2, 6);
let seq = 0;
const uid = (p = 'x') => `${p}${RUN}${(++seq).toString(36)}`;
const user = (name) => basic(`${name}-${RUN}`, 'secret');

const OWNER = user('owner');
const ALICE = user('alice');
const BOB = user('bob');
const CAROL = user('carol');

let srv;
const ids = {};

before(async () => {
  srv = await startServer({ workers: 2 });
  for (const [k, a] of Object.entries({ owner: OWNER, alice: ALICE, bob: BOB, carol: CAROL })) {
    const r = await req(srv, 'GET', '/', { auth: a });
    assert.equal(r.status, 200, r.text);
    ids[k] = r.json.user.id;
  }
});
after(async () => { await srv?.stop(); });

// --- helpers -------------------------------------------------------------



// Own fetch: exact Content-Type and raw bodies. `body` may be an object
// (JSON-encoded), a string, or a Uint8Array (sent with no Content-Type
// unless one is given).
async function send(method, path, { auth, ct = 'application/json', body, headers = {} } = {}) {
  const h = { ...headers };
  if (auth) h.Authorization = auth;
  let b = body;
  if (b !== undefined && typeof b !== 'string' && !(b instanceof Uint8Array)) b = JSON.stringify(b);
  if (ct !== null && b !== undefined) h['Content-Type'] = ct;
  const res = await fetch(srv.url + path, { method, headers: h, body: b, redirect: 'manual' });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, json, text };
}
// 03 §3.4/§3.5.1 write these with a "<name> in body: " prefix, while 08 §8.3 (and upstream)
// use the description alone when it already contains the name: accept both.
const PROVIDE_MSG = /^(data in body: )?Provide at least one of data or permissions$/;
const ID_MISMATCH_MSG = /^(id in body: )?Object id does not match existing object$/;
const MERGE = 'application/merge-patch+json';
const JPATCH = 'application/json-patch+json';

async function fixture(auth = OWNER, { bucketPerms, collPerms } = {}) {
  const b = uid('b');
  await must(req(srv, 'PUT', `/buckets/${b}`, { auth, body: { data: {}, permissions: bucketPerms } }), 201);
  await must(req(srv, 'PUT', `/buckets/${b}/collections/c`, { auth, body: { data: {}, permissions: collPerms } }), 201);
  return { b, B: `/buckets/${b}`, C: `/buckets/${b}/collections/c`, R: `/buckets/${b}/collections/c/records` };
}
async function get(path, auth = OWNER) {
  return (await must(req(srv, 'GET', path, { auth }), 200)).json;
}
const strip = (d) => { const { last_modified, ...rest } = d; return rest; };

// --- WRITE-1 -------------------------------------------------------------

test('WRITE-1 Content-Type: other media types → 415 errno 107 (before auth); json with params accepted', async () => {
  const { C, R } = await fixture();
  for (const [method, path, ct] of [
    ['POST', R, 'text/plain'], ['PUT', `${R}/a`, 'application/x-www-form-urlencoded'],
    ['PUT', `${R}/a`, JPATCH], ['POST', R, JPATCH], ['PUT', `${R}/a`, MERGE], ['POST', R, 'text/json'],
  ]) {
    for (const auth of [OWNER, undefined]) {
      const r = await send(method, path, { auth, ct, body: '{"data": {}}' });
      expectError(r, 415, 107, { error: 'Invalid parameters' });
      assert.equal(r.json.details.length, 1);
      assert.equal(r.json.details[0].location, 'header');
      assert.equal(r.json.details[0].name, 'Content-Type');
      assert.equal(r.json.details[0].description, "Content-Type header should be one of ['application/json']");
      assert.equal(r.json.message, "Content-Type header should be one of ['application/json']");
    }
  }
  const p = await send('PATCH', `${C}`, { auth: OWNER, ct: 'text/plain', body: '{"data": {}}' });
  expectError(p, 415, 107);
  for (const t of ['application/json', MERGE, JPATCH]) assert.ok(p.json.details[0].description.includes(t), p.text);
  assert.deepEqual((await get(R)).data, [], 'nothing was created');
  await must(send('PUT', `${R}/a`, { auth: OWNER, ct: 'application/json; charset=utf-8', body: '{"data": {"x": 1}}' }), 201);
  await must(send('PUT', `${R}/b`, { auth: OWNER, ct: 'application/json;charset=UTF-8', body: '{"data": {"x": 1}}' }), 201);
  // No Content-Type at all: accepted as JSON.
  const noCt = await send('PUT', `${R}/c`, { auth: OWNER, ct: null, body: new TextEncoder().encode('{"data": {"x": 2}}') });
  assert.equal(noCt.status, 201, noCt.text);
  assert.equal(noCt.json.data.x, 2);
  // kinto-http.js sends Content-Type: application/json on GET and DELETE too.
  await must(send('GET', `${R}/a`, { auth: OWNER, headers: { 'Content-Type': 'application/json' } }), 200);
  await must(send('DELETE', `${R}/a`, { auth: OWNER, headers: { 'Content-Type': 'application/json' } }), 200);
});

test('WRITE-1 Accept must allow application/json, else 406 errno 107 (before auth)', async () => {
  const { R } = await fixture();
  for (const accept of ['*/*', 'application/*', 'application/json', 'text/html, application/json;q=0.5', 'application/json; charset=utf-8', 'text/html;q=0.9, */*;q=0.1']) {
    await must(send('GET', R, { auth: OWNER, headers: { Accept: accept } }), 200);
  }
  for (const accept of ['text/html', 'application/xml', 'image/*', 'application/json;q=0']) {
    for (const auth of [OWNER, undefined]) {
      const r = await send('GET', R, { auth, headers: { Accept: accept } });
      expectError(r, 406, 107, { message: "Accept header should be one of ['application/json']" });
      assert.equal(r.json.details[0].location, 'header');
      assert.equal(r.json.details[0].name, 'Accept');
    }
  }
  const w = await send('POST', R, { auth: OWNER, body: { data: { id: 'x' } }, headers: { Accept: 'text/html' } });
  expectError(w, 406, 107);
  assert.deepEqual((await get(R)).data, []);
});

// --- WRITE-2 -------------------------------------------------------------

test('WRITE-2 invalid JSON → 400 errno 107, location body, message starting "Invalid JSON"', async () => {
  const { R } = await fixture();
  for (const body of ['{"data": ', '{data: {}}', "{'data': {}}", '{"data": {}} x', '{"data": {},}', 'nope', '{"a":1']) {
    const r = await send('PUT', `${R}/r`, { auth: OWNER, body });
    expectError(r, 400, 107, { error: 'Invalid parameters' });
    // upstream then reports the body as missing too (kinto's own test_views.py)
    assert.equal(r.json.details.length, 2, r.text);
    assert.equal(r.json.details[0].location, 'body');
    assert.equal(r.json.details[0].name, '');
    assert.match(r.json.details[0].description, /^Invalid JSON/);
    assert.deepEqual(r.json.details[1], { location: 'body', name: '', description: 'Required' });
    assert.match(r.json.message, /^Invalid JSON/);
  }
  expectError(await req(srv, 'GET', `${R}/r`, { auth: OWNER }), 404, 110);
});

test('WRITE-2 body shape: only data/permissions, data an object, permissions a map of known names to string arrays', async () => {
  const { B, C, R } = await fixture();
  const cases = [
    [`${R}/r`, '[]'], [`${R}/r`, '"str"'], [`${R}/r`, '42'], [`${R}/r`, 'null'], [`${R}/r`, 'true'],
    [`${R}/r`, { data: '' }], [`${R}/r`, { data: [] }], [`${R}/r`, { data: 5 }], [`${R}/r`, { data: true }],
    [`${R}/r`, { permissions: [] }], [`${R}/r`, { permissions: 'read' }], [`${R}/r`, { permissions: { read: 'x' } }],
    [`${R}/r`, { permissions: { read: [1] } }], [`${R}/r`, { permissions: { read: [null] } }],
    [`${R}/r`, { permissions: { read: [['x']] } }], [`${R}/r`, { permissions: { 'record:create': ['x'] } }],
    [`${R}/r`, { permissions: { bogus: ['x'] } }], [`${C}x`, { permissions: { 'group:create': ['x'] } }],
    [`/buckets/${uid('b')}`, { permissions: { 'record:create': ['x'] } }], [`${B}/groups/g`, { permissions: { 'record:create': ['x'] } }],
  ];
  for (const [path, body] of cases) {
    const r = await send('PUT', path, { auth: OWNER, body });
    expectError(r, 400, 107, { error: 'Invalid parameters' });
    assert.ok(Array.isArray(r.json.details), r.text);
    assert.equal(r.json.details[0].location, 'body', r.text);
  }
  const dataMsg = await send('PUT', `${R}/r`, { auth: OWNER, body: { data: '' } });
  assert.match(dataMsg.json.message, /data/);
  const bogus = await send('PUT', `${R}/r`, { auth: OWNER, body: { permissions: { bogus: ['x'] } } });
  assert.match(bogus.json.message, /bogus/);
  const unk = await send('PUT', `${R}/r`, { auth: OWNER, body: { data: {}, foo: 1 } });
  expectError(unk, 400, 107);
  assert.match(unk.json.message, /Unrecognized keys in mapping/);
  assert.match(unk.json.message, /foo/);
  expectError(await send('POST', R, { auth: OWNER, body: { data: {}, extra: true } }), 400, 107);
  expectError(await send('PATCH', C, { auth: OWNER, body: { data: {}, extra: true } }), 400, 107);
  expectError(await req(srv, 'GET', `${R}/r`, { auth: OWNER }), 404, 110);
  assert.deepEqual((await get(R)).data, []);
  // Valid shapes: null ACE values, names allowed for each kind
  await must(send('PUT', `${R}/r`, { auth: OWNER, body: { data: {}, permissions: { read: null, write: [] } } }), 201);
  await must(send('PUT', `${C}2`, { auth: OWNER, body: { permissions: { 'record:create': ['x'], read: [], write: ['y'] } } }), 201);
  await must(send('PUT', `${B}/groups/g`, { auth: OWNER, body: { permissions: { read: ['x'] } } }), 201);
  await must(send('PUT', `/buckets/${uid('b')}`, { auth: OWNER, body: { permissions: { 'collection:create': ['x'], 'group:create': ['y'] } } }), 201);
});

test('WRITE-2 an empty body is {}', async () => {
  const { B, R } = await fixture();
  const put = await send('PUT', `/buckets/${uid('b')}`, { auth: OWNER, body: '' });
  assert.equal(put.status, 201, put.text);
  const post = await send('POST', R, { auth: OWNER, body: '' });
  assert.equal(post.status, 201, post.text);
  assert.deepEqual(Object.keys(post.json.data).sort(), ['id', 'last_modified']);
  const g = await send('PUT', `${B}/groups/g`, { auth: OWNER, body: new Uint8Array(0), ct: 'application/json' });
  assert.equal(g.status, 201, g.text);
  const patch = await send('PATCH', `${R}/${post.json.data.id}`, { auth: OWNER, body: '' });
  expectError(patch, 400, 107, { message: PROVIDE_MSG });
});

// --- WRITE-4 -------------------------------------------------------------

test('WRITE-4 JSON fidelity: 64-bit integers exact, doubles, Unicode, "/" not escaped, last duplicate key wins', async () => {
  const { R } = await fixture();
  const body = '{"data":{"u64":18446744073709551615,"i64min":-9223372036854775808,"i64max":9223372036854775807,' +
    '"p53":9007199254740993,"n53":-9007199254740993,"f":0.1,"big":1.5e300,"tiny":5e-324,"neg":-0.000123,' +
    '"s":"a/b \\u00e9 \u00e9 \\ud83d\\ude00 \ud83d\ude00 \\u2028 \\" \\\\ \\t","url":"https://x.example/a/b",' +
    '"dup":1,"dup":2,"nested":{"z":1,"a":[1,{"b":null}],"dup":{"x":1},"dup":{"y":2}}}}';
  const put = await send('PUT', `${R}/r`, { auth: OWNER, body });
  assert.equal(put.status, 201, put.text);
  for (const r of [put, await must(req(srv, 'GET', `${R}/r`, { auth: OWNER }), 200), await must(req(srv, 'GET', R, { auth: OWNER }), 200)]) {
    const t = r.text;
    for (const [k, v] of [['u64', '18446744073709551615'], ['i64min', '-9223372036854775808'], ['i64max', '9223372036854775807'], ['p53', '9007199254740993'], ['n53', '-9007199254740993']]) {
      assert.match(t, new RegExp(`"${k}"\\s*:\\s*${v}(?![0-9.eE])`), `${k} must round-trip exactly as ${v}: ${t}`);
    }
    assert.ok(!t.includes('\\/'), `"/" must not be escaped: ${t}`);
    const d = Array.isArray(r.json.data) ? r.json.data[0] : r.json.data;
    assert.equal(d.f, 0.1);
    assert.equal(d.big, 1.5e300);
    assert.equal(d.tiny, 5e-324);
    assert.equal(d.neg, -0.000123);
    assert.equal(d.s, 'a/b \u00e9 \u00e9 \u{1F600} \u{1F600} \u2028 " \\ \t');
    assert.equal(d.url, 'https://x.example/a/b');
    assert.equal(d.dup, 2);
    assert.deepEqual(d.nested, { z: 1, a: [1, { b: null }], dup: { y: 2 } });
  }
});

// --- WRITE-5 / WRITE-6 ---------------------------------------------------

test('WRITE-5 POST creates (201); POST with an existing data.id returns it unchanged (200), ACL untouched', async () => {
  const { R } = await fixture();
  const c = await must(req(srv, 'POST', R, { auth: OWNER, body: { data: { id: 'x', v: 1 }, permissions: { read: [ids.alice] } } }), 201);
  assert.deepEqual(strip(c.json.data), { id: 'x', v: 1 });
  assert.deepEqual(c.json.permissions.read, [ids.alice]);
  const again = await must(req(srv, 'POST', R, { auth: OWNER, body: { data: { id: 'x', v: 2, w: 3 }, permissions: { read: [ids.bob] } } }), 200);
  assert.deepEqual(again.json.data, c.json.data);
  const now = await must(req(srv, 'GET', `${R}/x`, { auth: OWNER }), 200);
  assert.deepEqual(now.json.data, c.json.data);
  assert.deepEqual(now.json.permissions.read, [ids.alice]);
  // tombstoned id: POST creates again
  await must(req(srv, 'DELETE', `${R}/x`, { auth: OWNER }), 200);
  const re = await must(req(srv, 'POST', R, { auth: OWNER, body: { data: { id: 'x', v: 9 } } }), 201);
  assert.equal(re.json.data.v, 9);
  // Also for the other kinds
  const { B } = await fixture();
  await must(req(srv, 'POST', `${B}/collections`, { auth: OWNER, body: { data: { id: 'c', t: 1 } } }), 200);
  const g = await must(req(srv, 'POST', `${B}/groups`, { auth: OWNER, body: { data: { id: 'g', members: [ids.bob] } } }), 201);
  assert.deepEqual(g.json.data.members, [ids.bob]);
  const g2 = await must(req(srv, 'POST', `${B}/groups`, { auth: OWNER, body: { data: { id: 'g', members: [] } } }), 200);
  assert.deepEqual(g2.json.data.members, [ids.bob]);
});

test('WRITE-6 PUT replaces the whole object; data kept when absent; id mismatch → 400', async () => {
  const { R } = await fixture();
  const a = await must(req(srv, 'PUT', `${R}/r`, { auth: OWNER, body: { data: { a: 1, b: { c: 2 } } } }), 201);
  const b = await must(req(srv, 'PUT', `${R}/r`, { auth: OWNER, body: { data: { a: 5 } } }), 200);
  assert.deepEqual(b.json.data, { id: 'r', last_modified: b.json.data.last_modified, a: 5 });
  assert.ok(b.json.data.last_modified > a.json.data.last_modified);
  const same = await must(req(srv, 'PUT', `${R}/r`, { auth: OWNER, body: { data: { id: 'r', a: 6 } } }), 200);
  assert.equal(same.json.data.a, 6);
  const mism = await req(srv, 'PUT', `${R}/r`, { auth: OWNER, body: { data: { id: 'other', a: 7 } } });
  expectError(mism, 400, 107, { message: ID_MISMATCH_MSG });
  assert.deepEqual(mism.json.details, [{ location: 'body', name: 'id', description: 'Object id does not match existing object' }]);
  expectError(await req(srv, 'PUT', `${R}/new`, { auth: OWNER, body: { data: { id: 'other' } } }), 400, 107);
  expectError(await req(srv, 'GET', `${R}/new`, { auth: OWNER }), 404, 110);
  expectError(await req(srv, 'GET', `${R}/other`, { auth: OWNER }), 404, 110);
  // PUT with only permissions keeps the data, bumps the timestamp
  const p = await must(req(srv, 'PUT', `${R}/r`, { auth: OWNER, body: { permissions: { read: [ids.alice] } } }), 200);
  assert.deepEqual(strip(p.json.data), { id: 'r', a: 6 });
  assert.ok(p.json.data.last_modified > same.json.data.last_modified);
  assert.deepEqual(p.json.permissions.read, [ids.alice]);
  const c = await must(req(srv, 'PUT', `${R}/fresh`, { auth: OWNER, body: { permissions: { read: [ids.alice] } } }), 201);
  assert.deepEqual(strip(c.json.data), { id: 'fresh' });
  // group PUT without members stores members: []
  const { B } = await fixture();
  await must(req(srv, 'PUT', `${B}/groups/g`, { auth: OWNER, body: { data: { members: [ids.alice], title: 't' } } }), 201);
  const g = await must(req(srv, 'PUT', `${B}/groups/g`, { auth: OWNER, body: { data: { title: 'u' } } }), 200);
  assert.deepEqual(strip(g.json.data), { id: 'g', title: 'u', members: [] });
});

// --- WRITE-7 / WRITE-8 / WRITE-9 -----------------------------------------

test('WRITE-7 PATCH application/json: shallow merge, null stored, always bumps, {} rejected', async () => {
  const { R } = await fixture();
  const r0 = (await must(req(srv, 'PUT', `${R}/r`, { auth: OWNER, body: { data: { a: { b: 1 }, keep: 'k', n: 1 } } }), 201)).json.data;
  const r1 = await must(req(srv, 'PATCH', `${R}/r`, { auth: OWNER, body: { data: { a: { c: 2 }, n: null, add: [1] } } }), 200);
  assert.deepEqual(strip(r1.json.data), { id: 'r', a: { c: 2 }, keep: 'k', n: null, add: [1] });
  assert.ok(r1.json.data.last_modified > r0.last_modified);
  const r2 = await must(req(srv, 'PATCH', `${R}/r`, { auth: OWNER, body: { data: {} } }), 200);
  assert.deepEqual(strip(r2.json.data), strip(r1.json.data));
  assert.ok(r2.json.data.last_modified > r1.json.data.last_modified, 'PATCH always bumps');
  const r3 = await must(req(srv, 'PATCH', `${R}/r`, { auth: OWNER, body: { data: { keep: 'k' } } }), 200);
  assert.ok(r3.json.data.last_modified > r2.json.data.last_modified);
  const empty = await req(srv, 'PATCH', `${R}/r`, { auth: OWNER, body: {} });
  expectError(empty, 400, 107, { message: PROVIDE_MSG });
  assert.equal(empty.json.details[0].name, 'data');
  expectError(await req(srv, 'PATCH', `${R}/r`, { auth: OWNER, body: { data: { id: 'zz' } } }), 400, 107, { message: ID_MISMATCH_MSG });
  await must(req(srv, 'PATCH', `${R}/r`, { auth: OWNER, body: { data: { id: 'r' } } }), 200);
  const onlyPerms = await must(req(srv, 'PATCH', `${R}/r`, { auth: OWNER, body: { permissions: { read: [ids.bob] } } }), 200);
  assert.deepEqual(onlyPerms.json.permissions.read, [ids.bob]);
  expectError(await req(srv, 'PATCH', `${R}/missing`, { auth: OWNER, body: { data: { a: 1 } } }), 404, 110, { details: { id: 'missing', resource_name: 'record' } });
  expectError(await req(srv, 'GET', `${R}/missing`, { auth: OWNER }), 404, 110);
});

test('WRITE-8 PATCH application/merge-patch+json follows RFC 7396 (incl. object over scalar, D5)', async () => {
  const { R } = await fixture();
  await must(req(srv, 'PUT', `${R}/r`, { auth: OWNER, body: { data: { a: { b: 1, c: 2 }, x: 1, y: [1, 2], z: 5, s: 'str' } } }), 201);
  const r = await send('PATCH', `${R}/r`, {
    auth: OWNER, ct: MERGE,
    body: { data: { a: { c: null, d: 3 }, x: null, y: [3], z: { p: 1, q: null }, f: false, zero: 0, e: '', o: {}, s: ['l'] } },
  });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(strip(r.json.data), { id: 'r', a: { b: 1, d: 3 }, y: [3], z: { p: 1 }, f: false, zero: 0, e: '', o: {}, s: ['l'] });
  assert.deepEqual(strip((await get(`${R}/r`)).data), strip(r.json.data));
  await must(req(srv, 'PUT', `${R}/e`, { auth: OWNER, body: { data: {} } }), 201);
  const e = await send('PATCH', `${R}/e`, { auth: OWNER, ct: MERGE, body: { data: { a: { b: { c: null } } } } });
  assert.equal(e.status, 200, e.text);
  assert.deepEqual(strip(e.json.data), { id: 'e', a: { b: {} } });
  const bump = await send('PATCH', `${R}/e`, { auth: OWNER, ct: MERGE, body: { data: {} } });
  assert.ok(bump.json.data.last_modified > e.json.data.last_modified);
  expectError(await send('PATCH', `${R}/e`, { auth: OWNER, ct: MERGE, body: { data: { id: 'other' } } }), 400, 107);
  expectError(await send('PATCH', `${R}/nope`, { auth: OWNER, ct: MERGE, body: { data: { a: 1 } } }), 404, 110);
});

test('WRITE-8 / WRITE-11 merge-patch permissions: null removes the ACE, array replaces, others unchanged', async () => {
  const { C, R } = await fixture();
  await must(req(srv, 'PUT', `${R}/r`, { auth: OWNER, body: { data: {}, permissions: { read: [ids.alice] } } }), 201);
  const a = await send('PATCH', `${R}/r`, { auth: OWNER, ct: MERGE, body: { permissions: { read: null } } });
  assert.equal(a.status, 200, a.text);
  assert.deepEqual(a.json.permissions, { write: [ids.owner] });
  const b = await send('PATCH', `${R}/r`, { auth: OWNER, ct: MERGE, body: { permissions: { read: [ids.bob, ids.carol] } } });
  assert.deepEqual(b.json.permissions.read.sort(), [ids.bob, ids.carol].sort());
  assert.deepEqual(b.json.permissions.write, [ids.owner]);
  const c = await send('PATCH', C, { auth: OWNER, ct: MERGE, body: { permissions: { 'record:create': [ids.alice] } } });
  assert.deepEqual(c.json.permissions['record:create'], [ids.alice]);
  assert.deepEqual(c.json.permissions.write, [ids.owner]);
  const d = await send('PATCH', C, { auth: OWNER, ct: MERGE, body: { permissions: { 'record:create': null } } });
  assert.equal(d.json.permissions['record:create'], undefined);
});

test('WRITE-9 PATCH application/json-patch+json on /data: all six ops, RFC 6901 escapes, "-" append', async () => {
  const { R } = await fixture();
  await must(req(srv, 'PUT', `${R}/r`, { auth: OWNER, body: { data: { a: 1, list: [1, 2], obj: { k: 'v' }, 'sl/ash': 1, 'til~de': 2 } } }), 201);
  const ops = [
    { op: 'add', path: '/data/b', value: 2 },
    { op: 'remove', path: '/data/a' },
    { op: 'replace', path: '/data/obj/k', value: 'w' },
    { op: 'add', path: '/data/list/-', value: 3 },
    { op: 'add', path: '/data/list/0', value: 0 },
    { op: 'copy', from: '/data/obj', path: '/data/obj2' },
    { op: 'move', from: '/data/b', path: '/data/c' },
    { op: 'test', path: '/data/c', value: 2 },
    { op: 'replace', path: '/data/sl~1ash', value: 10 },
    { op: 'remove', path: '/data/til~0de' },
  ];
  const r = await send('PATCH', `${R}/r`, { auth: OWNER, ct: JPATCH, body: ops });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(strip(r.json.data), { id: 'r', list: [0, 1, 2, 3], obj: { k: 'w' }, obj2: { k: 'w' }, c: 2, 'sl/ash': 10 });
  const e = await send('PATCH', `${R}/r`, { auth: OWNER, ct: JPATCH, body: [] });
  assert.equal(e.status, 200, e.text);
  assert.ok(e.json.data.last_modified > r.json.data.last_modified, 'empty patch bumps the timestamp');
});

test('WRITE-9 / WRITE-13 failing JSON-Patch operations → 400 errno 107, nothing written', async () => {
  const { R } = await fixture();
  const base = (await must(req(srv, 'PUT', `${R}/r`, { auth: OWNER, body: { data: { a: 1, list: [1] } } }), 201)).json.data;
  const failing = [
    [{ op: 'test', path: '/data/a', value: 2 }],
    [{ op: 'remove', path: '/data/missing' }],
    [{ op: 'replace', path: '/data/missing', value: 1 }],
    [{ op: 'add', path: '/data/list/99', value: 1 }],
    [{ op: 'move', from: '/data/missing', path: '/data/b' }],
    [{ op: 'add', path: '/data/new', value: 1 }, { op: 'test', path: '/data/new', value: 2 }],
    [{ op: 'add', path: '/data/new', value: 1 }, { op: 'remove', path: '/data/nothing' }],
  ];
  for (const body of failing) {
    const r = await send('PATCH', `${R}/r`, { auth: OWNER, ct: JPATCH, body });
    expectError(r, 400, 107, { message: /^body: JSON Patch operation failed:/ });
    assert.equal(r.json.details[0].location, 'body');
  }
  const malformed = [
    { op: 'add', path: '/data/x', value: 1 },
    [{ op: 'frobnicate', path: '/data/x', value: 1 }],
    [{ op: 'add', path: 'data/x', value: 1 }],
    [{ op: 'add', path: '/data/x', value: 1, extra: 1 }],
    [{ path: '/data/x', value: 1 }],
    [{ op: 'add', value: 1 }],
    [{ op: 'move', path: '/data/x' }],
    ['add'],
    [{ op: 'replace', path: '/data/id', value: 'other' }],
  ];
  for (const body of malformed) {
    const r = await send('PATCH', `${R}/r`, { auth: OWNER, ct: JPATCH, body });
    expectError(r, 400, 107);
  }
  assert.deepEqual((await get(`${R}/r`)).data, base, 'record unchanged after every failure');
});

test('WRITE-9 JSON-Patch on /permissions: implied values, escaped and unescaped group principals, test/remove', async () => {
  const { b, C, R } = await fixture();
  await must(req(srv, 'PUT', `${R}/r`, { auth: OWNER, body: { data: {} } }), 201);
  const g = `/buckets/${b}/groups/g`;
  const g2 = `/buckets/${b}/groups/g2`;
  const p = (ops) => send('PATCH', `${R}/r`, { auth: OWNER, ct: JPATCH, body: ops });
  let r = await p([{ op: 'add', path: `/permissions/read/${ids.alice}` }]);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.permissions.read, [ids.alice]);
  r = await p([{ op: 'add', path: '/permissions/read/~1buckets~1' + b + '~1groups~1g' }]);
  assert.equal(r.status, 200, r.text);
  assert.ok(r.json.permissions.read.includes(g), r.text);
  // kinto.js sends the principal unescaped
  r = await p([{ op: 'add', path: `/permissions/read/${g2}` }]);
  assert.equal(r.status, 200, r.text);
  assert.ok(r.json.permissions.read.includes(g2), r.text);
  r = await p([{ op: 'test', path: `/permissions/read/${ids.alice}` }, { op: 'remove', path: `/permissions/read/${ids.alice}` }]);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.permissions.read.sort(), [g, g2].sort());
  const notThere = await p([{ op: 'remove', path: `/permissions/read/${ids.alice}` }]);
  expectError(notThere, 400, 107);
  const failedTest = await p([{ op: 'test', path: `/permissions/read/${ids.bob}` }]);
  expectError(failedTest, 400, 107);
  r = await p([{ op: 'add', path: '/permissions/write', value: [ids.bob] }]);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.permissions.write.sort(), [ids.bob, ids.owner].sort(), 'ACE replaced, editor re-added');
  r = await p([{ op: 'remove', path: `/permissions/read/${g}` }, { op: 'remove', path: `/permissions/read/${g2}` }]);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.permissions.read, undefined, 'an emptied ACE disappears');
  // kinto.js addPermissions on a collection: record:create without value
  const c = await send('PATCH', C, { auth: OWNER, ct: JPATCH, body: [{ op: 'add', path: `/permissions/record:create/${ids.alice}` }] });
  assert.equal(c.status, 200, c.text);
  assert.deepEqual(c.json.permissions['record:create'], [ids.alice]);
  const unknown = await send('PATCH', C, { auth: OWNER, ct: JPATCH, body: [{ op: 'add', path: `/permissions/group:create/${ids.alice}` }] });
  expectError(unknown, 400, 107);
  // data and permissions in one patch
  r = await p([{ op: 'add', path: '/data/title', value: 't' }, { op: 'add', path: `/permissions/read/${ids.carol}` }]);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.data.title, 't');
  assert.deepEqual(r.json.permissions.read, [ids.carol]);
});

// --- WRITE-10 ------------------------------------------------------------

test('WRITE-10 Response-Behavior full / light / diff; other values → 400', async () => {
  const { R } = await fixture();
  await must(req(srv, 'PUT', `${R}/r`, { auth: OWNER, body: { data: { a: 1, b: 2, keep: 'k' } } }), 201);
  const full = await must(req(srv, 'PATCH', `${R}/r`, { auth: OWNER, headers: { 'Response-Behavior': 'full' }, body: { data: { b: 3 } } }), 200);
  assert.deepEqual(strip(full.json.data), { id: 'r', a: 1, b: 3, keep: 'k' });
  const light = await must(req(srv, 'PATCH', `${R}/r`, { auth: OWNER, headers: { 'Response-Behavior': 'light' }, body: { data: { a: 1, b: 4, c: 5 } } }), 200);
  assert.deepEqual(light.json.data, { b: 4, c: 5 });
  const stored = (await get(`${R}/r`)).data;
  assert.equal(light.headers.get('etag'), `"${stored.last_modified}"`);
  assert.ok(light.json.permissions.write.includes(ids.owner), 'permissions returned as usual');
  const diff = await must(req(srv, 'PATCH', `${R}/r`, { auth: OWNER, headers: { 'Response-Behavior': 'diff' }, body: { data: { a: 9, b: 4 } } }), 200);
  assert.deepEqual(diff.json.data, {}, 'plain JSON PATCH stores exactly the sent values: nothing differs');
  // merge-patch: the final value of a merged object differs from what was sent
  await must(req(srv, 'PUT', `${R}/m`, { auth: OWNER, body: { data: { a: 1, b: 2, c: { x: 1 } } } }), 201);
  const ml = await send('PATCH', `${R}/m`, { auth: OWNER, ct: MERGE, headers: { 'Response-Behavior': 'light' }, body: { data: { a: 1, b: 3, c: { y: 2 } } } });
  assert.equal(ml.status, 200, ml.text);
  assert.deepEqual(ml.json.data, { b: 3, c: { x: 1, y: 2 } });
  const md = await send('PATCH', `${R}/m`, { auth: OWNER, ct: MERGE, headers: { 'Response-Behavior': 'diff' }, body: { data: { b: 4, c: { z: 3 } } } });
  assert.equal(md.status, 200, md.text);
  assert.deepEqual(md.json.data, { c: { x: 1, y: 2, z: 3 } });
  for (const v of ['verbose', 'full,light', 'none']) {
    const bad = await req(srv, 'PATCH', `${R}/r`, { auth: OWNER, headers: { 'Response-Behavior': v }, body: { data: { a: 0 } } });
    expectError(bad, 400, 107);
    assert.equal(bad.json.details[0].location, 'header');
  }
  assert.equal((await get(`${R}/r`)).data.a, 9);
});

// --- WRITE-11 ------------------------------------------------------------

test('WRITE-11 ACL effects of POST/PUT create and PUT replace', async () => {
  const { R } = await fixture();
  const c = await must(req(srv, 'PUT', `${R}/r`, { auth: OWNER, body: { data: {}, permissions: { read: [ids.alice], write: [] } } }), 201);
  assert.deepEqual(c.json.permissions, { read: [ids.alice], write: [ids.owner] });
  const p = await must(req(srv, 'POST', R, { auth: OWNER, body: { data: { id: 'p' }, permissions: { read: [], write: [ids.bob] } } }), 201);
  assert.deepEqual(p.json.permissions.write.sort(), [ids.bob, ids.owner].sort());
  assert.equal(p.json.permissions.read, undefined);
  // replace without permissions / with only nulls: unchanged
  let r = await must(req(srv, 'PUT', `${R}/r`, { auth: OWNER, body: { data: { v: 1 } } }), 200);
  assert.deepEqual(r.json.permissions, { read: [ids.alice], write: [ids.owner] });
  r = await must(req(srv, 'PUT', `${R}/r`, { auth: OWNER, body: { data: { v: 2 }, permissions: { read: null, write: null } } }), 200);
  assert.deepEqual(r.json.permissions, { read: [ids.alice], write: [ids.owner] });
  // replace with one non-null entry: full replacement
  r = await must(req(srv, 'PUT', `${R}/r`, { auth: OWNER, body: { data: { v: 3 }, permissions: { write: [ids.bob] } } }), 200);
  assert.equal(r.json.permissions.read, undefined, 'read ACE dropped by full replacement');
  assert.deepEqual(r.json.permissions.write.sort(), [ids.bob, ids.owner].sort());
  // POST returning an existing object leaves the ACL alone
  r = await must(req(srv, 'POST', R, { auth: OWNER, body: { data: { id: 'r' }, permissions: { read: [ids.carol] } } }), 200);
  r = await must(req(srv, 'GET', `${R}/r`, { auth: OWNER }), 200);
  assert.equal(r.json.permissions.read, undefined);
});

test('WRITE-11 ACL effects of PATCH application/json: non-null entries replace, null ignored, [] empties', async () => {
  const { R } = await fixture();
  await must(req(srv, 'PUT', `${R}/r`, { auth: OWNER, body: { data: {}, permissions: { read: [ids.alice] } } }), 201);
  let r = await must(req(srv, 'PATCH', `${R}/r`, { auth: OWNER, body: { permissions: { read: [ids.bob] } } }), 200);
  assert.deepEqual(r.json.permissions, { read: [ids.bob], write: [ids.owner] });
  r = await must(req(srv, 'PATCH', `${R}/r`, { auth: OWNER, body: { permissions: { read: null } } }), 200);
  assert.deepEqual(r.json.permissions, { read: [ids.bob], write: [ids.owner] });
  r = await must(req(srv, 'PATCH', `${R}/r`, { auth: OWNER, body: { data: { x: 1 }, permissions: { write: [ids.carol] } } }), 200);
  assert.deepEqual(r.json.permissions.read, [ids.bob]);
  assert.deepEqual(r.json.permissions.write.sort(), [ids.carol, ids.owner].sort());
  r = await must(req(srv, 'PATCH', `${R}/r`, { auth: OWNER, body: { permissions: { read: [] } } }), 200);
  assert.equal(r.json.permissions.read, undefined);
});

test('WRITE-11 merge/json-patch by a writer who is not in the object ACL start from the stored ACL (D6)', async () => {
  const { R } = await fixture(OWNER, { bucketPerms: { write: [ids.carol] } });
  await must(req(srv, 'PUT', `${R}/r`, { auth: OWNER, body: { data: {}, permissions: { read: [ids.alice] } } }), 201);
  const seen = await must(req(srv, 'GET', `${R}/r`, { auth: CAROL }), 200);
  assert.deepEqual(seen.json.permissions, {}, 'carol is not in the object write ACE');
  const m = await send('PATCH', `${R}/r`, { auth: CAROL, ct: MERGE, body: { permissions: { read: [ids.alice, ids.bob] } } });
  assert.equal(m.status, 200, m.text);
  assert.deepEqual(m.json.permissions.write.sort(), [ids.carol, ids.owner].sort(), 'owner keeps write, editor added');
  const j = await send('PATCH', `${R}/r`, { auth: CAROL, ct: JPATCH, body: [{ op: 'remove', path: `/permissions/read/${ids.bob}` }] });
  assert.equal(j.status, 200, j.text);
  assert.deepEqual(j.json.permissions.read, [ids.alice]);
  assert.deepEqual(j.json.permissions.write.sort(), [ids.carol, ids.owner].sort());
  const full = await must(req(srv, 'GET', `${R}/r`, { auth: OWNER }), 200);
  assert.deepEqual(full.json.permissions.read, [ids.alice]);
});

// --- WRITE-12 ------------------------------------------------------------

test('WRITE-12 group members validation and default', async () => {
  const { b, B } = await fixture();
  const bad = ['alice', [1], [''], ['system.Everyone'], [`/buckets/${b}/groups/other`], [null], {}];
  for (const members of bad) {
    const r = await req(srv, 'PUT', `${B}/groups/g`, { auth: OWNER, body: { data: { members } } });
    expectError(r, 400, 107);
    assert.equal(r.json.details[0].location, 'body');
  }
  const gm = await req(srv, 'PUT', `${B}/groups/g`, { auth: OWNER, body: { data: { members: [ids.alice, `/buckets/${b}/groups/x`] } } });
  expectError(gm, 400, 107, { message: /is not a valid user ID/ });
  expectError(await req(srv, 'GET', `${B}/groups/g`, { auth: OWNER }), 404, 110);
  const ok = await must(req(srv, 'PUT', `${B}/groups/g`, { auth: OWNER, body: { data: { members: ['system.Authenticated', 'anything:at-all', ids.alice] } } }), 201);
  assert.deepEqual(ok.json.data.members, ['system.Authenticated', 'anything:at-all', ids.alice]);
  const d = await must(req(srv, 'PUT', `${B}/groups/h`, { auth: OWNER, body: { data: { title: 'no members' } } }), 201);
  assert.deepEqual(d.json.data.members, []);
  assert.deepEqual((await get(`${B}/groups/h`)).data.members, []);
  expectError(await req(srv, 'PATCH', `${B}/groups/h`, { auth: OWNER, body: { data: { members: ['system.Everyone'] } } }), 400, 107);
  expectError(await send('PATCH', `${B}/groups/h`, { auth: OWNER, ct: JPATCH, body: [{ op: 'add', path: '/data/members/-', value: '/buckets/x/groups/y' }] }), 400, 107);
  assert.deepEqual((await get(`${B}/groups/h`)).data.members, []);
});

test('WRITE-12 collection cache_expires and schema fields, bucket *:schema fields', async () => {
  const { B } = await fixture();
  for (const cache_expires of ['abc', '', [1], { a: 1 }]) {
    expectError(await req(srv, 'PUT', `${B}/collections/x`, { auth: OWNER, body: { data: { cache_expires } } }), 400, 107);
  }
  const n = await must(req(srv, 'PUT', `${B}/collections/x`, { auth: OWNER, body: { data: { cache_expires: 60 } } }), 201);
  assert.equal(n.json.data.cache_expires, 60);
  const s = await must(req(srv, 'PUT', `${B}/collections/y`, { auth: OWNER, body: { data: { cache_expires: '60' } } }), 201);
  assert.equal(s.json.data.cache_expires, 60, 'numeric strings are coerced (upstream behaviour)');
  for (const schema of ['x', 5, [], true]) {
    expectError(await req(srv, 'PUT', `${B}/collections/z`, { auth: OWNER, body: { data: { schema } } }), 400, 107);
  }
  await must(req(srv, 'PUT', `${B}/collections/z`, { auth: OWNER, body: { data: { schema: { type: 'object', properties: { t: { type: 'string' } } } } } }), 201);
  for (const key of ['record:schema', 'collection:schema', 'group:schema']) {
    expectError(await req(srv, 'PATCH', B, { auth: OWNER, body: { data: { [key]: 'nope' } } }), 400, 107);
  }
  await must(req(srv, 'PATCH', B, { auth: OWNER, body: { data: { 'record:schema': { type: 'object' } } } }), 200);
  // Records accept any object, including kind-specific names of other kinds.
  const r = await must(req(srv, 'PUT', `${B}/collections/x/records/r`, { auth: OWNER, body: { data: { members: 'x', schema: 5, cache_expires: 'y' } } }), 201);
  assert.deepEqual(strip(r.json.data), { id: 'r', members: 'x', schema: 5, cache_expires: 'y' });
});

// --- WRITE-13 ------------------------------------------------------------

test('WRITE-13 a refused write leaves no trace (object, ACL, list timestamp)', async () => {
  const { R } = await fixture();
  const base = await must(req(srv, 'PUT', `${R}/r`, { auth: OWNER, body: { data: { a: 1 }, permissions: { read: [ids.alice] } } }), 201);
  const T = base.json.data.last_modified;
  // valid data, invalid permissions
  expectError(await req(srv, 'PUT', `${R}/n`, { auth: OWNER, body: { data: { a: 1 }, permissions: { read: 'x' } } }), 400, 107);
  expectError(await req(srv, 'PATCH', `${R}/r`, { auth: OWNER, body: { data: { a: 2 }, permissions: { bogus: ['x'] } } }), 400, 107);
  // second operation fails after a successful first one
  expectError(await send('PATCH', `${R}/r`, { auth: OWNER, ct: JPATCH, body: [{ op: 'add', path: `/permissions/read/${ids.bob}` }, { op: 'add', path: '/data/a', value: 5 }, { op: 'test', path: '/data/a', value: 6 }] }), 400, 107);
  const now = await must(req(srv, 'GET', `${R}/r`, { auth: OWNER }), 200);
  assert.deepEqual(now.json.data, base.json.data);
  assert.deepEqual(now.json.permissions, base.json.permissions);
  expectError(await req(srv, 'GET', `${R}/n`, { auth: OWNER }), 404, 110);
  const list = await must(req(srv, 'GET', `${R}?_since=0`, { auth: OWNER }), 200);
  assert.equal(list.headers.get('etag'), `"${T}"`);
  assert.deepEqual(list.json.data.map((o) => o.id), ['r']);
});
