// Declared indexed fields (issue 9 item 2): a collection's data.indexed_fields makes cinto keep
// the records' values of those fields in a side table (sql/007) that the list planner reads.
// Two servers share one database: P (default: SQL narrowing and the side table) and C with
// kinto.storage_list_pushdown = false (filters and sorts in C alone, the reference). The
// spec's filter and sort cases (those of pushdown.test.js, mixed types of 02 §2.4 and §2.6)
// must answer the same on both; the side table must equal a fresh `cinto.fcgi reindex` after
// any mix of writes; declarations are validated; new fields are built in slices.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { startServer, basic, req, fcgiPath, saveSanitizerReports } from './lib/harness.js';
import { FILTER_DATA } from './lib/filter-data.js';
import { must, expectError } from './lib/expect.js';

const RUN = (Date.now() % 1e9).toString(36) + Math.random().toString(36).slice(2, 6);
const OWNER = basic(`owner-${RUN}`, 'secret');
const B = `ix${RUN}`;
const COLL = `/buckets/${B}/collections/c`;
const R = `${COLL}/records`;
const FIELDS = ['title', 'n', 'a.b', 'tags'];

let P; // side table on
let C; // pushdown off, same database: the C reference

// The shared filter data set, plus cut strings (over 512 bytes) and arrays of every type.
const DATA = [
  ...FILTER_DATA,
  { title: 'zeta', n: 5, tags: ['x', 'y', 'z', null, true, 2] },
  { title: 'L'.repeat(600) + 'b', n: 7, tags: [[1], { o: 1 }, 'x'] },
  { title: 'L'.repeat(600) + 'a', n: 7.5, tags: [false] },
];

const QUERIES = [
  'n=5', 'eq_n=5', 'n=%225%22', 'n=1', 'n=1.0', 'n=true', 'n=false', 'n=null', 'n=9007199254740993', 'n=%22%22',
  'title=zeta', 'title=Zeta', 'title=%C3%A9t%C3%A9', 'title=a%20b', 'title=100', 'title=null', 'title=true',
  `title=${'L'.repeat(600)}a`, `gt_title=${'L'.repeat(600)}a`,
  'in_n=1,2,5', 'in_n=true,null', 'in_title=zeta,%C3%89lan', 'in_title=100,2.5', 'exclude_n=1,2', 'exclude_title=zeta', 'not_n=5', 'not_title=zeta',
  'lt_n=5', 'max_n=5', 'gt_n=5', 'min_n=2.5', 'gt_n=-10', 'lt_n=0', 'max_n=9007199254740992', 'gt_title=m', 'lt_title=m', 'min_title=zeta', 'gt_n=abc', 'lt_n=true',
  'like_title=*eta', 'like_title=ZE', 'like_title=a%25b', 'like_title=k', 'like_n=%225%22',
  'like_title=ze*', 'like_title=Z*', 'like_title=*', 'like_title=a_*', 'like_title=A!b', 'like_title=*b', 'like_title=S*',
  'like_title=k*', 'like_title=L*b', 'like_title=*Lb', 'like_title=%C3%A9*', 'like_title=like_n', 'like_n=*',
  'not_n=null', 'not_n=true', 'not_title=Zeta', 'exclude_n=5,true,null', 'exclude_title=zeta,a%20b',
  'has_title=true', 'has_title=false', 'has_title=0', 'has_a.b=true', 'has_a.b=false', 'has_a.b.c=1', 'has_tags=1', 'has_other=false',
  'a.b=1', 'a.b=x', 'a.b=null', 'a.b=true', 'gt_a.b=0', 'min_a.b=1', 'lt_a.b=3', 'in_a.b=1,x', 'a.b.c=2',
  'contains_tags=x', 'contains_tags=x,y', 'contains_tags=%5B1%5D', 'contains_tags=null', 'contains_tags=true', 'contains_tags=2',
  'contains_any_tags=x,1', 'contains_any_tags=z', 'contains_any_tags=false,null', 'contains_any_tags=%7B%22o%22:1%7D',
  'contains_title=zeta', 'contains_n=5',
  'contains_tags=%5B%22x%22,%22y%22%5D', 'contains_tags=%5B%22x%22,%5B1%5D%5D', 'contains_any_tags=%5B%22x%22,1%5D',
  'contains_any_tags=%5Bfalse,null%5D', 'contains_any_tags=%5B2,%22z%22%5D',
  'max_title=a%20b', 'gt_a.b=x', 'lt_tags=x', 'min_title=', 'lt_title=', 'gt_title=%C3%A9', 'lt_title=null',
  'id=r03', 'in_id=r01,r02,r20', 'gt_id=r10',
  'n=5&title=zeta', 'in_n=5,1&like_title=*a', 'gt_n=1&lt_n=12&has_title=true', 'contains_tags=x&gt_n=4',
];
const SORTS = ['', '_sort=title', '_sort=-title', '_sort=n,-title', '_sort=a.b', '_sort=-n', '_sort=tags,title', '_sort=-tags'];

