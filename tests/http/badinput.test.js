// Bad input: every case must give the spec's JSON error where it names one,
// else a sensible 4xx or a faithful success; a refused request changes
// nothing (checked by reading back); never a 5xx, a hang or a dead worker
// (after each case the server must still answer, with the same worker pids).
// Also WRITE-3 (body size limit → 413) and the "MariaDB down → 503" case.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, basic, req, rawRequest } from './lib/harness.js';
import { must, expectError } from './lib/expect.js';

const RUN = (Date.now() % 1e9).toString(36) + Math.random().toString(36).slice(2, 6);
let seq = 0;
const uid = (p = 'x') => `${p}${RUN}${(++seq).toString(36)}`;
const OWNER = basic(`owner-${RUN}`, 'secret');
const LIMIT = 65536;

let srv;
let pids;
let B; let R; // a bucket and a collection's records URL owned by OWNER

before(async () => {
  srv = await startServer({ workers: 2, settings: { 'kinto.max_request_body_bytes': String(LIMIT) } });
  B = `/buckets/${uid('bad')}`;
  await must(req(srv, 'PUT', B, { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'PUT', `${B}/collections/c`, { auth: OWNER, body: {} }), 201);
  R = `${B}/collections/c/records`;
  await must(req(srv, 'PUT', `${R}/base`, { auth: OWNER, body: { data: { v: 1 } } }), 201);
  pids = srv.workerPids().sort();
  assert.equal(pids.length, 2);
});
after(async () => { await srv?.stop(); });

// --- helpers -------------------------------------------------------------

// A 4xx, and a JSON error body when the application (not lighttpd) answered.
function expect4xx(r, what) {
  const status = r.status;
  assert.ok(status >= 400 && status < 500, `${what}: expected a 4xx, got ${status}: ${r.text ?? r.body}`);
}
// 400 errno 107 from the application, or a web server's own HTML 400 for input it refuses to pass
// on (the test lighttpd is configured to pass %00 and invalid UTF-8 on: compat.test.js).
function expect400(r, what, { message } = {}) {
  if (r.status === 400 && !/^application\/json/.test(r.headers.get('content-type') ?? '')) {
    assert.match(r.text, /400 Bad Request/, `${what}: ${r.text.slice(0, 200)}`);
    return 'lighttpd';
  }
  expectError(r, 400, 107, { message });
  return 'app';
}
function notServerError(r, what) {
  assert.ok(r.status !== null && r.status !== undefined, `${what}: no answer`);
  assert.ok(r.status < 500, `${what}: got ${r.status}: ${r.text ?? r.body}`);
}

// The server still answers on every worker and no worker was replaced.
async function alive() {
  const rs = await Promise.all(Array.from({ length: 4 }, () => req(srv, 'GET', '/', { timeout: 10000 })));
  for (const r of rs) assert.equal(r.status, 200);
  assert.deepEqual(srv.workerPids().sort(), pids, 'a worker died and was respawned');
}
async function baseUnchanged() {
  const r = await must(req(srv, 'GET', `${R}/base`, { auth: OWNER }), 200);
  assert.deepEqual({ id: r.json.data.id, v: r.json.data.v }, { id: 'base', v: 1 });
  assert.deepEqual(Object.keys(r.json.data).sort(), ['id', 'last_modified', 'v']);
}
const put = (path, body, headers = {}) => req(srv, 'PUT', path, { auth: OWNER, body, headers: { 'Content-Type': 'application/json', ...headers } });
const raw = (text, opts) => rawRequest(srv, text, { timeout: 15000, ...opts });
const authHdr = `Authorization: ${OWNER}\r\n`;

// Canonical form of a JSON number token, for "exact round-trip" checks.
function canonNum(s) {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(s);
  if (!m) return `not-a-number:${s}`;
  let digits = (m[2] + (m[3] ?? '')).replace(/^0+/, '');
  let exp = BigInt(m[4] ?? 0) - BigInt((m[3] ?? '').length);
  if (!digits) return '0';
  while (digits.endsWith('0')) { digits = digits.slice(0, -1); exp += 1n; }
  return `${m[1]}${digits}e${exp}`;
}
function numberToken(text, key) {
  const m = new RegExp(`"${key}"\\s*:\\s*(-?[0-9][0-9.eE+-]*)`).exec(text);
  return m ? m[1] : null;
}

// --- JSON syntax and structure --------------------------------------------

test('BAD invalid JSON bodies → 400 errno 107, nothing written', async () => {
  const bodies = ['{', '{"data": {"a": }}', '{"data": {"a": 1}', '{"data": {"a": 1}}}', '{"data": [}', 'undefined', 'NaN',
    '{"data": {"a": NaN}}', '{"data": {"a": Infinity}}', '{"data": {"a": 01}}', '{"data": {"a": .5}}', '{"data": {"a": 1.}}',
    '{"data": {"a": +1}}', '{"data": {"a": "\\x41"}}', '{"data": {"a": "\\u12"}}', '{"data": {"a": "tab\there"}}',
    '{"data": {"a": \'x\'}}', '{"data": {a: 1}}', '{"data": {"a": 1,}}', '\u0000', '{"data": {"a": "\u0000"}}', '{"data" {}}',
    '{"data": {"a": tru}}', '{"data": {"a": nul}}', '{"data": {}} {"data": {}}', '/*c*/{"data": {}}'];
  for (const body of bodies) {
    const r = await put(`${R}/j`, body);
    expectError(r, 400, 107, { message: /^Invalid JSON/ });
    for (const m of ['POST', 'PATCH']) {
      expectError(await req(srv, m, m === 'POST' ? R : `${R}/base`, { auth: OWNER, body, headers: { 'Content-Type': 'application/json' } }), 400, 107);
    }
  }
  expectError(await req(srv, 'GET', `${R}/j`, { auth: OWNER }), 404, 110);
  assert.deepEqual((await req(srv, 'GET', R, { auth: OWNER })).json.data.map((o) => o.id), ['base']);
  await baseUnchanged();
  await alive();
});

test('BAD JSON that is not an object, data/permissions of the wrong type → 400, nothing written', async () => {
  for (const body of ['[]', '[{"data": {}}]', '"x"', '42', 'true', 'null', '{"data": []}', '{"data": "x"}', '{"data": 1}',
    '{"data": true}', '{"permissions": []}', '{"permissions": "read"}', '{"permissions": {"read": "x"}}',
    '{"permissions": {"read": [1]}}', '{"permissions": {"read": [{}]}}', '{"permissions": {"READ": ["x"]}}',
    '{"permissions": {"delete": ["x"]}}', '{"permissions": {"": ["x"]}}', '{"data": {}, "permission": {}}']) {
    expectError(await put(`${R}/t`, body), 400, 107);
    expectError(await req(srv, 'PATCH', `${R}/base`, { auth: OWNER, body, headers: { 'Content-Type': 'application/json' } }), 400, 107);
  }
  // json-patch wants an array, merge-patch an object
  expectError(await req(srv, 'PATCH', `${R}/base`, { auth: OWNER, body: '{"op": "add"}', headers: { 'Content-Type': 'application/json-patch+json' } }), 400, 107);
  expectError(await req(srv, 'PATCH', `${R}/base`, { auth: OWNER, body: '[1]', headers: { 'Content-Type': 'application/merge-patch+json' } }), 400, 107);
  expectError(await req(srv, 'PATCH', `${R}/base`, { auth: OWNER, body: '[[]]', headers: { 'Content-Type': 'application/json-patch+json' } }), 400, 107);
  // {"data": null}: refused, or treated as absent
  const n = await put(`${R}/null-data`, '{"data": null}');
  if (n.status !== 400) {
    assert.equal(n.status, 201, n.text);
    assert.deepEqual(Object.keys(n.json.data).sort(), ['id', 'last_modified']);
  }
  expectError(await req(srv, 'GET', `${R}/t`, { auth: OWNER }), 404, 110);
  await baseUnchanged();
  await alive();
});

test('BAD nesting: 5000 levels → 400; 512 levels accepted and round-tripped', async () => {
  const deep = `{"data": {"a": ${'['.repeat(5000)}${']'.repeat(5000)}}}`;
  expectError(await put(`${R}/deep`, deep), 400, 107);
  const deepObj = `{"data": ${'{"a": '.repeat(5000)}1${'}'.repeat(5000)}}`;
  expectError(await put(`${R}/deep`, deepObj), 400, 107);
  expectError(await req(srv, 'GET', `${R}/deep`, { auth: OWNER }), 404, 110);
  await alive();
  // 512 levels in total: {"data": {"a": [[...510 arrays...]]}}
  const arr = `{"data": {"a": ${'['.repeat(510)}7${']'.repeat(510)}}}`;
  const ok = await put(`${R}/d512`, arr);
  assert.equal(ok.status, 201, ok.text);
  const back = await must(req(srv, 'GET', `${R}/d512`, { auth: OWNER }), 200);
  assert.equal(JSON.stringify(back.json.data.a), JSON.stringify(JSON.parse(arr).data.a));
  const obj = `{"data": {"a": ${'{"k": '.repeat(510)}"leaf"${'}'.repeat(510)}}}`;
  const ok2 = await put(`${R}/o512`, obj);
  assert.equal(ok2.status, 201, ok2.text);
  const back2 = await must(req(srv, 'GET', `${R}/o512`, { auth: OWNER }), 200);
  assert.deepEqual(back2.json.data.a, JSON.parse(obj).data.a);
  await alive();
});

// --- encodings, NUL ---------------------------------------------------------

test('BAD invalid UTF-8 in the body → 400, nothing written', async () => {
  const wrap = (bytes, where = 'value') => Buffer.concat(where === 'value'
    ? [Buffer.from('{"data": {"a": "x'), Buffer.from(bytes), Buffer.from('y"}}')]
    : [Buffer.from('{"data": {"x'), Buffer.from(bytes), Buffer.from('": 1}}')]);
  const seqs = [[0xff], [0xfe, 0xff], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80], [0xf4, 0x90, 0x80, 0x80]];
  for (const s of seqs) {
    for (const where of ['value', 'key']) {
      const r = await put(`${R}/u`, wrap(s, where));
      expectError(r, 400, 107);
    }
  }
  expectError(await req(srv, 'GET', `${R}/u`, { auth: OWNER }), 404, 110);
  // a lone surrogate escape is valid JSON syntax but not Unicode: refuse, or store it faithfully
  const ls = await put(`${R}/surrogate`, '{"data": {"a": "x\\ud800y"}}');
  if (ls.status !== 400) {
    assert.equal(ls.status, 201, ls.text);
    const back = await must(req(srv, 'GET', `${R}/surrogate`, { auth: OWNER }), 200);
    assert.equal(back.json.data.a, 'x\ud800y');
  } else expectError(ls, 400, 107);
  await baseUnchanged();
  await alive();
});

