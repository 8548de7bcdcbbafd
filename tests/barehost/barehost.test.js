// The bare-host deployment test (issue #6): a hosting customer uploads the bundle
// (build-static/bundle/: the fully static cinto.fcgi, .htaccess, the pages of www/,
// cinto.ini.example, SHA256SUMS) to a shared host that has Apache, mod_fcgid and suexec and none
// of cinto's libraries, and must get a working Kinto API.
//
// The hosts are minimal Debian roots (mkroot.sh: Debian 12 bookworm, glibc 2.36, and Debian 11
// bullseye, glibc 2.31), cached and used read-only. For each root and each way a host runs
// programs, a run folder gets what the hosting company and the customer would have written:
//   - an account `customer` (uid/gid 1000, home /var/www/customer) in /etc/passwd and /etc/group
//   - the upload in /var/www/customer/public_html/, owned by the customer with ordinary modes
//     (folders 0755, files 0644, the program 0755), cinto.ini beside the binary (0600 where the
//     program runs as the customer, 0644 where it runs as www-data)
//   - a virtual host on a free port of 127.0.0.1 with AllowOverride FileInfo Options Indexes
//     AuthConfig Limit and, on suexec hosts, SuexecUserGroup customer customer (Debian's pristine
//     suexec accepts only programs under /var/www, owned by the user, not writable by others)
// and a database with its own user on the test MariaDB (its socket is mounted into the root).
// chroot-apache.sh then runs `cinto.fcgi migrate` as the customer and Apache in the root, in a
// mount namespace of its own; Apache is stopped by its pid, and the namespace and its mounts go
// with it. Every mode runs the shared checks of ../http/lib/portable.js (objects, lists, auth,
// batch) plus the deployment checks below.
//
// Environment (on top of the harness's CINTO_TEST_DB_SOCKET, CINTO_TEST_TMP, CINTO_TEST_KEEP):
//   CINTO_BAREHOST_BUNDLE   the folder to upload (default <repo>/build-static/bundle)
//   CINTO_BAREHOST_SUITES   Debian suites to test (default "bookworm bullseye")
//   CINTO_ROOT_CACHE        where mkroot.sh keeps the roots (default /var/cache/cinto-roots)

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDatabase, renderIni, DEFAULT_SETTINGS, basic, req, sleep, REPO_ROOT } from '../http/lib/harness.js';
import { portableTests } from '../http/lib/portable.js';
import { procStat, alive, freePort, withLogs, tail, describeSite } from './lib.js';
import { placeFiles, checkServed } from '../http/lib/attachment-files.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BUNDLE = process.env.CINTO_BAREHOST_BUNDLE || path.join(REPO_ROOT, 'build-static', 'bundle');
const SUITES = (process.env.CINTO_BAREHOST_SUITES || 'bookworm bullseye').split(/[\s,]+/).filter(Boolean);
const CUSTOMER = { name: 'customer', uid: 1000, gid: 1000, home: '/var/www/customer' };
const WEBDIR = `${CUSTOMER.home}/public_html`;
const READY_MS = 30000;
// The libraries cinto.fcgi would need if it were not static: none may be in the root.
const CINTO_LIBS = /^lib(mariadb|mysqlclient|json-c|fcgi|sodium|cinto)[^/]*\.so/;

// Ways a host runs the program. suexec: SuexecUserGroup in the vhost, the program runs as the
// customer; fcgid false: no mod_fcgid, so the .htaccess falls back to plain CGI. Every mode has
// a CGI module (mod_cgid under the event MPM, mod_cgi under prefork, as on hosts that run
// mod_php), which the .htaccess also uses for attachment uploads beside mod_fcgid.
const MODES = [
  { name: 'mod_fcgid + suexec', fcgid: true, suexec: true },
  { name: 'mod_fcgid', fcgid: true, suexec: false },
  { name: 'plain CGI', fcgid: false, suexec: false },
  { name: 'suexec + CGI', fcgid: false, suexec: true },
  { name: 'plain CGI (prefork, mod_cgi)', fcgid: false, suexec: false, prefork: true },
];

