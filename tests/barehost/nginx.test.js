// The README's nginx + spawn-fcgi recipe, set up as written: the spawn-fcgi command and the
// `location` block are read from the README itself (section "Deployment", the indented lines
// after "nginx with spawn-fcgi"), so the test follows the text and fails where the text is
// wrong. Only the places are this test's own: /srv/cinto and /run/cinto become folders of a run
// folder, nginx listens on a free port of 127.0.0.1 with its pid, logs and temporary files in
// the run folder. nginx and spawn-fcgi are Debian's (apt-get install nginx spawn-fcgi); the
// program is the bundle's static cinto.fcgi, the database one of the test MariaDB. Started as
// root, as the recipe wants: the workers and nginx's worker run as www-data, so the run folder,
// and the folders above it and above the MariaDB socket, are opened to others (o+x) for the
// duration of the test. nginx and the spawn-fcgi workers are stopped by their pids.
//
// Runs the shared checks of ../http/lib/portable.js through it.

import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDatabase, renderIni, DEFAULT_SETTINGS, basic, req, sleep, REPO_ROOT } from '../http/lib/harness.js';
import { portableTests } from '../http/lib/portable.js';
import { alive, track, freePort, tail, describeSite } from './lib.js';
import { placeFiles, checkServed } from '../http/lib/attachment-files.js';

const BUNDLE = process.env.CINTO_BAREHOST_BUNDLE || path.join(REPO_ROOT, 'build-static', 'bundle');
const NGINX = '/usr/sbin/nginx';
const SPAWN_FCGI = '/usr/bin/spawn-fcgi';
const READY_MS = 30000;

function skipReason() {
  if (process.platform !== 'linux' || process.getuid() !== 0) return 'needs root (the recipe drops to www-data)';
  if (!fs.existsSync(NGINX) || !fs.existsSync(SPAWN_FCGI)) return 'nginx or spawn-fcgi not installed (apt-get install nginx spawn-fcgi)';
  if (!fs.existsSync(path.join(BUNDLE, 'cinto.fcgi'))) return `no bundle at ${BUNDLE} (tools/cinto-dev test builds it)`;
  return null;
}
const SKIP = skipReason();
if (SKIP) console.log(`# nginx recipe tests skipped: ${SKIP}`);

// The recipe: { spawn: the spawn-fcgi command line, location: the nginx block }, from the README.
export function readRecipe(readme = fs.readFileSync(path.join(REPO_ROOT, 'README'), 'utf8')) {
  const lines = readme.split('\n');
  const start = lines.findIndex((l) => /^nginx with spawn-fcgi.*:$/.test(l));
  assert.ok(start >= 0, 'README: no "nginx with spawn-fcgi" paragraph');
  // the indented block(s) that follow, up to the next unindented text
  const block = [];
  for (let i = start + 1; i < lines.length; i++) {
    if (lines[i] === '' || /^ {4}/.test(lines[i])) block.push(lines[i]);
    else if (block.some((l) => l.trim())) break;
  }
  const code = block.map((l) => l.replace(/^ {4}/, '')).join('\n').trim();
  const at = code.indexOf('location ');
  assert.ok(at > 0, `README: no location block after the spawn-fcgi command:\n${code}`);
  const spawnCmd = code.slice(0, at).trim().replace(/\\\n\s*/g, '');
  const location = code.slice(at).trim();
  assert.match(spawnCmd, /spawn-fcgi /, 'README: the recipe has no spawn-fcgi command');
  assert.match(location, /^location [^\n]*\{[\s\S]*\}$/, 'README: the location block is not closed');
  return { spawn: spawnCmd, location };
}

// ---------------------------------------------------------------------------------------------

// o+x on a folder and its parents, restored by restoreModes()
const opened = new Map();
function openPath(dir) {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const mode = fs.statSync(d).mode & 0o7777;
    if (!(mode & 0o001)) {
      if (!opened.has(d)) opened.set(d, mode);
      fs.chmodSync(d, mode | 0o001);
    }
    if (d === '/') break;
  }
}
function restoreModes() {
  for (const [d, mode] of opened) {
    try {
      fs.chmodSync(d, mode);
    } catch {
      /* removed */
    }
  }
  opened.clear();
}

