// Soak-and-fault test (issue #8): a few minutes of mixed traffic through lighttpd with a ledger
// of every acknowledged write, worker memory sampled, then faults under traffic: a worker killed,
// MariaDB stopped and restarted, MariaDB frozen, and its disk full.
//
// It fails on
//   - an acknowledged write missing from the final state (or a phantom record nobody wrote),
//   - a poller (`_since` + Next-Page) whose view differs from the final state,
//   - any 500 from cinto (a JSON error body) at any time, a 503 from cinto without Retry-After,
//   - a worker whose memory keeps growing after warm-up (see MAX_GROWTH_PER_REQ).
//
// Everything runs on a MariaDB of its own, its data on a small tmpfs (when we may mount one) so
// the faults touch no other test. Durations: CINTO_SOAK_SECONDS (steady phase, default 60) and
// CINTO_SOAK_FAULT_SECONDS (traffic after each fault, default 6).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MariaDb, startServer, basic, req, sleep } from '../http/lib/harness.js';

const STEADY_S = Number(process.env.CINTO_SOAK_SECONDS || 60);
const FAULT_S = Number(process.env.CINTO_SOAK_FAULT_SECONDS || 6);
const WORKERS = 3;
// MariaDB frozen this long: longer than the read timeout given to cinto below
const FREEZE_S = 9;
const WRITERS = 4;
const OWNER = basic('soak-owner', 'secret');
const COLL = '/buckets/soak/collections/c';
const RECORDS = `${COLL}/records`;
// tmpfs for MariaDB's data: the bootstrapped folder (~22 MiB with a 4 MiB redo log) plus room
// for the records written (a 300 s run at 400 requests/s filled 64 MiB: ~0.5 MiB per second of
// traffic); the disk-full phase fills what is left.
const TMPFS_MIB = 96 + Math.ceil(STEADY_S);
// Allowed growth of a worker's idle memory (traffic paused) from the end of warm-up to the end
// of the steady phase, in bytes per request that worker served. The leak of issue #8 (1.2 KB per
// create, about a fifth of the requests here) kept 215-250 B/request in this test (1.1-1.7 MiB/min
// per worker on a 2-core machine); a leak-free worker's idle RSS moves by what glibc's heap and
// MariaDB's buffers happen to hold, measured at -15..+30 B/request over a minute and at most
// 170 KiB in any run. A worker fails when it keeps more than 64 B/request and more than 384 KiB:
// issue #8's leak is caught once a worker serves ~1600 requests after warm-up, one half as large
// from ~3300 (the CI run serves ~5800).
const MAX_GROWTH_PER_REQ = 64;
const MIN_GROWTH_ALLOWED = 384 * 1024;

// ---------------------------------------------------------------------------------------------
// Counters, one set per phase

const phases = [];
let cur = null;
function phase(name) {
  cur = { name, requests: 0, acked: 0, ackedAfter: 0, repaired: false, s503: 0, s503NoRetry: 0, cinto500: 0, other5xx: 0, neterr: 0, messages: new Map(), started: Date.now() };
  phases.push(cur);
  return cur;
}
const violations = [];
let mariadbCrashed = false; // mariadbd died on the full disk (see the disk-full phase)
function violation(msg) {
  if (violations.length < 50) violations.push(`[${cur?.name}] ${msg}`);
  incident(msg);
}

// ---------------------------------------------------------------------------------------------
// Diagnostics: when something fails, the logs of that moment. cinto's own log (kinto.log_file)
// has MariaDB's error code, text and statement for each storage condition (once a minute per
// worker); MariaDB's error log says what the server went through (full disk, crash, recovery).

let cintoLog; // set in before()
let diag = () => {}; // the running test's t.diagnostic
// The first few moments worth the logs, { at, what }, until printed: their logs tell the story.
const incidents = [];
let incidentsSeen = 0;
function incident(what) {
  if (incidentsSeen++ < 3) incidents.push({ at: Date.now(), what });
}

