// Accounts plugin (ACCT-1, ACCT-2, ACCT-7): what an anonymous creator sees, long passwords, and
// the verified-credentials cache that lets plain CGI (one process per request) skip bcrypt.
// The cache lives in table account_cache; tests look at its rows, never at timings:
// verified_at is the time of the last bcrypt check, so a test sets it to a marker value (1)
// and a later request that leaves the marker in place was answered from the cache.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, basic, req } from './lib/harness.js';
import { cgi as runCgi } from './lib/cgi.js';
import { must, expectError } from './lib/expect.js';

const RUN = Date.now().toString(36);
let seq = 0;
const uid = (p = 'u') => `${p}${RUN}${(++seq).toString(36)}`;

const ACCOUNTS = {
  'kinto.includes': 'kinto.plugins.accounts',
  'multiauth.policies': 'account',
  'multiauth.policy.account.use': 'kinto.plugins.accounts.authentication.AccountsAuthenticationPolicy',
  'kinto.account_create_principals': 'system.Everyone',
  'kinto.account_write_principals': `account:boss${RUN}`,
};

let srv;
before(async () => {
  srv = await startServer({ workers: 1, settings: ACCOUNTS });
});
after(async () => {
  await srv?.stop();
});

// The user id a CGI process sees for these credentials (undefined: anonymous).
async function cgiWhoami(auth, env = {}) {
  const r = await runCgi(srv, 'GET', '/v1/', { env: { HTTP_AUTHORIZATION: auth, ...env } });
  assert.equal(r.status, 200, r.text);
  return r.json.user?.id;
}

async function whoami(auth) {
  return (await must(req(srv, 'GET', '/', { auth }), 200)).json.user?.id;
}

async function createAccount(id, password) {
  return must(req(srv, 'PUT', `/accounts/${id}`, { body: { data: { password } } }), 201);
}

// The cache row of an account: {mac, verified_at, expires} or undefined.
async function cacheRow(id) {
  const rows = await srv.query(`SELECT mac, verified_at, expires FROM account_cache WHERE user_id = '${id}'`);
  if (!rows.length) return undefined;
  const [mac, verified, expires] = rows[0];
  return { mac, verified_at: Number(verified), expires: Number(expires) };
}

const markVerified = (id) => srv.query(`UPDATE account_cache SET verified_at = 1 WHERE user_id = '${id}'`);
const dbNow = async () => Number((await srv.query('SELECT UNIX_TIMESTAMP()'))[0][0]);

test('ACCT-1 ACCT-2 anonymous PUT /accounts/{id} answers permissions.write ["account:{id}"] and a bcrypt hash', async () => {
  const id = uid('anon');
  const r = await createAccount(id, 'secret');
  assert.deepEqual(r.json.permissions, { write: [`account:${id}`] });
  assert.match(r.json.data.password, /^\$2[aby]\$\d\d\$/);
  assert.equal(r.json.data.id, id);
  // the owner reading it sees the same permissions
  const mine = await must(req(srv, 'GET', `/accounts/${id}`, { auth: basic(id, 'secret') }), 200);
  assert.deepEqual(mine.json.permissions, { write: [`account:${id}`] });
});

test('ACCT-1 an administrator writing another account sees its permissions too (the account is the writer)', async () => {
  const boss = `boss${RUN}`;
  await createAccount(boss, 'boss-pw');
  const id = uid('managed');
  const r = await must(req(srv, 'PUT', `/accounts/${id}`, { auth: basic(boss, 'boss-pw'), body: { data: { password: 'pw' } } }), 201);
  assert.deepEqual(r.json.permissions, { write: [`account:${id}`] });
  const got = await must(req(srv, 'GET', `/accounts/${id}`, { auth: basic(boss, 'boss-pw') }), 200);
  assert.deepEqual(got.json.permissions, { write: [`account:${id}`] });
});

