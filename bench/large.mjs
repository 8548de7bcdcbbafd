#!/usr/bin/env node
// bench/large.mjs [--records N] [--small N] [--runs N] [--time-limit S]
//                 [--sort-time-limit S] [--via-api]
//                 [--no-declared] [--workers N] [--only TEXT[,TEXT...]]
//
// The large-collection benchmark of issue 9. Two collections of records shaped
// {"title": "title 012345", "n": i % 1000, "done": bool}: one of --small records (default
// 1,000) and one of --records (default 1,000,000). Prints, for each, the median wall time over
// --runs (default 3) of: `_since` returning 10 changes, the first page, an equality filter, a
// range, like_, in_, a sort on a data field, a sort on two keys, three Next-Page follows, HEAD
// counts, one record GET and one POST; then the same after declaring the fields in the
// collection's "indexed_fields" (PATCH of the collection, then `cinto.fcgi reindex` and a wait
// until the side table says every field is ready: "n/a" when this build does not know
// indexed_fields), and the largest peak RSS (VmHWM) of the FastCGI workers.
//
// Loading: by default straight into MariaDB, in statements of 100,000 rows of
// INSERT ... SELECT over the sequence engine (seq_1_to_N), with timestamps that increase with
// the record number and the list's revision row raised to the last one, as writes through the
// API would leave them (1M records: about a minute on a 2-core machine). --via-api loads through
// POST /batch instead (100 creates a batch, 4 clients: about 1,000 records/s, so 1M records take
// a quarter of an hour or more). The requests go through lighttpd and --workers (default 2)
// cinto.fcgi workers on a private MariaDB (MariaDB's default settings). To compare builds,
// run it once per binary: CINTO_TEST_FCGI=/path/to/cinto.fcgi. --time-limit sets
// kinto.storage_list_time_limit_seconds (default: cinto's, 8 s), --sort-time-limit S
// kinto.storage_unindexed_sort_time_limit_seconds (default: cinto's, 2 s).
//
// --only runs only the queries whose name (as printed in the table's first column) contains one
// of the comma-separated TEXTs, e.g. --only like_,not_ (the loads and the declaration still run).
//
//   node bench/large.mjs                        # 1k and 1M, direct load (~10 minutes)
//   node bench/large.mjs --records 100000       # a quicker look
import fs from 'node:fs';
import { execFile } from 'node:child_process';
import { startServer, basic, req } from '../tests/http/lib/harness.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const flag = (name) => process.argv.includes(name);
const N = Number(arg('--records', 1000000));
const SMALL = Number(arg('--small', 1000));
const RUNS = Number(arg('--runs', 3));
const LIMIT = arg('--time-limit', null);
const VIA_API = flag('--via-api');
const DECLARED = !flag('--no-declared');
const ONLY = arg('--only', '').split(',').filter(Boolean);
const wanted = (name) => !ONLY.length || ONLY.some((t) => name.includes(t));
const OWNER = basic('owner', 'secret');
const FIELDS = ['title', 'n', 'done'];

const settings = { 'kinto.batch_max_requests': '100' };
if (LIMIT !== null) settings['kinto.storage_list_time_limit_seconds'] = LIMIT;
const SORT_LIMIT = arg('--sort-time-limit', null);
if (SORT_LIMIT !== null) settings['kinto.storage_unindexed_sort_time_limit_seconds'] = SORT_LIMIT;
const srv = await startServer({
  workers: Number(arg('--workers', 2)),
  privateDb: true,
  settings,
});
const path = (c) => `/buckets/big/collections/${c}`;
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