test('BAD invalid UTF-8 in the query string → 400 errno 107; in the path → 4xx', async () => {
  let byApp = 0;
  for (const qs of ['a=%ff', '%ff=1', 'a=%c0%af', 'a=%ed%a0%80', 'a=%ed%b0%80x', 'a=%f4%90%80%80', 'a=%e2%82', '_sort=%fe', '_since=%ff', '_fields=%ff']) {
    const r = await req(srv, 'GET', `${R}?${qs}`, { auth: OWNER });
    if (expect400(r, qs, { message: /incorrect encoding in the querystring/ }) === 'app') byApp++;
  }
  assert.ok(byApp > 0, 'at least the encodings lighttpd passes on reach the application check');
  expect4xx(await req(srv, 'GET', `${R}/base?_fields=%ff`, { auth: OWNER }), 'object _fields');
  const rawq = await raw(`GET /v1${R}?a=\xff\xfe HTTP/1.1\r\nHost: x\r\n${authHdr}Connection: close\r\n\r\n`);
  expect4xx(rawq, 'raw bytes in the query');
  for (const p of [`${B}/\xff`, `${B}/collections/\xc0\xaf/records`, `/buckets/\xed\xa0\x80`]) {
    const r = await raw(`GET /v1${p} HTTP/1.1\r\nHost: x\r\n${authHdr}Connection: close\r\n\r\n`);
    expect4xx(r, `raw path ${JSON.stringify(p)}`);
    const w = await raw(`PUT /v1${p} HTTP/1.1\r\nHost: x\r\n${authHdr}Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`);
    expect4xx(w, `raw PUT ${JSON.stringify(p)}`);
  }
  for (const p of [`${B}/%ff`, `/buckets/%c3%28`, `${R}/%ff%fe`]) {
    expect4xx(await req(srv, 'PUT', p, { auth: OWNER, body: {} }), p);
  }
  const l = await must(req(srv, 'GET', '/buckets', { auth: OWNER }), 200);
  assert.deepEqual(l.json.data.map((o) => o.id), [B.slice('/buckets/'.length)]);
  await alive();
});

