// Deployment test: a user uploads cinto.fcgi and htaccess.sample (as .htaccess) into an Apache
// 2.4 document root. Three hosts are simulated (deploy notes §5):
//   mod_fcgid    AllowOverride All, mod_fcgid loaded
//   restricted   AllowOverride FileInfo Options Indexes Limit (no AuthConfig), mod_fcgid loaded
//   cgi          restricted and without mod_fcgid: the .htaccess falls back to plain CGI (mod_cgid)
//
// The harness (../http/lib/harness.js) provides the database: startServer() creates one with its
// user, ini and schema (its lighttpd just idles). Apache itself is started here from a config of
// our own (`apache2 -f <conf> -DFOREGROUND`, ServerRoot /etc/apache2, nothing from Debian's
// envvars), on a free port of 127.0.0.1, and stopped by pid together with everything it spawned.
//
// Started as root, Apache runs its children (and so cinto.fcgi) as www-data: the site folder is
// made world-traversable and the parents of it and of the MariaDB socket get o+x for the duration
// of the test (restored afterwards). The libtool wrapper of a build tree cannot run under Apache,
// so the real binary (<build>/cgi/.libs/cinto.fcgi) is copied into the docroot with
// libcinto.so.0 beside it, as the README tells users to upload them (the binary has RUNPATH
// $ORIGIN). A binary without that RUNPATH gets the library through LD_LIBRARY_PATH instead
// (FcgidInitialEnv for FastCGI, SetEnv for CGI).
//
// Environment, on top of the harness's (CINTO_TEST_FCGI, CINTO_TEST_DB_SOCKET, CINTO_TEST_TMP,
// CINTO_TEST_SANITIZE_ENV, CINTO_TEST_KEEP):
//   CINTO_TEST_APACHE          apache2 binary (default /usr/sbin/apache2)
//   CINTO_TEST_APACHE_MODULES  module folder (default /usr/lib/apache2/modules)

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startServer, fcgiPath, basic, saveSanitizerReports, sleep, REPO_ROOT } from '../http/lib/harness.js';
import { attachmentTests } from './attachments.js';

const APACHE = process.env.CINTO_TEST_APACHE || '/usr/sbin/apache2';
const MODDIR = process.env.CINTO_TEST_APACHE_MODULES || '/usr/lib/apache2/modules';
const SAN_ENV = process.env.CINTO_TEST_SANITIZE_ENV ? JSON.parse(process.env.CINTO_TEST_SANITIZE_ENV) : {};
const SANITIZED = Object.keys(SAN_ENV).length > 0;
const READY_MS = SANITIZED ? 90000 : 30000;
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
const AUTH = basic('alice', 'apache-secret');
// Printed into the decoy files of the docroot: must never appear in an answer.
const DECOY = 'DECOY-MUST-NOT-BE-SERVED';
// Backup copies of the ini beside the binary (each holds the password in real life).
const BACKUP_NAMES = ['cinto.ini~', 'cinto.ini.save', 'cinto.ini.orig', 'cinto.ini.old', 'cinto.ini.txt', 'CINTO.INI.TXT', 'Copy of cinto.ini', 'kinto.ini', 'notes~'];

const VARIANTS = [
  { name: 'mod_fcgid', defines: [], fcgid: true },
  { name: 'restricted', defines: ['RESTRICTED'], fcgid: true },
  { name: 'cgi (restricted, no mod_fcgid)', defines: ['RESTRICTED', 'NOFCGID'], fcgid: false },
];

// Why the tests cannot run here (null when they can).
function skipReason() {
  if (!fs.existsSync(APACHE)) return `${APACHE} not installed (apt-get install apache2 libapache2-mod-fcgid)`;
  for (const m of ['mod_fcgid.so', 'mod_cgid.so', 'mod_rewrite.so']) {
    if (!fs.existsSync(path.join(MODDIR, m))) return `${path.join(MODDIR, m)} missing`;
  }
  if (process.getuid() === 0) {
    try {
      execFileSync('id', ['-u', 'www-data'], { stdio: 'ignore' });
    } catch {
      return 'running as root but there is no www-data user for Apache\'s children';
    }
  }
  return null;
}
const SKIP = skipReason();
if (SKIP) console.log(`# apache tests skipped: ${SKIP}`);

// ---------------------------------------------------------------------------------------------
// The binary and its library, outside libtool's wrapper

