// Shared-hosting configuration (issue 6 items 4-5): where cinto.ini is found, a worker that
// re-reads it when it changes, and configuration errors that answer a clear 503 JSON (errno 201,
// details.reason, a message naming the problem and the fix), are written to the server's error
// log and to kinto.log_file, never stick, and never show a secret.
//
// Each test reads the response and the logs: the web server's error log (the workers' stderr,
// srv.readErrorLog()) and our own kinto.log_file (cinto.log beside the ini).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  startServer,
  req,
  basic,
  renderIni,
  mergeSettings,
  DEFAULT_SETTINGS,
  fcgiPath,
  saveSanitizerReports,
  sleep,
} from './lib/harness.js';

const RUN = (Date.now() % 1e9).toString(36) + Math.random().toString(36).slice(2, 6);
const OWNER = basic(`owner-${RUN}`, 'secret');
const HMAC = DEFAULT_SETTINGS['kinto.userid_hmac_secret'];
const FAKE_PASSWORD = 'Sup3r-Secret-pw-' + RUN;
const SANITIZED = Object.keys(JSON.parse(process.env.CINTO_TEST_SANITIZE_ENV || '{}')).length > 0;

let A; // the server whose ini the tests rewrite
let B; // a second database, for switching storage
let good; // A's settings

before(async () => {
  good = { 'kinto.log_file': 'cinto.log', 'kinto.project_name': 'hosting-a' };
  [A, B] = await Promise.all([startServer({ workers: 2, settings: good }), startServer({ workers: 1 })]);
  good = A.settings;
});
after(async () => {
  await Promise.all([A?.stop(), B?.stop()]);
});

// Replaces the ini in one step, as an atomic upload would (a half-written file is also handled,
// but would make the expected answer depend on timing).
function writeIni(srv, text) {
  const tmp = `${srv.ini}.tmp${process.pid}`;
  fs.writeFileSync(tmp, typeof text === 'string' ? text : renderIni(text));
  fs.renameSync(tmp, srv.ini);
}

const customerLog = (srv) => {
  try {
    return fs.readFileSync(path.join(srv.dir, 'cinto.log'), 'utf8');
  } catch {
    return '';
  }
};

// Nothing secret anywhere; and the HTTP answer names no account detail either.
function assertNoSecrets(srv, ...texts) {
  for (const t of texts) {
    for (const s of [srv.dbPassword, HMAC, FAKE_PASSWORD]) assert.ok(!t.includes(s), `a secret leaked: ${t.slice(0, 500)}`);
  }
}
function assertNoAccountDetails(srv, r) {
  for (const s of [srv.dbUser, srv.db.socket, srv.dir, os.userInfo().homedir + '/']) {
    assert.ok(!r.text.includes(s), `the answer shows ${s}: ${r.text}`);
  }
}

// Every worker answers the configuration error (a few requests reach both workers).
async function expectConfigError(srv, reason, message) {
  let last;
  for (let i = 0; i < 4; i++) {
    const r = await req(srv, 'GET', '/');
    assert.equal(r.status, 503, r.text);
    assert.match(r.headers.get('content-type') || '', /^application\/json/);
    assert.equal(r.json.code, 503);
    assert.equal(r.json.errno, 201);
    assert.equal(r.json.error, 'Service Unavailable');
    assert.equal(r.json.details?.reason, reason, r.text);
    assert.match(r.json.message, message);
    assert.ok(r.headers.get('retry-after'), 'Retry-After');
    assert.match(r.headers.get('cache-control') || '', /no-cache/);
    assertNoSecrets(srv, r.text);
    assertNoAccountDetails(srv, r);
    last = r;
  }
  return last;
}

async function expectHealthy(srv, projectName = 'hosting-a') {
  for (let i = 0; i < 4; i++) {
    const r = await req(srv, 'GET', '/');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.project_name, projectName);
  }
}

// Waits (bounded) until the text grows to contain pattern; returns the text.
async function waitForLog(read, pattern, what) {
  for (let i = 0; i < 100; i++) {
    const t = read();
    if (pattern.test(t)) return t;
    await sleep(50);
  }
  assert.fail(`${what} lacks ${pattern}:\n${read().slice(-2000)}`);
}