test('BAD NUL in ids, keys, values, principals and query → 400', async () => {
  expect4xx(await req(srv, 'PUT', `${R}/a%00b`, { auth: OWNER, body: {} }), 'NUL in path id');
  expect4xx(await req(srv, 'PUT', `/buckets/a%00`, { auth: OWNER, body: {} }), 'NUL in bucket id');
  expectError(await put(`${R}/n1`, '{"data": {"a\\u0000b": 1}}'), 400, 107);
  expectError(await put(`${R}/n1`, '{"data": {"nested": {"\\u0000": 1}}}'), 400, 107);
  expectError(await put(`${R}/n1`, '{"data": {"a": "x\\u0000y"}}'), 400, 107);
  expectError(await put(`${R}/n1`, '{"data": {"a": ["ok", {"b": "\\u0000"}]}}'), 400, 107);
  expectError(await req(srv, 'POST', R, { auth: OWNER, body: '{"data": {"id": "a\\u0000"}}', headers: { 'Content-Type': 'application/json' } }), 400, 107);
  expectError(await req(srv, 'PATCH', `${R}/base`, { auth: OWNER, body: '{"data": {"v": "\\u0000"}}', headers: { 'Content-Type': 'application/json' } }), 400, 107);
  expectError(await req(srv, 'PATCH', `${R}/base`, { auth: OWNER, body: '[{"op": "add", "path": "/data/x\\u0000", "value": 1}]', headers: { 'Content-Type': 'application/json-patch+json' } }), 400, 107);
  const pr = await put(`${R}/n2`, '{"data": {}, "permissions": {"read": ["a\\u0000b"]}}');
  if (pr.status !== 400) {
    assert.equal(pr.status, 201, pr.text);
    assert.deepEqual(pr.json.permissions.read, ['a\u0000b']);
  }
  // upstream's message rule: the description alone when it contains the name ("a" is in "character")
  expect400(await req(srv, 'GET', `${R}?a=%00`, { auth: OWNER }), 'a=%00', { message: 'Invalid character 0x00' });
  expect400(await req(srv, 'GET', `${R}?title=%00`, { auth: OWNER }), 'title=%00', { message: 'title in querystring: Invalid character 0x00' });
  expect400(await req(srv, 'GET', `${R}?a%00=1`, { auth: OWNER }), 'a%00=1');
  expect400(await req(srv, 'GET', `${R}?in_a=1,%00`, { auth: OWNER }), 'in_a=1,%00');
  expectError(await req(srv, 'GET', `${R}/n1`, { auth: OWNER }), 404, 110);
  await baseUnchanged();
  await alive();
});