function isElf(file) {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(4);
    fs.readSync(fd, b, 0, 4, 0);
    return b.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  } finally {
    fs.closeSync(fd);
  }
}

// { bin, libs: [files named libcinto.so*] } for the configured cinto.fcgi.
function locateBinary() {
  const given = fcgiPath();
  let bin = given;
  if (!isElf(given)) {
    bin = path.join(path.dirname(given), '.libs', path.basename(given));
    if (!fs.existsSync(bin)) throw new Error(`${given} is a wrapper script and ${bin} does not exist`);
  }
  // build tree: <build>/cgi/.libs/cinto.fcgi or <build>/cgi/cinto.fcgi -> <build>/lib/.libs
  const cgiDir = path.basename(path.dirname(bin)) === '.libs' ? path.dirname(path.dirname(bin)) : path.dirname(bin);
  const libDir = path.join(path.dirname(cgiDir), 'lib', '.libs');
  const libs = fs.existsSync(libDir)
    ? fs.readdirSync(libDir).filter((n) => /^libcinto\.so\.\d+$/.test(n)).map((n) => path.join(libDir, n))
    : [];
  return { bin, libs, origin: hasOriginRunpath(bin) };
}

// Whether the binary looks for its libraries beside itself (DT_RUNPATH/DT_RPATH "$ORIGIN").
function hasOriginRunpath(bin) {
  try {
    return /\((?:RUNPATH|RPATH)\).*\$ORIGIN/.test(execFileSync('readelf', ['-d', bin], { encoding: 'utf8' }));
  } catch {
    return fs.readFileSync(bin).includes('$ORIGIN');
  }
}

// ---------------------------------------------------------------------------------------------
// Permissions: www-data must reach the site and the MariaDB socket

const chmodded = new Map(); // dir -> original mode

function makeTraversable(dir) {
  if (process.getuid() !== 0) return; // Apache keeps our uid: nothing to open up
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const mode = fs.statSync(d).mode & 0o7777;
    if (!(mode & 0o001)) {
      if (!chmodded.has(d)) chmodded.set(d, mode);
      fs.chmodSync(d, mode | 0o001);
    }
    if (d === '/') break;
  }
}

function restorePermissions() {
  for (const [d, mode] of chmodded) {
    try {
      fs.chmodSync(d, mode);
    } catch {
      /* already removed */
    }
  }
  chmodded.clear();
}

// ---------------------------------------------------------------------------------------------
// Processes (by pid and start time, so a recycled pid is never signalled)

function procStat(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0], ppid: Number(rest[1]), starttime: rest[19] };
  } catch {
    return null;
  }
}

function alive(p) {
  const st = procStat(p.pid);
  return !!st && st.state !== 'Z' && st.state !== 'X' && st.starttime === p.starttime;
}

// Every live descendant of pid: Apache's children, mod_cgid's daemon, fcgid's process manager
// and the cinto.fcgi workers it spawned.
function descendants(pid) {
  const byParent = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = procStat(Number(name));
    if (!st || st.state === 'Z') continue;
    if (!byParent.has(st.ppid)) byParent.set(st.ppid, []);
    byParent.get(st.ppid).push({ pid: Number(name), starttime: st.starttime });
  }
  const out = [];
  const queue = [pid];
  while (queue.length) {
    for (const c of byParent.get(queue.shift()) || []) {
      out.push(c);
      queue.push(c.pid);
    }
  }
  return out;
}

function exeOf(pid) {
  try {
    return fs.readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return null;
  }
}

