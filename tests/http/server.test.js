// Black-box tests for spec 08 and 06 §6.9: server information, capabilities,
// error format and errno table, global headers (X-Content-Type-Options,
// CSP, Retry-After, Backoff), CORS, redirects, public base URL, settings
// loading and defaults, per-endpoint switches, heartbeat and version:
// SRV-1..2, ERR-1..2, HDR-1..3, CORS-1..3, RTE-1..4, CFG-1..3, UTIL-2..3.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, basic, req, rawRequest } from './lib/harness.js';
import { must, expectError } from './lib/expect.js';

const RUN = (Date.now() % 1e9).toString(36) + Math.random().toString(36).slice(2, 6);
let seq = 0;
const uid = (p = 'x') => `${p}${RUN}${(++seq).toString(36)}`;
const OWNER = basic(`owner-${RUN}`, 'secret');

const CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none';";
const VERSION = { name: 'cinto-tests', version: '1.2.3', source: 'https://example.invalid/src', commit: 'abc123', build: 'https://ci.example/1' };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cinto-srvtest-'));
const versionFile = path.join(tmp, 'version.json');
fs.writeFileSync(versionFile, JSON.stringify(VERSION));

let A; // defaults
let B; // many settings changed
let C; // backoff percentage, redirect switches

before(async () => {
  [A, B, C] = await Promise.all([
    startServer({ workers: 2 }),
    startServer({
      workers: 1,
      settings: {
        'kinto.cors_origins': 'http://good.example https://*.trusted.example',
        'kinto.cors_max_age_seconds': '600',
        'kinto.backoff': '10',
        'kinto.http_host': 'kinto.example.com:8443',
        'kinto.http_scheme': 'https',
        'kinto.trailing_slash_redirect_enabled': 'false',
        'kinto.version_prefix_redirect_ttl_seconds': '120',
        'kinto.object_record_delete_enabled': 'false',
        'kinto.plural_group_post_enabled': 'false',
        project_name: 'myproj',
        batch_max_requests: '10',
        'kinto.explicit_permissions': 'off',
        'kinto.retry_after_seconds': '7',
        'kinto.eos': '2099-12-31',
        'kinto.eos_message': 'bye',
        'kinto.eos_url': 'https://eos.example/',
        'kinto.version_json_path': versionFile,
        'kinto.project_version': '9.9.9',
        'kinto.project_docs': 'https://ini.example/',
      },
      env: { KINTO_PROJECT_DOCS: 'https://env.example/', PROJECT_VERSION: 'unprefixed-env', PROJECT_NAME: 'unprefixed' },
    }),
    startServer({
      workers: 1,
      settings: {
        'kinto.backoff': '5',
        'kinto.backoff_percentage': '50',
        'kinto.version_prefix_redirect_enabled': 'false',
        'kinto.trailing_slash_redirect_ttl_seconds': '0',
      },
    }),
  ]);
});
after(async () => {
  await Promise.all([A?.stop(), B?.stop(), C?.stop()]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

// --- helpers -------------------------------------------------------------

const list = (v) => (v ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
const cacheSet = (r) => list(r.headers.get('cache-control')).sort();

// --- SRV-1 / SRV-2 -------------------------------------------------------

test('SRV-1 GET /v1/ anonymous: fields, values, no user, no cache headers', async () => {
  const r = await must(req(A, 'GET', '/'), 200);
  assert.match(r.headers.get('content-type'), /^application\/json/);
  const j = r.json;
  assert.equal(j.project_name, 'kinto');
  assert.equal(typeof j.project_version, 'string');
  assert.equal(j.http_api_version, '1.23');
  assert.equal(j.project_docs, 'https://kinto.readthedocs.io/');
  assert.equal(j.url, `${A.url}/`);
  assert.deepEqual(j.settings, { batch_max_requests: 25, readonly: false, explicit_permissions: true });
  assert.equal(typeof j.capabilities, 'object');
  assert.ok('config' in j, 'config key present (object or null)');
  if (j.config !== null) {
    assert.equal(j.config.path, A.ini);
    assert.equal(j.config.hash, crypto.createHash('sha256').update(fs.readFileSync(A.ini)).digest('hex'));
    assert.match(j.config.modified, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$/);
  }
  assert.equal(j.user, undefined);
  assert.equal(j.eos, undefined);
  assert.equal(r.headers.get('cache-control'), null);
  assert.equal(r.headers.get('expires'), null);
  const h = await must(req(A, 'HEAD', '/'), 200);
  assert.equal(h.text, '');
});

test('SRV-1 GET /v1/ authenticated shows user id and principals (no bucket without the plugin)', async () => {
  const r = await must(req(A, 'GET', '/', { auth: OWNER }), 200);
  assert.match(r.json.user.id, /^basicauth:[0-9a-f]{64}$/);
  assert.ok(r.json.user.principals.includes(r.json.user.id));
  assert.ok(r.json.user.principals.includes('system.Everyone'));
  assert.ok(r.json.user.principals.includes('system.Authenticated'));
  assert.equal(r.json.user.bucket, undefined);
});

test('SRV-1 / CFG-1 settings from the ini (with and without kinto. prefix), KINTO_* env override, eos', async () => {
  const r = await must(req(B, 'GET', '/'), 200);
  assert.equal(r.json.project_name, 'myproj', 'unprefixed key read');
  assert.equal(r.json.project_version, '9.9.9', 'unprefixed environment variables are ignored');
  assert.equal(r.json.project_docs, 'https://env.example/', 'KINTO_PROJECT_DOCS overrides the ini');
  assert.deepEqual(r.json.settings, { batch_max_requests: 10, readonly: false, explicit_permissions: false });
  assert.equal(r.json.url, 'https://kinto.example.com:8443/v1/');
  assert.equal(r.json.eos, '2099-12-31');
  const alert = JSON.parse(r.headers.get('alert'));
  assert.deepEqual(alert, { code: 'soft-eol', message: 'bye', url: 'https://eos.example/' });
  // A request header can never act as a KINTO_* setting.
  const h = await must(req(B, 'GET', '/', { headers: { 'Kinto-Http-Host': 'evil.example', 'Kinto-Project-Name': 'evil' } }), 200);
  assert.equal(h.json.url, 'https://kinto.example.com:8443/v1/');
  assert.equal(h.json.project_name, 'myproj');
});

test('SRV-2 capabilities: basicauth entry; every capability has description and url strings', async () => {
  const r = await must(req(A, 'GET', '/'), 200);
  assert.deepEqual(r.json.capabilities.basicauth, {
    description: 'Very basic authentication sessions. Not for production use.',
    url: 'http://kinto.readthedocs.io/en/stable/api/1.x/authentication.html',
  });
  for (const [k, v] of Object.entries(r.json.capabilities)) {
    assert.equal(typeof v.description, 'string', k);
    assert.equal(typeof v.url, 'string', k);
  }
  for (const absent of ['admin', 'openid', 'accounts', 'default_bucket', 'history', 'attachments', 'changes', 'flush_endpoint']) {
    assert.equal(r.json.capabilities[absent], undefined, `${absent} not enabled`);
  }
});

// --- ERR-1 / ERR-2 -------------------------------------------------------

test('ERR-1 error body format: code, errno, error, message; nothing else on a plain 404', async () => {
  const r = await req(A, 'GET', '/nothing/here');
  expectError(r, 404, 111, { error: 'Not Found', message: 'The resource you are looking for could not be found.' });
  assert.deepEqual(Object.keys(r.json).sort(), ['code', 'errno', 'error', 'message']);
  expectError(await req(A, 'GET', '/buckets/b/nothing'), 404, 111);
  expectError(await req(A, 'GET', '/buckets/b/collections/c/records/r/more'), 404, 111);
});

test('ERR-1 validation errors: details list and message built from the first entry', async () => {
  const b = uid('b');
  await must(req(A, 'PUT', `/buckets/${b}`, { auth: OWNER, body: {} }), 201);
  await must(req(A, 'PUT', `/buckets/${b}/collections/c`, { auth: OWNER, body: {} }), 201);
  const r = await req(A, 'GET', `/buckets/${b}/collections/c/records?_limit=ten`, { auth: OWNER });
  expectError(r, 400, 107, {
    error: 'Invalid parameters',
    message: '_limit in querystring: "ten" is not a number',
    details: [{ location: 'querystring', name: '_limit', description: '"ten" is not a number' }],
  });
  const two = await req(A, 'GET', `/buckets/${b}/collections/c/records?_since=abc&_limit=ten`, { auth: OWNER });
  expectError(two, 400, 107);
  const names = two.json.details.map((d) => d.name);
  assert.deepEqual(names, [...names].sort(), 'details sorted by name');
  assert.ok(two.json.message.startsWith(`${names[0]} in querystring: `), two.text);
});

test('ERR-2 errno table: 401/104, 403/121, 404/110, 404/111, 404/116, 405/115, 406/107, 412/114, 415/107', async () => {
  const b = uid('b');
  await must(req(A, 'PUT', `/buckets/${b}`, { auth: OWNER, body: {} }), 201);
  expectError(await req(A, 'GET', `/buckets/${b}`), 401, 104, { error: 'Unauthorized', message: 'Please authenticate yourself to use this endpoint.' });
  expectError(await req(A, 'GET', `/buckets/${b}`, { auth: basic('x', 'y') }), 403, 121, { error: 'Forbidden', message: 'This user cannot access this resource.' });
  expectError(await req(A, 'GET', `/buckets/${b}/groups/nope`, { auth: OWNER }), 404, 110, { error: 'Not Found' });
  expectError(await req(A, 'GET', '/unknown'), 404, 111, { message: 'The resource you are looking for could not be found.' });
  expectError(await req(A, 'GET', `${A.origin}/v2/buckets`), 404, 116, { message: 'The requested API version is not available on this server.' });
  expectError(await req(A, 'POST', `/buckets/${b}`, { auth: OWNER, body: {} }), 405, 115, { error: 'Method Not Allowed', message: 'Method not allowed on this endpoint.' });
  expectError(await req(A, 'GET', `/buckets/${b}`, { auth: OWNER, headers: { Accept: 'text/html' } }), 406, 107, { error: 'Invalid parameters' });
  expectError(await req(A, 'GET', `/buckets/${b}`, { auth: OWNER, headers: { 'If-Match': '"1"' } }), 412, 114, { error: 'Precondition Failed', message: 'Resource was modified meanwhile' });
  expectError(await req(A, 'PUT', `/buckets/${b}`, { auth: OWNER, body: '{}', headers: { 'Content-Type': 'text/plain' } }), 415, 107, { error: 'Invalid parameters' });
});

// --- HDR-1 / HDR-2 / HDR-3 -----------------------------------------------

test('HDR-1 X-Content-Type-Options and Content-Security-Policy on every response', async () => {
  const b = uid('b');
  const created = await must(req(A, 'PUT', `/buckets/${b}`, { auth: OWNER, body: {} }), 201);
  const etag = created.headers.get('etag');
  const responses = [
    created,
    await req(A, 'GET', '/'),
    await req(A, 'HEAD', '/'),
    await req(A, 'GET', `/buckets/${b}`, { auth: OWNER }),
    await req(A, 'GET', `/buckets/${b}`, { auth: OWNER, headers: { 'If-None-Match': etag } }),
    await req(A, 'GET', `/buckets/${b}`),
    await req(A, 'GET', `/buckets/${b}`, { auth: basic('x', 'y') }),
    await req(A, 'GET', '/nothing'),
    await req(A, 'POST', `/buckets/${b}`, { auth: OWNER }),
    await req(A, 'GET', `${A.origin}/buckets`),
    await req(A, 'GET', '/buckets/'),
    await req(A, 'GET', `/buckets?_limit=x`, { auth: OWNER }),
    await req(A, 'DELETE', `/buckets/${b}`, { auth: OWNER }),
    await req(A, 'GET', '/__heartbeat__'),
    await req(A, 'GET', '/__lbheartbeat__'),
  ];
  const statuses = responses.map((r) => r.status);
  assert.deepEqual(statuses, [201, 200, 200, 200, 304, 401, 403, 404, 405, 307, 307, 400, 200, 200, 200]);
  for (const r of responses) {
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff', `status ${r.status}`);
    assert.equal((r.headers.get('content-security-policy') ?? '').trim(), CSP, `status ${r.status}`);
  }
  // redirects carry upstream's short text/plain page (compat.test.js), every other body is JSON
  for (const r of responses.filter((x) => x.text !== '')) {
    const type = r.status === 307 ? /^text\/plain/ : /^application\/json/;
    assert.match(r.headers.get('content-type') ?? '', type, `status ${r.status}: ${String(r.text).slice(0, 600)}`);
  }
});

test('HDR-2 Retry-After: kinto.retry_after_seconds on 409', async () => {
  const ownerId = (await req(B, 'GET', '/', { auth: OWNER })).json.user.id;
  const bk = `/buckets/${uid('b')}`;
  await must(req(B, 'PUT', bk, { auth: OWNER, body: { permissions: { write: [ownerId] } } }), 201);
  await must(req(B, 'PUT', `${bk}/collections/c`, { auth: OWNER, body: {} }), 201);
  const r1 = await must(req(B, 'PUT', `${bk}/collections/c/records/r1`, { auth: OWNER, body: { data: {} } }), 201);
  await must(req(B, 'PUT', `${bk}/collections/c/records/r2`, { auth: OWNER, body: { data: {} } }), 201);
  const c = await req(B, 'PUT', `${bk}/collections/c/records/r3`, { auth: OWNER, body: { data: { last_modified: r1.json.data.last_modified } } });
  expectError(c, 409, 122);
  assert.equal(c.headers.get('retry-after'), '7');
});

test('HDR-3 Backoff on every response when kinto.backoff is set', async () => {
  const responses = [
    await req(B, 'GET', '/'),
    await req(B, 'GET', '/nothing'),
    await req(B, 'GET', `/buckets/${uid('x')}`),
    await req(B, 'POST', '/'),
    await req(B, 'GET', '/__heartbeat__'),
  ];
  for (const r of responses) assert.equal(r.headers.get('backoff'), '10', `status ${r.status}`);
  const etag = (await must(req(B, 'PUT', `/buckets/${uid('b')}`, { auth: OWNER, body: {} }), 201)).headers.get('etag');
  assert.ok(etag);
  assert.equal((await req(A, 'GET', '/')).headers.get('backoff'), null, 'no Backoff by default');
});

test('HDR-3 kinto.backoff_percentage: only some responses carry Backoff', async () => {
  let withB = 0;
  const n = 40;
  for (let i = 0; i < n; i++) {
    const r = await must(req(C, 'GET', '/'), 200);
    const v = r.headers.get('backoff');
    if (v !== null) {
      assert.equal(v, '5');
      withB++;
    }
  }
  assert.ok(withB > 0 && withB < n, `${withB}/${n} responses had Backoff with 50 %`);
});

// --- CORS-1 / CORS-2 / CORS-3 --------------------------------------------

test('CORS-1 Access-Control-Allow-Origin: "*" by default, on success and error responses', async () => {
  const o = { Origin: 'http://any.example' };
  for (const r of [
    await req(A, 'GET', '/', { headers: o }),
    await req(A, 'GET', '/nothing', { headers: o }),
    await req(A, 'GET', `/buckets/${uid('x')}`, { headers: o }),
    await req(A, 'GET', `${A.origin}/buckets`, { headers: o }),
  ]) {
    assert.equal(r.headers.get('access-control-allow-origin'), '*', `status ${r.status}`);
    assert.equal(r.headers.get('access-control-allow-credentials'), null);
  }
});

test('CORS-1 kinto.cors_origins patterns: matching origins echoed, others refused (400) or ignored', async () => {
  for (const origin of ['http://good.example', 'https://a.trusted.example', 'https://x.y.trusted.example']) {
    const r = await must(req(B, 'GET', '/', { headers: { Origin: origin } }), 200);
    assert.equal(r.headers.get('access-control-allow-origin'), origin);
    assert.equal(r.headers.get('access-control-allow-credentials'), null);
  }
  for (const origin of ['http://evil.example', 'HTTP://GOOD.EXAMPLE', 'http://good.example.evil', 'http://trusted.example']) {
    const r = await req(B, 'GET', '/', { headers: { Origin: origin } });
    assert.equal(r.headers.get('access-control-allow-origin'), null, origin);
    expectError(r, 400, 107, { message: `Origin in header: ${origin} not allowed` });
  }
  const unknown = await req(B, 'GET', '/nothing', { headers: { Origin: 'http://evil.example' } });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.headers.get('access-control-allow-origin'), null);
  const err = await req(B, 'GET', '/nothing', { headers: { Origin: 'http://good.example' } });
  assert.equal(err.headers.get('access-control-allow-origin'), 'http://good.example');
});

test('CORS-2 Access-Control-Expose-Headers per endpoint type', async () => {
  const b = uid('b');
  const B0 = `/buckets/${b}`;
  await must(req(A, 'PUT', B0, { auth: OWNER, body: {} }), 201);
  await must(req(A, 'PUT', `${B0}/collections/c`, { auth: OWNER, body: {} }), 201);
  const o = { Origin: 'http://any.example' };
  const base = ['alert', 'backoff', 'content-length', 'content-type', 'retry-after'];
  const pluralGet = [...base, 'next-page', 'last-modified', 'etag', 'cache-control', 'expires', 'pragma'];
  const pluralHead = [...pluralGet, 'total-objects', 'total-records'];
  const objectGet = [...base, 'last-modified', 'etag', 'cache-control', 'expires', 'pragma'];
  const cases = [
    [await req(A, 'GET', `${B0}/collections`, { auth: OWNER, headers: o }), pluralGet],
    [await req(A, 'HEAD', `${B0}/collections`, { auth: OWNER, headers: o }), pluralHead],
    [await req(A, 'GET', `${B0}/collections/c`, { auth: OWNER, headers: o }), objectGet],
    [await req(A, 'HEAD', `${B0}/collections/c`, { auth: OWNER, headers: o }), objectGet],
    [await req(A, 'GET', `${B0}/collections/c/records`, { auth: OWNER, headers: o }), pluralGet],
    [await req(A, 'HEAD', `${B0}/collections/c/records`, { auth: OWNER, headers: o }), pluralHead],
    [await req(A, 'PATCH', `${B0}/collections/c`, { auth: OWNER, headers: o, body: { data: {} } }), base],
    [await req(A, 'GET', `${B0}/collections/c`, { headers: o }), base],
    [await req(A, 'GET', '/nothing', { headers: o }), base],
    [await req(A, 'GET', '/', { headers: o }), base],
  ];
  for (const [r, expected] of cases) {
    const got = list(r.headers.get('access-control-expose-headers'));
    for (const h of expected) assert.ok(got.includes(h), `status ${r.status}: ${h} missing from ${got}`);
  }
});

test('CORS-3 preflight: no auth needed, methods of the route, requested headers accepted, Max-Age', async () => {
  const b = uid('priv');
  await must(req(A, 'PUT', `/buckets/${b}`, { auth: OWNER, body: {} }), 201);
  const pre = (srv, p, headers) => req(srv, 'OPTIONS', p, { headers });
  const r = await must(pre(A, `/buckets/${b}/collections`, { Origin: 'http://app.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'Authorization, Content-Type, X-Custom-Thing' }), 200);
  assert.equal(r.headers.get('access-control-allow-origin'), '*');
  const methods = list(r.headers.get('access-control-allow-methods'));
  for (const m of ['get', 'head', 'post', 'delete', 'options']) assert.ok(methods.includes(m), `${m} missing from ${methods}`);
  for (const m of ['put', 'patch']) assert.ok(!methods.includes(m), `${m} must not be allowed on a plural route`);
  const allowed = list(r.headers.get('access-control-allow-headers'));
  for (const h of ['authorization', 'content-type', 'x-custom-thing']) assert.ok(allowed.includes(h), `${h} missing from ${allowed}`);
  assert.equal(r.headers.get('access-control-max-age'), '3600');
  const obj = await must(pre(A, `/buckets/${b}/collections/c/records/r`, { Origin: 'http://app.example', 'Access-Control-Request-Method': 'PATCH' }), 200);
  const om = list(obj.headers.get('access-control-allow-methods'));
  for (const m of ['get', 'head', 'put', 'patch', 'delete']) assert.ok(om.includes(m), `${m} missing from ${om}`);
  const b2 = await must(pre(B, '/buckets', { Origin: 'https://z.trusted.example', 'Access-Control-Request-Method': 'GET' }), 200);
  assert.equal(b2.headers.get('access-control-allow-origin'), 'https://z.trusted.example');
  assert.equal(b2.headers.get('access-control-max-age'), '600');
  // errors
  expectError(await pre(A, '/buckets', { 'Access-Control-Request-Method': 'GET' }), 400, 107, { message: 'Origin in header: this header is mandatory' });
  expectError(await pre(A, '/buckets', { Origin: 'http://app.example' }), 400, 107, { message: 'Access-Control-Request-Method in header: this header is mandatory' });
  expectError(await pre(A, '/buckets', { Origin: 'http://app.example', 'Access-Control-Request-Method': 'PUT' }), 400, 107, { message: 'Access-Control-Request-Method in header: Method not allowed' });
  // OPTIONS outside /v1 is answered, not redirected
  const nv = await req(A, 'OPTIONS', `${A.origin}/buckets`, { headers: { Origin: 'http://app.example', 'Access-Control-Request-Method': 'GET' } });
  assert.equal(nv.status, 200, nv.text);
  assert.equal(nv.headers.get('access-control-allow-origin'), '*');
});

// --- RTE-1 .. RTE-4 ------------------------------------------------------

test('RTE-1 paths without the version prefix → 307 to /v1 (query kept, no cache headers by default)', async () => {
  for (const [p, loc] of [
    ['/', '/v1/'],
    ['/buckets', '/v1/buckets'],
    ['/buckets/b?x=1&y=%20z', '/v1/buckets/b?x=1&y=%20z'],
    ['/__heartbeat__', '/v1/__heartbeat__'],
  ]) {
    const r = await req(A, 'GET', `${A.origin}${p}`);
    assert.equal(r.status, 307, `${p}: ${String(r.text).slice(0, 600)}`);
    assert.equal(r.headers.get('location'), `${A.origin}${loc}`);
    assert.equal(r.headers.get('cache-control'), null);
  }
  const post = await req(A, 'POST', `${A.origin}/buckets`, { auth: OWNER, body: {} });
  assert.equal(post.status, 307);
  // control characters are never reflected into a redirect
  const cr = await req(A, 'GET', `${A.origin}/buckets%0d%0aX-Injected:%201`);
  assert.notEqual(cr.status, 307);
  assert.ok(cr.status >= 400 && cr.status < 500, String(cr.status));
  assert.equal(cr.headers.get('x-injected'), null);
  // configured TTL and public host
  const b = await req(B, 'GET', `${B.origin}/buckets?a=1`);
  assert.equal(b.status, 307);
  assert.equal(b.headers.get('location'), 'https://kinto.example.com:8443/v1/buckets?a=1');
  assert.deepEqual(cacheSet(b), ['max-age=120']);
  assert.ok(b.headers.get('expires'));
  // disabled
  const c = await req(C, 'GET', `${C.origin}/buckets`);
  assert.equal(c.status, 404);
});

test('RTE-2 /v1 and trailing slashes → 307 (max-age=3600 by default; 0 = no-cache; disabled → 404)', async () => {
  const v1 = await req(A, 'GET', A.url);
  assert.equal(v1.status, 307);
  assert.equal(v1.headers.get('location'), `${A.url}/`);
  const v1q = await req(A, 'GET', `${A.url}?a=1`);
  assert.equal(v1q.headers.get('location'), `${A.url}/?a=1`);
  await must(req(A, 'GET', '/'), 200);
  for (const [p, loc] of [['/buckets/', '/buckets'], ['/buckets/?_limit=1', '/buckets?_limit=1'], ['/buckets/b/collections/', '/buckets/b/collections']]) {
    const r = await req(A, 'GET', p);
    assert.equal(r.status, 307, `${p}: ${String(r.text).slice(0, 600)}`);
    assert.equal(r.headers.get('location'), `${A.url}${loc}`);
    assert.deepEqual(cacheSet(r), ['max-age=3600']);
    assert.ok(r.headers.get('expires'));
  }
  const zero = await req(C, 'GET', '/buckets/');
  assert.equal(zero.status, 307);
  assert.ok(cacheSet(zero).includes('no-cache'), zero.headers.get('cache-control'));
  expectError(await req(B, 'GET', '/buckets/'), 404, 111);
});

test('RTE-3 unknown URLs → 404 errno 111; another version → 404 errno 116', async () => {
  expectError(await req(A, 'GET', '/nothing/here'), 404, 111);
  expectError(await req(A, 'PUT', '/nothing', { auth: OWNER, body: {} }), 404, 111);
  expectError(await req(A, 'GET', '/buckets/b/collections/c/records/r/x/y'), 404, 111);
  for (const p of ['/v2/buckets', '/v0/', '/v10/buckets/b', '/v2']) {
    expectError(await req(A, 'GET', `${A.origin}${p}`), 404, 116);
  }
});

test('RTE-4 public base URL: Host header by default, kinto.http_host/http_scheme when set, X-Forwarded-* ignored', async () => {
  const raw = await rawRequest(A, 'GET /v1/ HTTP/1.1\r\nHost: myhost.example:1234\r\nConnection: close\r\n\r\n');
  assert.equal(raw.status, 200, raw.body);
  assert.equal(raw.json.url, 'http://myhost.example:1234/v1/');
  const fwd = await must(req(A, 'GET', '/', { headers: { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'evil.example', Forwarded: 'host=evil.example;proto=https' } }), 200);
  assert.equal(fwd.json.url, `${A.url}/`);
  // Next-Page uses the same base
  for (const [srv, base] of [[A, A.url], [B, 'https://kinto.example.com:8443/v1']]) {
    const ownerId = (await req(srv, 'GET', '/', { auth: OWNER })).json.user.id;
    const bk = uid('np');
    await must(req(srv, 'PUT', `/buckets/${bk}`, { auth: OWNER, body: { permissions: { write: [ownerId] } } }), 201);
    await must(req(srv, 'PUT', `/buckets/${bk}/collections/c`, { auth: OWNER, body: {} }), 201);
    for (let i = 0; i < 3; i++) await must(req(srv, 'POST', `/buckets/${bk}/collections/c/records`, { auth: OWNER, body: { data: { i } } }), 201);
    const l = await must(req(srv, 'GET', `/buckets/${bk}/collections/c/records?_limit=1`, { auth: OWNER, headers: { 'X-Forwarded-Host': 'evil.example' } }), 200);
    assert.ok((l.headers.get('next-page') ?? '').startsWith(`${base}/buckets/${bk}/collections/c/records?`), l.headers.get('next-page'));
  }
});

// --- CFG-1 / CFG-2 / CFG-3 -----------------------------------------------

test('CFG-2 defaults: paginate_by unset, storage_max_fetch_size 10000 (no Next-Page for a small list)', async () => {
  const bk = uid('d');
  await must(req(A, 'PUT', `/buckets/${bk}`, { auth: OWNER, body: {} }), 201);
  await must(req(A, 'PUT', `/buckets/${bk}/collections/c`, { auth: OWNER, body: {} }), 201);
  for (let i = 0; i < 12; i++) await must(req(A, 'POST', `/buckets/${bk}/collections/c/records`, { auth: OWNER, body: { data: { i } } }), 201);
  const l = await must(req(A, 'GET', `/buckets/${bk}/collections/c/records`, { auth: OWNER }), 200);
  assert.equal(l.json.data.length, 12);
  assert.equal(l.headers.get('next-page'), null);
});

test('CFG-1 invalid configurations are refused at start-up (PostgreSQL URL, conflicting prefixed keys)', async () => {
  for (const settings of [
    { 'kinto.storage_url': 'postgresql://user:pass@localhost/kinto' },
    { readonly: 'true', 'kinto.readonly': 'false' },
  ]) {
    let s;
    try {
      s = await startServer({ workers: 1, settings, timeout: 15000 });
    } catch (e) {
      if (settings['kinto.storage_url']) assert.match(e.message, /postgres/i, 'a clear message naming PostgreSQL');
      continue;
    }
    try {
      const r = await req(s, 'GET', '/');
      assert.notEqual(r.status, 200, `server started with ${JSON.stringify(settings)}`);
    } finally {
      await s.stop();
    }
  }
});

test('CFG-3 kinto.<plural|object>_<resource>_<method>_enabled = false removes that method (405)', async () => {
  const ownerId = (await req(B, 'GET', '/', { auth: OWNER })).json.user.id;
  const bk = `/buckets/${uid('e')}`;
  await must(req(B, 'PUT', bk, { auth: OWNER, body: { permissions: { write: [ownerId] } } }), 201);
  await must(req(B, 'PUT', `${bk}/collections/c`, { auth: OWNER, body: {} }), 201);
  await must(req(B, 'PUT', `${bk}/collections/c/records/r`, { auth: OWNER, body: { data: {} } }), 201);
  const d = await req(B, 'DELETE', `${bk}/collections/c/records/r`, { auth: OWNER });
  expectError(d, 405, 115);
  const allow = list(d.headers.get('allow'));
  assert.ok(!allow.includes('delete') && allow.includes('get') && allow.includes('put'), String(allow));
  await must(req(B, 'GET', `${bk}/collections/c/records/r`, { auth: OWNER }), 200);
  await must(req(B, 'DELETE', `${bk}/collections/c`, { auth: OWNER }), 200);
  expectError(await req(B, 'POST', `${bk}/groups`, { auth: OWNER, body: { data: {} } }), 405, 115);
  await must(req(B, 'PUT', `${bk}/groups/g`, { auth: OWNER, body: { data: {} } }), 201);
  await must(req(B, 'GET', `${bk}/groups`, { auth: OWNER }), 200);
  // the switches of server A are all on
  const bA = `/buckets/${uid('e')}`;
  await must(req(A, 'PUT', bA, { auth: OWNER, body: {} }), 201);
  await must(req(A, 'POST', `${bA}/groups`, { auth: OWNER, body: { data: {} } }), 201);
});

test('CFG-2 defaults: CORS max age 3600, Retry-After 3, project name/docs', async () => {
  const r = await must(req(A, 'OPTIONS', '/buckets', { headers: { Origin: 'http://x.example', 'Access-Control-Request-Method': 'GET' } }), 200);
  assert.equal(r.headers.get('access-control-max-age'), '3600');
  const hello = (await req(A, 'GET', '/')).json;
  assert.equal(hello.project_name, 'kinto');
  assert.equal(hello.project_docs, 'https://kinto.readthedocs.io/');
});

// --- UTIL-2 / UTIL-3 -----------------------------------------------------

test('UTIL-2 /__heartbeat__ and /__lbheartbeat__', async () => {
  const h = await must(req(A, 'GET', '/__heartbeat__'), 200);
  for (const k of ['storage', 'permission', 'cache']) assert.ok(k in h.json, `${k} in ${h.text}`);
  for (const [k, v] of Object.entries(h.json)) assert.ok(v === true || v === null, `${k}: ${v}`);
  const lb = await must(req(A, 'GET', '/__lbheartbeat__'), 200);
  assert.deepEqual(lb.json, {});
  await must(req(A, 'GET', '/__heartbeat__', { auth: basic('who', 'ever') }), 200);
});

test('UTIL-3 /__version__ serves kinto.version_json_path; 404 errno 111 without the file', async () => {
  const v = await must(req(B, 'GET', '/__version__'), 200);
  assert.deepEqual(v.json, VERSION);
  const missing = await req(A, 'GET', '/__version__');
  expectError(missing, 404, 111);
});