test('ACCT-2 a password longer than 72 bytes → 400 naming the limit, nothing stored; 72 bytes work', async () => {
  const id = uid('long');
  for (const password of ['x'.repeat(10 * 1024), 'y'.repeat(73), '€'.repeat(25) /* 75 bytes */]) {
    const r = await req(srv, 'PUT', `/accounts/${id}`, { body: { data: { password } } });
    expectError(r, 400, 107, { message: /data\.password in body: .*72 bytes/ });
    assert.equal(r.json.details[0].location, 'body');
    assert.equal(r.json.details[0].name, 'data.password');
  }
  expectError(await req(srv, 'GET', `/accounts/${id}`, { auth: basic(id, 'y'.repeat(73)) }), 401, 104);
  const exact = '€'.repeat(24); // 72 bytes
  await createAccount(id, exact);
  assert.equal(await whoami(basic(id, exact)), `account:${id}`);
  // a change to an over-long password is refused too, and the old one keeps working
  const r = await req(srv, 'PATCH', `/accounts/${id}`, { auth: basic(id, exact), body: { data: { password: 'z'.repeat(100) } } });
  expectError(r, 400, 107, { message: /72 bytes/ });
  assert.equal(await whoami(basic(id, exact)), `account:${id}`);
});

test('ACCT-7 CGI: a successful check is stored in MariaDB and used by the next process', async () => {
  const id = uid('cgi');
  await createAccount(id, 'pw-one');
  assert.equal(await cacheRow(id), undefined, 'no entry before the first login');
  assert.equal(await cgiWhoami(basic(id, 'pw-one')), `account:${id}`);
  const row = await cacheRow(id);
  assert.ok(row, 'the first CGI login left an entry');
  assert.match(row.mac, /^[0-9a-f]{64}$/);
  const now = await dbNow();
  assert.ok(row.verified_at >= now - 60 && row.verified_at <= now + 1, JSON.stringify(row));
  assert.ok(row.expires > now && row.expires <= now + 31, `expires after the default 30 s TTL: ${JSON.stringify(row)}`);
  // the stored key is not an unkeyed hash of what it protects
  const text = JSON.stringify(await srv.query(`SELECT * FROM account_cache WHERE user_id = '${id}'`));
  assert.ok(!text.includes('pw-one'));
  await markVerified(id);
  for (let i = 0; i < 3; i++) assert.equal(await cgiWhoami(basic(id, 'pw-one')), `account:${id}`);
  assert.equal((await cacheRow(id)).verified_at, 1, 'later processes used the entry (no bcrypt check)');
  // FastCGI workers use the same entries
  assert.equal(await whoami(basic(id, 'pw-one')), `account:${id}`);
  assert.equal((await cacheRow(id)).verified_at, 1);
});

test('ACCT-7 a wrong password is never cached as good, and an entry does not let another password in', async () => {
  const id = uid('wrong');
  await createAccount(id, 'right');
  assert.equal(await cgiWhoami(basic(id, 'wrong')), undefined);
  assert.equal(await cacheRow(id), undefined, 'a failed check leaves no entry');
  assert.equal(await whoami(basic(id, 'wrong')), undefined);
  assert.equal(await cacheRow(id), undefined);
  assert.equal(await cgiWhoami(basic(id, 'right')), `account:${id}`);
  const before = await cacheRow(id);
  for (const bad of ['wrong', 'right ', 'righ', '']) {
    assert.equal(await cgiWhoami(basic(id, bad)), undefined, `password ${JSON.stringify(bad)}`);
    assert.equal(await whoami(basic(id, bad)), undefined, `password ${JSON.stringify(bad)} (FastCGI)`);
  }
  assert.deepEqual(await cacheRow(id), before, 'failed checks do not touch the entry');
  // an unknown account with a cached-looking row gets nothing either
  assert.equal(await cgiWhoami(basic(uid('ghost'), 'right')), undefined);
});