function uidOf(pid) {
  try {
    const m = /^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

const liveSites = new Set();
process.on('exit', () => {
  // the test process is going away without after(): take Apache and its workers along
  for (const site of liveSites) {
    site.killAll();
    if (site.base && !process.env.CINTO_TEST_KEEP) fs.rmSync(site.base, { recursive: true, force: true });
  }
  restorePermissions();
});

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function tail(file, lines = 30) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// ---------------------------------------------------------------------------------------------
// Site layout and Apache configuration

function aq(s) {
  // an Apache config argument in double quotes
  return '"' + String(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

// The user's .htaccess: htaccess.sample with the KINTO_INI line filled in.
function renderHtaccess(ini) {
  const sample = fs.readFileSync(path.join(REPO_ROOT, 'htaccess.sample'), 'utf8');
  const line = `SetEnv KINTO_INI ${ini}`;
  const out = sample.replace(/^#\s*SetEnv KINTO_INI .*$/m, line);
  assert.notEqual(out, sample, 'htaccess.sample has no "# SetEnv KINTO_INI" line to fill in');
  return out;
}

// The server side (what the hosting company controls), after deploy notes §5.
function renderConf({ base, port, runAs, env }) {
  const run = path.join(base, 'run');
  const docroot = path.join(base, 'htdocs');
  const envLines = Object.entries(env)
    .map(([k, v]) => `  FcgidInitialEnv ${k} ${aq(v)}`)
    .join('\n');
  const cgiEnvLines = Object.entries(env)
    .map(([k, v]) => `SetEnv ${k} ${aq(v)}`)
    .join('\n');
  return `# written by tests/apache/apache.test.js
ServerRoot "/etc/apache2"
ServerName 127.0.0.1
Listen 127.0.0.1:${port}
PidFile ${aq(path.join(run, 'httpd.pid'))}
DefaultRuntimeDir ${aq(run)}
Mutex file:${run} default
ErrorLog ${aq(path.join(run, 'error.log'))}
LogLevel warn
${runAs ? `User ${runAs}\nGroup ${runAs}` : '# not root: children keep our uid'}

LoadModule mpm_event_module ${MODDIR}/mod_mpm_event.so
LoadModule authz_core_module ${MODDIR}/mod_authz_core.so
LoadModule authz_host_module ${MODDIR}/mod_authz_host.so
LoadModule mime_module ${MODDIR}/mod_mime.so
LoadModule dir_module ${MODDIR}/mod_dir.so
LoadModule env_module ${MODDIR}/mod_env.so
LoadModule setenvif_module ${MODDIR}/mod_setenvif.so
LoadModule rewrite_module ${MODDIR}/mod_rewrite.so
LoadModule headers_module ${MODDIR}/mod_headers.so
LoadModule include_module ${MODDIR}/mod_include.so
<IfDefine !NOFCGID>
  LoadModule fcgid_module ${MODDIR}/mod_fcgid.so
</IfDefine>
LoadModule cgid_module ${MODDIR}/mod_cgid.so

StartServers 1
ServerLimit 2
ThreadsPerChild 16
MaxRequestWorkers 32
# spare threads within MaxRequestWorkers (the defaults ask for 75: a browser's parallel
# connections then make mpm_event log AH10159 as an error)
MinSpareThreads 8
MaxSpareThreads 32
TypesConfig /etc/mime.types
LogFormat "%h %u %t \\"%r\\" %>s %b %D" timed
CustomLog ${aq(path.join(run, 'access.log'))} timed
ScriptSock ${aq(path.join(run, 'cgid.sock'))}

<IfModule mod_fcgid.c>
  FcgidIPCDir ${aq(path.join(run, 'fcgid'))}
  FcgidProcessTableFile ${aq(path.join(run, 'fcgid_shm'))}
  FcgidMaxProcessesPerClass 4
  FcgidMinProcessesPerClass 0
  FcgidIOTimeout ${SANITIZED ? 120 : 40}
${envLines}
</IfModule>
# plain CGI gets the request environment (FastCGI ignores these: they become request params)
${cgiEnvLines}

DocumentRoot ${aq(docroot)}
<Directory />
  AllowOverride None
  Require all denied
</Directory>
<Directory ${aq(docroot)}>
  AllowOverride All
  Options FollowSymLinks ExecCGI Includes
  Require all granted
  # what hosts commonly run by extension (attachments.js checks that none of it runs in the
  # files folder, and that it does run elsewhere)
  AddHandler cgi-script .cgi .pl .py .sh
  AddType text/html .shtml
  AddOutputFilter INCLUDES .shtml
</Directory>
# as Debian's php-fpm configuration sends PHP to its FastCGI server (here: run as CGI)
<FilesMatch "\\.php$">
  SetHandler cgi-script
</FilesMatch>
<FilesMatch "^\\.ht">
  Require all denied
</FilesMatch>
<IfDefine RESTRICTED>
  <Directory ${aq(docroot)}>
    AllowOverride FileInfo Options Indexes Limit
  </Directory>
</IfDefine>
`;
}

// The sanitizer environment for the workers, with log files in a folder www-data can write
// (copied into the harness's sanitizer folder when the site stops).
function workerSanitizerEnv(sanDir) {
  const out = {};
  for (const [k, v] of Object.entries(SAN_ENV)) {
    out[k] = String(v).replace(/(^|:)log_path=([^:]+)/, (_, pre, p) => `${pre}log_path=${path.join(sanDir, path.basename(p))}`);
  }
  return out;
}

class Site {
  constructor(variant) {
    this.variant = variant;
    this.expected5xx = []; // [start, end) byte ranges of the access log
  }

  // Database (via the harness), site folder, config; then Apache.
  async start() {
    this.srv = await startServer({ workers: 1, timeout: READY_MS });
    const { bin, libs, origin } = locateBinary();
    const scratch = process.env.CINTO_TEST_TMP || os.tmpdir();
    fs.mkdirSync(scratch, { recursive: true });
    let base = fs.mkdtempSync(path.join(scratch, 'apache-'));
    if (path.join(base, 'run', 'fcgid', '00000.00000').length > 90) {
      // fcgid's unix sockets live under the run folder: keep the path short
      fs.rmSync(base, { recursive: true, force: true });
      base = fs.mkdtempSync(path.join('/tmp', 'capache-'));
    }
    this.base = base;
    liveSites.add(this); // from here on, a dying test process takes Apache and the folder along
    const docroot = path.join(base, 'htdocs');
    const libDir = path.join(base, 'lib');
    const run = path.join(base, 'run');
    const sanDir = path.join(base, 'san');
    for (const d of [docroot, libDir, run, path.join(docroot, '.git')]) fs.mkdirSync(d, { recursive: true });
    this.errorLog = path.join(run, 'error.log');
    this.accessLog = path.join(run, 'access.log');
    this.sanDir = sanDir;

    // what the user uploads
    this.bin = path.join(docroot, 'cinto.fcgi');
    fs.copyFileSync(bin, this.bin);
    fs.chmodSync(this.bin, 0o755);
    // the uploaded layout: libcinto.so.0 beside the binary (found through RUNPATH $ORIGIN)
    this.libBeside = origin;
    for (const l of libs) fs.copyFileSync(l, path.join(origin ? docroot : libDir, path.basename(l)));
    // the web pages, as the bundle ships them (index.html, the self-check script, the probe)
    fs.cpSync(path.join(REPO_ROOT, 'www'), docroot, { recursive: true });
    // the real configuration outside the docroot, readable by the web server's user
    this.ini = path.join(base, 'cinto.ini');
    fs.copyFileSync(this.srv.ini, this.ini);
    fs.writeFileSync(path.join(docroot, '.htaccess'), renderHtaccess(this.ini));
    // things that must not be served
    fs.writeFileSync(path.join(docroot, 'cinto.ini'), `# ${DECOY}\n[app:main]\n`);
    fs.writeFileSync(path.join(docroot, 'schema.sql'), `-- ${DECOY}\n`);
    fs.writeFileSync(path.join(docroot, 'README'), `${DECOY}\n`);
    fs.writeFileSync(path.join(docroot, '.git', 'config'), `# ${DECOY}\n`);
    fs.writeFileSync(path.join(docroot, 'hello.txt'), 'hello\n');
    // copies of the ini that editors and FTP clients leave behind (served with the password
    // before the sample refused them), and ordinary files of the same kinds that must be served
    for (const n of BACKUP_NAMES) fs.writeFileSync(path.join(docroot, n), `# ${DECOY}\n[app:main]\n`);
    fs.mkdirSync(path.join(docroot, 'sub'));
    fs.writeFileSync(path.join(docroot, 'sub', 'cinto.ini.bak'), `# ${DECOY}\n`);
    fs.writeFileSync(path.join(docroot, 'notes.txt'), 'notes\n');
    fs.writeFileSync(path.join(docroot, 'data.old'), 'old data\n');
    fs.writeFileSync(path.join(docroot, 'sub', 'readme.txt'), 'sub readme\n');
    // Kinto Admin, unpacked by the user into admin/
    fs.mkdirSync(path.join(docroot, 'admin', 'assets'), { recursive: true });
    fs.writeFileSync(path.join(docroot, 'admin', 'index.html'), '<!doctype html><title>admin</title>ADMIN-PAGE\n');
    fs.writeFileSync(path.join(docroot, 'admin', 'assets', 'app.js'), 'console.log("admin");\n');
    fs.writeFileSync(path.join(docroot, 'admin', 'LICENSE.txt'), 'license\n');
    for (const d of ['sub', 'admin', path.join('admin', 'assets')]) fs.chmodSync(path.join(docroot, d), 0o755);

    const env = {};
    if (libs.length && !origin) {
      console.log(`# ${bin} has no RUNPATH $ORIGIN: libcinto via LD_LIBRARY_PATH=${libDir}`);
      env.LD_LIBRARY_PATH = libDir;
    }
    if (SANITIZED) {
      fs.mkdirSync(sanDir, { mode: 0o1777 });
      fs.chmodSync(sanDir, 0o1777);
      Object.assign(env, workerSanitizerEnv(sanDir));
    }
    for (const d of [base, docroot, libDir, path.join(docroot, '.git')]) fs.chmodSync(d, 0o755);
    makeTraversable(base);
    makeTraversable(path.dirname(this.srv.db.socket));

    this.runAs = process.getuid() === 0 ? 'www-data' : null;
    this.conf = path.join(base, 'httpd.conf');
    for (let attempt = 1; ; attempt++) {
      this.port = await freePort();
      this.origin = `http://127.0.0.1:${this.port}`;
      fs.writeFileSync(this.conf, renderConf({ base, port: this.port, runAs: this.runAs, env }));
      try {
        await this.spawnApache();
        break;
      } catch (e) {
        const busy = /Address already in use|could not bind/i.test(tail(this.errorLog, 10) + (e.output || ''));
        if (!busy || attempt >= 5) throw e;
      }
    }
    return this;
  }

  defineArgs() {
    return this.variant.defines.flatMap((d) => ['-D', d]);
  }

  async spawnApache() {
    const args = ['-f', this.conf, ...this.defineArgs()];
    try {
      execFileSync(APACHE, [...args, '-t'], { stdio: 'pipe', encoding: 'utf8' });
    } catch (e) {
      throw new Error(`apache2 -t failed for ${this.conf}:\n${e.stderr || e.stdout}`);
    }
    const out = fs.openSync(path.join(this.base, 'run', 'stderr.log'), 'a');
    const env = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KINTO_') && k !== 'LD_LIBRARY_PATH') env[k] = v;
    const child = spawn(APACHE, [...args, '-DFOREGROUND'], { stdio: ['ignore', out, out], env });
    fs.closeSync(out);
    child.unref();
    const st = procStat(child.pid);
    this.apache = { pid: child.pid, starttime: st ? st.starttime : undefined, child };
    // static file first: Apache is up before the app is involved
    const deadline = Date.now() + READY_MS;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        const err = new Error(`apache2 exited at start-up (${child.exitCode ?? child.signalCode}):\n${tail(this.errorLog)}`);
        err.output = tail(path.join(this.base, 'run', 'stderr.log'));
        throw err;
      }
      try {
        const r = await fetch(`${this.origin}/hello.txt`, { signal: AbortSignal.timeout(2000) });
        await r.arrayBuffer();
        if (r.status === 200) return;
      } catch {
        /* not yet */
      }
      if (Date.now() > deadline) {
        this.killAll();
        throw new Error(`Apache did not serve /hello.txt within ${READY_MS} ms:\n${tail(this.errorLog)}`);
      }
      await sleep(100);
    }
  }

  // Live cinto.fcgi processes started by this Apache.
  workers() {
    if (!this.apache) return [];
    return descendants(this.apache.pid).filter((p) => exeOf(p.pid) === this.bin);
  }

  // Synchronous last resort (process exit): SIGKILL Apache and all it spawned.
  killAll() {
    if (!this.apache) return;
    const all = [this.apache, ...descendants(this.apache.pid)];
    for (const p of all) {
      if (alive(p)) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
  }

  async stop() {
    if (this.apache) {
      const { child } = this.apache;
      const tree = descendants(this.apache.pid);
      const done = new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once('exit', resolve);
      });
      if (alive(this.apache)) process.kill(this.apache.pid, 'SIGTERM');
      const timer = setTimeout(() => alive(this.apache) && process.kill(this.apache.pid, 'SIGKILL'), 15000);
      await done;
      clearTimeout(timer);
      // Apache stops its children, fcgid its workers; wait a little, then make sure
      const deadline = Date.now() + 5000;
      while (tree.some(alive) && Date.now() < deadline) await sleep(100);
      this.leftovers = tree.filter(alive).length;
      for (const p of tree) if (alive(p)) process.kill(p.pid, 'SIGKILL');
      this.apache = null;
    }
    if (this.base) {
      for (const f of fs.existsSync(this.sanDir) ? fs.readdirSync(this.sanDir) : []) {
        saveSanitizerReports(fs.readFileSync(path.join(this.sanDir, f), 'utf8'), `apache-${f}`);
      }
      try {
        saveSanitizerReports(fs.readFileSync(this.errorLog, 'utf8'), 'apache-error-log');
      } catch {
        /* no log */
      }
      if (process.env.CINTO_TEST_KEEP) console.log(`# kept ${this.base}`);
      else fs.rmSync(this.base, { recursive: true, force: true });
    }
    liveSites.delete(this);
    if (this.srv) await this.srv.stop();
  }

  async req(method, p, { auth, body, headers = {} } = {}) {
    const h = new Headers(headers);
    if (auth) h.set('Authorization', auth);
    let payload;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      h.set('Content-Type', 'application/json');
    }
    const r = await fetch(this.origin + p, {
      method,
      headers: h,
      body: payload,
      redirect: 'manual',
      signal: AbortSignal.timeout(READY_MS),
    });
    const text = await r.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: r.status, headers: r.headers, text, json };
  }
}

