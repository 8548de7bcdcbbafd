// The multi-node test (issue 11): cinto on a 3-node MariaDB Galera cluster on loopback, one
// lighttpd + cinto site per node, the concurrency check of spec 09 across all three sites at
// once (writers and `_since` pollers on every site, batches included) while one node is
// SIGKILLed and brought back (IST), then one node is cut off (gmcast.isolate) and rejoins. Then a
// primary + asynchronous replica with a read-only cinto site on the replica.
//
// Run by `tools/cinto-dev test --cluster` (and by the plain `tools/cinto-dev test`). Phase
// lengths: CINTO_CLUSTER_PHASE_SECONDS (default 6).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer, basic, req, sleep } from '../http/lib/harness.js';
import { SyncLoad } from '../http/lib/syncload.js';
import { GaleraCluster, ReplicaPair, makeBaseDir } from './lib/servers.js';

const PHASE_MS = 1000 * Number(process.env.CINTO_CLUSTER_PHASE_SECONDS || 6);
const OWNER = basic('cluster-owner', 'secret');
const BUCKET = '/buckets/cl';
const LIST = `${BUCKET}/collections/c/records`;
// The Galera settings are left at their defaults (CINTO_CLUSTER_SETTINGS: a JSON object of
// ini keys to try others).
const SETTINGS = JSON.parse(process.env.CINTO_CLUSTER_SETTINGS || '{}');

let base;
let cluster;
const sites = [];
let load;
const events = {}; // what happened during the faults
const log = (...a) => console.log('#', ...a);

const baseDirs = [];
before(async () => {
  base = makeBaseDir('ccl-');
  baseDirs.push(base);
});

after(async () => {
  for (const s of sites) await s.stop().catch(() => {});
  for (const s of replicaSites) await s.stop().catch(() => {});
  await cluster?.stop().catch(() => {});
  await replica?.stop().catch(() => {});
  if (!process.env.CINTO_TEST_KEEP) for (const d of baseDirs) fs.rmSync(d, { recursive: true, force: true });
});

// Until `pred` holds, polling every 200 ms; false after `ms`.
async function until(pred, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred().catch(() => false)) return true;
    await sleep(200);
  }
  return false;
}

// A site counts as recovered once it answers 10 reads in a row (every worker has had its turn).
async function recovered(site, ms = 60000) {
  return until(async () => {
    for (let i = 0; i < 10; i++) {
      const r = await req(site, 'GET', LIST, { auth: OWNER, timeout: 10000 });
      if (r.status !== 200) return false;
    }
    return true;
  }, ms);
}

test('a 3-node Galera cluster starts on loopback, with one cinto site per node', { timeout: 300000 }, async () => {
  const t0 = Date.now();
  cluster = await new GaleraCluster(base, 3).start();
  events.clusterStartMs = Date.now() - t0;
  const [n1, n2, n3] = cluster.nodes;
  const first = await startServer({ db: n1, workers: 2, settings: SETTINGS });
  sites.push(first);
  const database = { dbName: first.dbName, dbUser: first.dbUser, dbPassword: first.dbPassword };
  for (const n of [n2, n3]) sites.push(await startServer({ db: n, database, migrate: false, workers: 2, settings: SETTINGS }));
  events.sitesStartMs = Date.now() - t0 - events.clusterStartMs;
  log(`cluster up in ${events.clusterStartMs} ms, sites in ${events.sitesStartMs} ms`);
  const b = await req(first, 'PUT', BUCKET, { auth: OWNER, body: {} });
  assert.equal(b.status, 201, b.text);
  const c = await req(sites[1], 'PUT', `${BUCKET}/collections/c`, { auth: OWNER, body: {} });
  assert.equal(c.status, 201, c.text);
  // a write through one site is read through the others
  for (const s of sites) {
    const r = await req(s, 'GET', `${BUCKET}/collections/c`, { auth: OWNER });
    assert.equal(r.status, 200, r.text);
  }
});

