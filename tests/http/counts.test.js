// Counts without scans (issue 9 item 3): HEAD on an unfiltered list answers Total-Records from
// the list's row of list_counts (sql/006-list-counts.sql), which every write keeps in its own
// transaction. These tests check the header against COUNT(*) of the stored rows after creates,
// revivals, deletes, plural deletes, cascades (which also purge tombstones), a batch, the flush,
// history trimming, concurrent writers, lists that have no count row yet (made before the
// migration), and a random workload over many lists; filtered HEADs still count in SQL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, basic, req } from './lib/harness.js';
import { must } from './lib/expect.js';

const RUN = (Date.now() % 1e9).toString(36) + Math.random().toString(36).slice(2, 6);
const OWNER = basic(`owner-${RUN}`, 'secret');

let srv;
before(async () => {
  srv = await startServer({
    workers: 4,
    settings: {
      'kinto.includes': 'kinto.plugins.flush kinto.plugins.history',
      'kinto.history.auto_trim_max_count': '5',
      'kinto.history.auto_trim_threshold': '2',
    },
  });
});
after(async () => { await srv?.stop(); });

const sq = (s) => `'${String(s).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

async function head(path) {
  const r = await must(req(srv, 'HEAD', path, { auth: OWNER }), 200);
  assert.equal(r.headers.get('total-records'), r.headers.get('total-objects'));
  return Number(r.headers.get('total-records'));
}

// Live rows of the list as stored, and its count row (undefined when none).
async function stored(parent, resource) {
  const [[n]] = await srv.query(
    `SELECT COUNT(*) FROM objects WHERE parent_id = ${sq(parent)} AND resource_name = ${sq(resource)} AND deleted = 0`);
  const row = await srv.query(
    `SELECT live FROM list_counts WHERE parent_id = ${sq(parent)} AND resource_name = ${sq(resource)}`);
  return { count: Number(n), row: row.length ? Number(row[0][0]) : undefined };
}

// HEAD on the record list equals the stored count, and the count row agrees.
async function checkRecords(bucket, coll, expected) {
  const parent = `/buckets/${bucket}/collections/${coll}`;
  const n = await head(`${parent}/records`);
  const s = await stored(parent, 'record');
  assert.equal(n, s.count, `HEAD ${parent}/records`);
  assert.equal(s.row, s.count, `count row of ${parent}`);
  if (expected !== undefined) assert.equal(n, expected);
  return n;
}

async function mkColl(bucket, coll) {
  await must(req(srv, 'PUT', `/buckets/${bucket}`, { auth: OWNER, body: {} }), [200, 201]);
  await must(req(srv, 'PUT', `/buckets/${bucket}/collections/${coll}`, { auth: OWNER, body: {} }), [200, 201]);
}

// Every count row agrees with COUNT(*) of its list, and no list with live rows lacks one
// that a HEAD would trust wrongly (a list without a row is counted when read).
async function allRowsExact() {
  const bad = await srv.query(
    `SELECT l.parent_id, l.resource_name, l.live, COUNT(o.id) FROM list_counts l
       LEFT JOIN objects o ON o.parent_id = l.parent_id AND o.resource_name = l.resource_name AND o.deleted = 0
      GROUP BY l.parent_id, l.resource_name, l.live HAVING l.live <> COUNT(o.id)`);
  assert.deepEqual(bad, [], 'count rows that differ from COUNT(*)');
}

test('COUNT-1 creates, updates, deletes and a revived tombstone move the count exactly', async () => {
  const b = `b1${RUN}`;
  await mkColl(b, 'c');
  const R = `/buckets/${b}/collections/c/records`;
  await checkRecords(b, 'c', 0);
  for (let i = 0; i < 7; i++) await must(req(srv, 'POST', R, { auth: OWNER, body: { data: { i } } }), 201);
  await must(req(srv, 'PUT', `${R}/fixed`, { auth: OWNER, body: { data: { i: 99 } } }), 201);
  await checkRecords(b, 'c', 8);
  // updates (PUT, PATCH) change nothing
  await must(req(srv, 'PUT', `${R}/fixed`, { auth: OWNER, body: { data: { i: 100 } } }), 200);
  await must(req(srv, 'PATCH', `${R}/fixed`, { auth: OWNER, body: { data: { j: 1 } } }), 200);
  await checkRecords(b, 'c', 8);
  await must(req(srv, 'DELETE', `${R}/fixed`, { auth: OWNER }), 200);
  await checkRecords(b, 'c', 7);
  // deleting it again is a 404 and changes nothing
  await must(req(srv, 'DELETE', `${R}/fixed`, { auth: OWNER }), 404);
  await checkRecords(b, 'c', 7);
  // re-created over its tombstone (PUT, then POST with the id of another tombstone)
  await must(req(srv, 'PUT', `${R}/fixed`, { auth: OWNER, body: { data: { i: 1 } } }), 201);
  await must(req(srv, 'PUT', `${R}/other`, { auth: OWNER, body: { data: {} } }), 201);
  await must(req(srv, 'DELETE', `${R}/other`, { auth: OWNER }), 200);
  await must(req(srv, 'POST', R, { auth: OWNER, body: { data: { id: 'other' } } }), 201);
  await checkRecords(b, 'c', 9);
  // a POST of an existing id answers 200 and counts nothing
  await must(req(srv, 'POST', R, { auth: OWNER, body: { data: { id: 'other' } } }), 200);
  await checkRecords(b, 'c', 9);
  // collections and groups lists too
  await must(req(srv, 'PUT', `/buckets/${b}/collections/d`, { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'PUT', `/buckets/${b}/groups/g`, { auth: OWNER, body: { data: { members: [] } } }), 201);
  assert.equal(await head(`/buckets/${b}/collections`), 2);
  assert.equal(await head(`/buckets/${b}/groups`), 1);
  await must(req(srv, 'DELETE', `/buckets/${b}/groups/g`, { auth: OWNER }), 200);
  assert.equal(await head(`/buckets/${b}/groups`), 0);
  await allRowsExact();
});

test('COUNT-2 filtered HEADs still count the matching objects; tombstones never count', async () => {
  const b = `b2${RUN}`;
  await mkColl(b, 'c');
  const R = `/buckets/${b}/collections/c/records`;
  for (let i = 0; i < 10; i++) await must(req(srv, 'PUT', `${R}/r${i}`, { auth: OWNER, body: { data: { n: i % 3 } } }), 201);
  await must(req(srv, 'DELETE', `${R}/r0`, { auth: OWNER }), 200);
  assert.equal(await head(`${R}?n=0`), 3);
  assert.equal(await head(`${R}?_since=0`), 9);
  assert.equal(await head(`${R}?in_id=r0,r1,r2`), 2);
  assert.equal(await head(`${R}?_limit=2&_sort=n`), 9, '_limit and _sort do not change the count');
  await checkRecords(b, 'c', 9);
});

test('COUNT-3 plural deletes, filtered and paged, and a batch keep the count exact', async () => {
  const b = `b3${RUN}`;
  await mkColl(b, 'c');
  const R = `/buckets/${b}/collections/c/records`;
  const batch = (n, off) => ({
    defaults: { method: 'POST', path: R },
    requests: Array.from({ length: n }, (_, i) => ({ body: { data: { n: (off + i) % 4 } } })),
  });
  const r = await must(req(srv, 'POST', '/batch', { auth: OWNER, body: batch(25, 0) }), 200);
  assert.ok(r.json.responses.every((x) => x.status === 201));
  await must(req(srv, 'POST', '/batch', { auth: OWNER, body: batch(15, 25) }), 200);
  await checkRecords(b, 'c', 40);
  // a batch mixing deletes of existing and missing records: only the real ones count
  const list = (await must(req(srv, 'GET', `${R}?_limit=3`, { auth: OWNER }), 200)).json.data;
  await must(req(srv, 'POST', '/batch', {
    auth: OWNER,
    body: { requests: [...list.map((o) => ({ method: 'DELETE', path: `${R}/${o.id}` })), { method: 'DELETE', path: `${R}/nope` }] },
  }), 200);
  await checkRecords(b, 'c', 37);
  // filtered plural delete
  const del = await must(req(srv, 'DELETE', `${R}?n=1`, { auth: OWNER }), 200);
  await checkRecords(b, 'c', 37 - del.json.data.length);
  // paged plural delete: follow Next-Page until done
  let url = `${R}?n=2&_limit=3`;
  let pages = 0;
  while (url) {
    const page = await must(req(srv, 'DELETE', url, { auth: OWNER }), 200);
    url = page.headers.get('next-page');
    pages++;
    await checkRecords(b, 'c');
  }
  assert.ok(pages > 1);
  assert.equal(await head(`${R}?n=2`), 0);
  await must(req(srv, 'DELETE', R, { auth: OWNER }), 200);
  await checkRecords(b, 'c', 0);
  await allRowsExact();
});

test('COUNT-4 cascades: a deleted collection or bucket takes its lists along; re-created lists count from zero', async () => {
  const b = `b4${RUN}`;
  await mkColl(b, 'c');
  await must(req(srv, 'PUT', `/buckets/${b}/collections/keep`, { auth: OWNER, body: {} }), 201);
  const R = `/buckets/${b}/collections/c/records`;
  for (let i = 0; i < 5; i++) await must(req(srv, 'PUT', `${R}/r${i}`, { auth: OWNER, body: { data: {} } }), 201);
  await must(req(srv, 'DELETE', `${R}/r4`, { auth: OWNER }), 200); // a tombstone the cascade purges
  await must(req(srv, 'PUT', `/buckets/${b}/collections/keep/records/k`, { auth: OWNER, body: { data: {} } }), 201);
  await checkRecords(b, 'c', 4);
  assert.equal(await head(`/buckets/${b}/collections`), 2);
  await must(req(srv, 'DELETE', `/buckets/${b}/collections/c`, { auth: OWNER }), 200);
  assert.equal(await head(`/buckets/${b}/collections`), 1);
  await must(req(srv, 'PUT', `/buckets/${b}/collections/c`, { auth: OWNER, body: {} }), 201);
  await checkRecords(b, 'c', 0);
  await must(req(srv, 'PUT', `${R}/again`, { auth: OWNER, body: { data: {} } }), 201);
  await checkRecords(b, 'c', 1);
  await checkRecords(b, 'keep', 1);
  // the whole bucket
  await must(req(srv, 'DELETE', `/buckets/${b}`, { auth: OWNER }), 200);
  await mkColl(b, 'keep');
  await checkRecords(b, 'keep', 0);
  assert.equal(await head(`/buckets/${b}/collections`), 1);
  await allRowsExact();
});

test('COUNT-5 a list without a count row (made before the migration) is counted once, then kept', async () => {
  const b = `b5${RUN}`;
  await mkColl(b, 'c');
  const parent = `/buckets/${b}/collections/c`;
  const R = `${parent}/records`;
  for (let i = 0; i < 6; i++) await must(req(srv, 'PUT', `${R}/r${i}`, { auth: OWNER, body: { data: {} } }), 201);
  const drop = () => srv.query(`DELETE FROM list_counts WHERE parent_id = ${sq(parent)} AND resource_name = 'record'`);
  // read first: HEAD counts and keeps the row
  await drop();
  assert.equal((await stored(parent, 'record')).row, undefined);
  assert.equal(await head(R), 6);
  assert.equal((await stored(parent, 'record')).row, 6);
  // the row is what HEAD reads: a wrong row shows (this is how we know COUNT is not run)
  await srv.query(`UPDATE list_counts SET live = 1000 WHERE parent_id = ${sq(parent)} AND resource_name = 'record'`);
  assert.equal(await head(R), 1000);
  // written first: the write counts the list (its own object included)
  await drop();
  await must(req(srv, 'DELETE', `${R}/r0`, { auth: OWNER }), 200);
  await checkRecords(b, 'c', 5);
  await drop();
  await must(req(srv, 'PUT', `${R}/new`, { auth: OWNER, body: { data: {} } }), 201);
  await checkRecords(b, 'c', 6);
});

test('COUNT-6 the flush empties the counts with everything else', async () => {
  const b = `b6${RUN}`;
  await mkColl(b, 'c');
  await must(req(srv, 'PUT', `/buckets/${b}/collections/c/records/r`, { auth: OWNER, body: { data: {} } }), 201);
  await checkRecords(b, 'c', 1);
  await must(req(srv, 'POST', '/__flush__'), 202);
  assert.deepEqual(await srv.query('SELECT COUNT(*) FROM list_counts'), [['0']]);
  await mkColl(b, 'c');
  await checkRecords(b, 'c', 0);
  await must(req(srv, 'PUT', `/buckets/${b}/collections/c/records/r`, { auth: OWNER, body: { data: {} } }), 201);
  await checkRecords(b, 'c', 1);
});

test('COUNT-7 history entries and their trimming keep the history list count exact', async () => {
  const b = `b7${RUN}`;
  await mkColl(b, 'c');
  for (let i = 0; i < 20; i++)
    await must(req(srv, 'PUT', `/buckets/${b}/collections/c/records/r${i % 4}`, { auth: OWNER, body: { data: { i } } }), [200, 201]);
  const s = await stored(`/buckets/${b}`, 'history');
  assert.ok(s.count > 0);
  assert.equal(s.row, s.count);
  await allRowsExact();
});

test('COUNT-8 concurrent writers on one list: the count ends equal to COUNT(*)', async () => {
  const b = `b8${RUN}`;
  await mkColl(b, 'c');
  const R = `/buckets/${b}/collections/c/records`;
  const writer = async (w) => {
    for (let i = 0; i < 15; i++) {
      const id = `w${w}-${i % 6}`;
      const r = i % 3 === 2 ? await req(srv, 'DELETE', `${R}/${id}`, { auth: OWNER })
        : await req(srv, 'PUT', `${R}/${id}`, { auth: OWNER, body: { data: { w, i } } });
      assert.ok([200, 201, 404].includes(r.status), `${r.status} ${r.text}`);
    }
    await req(srv, 'DELETE', `${R}?_limit=2`, { auth: OWNER });
    await req(srv, 'POST', '/batch', {
      auth: OWNER,
      body: { defaults: { method: 'POST', path: R }, requests: [{ body: { data: { w } } }, { body: { data: { w } } }] },
    });
  };
  await Promise.all(Array.from({ length: 8 }, (_, w) => writer(w)));
  await checkRecords(b, 'c');
  await allRowsExact();
});

test('COUNT-9 a random workload over many lists: every HEAD equals COUNT(*)', async () => {
  const b = `b9${RUN}`;
  let seed = 12345;
  const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const colls = ['c0', 'c1', 'c2'];
  for (const c of colls) await mkColl(b, c);
  for (let step = 0; step < 150; step++) {
    const c = colls[rnd(colls.length)];
    const R = `/buckets/${b}/collections/${c}/records`;
    const id = `r${rnd(12)}`;
    switch (rnd(8)) {
      case 0: case 1: case 2:
        await must(req(srv, 'PUT', `${R}/${id}`, { auth: OWNER, body: { data: { v: rnd(3) } } }), [200, 201]);
        break;
      case 3:
        await must(req(srv, 'POST', R, { auth: OWNER, body: { data: { v: rnd(3) } } }), 201);
        break;
      case 4: case 5:
        await must(req(srv, 'DELETE', `${R}/${id}`, { auth: OWNER }), [200, 404]);
        break;
      case 6:
        await must(req(srv, 'DELETE', `${R}?v=${rnd(3)}&_limit=2`, { auth: OWNER }), 200);
        break;
      default:
        if (rnd(10) === 0) {
          await must(req(srv, 'DELETE', `/buckets/${b}/collections/${c}`, { auth: OWNER }), 200);
          await must(req(srv, 'PUT', `/buckets/${b}/collections/${c}`, { auth: OWNER, body: {} }), 201);
        } else {
          await must(req(srv, 'PATCH', `${R}/${id}`, { auth: OWNER, body: { data: { p: 1 } } }), [200, 404]);
        }
    }
  }
  for (const c of colls) await checkRecords(b, c);
  assert.equal(await head(`/buckets/${b}/collections`), colls.length);
  await allRowsExact();
});