// Straight into MariaDB; returns the list's last timestamp.
async function loadDirect(coll, count) {
  await req(srv, 'PUT', `${path(coll)}/records/probe`, { auth: OWNER, body: { data: {} } });
  const [[parent, resource, lm]] = await srv.query(
    `SELECT parent_id, resource_name, last_modified FROM objects WHERE id = 'probe' AND parent_id LIKE '%/${coll}'`,
  );
  await srv.query(`DELETE FROM objects WHERE id = 'probe' AND parent_id = '${parent}'`);
  const base = Number(lm);
  for (let from = 1; from <= count; from += 100000) {
    const to = Math.min(count, from + 99999);
    await srv.query(
      `INSERT INTO objects (parent_id, resource_name, id, last_modified, deleted, data)
       SELECT '${parent}', '${resource}', CONCAT('r', LPAD(seq, 7, '0')), ${base} + seq, 0,
              JSON_OBJECT('title', CONCAT('title ', LPAD((seq * 7919) % ${count}, 7, '0')),
                          'n', seq % 1000, 'done', IF(seq % 2 = 1, true, false))
       FROM seq_${from}_to_${to}`,
    );
  }
  await srv.query(
    `UPDATE revisions SET last_modified = ${base + count} WHERE parent_id = '${parent}' AND resource_name = '${resource}'`,
  );
  // The list's count row (sql/006) did not see a load that went around the API: dropped, the
  // first HEAD or write counts the list once again.
  await srv.query(
    `DELETE FROM list_counts WHERE parent_id = '${parent}' AND resource_name = '${resource}'`,
  );
}

// Through POST /batch, 100 creates a batch from 4 clients.
async function loadViaApi(coll, count) {
  let next = 0;
  const client = async () => {
    for (;;) {
      const start = next;
      next += 100;
      if (start >= count) return;
      const requests = [];
      for (let i = start; i < Math.min(count, start + 100); i++) {
        const seq = i + 1;
        const t = String((seq * 7919) % count).padStart(7, '0');
        requests.push({
          method: 'PUT',
          path: `${path(coll)}/records/r${String(seq).padStart(7, '0')}`,
          body: { data: { title: `title ${t}`, n: seq % 1000, done: seq % 2 === 1 } },
        });
      }
      const r = await req(srv, 'POST', '/batch', { auth: OWNER, body: { requests }, timeout: 120000 });
      if (r.status !== 200) throw new Error(`batch: ${r.status} ${r.text.slice(0, 200)}`);
    }
  };
  await Promise.all([client(), client(), client(), client()]);
}