test('ACCT-7 a new password invalidates the cache at once: old refused, new accepted (CGI and FastCGI)', async () => {
  const id = uid('chg');
  await createAccount(id, 'old-pass');
  assert.equal(await cgiWhoami(basic(id, 'old-pass')), `account:${id}`);
  assert.equal(await whoami(basic(id, 'old-pass')), `account:${id}`); // the worker's memory too
  assert.ok(await cacheRow(id));
  await must(req(srv, 'PATCH', `/accounts/${id}`, { auth: basic(id, 'old-pass'), body: { data: { password: 'new-pass' } } }), 200);
  assert.equal(await cacheRow(id), undefined, 'the entry went with the old password');
  assert.equal(await cgiWhoami(basic(id, 'old-pass')), undefined);
  assert.equal(await whoami(basic(id, 'old-pass')), undefined);
  assert.equal(await cacheRow(id), undefined);
  assert.equal(await cgiWhoami(basic(id, 'new-pass')), `account:${id}`);
  assert.equal(await whoami(basic(id, 'new-pass')), `account:${id}`);
  assert.ok(await cacheRow(id));
  // a change made by a CGI process is seen by the FastCGI worker at once
  await must(runCgi(srv, 'PUT', `/v1/accounts/${id}`, { body: { data: { password: 'third' } }, env: { HTTP_AUTHORIZATION: basic(id, 'new-pass') } }), 200);
  assert.equal(await whoami(basic(id, 'new-pass')), undefined);
  assert.equal(await whoami(basic(id, 'third')), `account:${id}`);
  // PATCH without a password keeps the hash and the entry
  await must(req(srv, 'PATCH', `/accounts/${id}`, { auth: basic(id, 'third'), body: { data: { note: 'hi' } } }), 200);
  assert.ok(await cacheRow(id));
  assert.equal(await cgiWhoami(basic(id, 'third')), `account:${id}`);
});

test('ACCT-7 deleting an account removes its entry; its credentials stop working at once', async () => {
  const id = uid('del');
  await createAccount(id, 'pw');
  assert.equal(await cgiWhoami(basic(id, 'pw')), `account:${id}`);
  assert.ok(await cacheRow(id));
  await must(req(srv, 'DELETE', `/accounts/${id}`, { auth: basic(id, 'pw') }), 200);
  assert.equal(await cacheRow(id), undefined);
  assert.equal(await cgiWhoami(basic(id, 'pw')), undefined);
  assert.equal(await whoami(basic(id, 'pw')), undefined);
  // re-created with the same password: a new hash, a new entry
  await createAccount(id, 'pw');
  assert.equal(await cgiWhoami(basic(id, 'pw')), `account:${id}`);
});

test('ACCT-7 expiry: an expired entry is not used; entries are refreshed while in use; TTL 0 turns the cache off', async () => {
  const id = uid('exp');
  await createAccount(id, 'pw');
  assert.equal(await cgiWhoami(basic(id, 'pw')), `account:${id}`);
  await srv.query(`UPDATE account_cache SET verified_at = 1, expires = UNIX_TIMESTAMP() - 1 WHERE user_id = '${id}'`);
  assert.equal(await cgiWhoami(basic(id, 'pw')), `account:${id}`);
  let row = await cacheRow(id);
  const now = await dbNow();
  assert.notEqual(row.verified_at, 1, 'the expired entry was not used: bcrypt ran and rewrote it');
  assert.ok(row.expires > now, JSON.stringify(row));
  // an entry further away than the TTL allows (the setting was lowered) is not used either
  await srv.query(`UPDATE account_cache SET verified_at = 1, expires = UNIX_TIMESTAMP() + 3600 WHERE user_id = '${id}'`);
  assert.equal(await cgiWhoami(basic(id, 'pw')), `account:${id}`);
  assert.notEqual((await cacheRow(id)).verified_at, 1);
  // used with less than half its TTL left: the expiry moves, the entry stays
  await srv.query(`UPDATE account_cache SET verified_at = 1, expires = UNIX_TIMESTAMP() + 5 WHERE user_id = '${id}'`);
  assert.equal(await cgiWhoami(basic(id, 'pw')), `account:${id}`);
  row = await cacheRow(id);
  assert.equal(row.verified_at, 1);
  assert.ok(row.expires >= now + 20, `refreshed to about now + 30: ${JSON.stringify(row)}`);
  // account_cache_ttl_seconds = 0: no entry written, none used
  const off = uid('off');
  await createAccount(off, 'pw');
  assert.equal(await cgiWhoami(basic(off, 'pw'), { KINTO_ACCOUNT_CACHE_TTL_SECONDS: '0' }), `account:${off}`);
  assert.equal(await cacheRow(off), undefined);
});