// --- numbers ----------------------------------------------------------------

test('BAD numbers out of native ranges: 64-bit values exact; beyond → 400 or exact digits', async () => {
  const exact = ['18446744073709551615', '9223372036854775808', '-9223372036854775808', '9223372036854775807', '9007199254740993', '-1', '0'];
  const beyond = ['-9223372036854775809', '18446744073709551616', '1180591620717411303424', '1e400', '-1e400', '1E+400', '1e-400',
    '4.9e-325', '1.7976931348623157e309'];
  // non-integers inside the double range: exact digits, or the same IEEE-754 double
  const doubles = ['123456789012345678901234567890.5', '0.1000000000000000055511151231257827', '3.141592653589793238462643383279'];
  let i = 0;
  for (const n of [...exact, ...beyond, ...doubles]) {
    const id = `num${i++}`;
    const r = await put(`${R}/${id}`, `{"data": {"n": ${n}}}`);
    if (exact.includes(n)) assert.equal(r.status, 201, `${n}: ${String(r.text).slice(0, 600)}`);
    if (r.status === 400) {
      expectError(r, 400, 107);
      expectError(await req(srv, 'GET', `${R}/${id}`, { auth: OWNER }), 404, 110);
      continue;
    }
    assert.equal(r.status, 201, `${n}: ${String(r.text).slice(0, 600)}`);
    for (const back of [r, await must(req(srv, 'GET', `${R}/${id}`, { auth: OWNER }), 200)]) {
      const tok = numberToken(back.text, 'n');
      if (doubles.includes(n) && canonNum(tok ?? '') !== canonNum(n)) assert.equal(Number(tok), Number(n), `${n} came back as ${tok}`);
      else assert.equal(canonNum(tok ?? ''), canonNum(n), `${n} came back as ${tok}`);
    }
  }
  // numbers as filter values and last_modified values do not crash anything
  for (const qs of ['n=18446744073709551615', 'n=1e400', 'gt_n=-1e400', 'lt_n=99999999999999999999999', `_since=99999999999999999999999`, 'last_modified=1e400']) {
    notServerError(await req(srv, 'GET', `${R}?${qs}`, { auth: OWNER }), qs);
  }
  // (in a collection of its own: an accepted far-future value would move that list's timestamp)
  await must(req(srv, 'PUT', `${B}/collections/lm`, { auth: OWNER, body: {} }), 201);
  for (const v of ['99999999999999999999999999', '9223372036854775807', '-5', '1e400']) {
    notServerError(await put(`${B}/collections/lm/records/x`, `{"data": {"last_modified": ${v}}}`), `last_modified ${v}`);
    notServerError(await req(srv, 'DELETE', `${B}/collections/lm/records/x?last_modified=${v}`, { auth: OWNER }), `DELETE ?last_modified=${v}`);
  }
  await alive();
});

// --- ids --------------------------------------------------------------------

test('BAD invalid ids → 400 "Invalid object id"; 255 bytes fine; longer refused or kept exactly', async () => {
  for (const id of ['a.b', '-a', '_a', 'a%20b', '%C3%A9', 'a+b', 'a*b', 'a%22b', 'a%27b', 'a;b', 'a,b', 'a=b', 'a%5Cb', '%E2%80%AE']) {
    expectError(await req(srv, 'PUT', `${R}/${id}`, { auth: OWNER, body: {} }), 400, 107, { message: 'path: Invalid object id' });
    expectError(await req(srv, 'PUT', `/buckets/${id}`, { auth: OWNER, body: {} }), 400, 107, { message: 'path: Invalid object id' });
    expectError(await req(srv, 'PUT', `${B}/groups/${id}`, { auth: OWNER, body: {} }), 400, 107, { message: 'path: Invalid object id' });
  }
  const id255 = 'a'.repeat(255);
  const ok = await must(req(srv, 'PUT', `${R}/${id255}`, { auth: OWNER, body: { data: { x: 1 } } }), 201);
  assert.equal(ok.json.data.id, id255);
  await must(req(srv, 'GET', `${R}/${id255}`, { auth: OWNER }), 200);
  for (const len of [256, 1000, 7000]) {
    const id = 'b'.repeat(len);
    const r = await req(srv, 'PUT', `${R}/${id}`, { auth: OWNER, body: { data: {} } });
    if (r.status === 201) {
      assert.equal(r.json.data.id, id, 'an accepted long id is kept exactly');
      assert.equal((await must(req(srv, 'GET', `${R}/${id}`, { auth: OWNER }), 200)).json.data.id, id);
    } else {
      expect4xx(r, `id of ${len} bytes`);
      if (r.json) expectError(r, 400, 107, { message: 'path: Invalid object id' });
    }
    const p = await req(srv, 'POST', R, { auth: OWNER, body: { data: { id } } });
    notServerError(p, `POST data.id of ${len} bytes`);
    if (p.status === 400 && r.status !== 201) {
      const g = await req(srv, 'GET', `${R}/${id}`, { auth: OWNER });
      assert.notEqual(g.status, 200, 'a refused POST created nothing');
    }
  }
  await alive();
});

