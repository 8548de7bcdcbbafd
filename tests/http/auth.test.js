// Black-box tests for spec 04 §4.11 (authentication): policies and their
// order, Basic header parsing, the basicauth HMAC user id (test vectors),
// failed credentials = anonymous, 401 vs 403 and WWW-Authenticate: AUTH-1..5.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startServer, basic, req, DEFAULT_SETTINGS } from './lib/harness.js';
import { must, expectError } from './lib/expect.js';
import { portableTests } from './lib/portable.js';

const RUN = (Date.now() % 1e9).toString(36) + Math.random().toString(36).slice(2, 6);
let seq = 0;
const uid = (p = 'x') => `${p}${RUN}${(++seq).toString(36)}`;

let empty; // kinto.userid_hmac_secret = ""
let some; // kinto.userid_hmac_secret = "some-secret-string"

before(async () => {
  [empty, some] = await Promise.all([
    startServer({ workers: 1, settings: { 'kinto.userid_hmac_secret': '' } }),
    startServer({ workers: 1, settings: { 'kinto.userid_hmac_secret': 'some-secret-string', 'multiauth.policy.basicauth.realm': 'MyRealm' } }),
  ]);
});
after(async () => { await Promise.all([empty?.stop(), some?.stop()]); });

// AUTH-2 / AUTH-4 (Basic parsing, unusable headers): shared with the deployment tests (lib/portable.js)
portableTests('auth', () => some);

const hmacId = (secret, credentials) => `basicauth:${createHmac('sha256', Buffer.from(secret, 'utf8')).update(Buffer.from(credentials, 'utf8')).digest('hex')}`;
const whoami = async (srv, authorization) => (await must(req(srv, 'GET', '/', { headers: authorization === undefined ? {} : { Authorization: authorization } }), 200)).json.user;

// --- AUTH-3 --------------------------------------------------------------

test('AUTH-3 basicauth user ids: spec test vectors', async () => {
  assert.equal((await whoami(empty, basic('mat', 'secret'))).id,
    'basicauth:8a931a10fc88ab2f6d1cc02a07d3a81b5d4768f6f13e85c5d8d4180419acb1b4');
  assert.equal((await whoami(empty, basic('alice', 'secret'))).id,
    'basicauth:d5b0026601f1b251974e09548d44155e16812e3c64ff7ae053fe3542e2ca1570');
  assert.equal((await whoami(some, basic('mat', 'secret'))).id,
    'basicauth:c6c27f0c7297ba7d4abd2a70c8a2cb88a06a3bb793817ef2c85fe8a709b08022');
  // the vectors agree with HMAC-SHA256(secret, "user:password")
  assert.equal(hmacId('', 'mat:secret'), 'basicauth:8a931a10fc88ab2f6d1cc02a07d3a81b5d4768f6f13e85c5d8d4180419acb1b4');
  assert.equal(hmacId('some-secret-string', 'mat:secret'), 'basicauth:c6c27f0c7297ba7d4abd2a70c8a2cb88a06a3bb793817ef2c85fe8a709b08022');
});

test('AUTH-3 the id covers username and password; empty password allowed; non-ASCII is hashed as UTF-8', async () => {
  for (const [u, p] of [['mat', 'other'], ['Mat', 'secret'], ['mat', ''], ['josé', 'sécret'], ['日本', '🔑'], ['a', 'b:c:d'], ['x y', ' pw ']]) {
    const user = await whoami(some, basic(u, p));
    assert.ok(user, `${u}:${p} must authenticate`);
    assert.equal(user.id, hmacId('some-secret-string', `${u}:${p}`), `${u}:${p}`);
    assert.ok(user.principals.includes(user.id));
  }
});

// --- AUTH-2 --------------------------------------------------------------

// --- AUTH-5 --------------------------------------------------------------

test('AUTH-5 unauthenticated denial → 401 errno 104 + WWW-Authenticate; authenticated → 403 errno 121', async () => {
  const b = uid('p');
  await must(req(empty, 'PUT', `/buckets/${b}`, { auth: basic('owner', 'x'), body: {} }), 201);
  const anon = await req(empty, 'GET', `/buckets/${b}`);
  expectError(anon, 401, 104, { message: 'Please authenticate yourself to use this endpoint.' });
  assert.equal(anon.json.error, 'Unauthorized');
  assert.equal(anon.headers.get('www-authenticate'), 'Basic realm="Realm"');
  const other = await req(empty, 'GET', `/buckets/${b}`, { auth: basic('intruder', 'x') });
  expectError(other, 403, 121, { message: 'This user cannot access this resource.' });
  assert.equal(other.json.error, 'Forbidden');
  // anonymous bucket creation (bucket_create_principals = system.Authenticated) → 401
  expectError(await req(empty, 'PUT', `/buckets/${uid('a')}`, { body: {} }), 401, 104);
  expectError(await req(empty, 'POST', '/buckets', { body: {} }), 401, 104);
  // the realm is configurable
  const r2 = await req(some, 'GET', `/buckets/${uid('nope')}`);
  expectError(r2, 401, 104);
  assert.equal(r2.headers.get('www-authenticate'), 'Basic realm="MyRealm"');
});