test('HOST-1 an ini syntax error answers 503 naming the line; once fixed the same workers answer (not sticky)', async () => {
  const pids = A.workerPids().sort();
  await expectHealthy(A);
  const errLogStart = A.readErrorLog().length;
  const logStart = customerLog(A).length;
  // a line without "=" that holds the HMAC secret: the error must name the line, not quote it
  const lines = renderIni(good).trimEnd().split('\n');
  lines.push(`kinto.userid_hmac_secret ${HMAC}`);
  writeIni(A, lines.join('\n') + '\n');
  const r = await expectConfigError(A, 'config-syntax', new RegExp(`line ${lines.length}: expected "key = value"`));
  assert.match(r.json.message, /configuration file \(the file named by KINTO_INI/);
  const errLog = await waitForLog(() => A.readErrorLog().slice(errLogStart), /syntax error/, 'error log');
  assert.ok(errLog.includes(`syntax error in the configuration file ${A.ini}: line ${lines.length}`), errLog);
  // the log file of the last good configuration still gets the error
  const ours = await waitForLog(() => customerLog(A).slice(logStart), /syntax error/, 'cinto.log');
  assertNoSecrets(A, errLog, ours);

  writeIni(A, good);
  await expectHealthy(A);
  assert.deepEqual(A.workerPids().sort(), pids, 'no worker was restarted');
  await waitForLog(() => customerLog(A).slice(logStart), /configuration reloaded from/, 'cinto.log');
});

test('HOST-2 a bad setting value answers 503 naming the key; secrets and the storage URL are never shown', async () => {
  const errLogStart = A.readErrorLog().length;
  const logStart = customerLog(A).length;
  writeIni(A, mergeSettings(good, { 'kinto.paginate_by': 'lots' }));
  await expectConfigError(A, 'config-value', /kinto\.paginate_by = "lots" is not a whole number/);
  writeIni(A, mergeSettings(good, { readonly: 'maybe' }));
  await expectConfigError(A, 'config-value', /kinto\.readonly = "maybe" is not true or false/);

  // a storage URL without a database name: the answer says what to write, the log says more,
  // neither shows the password (nor, in the answer, the user or host)
  const url = `mysql://hostuser${RUN}:${FAKE_PASSWORD}@db-${RUN}.example`;
  writeIni(A, mergeSettings(good, { 'kinto.storage_url': url }));
  const r = await expectConfigError(A, 'config-value', /kinto\.storage_url is incomplete.*mysql:\/\/USER:PASSWORD@HOST\/DATABASE/);
  assert.ok(!r.text.includes(`hostuser${RUN}`) && !r.text.includes(`db-${RUN}`), r.text);
  const errLog = await waitForLog(() => A.readErrorLog().slice(errLogStart), /storage_url/, 'error log');
  const ours = await waitForLog(() => customerLog(A).slice(logStart), /storage_url/, 'cinto.log');
  assertNoSecrets(A, errLog, ours);

  // a PostgreSQL URL from an upstream ini
  writeIni(A, mergeSettings(good, { 'kinto.storage_url': `postgresql://u:${FAKE_PASSWORD}@localhost/kinto` }));
  await expectConfigError(A, 'config-value', /not a MariaDB URL/);
  // no storage_url at all
  writeIni(A, mergeSettings(good, { 'kinto.storage_url': null }));
  await expectConfigError(A, 'config-value', /kinto\.storage_url is not set: add kinto\.storage_url = /);
  assertNoSecrets(A, A.readErrorLog(), customerLog(A));

  writeIni(A, good);
  await expectHealthy(A);
});

test('HOST-3 changed settings take effect at the next request; the storage connection is rebuilt', async () => {
  const pids = A.workerPids().sort();
  const bk = `hb${RUN}`;
  // a bucket that exists only in B's database
  const put = await req(B, 'PUT', `/buckets/${bk}`, { auth: OWNER, body: { data: { where: 'b' } } });
  assert.equal(put.status, 201, put.text);
  assert.notEqual((await req(A, 'GET', `/buckets/${bk}`, { auth: OWNER })).status, 200);

  writeIni(A, mergeSettings(good, { 'kinto.project_name': 'hosting-b', 'kinto.storage_url': B.storageUrl, readonly: 'true' }));
  await expectHealthy(A, 'hosting-b');
  for (let i = 0; i < 4; i++) {
    const g = await req(A, 'GET', `/buckets/${bk}`, { auth: OWNER });
    assert.equal(g.status, 200, g.text);
    assert.equal(g.json.data.where, 'b');
    assert.equal((await req(A, 'PUT', `/buckets/x${RUN}`, { auth: OWNER, body: {} })).status, 405, 'readonly');
  }
  writeIni(A, good);
  await expectHealthy(A);
  for (let i = 0; i < 4; i++) assert.notEqual((await req(A, 'GET', `/buckets/${bk}`, { auth: OWNER })).status, 200);
  assert.deepEqual(A.workerPids().sort(), pids, 'no worker was restarted');
});

test('HOST-4 missing ini: KINTO_INI names a file that is gone → 503 saying so; back → 200', async () => {
  const errLogStart = A.readErrorLog().length;
  const logStart = customerLog(A).length;
  const away = `${A.ini}.away`;
  fs.renameSync(A.ini, away);
  try {
    const r = await expectConfigError(A, 'config-not-found', /No configuration file found: the file named by KINTO_INI.*cinto\.ini does not exist/);
    assert.ok(!r.text.includes(A.ini), 'no full path in the answer');
    const errLog = await waitForLog(() => A.readErrorLog().slice(errLogStart), /does not exist/, 'error log');
    assert.ok(errLog.includes(`configuration file ${A.ini} (KINTO_INI) does not exist`), errLog);
    await waitForLog(() => customerLog(A).slice(logStart), /does not exist/, 'cinto.log');
  } finally {
    fs.renameSync(away, A.ini);
  }
  await expectHealthy(A);
});

test('HOST-5 kinto.log_file not writable → 503 naming the setting; creating the folder fixes it without touching the ini', async () => {
  const errLogStart = A.readErrorLog().length;
  const folder = path.join(A.dir, `logs${RUN}`);
  writeIni(A, mergeSettings(good, { 'kinto.log_file': `logs${RUN}/cinto.log` }));
  const r = await expectConfigError(A, 'log-file', /kinto\.log_file: cannot write to the log file cinto\.log \(No such file or directory\)\. Create its folder/);
  assert.ok(!r.text.includes(folder), r.text);
  const errLog = await waitForLog(() => A.readErrorLog().slice(errLogStart), /kinto\.log_file: cannot append/, 'error log');
  assert.ok(errLog.includes(path.join(folder, 'cinto.log')), 'the log has the full path');
  assertNoSecrets(A, errLog);

  fs.mkdirSync(folder);
  // retried at most once a second while the folder is missing: bounded wait for the fix
  let ok = null;
  for (let i = 0; i < 60 && !ok; i++) {
    const g = await req(A, 'GET', '/');
    if (g.status === 200) ok = g;
    else await sleep(100);
  }
  assert.ok(ok, 'the server recovered once the folder existed');
  await expectHealthy(A);
  await waitForLog(() => fs.existsSync(path.join(folder, 'cinto.log')) ? fs.readFileSync(path.join(folder, 'cinto.log'), 'utf8') : '', /configuration reloaded/, 'the new log file');
  writeIni(A, good);
  await expectHealthy(A);
});

// ---------------------------------------------------------------------------------------------
// The lookup order, with the binary uploaded into a folder of its own and run as plain CGI.

function isElf(file) {
  const b = Buffer.alloc(4);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, b, 0, 4, 0);
  } finally {
    fs.closeSync(fd);
  }
  return b.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
}

