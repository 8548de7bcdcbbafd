// Test harness for cinto's black-box HTTP tests (node's built-in test runner, Node >= 18).
//
// Each startServer() gets its own MariaDB database (and user) on a shared throwaway MariaDB,
// its own ini file, its own lighttpd on a free port spawning `workers` cinto.fcgi processes,
// and stops all of that by pid in stop().  Nothing here depends on npm packages.
//
// Environment (exported by `tools/cinto-dev test`; all optional when running a file by hand):
//   CINTO_TEST_FCGI          absolute path of cinto.fcgi (default: <repo>/build/cgi/cinto.fcgi)
//   CINTO_TEST_DB_SOCKET     socket of the shared MariaDB, root without password
//                            (default: the harness starts a private one for this process)
//   CINTO_TEST_TMP           scratch folder (default: the OS temp folder)
//   CINTO_TEST_SANITIZE_ENV  JSON object of extra environment for the workers (ASAN_OPTIONS...)
//   CINTO_TEST_KEEP=1        keep each server's folder (ini, lighttpd config, error log)
//   CINTO_TEST_LIGHTTPD      lighttpd binary (default: lighttpd from PATH or /usr/sbin)

import { spawn, execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '..', '..', '..');

// Every setting a test server gets unless the test overrides it (value null removes a key).
export const DEFAULT_SETTINGS = Object.freeze({
  'multiauth.policies': 'basicauth',
  'kinto.userid_hmac_secret': 'cinto-http-tests-fixed-hmac-secret',
  'kinto.bucket_create_principals': 'system.Authenticated',
});

// Unix socket paths are limited to 107 bytes; keep a margin for lighttpd's "-N" suffixes.
const MAX_SOCKET_PATH = 96;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function sanitizeEnv() {
  const raw = process.env.CINTO_TEST_SANITIZE_ENV;
  if (!raw) return {};
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw new Error(`CINTO_TEST_SANITIZE_ENV is not valid JSON: ${e.message}`);
  }
}

// GCC's combined ASan+UBSan runtime prints UBSan reports on stderr even when log_path is set,
// so the workers' stderr (the lighttpd error log) and migrate's stderr are scanned too, and
// what they report is saved as a file in the sanitizer log folder that tools/cinto-dev checks.
const SANITIZER_MARKERS = /runtime error:|ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer)|SUMMARY: (Address|UndefinedBehavior)Sanitizer/;

function sanitizerLogDir() {
  if (process.env.CINTO_TEST_SANITIZE_DIR) return process.env.CINTO_TEST_SANITIZE_DIR;
  const san = sanitizeEnv();
  for (const k of ['UBSAN_OPTIONS', 'ASAN_OPTIONS']) {
    const m = /(?:^|:)log_path=([^:]+)/.exec(san[k] || '');
    if (m) return path.dirname(m[1]);
  }
  return null;
}

// Saves text that carries sanitizer reports into the sanitizer log folder (if any).
export function saveSanitizerReports(text, label) {
  const dir = sanitizerLogDir();
  if (!dir || !text || !SANITIZER_MARKERS.test(text)) return false;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `stderr-${label}-${process.pid}-${Date.now()}.log`), text);
  return true;
}

// The process environment minus KINTO_* so a developer's shell settings cannot change results.
function cleanEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KINTO_')) env[k] = v;
  return env;
}

function scratchBase() {
  const base = process.env.CINTO_TEST_TMP || os.tmpdir();
  fs.mkdirSync(base, { recursive: true });
  return base;
}

// A fresh folder whose paths stay short enough for unix sockets.
function shortTempDir(prefix) {
  const base = scratchBase();
  const dir = fs.mkdtempSync(path.join(base, prefix));
  if (path.join(dir, 'mysqld.sock-00').length <= MAX_SOCKET_PATH) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  return fs.mkdtempSync(path.join('/tmp', prefix));
}

function randomName(prefix) {
  return prefix + crypto.randomBytes(6).toString('hex');
}

