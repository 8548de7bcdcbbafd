// Database servers for the multi-node test (tools/cinto-dev test --cluster): a Galera cluster of
// N MariaDB nodes on loopback, and a primary + asynchronous replica pair (GTID replication).
//
// Every node lives in a folder of its own under one base folder (short paths: unix sockets),
// listens on 127.0.0.1 ports picked free at start, and is stopped by pid when the test ends (or
// when the test process exits without stopping it). Nothing here signals a process it did not
// start.
//
// As root, the nodes run as the `mysql` user: Galera's rsync state transfer fails when the
// server runs with --user=root (seen on this machine), so the data folders are chowned to mysql
// and the base folder made traversable.
import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const GALERA_PROVIDER = process.env.CINTO_GALERA_PROVIDER || '/usr/lib/galera/libgalera_smm.so';

const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;
const RUN_USER = IS_ROOT ? 'mysql' : os.userInfo().username;

function which(name) {
  for (const d of (process.env.PATH || '').split(':').concat(['/usr/sbin', '/usr/local/sbin', '/sbin'])) {
    const p = path.join(d || '.', name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  throw new Error(`${name} not found in PATH`);
}

function run(cmd, args, { timeout = 60000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        err.message = `${path.basename(cmd)} ${args.filter((a) => !a.startsWith('-e')).slice(0, 6).join(' ')} failed (${err.code ?? err.signal}): ${stderr || stdout || err.message}`;
        reject(err);
      } else resolve({ stdout, stderr });
    });
  });
}

export async function freePort() {
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

// Distinct free ports (a port handed out twice would make two servers fight over it).
async function freePorts(n) {
  const out = new Set();
  while (out.size < n) out.add(await freePort());
  return [...out];
}

function tail(file, lines = 30) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function procState(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return null;
  }
}
const alive = (pid) => {
  const st = procState(pid);
  return st !== null && st !== 'Z' && st !== 'X';
};

// Every server started here, killed if the process exits without stop().
const started = new Set();
let hooked = false;
function hookExit() {
  if (hooked) return;
  hooked = true;
  const killAll = () => {
    for (const child of started) {
      try {
        if (alive(child.pid)) process.kill(child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      killAll();
      process.exit(128 + os.constants.signals[sig]);
    });
  }
}

// A base folder that the mysql user can traverse, with paths short enough for sockets.
export function makeBaseDir(prefix = 'ccl-') {
  let base = process.env.CINTO_TEST_TMP || os.tmpdir();
  fs.mkdirSync(base, { recursive: true });
  let dir = fs.mkdtempSync(path.join(base, prefix));
  if (path.join(dir, 'n9', 'mysqld.sock').length > 90) {
    fs.rmSync(dir, { recursive: true, force: true });
    dir = fs.mkdtempSync(path.join('/tmp', prefix));
  }
  fs.chmodSync(dir, 0o755);
  return dir;
}

function chownToRunUser(p) {
  if (!IS_ROOT) return;
  const { uid, gid } = mysqlIds();
  fs.chownSync(p, uid, gid);
}

let ids = null;
function mysqlIds() {
  if (ids) return ids;
  const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${RUN_USER}:`));
  if (!line) throw new Error(`no ${RUN_USER} user (install mariadb-server)`);
  const f = line.split(':');
  ids = { uid: Number(f[2]), gid: Number(f[3]) };
  return ids;
}

// ---------------------------------------------------------------------------------------------
// One MariaDB server. Has the interface the HTTP harness expects of a database (socket, query).

export class Node {
  constructor(dir, name, extraArgs = []) {
    this.dir = dir;
    this.name = name;
    this.extraArgs = extraArgs;
    this.datadir = path.join(dir, 'data');
    this.tmpdir = path.join(dir, 'tmp');
    this.socket = path.join(dir, 'mysqld.sock');
    this.pidFile = path.join(dir, 'mysqld.pid');
    this.errorLog = path.join(dir, 'error.log');
    this.child = null;
    this.port = null;
  }

  async prepare({ install }) {
    for (const d of [this.dir, this.datadir, this.tmpdir]) {
      fs.mkdirSync(d, { recursive: true });
      chownToRunUser(d);
    }
    fs.chmodSync(this.dir, 0o755);
    if (!install) return;
    await run(
      which('mariadb-install-db'),
      [
        '--no-defaults',
        `--datadir=${this.datadir}`,
        `--tmpdir=${this.tmpdir}`,
        `--user=${RUN_USER}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
      ],
      { timeout: 120000 },
    );
  }

  baseArgs() {
    return [
      '--no-defaults',
      `--datadir=${this.datadir}`,
      `--tmpdir=${this.tmpdir}`,
      `--socket=${this.socket}`,
      `--pid-file=${this.pidFile}`,
      `--log-error=${this.errorLog}`,
      `--user=${RUN_USER}`,
      '--bind-address=127.0.0.1',
      `--port=${this.port}`,
      '--innodb-buffer-pool-size=32M',
      '--innodb-log-file-size=16M',
      '--innodb-flush-log-at-trx-commit=2',
      '--skip-name-resolve',
      '--max-connections=300',
      ...this.extraArgs,
    ];
  }

  // Starts mariadbd with more arguments; resolves once it answers a ping (or `ready` says so).
  async start(more = [], { timeout = 120000, ready } = {}) {
    hookExit();
    fs.rmSync(this.pidFile, { force: true });
    const child = spawn(which('mariadbd'), [...this.baseArgs(), ...more], { stdio: 'ignore' });
    started.add(child); // not unref'd: waiting for its exit keeps the test process alive
    let exited = false;
    child.once('exit', () => {
      exited = true;
      started.delete(child);
    });
    this.child = child;
    const deadline = Date.now() + timeout;
    for (;;) {
      if (exited) throw new Error(`${this.name}: mariadbd exited at start-up:\n${tail(this.errorLog)}`);
      try {
        await run(which('mariadb-admin'), ['--no-defaults', `--socket=${this.socket}`, '-uroot', 'ping'], { timeout: 5000 });
        if (!ready || (await ready())) return this;
      } catch {
        /* not yet */
      }
      if (Date.now() > deadline) {
        this.kill();
        throw new Error(`${this.name}: not ready within ${timeout} ms:\n${tail(this.errorLog)}`);
      }
      await sleep(150);
    }
  }

  get pid() {
    return this.child?.pid;
  }

  // SIGKILL: a crash (no shutdown, no clean Galera leave).
  kill() {
    const child = this.child;
    if (!child) return Promise.resolve();
    const done = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', resolve);
    });
    try {
      if (alive(child.pid)) process.kill(child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    this.child = null;
    return done;
  }

  // A clean shutdown (SIGTERM), SIGKILL after `timeout` ms.
  async stop({ timeout = 30000 } = {}) {
    const child = this.child;
    if (!child) return;
    const done = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', resolve);
    });
    try {
      process.kill(child.pid, 'SIGTERM');
    } catch {
      /* gone */
    }
    const timer = setTimeout(() => {
      try {
        if (alive(child.pid)) process.kill(child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, timeout);
    await done;
    clearTimeout(timer);
    this.child = null;
  }

  // SQL as root over the socket; rows as arrays of strings (mariadb -N -B).
  async query(sql, database, { timeout = 60000 } = {}) {
    const args = ['--no-defaults', `--socket=${this.socket}`, '-uroot', '-N', '-B', '-e', sql];
    if (database) args.push(database);
    const { stdout } = await run(which('mariadb'), args, { timeout });
    return stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.split('\t'));
  }

  // SHOW STATUS / VARIABLES values as an object.
  async status(like, what = 'STATUS') {
    const rows = await this.query(`SHOW GLOBAL ${what} LIKE '${like}'`);
    return Object.fromEntries(rows.map(([k, v]) => [k, v]));
  }
}

