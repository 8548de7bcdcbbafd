#!/usr/bin/env node
// bench/permissions.mjs [--records N] [--runs N] [--shared-of N] [--shared N]
//
// GET /permissions on a bucket of N records (default 20000) shared record by record: alice
// holds `read` on each record through its own ACL (and the owner `write`, as the creator rule
// gives). The rows are inserted with SQL (the API would take minutes on a shared machine); the
// requests go through lighttpd + cinto.fcgi as usual, on a private MariaDB so that the
// server's statement counter (Com_stmt_execute) counts this bench's statements only.
// Prints, per request form, the median and max wall time over --runs, the statements the
// request executed and the worker's peak RSS during that form (VmHWM, reset before each form
// through /proc/PID/clear_refs where allowed; otherwise the peak so far, marked with '*'). Needs a build (tools/cinto-dev build) and CINTO_TEST_FCGI or build/.
//
// Then shared records (spec 04 §4.7): a collection of --shared-of records (default 100000) of
// which --shared (default 10000, every tenth) are shared with alice by a record-level `read`;
// alice has no permission on the collection, so her list reads join her ACL rows. Timed the same
// way: first page, a later page, a filter, a sort on a data field, HEAD. 0 skips it.
import fs from 'node:fs';
import { startServer, basic, req } from '../tests/http/lib/harness.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('--records', 20000);
const RUNS = arg('--runs', 15);
const SHARED_OF = arg('--shared-of', 100000);
const SHARED = Math.min(arg('--shared', 10000), SHARED_OF);

const OWNER = basic('owner', 'secret');
const ALICE = basic('alice', 'secret');