export function fcgiPath() {
  const candidates = [
    process.env.CINTO_TEST_FCGI,
    path.join(REPO_ROOT, 'build', 'cgi', 'cinto.fcgi'),
    path.join(REPO_ROOT, 'cgi', 'cinto.fcgi'),
  ].filter(Boolean);
  for (const c of candidates) if (fs.existsSync(c)) return path.resolve(c);
  throw new Error(
    `cinto.fcgi not found (tried ${candidates.join(', ')}); build it with ` +
      '`tools/cinto-dev test` or set CINTO_TEST_FCGI',
  );
}

function findBinary(name, envVar, extraDirs = ['/usr/sbin', '/usr/local/sbin', '/sbin']) {
  if (envVar && process.env[envVar]) return process.env[envVar];
  const dirs = (process.env.PATH || '').split(':').concat(extraDirs);
  for (const d of dirs) {
    const p = path.join(d || '.', name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* keep looking */
    }
  }
  throw new Error(`${name} not found in PATH (install it, e.g. \`tools/cinto-dev test\` as root)`);
}

function run(cmd, args, { env = process.env, input, timeout = 60000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { env, timeout, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) {
          err.message = `${cmd} ${args.join(' ')} failed (${err.code ?? err.signal}): ${stderr || stdout || err.message}`;
          err.stdout = stdout;
          err.stderr = stderr;
          reject(err);
        } else resolve({ stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin.end(input);
  });
}

function tail(file, lines = 40) {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// ---------------------------------------------------------------------------------------------
// Process bookkeeping: everything started is remembered by pid (with its start time, so a
// recycled pid is never signalled) and killed if the test process exits without stop().

const live = new Map(); // pid -> { starttime, cleanupDir }

function procStat(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0], ppid: Number(rest[1]), starttime: rest[19] };
  } catch {
    return null;
  }
}

function isAlive(pid, starttime) {
  const st = procStat(pid);
  if (!st || st.state === 'Z' || st.state === 'X') return false;
  return starttime === undefined || st.starttime === starttime;
}

function track(pid, extra = {}) {
  const st = procStat(pid);
  live.set(pid, { starttime: st ? st.starttime : undefined, ...extra });
}

function untrack(pid) {
  live.delete(pid);
}

function killTracked(pid, signal) {
  const info = live.get(pid);
  if (info && !isAlive(pid, info.starttime)) return;
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}

function childrenOf(ppid) {
  const out = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = procStat(Number(name));
    if (st && st.ppid === ppid && st.state !== 'Z') out.push({ pid: Number(name), starttime: st.starttime });
  }
  return out;
}

let exitHooked = false;
function hookExit() {
  if (exitHooked) return;
  exitHooked = true;
  const cleanup = () => {
    for (const [pid, info] of live) {
      if (isAlive(pid, info.starttime)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      if (info.cleanupDir && !process.env.CINTO_TEST_KEEP) {
        try {
          fs.rmSync(info.cleanupDir, { recursive: true, force: true });
        } catch {
          /* best effort */
        }
      }
    }
    live.clear();
  };
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      cleanup();
      process.exit(128 + os.constants.signals[sig]);
    });
  }
}

async function waitFor(pred, { timeout, interval = 100, what }) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await pred()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(interval);
  }
}

// ---------------------------------------------------------------------------------------------
// MariaDB: a throwaway server in a short temp folder, socket only, root without password.

export class MariaDb {
  // extraArgs: more mariadbd options (e.g. '--innodb-default-row-format=compact')
  constructor(dir, { extraArgs = [] } = {}) {
    this.extraArgs = extraArgs;
    this.dir = dir || shortTempDir('cdb-');
    this.datadir = path.join(this.dir, 'data');
    this.socket = path.join(this.dir, 'mysqld.sock');
    // A temp folder of its own: a MariaDB starting up deletes the #sql* files it finds in its
    // tmpdir, which with the default /tmp are the temporary tables of the other servers.
    this.tmpdir = path.join(this.dir, 'tmp');
    this.pidFile = path.join(this.dir, 'mysqld.pid');
    this.errorLog = path.join(this.dir, 'error.log');
    this.child = null;
    this.installed = fs.existsSync(path.join(this.datadir, 'mysql'));
  }