// ---------------------------------------------------------------------------------------------
// Galera

// Failure detection in a couple of seconds instead of Galera's defaults (5 s suspect, 15 s
// inactive): the test kills and isolates nodes and should not spend its time waiting.
const FAST_EVS = 'evs.keepalive_period=PT0.5S;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT5S;evs.inactive_check_period=PT0.5S;evs.install_timeout=PT5S;pc.announce_timeout=PT1S';

export class GaleraCluster {
  constructor(base, size = 3) {
    this.base = base;
    this.nodes = [];
    for (let i = 1; i <= size; i++) {
      const n = new Node(path.join(base, `n${i}`), `node${i}`);
      n.index = i;
      this.nodes.push(n);
    }
  }

  async assignPorts() {
    const ports = await freePorts(this.nodes.length * 4);
    this.nodes.forEach((n, i) => {
      [n.port, n.gcommPort, n.istPort, n.sstPort] = ports.slice(i * 4, i * 4 + 4);
    });
    this.address = 'gcomm://' + this.nodes.map((n) => `127.0.0.1:${n.gcommPort}`).join(',');
  }

  wsrepArgs(n) {
    return [
      '--wsrep-on=ON',
      `--wsrep-provider=${GALERA_PROVIDER}`,
      '--wsrep-cluster-name=cinto-test',
      `--wsrep-cluster-address=${this.address}`,
      `--wsrep-node-name=${n.name}`,
      `--wsrep-node-address=127.0.0.1:${n.gcommPort}`,
      `--wsrep-node-incoming-address=127.0.0.1:${n.port}`,
      `--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:${n.gcommPort};ist.recv_addr=127.0.0.1:${n.istPort};gcache.size=128M;${FAST_EVS}`,
      '--wsrep-sst-method=rsync',
      `--wsrep-sst-receive-address=127.0.0.1:${n.sstPort}`,
      '--binlog-format=ROW',
      '--innodb-autoinc-lock-mode=2',
      '--default-storage-engine=InnoDB',
      '--wsrep-slave-threads=2',
    ];
  }