// --- sizes and truncation ---------------------------------------------------

test('WRITE-3 body over kinto.max_request_body_bytes → 413 errno 113, nothing written', async () => {
  const mk = (n) => {
    const head = '{"data": {"pad": "';
    const tail = '"}}';
    return head + 'x'.repeat(n - head.length - tail.length) + tail;
  };
  const big = mk(LIMIT + 1000);
  const r = await put(`${R}/big`, big);
  expectError(r, 413, 113, { message: 'Request body too large' });
  expectError(await req(srv, 'POST', R, { auth: OWNER, body: mk(LIMIT * 4), headers: { 'Content-Type': 'application/json' } }), 413, 113);
  expectError(await req(srv, 'PATCH', `${R}/base`, { auth: OWNER, body: mk(LIMIT + 1), headers: { 'Content-Type': 'application/json' } }), 413, 113);
  expectError(await req(srv, 'GET', `${R}/big`, { auth: OWNER }), 404, 110);
  await baseUnchanged();
  const small = await put(`${R}/small`, mk(LIMIT - 100));
  assert.equal(small.status, 201, small.text);
  assert.equal(small.json.data.pad.length, LIMIT - 100 - '{"data": {"pad": "'.length - 3);
  // the limit applies before authentication too
  expectError(await req(srv, 'PUT', `${R}/big2`, { body: big, headers: { 'Content-Type': 'application/json' } }), 413, 113);
  await alive();
});

test('BAD truncated bodies (Content-Length larger than the body, then EOF) → 4xx or close, never a hang', async () => {
  const body = '{"data": {"a": 1}}';
  for (const [cl, sent] of [[100, body], [body.length + 1, body], [LIMIT * 8, body], [5, '']]) {
    const t0 = Date.now();
    const r = await raw(`PUT /v1${R}/trunc HTTP/1.1\r\nHost: x\r\n${authHdr}Content-Type: application/json\r\nContent-Length: ${cl}\r\nConnection: close\r\n\r\n${sent}`, { halfClose: true });
    assert.equal(r.timedOut, false, `Content-Length ${cl}: no answer and no close after ${Date.now() - t0} ms`);
    if (r.status !== null) assert.ok(r.status >= 400 && r.status < 500, `Content-Length ${cl}: got ${r.status} ${r.body}`);
  }
  // a bogus Content-Length header
  for (const cl of ['-1', 'abc', '99999999999999999999999']) {
    const r = await raw(`PUT /v1${R}/trunc HTTP/1.1\r\nHost: x\r\n${authHdr}Content-Type: application/json\r\nContent-Length: ${cl}\r\nConnection: close\r\n\r\n${body}`, { halfClose: true });
    assert.equal(r.timedOut, false, `Content-Length ${cl}`);
    if (r.status !== null) assert.ok(r.status >= 400 && r.status < 500, `Content-Length ${cl}: got ${r.status}`);
  }
  expectError(await req(srv, 'GET', `${R}/trunc`, { auth: OWNER }), 404, 110);
  await alive();
});

// --- negotiation and headers ------------------------------------------------

test('BAD Content-Type / Accept oddities: 415 / 406, or accepted as JSON when the media type is JSON', async () => {
  for (const ct of ['application/json; charset=latin-9; foo', 'application/json;charset=utf-16', 'application/json ; foo=bar', 'application/json;']) {
    const r = await req(srv, 'PUT', `${R}/ct`, { auth: OWNER, body: '{"data": {"ok": 1}}', headers: { 'Content-Type': ct } });
    assert.ok([200, 201].includes(r.status), `${ct}: ${r.status} ${String(r.text).slice(0, 600)}`);
    assert.equal(r.json.data.ok, 1);
  }
  for (const ct of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/jsonx', 'json', '*/*', ';', 'application/x-json']) {
    expectError(await req(srv, 'PUT', `${R}/ct2`, { auth: OWNER, body: '{"data": {}}', headers: { 'Content-Type': ct } }), 415, 107);
  }
  for (const ct of ['APPLICATION/JSON', 'Application/Json; Charset=UTF-8', 'application/json, text/plain', 'application/json\tx']) {
    const r = await req(srv, 'PUT', `${R}/ct3`, { auth: OWNER, body: '{"data": {}}', headers: { 'Content-Type': ct } });
    assert.ok([200, 201, 415].includes(r.status), `${ct}: ${r.status} ${String(r.text).slice(0, 600)}`);
  }
  expectError(await req(srv, 'GET', `${R}/ct2`, { auth: OWNER }), 404, 110);
  for (const accept of ['text/html', 'application/xml;q=1', 'image/png, text/*']) {
    expectError(await req(srv, 'GET', R, { auth: OWNER, headers: { Accept: accept } }), 406, 107);
  }
  for (const accept of [';;;,,', 'application/json;q=abc', '*/*;q=', 'a'.repeat(3000), 'application/json;q=0.0001']) {
    const r = await req(srv, 'GET', R, { auth: OWNER, headers: { Accept: accept } });
    assert.ok([200, 406].includes(r.status), `${accept.slice(0, 40)}: ${r.status}`);
  }
  await alive();
});