test('load on all three sites while a node is killed and comes back, then one is cut off and rejoins', { timeout: 600000 }, async () => {
  assert.equal(sites.length, 3, 'the cluster did not start');
  // a short pause between two requests of a client: the test shares 2 cores with 3 MariaDB nodes
  load = new SyncLoad({ sites, list: LIST, auth: OWNER, writersPerSite: 2, pollersPerSite: 1, batchEvery: 6, pause: 5 });
  load.start();
  try {
    await sleep(PHASE_MS);

    // SIGKILL node 3 under load; its site may answer 503 until the node is back
    const n3 = cluster.nodes[2];
    load.markDown(2);
    await n3.kill();
    events.killedAt = load.summary().requests;
    await sleep(PHASE_MS);
    const t0 = Date.now();
    events.rejoin = await cluster.restart(n3);
    events.rejoinMs = Date.now() - t0;
    events.site3Recovered = await recovered(sites[2]);
    load.markUp(2);
    log(`node3 rejoined by ${events.rejoin} (${cluster.lastRejoin.istWritesets} write sets) in ${events.rejoinMs} ms, from position ${cluster.lastRejoin.position}`);
    await sleep(PHASE_MS);

    // cut node 2 off: its site answers 503 JSON + Retry-After to everything, reads included
    const n2 = cluster.nodes[1];
    const workersBefore = sites[1].workerPids().sort();
    load.markDown(1);
    await cluster.isolate(n2, true);
    events.nonPrimary = await until(async () => (await n2.status('wsrep_cluster_status')).wsrep_cluster_status !== 'Primary', 30000);
    events.isolatedProbes = [];
    const probe = async (method, path, body) => {
      const r = await req(sites[1], method, path, { auth: OWNER, body, timeout: 30000 });
      events.isolatedProbes.push({ what: `${method} ${path}`, status: r.status, retryAfter: r.headers.get('retry-after'), errno: r.json?.errno ?? null });
    };
    for (let i = 0; i < 3; i++) {
      await probe('GET', LIST);
      await probe('GET', `${LIST}?_since=0`);
      await probe('GET', `${BUCKET}/collections/c`);
      await probe('GET', `${LIST}/s0w0-0`);
      await probe('HEAD', LIST);
      await probe('PUT', `${LIST}/probe-${i}`, { data: {} });
      await probe('POST', '/batch', { requests: [{ method: 'GET', path: `/v1${LIST}` }] });
    }
    // a load balancer's health check: 503 takes the site out of rotation
    const hb = await req(sites[1], 'GET', '/__heartbeat__', { timeout: 30000 });
    events.isolatedHeartbeat = { status: hb.status, body: hb.text.slice(0, 200) };
    await sleep(PHASE_MS / 2);
    await cluster.isolate(n2, false);
    events.resynced = await until(() => cluster.synced(n2), 60000);
    events.site2Recovered = await recovered(sites[1]);
    load.markUp(1);
    events.workersSame = JSON.stringify(sites[1].workerPids().sort()) === JSON.stringify(workersBefore);
    events.heartbeatAfter = (await req(sites[1], 'GET', '/__heartbeat__', { timeout: 30000 })).status;
    log(`node2 isolated (non-primary: ${events.nonPrimary}), rejoined (synced: ${events.resynced}), site recovered: ${events.site2Recovered}, same workers: ${events.workersSame}`);
    await sleep(PHASE_MS);
  } finally {
    await load.stop();
  }
  log('load:', JSON.stringify(load.summary()));
  // For the README's figures (no assertion): transactions that lost a conflict and were
  // replayed (counters since each node's last start), and how long writes took outside the
  // fault windows, replays included.
  let conflicts = 0;
  for (const n of cluster.nodes) {
    const st = await n.status('wsrep_local_%').catch(() => ({}));
    conflicts += Number(st.wsrep_local_cert_failures || 0) + Number(st.wsrep_local_bf_aborts || 0);
  }
  const took = (pick) => {
    const ms = load.answers.filter((a) => a.status && a.status < 500 && pick(a.what) && !load.inWindow(a.site, a.sendT, a.ackT)).map((a) => a.ackT - a.sendT).sort((x, y) => x - y);
    const at = (q) => (ms.length ? Math.round(ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]) : 0);
    return `${ms.length} answered, median ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`;
  };
  log(`conflicts (wsrep_local_cert_failures + wsrep_local_bf_aborts, all nodes): ${conflicts}; ` +
    `batches: ${took((w) => w.startsWith('POST /batch'))}; single writes: ${took((w) => /^(PUT|PATCH|DELETE) /.test(w) && !w.includes(' settle:'))}`);
  events.checks = load.check();
  for (const [k, v] of Object.entries(events.checks)) if (v.length) log(`${k}:`, v.slice(0, 10).join('\n#   '));
  // the 5xx outside fault windows, by cause
  const causes = {};
  for (const a of load.answers) {
    if ((a.status === 0 || a.status >= 500) && !load.inWindow(a.site, a.sendT, a.ackT)) {
      const kind = `${a.what.split(' ')[0]} ${/"message":"([^"]{0,70})/.exec(a.what)?.[1] ?? a.status}`;
      causes[kind] = (causes[kind] ?? 0) + 1;
    }
  }
  if (Object.keys(causes).length) log('5xx outside fault windows, by request method and message:', JSON.stringify(causes, null, 1));
  // what the workers logged (database errors behind a 503, replays), each line once
  sites.forEach((s, i) => {
    const lines = [...new Set(s.readErrorLog().split('\n').map((l) => l.replace(/^\S+ \S+ /, '').replace(/\d+/g, 'N')).filter(Boolean))];
    if (lines.length) log(`site ${i} error log (${lines.length} distinct lines, digits as N):\n#   ` + lines.slice(0, 15).join('\n#   '));
  });
  assert.ok(load.ops.length >= 60, `only ${load.ops.length} acknowledged writes`);
  assert.ok(load.polls.length >= 10, `only ${load.polls.length} polls`);
});

