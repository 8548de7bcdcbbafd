#!/usr/bin/env node
// bench/large.mjs [--records N] [--runs N] [--time-limit S] [--declare]
//
// List queries on one collection of N records (default 100000) of the shape
// {"title": "title 012345", "n": i % 1000, "done": bool}, loaded straight into MariaDB with
// one INSERT ... SELECT over MariaDB's sequence engine (seq_1_to_N), which takes seconds where
// the API's batch endpoint would take minutes on a shared machine. The requests go through
// lighttpd + two cinto.fcgi workers as usual, on a private MariaDB. Prints, per query, the
// median and max wall time over --runs, and the largest peak RSS (VmHWM) of the workers at the
// end. To compare two builds, run it once per binary: CINTO_TEST_FCGI=/path/to/cinto.fcgi.
// --time-limit sets kinto.storage_list_time_limit_seconds (default: cinto's default).
// --declare then declares "indexed_fields": ["title", "n", "done"] on the collection, builds
// the side table with `cinto.fcgi reindex` (timed) and runs the same queries again.
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fcgiPath } from '../tests/http/lib/harness.js';
import { startServer, basic, req } from '../tests/http/lib/harness.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const N = Number(arg('--records', 100000));
const RUNS = Number(arg('--runs', 5));
const LIMIT = arg('--time-limit', null);
const OWNER = basic('owner', 'secret');
const R = '/buckets/big/collections/c/records';

const settings = LIMIT === null ? {} : { 'kinto.storage_list_time_limit_seconds': LIMIT };
const srv = await startServer({ workers: 2, privateDb: true, settings });
try {
  await req(srv, 'PUT', '/buckets/big', { auth: OWNER, body: {} });
  await req(srv, 'PUT', '/buckets/big/collections/c', { auth: OWNER, body: {} });
  const probe = await req(srv, 'PUT', `${R}/probe`, { auth: OWNER, body: { data: {} } });
  if (probe.status !== 201) throw new Error(`probe record: ${probe.status}`);
  const [[parent, resource]] = await srv.query("SELECT parent_id, resource_name FROM objects WHERE id = 'probe'");
  const base = Date.now() - 10 * N - 1000000;
  await srv.query("DELETE FROM objects WHERE id = 'probe'");
  const t0 = Date.now();
  await srv.query(
    `INSERT INTO objects (parent_id, resource_name, id, last_modified, deleted, data)
     SELECT '${parent}', '${resource}', CONCAT('r', seq), ${base} + seq, 0,
            JSON_OBJECT('title', CONCAT('title ', LPAD((seq * 7919) % ${N}, 6, '0')),
                        'n', seq % 1000, 'done', IF(seq % 2 = 1, true, false))
     FROM seq_1_to_${N}`,
  );
  console.log(`loaded ${N} records in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const time = async (method, qs) => {
    const times = [];
    let status = 0;
    let note = '';
    for (let i = 0; i < RUNS; i++) {
      const s = process.hrtime.bigint();
      const r = await req(srv, method, `${R}${qs}`, { auth: OWNER, timeout: 300000 });
      times.push(Number(process.hrtime.bigint() - s) / 1e6);
      status = r.status;
      if (method === 'HEAD') note = `Total-Records ${r.headers.get('total-records')}`;
      else if (r.json?.data) note = `${r.json.data.length} objects`;
      else if (r.json?.message) note = r.json.message.slice(0, 60);
    }
    times.sort((a, b) => a - b);
    const med = times[Math.floor(times.length / 2)];
    console.log(`${(method + ' ' + qs).padEnd(40)} ${String(status).padEnd(4)} median ${med.toFixed(1).padStart(9)} ms  max ${times.at(-1).toFixed(1).padStart(9)} ms  ${note}`);
  };
  const queries = async () => {
    await time('GET', '?_limit=10');
    await time('GET', '?n=5&_limit=10');
    await time('GET', '?n=999&_limit=10');
    await time('GET', '?in_n=1,2,3&_limit=10');
    await time('GET', '?gt_n=995&_limit=10');
    await time('GET', '?title=title%20012345');
    await time('GET', '?like_title=*12345*&_limit=10');
    await time('GET', '?_sort=title&_limit=10');
    await time('GET', '?_sort=-n,title&_limit=10');
    await time('HEAD', '');
    await time('HEAD', '?n=5');
    await time('HEAD', '?done=true');
  };
  await queries();
  if (process.argv.includes('--declare')) {
    await req(srv, 'PATCH', '/buckets/big/collections/c', { auth: OWNER, body: { data: { indexed_fields: ['title', 'n', 'done'] } } });
    const t1 = Date.now();
    execFileSync(fcgiPath(), ['reindex'], { env: { ...process.env, ...srv.env }, stdio: ['ignore', 'ignore', 'inherit'] });
    console.log(`declared title, n, done: reindex took ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    await queries();
  }
  const peak = Math.max(...srv.workerPids().map((pid) => {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  }));
  console.log(`largest worker peak RSS (VmHWM): ${(peak / 1024).toFixed(1)} MiB`);
} finally {
  await srv.stop();
}
