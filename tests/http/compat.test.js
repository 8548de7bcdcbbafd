// Smaller points where cinto now answers as upstream Kinto does (issue #7 §2-3):
// RO-1 (a list never initialized cannot be read from a readonly server), LIST-17
// (single-use DELETE pagination tokens), ACCT-4 (accounts startup checks), the redirect
// body, the compact Alert header, the second `details` entry of an unusable body, and
// URLs with %00 or bytes that are not UTF-8 reaching cinto through lighttpd.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, basic, req, rawRequest } from './lib/harness.js';
import { must, expectError } from './lib/expect.js';

const RUN = (Date.now() % 1e9).toString(36) + Math.random().toString(36).slice(2, 6);
const OWNER = basic(`owner-${RUN}`, 'secret');
const OTHER = basic(`other-${RUN}`, 'secret');
const B = `/buckets/c${RUN}`;
const C = `${B}/collections/c`;
const R = `${C}/records`;
const NOT_WRITTEN = 'Resource timestamp cannot be written. Plural endpoint must be hit at least once from a writable instance.';

let srv, ro;
before(async () => {
  srv = await startServer({
    workers: 1,
    settings: { 'kinto.eos': '2099-12-31', 'kinto.eos_message': 'adieu ça 🎉', 'kinto.eos_url': 'https://eos.example/' },
  });
  // A readonly server on the same database.
  ro = await startServer({ workers: 1, settings: { 'kinto.readonly': 'true', 'kinto.storage_url': srv.storageUrl } });
  await must(req(srv, 'PUT', B, { auth: OWNER, body: { permissions: { read: ['system.Everyone'] } } }), 201);
  await must(req(srv, 'PUT', C, { auth: OWNER, body: {} }), 201);
});
after(async () => { await srv?.stop(); await ro?.stop(); });

// --- RO-1 -------------------------------------------------------------------------------

test('RO-1 readonly: a list never initialized answers 503 errno 201 on its plural and object endpoints; once listed from a writable server it is served', async () => {
  // the buckets and collections lists were written: served
  await must(req(ro, 'GET', '/buckets', { auth: OWNER }), 200);
  await must(req(ro, 'GET', `${B}/collections`, { auth: OWNER }), 200);
  await must(req(ro, 'GET', C, { auth: OWNER }), 200);
  // the records and groups lists of this bucket never were
  for (const [method, p] of [['GET', R], ['HEAD', R], ['GET', `${R}/x`], ['GET', `${B}/groups`], ['GET', `${B}/groups/g`]]) {
    const r = await req(ro, method, p, { auth: OWNER });
    assert.equal(r.status, 503, `${method} ${p}: ${r.text}`);
    if (method !== 'HEAD') expectError(r, 503, 201, { message: NOT_WRITTEN });
  }
  // permission and parent checks come first, as upstream
  expectError(await req(ro, 'GET', `/buckets/nope${RUN}/collections/c/records`, { auth: OWNER }), 403, 121);
  expectError(await req(ro, 'GET', `${B}/collections/nope/records`, { auth: OWNER }), 404, 111);
  // nothing was written by those reads
  const [[n]] = await srv.query(`SELECT COUNT(*) FROM revisions WHERE parent_id = '${C}' OR (parent_id = '${B}' AND resource_name = 'group')`);
  assert.equal(Number(n), 0);
  // listed once from the writable server: the readonly one serves it, with the same ETag
  const w = await must(req(srv, 'GET', R, { auth: OWNER }), 200);
  const r = await must(req(ro, 'GET', R, { auth: OWNER }), 200);
  assert.deepEqual(r.json.data, []);
  assert.equal(r.headers.get('etag'), w.headers.get('etag'));
  expectError(await req(ro, 'GET', `${R}/x`, { auth: OWNER }), 404, 110);
  // writes stay refused
  expectError(await req(ro, 'PUT', `${R}/x`, { auth: OWNER, body: {} }), 405, 115);
});

// --- LIST-17 ----------------------------------------------------------------------------

async function fill(col, n) {
  await must(req(srv, 'PUT', col, { auth: OWNER, body: {} }), 201);
  for (let i = 0; i < n; i++) await must(req(srv, 'PUT', `${col}/records/r${i}`, { auth: OWNER, body: { data: { i } } }), 201);
  return `${col}/records`;
}

