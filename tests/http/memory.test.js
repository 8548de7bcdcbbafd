// Bounded worker memory (issue 9 item 5): a worker's resident memory stays under 64 MiB
// whatever the list query, for pages of up to 10,000 records of about 1 KiB. 50,000 such
// records go straight into MariaDB (one INSERT ... SELECT over the sequence engine: the API
// would take minutes), then one worker answers every filter kind, sorts, _limit=10000, HEAD
// counts, pagination and a bulk DELETE; its peak RSS (VmHWM, which the kernel keeps, so no
// short peak between two samples is missed) must stay under the bound. Plain pass only:
// memory under the sanitizers measures the sanitizers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer, basic, req } from './lib/harness.js';
import { must } from './lib/expect.js';

const SANITIZED = Boolean(process.env.CINTO_TEST_SANITIZE_ENV);
const N = Number(process.env.CINTO_MEMORY_RECORDS || 50000);
const BOUND_MIB = 64;
const OWNER = basic('memory-owner', 'secret');
const R = '/buckets/mem/collections/c/records';

let srv;
let pid;

const status = (key) => {
  const m = new RegExp(`${key}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
};

before(async () => {
  if (SANITIZED) return;
  // The time bounds have their own tests below; here a loaded CI machine must not turn a slow
  // answer into a 503.
  srv = await startServer({
    workers: 1,
    settings: {
      'kinto.storage_list_time_limit_seconds': '120',
      'kinto.storage_unindexed_sort_time_limit_seconds': '120',
    },
  });
  await must(req(srv, 'PUT', '/buckets/mem', { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'PUT', '/buckets/mem/collections/c', { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'PUT', `${R}/probe`, { auth: OWNER, body: { data: {} } }), 201);
  const [[parent, resource, lm]] = await srv.query(
    "SELECT parent_id, resource_name, last_modified FROM objects WHERE id = 'probe'",
  );
  await srv.query("DELETE FROM objects WHERE id = 'probe'");
  // Timestamps follow the probe's, unique and increasing; the list's revision row is raised
  // to the last one, as a write through the API would leave it.
  const base = Number(lm);
  await srv.query(
    `INSERT INTO objects (parent_id, resource_name, id, last_modified, deleted, data)
     SELECT '${parent}', '${resource}', CONCAT('r', LPAD(seq, 6, '0')), ${base} + seq, 0,
            JSON_OBJECT('title', CONCAT('title ', LPAD((seq * 7919) % ${N}, 6, '0')),
                        'n', seq % 1000, 'done', IF(seq % 2 = 1, true, false),
                        'tags', JSON_ARRAY(CONCAT('t', seq % 7), CONCAT('u', seq % 11)),
                        'meta', JSON_OBJECT('k', seq % 13),
                        'pad', REPEAT(MD5(seq), 28))
     FROM seq_1_to_${N}`,
  );
  await srv.query(
    `UPDATE revisions SET last_modified = ${base + N} WHERE parent_id = '${parent}' AND resource_name = '${resource}'`,
  );
  // The list's count row (sql/006) did not see rows loaded around the API: dropped, so the
  // first HEAD or write counts the list once again (README "What counts cost").
  await srv.query(`DELETE FROM list_counts WHERE parent_id = '${parent}' AND resource_name = '${resource}'`);
  [pid] = srv.workerPids();
  assert.ok(pid, 'the worker pid');
});

after(async () => {
  await srv?.stop();
});

const QUERIES = [
  '_limit=10000',
  'n=5',
  'n=5&_limit=10000',
  'eq_n=999&_limit=10',
  'in_n=1,2,3&_limit=10000',
  'not_n=5&_limit=10000',
  'exclude_n=1,2,3&_limit=10000',
  'lt_n=10&_limit=10000',
  'gt_n=990&_limit=10000',
  'min_n=500&max_n=505&_limit=10000',
  'like_title=*123*&_limit=10000',
  'like_pad=zzz&_limit=10',
  'has_meta.k=true&_limit=10000',
  'has_missing=true',
  'contains_tags=t3&_limit=10000',
  'contains_any_tags=%5B%22t1%22,%22u2%22%5D&_limit=10000',
  'done=true&_limit=10000',
  'meta.k=3&_limit=10000',
  'title=title%20000123',
  '_sort=title&_limit=10',
  '_sort=title&_limit=10000',
  '_sort=-n,title&_limit=10000',
  '_sort=id&_limit=10000',
  '_sort=last_modified&_limit=10000',
  '_sort=tags&_limit=100',
  '_sort=meta&_limit=10',
  'n=5&_sort=-title&_limit=10000',
  `_since=${0}&_limit=10000`,
  '_fields=title,n&_limit=10000',
];

test(`a worker answers lists of ${N} records of ~1 KiB within ${BOUND_MIB} MiB`, { skip: SANITIZED && 'memory under sanitizers means nothing' }, async () => {
  const seen = [];
  for (const q of QUERIES) {
    const t0 = Date.now();
    const r = await req(srv, 'GET', `${R}?${q}`, { auth: OWNER, timeout: 120000 });
    assert.ok(r.status === 200, `?${q}: ${r.status} ${String(r.text).slice(0, 300)}`);
    seen.push(`${q}: ${r.json.data.length} objects, ${Date.now() - t0} ms, RSS ${status('VmRSS').toFixed(1)} MiB`);
  }
  for (const q of ['', 'n=5', 'like_title=*12*', 'contains_tags=t3', 'not_n=5', 'has_meta.k=true']) {
    const r = await must(req(srv, 'HEAD', `${R}?${q}`, { auth: OWNER, timeout: 120000 }), 200);
    seen.push(`HEAD ?${q}: ${r.headers.get('total-records')}`);
  }
  const all = await must(req(srv, 'HEAD', R, { auth: OWNER }), 200);
  assert.equal(Number(all.headers.get('total-records')), N);
  // Pagination over the whole list, 10,000 at a time, with a C-only filter and a sort.
  for (const q of ['_limit=10000', 'not_n=5&_sort=title&_limit=10000']) {
    let r = await must(req(srv, 'GET', `${R}?${q}`, { auth: OWNER, timeout: 120000 }), 200);
    let count = r.json.data.length;
    for (let i = 0; r.headers.get('next-page') && i < 10; i++) {
      const next = new URL(r.headers.get('next-page'));
      r = await must(req(srv, 'GET', next.pathname.replace(/^\/v1/, '') + next.search, { auth: OWNER, timeout: 120000 }), 200);
      count += r.json.data.length;
    }
    assert.equal(count, q.startsWith('not_n') ? N - N / 1000 : N, `paged ?${q}`);
    seen.push(`paged ?${q}: ${count}, RSS ${status('VmRSS').toFixed(1)} MiB`);
  }
  // A bulk delete of up to 10,000 records in one transaction.
  const del = await must(req(srv, 'DELETE', `${R}?lt_n=100&_limit=10000`, { auth: OWNER, timeout: 120000 }), 200);
  assert.equal(del.json.data.length, N / 10);
  const peak = status('VmHWM');
  console.log(seen.join('\n'));
  console.log(`worker ${pid}: peak RSS (VmHWM) ${peak.toFixed(1)} MiB, now ${status('VmRSS').toFixed(1)} MiB`);
  assert.ok(peak < BOUND_MIB, `worker peak RSS ${peak.toFixed(1)} MiB >= ${BOUND_MIB} MiB`);
});

// A read past kinto.storage_list_time_limit_seconds ends with a 503 naming the fix, whether one
// statement (MariaDB's max_statement_time) or a C scan of several statements runs too long.
test('a list read past the time limit answers 503 naming indexed_fields', { skip: SANITIZED && 'shares the large load of the memory test' }, async () => {
  const slow = await startServer({
    workers: 1,
    settings: { 'kinto.storage_url': srv.settings['kinto.storage_url'], 'kinto.storage_list_time_limit_seconds': '0.001' },
  });
  try {
    for (const q of ['_sort=title&_limit=10', 'not_n=5&_sort=-n', 'not_n=5&_sort=last_modified,meta.k']) {
      const r = await req(slow, 'GET', `${R}?${q}`, { auth: OWNER, timeout: 120000 });
      assert.equal(r.status, 503, `?${q}: ${r.text.slice(0, 300)}`);
      assert.equal(r.json.errno, 201);
      assert.match(r.json.message, /kinto\.storage_list_time_limit_seconds .*"indexed_fields"/);
    }
    const head = await req(slow, 'HEAD', `${R}?not_n=5`, { auth: OWNER, timeout: 120000 });
    assert.equal(head.status, 503);
  } finally {
    await slow.stop();
  }
});

// A sort on a record field that no ready index orders reads every row before the first can be
// sent: kinto.storage_unindexed_sort_time_limit_seconds bounds it (2 s by default, below the
// list bound) and its 503 names the field's declaration. Sorts on id or last_modified, and on
// a declared field, are not such reads and answer.
test('a sort on an undeclared field past its own bound answers 503 naming indexed_fields', { skip: SANITIZED && 'shares the large load of the memory test' }, async () => {
  const D = '/buckets/mem/collections/declared';
  await must(req(srv, 'PUT', D, { auth: OWNER, body: { data: { indexed_fields: ['title'] } } }), 201);
  for (const t of ['b', 'a', 'c']) await must(req(srv, 'POST', `${D}/records`, { auth: OWNER, body: { data: { title: t } } }), 201);
  const slow = await startServer({
    workers: 1,
    settings: {
      'kinto.storage_url': srv.settings['kinto.storage_url'],
      'kinto.storage_unindexed_sort_time_limit_seconds': '0.001',
    },
  });
  try {
    for (const q of ['_sort=title&_limit=10', '_sort=-n,title&_limit=10', 'done=true&_sort=meta.k', 'not_n=5&_sort=tags']) {
      const r = await req(slow, 'GET', `${R}?${q}`, { auth: OWNER, timeout: 120000 });
      assert.equal(r.status, 503, `?${q}: ${r.text.slice(0, 300)}`);
      assert.equal(r.json.errno, 201);
      assert.ok(r.headers.get('retry-after'), `?${q}: Retry-After`);
      assert.match(r.json.message, /sorts on a record field .*"indexed_fields".*kinto\.storage_unindexed_sort_time_limit_seconds \(0\.001 s\)/);
    }
    // Columns with indexes: under the list bound only.
    for (const q of ['_sort=id&_limit=10', '_sort=-last_modified&_limit=10', 'n=5&_sort=last_modified,title&_limit=3']) {
      const r = await req(slow, 'GET', `${R}?${q}`, { auth: OWNER, timeout: 120000 });
      assert.equal(r.status, 200, `?${q}: ${r.text.slice(0, 300)}`);
    }
    // A declared field's index gives the order.
    const r = await must(req(slow, 'GET', `${D}/records?_sort=-title`, { auth: OWNER }), 200);
    assert.deepEqual(r.json.data.map((o) => o.title), ['c', 'b', 'a']);
  } finally {
    await slow.stop();
  }
});