// <base>/site/cinto.fcgi (the real binary, with libcinto beside it when it has one); base is
// world-traversable so that another account can run it.
function uploadSite() {
  let bin = fcgiPath();
  if (!isElf(bin)) bin = path.join(path.dirname(bin), '.libs', path.basename(bin));
  const base = fs.mkdtempSync(path.join('/tmp', 'chost-'));
  const site = path.join(base, 'site');
  fs.mkdirSync(site);
  fs.copyFileSync(bin, path.join(site, 'cinto.fcgi'));
  const libDir = path.join(path.dirname(path.dirname(path.dirname(bin))), 'lib', '.libs');
  if (fs.existsSync(libDir)) {
    for (const n of fs.readdirSync(libDir)) if (/^libcinto\.so\.\d+$/.test(n)) fs.copyFileSync(path.join(libDir, n), path.join(site, n));
  }
  for (const p of [base, site]) fs.chmodSync(p, 0o755);
  for (const n of fs.readdirSync(site)) fs.chmodSync(path.join(site, n), 0o755);
  return { base, site, bin: path.join(site, 'cinto.fcgi') };
}

function cgi(bin, { env = {}, uid, gid } = {}) {
  const vars = {
    PATH: process.env.PATH,
    ...JSON.parse(process.env.CINTO_TEST_SANITIZE_ENV || '{}'),
    GATEWAY_INTERFACE: 'CGI/1.1',
    REQUEST_METHOD: 'GET',
    SCRIPT_NAME: '/cinto.fcgi',
    PATH_INFO: '/v1/',
    QUERY_STRING: '',
    HTTP_HOST: 'example.test',
    ...env,
  };
  return new Promise((resolve, reject) => {
    const p = spawn(bin, [], { env: vars, cwd: path.dirname(bin), stdio: ['ignore', 'pipe', 'pipe'], uid, gid });
    const out = [];
    let stderr = '';
    p.stdout.on('data', (d) => out.push(d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 20000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      saveSanitizerReports(stderr, 'hosting-cgi');
      const raw = Buffer.concat(out).toString('utf8');
      const sep = raw.indexOf('\r\n\r\n');
      if (sep < 0) return reject(new Error(`no CGI header block (exit ${code}): ${raw} ${stderr}`));
      let status = 200;
      const headers = new Map();
      for (const line of raw.slice(0, sep).split('\r\n')) {
        const i = line.indexOf(':');
        const name = line.slice(0, i).toLowerCase();
        if (name === 'status') status = parseInt(line.slice(i + 1), 10);
        else headers.set(name, line.slice(i + 1).trim());
      }
      const text = raw.slice(sep + 4);
      let json = null;
      try {
        json = JSON.parse(text);
      } catch {}
      resolve({ status, headers, text, json, stderr });
    });
  });
}