class Recipe {
  async start() {
    this.recipe = readRecipe();
    this.database = await createDatabase();
    const { db, dbName, dbUser, dbPassword } = this.database;
    this.hmacSecret = 'nginx-' + dbName;
    const scratch = process.env.CINTO_TEST_TMP || os.tmpdir();
    fs.mkdirSync(scratch, { recursive: true });
    let dir = fs.mkdtempSync(path.join(scratch, 'nginx-'));
    if (path.join(dir, 'run/cinto/cinto.sock-99').length > 100) {
      fs.rmSync(dir, { recursive: true, force: true });
      dir = fs.mkdtempSync('/tmp/cnginx-');
    }
    this.dir = dir;
    process.on('exit', () => {
      this.killAll();
      restoreModes();
      if (!process.env.CINTO_TEST_KEEP) fs.rmSync(dir, { recursive: true, force: true });
    });
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.once(sig, () => process.exit(128 + os.constants.signals[sig]));
    const srv = path.join(dir, 'srv/cinto');
    const run = path.join(dir, 'run/cinto');
    const conf = path.join(dir, 'conf');
    // run/cinto is left to the recipe: /run/cinto does not exist on a fresh host either
    for (const d of [srv, path.join(dir, 'run'), conf, path.join(dir, 'www'), path.join(dir, 'tmp')]) fs.mkdirSync(d, { recursive: true });
    for (const d of [dir, path.join(dir, 'srv'), srv, path.join(dir, 'run'), path.join(dir, 'www')]) fs.chmodSync(d, 0o755);
    execFileSync('chown', ['www-data:www-data', path.join(dir, 'tmp')]);
    openPath(dir);
    openPath(path.dirname(db.socket));

    // the upload: the program, and the ini readable by the workers' group
    fs.copyFileSync(path.join(BUNDLE, 'cinto.fcgi'), path.join(srv, 'cinto.fcgi'));
    fs.chmodSync(path.join(srv, 'cinto.fcgi'), 0o755);
    this.ini = path.join(srv, 'cinto.ini');
    fs.writeFileSync(
      this.ini,
      renderIni({
        ...DEFAULT_SETTINGS,
        'kinto.userid_hmac_secret': this.hmacSecret,
        'kinto.storage_url': `mysql://${dbUser}:${dbPassword}@localhost/${dbName}?unix_socket=${db.socket}`,
      }),
    );
    fs.chmodSync(this.ini, 0o640);
    // the files folder of the recipe's /attachments/ location (root /srv/cinto)
    this.attachments = path.join(srv, 'attachments');
    execFileSync('chown', ['root:www-data', this.ini]);
    fs.writeFileSync(path.join(dir, 'www', 'hello.txt'), 'hello\n');
    const here = (s) => s.replaceAll('/srv/cinto', srv).replaceAll('/run/cinto', run);

    // the README: "cinto.fcgi migrate creates or upgrades the database tables"
    execFileSync(path.join(srv, 'cinto.fcgi'), ['migrate'], { env: { PATH: process.env.PATH, KINTO_INI: this.ini }, stdio: 'pipe' });

    // the recipe's shell lines; spawn-fcgi forks the workers and exits, their pids are in its output
    this.spawnCmd = here(this.recipe.spawn);
    let out;
    try {
      out = execFileSync('sh', ['-ec', `{\n${this.spawnCmd}\n} 2>&1`], { encoding: 'utf8', env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      throw new Error(`the README's commands failed (${e.status}):\n${this.spawnCmd}\n${e.stdout}${e.stderr}`);
    }
    this.workers = [...out.matchAll(/PID: (\d+)/g)].map((m) => track(Number(m[1])));
    assert.ok(this.workers.length > 0, `no worker pid in spawn-fcgi's output: ${out}`);

    // nginx: the README's location block in a server of our own
    fs.symlinkSync('/etc/nginx/fastcgi_params', path.join(conf, 'fastcgi_params'));
    this.errorLog = path.join(dir, 'nginx-error.log');
    this.accessLog = path.join(dir, 'nginx-access.log');
    this.port = await freePort();
    this.origin = `http://127.0.0.1:${this.port}`;
    const tmp = path.join(dir, 'tmp');
    const indent = (s) => s.split('\n').map((l) => '    ' + l).join('\n');
    this.conf = path.join(conf, 'nginx.conf');
    fs.writeFileSync(
      this.conf,
      `# written by tests/barehost/nginx.test.js around the README's location block
daemon off;
master_process on;
worker_processes 1;
user www-data;
pid ${dir}/nginx.pid;
error_log ${this.errorLog} warn;
events { worker_connections 64; }
http {
  include /etc/nginx/mime.types;
  access_log ${this.accessLog};
  client_body_temp_path ${tmp}/body;
  fastcgi_temp_path ${tmp}/fastcgi;
  proxy_temp_path ${tmp}/proxy;
  uwsgi_temp_path ${tmp}/uwsgi;
  scgi_temp_path ${tmp}/scgi;
  server {
    listen 127.0.0.1:${this.port};
    root ${dir}/www;
${indent(here(this.recipe.location))}
  }
}
`,
    );
    const child = spawn(NGINX, ['-p', dir + '/', '-e', this.errorLog, '-c', this.conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    this.nginx = { ...track(child.pid), child };
    const deadline = Date.now() + READY_MS;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${stderr}${this.logs()}`);
      try {
        const r = await fetch(`${this.origin}/hello.txt`, { signal: AbortSignal.timeout(2000) });
        await r.arrayBuffer();
        if (r.status === 200) break;
      } catch {
        /* not yet */
      }
      if (Date.now() > deadline) throw new Error(`nginx did not answer within ${READY_MS} ms${this.logs()}`);
      await sleep(100);
    }
  }

  logs() {
    return `\n--- spawn-fcgi: ${this.spawnCmd}\n--- nginx error log (tail):\n${tail(this.errorLog)}\n--- nginx.conf: ${this.conf}`;
  }

  get target() {
    return { url: `${this.origin}/v1`, origin: this.origin, hmacSecret: this.hmacSecret };
  }

  killAll() {
    for (const p of [this.nginx, ...(this.workers || [])]) {
      if (p && alive(p)) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
  }

  async stop() {
    if (this.nginx && alive(this.nginx)) {
      const done = new Promise((resolve) => (this.nginx.child.exitCode !== null ? resolve() : this.nginx.child.once('exit', resolve)));
      process.kill(this.nginx.pid, 'SIGQUIT');
      const t = setTimeout(() => alive(this.nginx) && process.kill(this.nginx.pid, 'SIGKILL'), 10000);
      await done;
      clearTimeout(t);
    }
    for (const w of this.workers || []) if (alive(w)) process.kill(w.pid, 'SIGTERM');
    const deadline = Date.now() + 5000;
    while ((this.workers || []).some(alive) && Date.now() < deadline) await sleep(50);
    this.leftovers = (this.workers || []).filter(alive).length;
    this.killAll();
    restoreModes();
    if (this.database) await this.database.drop();
    if (this.dir && !process.env.CINTO_TEST_KEEP) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

describeSite("nginx + spawn-fcgi, as the README's recipe says", { skip: SKIP || false }, () => new Recipe(), (test, site) => {
  test('GET /v1/ answers with the public URL (Host with its port), Authorization reaches the program', async () => {
    const r = await req(site.target, 'GET', '/');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.url, `${site.origin}/v1/`);
    const a = await req(site.target, 'GET', '/', { auth: basic('who', 'secret') });
    assert.match(a.json?.user?.id ?? '', /^basicauth:[0-9a-f]{64}$/, a.text);
  });

  test('the workers run as www-data, as the recipe says', () => {
    for (const w of site.workers) {
      const uid = Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${w.pid}/status`, 'utf8'))[1]);
      assert.equal(uid, 33, `worker ${w.pid}`);
    }
  });

  portableTests('all', () => site.target, { test });

  test('no error in the nginx log, no 5xx answer', () => {
    const bad = tail(site.errorLog, 1000)
      .split('\n')
      .filter((l) => /\[(error|crit|alert|emerg)\]/.test(l));
    assert.deepEqual(bad, []);
    const five = tail(site.accessLog, 100000)
      .split('\n')
      .filter((l) => /" 5\d\d /.test(l));
    assert.deepEqual(five, []);
  });

  // after the log check: nginx logs the refused listing and the missing file as errors
  test("the recipe's /attachments/ location serves uploaded pages, SVGs and programs as files, with the download, nosniff and sandbox headers", async () => {
    placeFiles(site.attachments);
    await checkServed(`${site.origin}/attachments/`, 'nginx');
  });
});