function cli(srv, args) {
  return new Promise((resolve) => {
    execFile(fcgiPath(), args, { env: { ...process.env, ...srv.env }, timeout: 120000 }, (err, stdout, stderr) => {
      saveSanitizerReports(stderr, `cli-${args[0]}`);
      resolve({ code: err ? err.code : 0, stdout, stderr });
    });
  });
}

const get = (srv, path, qs) => must(req(srv, 'GET', `${path}?${qs}`, { auth: OWNER }), 200);

async function paged(srv, path, qs) {
  let r = await get(srv, path, qs);
  const out = [...r.json.data];
  for (let i = 0; r.headers.get('next-page') && i < 60; i++) {
    const next = new URL(r.headers.get('next-page'));
    r = await must(req(srv, 'GET', next.pathname.replace(/^\/v1/, '') + next.search, { auth: OWNER }), 200);
    out.push(...r.json.data);
  }
  return out;
}

const states = async (parent) =>
  (await P.query(`SELECT field, state, cursor_id FROM indexed_fields WHERE parent_id = '${parent}' ORDER BY field`)).map((r) => [r[0], Number(r[1]), r[2]]);
const sideRows = async (like) =>
  (await P.query(`SELECT ix_parent, ix_id, ix_field, ix_kind, ix_pos, ix_rank, HEX(ix_str), ix_num, ix_lm FROM indexed_values WHERE ix_parent LIKE '${like}' ORDER BY 1, 2, 3, 4, 5`)).map((r) => r.join('|'));

// Reads the list until every declared field of the collection is ready (one slice per read).
async function untilReady(coll, max = 50) {
  for (let i = 0; i < max; i++) {
    const s = await states(coll);
    if (s.every(([, st]) => st === 1)) return i;
    await get(P, `${coll}/records`, '_limit=1');
  }
  throw new Error(`${coll}: not ready after ${max} reads: ${JSON.stringify(await states(coll))}`);
}

before(async () => {
  P = await startServer({ workers: 1, settings: { 'kinto.log_level': 'DEBUG' } });
  C = await startServer({ workers: 1, settings: { 'kinto.storage_url': P.settings['kinto.storage_url'], 'kinto.storage_list_pushdown': 'false' } });
  await must(req(P, 'PUT', `/buckets/${B}`, { auth: OWNER, body: {} }), 201);
  await must(req(P, 'PUT', COLL, { auth: OWNER, body: {} }), 201);
  const requests = DATA.map((data, i) => ({ method: 'PUT', path: `${R}/r${String(i).padStart(2, '0')}`, body: { data } }));
  for (let i = 0; i < requests.length; i += 25) {
    await must(req(P, 'POST', '/batch', { auth: OWNER, body: { requests: requests.slice(i, i + 25) } }), 200);
  }
  await must(req(P, 'PATCH', COLL, { auth: OWNER, body: { data: { indexed_fields: FIELDS } } }), 200);
  await untilReady(COLL);
});
after(async () => { await C?.stop(); await P?.stop(); });

test('a declaration answers as usual and is stored in the collection', async () => {
  const r = await must(req(P, 'GET', COLL, { auth: OWNER }), 200);
  assert.deepEqual(r.json.data.indexed_fields, FIELDS);
  assert.deepEqual((await states(COLL)).map(([f, s]) => [f, s]), FIELDS.slice().sort().map((f) => [f, 1]));
});