test('SYNC-5 across nodes: PUTs with the same If-Match through the three sites, exactly one 200, the others 412', { timeout: 120000 }, async () => {
  assert.equal(sites.length, 3, 'the cluster did not start');
  const R = `${BUCKET}/collections/c/records`;
  const outcomes = [];
  for (let round = 0; round < 8; round++) {
    const id = `race-${round}`;
    const made = await req(sites[round % 3], 'PUT', `${R}/${id}`, { auth: OWNER, body: { data: { w: 'start' } } });
    assert.equal(made.status, 201, made.text);
    const v = made.json.data.last_modified;
    const rs = await Promise.all(
      [0, 1, 2, 0, 1, 2].map((i, k) => req(sites[i], round % 2 ? 'PATCH' : 'PUT', `${R}/${id}`, { auth: OWNER, headers: { 'If-Match': `"${v}"` }, body: { data: { w: `s${i}-${k}` } } })),
    );
    outcomes.push(rs.map((r) => r.status).join(','));
    const wins = rs.filter((r) => r.status === 200);
    assert.equal(wins.length, 1, `round ${round}: ${rs.map((r) => `${r.status} ${r.text.slice(0, 200)}`).join(' / ')}`);
    assert.equal(rs.filter((r) => r.status === 412).length, 5, `round ${round}: ${outcomes.at(-1)}`);
    // every site reads the winner
    for (const s of sites) {
      const now = await req(s, 'GET', `${R}/${id}`, { auth: OWNER });
      assert.deepEqual(now.json.data, wins[0].json.data);
    }
  }
});

const checks = () => {
  assert.ok(events.checks, 'the load did not run');
  return events.checks;
};

test('the killed node comes back by IST and its site answers again', () => {
  assert.equal(events.rejoin, 'IST', cluster?.lastRejoin?.log?.slice(-3000));
  assert.equal(events.site3Recovered, true);
});

test('the cut-off node: every request to its site answers 503 JSON with Retry-After, reads included', () => {
  assert.equal(events.nonPrimary, true, 'the node never left the primary component');
  // (a HEAD answer has no body to carry the JSON)
  const bad = events.isolatedProbes.filter((p) => p.status !== 503 || !p.retryAfter || (p.errno === null && !p.what.startsWith('HEAD')));
  assert.deepEqual(bad, []);
});

test("the cut-off node's site fails its heartbeat (503), so a load balancer can take it out", () => {
  assert.equal(events.isolatedHeartbeat?.status, 503, JSON.stringify(events.isolatedHeartbeat));
});

test('the cut-off node rejoins and its site recovers without restarting workers', () => {
  assert.equal(events.resynced, true);
  assert.equal(events.site2Recovered, true);
  assert.equal(events.workersSame, true);
  assert.equal(events.heartbeatAfter, 200);
});

test('no acknowledged write lost, nothing unwritten appears', () => {
  assert.deepEqual(checks().lost, []);
});

test('timestamps unique across the cluster', () => {
  assert.deepEqual(checks().unique, []);
});

test('timestamps increasing across the cluster (after any acknowledged write or served ETag)', () => {
  assert.deepEqual(checks().ordered, []);
});

test("every poller's reconstructed state equals the final list; ETags never go backwards", () => {
  assert.deepEqual(checks().pollers, []);
  assert.deepEqual(checks().sites, []);
});

test("zero 5xx except while a site's own node is down (then 503 JSON with Retry-After)", () => {
  assert.deepEqual(checks().status, []);
});

test('no unexpected answer (4xx, failed batch)', () => {
  assert.deepEqual(checks().unexpected, []);
});

// ---------------------------------------------------------------------------------------------
// Primary + asynchronous replica, a read-only site on the replica

let replica;
const replicaSites = [];
const rep = {};