test('LIST-17 a DELETE pagination token works once; reuse, a GET token or an expired one → 400 errno 107', async () => {
  const list = await fill(`${B}/collections/del`, 5);
  const first = await must(req(srv, 'DELETE', `${list}?_limit=2`, { auth: OWNER }), 200);
  assert.equal(first.json.data.length, 2);
  const next = first.headers.get('next-page');
  assert.ok(next, 'Next-Page on a partial deletion');
  // a failed request (412) does not use the token up
  expectError(await req(srv, 'DELETE', next, { auth: OWNER, headers: { 'If-Match': '"1"' } }), 412, 114);
  const second = await must(req(srv, 'DELETE', next, { auth: OWNER }), 200);
  assert.equal(second.json.data.length, 2);
  const used = await req(srv, 'DELETE', next, { auth: OWNER });
  expectError(used, 400, 107, {
    message: 'querystring: _token was already used or has expired.',
    details: [{ location: 'querystring', name: null, description: '_token was already used or has expired.' }],
  });
  // the last page's token is good once too
  await must(req(srv, 'DELETE', second.headers.get('next-page'), { auth: OWNER }), 200);
  assert.deepEqual((await must(req(srv, 'GET', list, { auth: OWNER }), 200)).json.data, []);

  // a GET token was never remembered: refused for DELETE, still fine for GET
  const other = await fill(`${B}/collections/del2`, 3);
  const page = await must(req(srv, 'GET', `${other}?_limit=1`, { auth: OWNER }), 200);
  const getToken = page.headers.get('next-page');
  expectError(await req(srv, 'DELETE', getToken, { auth: OWNER }), 400, 107, { message: 'querystring: _token was already used or has expired.' });
  await must(req(srv, 'GET', getToken, { auth: OWNER }), 200);
  await must(req(srv, 'GET', getToken, { auth: OWNER }), 200);
  assert.equal((await must(req(srv, 'GET', other, { auth: OWNER }), 200)).json.data.length, 3, 'nothing deleted by refused tokens');

  // inside a batch, the same rules
  const b1 = await must(req(srv, 'POST', '/batch', { auth: OWNER, body: { requests: [{ method: 'DELETE', path: `${other}?_limit=1` }] } }), 200);
  const tokenUrl = new URL(b1.json.responses[0].headers['Next-Page']);
  const path = tokenUrl.pathname + tokenUrl.search;
  const b2 = await must(req(srv, 'POST', '/batch', {
    auth: OWNER, body: { requests: [{ method: 'DELETE', path }, { method: 'DELETE', path }] },
  }), 200);
  assert.equal(b2.json.responses[0].status, 200, JSON.stringify(b2.json));
  assert.equal(b2.json.responses[1].status, 400, JSON.stringify(b2.json));
  assert.equal(b2.json.responses[1].body.message, 'querystring: _token was already used or has expired.');
});

test('LIST-17 kinto.pagination_token_validity_seconds: a token past its validity is refused', async () => {
  const s = await startServer({ workers: 1, settings: { 'kinto.pagination_token_validity_seconds': '0' } });
  try {
    await must(req(s, 'PUT', B, { auth: OWNER, body: {} }), 201);
    await must(req(s, 'PUT', C, { auth: OWNER, body: {} }), 201);
    for (const id of ['a', 'b', 'c']) await must(req(s, 'PUT', `${R}/${id}`, { auth: OWNER, body: {} }), 201);
    const first = await must(req(s, 'DELETE', `${R}?_limit=1`, { auth: OWNER }), 200);
    expectError(await req(s, 'DELETE', first.headers.get('next-page'), { auth: OWNER }), 400, 107, {
      message: 'querystring: _token was already used or has expired.',
    });
  } finally {
    await s.stop();
  }
});

// --- ACCT-4 -----------------------------------------------------------------------------