test('ACCT-7 expired entries are removed a few at a time by later logins, without a scan per request', async () => {
  const values = Array.from({ length: 20 }, (_, i) => `('zz-dead-${RUN}-${i}', '${'0'.repeat(64)}', 1, ${100 + i})`).join(', ');
  await srv.query(`INSERT INTO account_cache (user_id, mac, verified_at, expires) VALUES ${values}`);
  const dead = async () => Number((await srv.query(`SELECT COUNT(*) FROM account_cache WHERE user_id LIKE 'zz-dead-${RUN}-%'`))[0][0]);
  assert.equal(await dead(), 20);
  const id = uid('sweep');
  await createAccount(id, 'pw');
  assert.equal(await cgiWhoami(basic(id, 'pw')), `account:${id}`); // a new entry: up to 16 dead ones go
  assert.equal(await dead(), 4);
  // the oldest went first
  const left = (await srv.query(`SELECT expires FROM account_cache WHERE user_id LIKE 'zz-dead-${RUN}-%' ORDER BY expires`)).map((r) => Number(r[0]));
  assert.deepEqual(left, [116, 117, 118, 119]);
  // a cache hit writes nothing
  assert.equal(await cgiWhoami(basic(id, 'pw')), `account:${id}`);
  assert.equal(await dead(), 4);
});

test('ACCT-7 with an empty kinto.userid_hmac_secret nothing is stored (an unkeyed hash could be brute-forced)', async () => {
  const id = uid('nosecret');
  const password = 'Distinctive-Pass-93k';
  await createAccount(id, password);
  const r = await runCgi(srv, 'GET', '/v1/', { env: { HTTP_AUTHORIZATION: basic(id, password), KINTO_USERID_HMAC_SECRET: '' } });
  assert.equal(r.json.user?.id, `account:${id}`);
  assert.equal(await cacheRow(id), undefined);
  assert.match(r.stderr, /kinto\.userid_hmac_secret is empty: account logins are cached in memory only/);
  assert.ok(!r.stderr.includes(password), 'the password is not logged');
});

test('ACCT-7 a database from before the cache (schema version 1): the first request upgrades it, logins work and are cached', async () => {
  const old = await startServer({ workers: 1, settings: ACCOUNTS });
  try {
    await must(req(old, 'PUT', '/accounts/olduser', { body: { data: { password: 'pw' } } }), 201);
    await old.query('DROP TABLE account_cache');
    await old.query('DELETE FROM cinto_schema_version WHERE version > 1');
    // a new process checks the schema first and applies migration 2 by itself
    const r = await runCgi(old, 'GET', '/v1/', { env: { HTTP_AUTHORIZATION: basic('olduser', 'pw') } });
    assert.equal(r.json.user?.id, 'account:olduser', r.text);
    assert.equal((await old.query("SELECT user_id FROM account_cache WHERE user_id = 'olduser'")).length, 1);
    const bad = await runCgi(old, 'GET', '/v1/', { env: { HTTP_AUTHORIZATION: basic('olduser', 'nope') } });
    assert.equal(bad.json.user, undefined);
    // the running FastCGI worker (schema checked before the drop) still authenticates
    assert.equal((await must(req(old, 'GET', '/', { auth: basic('olduser', 'pw') }), 200)).json.user?.id, 'account:olduser');
    assert.equal((await must(req(old, 'GET', '/', { auth: basic('olduser', 'nope') }), 200)).json.user, undefined);
    // a password change and a deletion work too
    await must(req(old, 'PATCH', '/accounts/olduser', { auth: basic('olduser', 'pw'), body: { data: { password: 'pw2' } } }), 200);
    assert.equal((await must(req(old, 'GET', '/', { auth: basic('olduser', 'pw') }), 200)).json.user, undefined);
    await must(req(old, 'DELETE', '/accounts/olduser', { auth: basic('olduser', 'pw2') }), 200);
    assert.equal((await old.query("SELECT user_id FROM account_cache WHERE user_id = 'olduser'")).length, 0);
  } finally {
    await old.stop();
  }
});