test('bad declarations: 400 errno 107 naming data.indexed_fields, nothing changed', async () => {
  const coll = `/buckets/${B}/collections/bad`;
  await must(req(P, 'PUT', coll, { auth: OWNER, body: { data: { keep: 1 } } }), 201);
  const bad = [
    'title', { a: 1 }, [1], ['a-b'], ['a..b'], [''], ['.a'], ['a.'], ['id'], ['last_modified'], ['id.x'],
    ['a', 'a'], Array.from({ length: 21 }, (_, i) => `f${i}`), ['a.b.c.d.e.f.g.h.i'], ['x'.repeat(256)], ['é'],
  ];
  for (const v of bad) {
    for (const [method, path, body] of [
      ['PUT', coll, { data: { indexed_fields: v } }],
      ['PATCH', coll, { data: { indexed_fields: v } }],
      ['POST', `/buckets/${B}/collections`, { data: { id: 'badpost', indexed_fields: v } }],
    ]) {
      const r = await req(P, method, path, { auth: OWNER, body });
      expectError(r, 400, 107);
      assert.equal(r.json.details?.[0]?.name, 'data.indexed_fields', `${method} ${JSON.stringify(v)}: ${r.text}`);
      assert.equal(r.json.details?.[0]?.location, 'body');
    }
  }
  const r = await must(req(P, 'GET', coll, { auth: OWNER }), 200);
  assert.equal(r.json.data.keep, 1);
  assert.equal(r.json.data.indexed_fields, undefined);
  await must(req(P, 'GET', `/buckets/${B}/collections/badpost`, { auth: OWNER }), 404);
  assert.deepEqual(await states(coll), []);
  // The limits themselves are fine.
  const twenty = Array.from({ length: 20 }, (_, i) => `f${i}.a.b.c.d.e.f.g`);
  await must(req(P, 'PUT', coll, { auth: OWNER, body: { data: { indexed_fields: twenty } } }), 200);
  await must(req(P, 'PUT', coll, { auth: OWNER, body: { data: { indexed_fields: null } } }), 200);
  await must(req(P, 'DELETE', coll, { auth: OWNER }), 200);
});

test('every filter answers the same through the side table as in C', async () => {
  for (const q of QUERIES) {
    const [p, c] = await Promise.all([get(P, R, q), get(C, R, q)]);
    assert.deepEqual(p.json.data, c.json.data, `?${q}`);
    const [hp, hc] = await Promise.all([
      must(req(P, 'HEAD', `${R}?${q}`, { auth: OWNER }), 200),
      must(req(C, 'HEAD', `${R}?${q}`, { auth: OWNER }), 200),
    ]);
    assert.equal(hp.headers.get('total-records'), hc.headers.get('total-records'), `HEAD ?${q}`);
  }
});

test('the side table is what answers (a row altered by hand changes the answer)', async () => {
  await P.query(`UPDATE indexed_values SET ix_str = 'other' WHERE ix_parent = '${COLL}' AND ix_id = 'r00' AND ix_field = 'title' AND ix_kind = 0`);
  await P.query(`UPDATE indexed_values SET ix_num = 99 WHERE ix_parent = '${COLL}' AND ix_id = 'r03' AND ix_field = 'n' AND ix_kind = 0`);
  const ids = async (srv, q) => (await get(srv, R, q)).json.data.map((o) => o.id);
  assert.ok((await ids(C, 'title=zeta')).includes('r00'));
  assert.ok(!(await ids(P, 'title=zeta')).includes('r00'));
  assert.ok((await ids(C, 'lt_n=50')).includes('r03'));
  assert.ok(!(await ids(P, 'lt_n=50')).includes('r03'));
  const out = await cli(P, ['reindex', COLL]);
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(await ids(P, 'title=zeta'), await ids(C, 'title=zeta'));
  assert.deepEqual(await ids(P, 'lt_n=50'), await ids(C, 'lt_n=50'));
});