test('ACCT-4 accounts without an account policy, with basicauth before it, or with a creator who is not an admin: a configuration error naming the fix', async () => {
  const cases = [
    [{ 'multiauth.policies': 'basicauth' }, /multiauth\.policies lists no account policy: set multiauth\.policies = account basicauth/],
    [{ 'multiauth.policies': '' }, /lists no account policy/],
    // the use line alone is not enough: the policy must be listed
    [{ 'multiauth.policies': 'basicauth', 'multiauth.policy.account.use': 'kinto.plugins.accounts.AccountsPolicy' }, /lists no account policy/],
    [{ 'multiauth.policies': 'basicauth account', 'multiauth.policy.account.use': 'kinto.plugins.accounts.AccountsPolicy' },
      /'basicauth' should not be mentioned before 'account' in 'multiauth\.policies' setting.*multiauth\.policies = account basicauth/],
    [{ 'multiauth.policies': 'account', 'multiauth.policy.account.use': 'kinto.plugins.accounts.AccountsPolicy',
      'kinto.account_create_principals': 'system.Everyone account:boss', 'kinto.account_write_principals': 'account:admin' },
    /account:boss is in kinto\.account_create_principals but not in kinto\.account_write_principals/],
  ];
  for (const [settings, why] of cases) {
    const s = await startServer({ workers: 1, migrate: false, settings: { 'kinto.includes': 'kinto.plugins.accounts', ...settings } });
    try {
      const r = await req(s, 'GET', '/', { auth: basic('alice', 'pw') });
      assert.ok(r.status === 500 || r.status === 503, `${JSON.stringify(settings)}: ${r.status} ${r.text}`);
      assert.ok(r.json && r.json.errno, r.text);
      assert.equal(r.json.capabilities, undefined);
      // the configuration-error answer names the problem when it carries a message of its own
      if (r.status === 503) assert.match(r.json.message, why);
      assert.match(s.readErrorLog(), why, `${JSON.stringify(settings)}: the log says why`);
    } finally {
      await s.stop();
    }
  }
});

test('ACCT-4 the dev launcher\'s accounts setup (account before basicauth, creators = everyone) starts, advertises accounts and logs accounts in as account:', async () => {
  const s = await startServer({
    workers: 1,
    settings: {
      'kinto.includes': 'kinto.plugins.default_bucket kinto.plugins.history kinto.plugins.flush kinto.plugins.accounts',
      'multiauth.policies': 'account basicauth',
      'multiauth.policy.account.use': 'kinto.plugins.accounts.AccountsPolicy',
      'kinto.account_create_principals': 'system.Everyone',
    },
  });
  try {
    const hello = await must(req(s, 'GET', '/'), 200);
    assert.deepEqual(hello.json.capabilities.accounts, {
      description: 'Manage user accounts.',
      url: 'https://kinto.readthedocs.io/en/latest/api/1.x/accounts.html',
      validation_enabled: false,
    });
    await must(req(s, 'PUT', '/accounts/alice', { body: { data: { password: 'pw' } } }), 201);
    assert.equal((await must(req(s, 'GET', '/', { auth: basic('alice', 'pw') }), 200)).json.user.id, 'account:alice');
    assert.match((await must(req(s, 'GET', '/', { auth: basic('alice', 'nope') }), 200)).json.user.id, /^basicauth:/);
  } finally {
    await s.stop();
  }
});

// --- redirects, Alert -------------------------------------------------------------------

test('redirects carry upstream\'s short text/plain body naming the target path', async () => {
  const r = await req(srv, 'GET', '/buckets/');
  assert.equal(r.status, 307);
  assert.equal(r.headers.get('location'), `${srv.url}/buckets`);
  assert.equal(r.headers.get('content-type'), 'text/plain; charset=UTF-8');
  assert.equal(r.text, '307 Temporary Redirect\n\nThe resource has been moved to /v1/buckets; you should be redirected automatically.\n\n');
  const v = await req(srv, 'GET', `${srv.origin}/buckets?x=1`);
  assert.equal(v.status, 307);
  assert.equal(v.text, '307 Temporary Redirect\n\nThe resource has been moved to /v1/buckets?x=1; you should be redirected automatically.\n\n');
  const h = await req(srv, 'HEAD', '/buckets/');
  assert.equal(h.status, 307);
  assert.equal(h.text, '');
});

test('the Alert header is compact JSON, ASCII only, as upstream writes it', async () => {
  const eos = await must(req(srv, 'GET', '/'), 200);
  assert.equal(eos.headers.get('alert'), '{"code":"soft-eol","message":"adieu \\u00E7a \\uD83C\\uDF89","url":"https://eos.example/"}');
  assert.deepEqual(JSON.parse(eos.headers.get('alert')), { code: 'soft-eol', message: 'adieu ça 🎉', url: 'https://eos.example/' });
  const to = await must(req(srv, 'GET', `${R}?_to=1`, { auth: OWNER }), 200);
  assert.equal(to.headers.get('alert'),
    '{"code":"soft-eol","message":"_to is now deprecated, you should use _before instead",' +
    '"url":"https://kinto.readthedocs.io/en/2.4.0/api/resource.html#list-of-available-url-parameters"}');
});

// --- unusable bodies ----------------------------------------------------------------------

