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
// What the migrations of sql/ make: version 1 is schema.sql, NNN-*.sql are the later ones.
const SQL_DIR = path.join(REPO_ROOT, 'sql');
const MIGRATIONS = ['schema.sql', ...fs.readdirSync(SQL_DIR).filter((f) => /^\d{3}-.*\.sql$/.test(f)).sort()];
const VERSIONS = MIGRATIONS.map((f) => [f === 'schema.sql' ? '1' : String(Number(f.slice(0, 3)))]);
const LATEST = VERSIONS.at(-1)[0];
const tablesOf = (files) =>
  [...new Set(files.flatMap((f) => [...fs.readFileSync(path.join(SQL_DIR, f), 'utf8').matchAll(/CREATE TABLE IF NOT EXISTS `(\w+)`/g)].map((m) => m[1])))].sort();
const TABLES = tablesOf(MIGRATIONS);
const SCHEMA_SQL_TABLES = tablesOf(['schema.sql']);

const servers = [];
const dirs = [];
// One MariaDB of this file's own for the cases that change server-wide state (read-only,
// SIGSTOP) or need an option: its InnoDB default row format is the old COMPACT.
let ownDb;
async function compactDb() {
  ownDb ??= await startDatabase({ extraArgs: ['--innodb-default-row-format=compact'] });
  return ownDb;
}
after(async () => {
  for (const s of servers) await s.stop().catch(() => {});
  await ownDb?.destroy();
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
  assert.deepEqual(await srv.query('SELECT version FROM cinto_schema_version ORDER BY version'), VERSIONS);
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
    expectError(r, 503, 201, { message: /may not create tables.*cinto-schema\.sql.*phpMyAdmin.*cinto\.fcgi migrate/s });
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
  expectError(r, 503, 201, { message: /newer version of cinto \(schema version 99; this cinto\.fcgi knows up to version \d+\)/ });
  assert.equal(r.headers.get('retry-after'), '3');
  assert.match(log(), new RegExp(`schema version 99, newer than this cinto\\.fcgi \\(${LATEST}\\)`));
  assert.deepEqual(await srv.query('SELECT version FROM cinto_schema_version ORDER BY version'), [...VERSIONS, ['99']]);
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
  // over TCP: host and port in the log (here through `cinto.fcgi check`, for operators)
  const tcp = await cli(srv, ['check'], { KINTO_STORAGE_URL: 'mysql://nobody:pw-tcp@127.0.0.1:1/nodb' });
  assert.equal(tcp.code, 1);
  assert.match(tcp.stdout, /connection: FAILED: cannot connect to MariaDB as user 'nobody' on host '127\.0\.0\.1' port 1, database 'nodb': error 200[23] \(cannot connect\)/);
  assert.match(log(), /user 'nobody' on host '127\.0\.0\.1' port 1/);
  assert.ok(!(log() + tcp.stdout + tcp.stderr).includes('pw-tcp'));

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
  expectError(r, 503, 201);
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
  expectError(r, 503, 201, { message: /tables are missing.*cinto\.fcgi migrate.*cinto-schema\.sql/s });
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
  assert.match(ok.stdout, /heartbeat query: OK/);
  assert.match(ok.stdout, /size: objects: \d+ bytes \(\d+ bytes free inside its tablespace\)/);
  assert.match(ok.stdout, /result: OK/);
});