test('sorts on declared fields, whole and paged with _token, answer the same as in C', async () => {
  const some = ['', 'has_title=true', 'gt_n=1', 'contains_any_tags=x,1', 'in_n=5,1,true,null'];
  for (const s of SORTS) {
    for (const f of some) {
      const qs = [f, s].filter(Boolean).join('&');
      const whole = (await get(C, R, qs)).json.data;
      assert.deepEqual((await get(P, R, qs)).json.data, whole, `?${qs}`);
      for (const lim of [1, 4]) {
        const q2 = `${qs}${qs ? '&' : ''}_limit=${lim}`;
        assert.deepEqual(await paged(P, R, q2), whole, `paged ?${q2}`);
      }
    }
  }
});

// A single value's rows (and an in_'s, a range's) are read from the index in last_modified order (ix_lm): the list's own
// order both ways, within _since/_before bounds, paged, and with other conditions probed per row.
test('filters read from the index in the list order (one value, in_, a range) answer as in C: pages, bounds, both orders, combined', async () => {
  const all = (await get(C, R, '_sort=last_modified')).json.data;
  const mid = all[Math.floor(all.length / 2)].last_modified;
  const filters = ['n=5', 'title=zeta', 'n=null', 'n=true', 'has_title=false', 'n=5&title=zeta',
    'n=5&has_a.b=true', 'n=5&gt_n=1', 'title=zeta&contains_tags=x', 'n=5&a.b=1', 'n=7.5&title=zeta',
    'in_n=5,1', 'in_n=5,5.0,null,true', 'in_title=zeta,Zeta,100', 'in_n=5,1&title=zeta',
    'min_n=1&max_n=5', 'gt_n=4', 'lt_title=m', 'gt_n=1&lt_n=12', 'min_title=a&lt_title=zeta', 'has_title=true'];
  const orders = ['', '_sort=last_modified', '_sort=-last_modified', `_since=${mid}`, `_before=${mid}`,
    `gt_last_modified=${mid}&_sort=last_modified`, `max_last_modified=${mid}`];
  for (const f of filters) {
    for (const o of orders) {
      const qs = [f, o].filter(Boolean).join('&');
      const whole = (await get(C, R, qs)).json.data;
      assert.deepEqual((await get(P, R, qs)).json.data, whole, `?${qs}`);
      for (const lim of [1, 2]) assert.deepEqual(await paged(P, R, `${qs}&_limit=${lim}`), whole, `paged ?${qs}&_limit=${lim}`);
    }
  }
});