const srv = await startServer({
  workers: 1,
  privateDb: true,
  settings: { 'kinto.experimental_permissions_endpoint': 'true' },
});
try {
  const id = async (auth) => (await req(srv, 'GET', '/', { auth })).json.user.id;
  const [owner, alice] = [await id(OWNER), await id(ALICE)];
  await req(srv, 'PUT', '/buckets/b', { auth: OWNER });
  await req(srv, 'PUT', '/buckets/b/collections/c', { auth: OWNER });
  const db = (sql) => srv.query(sql);
  const t0 = Date.now();
  await db(
    `INSERT INTO objects (parent_id, resource_name, id, last_modified, deleted, data)
       SELECT '/buckets/b/collections/c', 'record', CONCAT('r', LPAD(seq, 6, '0')),
              1700000000000 + seq, 0, '{}' FROM seq_1_to_${N};
     INSERT INTO acl (object_uri, permission, principal)
       SELECT CONCAT('/buckets/b/collections/c/records/r', LPAD(seq, 6, '0')), 'read', '${alice}'
         FROM seq_1_to_${N};
     INSERT INTO acl (object_uri, permission, principal)
       SELECT CONCAT('/buckets/b/collections/c/records/r', LPAD(seq, 6, '0')), 'write', '${owner}'
         FROM seq_1_to_${N};`,
  );
  console.log(`filled ${N} records and ${2 * N} ACL rows in ${Date.now() - t0} ms`);

  // The worker's peak resident memory (MiB); resetPeak() starts a new peak when the kernel lets us.
  const [pid] = srv.workerPids();
  const hwm = () => {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  };
  const resetPeak = () => {
    try {
      fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
      return true;
    } catch {
      return false;
    }
  };
  const statements = async () => {
    const rows = await srv.db.query("SHOW GLOBAL STATUS LIKE 'Com_stmt_execute'");
    return Number(rows[0][1]);
  };
  // Follows Next-Page to the page `pages` after the first (a late page of the list).
  const nth = async (url, auth, pages) => {
    for (let i = 0; i < pages; i++) {
      const r = await req(srv, "GET", url, { auth });
      if (r.status !== 200 || !r.headers.get("next-page")) throw new Error(`page ${i}: ${r.status} ${r.text.slice(0, 300)}`);
      url = r.headers.get("next-page");
    }
    return url;
  };
  const forms = [
    ['alice, first page of 100 (SQL: -uri, LIMIT)', 'GET', '/permissions?_limit=100', ALICE],
    [`alice, page ${Math.floor(N / 133)} of ${Math.ceil(N / 100)} (SQL: _token position)`, 'GET', await nth('/permissions?_limit=100', ALICE, Math.floor(N / 133)), ALICE],
    ['alice, Kinto Admin sidebar (exclude_resource_name=record,group)', 'GET', '/permissions?exclude_resource_name=record%2Cgroup', ALICE],
    ['alice, HEAD count (SQL COUNT)', 'HEAD', '/permissions', ALICE],
    ['alice, whole list (10000 per page, storage_max_fetch_size)', 'GET', '/permissions', ALICE],
    ['alice, _sort=id&_limit=100 (kinto-http, kinto.js; SQL)', 'GET', '/permissions?_sort=id&_limit=100', ALICE],
    ['alice, Kinto Admin as sent: exclude_resource_name=record,group&_sort=id', 'GET', '/permissions?exclude_resource_name=record%2Cgroup&_sort=id', ALICE],
    ['alice, _sort=-collection_id,id (two keys: sort in C)', 'GET', '/permissions?_sort=-collection_id,id&_limit=100', ALICE],
    ['alice, contains_permissions=read&_limit=100 (filter in C)', 'GET', '/permissions?contains_permissions=read&_limit=100', ALICE],
    ['alice, contains_permissions=read&_sort=id,-uri,record_id (both in C)', 'GET', '/permissions?contains_permissions=read&_sort=id,-uri,record_id&_limit=100', ALICE],
    ['alice, HEAD ?contains_permissions=read (count in C)', 'HEAD', '/permissions?contains_permissions=read', ALICE],
    ['owner, first page of 100', 'GET', '/permissions?_limit=100', OWNER],
  ];
  if (SHARED) {
    const S = '/buckets/b/collections/shared/records';
    await req(srv, 'PUT', '/buckets/b/collections/shared', { auth: OWNER });
    const t1 = Date.now();
    const step = Math.floor(SHARED_OF / SHARED);
    await db(
      `INSERT INTO objects (parent_id, resource_name, id, last_modified, deleted, data)
         SELECT '/buckets/b/collections/shared', 'record', CONCAT('s', LPAD(seq, 7, '0')),
                1700000000000 + seq, 0, JSON_OBJECT('title', CONCAT('title ', LPAD((seq * 7919) % ${SHARED_OF}, 7, '0')),
                'n', seq % 100) FROM seq_1_to_${SHARED_OF};
       INSERT INTO acl (object_uri, permission, principal)
         SELECT CONCAT('${S}/s', LPAD(seq, 7, '0')), 'read', '${alice}'
           FROM seq_1_to_${SHARED_OF} WHERE seq % ${step} = 0 LIMIT ${SHARED};`,
    );
    // A direct load leaves the list's count row behind (builds with sql/006 only): drop it,
    // so that the list is counted once again.
    await db("DELETE FROM list_counts WHERE parent_id = '/buckets/b/collections/shared'").catch(() => {});
    console.log(`filled ${SHARED_OF} records, ${SHARED} shared with alice, in ${Date.now() - t1} ms`);
    forms.push(
      [`alice, shared records: first page of 100`, 'GET', `${S}?_limit=100`, ALICE],
      [`alice, shared records: page ${Math.floor(SHARED / 200)} of ${Math.ceil(SHARED / 100)}`, 'GET', await nth(`${S}?_limit=100`, ALICE, Math.floor(SHARED / 200)), ALICE],
      [`alice, shared records: n=5&_limit=100 (filter)`, 'GET', `${S}?n=5&_limit=100`, ALICE],
      [`alice, shared records: _sort=title&_limit=100 (data field)`, 'GET', `${S}?_sort=title&_limit=100`, ALICE],
      [`alice, shared records: HEAD count`, 'HEAD', S, ALICE],
      [`owner, the ${SHARED_OF} records: HEAD count`, 'HEAD', S, OWNER],
    );
  }
  console.log(`\n${'request'.padEnd(66)} ${'median'.padStart(8)} ${'max'.padStart(8)}  entries  statements  peak RSS`);
  for (const [name, method, url, auth] of forms) {
    if (!url) throw new Error(name);
    const reset = resetPeak();
    const times = [];
    let r;
    let stmts = 0;
    for (let i = 0; i < RUNS; i++) {
      const before = await statements();
      const t = process.hrtime.bigint();
      r = await req(srv, method, url, { auth });
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
      stmts = (await statements()) - before;
      if (r.status !== 200) throw new Error(`${name}: ${r.status} ${r.text.slice(0, 300)}`);
    }
    times.sort((a, b) => a - b);
    const n = method === 'HEAD' ? r.headers.get('total-records') : r.json.data.length;
    console.log(
      `${name.padEnd(66)} ${times[times.length >> 1].toFixed(1).padStart(6)}ms ${times[times.length - 1].toFixed(1).padStart(6)}ms  ${String(n).padStart(7)}  ${String(stmts).padStart(10)}  ${hwm().toFixed(1).padStart(6)} MiB${reset ? '' : '*'}`,
    );
  }
} finally {
  await srv.stop();
}
