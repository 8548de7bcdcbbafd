#!/usr/bin/env node
// bench/permissions.mjs [--records N] [--runs N]
//
// GET /permissions on a bucket of N records (default 20000) shared record by record: alice
// holds `read` on each record through its own ACL (and the owner `write`, as the creator rule
// gives). The rows are inserted with SQL (the API would take minutes on a shared machine); the
// requests go through lighttpd + cinto.fcgi as usual, on a private MariaDB so that the
// server's statement counter (Com_stmt_execute) counts this bench's statements only.
// Prints, per request form, the median and max wall time over --runs and the statements the
// request executed. Needs a build (tools/cinto-dev build) and CINTO_TEST_FCGI or build/.
import { startServer, basic, req } from '../tests/http/lib/harness.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('--records', 20000);
const RUNS = arg('--runs', 15);

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
    ['owner, first page of 100', 'GET', '/permissions?_limit=100', OWNER],
  ];
  console.log(`\n${'request'.padEnd(66)} ${'median'.padStart(8)} ${'max'.padStart(8)}  entries  statements`);
  for (const [name, method, url, auth] of forms) {
    if (!url) throw new Error(name);
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
      `${name.padEnd(66)} ${times[times.length >> 1].toFixed(1).padStart(6)}ms ${times[times.length - 1].toFixed(1).padStart(6)}ms  ${String(n).padStart(7)}  ${String(stmts).padStart(10)}`,
    );
  }
} finally {
  await srv.stop();
}