// like_ on a declared field scans its index rows (a literal prefix: the ranges of its case
// spellings), tests the pattern there and C re-checks; a string cut at 512 bytes is always a
// candidate. A 1,000-row sample picks the list's order when matches are frequent.
test('like_ through the index answers as in C: prefixes, cases, escapes, accents, cut strings, other types', async () => {
  const coll = `/buckets/${B}/collections/likes`;
  const RL = `${coll}/records`;
  await must(req(P, 'PUT', coll, { auth: OWNER, body: { data: { indexed_fields: ['title', 'n'] } } }), 201);
  const cut = 'L'.repeat(511);
  const titles = [
    'abc', 'ABC def', 'xAbCx', 'a%c', 'a_c', 'a!c', 'a\\c', 'ab%c', 'abxc', '\u017Fabc', '\u017Ftar', 'Star', 'star',
    '\u212Atest', 'kelvin', 'Kelvin', '\u00E9t\u00E9', '\u00C9T\u00C9', 'ete', 'e\u0301te', '', ' abc', 'abc ',
    `${cut}\u00E9`, `${cut}x\u00E9z`, `${'L'.repeat(600)}needle`, `${'M'.repeat(520)}`, 'LLLneedle', '12345', 'x12345y',
    ['abc'], 123, 12345, true, false, null, { abc: 1 }, undefined,
  ];
  const requests = titles.map((title, i) => ({
    method: 'PUT', path: `${RL}/l${String(i).padStart(2, '0')}`, body: { data: title === undefined ? { n: i } : { title, n: i } },
  }));
  for (let i = 0; i < requests.length; i += 25) await must(req(P, 'POST', '/batch', { auth: OWNER, body: { requests: requests.slice(i, i + 25) } }), 200);
  await untilReady(coll);
  const patterns = ['abc', 'ABC', '*abc', 'abc*', 'a*c', 'A*', '*', '**', '', 'a%25c', 'a_c', 'a!c', 'a%5Cc', 'a_*',
    's*', 'S*', 'st*', '*tar', 'k*', '*ELVIN', 'K*n', 'ete', 'ETE', 'e*e', '%C3%A9t%C3%A9', '*%C3%A9', '*needle', 'L*needle',
    'LLL*', 'LLLL*z', `${'L'.repeat(511)}*`, '*z', '%22123%22', '*5', '%2212345%22', '%20abc', 'abc%20', '*c%20', 'x*', '*%7B*', '%22true%22', '%22null%22'];
  const orders = ['', '_sort=last_modified', '_since=1', '_sort=title', 'n=5', 'gt_n=3'];
  for (const pat of patterns) {
    for (const o of orders) {
      const qs = [`like_title=${pat}`, o].filter(Boolean).join('&');
      const whole = (await get(C, RL, qs)).json.data;
      assert.deepEqual((await get(P, RL, qs)).json.data, whole, `?${qs}`);
      if (!o) assert.deepEqual(await paged(P, RL, `${qs}&_limit=2`), whole, `paged ?${qs}`);
      const [hp, hc] = await Promise.all([P, C].map((srv) => must(req(srv, 'HEAD', `${RL}?${qs}`, { auth: OWNER }), 200)));
      assert.equal(hp.headers.get('total-records'), hc.headers.get('total-records'), `HEAD ?${qs}`);
    }
  }
  // A larger list: the sample sees 1,000 of its string rows, a frequent pattern reads in
  // order, a rare one (or one whose matches sort late) scans.
  const many = [];
  for (let i = 0; i < 1200; i++) many.push({ method: 'PUT', path: `${RL}/w${String(i).padStart(4, '0')}`, body: { data: { title: `w${i}`, n: i % 7 } } });
  for (let i = 0; i < many.length; i += 25) await must(req(P, 'POST', '/batch', { auth: OWNER, body: { requests: many.slice(i, i + 25) } }), 200);
  for (const pat of ['w*', 'W1*', '*99', '*998', 'w11*', '*zz*', '*1*1*', 'W*9', '*%C3%A9*']) {
    const qs = `like_title=${pat}`;
    const whole = (await get(C, RL, `${qs}&_limit=10000`)).json.data;
    for (const lim of [2, 100, 10000]) assert.deepEqual((await paged(P, RL, `${qs}&_limit=${lim}`)).slice(0, lim === 2 ? 100 : undefined), lim === 2 ? whole.slice(0, 100) : whole, `paged ?${qs}&_limit=${lim}`);
    const [hp, hc] = await Promise.all([P, C].map((srv) => must(req(srv, 'HEAD', `${RL}?${qs}`, { auth: OWNER }), 200)));
    assert.equal(hp.headers.get('total-records'), hc.headers.get('total-records'), `HEAD ?${qs}`);
    assert.equal(Number(hp.headers.get('total-records')), whole.length, `HEAD ?${qs}`);
  }
  // not_/exclude_ counts on a declared field: the list's count less the exact opposite's.
  for (const qs of ['not_n=5', 'not_n=null', 'exclude_n=1,2,3', 'not_title=abc', 'exclude_title=w1,w2,abc', `not_title=${'L'.repeat(600)}needle`]) {
    const [hp, hc] = await Promise.all([P, C].map((srv) => must(req(srv, 'HEAD', `${RL}?${qs}`, { auth: OWNER }), 200)));
    assert.equal(hp.headers.get('total-records'), hc.headers.get('total-records'), `HEAD ?${qs}`);
  }
  const log = P.readErrorLog();
  assert.match(log, /plan: GET [^ ]+likes\/records\/?: like_title index-scan\+c, _sort=-last_modified/);
  assert.match(log, /plan: GET [^ ]+likes\/records\/?: like_title sql\+c, n index\+c/);
  assert.match(log, /plan: HEAD [^ ]+likes\/records\/?: not_n c, _sort=-last_modified count total-minus-index/);
  assert.match(log, /plan: HEAD [^ ]+likes\/records\/?: not_title c, _sort=-last_modified count c-scan/);
});

