// The database login methods of the MariaDB client inside cinto.fcgi (issue #6): a database
// user created with MariaDB's ed25519 plugin, as hosting control panels do, is served end to end
// (migrate, writes, reads) by cinto's built-in client_ed25519 (lib/storage/auth_plugins.c).
// MARIADB_PLUGIN_DIR points the workers at an empty folder, so a dynamic build cannot fall back
// to libmariadb's client_ed25519.so: only the built-in code can log in (the static bundle has
// no plugin loader anyway). caching_sha2_password (MySQL 8 only) is covered by the unit test
// tests/unit/test_dbauth.c.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { basic, dbQuery, req, startServer } from './lib/harness.js';
import { expectError, must } from './lib/expect.js';

const RUN = (Date.now() % 1e9).toString(36) + Math.random().toString(36).slice(2, 6);
const ALICE = basic(`alice-${RUN}`, 'secret');
const NO_PLUGINS = { MARIADB_PLUGIN_DIR: '/nonexistent/cinto-test-no-client-plugins' };

let native; // the harness's mysql_native_password user
let ed; // an ed25519 user
let wrong; // the ed25519 user with a wrong password
const edDb = `ted_${RUN}`;
const edUser = `ed_${RUN}`.slice(0, 32);
// characters that need percent-encoding in the URL, and a non-ASCII one
const edPassword = `pä:ss@${crypto.randomBytes(6).toString('hex')}/#%`;

function storageUrl(user, password, socket) {
  return `mysql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@localhost/${edDb}?unix_socket=${socket}`;
}

before(async () => {
  native = await startServer({ workers: 1, env: NO_PLUGINS });
  const socket = native.db.socket;
  const installed = await dbQuery(null, "SELECT COUNT(*) FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'ed25519'");
  if (installed[0][0] === '0') await dbQuery(null, "INSTALL SONAME 'auth_ed25519'");
  const pw = edPassword.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
  await dbQuery(
    null,
    `SET NAMES utf8mb4;` +
      `CREATE DATABASE \`${edDb}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;` +
      `CREATE USER '${edUser}'@'localhost' IDENTIFIED VIA ed25519 USING PASSWORD('${pw}');` +
      `GRANT ALL ON \`${edDb}\`.* TO '${edUser}'@'localhost';`,
  );
  [ed, wrong] = await Promise.all([
    startServer({ workers: 1, env: NO_PLUGINS, settings: { 'kinto.storage_url': storageUrl(edUser, edPassword, socket) } }),
    startServer({
      workers: 1,
      env: NO_PLUGINS,
      migrate: false,
      settings: { 'kinto.storage_url': storageUrl(edUser, `${edPassword}x`, socket) },
    }),
  ]);
});

after(async () => {
  await Promise.all([native?.stop(), ed?.stop(), wrong?.stop()]);
  await dbQuery(null, `DROP USER IF EXISTS '${edUser}'@'localhost'; DROP DATABASE IF EXISTS \`${edDb}\`;`).catch(() => {});
});

test('DBAUTH-1 the user of the ini is an ed25519 user', async () => {
  const rows = await dbQuery(
    null,
    `SELECT JSON_VALUE(Priv, '$.plugin'), LENGTH(JSON_VALUE(Priv, '$.authentication_string')) FROM mysql.global_priv WHERE User = '${edUser}'`,
  );
  assert.deepEqual(rows, [['ed25519', '43']]);
});

test('DBAUTH-2 mysql_native_password: the harness user still works with no plugin folder', async () => {
  await must(req(native, 'PUT', '/buckets/b1', { auth: ALICE }), 201);
  const hb = await must(req(native, 'GET', '/__heartbeat__'), 200);
  assert.equal(hb.json.storage, true);
});

test('DBAUTH-3 ed25519: migrate ran, writes and reads go through', async () => {
  const tables = await dbQuery(null, `SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${edDb}'`);
  assert.ok(Number(tables[0][0]) > 0, 'migrate created the tables through the ed25519 login');
  await must(req(ed, 'PUT', '/buckets/b1', { auth: ALICE, body: { data: { via: 'ed25519' } } }), 201);
  await must(req(ed, 'PUT', '/buckets/b1/collections/c1', { auth: ALICE }), 201);
  const rec = await must(req(ed, 'POST', '/buckets/b1/collections/c1/records', { auth: ALICE, body: { data: { n: 1 } } }), 201);
  const got = await must(req(ed, 'GET', `/buckets/b1/collections/c1/records/${rec.json.data.id}`, { auth: ALICE }), 200);
  assert.equal(got.json.data.n, 1);
  const b = await must(req(ed, 'GET', '/buckets/b1', { auth: ALICE }), 200);
  assert.equal(b.json.data.via, 'ed25519');
});

test('DBAUTH-4 ed25519 with a wrong password: 503, the database is untouched', async () => {
  const r = await req(wrong, 'PUT', '/buckets/b2', { auth: ALICE });
  expectError(r, 503, 201);
  const rows = await dbQuery(null, `SELECT COUNT(*) FROM \`${edDb}\`.cinto_schema_version`);
  assert.ok(Number(rows[0][0]) >= 1);
  const r2 = await req(ed, 'GET', '/buckets/b2', { auth: ALICE });
  assert.ok([403, 404].includes(r2.status), `b2 must not exist: ${r2.status}`);
});