// The DOM of a page after its scripts ran, from headless Chromium (flags of the machine notes:
// no background networking, a fresh profile).
async function dumpDom(url) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'cchr-'));
  try {
    return await new Promise((resolve, reject) => {
      const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--virtual-time-budget=10000', '--dump-dom', url];
      const p = spawn(CHROMIUM, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.resume();
      const timer = setTimeout(() => p.kill('SIGKILL'), 60000);
      p.on('error', reject);
      p.on('close', () => {
        clearTimeout(timer);
        resolve(out);
      });
    });
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

for (const variant of VARIANTS) {
  describe(`apache: ${variant.name}`, { skip: SKIP || false }, () => {
    let site;
    before(async () => {
      site = new Site(variant);
      try {
        await site.start();
      } catch (e) {
        await site.stop().catch(() => {});
        throw e;
      }
    });
    after(async () => {
      if (site) await site.stop();
      if (liveSites.size === 0) restorePermissions();
    });

    const ctx = () => `\n--- ${site.errorLog}:\n${tail(site.errorLog, 15)}`;

    it('GET /v1/ answers 200 JSON whose url ends with /v1/', async () => {
      const r = await site.req('GET', '/v1/');
      assert.equal(r.status, 200, r.text + ctx());
      assert.match(r.headers.get('content-type') || '', /^application\/json/);
      assert.ok(r.json, r.text);
      assert.equal(r.json.url, `${site.origin}/v1/`);
      assert.equal(r.json.user, undefined, 'no Authorization header: no user');
    });

    it('the Authorization header reaches the app (user.id present)', async () => {
      const r = await site.req('GET', '/v1/', { auth: AUTH });
      assert.equal(r.status, 200, r.text + ctx());
      assert.ok(r.json.user, `no user in ${r.text}`);
      assert.match(r.json.user.id, /^basicauth:[0-9a-f]{64}$/);
    });

    it('PUT /v1/buckets/b, then GET it back', async () => {
      const put = await site.req('PUT', '/v1/buckets/b', { auth: AUTH, body: { data: { host: variant.name } } });
      assert.equal(put.status, 201, put.text + ctx());
      assert.equal(put.json.data.id, 'b');
      const who = (await site.req('GET', '/v1/', { auth: AUTH })).json.user.id;
      const get = await site.req('GET', '/v1/buckets/b', { auth: AUTH });
      assert.equal(get.status, 200, get.text + ctx());
      assert.equal(get.json.data.host, variant.name);
      assert.equal(get.json.data.last_modified, put.json.data.last_modified);
      assert.deepEqual(get.json.permissions.write, [who]);
      assert.equal(get.headers.get('etag'), `"${put.json.data.last_modified}"`);
      const anon = await site.req('GET', '/v1/buckets/b');
      assert.equal(anon.status, 401, anon.text);
    });

    it('the query string reaches the app', async () => {
      const ok = await site.req('GET', '/v1/buckets?_limit=1', { auth: AUTH });
      assert.equal(ok.status, 200, ok.text + ctx());
      assert.ok(Array.isArray(ok.json.data));
      const bad = await site.req('GET', '/v1/buckets?_limit=abc', { auth: AUTH });
      assert.equal(bad.status, 400, bad.text);
    });

    it('/v1 (no slash) redirects to /v1/; /cinto.fcgi/v1/ works directly', async () => {
      const r = await site.req('GET', '/v1');
      assert.equal(r.status, 307, r.text + ctx());
      assert.equal(r.headers.get('location'), `${site.origin}/v1/`);
      const d = await site.req('GET', '/cinto.fcgi/v1/');
      assert.equal(d.status, 200, d.text);
      assert.equal(d.json.url, `${site.origin}/v1/`);
    });

    it('an unversioned path (/buckets, /__heartbeat__) redirects to /v1/...', async () => {
      for (const p of ['/buckets', '/__heartbeat__', '/buckets/b?x=1']) {
        const r = await site.req('GET', p);
        assert.equal(r.status, 307, `${p}: ${r.status} ${r.text}`);
        assert.equal(r.headers.get('location'), `${site.origin}/v1${p}`, p);
      }
      // not an API version: the app's JSON 404, not Apache's
      const x = await site.req('GET', '/v1x');
      assert.equal(x.status, 404, x.text);
      assert.equal(x.json && x.json.errno, 111, x.text);
      // a file that exists is still served as is
      const h = await site.req('GET', '/hello.txt');
      assert.equal(h.status, 200);
      assert.equal(h.text, 'hello\n');
    });

    it('configuration, dotfiles, SQL and docs are refused (403)', async () => {
      for (const p of ['/cinto.ini', '/.htaccess', '/.git/config', '/.git/', '/schema.sql', '/README', '/CINTO.INI', '/nothing.ini', '/libcinto.so.0']) {
        const r = await site.req('GET', p);
        assert.equal(r.status, 403, `${p}: ${r.status} ${r.text.slice(0, 200)}`);
        assert.ok(!r.text.includes(DECOY), `${p} leaked its content`);
      }
    });

    it('backup copies of the ini and names ending in ~ are refused; other .txt/.old files are served', async () => {
      for (const n of [...BACKUP_NAMES, 'sub/cinto.ini.bak']) {
        const p = '/' + n.split('/').map(encodeURIComponent).join('/');
        const r = await site.req('GET', p);
        assert.equal(r.status, 403, `${p}: ${r.status} ${r.text.slice(0, 200)}`);
        assert.ok(!r.text.includes(DECOY), `${p} leaked its content`);
      }
      for (const [p, body] of [['/notes.txt', 'notes\n'], ['/data.old', 'old data\n'], ['/sub/readme.txt', 'sub readme\n']]) {
        const r = await site.req('GET', p);
        assert.equal(r.status, 200, `${p}: ${r.status} ${r.text.slice(0, 200)}` + ctx());
        assert.equal(r.text, body, p);
      }
    });

    it('admin/ is served as static files (Kinto Admin), never by cinto.fcgi', async () => {
      const idx = await site.req('GET', '/admin/');
      assert.equal(idx.status, 200, idx.text.slice(0, 200) + ctx());
      assert.match(idx.text, /ADMIN-PAGE/);
      const slash = await site.req('GET', '/admin');
      assert.equal(slash.status, 301, 'mod_dir adds the slash');
      assert.match(slash.headers.get('location') || '', /\/admin\/$/);
      const js = await site.req('GET', '/admin/assets/app.js');
      assert.equal(js.status, 200);
      assert.equal(js.text, 'console.log("admin");\n');
      assert.equal((await site.req('GET', '/admin/LICENSE.txt')).status, 200);
      const missing = await site.req('GET', '/admin/nothing.js');
      assert.equal(missing.status, 404);
      assert.equal(missing.json, null, 'an Apache 404, not the API');
    });

    it('the ASCII-mode probe of the self-check page is served byte for byte', async () => {
      const r = await fetch(`${site.origin}/probe.bin`, { signal: AbortSignal.timeout(READY_MS) });
      assert.equal(r.status, 200);
      const got = Buffer.from(await r.arrayBuffer());
      assert.ok(got.equals(fs.readFileSync(path.join(REPO_ROOT, 'www', 'probe.bin'))), 'probe.bin changed in transit');
    });

    it('the self-check page reports everything in order (headless Chromium, when installed)', { skip: CHROMIUM ? false : 'no /usr/bin/chromium' }, async () => {
      const dom = await dumpDom(`${site.origin}/`);
      assert.match(dom, /data-selfcheck="ok"/, dom.slice(0, 3000));
      assert.match(dom, /cinto [\d.]+ runs/);
      assert.match(dom, /Upload check passed/);
    });

    it('a missing ini: the 503 JSON reaches the browser through Apache, and the page explains it', async () => {
      // SetEnv KINTO_INI names the file: a request variable under FastCGI, the environment
      // under CGI (Apache's 503 from the app must pass unchanged, not become an error page)
      const away = `${site.ini}.away`;
      const logStart = fs.statSync(site.accessLog).size;
      fs.renameSync(site.ini, away);
      try {
        const r = await site.req('GET', '/v1/');
        assert.equal(r.status, 503, r.text + ctx());
        assert.equal(r.json && r.json.errno, 201, r.text);
        assert.equal(r.json.details.reason, 'config-not-found');
        const where = variant.fcgid ? /KINTO_INI \(SetEnv in \.htaccess/ : /KINTO_INI in the server's environment/;
        assert.match(r.json.message, where);
        assert.ok(!r.text.includes(site.base), 'no full path in the answer');
        if (CHROMIUM) {
          const dom = await dumpDom(`${site.origin}/`);
          assert.match(dom, /data-selfcheck="problem"/, dom.slice(0, 3000));
          assert.match(dom, /id="finding-config-not-found"/);
          assert.match(dom, /Configuration not found/);
        }
      } finally {
        fs.renameSync(away, site.ini);
        site.expected5xx.push([logStart, fs.statSync(site.accessLog).size]);
      }
      const ok = await site.req('GET', '/v1/');
      assert.equal(ok.status, 200, 'the same workers recover: ' + ok.text + ctx());
    });

    it('/ serves index.html', async () => {
      const r = await site.req('GET', '/');
      assert.equal(r.status, 200, r.text.slice(0, 200) + ctx());
      assert.match(r.headers.get('content-type') || '', /^text\/html/);
      assert.match(r.text, /<h1>cinto<\/h1>/);
    });

    it(variant.fcgid ? 'runs as a persistent FastCGI worker' : 'runs as plain CGI (no process left)', async () => {
      await site.req('GET', '/v1/');
      const workers = site.workers();
      if (variant.fcgid) {
        assert.ok(workers.length >= 1 && workers.length <= 4, `workers: ${JSON.stringify(workers)}`);
        if (site.runAs) {
          const uid = Number(execFileSync('id', ['-u', site.runAs], { encoding: 'utf8' }).trim());
          for (const w of workers) assert.equal(uidOf(w.pid), uid, `worker ${w.pid} does not run as ${site.runAs}`);
        }
      } else {
        // one process per request, gone once the answer is out
        const deadline = Date.now() + 5000;
        while (site.workers().length && Date.now() < deadline) await sleep(50);
        assert.deepEqual(site.workers(), []);
      }
    });

    it('no errors in the Apache error log, no 5xx in the access log', async () => {
      const log = fs.readFileSync(site.errorLog, 'utf8');
      const bad = log
        .split('\n')
        // AH01630 for .htaccess is the server's own <FilesMatch "^\.ht"> refusing it (expected)
        .filter((l) => !/AH01630: client denied by server configuration: \S*\/\.ht/.test(l))
        .filter((l) => /not allowed here|End of script output|Permission denied|error while loading shared|:error\]|:crit\]|:alert\]|:emerg\]/.test(l));
      assert.deepEqual(bad, []);
      // the 503s of the missing-ini test are expected: leave their part of the log out
      const raw = fs.readFileSync(site.accessLog);
      let kept = '';
      let pos = 0;
      for (const [a, b] of site.expected5xx) {
        kept += raw.subarray(pos, a).toString('utf8');
        pos = b;
      }
      kept += raw.subarray(pos).toString('utf8');
      const five = kept.split('\n').filter((l) => /" 5\d\d /.test(l));
      assert.deepEqual(five, []);
    });

    // after the log check: these provoke logged refusals on purpose
    attachmentTests(() => site, variant);
  });
}