test('primary + replica: a read-only site on the replica refuses writes, never goes backwards, catches up', { timeout: 300000 }, async () => {
  const rbase = makeBaseDir('crp-');
  baseDirs.push(rbase);
  replica = await new ReplicaPair(rbase).start();
  const primary = await startServer({ db: replica.primary, workers: 2 });
  replicaSites.push(primary);
  const database = { dbName: primary.dbName, dbUser: primary.dbUser, dbPassword: primary.dbPassword };
  assert.equal((await req(primary, 'PUT', BUCKET, { auth: OWNER, body: {} })).status, 201);
  assert.equal((await req(primary, 'PUT', `${BUCKET}/collections/c`, { auth: OWNER, body: {} })).status, 201);
  // the list's timestamp exists on the primary before the read-only site reads it
  assert.equal((await req(primary, 'GET', LIST, { auth: OWNER })).status, 200);
  await replica.catchUp();
  const ro = await startServer({ db: replica.replica, database, migrate: false, workers: 2, settings: { 'kinto.readonly': 'true' } });
  replicaSites.push(ro);

  // writes refused, Kinto's read-only answer
  rep.refused = [];
  for (const [m, p, body] of [
    ['PUT', `${LIST}/x`, { data: {} }],
    ['POST', LIST, { data: {} }],
    ['PATCH', `${BUCKET}/collections/c`, { data: {} }],
    ['DELETE', LIST],
    ['POST', '/batch', { requests: [{ method: 'PUT', path: `/v1${LIST}/y`, body: { data: {} } }] }],
  ]) {
    const r = await req(ro, m, p, { auth: OWNER, body });
    rep.refused.push({ what: `${m} ${p}`, status: r.status, errno: r.json?.errno });
  }

  // the primary takes writes while a reader polls the replica site
  let stop = false;
  const etags = [];
  const sinceAnswers = [];
  let since = null;
  const seen = new Map();
  const reader = (async () => {
    while (!stop) {
      const r = await req(ro, 'GET', since === null ? LIST : `${LIST}?_since=${encodeURIComponent(since)}`, { auth: OWNER });
      sinceAnswers.push(r.status);
      if (r.status === 200) {
        etags.push(Number(r.headers.get('etag').replace(/"/g, '')));
        for (const o of r.json.data) o.deleted ? seen.delete(o.id) : seen.set(o.id, o.last_modified);
        since = r.headers.get('etag');
      }
      await sleep(20);
    }
  })();
  const written = [];
  const t0 = Date.now();
  for (let i = 0; Date.now() - t0 < PHASE_MS; i++) {
    const r = await req(primary, 'PUT', `${LIST}/r${i % 40}`, { auth: OWNER, body: { data: { i } } });
    assert.ok(r.status === 200 || r.status === 201, r.text);
    written.push(r.json.data.last_modified);
    if (i % 7 === 6) {
      const d = await req(primary, 'DELETE', `${LIST}/r${(i * 3) % 40}`, { auth: OWNER });
      assert.ok(d.status === 200 || d.status === 404, d.text);
    }
  }
  await replica.catchUp();
  await sleep(100);
  stop = true;
  await reader;
  const p = await req(primary, 'GET', LIST, { auth: OWNER });
  const r = await req(ro, 'GET', LIST, { auth: OWNER });
  // one more _since poll after catching up
  const last = await req(ro, 'GET', `${LIST}?_since=${encodeURIComponent(since)}`, { auth: OWNER });
  for (const o of last.json.data) o.deleted ? seen.delete(o.id) : seen.set(o.id, o.last_modified);
  Object.assign(rep, {
    writes: written.length,
    polls: etags.length,
    pollStatuses: [...new Set(sinceAnswers)],
    backwards: etags.filter((e, i) => i > 0 && e < etags[i - 1]).length,
    primaryEtag: p.headers.get('etag'),
    replicaEtag: r.headers.get('etag'),
    same: JSON.stringify(p.json.data) === JSON.stringify(r.json.data),
    pollerSame: JSON.stringify([...seen].sort()) === JSON.stringify(p.json.data.map((o) => [o.id, o.last_modified]).sort()),
    lagging: etags.filter((e) => e < Math.max(...written)).length,
  });
  log('replica:', JSON.stringify({ ...rep, refused: rep.refused.map((x) => x.status) }));
});

test('replica site: writes refused with 405 errno 115 (read-only)', () => {
  assert.ok(rep.refused, 'the replica pair did not start');
  assert.deepEqual(rep.refused.filter((x) => x.status !== 405 || x.errno !== 115), []);
});

test('replica site: list ETags and _since never go backwards while the primary takes writes', () => {
  assert.ok(rep.polls > 5, `only ${rep.polls} polls`);
  assert.deepEqual(rep.pollStatuses, [200]);
  assert.equal(rep.backwards, 0);
});

test('replica site: eventually equals the primary (list, ETag, poller state)', () => {
  assert.equal(rep.replicaEtag, rep.primaryEtag);
  assert.equal(rep.same, true);
  assert.equal(rep.pollerSame, true);
});