test('OBJ-12 BAD malformed or absurd If-Match / If-None-Match → 400, nothing changed', async () => {
  const cur = (await must(req(srv, 'GET', `${R}/base`, { auth: OWNER }), 200)).json.data.last_modified;
  const digits = '9'.repeat(8000);
  const values = ['**', '* *', '"*"', `${cur}`, `"${cur}`, `"${cur}"x`, `W/"${cur}"`, `"${cur}", "${cur}"`, '"abc"', '" 1"', '"1 "', '"0x10"', '"1e3"',
    `"${digits}"`, digits, '"\u00e9"', '"1.0"'];
  for (const name of ['If-Match', 'If-None-Match']) {
    for (const v of values) {
      let r;
      try {
        r = await req(srv, 'PUT', `${R}/base`, { auth: OWNER, body: { data: { v: 2 } }, headers: { [name]: v } });
      } catch (e) {
        // fetch refuses non-Latin-1 header values: send it raw
        r = await raw(`PUT /v1${R}/base HTTP/1.1\r\nHost: x\r\n${authHdr}${name}: ${Buffer.from(v, 'utf8').toString('latin1')}\r\nContent-Type: application/json\r\nContent-Length: 16\r\nConnection: close\r\n\r\n{"data":{"v":2}}`);
        r.text = r.body;
      }
      if (v.length > 7000 && r.status === 431) continue; // lighttpd's own header limit
      assert.equal(r.status, 400, `${name}: ${v.slice(0, 30)} → ${r.status} ${r.text ?? ''}`);
      assert.equal(r.json?.errno, 107);
      assert.deepEqual(r.json.details, [{ location: 'header', name, description: 'The value should be integer between double quotes.' }]);
    }
  }
  for (const v of ['"-1"', '"+1"', '"00"']) {
    const r = await req(srv, 'PUT', `${R}/base`, { auth: OWNER, body: { data: { v: 2 } }, headers: { 'If-Match': v } });
    assert.ok([400, 412].includes(r.status), `If-Match ${v}: ${r.status}`);
  }
  await baseUnchanged();
  await alive();
});

test('BAD malformed Basic headers and non-UTF-8 credentials → anonymous (or Latin-1 user), never 4xx/5xx by themselves', async () => {
  const values = ['Basic', 'Basic  ', 'Basic =', 'Basic ===', 'Basic a', 'Basic ab', 'Basic abc', `Basic ${'A'.repeat(6000)}`,
    `Basic ${Buffer.from([0xff, 0xfe, 0x3a, 0x80]).toString('base64')}`, `Basic ${Buffer.from([0xc0, 0xaf, 0x3a]).toString('base64')}`,
    `Basic ${Buffer.from('\u0000:\u0000').toString('base64')}`, `Basic ${Buffer.from('a\u0000b:c').toString('base64')}`,
    'Basic \u00e9', 'Negotiate abc', 'Basic a b c', `Basic ${Buffer.from(':'.repeat(100)).toString('base64')}`];
  for (const v of values) {
    let r;
    try {
      r = await req(srv, 'GET', '/', { headers: { Authorization: v } });
    } catch {
      r = await raw(`GET /v1/ HTTP/1.1\r\nHost: x\r\nAuthorization: ${Buffer.from(v, 'utf8').toString('latin1')}\r\nConnection: close\r\n\r\n`);
    }
    if (v.length > 5000 && r.status === 431) continue;
    assert.equal(r.status, 200, `${JSON.stringify(v.slice(0, 40))}: ${r.status}`);
    const user = r.json?.user;
    if (user !== undefined) assert.match(user.id, /^basicauth:[0-9a-f]{64}$/, `${JSON.stringify(v.slice(0, 40))}`);
    const p = await req(srv, 'GET', `${R}/base`, { headers: { Authorization: /^[\x20-\x7e]*$/.test(v) ? v : 'Basic' } });
    assert.ok([401, 403].includes(p.status), `private read with ${JSON.stringify(v.slice(0, 40))}: ${p.status}`);
  }
  await alive();
});

// --- query parameters -------------------------------------------------------