// "2026-12-04T22:57:03Z cinto[PID]: ..." lines from `from` to `to` (ms), the last `max`.
function cintoLogLines(from, to, max = 30) {
  let text = '';
  try {
    text = fs.readFileSync(cintoLog, 'utf8');
  } catch {
    return ['(no cinto log)'];
  }
  const lines = text.split('\n').filter((l) => {
    const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) /.exec(l);
    if (!m) return false;
    const at = Date.parse(m[1]);
    return at >= Math.floor(from / 1000) * 1000 && at <= to;
  });
  return lines.slice(-max);
}

// The end of MariaDB's error log; a line that differs only in its time and thread from one of
// the few before it (a full disk logs a pair of lines per failed write) is counted, not shown.
function mariadbLogTail(max = 70) {
  let text = '';
  try {
    text = fs.readFileSync(db.errorLog, 'utf8');
  } catch {
    return ['(no MariaDB error log)'];
  }
  const out = [];
  const recent = [];
  let hidden = 0;
  for (const l of text.split('\n').slice(-5000)) {
    if (!l.trim()) continue;
    const key = l.replace(/^\d{4}-\d\d-\d\d\s+\d+:\d\d:\d\d\s+\d+\s+/, '');
    if (recent.includes(key)) {
      hidden++;
      continue;
    }
    if (hidden) out.push(`  (${hidden} lines like the ones above left out)`);
    hidden = 0;
    out.push(l);
    recent.push(key);
    if (recent.length > 4) recent.shift();
  }
  if (hidden) out.push(`  (${hidden} lines like the ones above left out)`);
  return out.slice(-max);
}

// Prints both logs around a moment (ms): cinto's from 10 s before it.
function dumpLogs(why, at = Date.now()) {
  diag(`--- ${why}: cinto's log (${cintoLog}) from ${new Date(at - 10000).toISOString()}:`);
  for (const l of cintoLogLines(at - 10000, at + 1000)) diag(`  ${l}`);
  diag(`--- end of MariaDB's error log (${db.errorLog}):`);
  for (const l of mariadbLogTail()) diag(`  ${l}`);
}

// One request, classified. Returns the response, or null on a transport failure.
async function call(method, p, opts = {}) {
  cur.requests++;
  let r;
  try {
    r = await req(srv, method, p, { auth: OWNER, timeout: 90000, ...opts });
  } catch (e) {
    cur.neterr++;
    return null;
  }
  if (r.status >= 500) {
    const fromCinto = r.json && typeof r.json === 'object' && 'errno' in r.json;
    if (fromCinto) {
      const msg = String(r.json.message ?? '').slice(0, 70);
      cur.messages.set(`${r.status} ${msg}`, (cur.messages.get(`${r.status} ${msg}`) || 0) + 1);
    }
    if (r.status === 503 && fromCinto) {
      cur.s503++;
      // a damaged table or index: only after MariaDB crashed on the full disk (until the repair
      // of operatorCheck), never from a fault cinto should ride out
      if (/damaged/.test(r.json.message ?? '')) {
        if (mariadbCrashed) incident(`503 damaged on ${method} ${p}`);
        else violation(`503 damaged on ${method} ${p}: ${r.text.slice(0, 200)}`);
      }
      if (!r.headers.get('retry-after')) {
        cur.s503NoRetry++;
        violation(`503 without Retry-After on ${method} ${p}: ${r.text.slice(0, 200)}`);
      }
    } else if (fromCinto) {
      cur.cinto500++;
      violation(`${r.status} from cinto on ${method} ${p}: ${r.text.slice(0, 300)}`);
    } else {
      cur.other5xx++; // the web server's own answer (its worker died or was busy restarting)
    }
  }
  return r;
}
const ok = (r) => r && r.status >= 200 && r.status < 300;
// An answer that tells nothing about whether a write happened: a 5xx or no answer.
const uncertain = (r) => !r || r.status >= 500;