async function load(coll, count) {
  await req(srv, 'PUT', path(coll), { auth: OWNER, body: {} });
  const t0 = Date.now();
  await (VIA_API ? loadViaApi(coll, count) : loadDirect(coll, count));
  const [[ts]] = await srv.query(
    `SELECT last_modified FROM revisions WHERE parent_id LIKE '%/collections/${coll}' AND resource_name = 'record'`,
  );
  console.error(`${coll}: ${count} records loaded ${VIA_API ? 'through /batch' : 'directly'} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return Number(ts);
}

// Median of RUNS; a non-2xx answer is shown with its status.
async function time(fn) {
  const times = [];
  let note = '';
  for (let i = 0; i < RUNS; i++) {
    const s = process.hrtime.bigint();
    const r = await fn(i);
    times.push(Number(process.hrtime.bigint() - s) / 1e6);
    if (r.status >= 300) note = ` (${r.status}${r.json?.errno ? ` errno ${r.json.errno}` : ''})`;
  }
  times.sort((a, b) => a - b);
  return fmt(times[Math.floor(times.length / 2)]) + note;
}

const get = (coll, qs, method = 'GET') =>
  req(srv, method, `${path(coll)}/records${qs}`, { auth: OWNER, timeout: 300000 });

// The queries of the issue's table, on one collection; lastTs is the list's last timestamp.
async function measure(coll, count, lastTs) {
  const out = {};
  const q = async (name, qs, method) => {
    if (wanted(name)) out[name] = await time(() => get(coll, qs, method));
  };
  // The records are numbered with their timestamps: the last 10 changed after lastTs - 10.
  await q('_since (10 changes)', `?_since=${lastTs - 10}`);
  await q('?_limit=10 (first page)', '?_limit=10');
  await q('equality ?n=5&_limit=10', '?n=5&_limit=10');
  await q('equality, rare ?n=999&done=true&_limit=10', '?n=999&done=true&_limit=10');
  await q('range ?min_n=500&max_n=505&_limit=10', '?min_n=500&max_n=505&_limit=10');
  await q('like_ ?like_title=*12345*&_limit=10', '?like_title=*12345*&_limit=10');
  await q('like_, prefix ?like_title=title%200012*&_limit=10', '?like_title=title%200012*&_limit=10');
  await q('like_, frequent ?like_title=*1*&_limit=10', '?like_title=*1*&_limit=10');
  await q('HEAD ?like_title=*12345*', '?like_title=*12345*', 'HEAD');
  await q('in_ ?in_n=1,2,3&_limit=10', '?in_n=1,2,3&_limit=10');
  await q('sort ?_sort=title&_limit=10', '?_sort=title&_limit=10');
  await q('sort, two keys ?_sort=-n,title&_limit=10', '?_sort=-n,title&_limit=10');
  if (wanted('3 Next-Page follows of ?n=5&_limit=10')) out['3 Next-Page follows of ?n=5&_limit=10'] = await time(async () => {
    let r = await get(coll, '?n=5&_limit=10');
    for (let i = 0; i < 3 && r.headers.get('next-page'); i++) {
      const next = new URL(r.headers.get('next-page'));
      r = await req(srv, 'GET', next.pathname.replace(/^\/v1/, '') + next.search, { auth: OWNER, timeout: 300000 });
    }
    return r;
  });
  await q('HEAD (Total-Records)', '', 'HEAD');
  await q('HEAD ?n=5', '?n=5', 'HEAD');
  await q('HEAD ?not_n=5', '?not_n=5', 'HEAD');
  await q('one record GET', `/r${String(Math.ceil(count / 2)).padStart(7, '0')}`);
  if (wanted('one POST')) out['one POST'] = await time(() =>
    req(srv, 'POST', `${path(coll)}/records`, { auth: OWNER, body: { data: { title: 'posted', n: 5, done: false } } }),
  );
  return out;
}

// Declares FIELDS and waits until the side table says they are ready; false when this build
// does not know indexed_fields.
async function declare(coll) {
  const known = await srv.query("SHOW TABLES LIKE 'indexed_fields'");
  if (!known.length) return false;
  const r = await req(srv, 'PATCH', path(coll), { auth: OWNER, body: { data: { indexed_fields: FIELDS } } });
  if (r.status !== 200) throw new Error(`declaring indexed_fields: ${r.status} ${r.text.slice(0, 300)}`);
  await new Promise((resolve, reject) =>
    execFile(srv.fcgi, ['reindex'], { env: { ...process.env, ...srv.env }, timeout: 3600000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`reindex: ${stderr || err.message}`)) : resolve(stdout),
    ),
  );
  for (let i = 0; i < 600; i++) {
    const [[pending]] = await srv.query(
      `SELECT COUNT(*) FROM indexed_fields WHERE parent_id LIKE '%/collections/${coll}' AND state <> 1`,
    );
    if (Number(pending) === 0) return true;
    await req(srv, 'GET', path(coll), { auth: OWNER }); // a read builds a slice too
  }
  throw new Error(`${coll}: indexed_fields not ready`);
}

try {
  await req(srv, 'PUT', '/buckets/big', { auth: OWNER, body: {} });
  const sizes = [
    ['small', SMALL],
    ['large', N],
  ];
  const results = [];
  for (const [coll, count] of sizes) {
    const lastTs = await load(coll, count);
    const plain = await measure(coll, count, lastTs);
    let declared = null;
    if (DECLARED && (await declare(coll))) {
      const [[ts]] = await srv.query(
        `SELECT last_modified FROM revisions WHERE parent_id LIKE '%/collections/${coll}' AND resource_name = 'record'`,
      );
      declared = await measure(coll, count, Number(ts));
    }
    results.push({ count, plain, declared });
  }
  const label = (n) => (n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}M` : n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n));
  const cols = results.flatMap((r) => [`${label(r.count)}`, `${label(r.count)} declared`]);
  console.log(`| query | ${cols.join(' | ')} |`);
  console.log(`|---|${cols.map(() => '---').join('|')}|`);
  for (const name of Object.keys(results[0].plain)) {
    const cells = results.flatMap((r) => [r.plain[name], r.declared ? r.declared[name] : 'n/a']);
    console.log(`| ${name} | ${cells.join(' | ')} |`);
  }
  const peak = Math.max(
    ...srv.workerPids().map((pid) => {
      const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) : 0;
    }),
  );
  console.log(`\nlargest worker peak RSS (VmHWM): ${(peak / 1024).toFixed(1)} MiB; median of ${RUNS} runs`);
} finally {
  await srv.stop();
}