const iniFor = (name) => renderIni(mergeSettings(good, { 'kinto.project_name': name, 'kinto.log_file': null }));

test('HOST-6 lookup order: KINTO_INI, beside the binary, the folder above it (CGI; no SetEnv needed)', async () => {
  const { base, site, bin } = uploadSite();
  try {
    const home = os.userInfo().homedir;
    if (!fs.existsSync(path.join(home, 'cinto.ini'))) {
      const none = await cgi(bin);
      assert.equal(none.status, 503, none.text);
      assert.equal(none.json.details.reason, 'config-not-found');
      assert.equal(
        none.json.message,
        'No configuration file found: upload cinto.ini beside cinto.fcgi, or in the folder above it, or in your home folder (or name it with SetEnv KINTO_INI in .htaccess).',
      );
      assert.ok(none.stderr.includes(`no ${site}/cinto.ini`), none.stderr);
      assert.ok(none.stderr.includes(`home folder (${home})`), 'the home folder comes from /etc/passwd: ' + none.stderr);
    }
    fs.writeFileSync(path.join(base, 'cinto.ini'), iniFor('from-parent'));
    let r = await cgi(bin);
    assert.equal(r.status, 200, r.text + r.stderr);
    assert.equal(r.json.project_name, 'from-parent');

    fs.writeFileSync(path.join(site, 'cinto.ini'), iniFor('from-beside'));
    r = await cgi(bin);
    assert.equal(r.json.project_name, 'from-beside', 'beside the binary wins over the folder above');

    const other = path.join(base, 'other.ini');
    fs.writeFileSync(other, iniFor('from-kinto-ini'));
    r = await cgi(bin, { env: { KINTO_INI: other } });
    assert.equal(r.json.project_name, 'from-kinto-ini', 'KINTO_INI wins');
    // an empty KINTO_INI counts as unset
    r = await cgi(bin, { env: { KINTO_INI: '' } });
    assert.equal(r.json.project_name, 'from-beside');
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

function nobody() {
  try {
    return {
      uid: Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim()),
      gid: Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).trim()),
    };
  } catch {
    return null;
  }
}

// Root reads any file: as root the binary runs as nobody, as another user as that user.
const UNREADABLE_SKIP = SANITIZED
  ? 'sanitizer logs are not writable by another account'
  : process.getuid() === 0 && !nobody()
    ? 'no nobody account'
    : false;

test('HOST-7 an unreadable ini answers 503 saying how to fix the permissions', { skip: UNREADABLE_SKIP }, async () => {
  const { base, bin } = uploadSite();
  try {
    const ini = path.join(base, 'cinto.ini');
    fs.writeFileSync(ini, iniFor('unreadable'));
    fs.chmodSync(ini, 0o000);
    const who = process.getuid() === 0 ? nobody() : {};
    const r = await cgi(bin, who);
    assert.equal(r.status, 503, r.text + r.stderr);
    assert.equal(r.json.errno, 201);
    assert.equal(r.json.details.reason, 'config-unreadable');
    assert.match(r.json.message, /cannot be read \(cinto\.ini in the folder above cinto\.fcgi: Permission denied\)\. Make it readable/);
    assert.ok(!r.text.includes(base), r.text);
    assert.ok(r.stderr.includes(`cannot read the configuration file ${ini}: Permission denied`), r.stderr);
    // fixed by a chmod alone (the database may still be out of this account's reach: only
    // the configuration error must be gone)
    fs.chmodSync(ini, 0o644);
    const ok = await cgi(bin, who);
    assert.ok(ok.status === 200 || !/^config|^log-file/.test(ok.json?.details?.reason ?? ''), ok.text + ok.stderr);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});
