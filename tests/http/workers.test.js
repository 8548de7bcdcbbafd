// Long-running workers (issue #8): kinto.worker_max_requests recycles a worker after its quota
// without dropping a request, workers stop cleanly on SIGTERM (so a sanitizer build's leak check
// reports on them), and filtered lists longer than one storage read are answered whole.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer, basic, req, sleep } from './lib/harness.js';
import { must } from './lib/expect.js';

const OWNER = basic('workers-owner', 'secret');
let srv;

before(async () => {
  srv = await startServer({ workers: 2, settings: { 'kinto.worker_max_requests': 25 } });
  await must(req(srv, 'PUT', '/buckets/w', { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'PUT', '/buckets/w/collections/c', { auth: OWNER, body: {} }), 201);
});
after(async () => {
  await srv?.stop();
});

const fdCount = (pid) => {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
};

test('WRK-1 kinto.worker_max_requests: workers restart afresh after their quota and every request is answered', async () => {
  const pids = srv.workerPids();
  const fds = pids.map(fdCount);
  const logBefore = srv.readErrorLog().length;
  const statuses = new Map();
  // 4 concurrent clients, 200 requests: each worker reaches its quota several times
  await Promise.all(
    [0, 1, 2, 3].map(async (c) => {
      for (let i = 0; i < 50; i++) {
        const r = await req(srv, 'POST', '/buckets/w/collections/c/records', { auth: OWNER, body: { data: { c, i } } });
        statuses.set(r.status, (statuses.get(r.status) || 0) + 1);
      }
    }),
  );
  assert.deepEqual([...statuses], [[201, 200]], 'every create answered 201');
  const restarts = srv.readErrorLog().slice(logBefore).match(/served \d+ requests \(kinto\.worker_max_requests\); starting afresh/g) || [];
  assert.ok(restarts.length >= 4, `workers restarted (${restarts.length} times)`);
  // the same processes (the listening socket survives exec), no descriptor left behind
  await must(req(srv, 'GET', '/buckets/w', { auth: OWNER }), 200);
  assert.deepEqual(srv.workerPids().sort(), pids.slice().sort());
  // (one more at most: a connection to MariaDB or to lighttpd open at the moment of reading)
  const after = pids.map(fdCount);
  assert.ok(after.every((n) => n <= Math.max(...fds) + 1), `descriptors ${fds} before, ${after} after`);
});

test('WRK-2 a worker stopped with SIGTERM between requests exits at once and is replaced', async () => {
  const old = srv.workerPids();
  await srv.restartWorkers({ signal: 'SIGTERM' });
  const now = srv.workerPids();
  assert.ok(now.every((p) => !old.includes(p)));
  await must(req(srv, 'GET', '/buckets/w', { auth: OWNER }), 200);
});

test('WRK-3 filtered lists longer than one storage read: every match, in order, paged and counted', async () => {
  const R = '/buckets/w/collections/f/records';
  await must(req(srv, 'PUT', '/buckets/w/collections/f', { auth: OWNER, body: {} }), 201);
  const N = 1300; // more than two storage reads of 500
  for (let s = 0; s < N; s += 25) {
    const requests = [];
    for (let i = s; i < Math.min(N, s + 25); i++)
      requests.push({ method: 'PUT', path: `/v1${R}/r${i}`, body: { data: { i, odd: i % 7 === 3 } } });
    const b = await must(req(srv, 'POST', '/batch', { auth: OWNER, body: { requests } }), 200);
    assert.ok(b.json.responses.every((x) => x.status === 201));
  }
  const want = [];
  for (let i = N - 1; i >= 0; i--) if (i % 7 === 3) want.push(i);
  // newest first (default order), pages of 40 followed through Next-Page
  const got = [];
  let url = `${R}?odd=true&_limit=40`;
  while (url) {
    const r = await must(req(srv, 'GET', url, { auth: OWNER }), 200);
    got.push(...r.json.data.map((o) => o.i));
    url = r.headers.get('next-page');
  }
  assert.deepEqual(got, want);
  // ascending, one page
  const asc = await must(req(srv, 'GET', `${R}?odd=true&_sort=last_modified&_limit=1000`, { auth: OWNER }), 200);
  assert.deepEqual(asc.json.data.map((o) => o.i), want.slice().reverse());
  // a filter matching only the oldest record: found after scanning the whole list
  const oldest = await must(req(srv, 'GET', `${R}?i=0`, { auth: OWNER }), 200);
  assert.deepEqual(oldest.json.data.map((o) => o.id), ['r0']);
  const head = await must(req(srv, 'HEAD', `${R}?odd=true`, { auth: OWNER }), 200);
  assert.equal(head.headers.get('total-objects'), String(want.length));
  await sleep(0);
});