test('FIRST-10 sql/schema.sql imports as is under innodb_default_row_format=compact (and the prefixed one too)', async () => {
  const db = await compactDb();
  assert.deepEqual(await db.query('SELECT @@innodb_default_row_format'), [['compact']]);
  const schema = fs.readFileSync(path.join(REPO_ROOT, 'sql', 'schema.sql'), 'utf8');
  const [imp, old, pre] = ['imp', 'old', 'pre'].map((n) => `${n}_${RUN}`);
  await db.query(`CREATE DATABASE ${imp} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin; CREATE DATABASE ${old} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin; CREATE DATABASE ${pre} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  try {
    // Without ROW_FORMAT=DYNAMIC this server refuses the keys: the test means something.
    await assert.rejects(db.query(schema.replaceAll(' ROW_FORMAT=DYNAMIC', ''), old), /767/);
    await db.query(schema, imp);
    assert.deepEqual((await db.query('SHOW TABLES', imp)).map((r) => r[0]).sort(), SCHEMA_SQL_TABLES);
    const printed = await cli(null, ['schema', 'k_']);
    await db.query(printed.stdout, pre);
    assert.deepEqual((await db.query('SHOW TABLES', pre)).map((r) => r[0]).sort(), TABLES.map((t) => `k_${t}`));
  } finally {
    await db.query(`DROP DATABASE ${imp}; DROP DATABASE ${old}; DROP DATABASE ${pre}`);
  }
  // cinto's own first run on such a server
  const [srv] = await serve({ migrate: false, db });
  await must(req(srv, 'PUT', `/buckets/${'b'.repeat(200)}`, { auth: OWNER, body: {} }), 201);
  assert.deepEqual(await tables(srv), TABLES);
});

test('FIRST-11 a read-only database: writes 503 errno 201 + Retry-After naming it, logged once; reads still work', async () => {
  const [srv, log] = await serve({ db: await compactDb() });
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
  // with the statement that failed (its text: placeholders, no request value), on one line
  assert.match(text, /MariaDB error 1290 [^\n]*\(statement: [A-Z]+ [^\n]*\)\n/);
  assert.ok(!text.includes("'/buckets/ro/collections/c0'"), 'no bound value in the log');
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
    db: await compactDb(),
    workers: 1,
    settings: { 'kinto.storage_read_timeout_seconds': '3', 'kinto.storage_connect_timeout_seconds': '2' },
  });
  await must(req(srv, 'PUT', '/buckets/hung', { auth: OWNER, body: {} }), 201);
  const pid = srv.db.child.pid;
  process.kill(pid, 'SIGSTOP');
  // a group stop completes when every thread has stopped: wait for it
  const state = (f) => { try { return fs.readFileSync(f, 'utf8').replace(/^.*\) /s, '')[0]; } catch { return 'T'; } };
  for (let i = 0; i < 100; i++) {
    if (fs.readdirSync(`/proc/${pid}/task`).every((t) => state(`/proc/${pid}/task/${t}/stat`) === 'T')) break;
    await sleep(50);
  }
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

test('FIRST-16 the connection limit reached (max_user_connections): 503 naming it, logged with user and code', async () => {
  const [srv, log] = await serve({ workers: 1 });
  await srv.db.query(`ALTER USER '${srv.dbUser}'@'localhost' WITH MAX_USER_CONNECTIONS 1`);
  // another client of the same user takes the one connection allowed
  const holder = spawn('mariadb', ['--no-defaults', `--socket=${srv.db.socket}`, `-u${srv.dbUser}`, `-p${srv.dbPassword}`, srv.dbName, '-e', 'DO SLEEP(61)'], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 100; i++) {
      const n = await srv.db.query("SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE 'DO SLEEP(61)%'");
      if (n[0][0] !== '0') break;
      await sleep(100);
    }
    const r = await req(srv, 'GET', '/buckets', { auth: OWNER });
    expectError(r, 503, 201, { message: /connection limit.*max_user_connections/s });
    assert.equal(r.headers.get('retry-after'), '3');
    noSecrets(r, srv);
    const text = log();
    assert.match(text, new RegExp(`cannot connect to MariaDB as user '${srv.dbUser}' on localhost through socket .* error (1203|1226) \\((too many connections for this user|user resource limit reached)\\)`));
    assert.ok(!text.includes(srv.dbPassword));
  } finally {
    holder.kill('SIGKILL');
    for (const [id] of await srv.db.query("SELECT id FROM information_schema.processlist WHERE info LIKE 'DO SLEEP(61)%'")) {
      await srv.db.query(`KILL ${Number(id)}`).catch(() => {});
    }
  }
  let ok;
  for (let i = 0; i < 50; i++) {
    ok = await req(srv, 'GET', '/buckets', { auth: OWNER });
    if (ok.status === 200) break;
    await sleep(200);
  }
  assert.equal(ok.status, 200, ok.text);
});

test('FIRST-17 a full table (1114, the disk-full case): 503 errno 201 + Retry-After naming it, logged once; reads still work', async () => {
  // InnoDB's system tablespace, capped at 24 MiB, holds the tables: it fills like a disk.
  const [srv, log] = await serve({
    mariadbArgs: ['--innodb-file-per-table=0', '--innodb-data-file-path=ibdata1:12M:autoextend:max:24M'],
    settings: { 'kinto.max_request_body_bytes': String(4 << 20) },
  });
  const R = '/buckets/full/collections/c/records';
  await must(req(srv, 'PUT', '/buckets/full', { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'PUT', '/buckets/full/collections/c', { auth: OWNER, body: {} }), 201);
  const big = 'x'.repeat(1 << 20);
  let r;
  let stored = 0;
  for (let i = 0; i < 60; i++) {
    r = await req(srv, 'POST', R, { auth: OWNER, body: { data: { big, i } } });
    if (r.status !== 201) break;
    stored++;
  }
  expectError(r, 503, 201, { message: /database is full/ });
  assert.equal(r.headers.get('retry-after'), '3');
  assert.ok(stored > 0, 'some records fit first');
  for (let i = 0; i < 2; i++) expectError(await req(srv, 'POST', R, { auth: OWNER, body: { data: { big } } }), 503, 201);
  const text = log();
  assert.match(text, /MariaDB error 1114 \(table full\): The table '[^']*' is full/);
  assert.equal(count(text, 'MariaDB error 1114'), 1, 'logged once, not per request');
  const list = await must(req(srv, 'GET', `${R}?_limit=1`, { auth: OWNER }), 200);
  assert.equal(list.json.data.length, 1);
  assert.equal((await must(req(srv, 'GET', '/__heartbeat__'), 200)).json.storage, true);
});

test('FIRST-18 pending migrations on a database in use: applied by the first request of new workers, data kept', async () => {
  const [srv, log] = await serve();
  await must(req(srv, 'PUT', '/buckets/kept', { auth: OWNER, body: { data: { v: 1 } } }), 201);
  // the database looks like one of an older cinto: its version row is missing
  await srv.query('DELETE FROM cinto_schema_version');
  const before = count(log(), 'applied migration schema.sql'); // the harness's `migrate`
  await srv.restartWorkers();
  const r = await must(req(srv, 'GET', '/buckets/kept', { auth: OWNER }), 200);
  assert.equal(r.json.data.v, 1);
  assert.deepEqual(await srv.query('SELECT version FROM cinto_schema_version ORDER BY version'), VERSIONS);
  assert.equal(count(log(), 'applied migration schema.sql'), before + 1, log());
});

test('FIRST-20 a migration numbered below one already applied (numbers are reserved per feature, so they land in any order) is applied all the same', async () => {
  const [srv, log] = await serve();
  await must(req(srv, 'PUT', '/buckets/gap', { auth: OWNER, body: {} }), 201);
  // the database of a build that had the highest migration but not this lower one
  const gap = MIGRATIONS.at(-2);
  const v = String(Number(gap.slice(0, 3)));
  const [table] = tablesOf([gap]);
  assert.ok(table && Number(v) < Number(LATEST), `${gap} is below ${LATEST}`);
  await srv.query(`DROP TABLE ${table}; DELETE FROM cinto_schema_version WHERE version = ${v}`);
  const before = count(log(), `applied migration ${gap}`);
  await srv.restartWorkers();
  await must(req(srv, 'GET', '/buckets/gap', { auth: OWNER }), 200);
  assert.ok((await tables(srv)).includes(table), `${table} created again`);
  assert.deepEqual(await srv.query('SELECT version FROM cinto_schema_version ORDER BY version'), VERSIONS);
  assert.equal(count(log(), `applied migration ${gap}`), before + 1, log());
  // `cinto.fcgi migrate` does the same
  await srv.query(`DROP TABLE ${table}; DELETE FROM cinto_schema_version WHERE version = ${v}`);
  const m = await cli(srv, ['migrate']);
  assert.equal(m.code, 0, m.stderr);
  assert.ok((await tables(srv)).includes(table));
  assert.deepEqual(await srv.query('SELECT version FROM cinto_schema_version ORDER BY version'), VERSIONS);
});

// One request through the binary as a plain CGI program; resolves to { status, json, stderr }.
function cgiRequest(srv, method, pathInfo, body) {
  const input = body === undefined ? '' : JSON.stringify(body);
  const env = {
    PATH: process.env.PATH,
    ...srv.env, // KINTO_INI and the sanitizer options
    GATEWAY_INTERFACE: 'CGI/1.1',
    REQUEST_METHOD: method,
    SCRIPT_NAME: '/cinto.fcgi',
    PATH_INFO: pathInfo,
    QUERY_STRING: '',
    HTTP_HOST: 'example.test',
    HTTP_AUTHORIZATION: OWNER,
    CONTENT_TYPE: 'application/json',
    CONTENT_LENGTH: String(Buffer.byteLength(input)),
  };
  return new Promise((resolve, reject) => {
    const p = spawn(fcgiPath(), [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    let err = '';
    p.stdout.on('data', (d) => out.push(d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', () => {
      saveSanitizerReports(err, 'cgi-firstrun');
      const raw = Buffer.concat(out).toString('utf8');
      const sep = raw.indexOf('\r\n\r\n');
      const m = /^Status: (\d+)/m.exec(raw.slice(0, Math.max(sep, 0)));
      let json = null;
      try {
        json = JSON.parse(raw.slice(sep + 4));
      } catch {
        /* not JSON */
      }
      resolve({ status: m ? Number(m[1]) : 200, json, raw, stderr: err });
    });
    p.stdin.end(input);
  });
}

test('FIRST-19 plain CGI: concurrent first requests (one process each) on an empty database all succeed, one migration', async (t) => {
  const [srv, log] = await serve({ migrate: false, workers: 1 });
  const t0 = Date.now();
  const results = await Promise.all(Array.from({ length: 6 }, (_, i) => cgiRequest(srv, 'PUT', `/v1/buckets/cgi${i}`, {})));
  assert.deepEqual(results.map((r) => r.status), Array(6).fill(201), results.map((r) => r.raw + r.stderr).join('\n'));
  t.diagnostic(`6 concurrent CGI first requests: ${Date.now() - t0} ms`);
  assert.deepEqual(await tables(srv), TABLES);
  assert.equal(count(log(), 'applied migration schema.sql'), 1, log());
  const list = await must(req(srv, 'GET', '/buckets', { auth: OWNER }), 200);
  assert.equal(list.json.data.length, 6);
});