function skipReason() {
  if (process.platform !== 'linux' || process.getuid() !== 0) return 'needs root on Linux (chroot, mounts)';
  for (const cmd of ['mmdebstrap', 'unshare', 'chroot']) {
    try {
      execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    } catch {
      return `${cmd} not installed (apt-get install mmdebstrap util-linux coreutils)`;
    }
  }
  if (!fs.existsSync(path.join(BUNDLE, 'cinto.fcgi'))) return `no bundle at ${BUNDLE} (tools/cinto-dev test builds it)`;
  return null;
}
const SKIP = skipReason();
if (SKIP) console.log(`# barehost tests skipped: ${SKIP}`);

// ---------------------------------------------------------------------------------------------
// Processes, by pid and start time (a recycled pid is never signalled)

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

function procInfo(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return {
      name: /^Name:\s+(\S+)/m.exec(status)?.[1],
      uid: Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]),
    };
  } catch {
    return {};
  }
}

const liveSites = new Set();
// The test process is going away without after() (a crash, a signal): take Apache and
// everything it started along; the mount namespace goes with the last of them.
process.on('exit', () => {
  for (const site of liveSites) {
    site.killAll();
    if (site.run && !process.env.CINTO_TEST_KEEP) fs.rmSync(site.run, { recursive: true, force: true });
  }
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => process.exit(128 + os.constants.signals[sig]));
}

// ---------------------------------------------------------------------------------------------
// The root

const roots = new Map(); // suite -> path
function rootOf(suite) {
  if (!roots.has(suite)) {
    const out = execFileSync(path.join(HERE, 'mkroot.sh'), [suite], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 30 * 60 * 1000,
    });
    roots.set(suite, out.trim().split('\n').at(-1));
  }
  return roots.get(suite);
}

// Files of the root whose names say they are one of cinto's libraries.
function cintoLibsIn(root) {
  const found = [];
  const walk = (dir) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (CINTO_LIBS.test(e.name)) found.push(p.slice(root.length));
    }
  };
  for (const d of ['lib', 'usr/lib', 'usr/local/lib', 'lib64']) walk(path.join(root, d));
  return found;
}

// ---------------------------------------------------------------------------------------------
// The site: what the hosting company and the customer write, then Apache