test('BAD _limit negative / not a number → 400; huge → capped', async () => {
  for (const v of ['-1', '-100', 'abc', '1a', '%20', '1e999', '99999999999999999999999999', '%5B1%5D', '%22x%22']) {
    const r = await req(srv, 'GET', `${R}?_limit=${v}`, { auth: OWNER });
    if (v === '%20' && r.status === 200) continue; // blank may count as empty (no limit)
    expectError(r, 400, 107);
  }
  // empty JSON containers: upstream (colander) treats falsy values like an absent _limit
  for (const v of ['%5B%5D', '%7B%7D']) {
    const r = await req(srv, 'GET', `${R}?_limit=${v}`, { auth: OWNER });
    assert.ok([200, 400].includes(r.status), `_limit=${v}: ${r.status}`);
  }
  const huge = await must(req(srv, 'GET', `${R}?_limit=2147483648`, { auth: OWNER }), 200);
  assert.ok(huge.json.data.length >= 1);
  const huge2 = await must(req(srv, 'GET', `${R}?_limit=9223372036854775807`, { auth: OWNER }), 200);
  assert.ok(huge2.json.data.length >= 1);
  await alive();
});

test('BAD _token that does not decode → 400; that does not fit its query → 400 or a page, never 5xx', async () => {
  for (let i = 0; i < 4; i++) await must(req(srv, 'POST', R, { auth: OWNER, body: { data: { title: `t${i}`, n: i } } }), 201);
  const b64 = (s) => encodeURIComponent(Buffer.from(s).toString('base64'));
  for (const t of ['%ff%fe', '====', 'a'.repeat(5000), b64('{'), b64('{"last_object": []}'), b64('null')]) {
    expect400(await req(srv, 'GET', `${R}?_limit=1&_token=${t}`, { auth: OWNER }), `_token=${t.slice(0, 20)}`);
  }
  const first = await must(req(srv, 'GET', `${R}?_limit=1&_sort=title`, { auth: OWNER }), 200);
  const token = new URL(first.headers.get('next-page')).searchParams.get('_token');
  const misfits = [
    `_limit=1&_sort=-last_modified&_token=${encodeURIComponent(token)}`,
    `_limit=1&_sort=n,-id&_token=${encodeURIComponent(token)}`,
    `_limit=1&_token=${b64('{"last_object": {"last_modified": "abc"}, "offset": 0, "nonce": "pagination-token-x"}')}`,
    `_limit=1&_token=${b64('{"last_object": {"last_modified": {"a": [1]}}, "offset": 0, "nonce": "pagination-token-x"}')}`,
    `_limit=1&_sort=title&_token=${b64('{"last_object": {"title": {"x": null}, "last_modified": -5}, "offset": 0, "nonce": "pagination-token-x"}')}`,
    `_limit=1&_token=${b64('{"last_object": {"last_modified": 1e400}, "offset": 1e30, "nonce": "pagination-token-x"}')}`,
    `_limit=1&_token=${b64('{"last_object": {"no.such.field": 1, "last_modified": 5}, "offset": -1, "nonce": 5}')}`,
    `_limit=1&_sort=title&_token=${b64('{"last_object": {"title\\u0000": 1}, "offset": 0, "nonce": "pagination-token-x"}')}`,
  ];
  for (const qs of misfits) {
    const r = await req(srv, 'GET', `${R}?${qs}`, { auth: OWNER });
    assert.ok([200, 400].includes(r.status), `${qs.slice(0, 80)}: ${r.status} ${String(r.text).slice(0, 600)}`);
    if (r.status === 400) expectError(r, 400, 107);
  }
  // DELETE with a GET token or a forged one never deletes more than the filter allows
  const before = (await req(srv, 'GET', R, { auth: OWNER })).json.data.length;
  const d = await req(srv, 'DELETE', `${R}?_limit=1&n=99&_token=${encodeURIComponent(token)}`, { auth: OWNER });
  assert.ok(d.status === 400 || d.status === 200, `${d.status} ${d.text}`);
  if (d.status === 200) assert.deepEqual(d.json.data, []);
  assert.equal((await req(srv, 'GET', R, { auth: OWNER })).json.data.length, before);
  await baseUnchanged();
  await alive();
});

test('BAD many and long query parameters, odd filter names → 4xx or a faithful answer', async () => {
  const many = Array.from({ length: 500 }, (_, i) => `_x${i}=${i}`).join('&');
  notServerError(await req(srv, 'GET', `${R}?${many}`, { auth: OWNER }), '500 parameters');
  notServerError(await req(srv, 'GET', `${R}?title=${'z'.repeat(6000)}`, { auth: OWNER }), 'long value');
  for (const qs of ['=1', '&&&', '_sort=,,,', '_sort=-', '_fields=,', '_fields=' + 'a.'.repeat(500) + 'b', 'a.b.c.d.e.f=1', 'in_a=', 'like_a=%25%25', 'has_=1', 'contains_a=%5B', 'a[b]=1', 'lt_=1', '..=1', 'a..b=1']) {
    notServerError(await req(srv, 'GET', `${R}?${qs}`, { auth: OWNER }), qs);
  }
  await alive();
});

// --- paths ------------------------------------------------------------------