test('a body that is not JSON (or a bare value) → two details, the second {"location": "body", "name": "", "description": "Required"}', async () => {
  const required = { location: 'body', name: '', description: 'Required' };
  for (const body of ['{"requests": [', 'nope', '42', 'null', '"x"']) {
    const r = await req(srv, 'POST', '/batch', { auth: OWNER, body, headers: { 'Content-Type': 'application/json' } });
    expectError(r, 400, 107, { error: 'Invalid parameters', message: /^Invalid JSON/ });
    assert.equal(r.json.details.length, 2, r.text);
    assert.deepEqual(r.json.details[0], { location: 'body', name: '', description: r.json.message });
    assert.deepEqual(r.json.details[1], required);
    const w = await req(srv, 'PUT', `${R}/bad`, { auth: OWNER, body, headers: { 'Content-Type': 'application/json' } });
    expectError(w, 400, 107, { message: /^Invalid JSON/ });
    assert.deepEqual(w.json.details[1], required, w.text);
  }
  // an array is refused as not being an object, with one detail
  const arr = await req(srv, 'POST', '/batch', { auth: OWNER, body: '[]', headers: { 'Content-Type': 'application/json' } });
  expectError(arr, 400, 107);
  assert.equal(arr.json.details.length, 1);
  // missing pieces are named as upstream names them
  expectError(await req(srv, 'POST', '/batch', { auth: OWNER, body: {} }), 400, 107, {
    message: 'requests in body: Required', details: [{ location: 'body', name: 'requests', description: 'Required' }],
  });
  expectError(await req(srv, 'POST', '/batch', { auth: OWNER, body: { requests: [{ path: '/' }, { method: 'GET' }] } }), 400, 107, {
    message: 'requests.1.path in body: Required', details: [{ location: 'body', name: 'requests.1.path', description: 'Required' }],
  });
  expectError(await req(srv, 'GET', `${R}/bad`, { auth: OWNER }), 404, 110);
});

// --- URLs through lighttpd --------------------------------------------------------------------

test('?title=a%00b and ?title=%ff%fe reach cinto through lighttpd: its JSON 400 errno 107, not the server\'s HTML page', async () => {
  const nul = await req(srv, 'GET', `${R}?title=a%00b`, { auth: OWNER });
  expectError(nul, 400, 107, { message: 'title in querystring: Invalid character 0x00' });
  const utf = await req(srv, 'GET', `${R}?title=%ff%fe`, { auth: OWNER });
  expectError(utf, 400, 107, { message: /^querystring: A request with an incorrect encoding in the querystring was received/ });
  // the same bytes sent raw, as a client that does not encode them would
  const raw = await rawRequest(srv, `GET /v1${R}?title=\xff\xfe HTTP/1.1\r\nHost: x\r\nAuthorization: ${OWNER}\r\nConnection: close\r\n\r\n`);
  assert.equal(raw.status, 400, raw.raw?.toString?.() ?? raw.body);
  assert.equal(raw.json?.errno, 107, raw.body);
  // %01 is an ordinary character of a value
  await must(req(srv, 'GET', `${R}?title=a%01b`, { auth: OWNER }), 200);
});

test('a control character in the path (%00, %01, %0d%0a, %7f) is never aliased to another path: 404 errno 111, directly and in a batch', async () => {
  await must(req(srv, 'PUT', `${B}/collections/a`, { auth: OWNER, body: {} }), 201);
  // lighttpd decodes these to "_" (and a NUL would cut the path short): a_b must not be reached
  await must(req(srv, 'PUT', `${B}/collections/a_b`, { auth: OWNER, body: {} }), 201);
  for (const p of [`${B}/collections/a%00b`, `${B}/collections/a%00`, `${B}%00/collections/a`, `${B}/collections/a%01b`,
    `${B}/collections/a%0d%0ab`, `${B}/collections/a%7Fb`, `${B}/collections/a%1fb`]) {
    expectError(await req(srv, 'GET', p, { auth: OWNER }), 404, 111);
    expectError(await req(srv, 'PUT', p, { auth: OWNER, body: {} }), 404, 111);
  }
  const b = await must(req(srv, 'POST', '/batch', { auth: OWNER, body: { requests: [{ path: `${B}/collections/a%00b` }, { path: `${B}/collections/a` }] } }), 200);
  assert.deepEqual(b.json.responses.map((x) => x.status), [404, 200]);
  assert.equal(b.json.responses[0].body.errno, 111);
});
