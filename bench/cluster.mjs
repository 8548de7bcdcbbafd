#!/usr/bin/env node
// bench/cluster.mjs [--duration S] [--workers N] [--connections N] [--writers N]
//
// cinto on one MariaDB versus cinto on a 3-node Galera cluster, on this machine (not in CI):
//   1. creates/s (POST, wrk + bench/create.lua) and record GETs/s (wrk) on 1 site + 1 node,
//      then on 3 sites + 3 Galera nodes, with the same total of FastCGI workers (--workers,
//      default 6: 6 on the one site, 2 per site on the three) and of connections;
//   2. certification conflicts on the cluster: --writers (8) clients creating records as fast as
//      they can, spread over the three sites, all into one list, then each into a list of its
//      own in one bucket, with the history plugin off and on (its entries share one list per
//      bucket), and (history off) all into one list through one site only. For each: creates/s,
//      the nodes' wsrep_local_cert_failures + wsrep_local_bf_aborts (transactions that lost a
//      conflict, each replayed by cinto), and the 503s clients got (replays exhausted).
// Everything runs on loopback ports under a temp folder and is stopped by pid at the end. Uses
// the binary CINTO_TEST_FCGI (default build/cgi/cinto.fcgi: run `tools/cinto-dev build` first).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, basic, req } from '../tests/http/lib/harness.js';
import { GaleraCluster, Node, makeBaseDir, freePort } from '../tests/cluster/lib/servers.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const DURATION = arg('--duration', 10);
const WORKERS = arg('--workers', 6);
const CONNS = arg('--connections', 12);
const WRITERS = arg('--writers', 8);
const OWNER = basic('bench-owner', 'secret');
const AUTH_HEADER = `Authorization: ${OWNER}`;

function wrk(url, conns, script) {
  const args = ['-t', '1', '-c', String(conns), '-d', `${DURATION}s`, '-H', AUTH_HEADER];
  if (script) args.push('-s', script);
  args.push(url);
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { timeout: (DURATION + 30) * 1000 }, (err, stdout) => {
      if (err) return reject(err);
      const rps = Number(/Requests\/sec:\s*([\d.]+)/.exec(stdout)?.[1] ?? NaN);
      const non2xx = Number(/Non-2xx or 3xx responses:\s*(\d+)/.exec(stdout)?.[1] ?? 0);
      const total = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0);
      resolve({ rps, non2xx, total });
    });
  });
}

// wrk on every site at once, connections split evenly; sums the rates.
async function wrkAll(sites, pathOf, script) {
  const per = Math.max(1, Math.round(CONNS / sites.length));
  const rs = await Promise.all(sites.map((s, i) => wrk(`${s.url}${pathOf(i)}`, per, script)));
  const non2xx = rs.reduce((a, r) => a + r.non2xx, 0);
  return { rps: rs.reduce((a, r) => a + r.rps, 0), non2xx: rs.length > 1 && non2xx ? `${non2xx} (${rs.map((r) => r.non2xx).join('+')})` : non2xx, total: rs.reduce((a, r) => a + r.total, 0) };
}

async function prepareList(site, bucket, coll, n = 20) {
  await req(site, 'PUT', `/buckets/${bucket}`, { auth: OWNER, body: {} });
  await req(site, 'PUT', `/buckets/${bucket}/collections/${coll}`, { auth: OWNER, body: {} });
  for (let i = 0; i < n; i++) await req(site, 'PUT', `/buckets/${bucket}/collections/${coll}/records/r${i}`, { auth: OWNER, body: { data: { i } } });
}

async function throughput(label, sites) {
  await prepareList(sites[0], 'tp', 'c');
  // the record exists on every node before the reads start
  for (const s of sites) await req(s, 'GET', '/buckets/tp/collections/c/records/r1', { auth: OWNER });
  const create = await wrkAll(sites, () => '/buckets/tp/collections/c/records', path.join(HERE, 'create.lua'));
  const get = await wrkAll(sites, () => '/buckets/tp/collections/c/records/r1');
  return { label, create, get };
}

async function statusSum(nodes, names) {
  let sum = 0;
  for (const n of nodes) {
    const s = await n.status('wsrep_local_%');
    for (const k of names) sum += Number(s[k] || 0);
  }
  return sum;
}

// WRITERS clients creating records for DURATION seconds; writer k goes to site k % 3 and to
// list lists[k % lists.length].
async function conflicts(label, sites, nodes, lists) {
  const before = await statusSum(nodes, ['wsrep_local_cert_failures', 'wsrep_local_bf_aborts']);
  const end = Date.now() + DURATION * 1000;
  const counts = { ok: 0, s503: 0, other: 0, why: {} };
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, k) => {
      const site = sites[k % sites.length];
      const list = lists[k % lists.length];
      while (Date.now() < end) {
        const r = await req(site, 'POST', list, { auth: OWNER, body: { data: { k } } });
        if (r.status === 201) counts.ok++;
        else {
          if (r.status === 503) counts.s503++;
          else counts.other++;
          const why = `${r.status} ${r.json?.message?.slice(0, 60) ?? ''}`;
          counts.why[why] = (counts.why[why] ?? 0) + 1;
        }
      }
    }),
  );
  const after = await statusSum(nodes, ['wsrep_local_cert_failures', 'wsrep_local_bf_aborts']);
  return { label, createsPerS: counts.ok / DURATION, ...counts, conflicts: after - before, perHundred: (100 * (after - before)) / Math.max(1, counts.ok) };
}