// ---------------------------------------------------------------------------------------------
// Ledger: each writer owns its records; the model of a record is its expected state.

const model = new Map(); // id -> { deleted, n, lm }
const orphanTags = new Set(); // tags of creates by POST with no answer (their id is unknown)
let nextN = 0;
const stats = { acked: 0 };

function ack(count = 1) {
  cur.acked += count;
  if (cur.repaired) cur.ackedAfter += count;
  stats.acked += count;
}

// Reads a record until the server answers (the fault may still be on).
async function settle(id) {
  for (let i = 0; i < 600; i++) {
    const r = await call('GET', `${RECORDS}/${id}`);
    if (r && r.status === 200) return { deleted: false, n: r.json.data.n, lm: r.json.data.last_modified };
    if (r && r.status === 404) return { deleted: true, n: null, lm: null };
    await sleep(200);
  }
  throw new Error(`record ${id} never readable again`);
}

// After an unanswered write: the server state must be the one before or the one attempted.
async function resolve(id, before, attempted) {
  const seen = await settle(id);
  const same = (a, b) => a && a.deleted === b.deleted && (a.deleted || a.n === b.n);
  if (!(same(before, seen) || same(attempted, seen)))
    violation(`record ${id}: after an unanswered write, state ${JSON.stringify(seen)} is neither ${JSON.stringify(before)} nor ${JSON.stringify(attempted)}`);
  if (seen.deleted) model.set(id, { deleted: true, n: null, lm: null });
  else model.set(id, seen);
}

function rand(k) {
  return Math.floor(Math.random() * k);
}