test('record writes, deletes and plural deletes keep the side table equal to a fresh reindex', async () => {
  const upd = [
    ['PATCH', `${R}/r00`, { data: { title: 7, tags: ['q'] } }],
    ['PUT', `${R}/r01`, { data: { other: 1 } }],
    ['DELETE', `${R}/r02`],
    ['PUT', `${R}/r02`, { data: { title: 'back', a: { b: [1, 2] } } }],
    ['POST', R, { data: { id: 'new1', title: 'new', n: 1, tags: ['x', 'x'] } }],
    ['DELETE', `${R}/r05`],
  ];
  for (const [m, p, body] of upd) await must(req(P, m, p, { auth: OWNER, body }), [200, 201]);
  await must(req(P, 'DELETE', `${R}?n=7`, { auth: OWNER }), 200);
  const before = await sideRows(`${COLL}`);
  assert.ok(before.length > DATA.length);
  assert.ok(!before.some((r) => r.includes('|r05|')));
  for (const q of QUERIES.slice(0, 30)) assert.deepEqual((await get(P, R, q)).json.data, (await get(C, R, q)).json.data, `?${q}`);
  // With a timestamp filter tombstones are read too, and C decides on them.
  for (const q of ['has_title=false', 'n=5', 'in_n=1,5', 'gt_title=a', 'has_title=false&_sort=title', 'contains_any_tags=%5B%22x%22%5D&_sort=-n']) {
    const qs = `gt_last_modified=1&${q}`;
    assert.deepEqual((await get(P, R, qs)).json.data, (await get(C, R, qs)).json.data, `?${qs}`);
  }
  const out = await cli(P, ['reindex', COLL]);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, new RegExp(`${COLL}: indexed`));
  assert.deepEqual(await sideRows(`${COLL}`), before);
  assert.deepEqual((await states(COLL)).map(([, s]) => s), [1, 1, 1, 1]);
});

