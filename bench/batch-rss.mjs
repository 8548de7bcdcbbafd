#!/usr/bin/env node
// bench/batch-rss.mjs [--batches N] [--size N] [--clients N] [--workers N] [--includes "..."]
//                     [--set key=value]...
//
// The workers' resident memory while they serve nothing but POST /batch of record creates
// (issue 9: workers grew to about 660 MiB each during a load of 1M records through /batch).
// Sends --batches batches (default 400) of --size creates (default 100) from --clients parallel
// clients (default 4) to --workers workers (default 2) with the plugins of `tools/cinto-dev
// serve` (history, changes, ...; --includes overrides), and prints the workers' VmRSS every
// tenth of the way and their peak (VmHWM) at the end, with the records' rate. --set adds an ini
// setting (repeatable), e.g. --set history.auto_trim_max_count=1000.
import fs from 'node:fs';
import { startServer, basic, req } from '../tests/http/lib/harness.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const BATCHES = Number(arg('--batches', 400));
const SIZE = Number(arg('--size', 100));
const CLIENTS = Number(arg('--clients', 4));
const WORKERS = Number(arg('--workers', 2));
const INCLUDES = arg('--includes',
  'kinto.plugins.default_bucket kinto.plugins.history kinto.plugins.flush kinto_changes kinto.plugins.counters');
const extra = {};
process.argv.forEach((a, i) => {
  if (a === '--set') {
    const [k, ...v] = process.argv[i + 1].split('=');
    extra[k.startsWith('kinto.') ? k : `kinto.${k}`] = v.join('=');
  }
});
const OWNER = basic('owner', 'secret');
const R = '/buckets/big/collections/c/records';

const kib = (pid, key) => {
  try {
    const m = new RegExp(`${key}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
};
const mib = (k) => (k / 1024).toFixed(1);

const srv = await startServer({
  workers: WORKERS,
  settings: { 'kinto.includes': INCLUDES, 'kinto.batch_max_requests': String(Math.max(25, SIZE)), ...extra },
});
try {
  await req(srv, 'PUT', '/buckets/big', { auth: OWNER, body: {} });
  await req(srv, 'PUT', '/buckets/big/collections/c', { auth: OWNER, body: {} });
  const pids = srv.workerPids();
  const show = (label) =>
    console.log(`${label.padEnd(14)} VmRSS ${pids.map((p) => mib(kib(p, 'VmRSS'))).join(' / ')} MiB`);
  show('start');
  let next = 0;
  let done = 0;
  const t0 = Date.now();
  const client = async () => {
    for (;;) {
      const b = next++;
      if (b >= BATCHES) return;
      const requests = [];
      for (let i = 0; i < SIZE; i++) {
        const n = b * SIZE + i;
        requests.push({ method: 'POST', path: R, body: { data: { title: `title ${n}`, n: n % 1000, done: n % 2 === 0, pad: 'x'.repeat(200) } } });
      }
      const r = await req(srv, 'POST', '/batch', { auth: OWNER, body: { requests }, timeout: 120000 });
      if (r.status !== 200) throw new Error(`batch ${b}: ${r.status} ${r.text.slice(0, 200)}`);
      done++;
      if (done % Math.max(1, Math.floor(BATCHES / 10)) === 0) show(`${done * SIZE} records`);
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  const s = (Date.now() - t0) / 1000;
  console.log(`${BATCHES * SIZE} records in ${s.toFixed(1)} s (${Math.round((BATCHES * SIZE) / s)}/s)`);
  console.log(`peak VmHWM ${pids.map((p) => mib(kib(p, 'VmHWM'))).join(' / ')} MiB`);
} finally {
  await srv.stop();
}
