// First run without SSH and storage failures a hosting customer can understand (issues 6, 8):
// tables created on first use (also by concurrent first requests), the clear 503s when they
// cannot be (no CREATE privilege, newer tables), connection failures logged with user but
// never the password, kinto.storage_table_prefix, a heartbeat that reads the tables, the
// schema importable under innodb_default_row_format=compact, storage-side failures answered
// 503 errno 201 + Retry-After and logged once. Every case reads the answer and kinto.log_file.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, startDatabase, req, basic, fcgiPath, sleep, REPO_ROOT, saveSanitizerReports } from './lib/harness.js';
import { must, expectError } from './lib/expect.js';

const RUN = (Date.now() % 1e9).toString(36) + Math.random().toString(36).slice(2, 6);
const OWNER = basic(`owner-${RUN}`, 'secret');
const TABLES = ['acl', 'cinto_schema_version', 'memberships', 'objects', 'revisions'];

const servers = [];
const dirs = [];
after(async () => {
  for (const s of servers) await s.stop().catch(() => {});
  if (!process.env.CINTO_TEST_KEEP) for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

// A server whose cinto log goes to a file of ours; returns [srv, readLog].
async function serve(opts = {}) {
  const dir = fs.mkdtempSync(path.join(process.env.CINTO_TEST_TMP || os.tmpdir(), 'cfr-'));
  dirs.push(dir);
  const logFile = path.join(dir, 'cinto.log');
  const srv = await startServer({ ...opts, settings: { 'kinto.log_file': logFile, ...(opts.settings || {}) } });
  servers.push(srv);
  const readLog = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  return [srv, readLog];
}

// Runs cinto.fcgi with arguments and the server's environment (its ini); never rejects.
function cli(srv, args, env = {}) {
  return new Promise((resolve) => {
    execFile(fcgiPath(), args, { env: { ...process.env, ...(srv ? srv.env : {}), ...env }, timeout: 60000 }, (err, stdout, stderr) => {
      saveSanitizerReports(stderr, `cli-${args[0]}`);
      resolve({ code: err ? err.code : 0, stdout, stderr });
    });
  });
}

async function tables(srv) {
  return (await srv.query('SHOW TABLES')).map((r) => r[0]).sort();
}

const count = (text, needle) => text.split(needle).length - 1;

// The answer of a 503 must name the fix but never the database user, host, socket or password.
function noSecrets(r, srv) {
  for (const secret of [srv.dbPassword, srv.dbUser, srv.db.socket, 'localhost']) {
    assert.ok(!r.text.includes(secret), `the answer must not contain ${secret}: ${r.text}`);
  }
}

test('FIRST-1 a fresh empty database works on the first request (no migrate run): tables created once, logged', async () => {
  const [srv, log] = await serve({ migrate: false });
  assert.deepEqual(await tables(srv), [], 'nothing before the first request');
  await must(req(srv, 'PUT', '/buckets/first', { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'GET', '/buckets/first', { auth: OWNER }), 200);
  assert.deepEqual(await tables(srv), TABLES);
  assert.deepEqual(await srv.query('SELECT version FROM cinto_schema_version'), [['1']]);
  assert.equal(count(log(), 'applied migration schema.sql'), 1, log());
  const hb = await must(req(srv, 'GET', '/__heartbeat__'), 200);
  assert.equal(hb.json.storage, true);
  // the row format that lets the keys exceed 767 bytes
  const formats = await srv.query(`SELECT DISTINCT row_format FROM information_schema.tables WHERE table_schema = '${srv.dbName}'`);
  assert.deepEqual(formats, [['Dynamic']]);
});

test('FIRST-2 concurrent first requests on an empty database: all succeed, one migration (GET_LOCK)', async () => {
  const [srv, log] = await serve({ migrate: false, workers: 4 });
  const results = await Promise.all(
    Array.from({ length: 16 }, (_, i) => req(srv, 'PUT', `/buckets/c${i}`, { auth: OWNER, body: {} })),
  );
  assert.deepEqual(results.map((r) => r.status), Array(16).fill(201), results.map((r) => r.text).join('\n'));
  assert.deepEqual(await tables(srv), TABLES);
  assert.equal(count(log(), 'applied migration schema.sql'), 1, log());
  const list = await must(req(srv, 'GET', '/buckets', { auth: OWNER }), 200);
  assert.equal(list.json.data.length, 16);
});

test('FIRST-3 a user without CREATE privilege: clear 503 errno 201 + Retry-After, nothing created; works once granted', async () => {
  const [srv, log] = await serve({ migrate: false });
  await srv.db.query(`REVOKE CREATE ON \`${srv.dbName}\`.* FROM '${srv.dbUser}'@'localhost'`);
  for (const [m, p] of [['GET', '/buckets'], ['PUT', '/buckets/b1'], ['GET', '/__heartbeat__']]) {
    const r = await req(srv, m, p, { auth: OWNER, body: m === 'PUT' ? {} : undefined });
    if (p === '/__heartbeat__') {
      assert.equal(r.status, 503);
      assert.equal(r.json.storage, false);
      continue;
    }
    expectError(r, 503, 201, { message: /may not create tables.*sql\/schema\.sql.*phpMyAdmin.*cinto\.fcgi migrate/s });
    assert.equal(r.headers.get('retry-after'), '3');
    noSecrets(r, srv);
  }
  assert.deepEqual(await tables(srv), [], 'nothing half-created');
  const text = log();
  assert.match(text, /cannot create the tables \(migration schema\.sql\): MariaDB error 1142: CREATE command denied/);
  assert.equal(count(text, 'cannot create the tables'), 1, 'logged once, not per request');
  // The customer imports the schema (or grants CREATE): the next request works.
  await srv.db.query(`GRANT CREATE ON \`${srv.dbName}\`.* TO '${srv.dbUser}'@'localhost'`);
  await must(req(srv, 'PUT', '/buckets/b1', { auth: OWNER, body: {} }), 201);
  assert.deepEqual(await tables(srv), TABLES);
});

test('FIRST-4 tables of a newer cinto: 503 errno 201 naming the versions, nothing changed', async () => {
  const [srv, log] = await serve();
  await srv.query('INSERT INTO cinto_schema_version (version) VALUES (99)');
  const r = await req(srv, 'GET', '/buckets', { auth: OWNER });
  expectError(r, 503, 201, { message: /newer version of cinto \(schema version 99; this cinto\.fcgi knows up to version 1\)/ });
  assert.equal(r.headers.get('retry-after'), '3');
  assert.match(log(), /schema version 99, newer than this cinto\.fcgi \(1\)/);
  assert.deepEqual(await srv.query('SELECT version FROM cinto_schema_version ORDER BY version'), [['1'], ['99']]);
  const m = await cli(srv, ['migrate']);
  assert.equal(m.code, 1, 'migrate refuses too');
  assert.match(m.stderr, /newer/);
});

test('FIRST-5 wrong password: 503 naming the fix; the log has user, socket, code and text, never the password', async () => {
  const [srv, log] = await serve();
  await srv.db.query(`ALTER USER '${srv.dbUser}'@'localhost' IDENTIFIED BY 'changed-${RUN}'`);
  for (let i = 0; i < 3; i++) {
    const r = await req(srv, 'GET', '/buckets', { auth: OWNER });
    expectError(r, 503, 201, { message: /refused cinto's user name or password.*kinto\.storage_url/s });
    assert.equal(r.headers.get('retry-after'), '3');
    noSecrets(r, srv);
  }
  const text = log();
  const line = text.split('\n').find((l) => l.includes('cannot connect to MariaDB'));
  assert.ok(line, text);
  assert.ok(line.includes(`user '${srv.dbUser}'`), line);
  assert.ok(line.includes(srv.db.socket), line);
  assert.match(line, /error 1045 \(access denied\): Access denied for user/);
  assert.ok(!text.includes(srv.dbPassword), 'never the password');
  assert.ok(!text.includes(`changed-${RUN}`));
  assert.equal(count(text, 'cannot connect to MariaDB'), 1, 'logged once per condition');
  const hb = await req(srv, 'GET', '/__heartbeat__');
  assert.equal(hb.status, 503);
  assert.equal(hb.json.storage, false);
});

test('FIRST-6 a wrong socket and an unknown database: 503 naming the fix; logged with the socket', async () => {
  const [srv, log] = await serve({
    migrate: false,
    env: { KINTO_STORAGE_URL: 'mysql://nobody:pw-xyz@localhost/nodb?unix_socket=/nonexistent/mysqld.sock' },
  });
  const r = await req(srv, 'GET', '/buckets', { auth: OWNER });
  expectError(r, 503, 201, { message: /cannot connect to its database server.*unix_socket of kinto\.storage_url/s });
  assert.ok(!r.text.includes('/nonexistent'));
  assert.match(log(), /cannot connect to MariaDB as user 'nobody' on localhost through socket '\/nonexistent\/mysqld\.sock'.*error 2002/);
  assert.ok(!log().includes('pw-xyz'));

  // a database that does not exist (the user may use it, had it existed)
  const [srv2] = await serve({ migrate: false });
  await srv2.db.query(`GRANT ALL ON \`nosuchdb_${RUN}\`.* TO '${srv2.dbUser}'@'localhost'`);
  const url = srv2.storageUrl.replace(`/${srv2.dbName}?`, `/nosuchdb_${RUN}?`);
  const [srv3, log3] = await serve({ migrate: false, settings: { 'kinto.storage_url': url } });
  const r3 = await req(srv3, 'GET', '/buckets', { auth: OWNER });
  expectError(r3, 503, 201, { message: /database named in kinto\.storage_url does not exist/ });
  assert.ok(!r3.text.includes(`nosuchdb_${RUN}`));
  assert.match(log3(), /database 'nosuchdb_\w+': error 1049 \(unknown database\)/);
});

test('FIRST-7 a storage URL without a database name: configuration error logged without the password', async () => {
  const [srv, log] = await serve({ migrate: false, env: { KINTO_STORAGE_URL: 'mysql://someone:S3cretPw@localhost/' } });
  const r = await req(srv, 'GET', '/buckets', { auth: OWNER });
  assert.equal(r.status, 500);
  assert.ok(!r.text.includes('S3cretPw'));
  const text = log() + srv.readErrorLog();
  assert.match(text, /kinto\.storage_url names no database/);
  assert.ok(!text.includes('S3cretPw'), text);
});

test('FIRST-8 kinto.storage_table_prefix: every table prefixed, the API works, `cinto.fcgi schema` prints it', async () => {
  const [srv] = await serve({ migrate: false, settings: { 'kinto.storage_table_prefix': 'cx_' } });
  await must(req(srv, 'PUT', '/buckets/p', { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'PUT', '/buckets/p/groups/g', { auth: OWNER, body: { data: { members: ['alice'] } } }), 201);
  await must(req(srv, 'PUT', '/buckets/p/collections/c', { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'POST', '/buckets/p/collections/c/records', { auth: OWNER, body: { data: { a: 1 } } }), 201);
  const l = await must(req(srv, 'GET', '/buckets/p/collections/c/records', { auth: OWNER }), 200);
  assert.equal(l.json.data.length, 1);
  await must(req(srv, 'DELETE', '/buckets/p', { auth: OWNER }), 200);
  assert.deepEqual(await tables(srv), TABLES.map((t) => `cx_${t}`));
  assert.ok(Number((await srv.query('SELECT COUNT(*) FROM cx_revisions'))[0][0]) > 0);
  const hb = await must(req(srv, 'GET', '/__heartbeat__'), 200);
  assert.equal(hb.json.storage, true);

  const out = await cli(srv, ['schema']);
  assert.equal(out.code, 0, out.stderr);
  for (const t of TABLES) assert.ok(out.stdout.includes(`CREATE TABLE IF NOT EXISTS \`cx_${t}\``), t);
  assert.ok(!/CREATE TABLE IF NOT EXISTS `(?!cx_)/.test(out.stdout));
  const given = await cli(null, ['schema', 'other_']);
  assert.ok(given.stdout.includes('CREATE TABLE IF NOT EXISTS `other_objects`'));
  const bad = await cli(null, ['schema', 'Bad-Prefix']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /kinto\.storage_table_prefix must be at most 16 characters among lower-case letters a-z, digits 0-9 and '_'/);
  const badIni = await cli(srv, ['migrate'], { KINTO_STORAGE_TABLE_PREFIX: 'x'.repeat(17) });
  assert.equal(badIni.code, 1);
  assert.match(badIni.stderr, /kinto\.storage_table_prefix must be at most 16/);
});

test('FIRST-9 heartbeat reads the tables: false when one is missing; `cinto.fcgi check` and migrate repair it', async () => {
  const [srv, log] = await serve();
  await must(req(srv, 'PUT', '/buckets/h', { auth: OWNER, body: {} }), 201);
  assert.equal((await must(req(srv, 'GET', '/__heartbeat__'), 200)).json.storage, true);
  await srv.query('DROP TABLE objects');
  const hb = await req(srv, 'GET', '/__heartbeat__');
  assert.equal(hb.status, 503);
  assert.deepEqual(hb.json, { storage: false, permission: false, cache: true });
  const r = await req(srv, 'GET', '/buckets/h', { auth: OWNER });
  expectError(r, 503, 201, { message: /tables are missing.*cinto\.fcgi migrate.*sql\/schema\.sql/s });
  assert.match(log(), /MariaDB error 1146 \(table missing\): Table '[^']+\.objects' doesn't exist/);
  const check = await cli(srv, ['check']);
  assert.equal(check.code, 1, check.stdout);
  assert.match(check.stdout, /objects: .*doesn't exist/);
  assert.match(check.stdout, /result: PROBLEMS FOUND/);
  const m = await cli(srv, ['migrate']);
  assert.equal(m.code, 0, m.stderr);
  assert.equal((await must(req(srv, 'GET', '/__heartbeat__'), 200)).json.storage, true);
  const ok = await cli(srv, ['check']);
  assert.equal(ok.code, 0, ok.stdout);
  assert.match(ok.stdout, /objects: status: OK/);
  assert.match(ok.stdout, /result: OK/);
});

test('FIRST-10 sql/schema.sql imports as is under innodb_default_row_format=compact (and the prefixed one too)', async () => {
  const db = await startDatabase({ extraArgs: ['--innodb-default-row-format=compact'] });
  try {
    assert.deepEqual(await db.query('SELECT @@innodb_default_row_format'), [['compact']]);
    const schema = fs.readFileSync(path.join(REPO_ROOT, 'sql', 'schema.sql'), 'utf8');
    await db.query('CREATE DATABASE imp CHARACTER SET utf8mb4 COLLATE utf8mb4_bin; CREATE DATABASE old CHARACTER SET utf8mb4 COLLATE utf8mb4_bin; CREATE DATABASE pre CHARACTER SET utf8mb4 COLLATE utf8mb4_bin');
    // Without ROW_FORMAT=DYNAMIC this server refuses the keys: the test means something.
    await assert.rejects(db.query(schema.replaceAll(' ROW_FORMAT=DYNAMIC', ''), 'old'), /767/);
    await db.query(schema, 'imp');
    assert.deepEqual((await db.query('SHOW TABLES', 'imp')).map((r) => r[0]).sort(), TABLES);
    const pre = await cli(null, ['schema', 'k_']);
    await db.query(pre.stdout, 'pre');
    assert.deepEqual((await db.query('SHOW TABLES', 'pre')).map((r) => r[0]).sort(), TABLES.map((t) => `k_${t}`));
  } finally {
    await db.destroy();
  }
  // cinto's own first run on such a server
  const [srv] = await serve({ migrate: false, mariadbArgs: ['--innodb-default-row-format=compact'] });
  await must(req(srv, 'PUT', `/buckets/${'b'.repeat(200)}`, { auth: OWNER, body: {} }), 201);
  assert.deepEqual(await tables(srv), TABLES);
});

test('FIRST-11 a read-only database: writes 503 errno 201 + Retry-After naming it, logged once; reads still work', async () => {
  const [srv, log] = await serve({ privateDb: true });
  await must(req(srv, 'PUT', '/buckets/ro', { auth: OWNER, body: {} }), 201);
  await srv.db.query('SET GLOBAL read_only = 1');
  try {
    for (let i = 0; i < 3; i++) {
      const r = await req(srv, 'PUT', `/buckets/ro/collections/c${i}`, { auth: OWNER, body: {} });
      expectError(r, 503, 201, { message: /read-only/ });
      assert.equal(r.headers.get('retry-after'), '3');
    }
    await must(req(srv, 'GET', '/buckets/ro', { auth: OWNER }), 200);
  } finally {
    await srv.db.query('SET GLOBAL read_only = 0');
  }
  const text = log();
  assert.match(text, /storage unavailable \(answered 503\): MariaDB error 1290 \(server read-only\): The MariaDB server is running with the --read-only/);
  assert.equal(count(text, 'MariaDB error 1290'), 1, 'logged once, not per request');
  await must(req(srv, 'PUT', '/buckets/ro/collections/c9', { auth: OWNER, body: {} }), 201);
});

test('FIRST-12 a lock held too long: 503 errno 201 (lock wait) within kinto.storage_read_timeout_seconds, logged with code', async () => {
  const [srv, log] = await serve({ settings: { 'kinto.storage_read_timeout_seconds': '4' } });
  await must(req(srv, 'PUT', '/buckets/lk', { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'PUT', '/buckets/lk/collections/c1', { auth: OWNER, body: {} }), 201);
  // Another session locks every list mark and keeps the lock.
  const holder = spawn('mariadb', ['--no-defaults', `--socket=${srv.db.socket}`, '-uroot', srv.dbName, '-e',
    'START TRANSACTION; SELECT COUNT(*) FROM revisions FOR UPDATE; DO SLEEP(60);'], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 100; i++) {
      const n = await srv.db.query('SELECT COUNT(*) FROM information_schema.innodb_trx WHERE trx_rows_locked > 0');
      if (n[0][0] !== '0') break;
      await sleep(100);
    }
    const r = await req(srv, 'PUT', '/buckets/lk/collections/c2', { auth: OWNER, body: {} });
    expectError(r, 503, 201, { message: /waited too long for a lock/ });
    assert.equal(r.headers.get('retry-after'), '3');
    assert.match(log(), /MariaDB error 1205 \(lock wait timeout\): Lock wait timeout exceeded/);
  } finally {
    holder.kill('SIGKILL');
    // a killed client leaves its SLEEP running on the server: end the session there too
    for (const [id] of await srv.db.query("SELECT id FROM information_schema.processlist WHERE info LIKE 'DO SLEEP(60)%'")) {
      await srv.db.query(`KILL ${Number(id)}`).catch(() => {});
    }
  }
  // the session's lock goes with its connection
  let ok;
  for (let i = 0; i < 50; i++) {
    ok = await req(srv, 'PUT', '/buckets/lk/collections/c3', { auth: OWNER, body: {} });
    if (ok.status === 201) break;
    await sleep(200);
  }
  assert.equal(ok.status, 201, ok.text);
});

test('FIRST-13 invalid storage timeouts are configuration errors naming the key', async () => {
  const out = await cli(null, ['check'], { KINTO_STORAGE_URL: 'mysql://u:p@localhost/d', KINTO_STORAGE_READ_TIMEOUT_SECONDS: '0' });
  assert.equal(out.code, 1);
  assert.match(out.stderr, /kinto\.storage_read_timeout_seconds must be a whole number of seconds from 1 to 3600/);
});

test('FIRST-14 a hung database (SIGSTOP): 503 errno 201 after the read timeout, not the web server\'s timeout; recovers', async (t) => {
  const [srv, log] = await serve({
    privateDb: true,
    workers: 1,
    settings: { 'kinto.storage_read_timeout_seconds': '3', 'kinto.storage_connect_timeout_seconds': '2' },
  });
  await must(req(srv, 'PUT', '/buckets/hung', { auth: OWNER, body: {} }), 201);
  const pid = srv.db.child.pid;
  process.kill(pid, 'SIGSTOP');
  let r;
  const t0 = Date.now();
  try {
    r = await req(srv, 'GET', '/buckets/hung', { auth: OWNER, timeout: 30000 });
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  t.diagnostic(`hung database: 503 after ${Date.now() - t0} ms (read timeout 3 s, connect timeout 2 s)`);
  expectError(r, 503, 201);
  assert.equal(r.headers.get('retry-after'), '3');
  assert.match(log(), /error 2013 \(connection lost or read timeout\)|MariaDB error 2013/);
  let ok;
  for (let i = 0; i < 50; i++) {
    ok = await req(srv, 'GET', '/buckets/hung', { auth: OWNER, timeout: 30000 });
    if (ok.status === 200) break;
    await sleep(200);
  }
  assert.equal(ok.status, 200, ok.text);
});

// The usual socket paths are tried when the URL says localhost without a socket. The test
// links /tmp/mysql.sock to its MariaDB, so it runs only where no usual path exists yet.
const USUAL = ['/run/mysqld/mysqld.sock', '/var/run/mysqld/mysqld.sock', '/var/lib/mysql/mysql.sock', '/tmp/mysql.sock'];
test('FIRST-15 localhost without a socket: the usual socket paths are tried (and the one found is logged)', { skip: USUAL.some((p) => fs.existsSync(p)) && 'a usual socket path exists on this machine' }, async () => {
  const [srv, log] = await serve({ migrate: false });
  fs.symlinkSync(srv.db.socket, '/tmp/mysql.sock');
  try {
    const [srv2, log2] = await serve({
      migrate: false,
      settings: { 'kinto.storage_url': `mysql://${srv.dbUser}:${srv.dbPassword}@localhost/${srv.dbName}` },
    });
    await must(req(srv2, 'PUT', '/buckets/sock', { auth: OWNER, body: {} }), 201);
    assert.match(log2(), /MariaDB answers on \/tmp\/mysql\.sock; kinto\.storage_url names no unix_socket/);
    assert.equal(log(), '');
  } finally {
    fs.rmSync('/tmp/mysql.sock', { force: true });
  }
});