test('a new field is built by slices of 500 records; queries use C until it is ready', async () => {
  const coll = `/buckets/${B}/collections/big`;
  const RB = `${coll}/records`;
  await must(req(P, 'PUT', coll, { auth: OWNER, body: {} }), 201);
  const N = 1100;
  for (let start = 0; start < N; start += 25) {
    const requests = [];
    for (let i = start; i < Math.min(N, start + 25); i++) {
      const data = { n: i % 7, title: `t${(i * 37) % N}` };
      if (i % 11 === 0) data.title = i % 2 ? i : null;
      if (i % 13 === 0) delete data.title;
      requests.push({ method: 'PUT', path: `${RB}/b${String(i).padStart(4, '0')}`, body: { data } });
    }
    await must(req(P, 'POST', '/batch', { auth: OWNER, body: { requests } }), 200);
  }
  const queries = ['_sort=title&_limit=10000', '_sort=-title&_limit=10000', 'gt_title=t5&_sort=n,title&_limit=10000', 'title=t37'];
  const ref = {};
  for (const q of queries) ref[q] = (await get(C, RB, q)).json.data;
  await must(req(P, 'PATCH', coll, { auth: OWNER, body: { data: { indexed_fields: ['title'] } } }), 200);
  assert.deepEqual(await states(coll), [['title', 0, '']]);
  // Every read of the list (on either server) does one slice first, then answers without the
  // index while it is building.
  assert.deepEqual((await get(P, RB, queries[0])).json.data, ref[queries[0]]);
  assert.deepEqual(await states(coll), [['title', 0, 'b0499']]);
  assert.deepEqual((await get(P, RB, queries[2])).json.data, ref[queries[2]]);
  assert.deepEqual(await states(coll), [['title', 0, 'b0999']]);
  // Writes in the middle of the build: their own rows now (and a slice each).
  await must(req(P, 'PATCH', `${RB}/b1000`, { auth: OWNER, body: { data: { title: 'zz' } } }), 200);
  await must(req(P, 'DELETE', `${RB}/b0999`, { auth: OWNER }), 200);
  for (const q of queries) ref[q] = (await get(C, RB, q)).json.data;
  await untilReady(coll);
  for (const q of queries) assert.deepEqual((await get(P, RB, q)).json.data, ref[q], `ready ?${q}`);
  for (const q of ['_sort=title&_limit=300', '_sort=-title&_limit=250', 'lt_title=t8&_sort=title,-n&_limit=100']) {
    const whole = (await get(C, RB, q.replace(/_limit=\d+/, '_limit=10000'))).json.data.map((o) => o.id);
    assert.deepEqual((await paged(P, RB, q)).map((o) => o.id), whole, `paged ?${q}`);
  }
  const rows = await sideRows(coll);
  assert.equal(rows.length, N - 1);
  const out = await cli(P, ['reindex', coll]);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /\(4 slices\)/);
  assert.deepEqual(await sideRows(coll), rows);

  // Dropping the declaration deletes the rows by slices.
  await must(req(P, 'PATCH', coll, { auth: OWNER, body: { data: { indexed_fields: ['n'] } } }), 200);
  assert.deepEqual((await states(coll)).map(([f, s]) => [f, s]), [['n', 0], ['title', 2]]);
  await untilReady(coll);
  assert.deepEqual(await states(coll), [['n', 1, '']]);
  assert.equal((await sideRows(coll)).length, N - 1);
  // Conditions matching more than 1,000 records are tested per row instead of driving the read.
  for (const q of ['n=3&_sort=-id', 'min_n=0&_limit=10000', 'min_n=1&_sort=title&_limit=10000', 'max_n=5&_limit=7', 'in_n=0,1,2,3,4,5,6&_sort=n,-id&_limit=10000']) {
    assert.deepEqual((await get(P, RB, q)).json.data, (await get(C, RB, q)).json.data, `?${q}`);
    const hq = q.replace(/&_.*$/, '');
    const [hp, hc] = await Promise.all([P, C].map((srv) => must(req(srv, 'HEAD', `${RB}?${hq}`, { auth: OWNER }), 200)));
    assert.equal(hp.headers.get('total-records'), hc.headers.get('total-records'), `HEAD ?${hq}`);
  }
  assert.deepEqual(await paged(P, RB, 'min_n=2&_sort=-n&_limit=150'), (await get(C, RB, 'min_n=2&_sort=-n&_limit=10000')).json.data);
});

test('collection and bucket deletes remove the side rows and states', async () => {
  const b2 = `${B}del`;
  await must(req(P, 'PUT', `/buckets/${b2}`, { auth: OWNER, body: {} }), 201);
  for (const c of ['c1', 'c2']) {
    await must(req(P, 'PUT', `/buckets/${b2}/collections/${c}`, { auth: OWNER, body: { data: { indexed_fields: ['x'] } } }), 201);
    await must(req(P, 'PUT', `/buckets/${b2}/collections/${c}/records/r1`, { auth: OWNER, body: { data: { x: [1, 2] } } }), 201);
  }
  assert.equal((await sideRows(`/buckets/${b2}/%`)).length, 6);
  await must(req(P, 'DELETE', `/buckets/${b2}/collections/c1`, { auth: OWNER }), 200);
  assert.equal((await sideRows(`/buckets/${b2}/collections/c1`)).length, 0);
  assert.deepEqual(await states(`/buckets/${b2}/collections/c1`), []);
  assert.equal((await sideRows(`/buckets/${b2}/%`)).length, 3);
  await must(req(P, 'DELETE', `/buckets/${b2}`, { auth: OWNER }), 200);
  assert.equal((await sideRows(`/buckets/${b2}/%`)).length, 0);
  assert.deepEqual(await states(`/buckets/${b2}/collections/c2`), []);
});

test('reindex without a prefix rebuilds everything; a bad subcommand use is refused', async () => {
  const out = await cli(P, ['reindex']);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, new RegExp(`${COLL}: indexed`));
  const bad = await cli(P, ['reindex', 'a', 'b']);
  assert.equal(bad.code, 2);
});