  // Synced and part of the primary component.
  async synced(n) {
    try {
      const s = await n.status('wsrep_%');
      return s.wsrep_ready === 'ON' && s.wsrep_local_state_comment === 'Synced' && s.wsrep_cluster_status === 'Primary';
    } catch {
      return false;
    }
  }

  // Bootstraps node 1 (a fresh data folder), then joins the others one by one (rsync SST).
  async start() {
    await this.assignPorts();
    const [first, ...rest] = this.nodes;
    await first.prepare({ install: true });
    await first.start([...this.wsrepArgs(first), '--wsrep-new-cluster'], { ready: () => this.synced(first) });
    for (const n of rest) {
      await n.prepare({ install: false });
      await n.start(this.wsrepArgs(n), { timeout: 180000, ready: () => this.synced(n) });
    }
    await this.waitSize(this.nodes.length);
    return this;
  }

  async waitSize(size, timeout = 60000) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const s = await this.nodes[0].status('wsrep_cluster_size').catch(() => ({}));
      if (Number(s.wsrep_cluster_size) === size) return;
      if (Date.now() > deadline) throw new Error(`cluster size ${s.wsrep_cluster_size}, wanted ${size}`);
      await sleep(200);
    }
  }

  // Restarts a node that was killed: recovers its position from InnoDB first (what
  // galera_recovery does for systemd), so it rejoins by IST instead of a full state transfer.
  // Returns what the node's log says about the transfer ('IST' or 'SST').
  async restart(n) {
    const recLog = path.join(n.dir, 'recover.log');
    fs.rmSync(recLog, { force: true });
    const rec = new Node(n.dir, `${n.name}-recover`);
    rec.port = n.port;
    await run(which('mariadbd'), [...rec.baseArgs().filter((a) => !a.startsWith('--log-error')), `--log-error=${recLog}`, ...this.wsrepArgs(n), '--wsrep-recover'], {
      timeout: 120000,
    });
    const m = /Recovered position:\s*([0-9a-f-]+:-?\d+)/.exec(fs.readFileSync(recLog, 'utf8'));
    const more = m ? [`--wsrep-start-position=${m[1]}`] : [];
    const logStart = fs.existsSync(n.errorLog) ? fs.statSync(n.errorLog).size : 0;
    await n.start([...this.wsrepArgs(n), ...more], { timeout: 180000, ready: () => this.synced(n) });
    const log = fs.readFileSync(n.errorLog, 'utf8').slice(logStart);
    this.lastRejoin = { position: m?.[1] ?? null, log };
    // the rsync script runs for both; it says which it did, and an IST lists its write sets
    const ist = /Receiving IST: (\d+) writesets/.exec(log);
    this.lastRejoin.istWritesets = ist ? Number(ist[1]) : 0;
    if (/rsync SST completed on joiner/.test(log)) return 'SST';
    if (/IST received/.test(log)) return 'IST';
    return 'none';
  }

  // gmcast.isolate=1 cuts the node off from the others (it becomes a non-primary component of
  // one); 0 lets it rejoin.
  async isolate(n, on) {
    await n.query(`SET GLOBAL wsrep_provider_options='gmcast.isolate=${on ? 1 : 0}'`);
  }

  async stop() {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}

// ---------------------------------------------------------------------------------------------
// Primary + asynchronous replica (GTID)

export class ReplicaPair {
  constructor(base) {
    this.primary = new Node(path.join(base, 'primary'), 'primary');
    this.replica = new Node(path.join(base, 'replica'), 'replica');
  }

  async start() {
    [this.primary.port, this.replica.port] = await freePorts(2);
    await Promise.all([this.primary.prepare({ install: true }), this.replica.prepare({ install: true })]);
    await this.primary.start(['--server-id=1', '--log-bin=mariadb-bin', '--binlog-format=ROW', '--log-basename=primary']);
    await this.replica.start(['--server-id=2', '--read-only=ON', '--log-basename=replica', '--relay-log=replica-relay']);
    await this.primary.query(
      "CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'repl-pass'; GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1';",
    );
    await this.replica.query(
      `CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${this.primary.port}, MASTER_USER='repl', MASTER_PASSWORD='repl-pass', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE;`,
    );
    return this;
  }

  // Waits until the replica has applied everything the primary had written when called.
  async catchUp(timeout = 60000) {
    const [[pos]] = await this.primary.query('SELECT @@gtid_binlog_pos');
    const [[res]] = await this.replica.query(`SELECT MASTER_GTID_WAIT('${pos}', ${Math.ceil(timeout / 1000)})`, undefined, { timeout: timeout + 5000 });
    if (res !== '0') throw new Error(`replica did not reach ${pos} in ${timeout} ms`);
  }

  async stop() {
    await Promise.all([this.replica.stop(), this.primary.stop()]);
  }
}