test('BAD odd paths: dot segments, %2F, NUL, very long segments, deep paths → 3xx/4xx, no leak', async () => {
  const lines = [
    `GET /v1/buckets/../buckets HTTP/1.1`, `GET /v1/../../../../etc/passwd HTTP/1.1`, `GET /v1/buckets/%2e%2e/%2e%2e/etc/passwd HTTP/1.1`,
    `GET /v1/buckets/a%2Fb HTTP/1.1`, `GET /v1${B}/collections/c%2Frecords HTTP/1.1`, `GET /v1/buckets/a%00b HTTP/1.1`,
    `GET /v1/buckets/${'x'.repeat(5000)} HTTP/1.1`, `GET /v1${R}/${'y/'.repeat(200)} HTTP/1.1`, `GET //v1//buckets HTTP/1.1`,
    `GET /v1/buckets/%zz HTTP/1.1`, `GET /v1/buckets/%ff%fe%fd HTTP/1.1`, `GET /v1/%2e HTTP/1.1`, `GET /v1\\buckets HTTP/1.1`,
    `GET /v1/buckets/a\tb HTTP/1.1`, `GET /v1/buckets? HTTP/1.1`, `GET /v1/buckets# HTTP/1.1`,
  ];
  for (const l of lines) {
    const r = await raw(`${l}\r\nHost: x\r\n${authHdr}Connection: close\r\n\r\n`);
    assert.equal(r.timedOut, false, l);
    if (r.status !== null) {
      assert.ok(r.status < 500, `${l.slice(0, 80)}: ${r.status} ${r.body.slice(0, 200)}`);
      assert.ok(!/root:.*:0:0:/.test(r.body), `${l}: leaked a file`);
    }
  }
  // long ids and deep paths through fetch too
  notServerError(await req(srv, 'GET', `/buckets/${'x'.repeat(4000)}/collections/${'y'.repeat(3000)}`, { auth: OWNER }), 'long segments');
  notServerError(await req(srv, 'GET', `${R}/${'z/'.repeat(300)}`, { auth: OWNER }), 'deep path');
  await alive();
});

test('BAD unknown methods and protocol oddities → 4xx/501, no crash', async () => {
  for (const m of ['FOO', 'TRACE', 'CONNECT', 'PROPFIND', 'get']) {
    const r = await raw(`${m} /v1${R} HTTP/1.1\r\nHost: x\r\n${authHdr}Connection: close\r\n\r\n`);
    assert.equal(r.timedOut, false, m);
    if (r.status !== null) assert.ok((r.status >= 400 && r.status < 500) || r.status === 501, `${m}: ${r.status}`);
  }
  const dupCl = await raw(`PUT /v1${R}/dup HTTP/1.1\r\nHost: x\r\n${authHdr}Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 20\r\nConnection: close\r\n\r\n{}`, { halfClose: true });
  assert.equal(dupCl.timedOut, false);
  if (dupCl.status !== null) assert.ok(dupCl.status < 500, String(dupCl.status));
  const chunked = await raw(`PUT /v1${R}/chunked HTTP/1.1\r\nHost: x\r\n${authHdr}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n10\r\n{"data":{"c":1}}\r\n0\r\n\r\n`);
  assert.equal(chunked.timedOut, false);
  if (chunked.status !== null) assert.ok(chunked.status < 500, `chunked: ${chunked.status} ${chunked.body}`);
  if (chunked.status === 201) assert.equal(chunked.json.data.c, 1);
  await alive();
});

// --- MariaDB down -------------------------------------------------------------

test('BAD MariaDB down → 503 errno 201 + Retry-After; the same worker recovers when it is back', async () => {
  const s = await startServer({ workers: 1, privateDb: true });
  try {
    const bk = `/buckets/${uid('db')}`;
    await must(req(s, 'PUT', bk, { auth: OWNER, body: {} }), 201);
    await must(req(s, 'GET', bk, { auth: OWNER }), 200);
    const workers = s.workerPids();
    await s.db.stop();
    for (const [m, p, body] of [['GET', bk], ['PUT', `${bk}/collections/c`, {}], ['GET', '/buckets'], ['PATCH', bk, { data: { x: 1 } }]]) {
      const r = await req(s, m, p, { auth: OWNER, body, timeout: 20000 });
      expectError(r, 503, 201, { message: 'Service temporary unavailable due to overloading or maintenance, please retry later.' });
      assert.equal(r.headers.get('retry-after'), '3');
    }
    const hb = await req(s, 'GET', '/__heartbeat__', { timeout: 20000 });
    assert.equal(hb.status, 503, hb.text);
    assert.equal(hb.json.storage, false);
    await must(req(s, 'GET', '/__lbheartbeat__'), 200);
    await s.db.start();
    let r;
    for (let i = 0; i < 20; i++) {
      r = await req(s, 'GET', bk, { auth: OWNER, timeout: 20000 });
      if (r.status === 200) break;
      expectError(r, 503, 201);
      await new Promise((res) => setTimeout(res, 250));
    }
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.data.x, undefined, 'the write refused during the outage did not happen');
    expectError(await req(s, 'GET', `${bk}/collections/c`, { auth: OWNER }), 404, 110);
    await must(req(s, 'PUT', `${bk}/collections/c`, { auth: OWNER, body: {} }), 201);
    assert.deepEqual(s.workerPids(), workers, 'the same worker serves again');
  } finally {
    await s.stop();
  }
});