// One write operation by writer w on one of its records.
async function writeOnce(w, mine) {
  const n = ++nextN;
  const live = mine.filter((id) => !model.get(id).deleted);
  const op = live.length < 4 ? rand(2) : rand(7);
  if (op === 0) {
    // create by POST
    const tag = crypto.randomBytes(6).toString('hex');
    const r = await call('POST', RECORDS, { body: { data: { w, n, tag } } });
    if (r && r.status === 201) {
      ack();
      model.set(r.json.data.id, { deleted: false, n, lm: r.json.data.last_modified });
      mine.push(r.json.data.id);
    } else if (uncertain(r)) orphanTags.add(tag);
    else violation(`POST: ${r.status} ${r.text.slice(0, 200)}`);
    return;
  }
  if (op === 1) {
    // create by PUT
    const id = `w${w}-${n}`;
    const before = { deleted: true, n: null };
    const r = await call('PUT', `${RECORDS}/${id}`, { body: { data: { w, n } }, headers: { 'If-None-Match': '*' } });
    mine.push(id);
    model.set(id, before);
    if (r && r.status === 201) {
      ack();
      model.set(id, { deleted: false, n, lm: r.json.data.last_modified });
    } else if (uncertain(r)) await resolve(id, before, { deleted: false, n });
    else violation(`PUT create ${id}: ${r.status} ${r.text.slice(0, 200)}`);
    return;
  }
  const id = live[rand(live.length)];
  const before = model.get(id);
  const ifMatch = { 'If-Match': `"${before.lm}"` };
  let r;
  let attempted = { deleted: false, n };
  if (op === 2) r = await call('PUT', `${RECORDS}/${id}`, { body: { data: { w, n } }, headers: ifMatch });
  else if (op === 3) r = await call('PATCH', `${RECORDS}/${id}`, { body: { data: { n } } });
  else if (op === 4)
    r = await call('PATCH', `${RECORDS}/${id}`, {
      body: [{ op: 'replace', path: '/data/n', value: n }],
      headers: { 'Content-Type': 'application/json-patch+json', ...ifMatch },
    });
  else if (op === 5)
    r = await call('PATCH', `${RECORDS}/${id}`, {
      body: { data: { n, extra: null } },
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
  else {
    attempted = { deleted: true, n: null };
    r = await call('DELETE', `${RECORDS}/${id}`, { headers: ifMatch });
  }
  if (ok(r)) {
    ack();
    model.set(id, attempted.deleted ? { deleted: true, n: null, lm: null } : { deleted: false, n, lm: r.json.data.last_modified });
  } else if (uncertain(r)) await resolve(id, before, attempted);
  else violation(`op ${op} on ${id}: ${r.status} ${r.text.slice(0, 200)}`);
}

// A batch of creates by PUT, applied in one transaction.
async function batchOnce(mine) {
  const items = [];
  for (let i = 0; i < 5; i++) {
    const n = ++nextN;
    items.push({ id: `b-${n}`, n });
  }
  const body = {
    defaults: { method: 'PUT' },
    requests: items.map((it) => ({ path: `/v1${RECORDS}/${it.id}`, body: { data: { w: 'b', n: it.n } }, headers: { 'If-None-Match': '*' } })),
  };
  for (const it of items) {
    model.set(it.id, { deleted: true, n: null });
    mine.push(it.id);
  }
  const r = await call('POST', '/batch', { body });
  if (r && r.status === 200) {
    const subs = r.json.responses;
    const okAll = subs.every((s) => s.status === 201);
    const anyUnc = subs.some((s) => s.status >= 500);
    if (okAll) {
      ack(items.length);
      items.forEach((it, i) => model.set(it.id, { deleted: false, n: it.n, lm: subs[i].body.data.last_modified }));
      return;
    }
    if (!anyUnc) violation(`batch sub-statuses ${subs.map((s) => s.status)}`);
    const cinto500 = subs.find((s) => s.status === 500);
    if (cinto500) {
      cur.cinto500++;
      violation(`batch: 500 inside: ${JSON.stringify(cinto500.body).slice(0, 300)}`);
    }
  } else if (!uncertain(r)) {
    violation(`batch: ${r.status} ${r.text.slice(0, 200)}`);
  }
  // one transaction: all or none, whatever the answer said
  const seen = [];
  for (const it of items) seen.push(await settle(it.id));
  const applied = seen.filter((s) => !s.deleted).length;
  if (applied !== 0 && applied !== items.length) violation(`batch half-applied: ${applied}/${items.length}`);
  items.forEach((it, i) => model.set(it.id, seen[i]));
}

// A poller's view of the collection built from `_since` polls following Next-Page.
class Poller {
  constructor() {
    this.since = null;
    this.view = new Map(); // id -> { deleted, n, lm }
  }
  async poll() {
    let url = this.since === null ? `${RECORDS}?_since=0` : `${RECORDS}?_since=${this.since}`;
    let etag = null;
    const got = [];
    while (url) {
      const r = await call('GET', url);
      if (!r || r.status !== 200) {
        if (r && r.status < 500) violation(`poll ${url}: ${r.status} ${r.text.slice(0, 200)}`);
        return false;
      }
      if (etag === null) etag = (r.headers.get('etag') || '').replace(/"/g, '');
      got.push(...r.json.data);
      url = r.headers.get('next-page');
    }
    for (const o of got) {
      const old = this.view.get(o.id);
      if (old && old.lm > o.last_modified) continue;
      this.view.set(o.id, o.deleted ? { deleted: true, lm: o.last_modified } : { deleted: false, n: o.n, lm: o.last_modified });
    }
    this.since = etag;
    return true;
  }
}

// Filtered reads: every object answered matches the filter.
async function filteredOnce() {
  const w = rand(WRITERS);
  const r = await call('GET', `${RECORDS}?w=${w}&_sort=-last_modified&_limit=20`);
  if (r && r.status === 200) {
    if (!r.json.data.every((o) => o.w === w)) violation(`filter w=${w} answered other records`);
  } else if (r && r.status < 500) violation(`filtered read: ${r.status} ${r.text.slice(0, 200)}`);
  const g = nextN - 200;
  const r2 = await call('GET', `${RECORDS}?gt_n=${g}&_limit=50`);
  if (r2 && r2.status === 200 && !r2.json.data.every((o) => o.n > g)) violation(`filter gt_n=${g} answered other records`);
}

// ---------------------------------------------------------------------------------------------
// Traffic: closed loops until stopTraffic() is called.

let running = false;
const loops = [];
// the same two pollers through every phase, as clients that keep polling through the faults
const pollers = [new Poller(), new Poller()];
function startTraffic() {
  running = true;
  for (let w = 0; w < WRITERS; w++) {
    const mine = [];
    loops.push((async () => { while (running) await writeOnce(w, mine); })());
  }
  const batchMine = [];
  loops.push((async () => { while (running) await batchOnce(batchMine); })());
  for (const p of pollers) loops.push((async () => { while (running) { await p.poll(); await sleep(100); } })());
  loops.push((async () => { while (running) await filteredOnce(); })());
}
async function stopTraffic() {
  running = false;
  await Promise.all(loops);
  loops.length = 0;
  cur.ended = Date.now();
}

// ---------------------------------------------------------------------------------------------
// Worker memory

function rssBytes(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

// Least-squares slope of y over x.
function slope(xs, ys) {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den ? num / den : 0;
}

// ---------------------------------------------------------------------------------------------
// Setup: MariaDB bootstrapped on normal disk, its data copied onto our tmpfs.

let srv;
let db;
let base;
let mounted = false;

function unmount() {
  if (!mounted) return;
  // our MariaDB first, or the tmpfs stays busy
  if (db?.child) {
    try {
      process.kill(db.child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  try {
    execFileSync('umount', [db.datadir], { stdio: 'ignore' });
    mounted = false;
  } catch {
    try {
      execFileSync('umount', ['-l', db.datadir], { stdio: 'ignore' });
      mounted = false;
    } catch {
      /* reported by the leftover mount; nothing else to do */
    }
  }
}

before(async () => {
  const scratch = process.env.CINTO_TEST_TMP || os.tmpdir();
  fs.mkdirSync(scratch, { recursive: true });
  base = fs.mkdtempSync(path.join(scratch, 'soak-'));
  if (path.join(base, 'mysqld.sock').length > 90) base = fs.mkdtempSync('/tmp/soak-');
  // small enough for the tmpfs; the redo log must exist at this size from the bootstrap on
  db = new MariaDb(base, {
    extraArgs: [`--tmpdir=${base}`, '--innodb-log-file-size=4M', '--innodb-buffer-pool-size=16M', '--innodb-temp-data-file-path=ibtmp1:4M:autoextend', '--max-connections=100'],
  });
  const boot = path.join(base, 'boot');
  fs.mkdirSync(boot);
  execFileSync('mariadb-install-db', ['--no-defaults', `--datadir=${boot}`, `--user=${os.userInfo().username}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--innodb-log-file-size=4M', `--tmpdir=${base}`], { stdio: 'ignore', timeout: 120000 });
  fs.mkdirSync(db.datadir);
  if (process.getuid && process.getuid() === 0) {
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_MIB}m,mode=0700`, 'tmpfs', db.datadir], { stdio: 'ignore' });
      mounted = true;
      process.on('exit', unmount);
    } catch {
      mounted = false;
    }
  }
  execFileSync('cp', ['-a', `${boot}/.`, db.datadir]);
  fs.rmSync(boot, { recursive: true, force: true });
  db.installed = true;
  await db.start();
  // short database timeouts, so that the freeze below outlasts them and gets 503s
  cintoLog = path.join(base, 'cinto.log');
  srv = await startServer({
    db,
    workers: WORKERS,
    settings: {
      'kinto.log_file': cintoLog,
      'kinto.paginate_by': 50,
      'kinto.storage_connect_timeout_seconds': 1,
      'kinto.storage_read_timeout_seconds': FREEZE_S - 4,
      'kinto.storage_write_timeout_seconds': FREEZE_S - 4,
    },
  });
  const r1 = await req(srv, 'PUT', '/buckets/soak', { auth: OWNER, body: {} });
  const r2 = await req(srv, 'PUT', COLL, { auth: OWNER, body: {} });
  assert.ok(ok(r1) && ok(r2), `setup: ${r1.status} ${r2.status}`);
});

after(async () => {
  running = false;
  await Promise.all(loops).catch(() => {});
  if (db?.child) {
    try {
      process.kill(db.child.pid, 'SIGCONT');
    } catch {
      /* gone */
    }
  }
  await srv?.stop().catch(() => {});
  await db?.stop({ kill: true }).catch(() => {});
  unmount();
  if (base && !process.env.CINTO_TEST_KEEP) fs.rmSync(base, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------

// Idle RSS of each worker: traffic paused, every worker done with its request.
async function idleRss(pids) {
  await stopTraffic();
  await sleep(500);
  return pids.map(rssBytes);
}

test('soak: worker memory stays flat under mixed traffic', { timeout: (STEADY_S + 120) * 1000 }, async (t) => {
  diag = (m) => t.diagnostic(m);
  phase('steady');
  const pids = srv.workerPids();
  assert.equal(pids.length, WORKERS, 'workers running');
  const samples = []; // { t, rss: [per worker] } under traffic
  const t0 = Date.now();
  const sampleUntil = async (end) => {
    while (Date.now() < end) {
      samples.push({ t: (Date.now() - t0) / 60000, rss: pids.map(rssBytes) });
      await sleep(1000);
    }
  };
  // warm-up: the first third (caches, connection buffers, the heap reaching its working size),
  // then memory held between requests is compared after the rest
  startTraffic();
  await sampleUntil(t0 + (STEADY_S * 1000) / 3);
  const rss1 = await idleRss(pids);
  const q1 = cur.requests;
  const tw = Date.now();
  startTraffic();
  await sampleUntil(t0 + STEADY_S * 1000);
  const rss2 = await idleRss(pids);
  const minutes = (Date.now() - tw) / 60000;
  const perWorker = (cur.requests - q1) / WORKERS;
  assert.deepEqual(srv.workerPids().sort(), pids.slice().sort(), 'no worker died during the steady phase');
  const lines = [];
  const failures = [];
  pids.forEach((pid, i) => {
    const peak = Math.max(...samples.map((s) => s.rss[i] || 0)) / 1048576;
    const growth = rss2[i] - rss1[i];
    const perReq = growth / perWorker;
    const under = samples.filter((s) => s.t * 60000 >= tw - t0);
    const busySlope = slope(under.map((s) => s.t), under.map((s) => s.rss[i])) / 1048576;
    lines.push(
      `worker ${pid}: idle RSS ${(samples[0].rss[i] / 1048576).toFixed(1)} (start) ${(rss1[i] / 1048576).toFixed(1)} (after warm-up) ` +
        `${(rss2[i] / 1048576).toFixed(1)} MiB (end), peak ${peak.toFixed(1)} MiB; after warm-up ` +
        `${(growth / 1048576 / minutes).toFixed(3)} MiB/min idle, ${busySlope.toFixed(3)} MiB/min under traffic, ${perReq.toFixed(1)} B/request`,
    );
    if (perReq > MAX_GROWTH_PER_REQ && growth > MIN_GROWTH_ALLOWED)
      failures.push(`worker ${pid} keeps ${perReq.toFixed(0)} B/request after warm-up (${(growth / 1048576).toFixed(2)} MiB over ${Math.round(perWorker)} requests)`);
  });
  const rate = cur.requests / ((Date.now() - cur.started) / 1000);
  t.diagnostic(`steady ${STEADY_S}s: ${cur.requests} requests (${rate.toFixed(0)}/s), ${cur.acked} acknowledged writes, ${Math.round(perWorker)} per worker after warm-up`);
  for (const l of lines) t.diagnostic(l);
  reportIncidents();
  assert.deepEqual(failures, []);
  assert.deepEqual(violations, []);
});

// The logs around each moment something went wrong (once each), before the assertions.
function reportIncidents() {
  for (const { at, what } of incidents.splice(0)) dumpLogs(what.slice(0, 200), at);
}

// Runs traffic through one fault; `inject` does the fault and its repair.
async function underFault(name, inject) {
  const p = phase(name);
  startTraffic();
  await sleep(1000);
  await inject();
  // writes must be acknowledged again once the fault is repaired
  p.repaired = true;
  await sleep(FAULT_S * 1000);
  for (let i = 0; i < 20 && p.ackedAfter === 0; i++) await sleep(1000);
  await stopTraffic();
  if (p.ackedAfter === 0) violation(`no write acknowledged in ${FAULT_S + 20} s after the repair`);
  return p;
}

// `cinto.fcgi check` with the site's configuration: { status, out }.
function cintoCheck() {
  const r = spawnSync(srv.fcgi, ['check'], { env: { ...process.env, ...srv.env }, encoding: 'utf8', timeout: 120000 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

// After MariaDB crashed on the full disk, what the README tells an operator to do: run
// `cinto.fcgi check` and apply the repair it names (ALTER TABLE ... FORCE rebuilds a table and
// its indexes from its rows: no row is lost, so the ledger below still checks every
// acknowledged write). Only here: a table found damaged anywhere else fails the test.
async function operatorCheck(t) {
  const first = cintoCheck();
  t.diagnostic(`cinto.fcgi check after the restart: exit ${first.status}`);
  for (const l of first.out.trim().split('\n')) t.diagnostic(`  ${l}`);
  if (first.status === 0) return;
  const repairs = [...first.out.matchAll(/^\s*repair: (ALTER TABLE `[a-z0-9_]+` FORCE);$/gm)].map((m) => m[1]);
  assert.ok(repairs.length, `cinto.fcgi check found problems but named no repair:\n${first.out}`);
  // the heartbeat must show the damage too (issue #8: it answered 200 over a corrupt index)
  const hb = await req(srv, 'GET', '/__heartbeat__', { timeout: 90000 }).catch(() => null);
  t.diagnostic(`heartbeat before the repair: ${hb?.status} ${hb?.text?.slice(0, 200)}`);
  for (const sql of repairs) {
    t.diagnostic(`operator repair: ${sql}`);
    await db.query(sql, srv.dbName);
  }
  const again = cintoCheck();
  assert.equal(again.status, 0, `cinto.fcgi check after the repair:\n${again.out}`);
}

function sig(pid, s) {
  process.kill(pid, s);
}

// What each phase saw, with cinto's error messages counted.
function printPhases(t) {
  for (const p of phases) {
    t.diagnostic(`${p.name}: ${p.requests} requests, ${p.acked} acknowledged writes (${p.ackedAfter} after the repair), ${p.s503} x 503 (errno 201), ${p.cinto500} x 500 from cinto, ${p.other5xx} x 5xx from lighttpd, ${p.neterr} transport errors, ${(((p.ended ?? Date.now()) - p.started) / 1000).toFixed(0)} s`);
    for (const [m, n] of p.messages) t.diagnostic(`  ${n} x ${m}`);
  }
}

test('faults: worker killed, MariaDB restarted, frozen, disk full; no acknowledged write lost', { timeout: 600000 }, async (t) => {
  diag = (m) => t.diagnostic(m);
  await underFault('kill -9 worker', async () => {
    const pids = srv.workerPids();
    sig(pids[0], 'SIGKILL');
  });
  await underFault('mariadb restart', async () => {
    await db.stop();
    await sleep(3000);
    await db.start();
  });
  await underFault('mariadb frozen', async () => {
    sig(db.child.pid, 'SIGSTOP');
    await sleep(FREEZE_S * 1000);
    sig(db.child.pid, 'SIGCONT');
  });
  if (mounted) {
    await underFault('disk full', async () => {
      // fill the tmpfs, keep it full while traffic runs, then free it
      const filler = path.join(db.datadir, 'filler');
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=1M', `count=${TMPFS_MIB}`], { stdio: 'ignore' });
      } catch {
        /* dd stops at ENOSPC: that is the point */
      }
      // InnoDB first fills the space it had reserved: keep the disk full until writes fail
      // (bounded: a long run may have reserved more than the traffic writes in that time)
      const end = Date.now() + Math.max(FAULT_S, 30) * 1000;
      await sleep(FAULT_S * 1000);
      while (cur.s503 === 0 && Date.now() < end) await sleep(500);
      if (cur.s503 === 0) t.diagnostic('disk full: no write needed new space in time (no 503 seen)');
      fs.rmSync(filler, { force: true });
      // MariaDB may have given up on a full disk: start it again as an operator would, and
      // check the tables as the README tells operators to after such a crash
      if (!db.child || db.child.exitCode !== null || db.child.signalCode !== null) {
        t.diagnostic(`mariadbd exited on the full disk (${db.child?.exitCode ?? db.child?.signalCode}); restarted`);
        mariadbCrashed = true;
        db.child = null;
        await db.start();
        dumpLogs('mariadbd exited on the full disk');
        await operatorCheck(t);
      }
    });
  } else {
    t.diagnostic('disk-full phase skipped: cannot mount a tmpfs (not root)');
  }

  // final state, then the checks
  phase('final');
  for (const [i, p] of pollers.entries()) {
    let done = false;
    for (let k = 0; k < 50 && !(done = await p.poll()); k++) await sleep(200);
    // the checks below then name what it missed; the logs say why
    if (!done) incident(`poller ${i} could not complete a final poll in 50 tries`);
  }
  const live = new Map();
  let url = `${RECORDS}?_sort=last_modified`;
  while (url) {
    const r = await call('GET', url);
    if (r?.status !== 200) {
      printPhases(t);
      reportIncidents();
      dumpLogs(`final list: ${r?.status}`);
    }
    assert.equal(r?.status, 200, `final list: ${r?.status} ${r?.text?.slice(0, 300)}`);
    for (const o of r.json.data) live.set(o.id, o);
    url = r.headers.get('next-page');
  }
  let lost = 0;
  for (const [id, m] of model) {
    const o = live.get(id);
    if (m.deleted && o) violation(`record ${id} deleted (acknowledged) but present: ${JSON.stringify(o)}`);
    if (!m.deleted && (!o || o.n !== m.n)) {
      lost++;
      violation(`record ${id}: acknowledged n=${m.n}, final ${o ? 'n=' + o.n : 'missing'}`);
    }
  }
  for (const [id, o] of live) {
    if (!model.has(id) && !orphanTags.has(o.tag)) violation(`phantom record ${id}: ${JSON.stringify(o)}`);
  }
  pollers.forEach((p, i) => {
    for (const [id, o] of live) {
      const v = p.view.get(id);
      if (!v || v.deleted || v.lm !== o.last_modified) violation(`poller ${i} missed ${id} (final lm ${o.last_modified}, seen ${JSON.stringify(v)})`);
    }
    for (const [id, v] of p.view) if (!v.deleted && !live.has(id)) violation(`poller ${i} still sees deleted ${id}`);
  });
  printPhases(t);
  t.diagnostic(`ledger: ${stats.acked} acknowledged writes, ${model.size} records, ${live.size} live at the end, ${orphanTags.size} unanswered creates, ${lost} lost`);
  reportIncidents();
  assert.deepEqual(violations, []);
});