const stops = [];
const allSites = [];
const base = makeBaseDir('cbn-');
try {
  const results = [];
  // 1 site + 1 node
  const single = new Node(path.join(base, 'single'), 'single');
  single.port = await freePort();
  await single.prepare({ install: true });
  await single.start(['--skip-log-bin']);
  stops.push(() => single.stop());
  const one = await startServer({ db: single, workers: WORKERS });
  stops.push(() => one.stop());
  results.push(await throughput(`1 site (${WORKERS} workers) + 1 MariaDB`, [one]));
  await one.stop();
  await single.stop();
  console.error('bench: single node done');

  // 3 sites + 3 Galera nodes
  const cluster = await new GaleraCluster(path.join(base, 'galera'), 3).start();
  stops.push(() => cluster.stop());
  const mk = async (settings) => {
    const first = await startServer({ db: cluster.nodes[0], workers: WORKERS / 3, settings });
    const database = { dbName: first.dbName, dbUser: first.dbUser, dbPassword: first.dbPassword };
    const ss = [first];
    for (const n of cluster.nodes.slice(1)) ss.push(await startServer({ db: n, database, migrate: false, workers: WORKERS / 3, settings }));
    for (const s of ss) stops.push(() => s.stop());
    allSites.push(...ss);
    return ss;
  };
  const sites = await mk({});
  results.push(await throughput(`3 sites (${WORKERS / 3} workers each) + 3 Galera nodes`, sites));
  console.error('bench: cluster throughput done');

  const conf = [];
  const histSites = await mk({ 'kinto.includes': 'kinto.plugins.history' });
  for (const [hist, ss] of [['off', sites], ['on', histSites]]) {
    const b = `cf${hist}`;
    await req(ss[0], 'PUT', `/buckets/${b}`, { auth: OWNER, body: {} });
    const lists = [];
    for (let k = 0; k < WRITERS; k++) {
      await req(ss[0], 'PUT', `/buckets/${b}/collections/c${k}`, { auth: OWNER, body: {} });
      lists.push(`/buckets/${b}/collections/c${k}/records`);
    }
    conf.push(await conflicts(`${WRITERS} writers, 1 list, history ${hist}`, ss, cluster.nodes, [lists[0]]));
    // the advice of the README: the writers of a busy list all through one node
    if (hist === 'off') conf.push(await conflicts(`${WRITERS} writers, 1 list, all through site 1, history off`, [ss[0]], cluster.nodes, [lists[0]]));
    conf.push(await conflicts(`${WRITERS} writers, ${WRITERS} lists of 1 bucket, history ${hist}`, ss, cluster.nodes, lists));
  }

  console.log(`\nThroughput (${DURATION} s per run, ${CONNS} connections in all, wrk)`);
  console.log('| setup | creates/s | record GETs/s | non-2xx (create / get) |');
  console.log('|---|---:|---:|---:|');
  for (const r of results) console.log(`| ${r.label} | ${r.create.rps.toFixed(0)} | ${r.get.rps.toFixed(0)} | ${r.create.non2xx} / ${r.get.non2xx} |`);
  console.log(`\nCertification conflicts on 3 Galera nodes (${DURATION} s per run, writers spread over the 3 sites)`);
  console.log('| load | creates/s | conflicts (cert failures + BF aborts) | per 100 creates | 503 to clients | other errors |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const c of conf) console.log(`| ${c.label} | ${c.createsPerS.toFixed(0)} | ${c.conflicts} | ${c.perHundred.toFixed(1)} | ${c.s503} | ${c.other} |`);
  console.log('\nErrors clients got, by answer:');
  for (const c of conf) if (Object.keys(c.why).length) console.log(`  ${c.label}: ${JSON.stringify(c.why)}`);
  // the workers' own account of replays (galera-core logs one line per worker and minute)
  allSites.forEach((s, i) => {
    const seen = new Set();
    for (const l of s.readErrorLog().split('\n')) {
      const k = l.replace(/^\S+ \S+ /, '').replace(/\d+/g, 'N');
      if (l && !seen.has(k) && !/server started/.test(l)) {
        seen.add(k);
        console.log(`  site ${i} log: ${l.slice(0, 300)}`);
      }
    }
  });
} finally {
  for (const s of stops.reverse()) await s().catch(() => {});
  fs.rmSync(base, { recursive: true, force: true });
}