  async install() {
    fs.mkdirSync(this.datadir, { recursive: true });
    fs.mkdirSync(this.tmpdir, { recursive: true });
    await run(
      findBinary('mariadb-install-db'),
      [
        '--no-defaults',
        `--datadir=${this.datadir}`,
        `--tmpdir=${this.tmpdir}`,
        `--user=${os.userInfo().username}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        // its temporary tables in its own folder, not in /tmp shared with every other test
        `--tmpdir=${this.dir}`,
      ],
      { timeout: 120000 },
    );
    this.installed = true;
  }

  // Starts mariadbd and waits until it answers a ping.
  async start({ timeout = 60000 } = {}) {
    if (this.child && isAlive(this.child.pid)) return this;
    if (!this.installed) await this.install();
    hookExit();
    const args = [
      '--no-defaults',
      `--datadir=${this.datadir}`,
      `--tmpdir=${this.tmpdir}`,
      `--socket=${this.socket}`,
      `--pid-file=${this.pidFile}`,
      `--log-error=${this.errorLog}`,
      '--skip-networking',
      `--user=${os.userInfo().username}`,
      '--innodb-buffer-pool-size=32M',
      '--innodb-log-file-size=16M',
      '--innodb-flush-log-at-trx-commit=2',
      '--skip-log-bin',
      '--skip-name-resolve',
      // later arguments win: a test may shrink the server (e.g. to fit a small tmpfs)
      `--tmpdir=${this.dir}`,
      ...this.extraArgs,
    ];
    const child = spawn(findBinary('mariadbd'), args, { stdio: 'ignore' });
    child.unref();
    this.child = child;
    let exited = false;
    child.once('exit', () => {
      exited = true;
      untrack(child.pid);
    });
    track(child.pid, { cleanupDir: this.ownsDir ? this.dir : undefined });
    try {
      await waitFor(
        async () => {
          if (exited) throw new Error(`mariadbd exited at start-up:\n${tail(this.errorLog)}`);
          try {
            await this.admin(['ping']);
            return true;
          } catch {
            return false;
          }
        },
        { timeout, what: `mariadbd (${this.errorLog})` },
      );
    } catch (e) {
      killTracked(child.pid, 'SIGKILL');
      throw e;
    }
    return this;
  }

  admin(args) {
    return run(findBinary('mariadb-admin'), ['--no-defaults', `--socket=${this.socket}`, '-uroot', ...args], {
      timeout: 10000,
    });
  }

  // Stops the server; {kill: true} is an abrupt SIGKILL (crash), else a clean SIGTERM.
  async stop({ kill = false, timeout = 60000 } = {}) {
    const child = this.child;
    if (!child) return;
    const pid = child.pid;
    const done = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', resolve);
    });
    killTracked(pid, kill ? 'SIGKILL' : 'SIGTERM');
    const timer = setTimeout(() => killTracked(pid, 'SIGKILL'), timeout);
    await done;
    clearTimeout(timer);
    untrack(pid);
    this.child = null;
  }

  // Stops the server and deletes its folder.
  async destroy() {
    await this.stop({ kill: true });
    if (!process.env.CINTO_TEST_KEEP) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  // Runs SQL with the mariadb client as root; returns the rows as arrays of strings, as
  // `mariadb -B` prints them (NULL as "NULL"; tab, newline and backslash escaped).
  async query(sql, database) {
    const args = ['--no-defaults', `--socket=${this.socket}`, '-uroot', '-N', '-B', '-e', sql];
    if (database) args.push(database);
    const { stdout } = await run(findBinary('mariadb'), args, { timeout: 60000 });
    return stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.split('\t'));
  }
}

// Starts a private throwaway MariaDB (call .stop()/.start()/.destroy() on the result).
export async function startDatabase({ extraArgs = [] } = {}) {
  const db = new MariaDb(undefined, { extraArgs });
  db.ownsDir = true;
  await db.start();
  return db;
}

// The MariaDB that startServer() uses by default: tools/cinto-dev's, or one per test process.
let sharedDbPromise = null;
function sharedDb() {
  if (!sharedDbPromise) {
    const sock = process.env.CINTO_TEST_DB_SOCKET;
    if (sock) {
      const db = new MariaDb(path.dirname(sock));
      db.socket = sock;
      sharedDbPromise = Promise.resolve(db);
    } else {
      sharedDbPromise = startDatabase();
    }
  }
  return sharedDbPromise;
}

// Runs SQL with the mariadb CLI. target: a database name on the shared MariaDB, or a server
// returned by startServer() (its database, on its own MariaDB when privateDb was set).
export async function dbQuery(target, sql) {
  if (target && typeof target === 'object') return target.db.query(sql, target.dbName);
  return (await sharedDb()).query(sql, target || undefined);
}

// A fresh database with a user of its own that may do anything in it, as a hosting control
// panel makes them, on `db` (default: the shared MariaDB). Returns { db, dbName, dbUser,
// dbPassword, drop() }.
export async function createDatabase(db) {
  db = db || (await sharedDb());
  const dbName = randomName('t_');
  const dbUser = dbName;
  const dbPassword = crypto.randomBytes(12).toString('hex');
  await db.query(
    `CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;` +
      `CREATE USER '${dbUser}'@'localhost' IDENTIFIED BY '${dbPassword}';` +
      `GRANT ALL ON \`${dbName}\`.* TO '${dbUser}'@'localhost';`,
  );
  const drop = () =>
    db.query(`DROP DATABASE IF EXISTS \`${dbName}\`; DROP USER IF EXISTS '${dbUser}'@'localhost';`).catch(() => {});
  return { db, dbName, dbUser, dbPassword, drop };
}

// ---------------------------------------------------------------------------------------------
// ini and lighttpd configuration

function iniValue(v) {
  if (Array.isArray(v)) return v.join(' ');
  // continuation lines of a multi-line value must be indented
  return String(v).replace(/\n/g, '\n    ');
}

// Lays `over` on `base`; "kinto.x" and "x" name the same key (spec 08 §8.14), so a key given
// in either form replaces the other.
export function mergeSettings(base, over) {
  // An override replaces the base key in either spelling (kinto.x or x); keys of `over`
  // itself are all kept, so a test can write a deliberately conflicting ini.
  const out = { ...base };
  for (const k of Object.keys(over)) {
    const bare = k.replace(/^kinto\./, '');
    delete out[bare];
    delete out[`kinto.${bare}`];
  }
  return { ...out, ...over };
}

export function renderIni(settings) {
  const lines = ['# written by tests/http/lib/harness.js', '[app:main]'];
  for (const [k, v] of Object.entries(settings)) {
    if (v === null || v === undefined) continue;
    lines.push(`${k} = ${iniValue(v)}`);
  }
  return lines.join('\n') + '\n';
}

function lq(s) {
  return '"' + String(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

// The types of the files folder by extension, [[".ext", "type"], ...], read from the AddType
// lines of www/attachments/.htaccess (AddCharset adds "; charset=..."), so that lighttpd here,
// tools/cinto-dev's lighttpd and Apache serve every file with the same type.
export function attachmentTypes() {
  const text = fs.readFileSync(path.join(REPO_ROOT, 'www', 'attachments', '.htaccess'), 'utf8');
  const types = new Map();
  const charsets = new Map();
  for (const line of text.split('\n')) {
    const w = line.trim().split(/\s+/);
    if (w[0] === 'AddType') for (const ext of w.slice(2)) types.set(ext.toLowerCase(), w[1]);
    if (w[0] === 'AddCharset') for (const ext of w.slice(2)) charsets.set(ext.toLowerCase(), w[1]);
  }
  return [...types].map(([ext, type]) => [ext, charsets.has(ext) ? `${type}; charset=${charsets.get(ext)}` : type]);
}

// The lighttpd conditional that serves the files folder at /attachments/ (www/attachments of
// the document root) as the Apache .htaccess of that folder does: static files only (no
// FastCGI there), types by extension, a download unless a raster image or plain text, nosniff
// and a sandboxing CSP on every answer, no listing, dotfiles (upload temporaries) refused.
export function lighttpdAttachmentsBlock() {
  const headers = (disposition) =>
    `( "X-Content-Type-Options" => "nosniff", "Content-Security-Policy" => "sandbox; default-src 'none'", "Content-Disposition" => "${disposition}" )`;
  const types = attachmentTypes()
    .map(([ext, type]) => `    ${lq(ext)} => ${lq(type)},`)
    .join('\n');
  // (no listing, no index page: mod_dirlisting and mod_indexfile are not loaded)
  return `$HTTP["url"] =~ "^/attachments(/|$)" {
  mimetype.assign = (
${types}
    "" => "application/octet-stream",
  )
  setenv.set-response-header = ${headers('attachment')}
  $HTTP["url"] =~ "(?i)\\.(png|jpe?g|gif|webp|txt)$" {
    setenv.set-response-header = ${headers('inline')}
  }
  $HTTP["url"] =~ "/\\." {
    url.access-deny = ( "" )
  }
}`;
}

function renderLighttpd({ dir, port, fcgi, workers, env, errorLog, sockDir }) {
  const envLines = Object.entries(env)
    .map(([k, v]) => `        ${lq(k)} => ${lq(v)},`)
    .join('\n');
  return `# written by tests/http/lib/harness.js: /attachments/ is the files folder (www/attachments,
# static), every other URL goes to cinto.fcgi
server.document-root    = ${lq(path.join(dir, 'www'))}
server.bind             = "127.0.0.1"
server.port             = ${port}
server.errorlog         = ${lq(errorLog)}
server.upload-dirs      = ( ${lq(dir)} )
server.modules         += ( "mod_fastcgi", "mod_setenv", "mod_access" )
# KiB (100 MiB, as tools/cinto-dev serve, for attachment uploads): large enough that the
# application's own 413 (or the plugin's own limit) is what the tests see
server.max-request-size = 102400
server.max-read-idle    = 30
# %00 and invalid UTF-8 in the URL reach cinto, which answers them with its own JSON errors
server.http-parseopts   = ( "url-ctrls-reject" => "disable", "url-invalid-utf8-reject" => "disable" )
${lighttpdAttachmentsBlock()} else {
fastcgi.server = (
  "/" => ((
    "socket"              => ${lq(path.join(sockDir, 'fcgi.sock'))},
    "bin-path"            => ${lq(fcgi)},
    "max-procs"           => ${workers},
    "check-local"         => "disable",
    "fix-root-scriptname" => "enable",
    "bin-environment"     => (
${envLines}
    ),
  ))
)
}
`;
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// startServer

class Server {
  constructor(fields) {
    Object.assign(this, fields);
  }

  // The pids of the live cinto.fcgi workers of this server.
  workerPids() {
    if (!this.lighttpd) return [];
    return childrenOf(this.lighttpd.pid).map((c) => c.pid);
  }

  readErrorLog() {
    try {
      return fs.readFileSync(this.errorLog, 'utf8');
    } catch {
      return '';
    }
  }

  // Runs SQL on this server's database.
  query(sql) {
    return this.db.query(sql, this.dbName);
  }

  // Answers once GET /v1/ gets any HTTP answer.
  async waitReady(timeout = this.readyTimeout) {
    const child = this.lighttpd;
    await waitFor(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          const err = new Error(`lighttpd exited (${child.exitCode ?? child.signalCode}):\n${tail(this.errorLog)}`);
          err.lighttpdExited = true;
          throw err;
        }
        try {
          const r = await fetch(this.origin + '/v1/', { signal: AbortSignal.timeout(5000), redirect: 'manual' });
          await r.arrayBuffer();
          return true;
        } catch {
          return false;
        }
      },
      { timeout, what: `GET ${this.origin}/v1/; error log ${this.errorLog}:\n${tail(this.errorLog)}` },
    ).catch((e) => {
      if (!e.lighttpdExited) e.message += `\n--- tail of ${this.errorLog}:\n${tail(this.errorLog)}`;
      throw e;
    });
  }

  async _spawnLighttpd() {
    const child = spawn(findBinary('lighttpd', 'CINTO_TEST_LIGHTTPD'), ['-D', '-f', this.lighttpdConf], {
      // workers inherit lighttpd's stderr: send it to the error log too
      stdio: ['ignore', this._logFd, this._logFd],
      env: this._spawnEnv,
    });
    child.unref();
    track(child.pid);
    child.once('exit', () => untrack(child.pid));
    this.lighttpd = child;
    this.pid = child.pid;
  }

  // Kills the workers; lighttpd respawns them. Resolves when new workers answer.
  async restartWorkers({ signal = 'SIGTERM' } = {}) {
    const old = childrenOf(this.lighttpd.pid);
    for (const w of old) {
      if (isAlive(w.pid, w.starttime)) process.kill(w.pid, signal);
    }
    const oldPids = new Set(old.map((w) => `${w.pid}:${w.starttime}`));
    await waitFor(
      () => {
        const now = childrenOf(this.lighttpd.pid);
        return now.length >= this.workers && now.every((w) => !oldPids.has(`${w.pid}:${w.starttime}`));
      },
      { timeout: this.readyTimeout, what: 'lighttpd to respawn the workers' },
    );
    await this.waitReady();
  }

  // Stops lighttpd and its workers (by pid), drops the database, removes the folder.
  async stop() {
    if (this.stopped) return;
    this.stopped = true;
    const child = this.lighttpd;
    if (child) {
      const workers = childrenOf(child.pid);
      const done = new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once('exit', resolve);
      });
      killTracked(child.pid, 'SIGTERM');
      const timer = setTimeout(() => killTracked(child.pid, 'SIGKILL'), 10000);
      await done;
      clearTimeout(timer);
      untrack(child.pid);
      // lighttpd signals its workers on the way out; make sure none is left behind
      try {
        await waitFor(() => workers.every((w) => !isAlive(w.pid, w.starttime)), {
          timeout: 5000,
          what: 'workers to exit',
        });
      } catch {
        for (const w of workers) if (isAlive(w.pid, w.starttime)) process.kill(w.pid, 'SIGKILL');
      }
    }
    if (this._logFd !== undefined) fs.closeSync(this._logFd);
    saveSanitizerReports(this.readErrorLog(), `workers-${this.dbName}`);
    if (this.sharedDatabase) {
      // another site's database: its owner drops it
    } else if (this.privateDb) {
      await this.db.destroy();
    } else {
      await this.db
        .query(`DROP DATABASE IF EXISTS \`${this.dbName}\`; DROP USER IF EXISTS '${this.dbUser}'@'localhost';`)
        .catch(() => {});
    }
    if (!process.env.CINTO_TEST_KEEP) {
      fs.rmSync(this.dir, { recursive: true, force: true });
      if (this.sockDir !== this.dir) fs.rmSync(this.sockDir, { recursive: true, force: true });
    }
  }
}

/**
 * Starts lighttpd + cinto.fcgi workers on a fresh database.
 * opts.settings   ini keys laid over DEFAULT_SETTINGS (null removes a key)
 * opts.workers    number of FastCGI workers (default 2)
 * opts.env        extra environment for the workers and `migrate` (e.g. KINTO_* overrides)
 * opts.privateDb  true: a MariaDB of its own, controllable as srv.db.stop()/srv.db.start()
 * opts.mariadbArgs extra mariadbd options for that private MariaDB (implies privateDb)
 * opts.db         a MariaDb of the caller's (from startDatabase()), shared by several servers
 *                 of one test file; stop() drops only this server's database and user
 * opts.database   { dbName, dbUser, dbPassword } of an existing database on opts.db (another
 *                 site's, e.g. on another node of a cluster or on a replica): used as is, and
 *                 left in place by stop()
 * opts.migrate    false: skip `cinto.fcgi migrate`
 * opts.timeout    ms to wait for GET /v1/ (default 30 s, 90 s under sanitizers)
 */
export async function startServer(opts = {}) {
  const { settings = {}, workers = 2, env = {}, mariadbArgs, migrate = true } = opts;
  const privateDb = !opts.db && Boolean(opts.privateDb || mariadbArgs);
  hookExit();
  const fcgi = fcgiPath();
  const san = sanitizeEnv();
  const readyTimeout = opts.timeout ?? (Object.keys(san).length ? 90000 : 30000);

  const db = opts.db ?? (privateDb ? await startDatabase({ extraArgs: mariadbArgs }) : await sharedDb());
  const sharedDatabase = Boolean(opts.database);
  const { dbName, dbUser, dbPassword } = opts.database ?? (await createDatabase(db));
  const storageUrl = `mysql://${dbUser}:${dbPassword}@localhost/${dbName}?unix_socket=${db.socket}`;

  const dir = fs.mkdtempSync(path.join(scratchBase(), 'srv-'));
  const sockDir = path.join(dir, 'fcgi.sock-00').length <= MAX_SOCKET_PATH ? dir : shortTempDir('csk-');
  fs.mkdirSync(path.join(dir, 'www'));
  // the files folder of the attachments plugin, served by lighttpd at /attachments/ (its
  // base_url, which needs the port, is added below unless the test sets one)
  const attachmentsDir = path.join(dir, 'www', 'attachments');
  fs.mkdirSync(attachmentsDir);
  const merged = mergeSettings(
    { ...DEFAULT_SETTINGS, 'kinto.storage_url': storageUrl, 'kinto.attachment.base_path': attachmentsDir },
    settings,
  );
  const defaultBaseUrl = !('kinto.attachment.base_url' in merged) && !('attachment.base_url' in merged);
  const ini = path.join(dir, 'cinto.ini');
  fs.writeFileSync(ini, renderIni(merged));
  const errorLog = path.join(dir, 'error.log');
  const workerEnv = { KINTO_INI: ini, ...env, ...san };
  for (const [k, v] of Object.entries(workerEnv)) workerEnv[k] = String(v);

  const srv = new Server({
    dir,
    sockDir,
    ini,
    attachmentsDir,
    settings: merged,
    fcgi,
    workers,
    env: workerEnv,
    db,
    dbName,
    dbUser,
    dbPassword,
    storageUrl,
    privateDb,
    sharedDatabase,
    errorLog,
    readyTimeout,
    lighttpdConf: path.join(dir, 'lighttpd.conf'),
    _spawnEnv: cleanEnv(),
    stopped: false,
  });

  try {
    if (migrate) {
      try {
        const out = await run(fcgi, ['migrate'], { env: { ...cleanEnv(), ...workerEnv }, timeout: 120000 });
        saveSanitizerReports(out.stderr, `migrate-${dbName}`);
      } catch (e) {
        saveSanitizerReports(e.stderr, `migrate-${dbName}`);
        throw new Error(`\`cinto.fcgi migrate\` failed for ${ini}: ${e.message}`);
      }
    }
    srv._logFd = fs.openSync(errorLog, 'a');
    for (let attempt = 1; ; attempt++) {
      srv.port = await freePort();
      srv.origin = `http://127.0.0.1:${srv.port}`;
      srv.url = `${srv.origin}/v1`;
      if (defaultBaseUrl) {
        srv.settings = { ...merged, 'kinto.attachment.base_url': `${srv.origin}/attachments/` };
        fs.writeFileSync(ini, renderIni(srv.settings));
      }
      fs.writeFileSync(srv.lighttpdConf, renderLighttpd({ ...srv, env: workerEnv }));
      const logStart = fs.statSync(errorLog).size;
      await srv._spawnLighttpd();
      try {
        await srv.waitReady();
        break;
      } catch (e) {
        const log = fs.readFileSync(errorLog, 'utf8').slice(logStart);
        const bindFailure = /can't bind|Address already in use/i.test(log);
        if (!(e.lighttpdExited && bindFailure) || attempt >= 5) throw e;
      }
    }
  } catch (e) {
    await srv.stop().catch(() => {});
    throw e;
  }
  return srv;
}

// ---------------------------------------------------------------------------------------------
// Request helpers

// The value of an Authorization header for HTTP Basic auth.
export function basic(user, pass) {
  return 'Basic ' + Buffer.from(`${user}:${pass}`, 'utf8').toString('base64');
}

/**
 * One HTTP request with fetch. path: relative to srv.url ('/buckets/b'), or an absolute URL.
 * body: an object (sent as JSON with Content-Type application/json unless headers say
 * otherwise), or a string/Buffer sent as is. auth: a header value (basic(...)) or [user, pass].
 * Redirects are not followed. Returns { status, headers (a Headers), json (or null), text }.
 */
export async function req(srv, method, p, { body, headers = {}, auth, timeout = 30000 } = {}) {
  const url = /^https?:\/\//.test(p) ? p : srv.url + (p === '' || p.startsWith('/') || p.startsWith('?') ? p : '/' + p);
  const h = new Headers(headers);
  if (auth) h.set('Authorization', Array.isArray(auth) ? basic(auth[0], auth[1]) : auth);
  let payload;
  if (body !== undefined && body !== null) {
    if (typeof body === 'string' || body instanceof Uint8Array || body instanceof ArrayBuffer) {
      payload = body;
    } else {
      payload = JSON.stringify(body);
      if (!h.has('content-type')) h.set('Content-Type', 'application/json');
    }
  }
  const r = await fetch(url, { method, headers: h, body: payload, redirect: 'manual', signal: AbortSignal.timeout(timeout) });
  const text = await r.text();
  let json = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  return { status: r.status, headers: r.headers, json, text };
}

/**
 * Sends raw bytes over TCP (for input fetch refuses to send) and collects the answer.
 * data: string (latin1, so "\xff" is one byte) or Buffer. halfClose: end our write side after
 * sending (default false). Resolves at connection close, once a full response with
 * Content-Length arrived, or at the timeout (then timedOut = true).
 * Returns { status (number or null), headers (lower-cased names), body (string), json, raw,
 *           timedOut, closed }.
 */
export function rawRequest(srv, data, { timeout = 10000, halfClose = false } = {}) {
  return new Promise((resolve) => {
    const chunks = [];
    let done = false;
    const sock = net.connect(srv.port, '127.0.0.1');
    const finish = (how) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(parseRaw(Buffer.concat(chunks), how));
    };
    const timer = setTimeout(() => finish('timeout'), timeout);
    sock.on('connect', () => {
      sock.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
      if (halfClose) sock.end();
    });
    sock.on('data', (c) => {
      chunks.push(c);
      const parsed = parseRaw(Buffer.concat(chunks), 'data');
      if (parsed.complete) finish('complete');
    });
    sock.on('error', () => finish('error'));
    sock.on('close', () => finish('close'));
  });
}

