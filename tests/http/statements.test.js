// What cinto asks of MariaDB per connection: one session-setup statement, each statement
// prepared once (its first execution prepares it in the same round trip), and no prepared
// statement left behind on the server when a first execution fails. Read from the global
// status counters of a MariaDB of this file's own, which nothing else uses.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, basic, req } from './lib/harness.js';
import { cgi } from './lib/cgi.js';
import { must } from './lib/expect.js';

let srv;
before(async () => {
  srv = await startServer({ workers: 1, privateDb: true });
});
after(async () => {
  await srv?.stop();
});

const ALICE = basic('alice', 'secret');
const NAMES = ['Com_set_option', 'Com_stmt_prepare', 'Com_stmt_execute', 'Prepared_stmt_count', 'Connections'];

async function status() {
  const rows = await srv.db.query(`SHOW GLOBAL STATUS WHERE Variable_name IN (${NAMES.map((n) => `'${n}'`).join(', ')})`);
  return Object.fromEntries(rows.map(([k, v]) => [k, Number(v)]));
}

// Counter changes around fn, minus what the status query itself adds (one connection).
async function delta(fn) {
  const a = await status();
  await fn();
  const b = await status();
  const d = {};
  for (const k of NAMES) d[k] = b[k] - a[k];
  d.Connections -= 1;
  return d;
}

test('CGI: one session-setup statement per connection, each statement prepared once and executed once', async () => {
  await must(req(srv, 'PUT', '/buckets/b', { auth: ALICE, body: {} }), 201);
  await must(req(srv, 'PUT', '/buckets/b/collections/c', { auth: ALICE, body: {} }), 201);
  await must(req(srv, 'PUT', '/buckets/b/collections/c/records/r', { auth: ALICE, body: { data: { n: 1 } } }), 201);
  const n = 3;
  const d = await delta(async () => {
    for (let i = 0; i < n; i++) {
      const r = await cgi(srv, 'GET', '/v1/buckets/b/collections/c/records/r', { env: { HTTP_AUTHORIZATION: ALICE } });
      assert.equal(r.status, 200, r.text);
    }
  });
  assert.equal(d.Connections, n, JSON.stringify(d));
  assert.equal(d.Com_set_option, n, `one SET per connection: ${JSON.stringify(d)}`);
  assert.ok(d.Com_stmt_prepare >= n, JSON.stringify(d));
  assert.equal(d.Com_stmt_prepare, d.Com_stmt_execute, `one execution per prepared statement: ${JSON.stringify(d)}`);
});

test('FastCGI: a worker reuses its prepared statements; a failing first execution leaves no prepared statement behind', async () => {
  const first = await must(req(srv, 'PUT', '/buckets/b/collections/c/records/t0', { auth: ALICE, body: { data: { last_modified: 1000 } } }), 201);
  const ts = first.json.data.last_modified;
  await srv.restartWorkers(); // a fresh connection: no statement prepared yet
  const d = await delta(async () => {
    for (let i = 0; i < 10; i++) {
      // the same client-forced timestamp as t0: the insert fails on its unique key (409)
      const r = await req(srv, 'PUT', `/buckets/b/collections/c/records/x${i}`, { auth: ALICE, body: { data: { last_modified: ts } } });
      assert.equal(r.status, 409, r.text);
    }
  });
  assert.ok(d.Prepared_stmt_count <= 4, `prepared statements left on the server: ${JSON.stringify(d)}`);
  const reads = await delta(async () => {
    for (let i = 0; i < 5; i++) await must(req(srv, 'GET', '/buckets/b/collections/c/records/t0', { auth: ALICE }), 200);
  });
  assert.ok(reads.Com_stmt_prepare <= 1, `reads reuse the prepared statement: ${JSON.stringify(reads)}`);
  assert.equal(reads.Com_stmt_execute, 5, JSON.stringify(reads));
  assert.equal(reads.Com_set_option, 0, JSON.stringify(reads));
});

// How many sorts MariaDB makes for one list read (Sort_scan + Sort_range: one per ORDER BY that
// no index gives). A pushed sort on an undeclared field sorts the whole list in each statement,
// so a read must not need more statements than the page: 10,050 records loaded with SQL.
async function sorts(fn) {
  const read = async () => {
    const rows = await srv.db.query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Sort_scan', 'Sort_range')");
    return rows.reduce((n, [, v]) => n + Number(v), 0);
  };
  const a = await read();
  await fn();
  return (await read()) - a;
}

test('a pushed sort sorts the list once: a 10,000-record page, and values that tie in SQL', async () => {
  const N = 10050;
  const R = '/buckets/b/collections/sorted/records';
  await must(req(srv, 'PUT', '/buckets/b', { auth: ALICE, body: {} }), [200, 201]);
  await must(req(srv, 'PUT', '/buckets/b/collections/sorted', { auth: ALICE, body: {} }), 201);
  await must(req(srv, 'PUT', `${R}/probe`, { auth: ALICE, body: { data: {} } }), 201);
  const [[parent, resource, lm]] = await srv.query("SELECT parent_id, resource_name, last_modified FROM objects WHERE id = 'probe' AND parent_id LIKE '%/sorted'");
  await srv.query(`DELETE FROM objects WHERE id = 'probe' AND parent_id = '${parent}'`);
  await srv.query(
    `INSERT INTO objects (parent_id, resource_name, id, last_modified, deleted, data)
     SELECT '${parent}', '${resource}', CONCAT('r', LPAD(seq, 6, '0')), ${Number(lm)} + seq, 0,
            JSON_OBJECT('title', CONCAT('t', LPAD((seq * 7919) % ${N}, 6, '0')), 'obj', JSON_OBJECT('k', seq % 5))
     FROM seq_1_to_${N}`,
  );
  await srv.query(`UPDATE revisions SET last_modified = ${Number(lm) + N} WHERE parent_id = '${parent}' AND resource_name = '${resource}'`);
  await srv.query(`DELETE FROM list_counts WHERE parent_id = '${parent}' AND resource_name = '${resource}'`);
  const base = await sorts(() => must(req(srv, 'GET', `${R}?_limit=10`, { auth: ALICE }), 200));

  let page;
  const big = await sorts(async () => {
    page = await must(req(srv, 'GET', `${R}?_sort=title&_limit=10000`, { auth: ALICE, timeout: 120000 }), 200);
  });
  assert.equal(page.json.data.length, 10000);
  assert.equal(page.json.data[9999].title, 't009999');
  assert.equal(big - base, 1, 'one statement for the whole page plus one');

  // Objects tie in MariaDB's order: after a first statement whose rows all tie, one pass in
  // last_modified order (no sort) instead of statements of growing size, each sorting again.
  const tied = await sorts(async () => {
    page = await must(req(srv, 'GET', `${R}?_sort=-obj,title&_limit=10`, { auth: ALICE, timeout: 120000 }), 200);
  });
  assert.deepEqual(page.json.data.map((o) => o.obj.k), Array(10).fill(4));
  const titles = page.json.data.map((o) => o.title);
  assert.deepEqual(titles, [...titles].sort());
  let least = Infinity;
  for (let seq = 4; seq <= N; seq += 5) least = Math.min(least, (seq * 7919) % N);
  assert.equal(titles[0], `t${String(least).padStart(6, '0')}`, 'the smallest title among obj.k = 4');
  assert.equal(tied - base, 1, 'one sorted statement, then an unsorted pass');
});