function aq(s) {
  return '"' + String(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

// The hosting company's configuration: one vhost for the customer.
function renderApacheConf({ port, mode }) {
  const mod = '/usr/lib/apache2/modules';
  return `# written by tests/barehost/barehost.test.js (${mode.name})
ServerRoot /etc/apache2
ServerName 127.0.0.1
Listen 127.0.0.1:${port}
PidFile /run/apache2/cinto-barehost.pid
DefaultRuntimeDir /run/apache2
Mutex file:/run/apache2 default
ErrorLog /var/log/apache2/error.log
LogLevel warn
User www-data
Group www-data

LoadModule ${mode.prefork ? `mpm_prefork_module ${mod}/mod_mpm_prefork.so` : `mpm_event_module ${mod}/mod_mpm_event.so`}
LoadModule authz_core_module ${mod}/mod_authz_core.so
LoadModule authz_host_module ${mod}/mod_authz_host.so
LoadModule authn_core_module ${mod}/mod_authn_core.so
LoadModule mime_module ${mod}/mod_mime.so
LoadModule dir_module ${mod}/mod_dir.so
LoadModule env_module ${mod}/mod_env.so
LoadModule setenvif_module ${mod}/mod_setenvif.so
LoadModule rewrite_module ${mod}/mod_rewrite.so
LoadModule headers_module ${mod}/mod_headers.so
${mode.fcgid ? `LoadModule fcgid_module ${mod}/mod_fcgid.so` : '# no mod_fcgid'}
# CGI, which hosts have beside mod_fcgid too (the .htaccess sends attachment uploads to it)
${mode.prefork ? `LoadModule cgi_module ${mod}/mod_cgi.so` : `LoadModule cgid_module ${mod}/mod_cgid.so`}
${mode.suexec ? `LoadModule suexec_module ${mod}/mod_suexec.so` : '# no suexec: programs run as www-data'}

<IfModule mpm_event_module>
  StartServers 1
  ServerLimit 4
  ThreadsPerChild 16
  MaxRequestWorkers 64
  MinSpareThreads 16
  MaxSpareThreads 48
</IfModule>
<IfModule mpm_prefork_module>
  StartServers 2
  MinSpareServers 1
  MaxSpareServers 8
  MaxRequestWorkers 32
</IfModule>
TypesConfig /etc/mime.types
LogFormat "%h %u %t \\"%r\\" %>s %b %D" timed
CustomLog /var/log/apache2/access.log timed
<IfModule mod_cgid.c>
  ScriptSock /run/apache2/cgisock
</IfModule>
<IfModule mod_fcgid.c>
  FcgidIPCDir /run/apache2/fcgid
  FcgidProcessTableFile /run/apache2/fcgid_shm
  FcgidMaxProcessesPerClass 4
  FcgidMinProcessesPerClass 0
  # marks the workers for tools/cinto-dev's clean-up (the Define on Apache's command line; suexec drops it)
  FcgidInitialEnv CINTO_RUN \${CINTO_RUN}
</IfModule>

<Directory />
  AllowOverride None
  Require all denied
</Directory>
<FilesMatch "^\\.ht">
  Require all denied
</FilesMatch>

<VirtualHost 127.0.0.1:${port}>
  ServerName 127.0.0.1
  DocumentRoot ${aq(WEBDIR)}
${mode.suexec ? `  SuexecUserGroup ${CUSTOMER.name} ${CUSTOMER.name}` : ''}
  <Directory ${aq(WEBDIR)}>
    AllowOverride FileInfo Options Indexes AuthConfig Limit
    Options SymLinksIfOwnerMatch
    Require all granted
  </Directory>
</VirtualHost>
`;
}

class Site {
  constructor(suite, mode) {
    this.suite = suite;
    this.mode = mode;
  }

  // mkdir -p of a folder of the upper layer, each new component with the owner and mode of the
  // same folder in the root (an upper folder's attributes hide the root's).
  mkdirLike(rel) {
    let cur = this.upper;
    let low = this.root;
    for (const part of rel.split('/').filter(Boolean)) {
      cur = path.join(cur, part);
      low = path.join(low, part);
      if (fs.existsSync(cur)) continue;
      fs.mkdirSync(cur);
      const st = fs.statSync(low, { throwIfNoEntry: false });
      if (st) {
        fs.chmodSync(cur, st.mode & 0o7777);
        fs.chownSync(cur, st.uid, st.gid);
      }
    }
    return cur;
  }

  // The customer's account: passwd and group lines, as the hosting panel adds them.
  addAccount() {
    this.mkdirLike('etc');
    const { name, uid, gid, home } = CUSTOMER;
    for (const [file, line] of [
      ['passwd', `${name}:x:${uid}:${gid}:Hosting customer:${home}:/bin/sh`],
      ['group', `${name}:x:${gid}:`],
    ]) {
      const low = fs.readFileSync(path.join(this.root, 'etc', file), 'utf8');
      const dst = path.join(this.upper, 'etc', file);
      fs.writeFileSync(dst, low.trimEnd() + '\n' + line + '\n', { mode: 0o644 });
      fs.chmodSync(dst, 0o644);
    }
  }

  // The upload: the bundle's files into public_html, owned by the customer, modes as uploaded.
  upload() {
    const own = (p) => fs.chownSync(p, CUSTOMER.uid, CUSTOMER.gid);
    const home = this.mkdirLike(CUSTOMER.home.slice(1));
    fs.chmodSync(home, 0o755);
    own(home);
    const web = path.join(this.upper, WEBDIR.slice(1));
    fs.mkdirSync(web, { mode: 0o755 });
    own(web);
    const copy = (src, dst) => {
      for (const e of fs.readdirSync(src, { withFileTypes: true })) {
        const s = path.join(src, e.name);
        const d = path.join(dst, e.name);
        if (e.isDirectory()) {
          fs.mkdirSync(d, { mode: 0o755 });
          copy(s, d);
        } else {
          fs.copyFileSync(s, d);
          fs.chmodSync(d, fs.statSync(s).mode & 0o777);
        }
        own(d);
      }
    };
    copy(BUNDLE, web);
    this.webdir = web;
    assert.ok(fs.existsSync(path.join(web, '.htaccess')), 'the bundle has no .htaccess');
    // the configuration the customer writes from cinto.ini.example
    const ini = path.join(web, 'cinto.ini');
    fs.writeFileSync(ini, renderIni(this.settings));
    fs.chmodSync(ini, this.mode.suexec ? 0o600 : 0o644);
    own(ini);
    fs.writeFileSync(path.join(web, 'hello.txt'), 'hello\n', { mode: 0o644 });
    own(path.join(web, 'hello.txt'));
    // files in the bundle's attachments/ folder, as the plugin writes them; where the program
    // runs as www-data, the folder is opened to it (README, "Attachments")
    placeFiles(path.join(web, 'attachments'), { uid: CUSTOMER.uid, gid: CUSTOMER.gid });
    if (!this.mode.suexec) fs.chmodSync(path.join(web, 'attachments'), 0o777);
  }

  async start() {
    this.root = rootOf(this.suite);
    this.database = await createDatabase();
    const { db, dbName, dbUser, dbPassword } = this.database;
    this.hmacSecret = 'barehost-' + dbName;
    this.settings = {
      ...DEFAULT_SETTINGS,
      'kinto.userid_hmac_secret': this.hmacSecret,
      // "localhost" without a socket: the default one, /run/mysqld/mysqld.sock, as on most hosts
      'kinto.storage_url': `mysql://${dbUser}:${dbPassword}@localhost/${dbName}`,
    };
    this.dbSocket = db.socket;
    const scratch = process.env.CINTO_TEST_TMP || os.tmpdir();
    fs.mkdirSync(scratch, { recursive: true });
    this.run = fs.mkdtempSync(path.join(scratch, `barehost-${this.suite}-`));
    liveSites.add(this);
    this.upper = path.join(this.run, 'upper');
    for (const d of ['upper', 'work', 'merged']) fs.mkdirSync(path.join(this.run, d));
    this.addAccount();
    this.upload();
    this.mkdirLike('run/mysqld');
    fs.writeFileSync(path.join(this.upper, 'run/mysqld/mysqld.sock'), ''); // mount point
    const runApache = this.mkdirLike('run/apache2');
    fs.chmodSync(runApache, 0o755);
    this.mkdirLike('var/log/apache2');
    this.mkdirLike('etc/apache2');
    this.errorLog = path.join(this.upper, 'var/log/apache2/error.log');
    this.accessLog = path.join(this.upper, 'var/log/apache2/access.log');
    this.suexecLog = path.join(this.upper, 'var/log/apache2/suexec.log');
    this.launchLog = path.join(this.run, 'launch.log');

    for (let attempt = 1; ; attempt++) {
      this.port = await freePort();
      this.origin = `http://127.0.0.1:${this.port}`;
      fs.writeFileSync(path.join(this.upper, 'etc/apache2/cinto-barehost.conf'), renderApacheConf(this));
      // the attachments plugin on, its files in the bundle's folder at this port's /attachments/
      fs.writeFileSync(
        path.join(this.webdir, 'cinto.ini'),
        renderIni({
          ...this.settings,
          'kinto.includes': 'kinto_attachment',
          'kinto.attachment.base_path': `${WEBDIR}/attachments`,
          'kinto.attachment.base_url': `${this.origin}/attachments/`,
        }),
      );
      try {
        await this.spawnApache();
        break;
      } catch (e) {
        const busy = /Address already in use|could not bind/i.test(tail(this.errorLog, 10) + tail(this.launchLog, 10));
        if (!busy || attempt >= 5) throw e;
        await this.stopApache();
        for (const d of ['work']) {
          fs.rmSync(path.join(this.run, d), { recursive: true, force: true });
          fs.mkdirSync(path.join(this.run, d));
        }
      }
    }
  }

  async spawnApache() {
    const out = fs.openSync(this.launchLog, 'a');
    // the Define puts the run folder on Apache's command line, where tools/cinto-dev's clean-up
    // finds leftovers of a test process killed outright
    const child = spawn(path.join(HERE, 'chroot-apache.sh'), [this.root, this.run, this.dbSocket, '-C', `Define CINTO_RUN ${this.run}`], {
      stdio: ['ignore', out, out],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' },
      // a process group of its own: the prefork MPM signals its whole group when it stops
      detached: true,
    });
    fs.closeSync(out);
    const st = procStat(child.pid);
    this.apache = { pid: child.pid, starttime: st?.starttime, child };
    const deadline = Date.now() + READY_MS;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`Apache in the ${this.suite} root exited at start-up (${child.exitCode ?? child.signalCode})${this.logs()}`);
      }
      try {
        const r = await fetch(`${this.origin}/hello.txt`, { signal: AbortSignal.timeout(2000) });
        await r.arrayBuffer();
        if (r.status === 200) return;
      } catch {
        /* not yet */
      }
      if (Date.now() > deadline) throw new Error(`Apache did not serve /hello.txt within ${READY_MS} ms${this.logs()}`);
      await sleep(100);
    }
  }

  // What the test needs to see when something fails: the logs of the run.
  logs() {
    let s = `\n--- Apache error log (tail):\n${tail(this.errorLog)}`;
    if (this.mode.suexec) s += `\n--- suexec log (tail):\n${tail(this.suexecLog, 10)}`;
    s += `\n--- chroot-apache.sh / migrate:\n${tail(this.launchLog, 15)}`;
    return s;
  }

  // The target of the shared checks.
  get target() {
    return { url: `${this.origin}/v1`, origin: this.origin, hmacSecret: this.hmacSecret };
  }

  // Live processes of this Apache running the uploaded program.
  programs() {
    if (!this.apache) return [];
    return descendants(this.apache.pid)
      .map((p) => ({ ...p, ...procInfo(p.pid) }))
      .filter((p) => p.name === 'cinto.fcgi');
  }

  killAll() {
    if (!this.apache) return;
    for (const p of [this.apache, ...descendants(this.apache.pid)]) {
      if (alive(p)) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
  }

  async stopApache() {
    if (!this.apache) return;
    const { child } = this.apache;
    const tree = descendants(this.apache.pid);
    const done = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', resolve);
    });
    if (alive(this.apache)) process.kill(this.apache.pid, 'SIGTERM');
    const timer = setTimeout(() => this.killAll(), 15000);
    await done;
    clearTimeout(timer);
    const deadline = Date.now() + 5000;
    while (tree.some(alive) && Date.now() < deadline) await sleep(100);
    this.leftovers = tree.filter(alive).length;
    for (const p of tree) if (alive(p)) process.kill(p.pid, 'SIGKILL');
    this.apache = null;
  }

  async stop() {
    await this.stopApache();
    liveSites.delete(this);
    if (this.database) await this.database.drop();
    if (this.run) {
      if (process.env.CINTO_TEST_KEEP) console.log(`# kept ${this.run}`);
      else fs.rmSync(this.run, { recursive: true, force: true });
    }
  }
}