function parseRaw(raw, how) {
  const res = { raw, status: null, headers: {}, body: '', json: null, timedOut: how === 'timeout', closed: how === 'close' || how === 'error', complete: false };
  const sep = raw.indexOf('\r\n\r\n');
  if (sep < 0) return res;
  const head = raw.subarray(0, sep).toString('latin1').split('\r\n');
  const m = /^HTTP\/\d\.\d (\d{3})/.exec(head[0]);
  if (m) res.status = Number(m[1]);
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) res.headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let bodyBuf = raw.subarray(sep + 4);
  const cl = res.headers['content-length'];
  if (/chunked/i.test(res.headers['transfer-encoding'] || '')) {
    const d = dechunk(bodyBuf);
    bodyBuf = d.body;
    res.complete = d.complete;
  } else if (cl !== undefined) {
    res.complete = bodyBuf.length >= Number(cl);
  } else if (res.status === 204 || res.status === 304) {
    res.complete = true;
  }
  res.body = bodyBuf.toString('utf8');
  try {
    res.json = JSON.parse(res.body);
  } catch {
    res.json = null;
  }
  return res;
}

// Decodes a chunked body as far as it has arrived.
function dechunk(buf) {
  const parts = [];
  let pos = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', pos);
    if (eol < 0) return { body: Buffer.concat(parts), complete: false };
    const size = parseInt(buf.subarray(pos, eol).toString('latin1'), 16);
    if (Number.isNaN(size)) return { body: Buffer.concat(parts), complete: false };
    if (size === 0) return { body: Buffer.concat(parts), complete: true };
    if (buf.length < eol + 2 + size) return { body: Buffer.concat(parts), complete: false };
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    pos = eol + 2 + size + 2;
  }
}