// --- AUTH-1 --------------------------------------------------------------

test('AUTH-1 basicauth policy: prefix "basicauth:", capability advertised', async () => {
  const hello = await must(req(empty, 'GET', '/', { auth: basic('mat', 'secret') }), 200);
  assert.match(hello.json.user.id, /^basicauth:[0-9a-f]{64}$/);
  assert.equal(typeof hello.json.capabilities.basicauth, 'object');
  assert.equal(hello.json.capabilities.basicauth.description, 'Very basic authentication sessions. Not for production use.');
});

test('AUTH-1 explicit use line for basicauth; no policy at all means everyone is anonymous', async () => {
  const s = await startServer({
    workers: 1,
    settings: { 'multiauth.policy.basicauth.use': 'kinto.core.authentication.BasicAuthAuthenticationPolicy' },
  });
  try {
    assert.match((await whoami(s, basic('mat', 'secret'))).id, /^basicauth:[0-9a-f]{64}$/);
  } finally {
    await s.stop();
  }
  const none = await startServer({ workers: 1, settings: { 'multiauth.policies': '' } });
  try {
    const h = await must(req(none, 'GET', '/', { auth: basic('mat', 'secret') }), 200);
    assert.equal(h.json.user, undefined);
    assert.equal(h.json.capabilities.basicauth, undefined);
    expectError(await req(none, 'PUT', `/buckets/${uid('x')}`, { auth: basic('mat', 'secret'), body: {} }), 401, 104);
  } finally {
    await none.stop();
  }
});

test('AUTH-1 / AUTH-4 policies in order: accounts first, then basicauth; failed credentials are anonymous', async () => {
  const both = await startServer({
    workers: 1,
    settings: {
      'kinto.includes': 'kinto.plugins.accounts',
      'multiauth.policies': 'account basicauth',
      'multiauth.policy.account.use': 'kinto.plugins.accounts.AccountsPolicy',
      'kinto.account_create_principals': 'system.Everyone',
    },
  });
  const only = await startServer({
    workers: 1,
    settings: {
      'kinto.includes': 'kinto.plugins.accounts',
      'multiauth.policies': 'account',
      'multiauth.policy.account.use': 'kinto.plugins.accounts.authentication.AccountsAuthenticationPolicy',
      'kinto.account_create_principals': 'system.Everyone',
    },
  });
  try {
    for (const s of [both, only]) {
      await must(req(s, 'PUT', '/accounts/alice', { body: { data: { password: 'pw' } } }), 201);
      const ok = await whoami(s, basic('alice', 'pw'));
      assert.equal(ok.id, 'account:alice');
      assert.ok(ok.principals.includes('account:alice'));
    }
    const hello = await must(req(both, 'GET', '/'), 200);
    assert.ok(hello.json.capabilities.accounts && hello.json.capabilities.basicauth, hello.text);
    // wrong password: the account policy fails, basicauth takes any credentials
    assert.equal((await whoami(both, basic('alice', 'wrong'))).id, hmacId(DEFAULT_SETTINGS['kinto.userid_hmac_secret'], 'alice:wrong'));
    assert.match((await whoami(both, basic('nobody', 'x'))).id, /^basicauth:/);
    // with accounts only, failed credentials are anonymous: no "user", public data still readable
    assert.equal(await whoami(only, basic('alice', 'wrong')), undefined);
    assert.equal(await whoami(only, basic('nobody', 'x')), undefined);
    assert.equal((await must(req(only, 'GET', '/'), 200)).json.capabilities.basicauth, undefined);
    const b = uid('pub');
    await must(req(only, 'PUT', `/buckets/${b}`, { auth: basic('alice', 'pw'), body: { permissions: { read: ['system.Everyone'] } } }), 201);
    await must(req(only, 'GET', `/buckets/${b}`, { auth: basic('alice', 'wrong') }), 200);
    const denied = await req(only, 'PUT', `/buckets/${uid('x')}`, { auth: basic('alice', 'wrong'), body: {} });
    expectError(denied, 401, 104);
    assert.ok(denied.headers.get('www-authenticate'), 'WWW-Authenticate for a Basic-type policy');
  } finally {
    await Promise.all([both.stop(), only.stop()]);
  }
});