// ---------------------------------------------------------------------------------------------

describe('barehost: the bundle', { skip: SKIP || false }, () => {
  it('cinto.fcgi is fully static (no interpreter, no shared library)', () => {
    const out = execFileSync('readelf', ['-lW', path.join(BUNDLE, 'cinto.fcgi')], { encoding: 'utf8' });
    assert.doesNotMatch(out, /\bINTERP\b|\bDYNAMIC\b/, out);
  });
  it('SHA256SUMS lists every other file of the bundle with its checksum', () => {
    const sums = fs.readFileSync(path.join(BUNDLE, 'SHA256SUMS'), 'utf8');
    const listed = new Map(sums.trim().split('\n').map((l) => [l.slice(66), l.slice(0, 64)]));
    const files = [];
    const walk = (d, rel) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(d, e.name), rel + e.name + '/');
        else if (rel + e.name !== 'SHA256SUMS') files.push(rel + e.name);
      }
    };
    walk(BUNDLE, '');
    assert.deepEqual([...listed.keys()].sort(), files.sort());
    const check = execFileSync('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: BUNDLE, encoding: 'utf8' });
    assert.equal(check, '');
  });
});

for (const suite of SUITES) {
  describe(`barehost ${suite}: the root`, { skip: SKIP || false }, () => {
    it('has Apache, mod_fcgid and suexec, and none of cinto\'s libraries', () => {
      const root = rootOf(suite);
      for (const f of ['usr/sbin/apache2', 'usr/lib/apache2/modules/mod_fcgid.so', 'usr/lib/apache2/modules/mod_suexec.so', 'usr/lib/apache2/suexec-pristine']) {
        assert.ok(fs.existsSync(path.join(root, f)), `${suite} root: no /${f}`);
      }
      assert.deepEqual(cintoLibsIn(root), []);
    });
  });

  for (const mode of MODES) {
    describeSite(`barehost ${suite}: ${mode.name}`, { skip: SKIP || false }, () => new Site(suite, mode), (test, site) => {
      test('GET /v1/ answers the server information at the public URL', async () => {
        const r = await req(site.target, 'GET', '/');
        assert.equal(r.status, 200, r.text);
        assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
        assert.equal(r.json.url, `${site.origin}/v1/`);
        const a = await req(site.target, 'GET', '/', { auth: basic('who', 'secret') });
        assert.match(a.json?.user?.id ?? '', /^basicauth:[0-9a-f]{64}$/, `the Authorization header does not reach the program: ${a.text}`);
      });

      test('the pages are served; cinto.ini and .htaccess are refused, the password never shows', async () => {
        const index = await fetch(`${site.origin}/`);
        assert.equal(index.status, 200);
        assert.match(await index.text(), /<h1>cinto<\/h1>/);
        const sums = await fetch(`${site.origin}/SHA256SUMS`);
        assert.equal(sums.status, 200);
        assert.match(await sums.text(), /^[0-9a-f]{64} {2}cinto\.fcgi$/m);
        for (const p of ['/cinto.ini', '/.htaccess', '/CINTO.INI']) {
          const r = await fetch(site.origin + p);
          const text = await r.text();
          assert.equal(r.status, 403, `${p}: ${r.status}`);
          assert.ok(!text.includes(site.database.dbPassword), `${p} shows the database password`);
        }
      });

      if (mode.fcgid) {
        test(`the program runs as persistent FastCGI workers, as ${mode.suexec ? 'the customer' : 'www-data'}`, async () => {
          await req(site.target, 'GET', '/');
          const progs = site.programs();
          assert.ok(progs.length >= 1 && progs.length <= 4, `workers: ${JSON.stringify(progs)}`);
          for (const p of progs) assert.equal(p.uid, mode.suexec ? CUSTOMER.uid : 33, `worker ${p.pid} uid ${p.uid}`);
        });
      } else {
        test('the program runs as plain CGI: no process left after the answer', async () => {
          await req(site.target, 'GET', '/');
          const deadline = Date.now() + 5000;
          while (site.programs().length && Date.now() < deadline) await sleep(50);
          assert.deepEqual(site.programs(), []);
        });
      }
      if (mode.suexec) {
        test('suexec ran the program as the customer', async () => {
          await req(site.target, 'GET', '/');
          assert.match(tail(site.suexecLog, 5), /uid: \(1000\/customer\) gid: \(1000\/customer\) cmd: cinto\.fcgi/);
        });
      }

      portableTests('all', () => site.target, { test });

      test("the bundle's attachments/ folder serves uploaded pages, SVGs and programs as files, with the download, nosniff and sandbox headers", async () => {
        await checkServed(`${site.origin}/attachments/`, `${suite} ${mode.name}`);
      });

      test('an upload body over mod_fcgid\'s 128 KiB reaches the program (run as plain CGI)', async () => {
        const r = await fetch(`${site.origin}/v1/buckets/b/collections/c/records/r/attachment`, {
          method: 'POST',
          body: Buffer.alloc(300 * 1024, 0x61),
          headers: { 'Content-Type': 'multipart/form-data; boundary=xyz' },
          signal: AbortSignal.timeout(60000),
        });
        const text = await r.text();
        assert.match(r.headers.get('content-type') ?? '', /^application\/json/, `${r.status} ${text.slice(0, 300)}`);
        assert.ok(r.status < 500, `${r.status} ${text.slice(0, 300)}`);
      });

      test(`an uploaded file (1 MiB, over FcgidMaxRequestLen) is written by the program${mode.suexec ? ' as the customer' : ''} and served back identical`, async () => {
        const auth = basic('uploader', 'secret');
        for (const p of ['/buckets/up', '/buckets/up/collections/docs']) {
          const r = await req(site.target, 'PUT', p, { auth, body: { data: {} } });
          assert.ok([200, 201].includes(r.status), `${p}: ${r.status} ${r.text}`);
        }
        const content = crypto.randomBytes(1024 * 1024);
        const form = new FormData();
        form.append('attachment', new Blob([content], { type: 'application/pdf' }), 'report.pdf');
        const up = await fetch(`${site.origin}/v1/buckets/up/collections/docs/records/r1/attachment`, {
          method: 'POST',
          body: form,
          headers: { Authorization: auth },
          signal: AbortSignal.timeout(120000),
        });
        const text = await up.text();
        assert.equal(up.status, 201, text.slice(0, 400));
        const { location } = JSON.parse(text);
        assert.ok(location.startsWith(`${site.origin}/attachments/`), location);
        const r = await fetch(location);
        assert.equal(r.status, 200);
        assert.ok(Buffer.from(await r.arrayBuffer()).equals(content), 'the file served differs from the upload');
        assert.equal(r.headers.get('content-disposition'), 'attachment');
        const st = fs.statSync(path.join(site.webdir, 'attachments', location.slice(`${site.origin}/attachments/`.length)));
        assert.equal(st.uid, mode.suexec ? CUSTOMER.uid : 33, 'owner of the stored file');
      });

      test('no error in the Apache log, no 5xx answer, no process left behind', async () => {
        const bad = fs
          .readFileSync(site.errorLog, 'utf8')
          .split('\n')
          // AH01630 for .htaccess is the server's own <FilesMatch "^\.ht"> refusing it (expected)
          .filter((l) => !/AH01630: client denied by server configuration: \S*\/\.ht/.test(l))
          // the attachments folder's refused listings (checkServed asks for them)
          .filter((l) => !/AH01276: Cannot serve directory \S*\/attachments\//.test(l))
          .filter((l) => /not allowed here|End of script output|Permission denied|error while loading shared|:error\]|:crit\]|:alert\]|:emerg\]/.test(l));
        assert.deepEqual(bad, []);
        const five = tail(site.accessLog, 100000)
          .split('\n')
          .filter((l) => /" 5\d\d /.test(l));
        assert.deepEqual(five, []);
        await site.stopApache();
        assert.equal(site.leftovers, 0, 'processes outlived Apache by 5 s');
      });
    });
  }
}
