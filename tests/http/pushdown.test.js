// The list planner (issue 9, first step): filters narrowed in MariaDB must
// give exactly the answers of the C evaluation (spec 02 §2.4, §2.6, §2.9).
// Two servers share one database: P with the SQL narrowing (the default)
// and C with kinto.storage_list_pushdown = false (filters in C alone).
// Every query is asked of both and the answers compared, whole and paged;
// a few answers are also checked against values computed here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, basic, req } from './lib/harness.js';
import { FILTER_DATA } from './lib/filter-data.js';
import { must } from './lib/expect.js';

const RUN = (Date.now() % 1e9).toString(36) + Math.random().toString(36).slice(2, 6);
const OWNER = basic(`owner-${RUN}`, 'secret');
const B = `pd${RUN}`;
const R = `/buckets/${B}/collections/c/records`;

let P; // pushdown on
let C; // pushdown off, same database

// Mixed types, missing fields, nested fields, unicode and LIKE's special characters.
const DATA = [
  ...FILTER_DATA,
  { title: 'zeta', n: 5, tags: ['x', 'y', 'z'] },
];

before(async () => {
  P = await startServer({ workers: 1, settings: { 'kinto.log_level': 'DEBUG' } });
  C = await startServer({ workers: 1, settings: { 'kinto.storage_url': P.settings['kinto.storage_url'], 'kinto.storage_list_pushdown': 'false' } });
  await must(req(P, 'PUT', `/buckets/${B}`, { auth: OWNER, body: {} }), 201);
  await must(req(P, 'PUT', `/buckets/${B}/collections/c`, { auth: OWNER, body: {} }), 201);
  for (let i = 0; i < DATA.length; i++) {
    await must(req(P, 'PUT', `${R}/r${String(i).padStart(2, '0')}`, { auth: OWNER, body: { data: DATA[i] } }), 201);
  }
});
after(async () => { await C?.stop(); await P?.stop(); });

const QUERIES = [
  'n=5', 'eq_n=5', 'n=%225%22', 'n=1', 'n=1.0', 'n=true', 'n=false', 'n=null', 'n=9007199254740993', 'n=%22%22',
  'title=zeta', 'title=Zeta', 'title=%C3%A9t%C3%A9', 'title=a%20b', 'title=100', 'title=null', 'title=true',
  'in_n=1,2,5', 'in_n=true,null', 'in_title=zeta,%C3%89lan', 'in_title=100,2.5', 'exclude_n=1,2', 'exclude_title=zeta', 'not_n=5', 'not_title=zeta',
  'lt_n=5', 'max_n=5', 'gt_n=5', 'min_n=2.5', 'gt_n=-10', 'lt_n=0', 'max_n=9007199254740992', 'gt_title=m', 'lt_title=m', 'min_title=zeta', 'gt_n=abc', 'lt_n=true',
  'like_title=*eta', 'like_title=ZE', 'like_title=a%25b', 'like_title=a_b', 'like_title=a!b', 'like_title=%C3%A9t', 'like_title=*',
  'like_title=a*b', 'like_title=k', 'like_title=ke', 'like_title=*sign', 'like_title=s', 'like_title=%5C', 'like_title=%22', 'like_title=dz', 'like_n=%225%22', 'like_title=%C7%86',
  'has_title=true', 'has_title=false', 'has_title=0', 'has_a.b=true', 'has_a.b=false', 'has_a.b.c=1', 'has_tags=1', 'has_other=false',
  'a.b=1', 'a.b=x', 'a.b=null', 'a.b=true', 'gt_a.b=0', 'min_a.b=1', 'lt_a.b=3', 'in_a.b=1,x', 'a.b.c=2',
  'contains_tags=x', 'contains_tags=x,y', 'contains_any_tags=x,1', 'contains_any_tags=z',
  'id=r03', 'in_id=r01,r02,r20', 'exclude_id=r01', 'not_id=r02', 'gt_id=r10', 'like_id=r1',
  'n=5&title=zeta', 'in_n=5,1&like_title=*a', 'gt_n=1&lt_n=12&has_title=true',
];
const SORTS = ['', '_sort=title', '_sort=-title', '_sort=n,-title', '_sort=a.b', '_sort=-n', '_sort=id', '_sort=tags,title', '_sort=last_modified'];

async function get(srv, qs) {
  return must(req(srv, 'GET', `${R}?${qs}`, { auth: OWNER }), 200);
}

// Follows Next-Page; returns the concatenated data.
async function paged(srv, qs) {
  let r = await get(srv, qs);
  const out = [...r.json.data];
  for (let i = 0; r.headers.get('next-page') && i < 40; i++) {
    const next = new URL(r.headers.get('next-page'));
    r = await must(req(srv, 'GET', next.pathname.replace(/^\/v1/, '') + next.search, { auth: OWNER }), 200);
    out.push(...r.json.data);
  }
  return out;
}

test('every filter answers the same with and without the SQL narrowing', async () => {
  for (const q of QUERIES) {
    const [p, c] = await Promise.all([get(P, q), get(C, q)]);
    assert.deepEqual(p.json.data, c.json.data, `?${q}`);
    const [hp, hc] = await Promise.all([
      must(req(P, 'HEAD', `${R}?${q}`, { auth: OWNER }), 200),
      must(req(C, 'HEAD', `${R}?${q}`, { auth: OWNER }), 200),
    ]);
    assert.equal(hp.headers.get('total-records'), hc.headers.get('total-records'), `HEAD ?${q}`);
    assert.equal(Number(hp.headers.get('total-records')), p.json.data.length, `HEAD ?${q}`);
  }
});

test('sorted pages followed with _token give the same sequence as one page, on both paths', async () => {
  const some = ['', 'has_title=true', 'gt_n=1', 'like_title=*a*', 'in_n=5,1,true,null', 'exclude_n=5'];
  for (const s of SORTS) {
    for (const f of some) {
      const qs = [f, s].filter(Boolean).join('&');
      const whole = (await get(P, qs)).json.data;
      assert.deepEqual((await get(C, qs)).json.data, whole, `?${qs}`);
      for (const lim of [1, 3, 7]) {
        const q2 = `${qs}${qs ? '&' : ''}_limit=${lim}`;
        assert.deepEqual(await paged(P, q2), whole, `paged P ?${q2}`);
        assert.deepEqual(await paged(C, q2), whole, `paged C ?${q2}`);
      }
    }
  }
});

// Answers computed here, so that both paths cannot be wrong together.
test('like_ escaping, unicode and type rules against expected ids', async () => {
  const ids = async (q) => (await get(P, `${q}&_sort=id`)).json.data.map((o) => o.id);
  const want = (pred) => DATA.map((d, i) => [d, `r${String(i).padStart(2, '0')}`]).filter(([d]) => pred(d)).map(([, id]) => id);
  assert.deepEqual(await ids('like_title=a%25b'), want((d) => d.title === 'a%b'));
  assert.deepEqual(await ids('like_title=a_b'), want((d) => d.title === 'a_b'));
  assert.deepEqual(await ids('like_title=a!b'), want((d) => d.title === 'a!b'));
  assert.deepEqual(await ids('like_title=ZE'), want((d) => typeof d.title === 'string' && /ze/i.test(d.title)));
  assert.deepEqual(await ids('n=5'), want((d) => d.n === 5));
  assert.deepEqual(await ids('n=%225%22'), want((d) => d.n === '5'));
  assert.deepEqual(await ids('in_n=1,5'), want((d) => d.n === 1 || d.n === 5));
  assert.deepEqual(await ids('has_a.b=false'), want((d) => !(d.a && typeof d.a === 'object' && !Array.isArray(d.a) && 'b' in d.a)));
  assert.deepEqual(await ids('title=%C3%A9t%C3%A9'), want((d) => d.title === 'été'));
  assert.deepEqual(await ids('gt_n=5'), want((d) => !('n' in d) || typeof d.n === 'boolean' || (typeof d.n === 'object' && d.n !== null) || (typeof d.n === 'number' && d.n > 5)));
});

// More rows than one read chunk (500): pushed sorts continue with OFFSET,
// and the page stops once SQL's order is past the last kept object.
test('sorted pages over several read chunks answer the same on both paths', async () => {
  const b = `${B}big`;
  const RB = `/buckets/${b}/collections/c/records`;
  await must(req(P, 'PUT', `/buckets/${b}`, { auth: OWNER, body: {} }), 201);
  await must(req(P, 'PUT', `/buckets/${b}/collections/c`, { auth: OWNER, body: {} }), 201);
  const N = 1100;
  for (let start = 0; start < N; start += 25) {
    const requests = [];
    for (let i = start; i < Math.min(N, start + 25); i++) {
      // flag and obj tie in MariaDB's coarse order (booleans, objects): C orders them
      const data = { n: i % 7, title: `t${(i * 37) % N}`, flag: i % 3 === 0, obj: { k: i % 5 } };
      if (i % 11 === 0) data.title = i % 2 ? i : null;
      if (i % 13 === 0) delete data.title;
      requests.push({ method: 'PUT', path: `${RB}/b${i}`, body: { data } });
    }
    await must(req(P, 'POST', '/batch', { auth: OWNER, body: { requests } }), 200);
  }
  const getB = (srv, qs) => must(req(srv, 'GET', `${RB}?${qs}`, { auth: OWNER }), 200);
  for (const qs of ['_sort=title', '_sort=-title', '_sort=n,title', '_sort=-n', 'exclude_n=0,1,2,3,4&_sort=title', 'exclude_n=0,1,2,3,4&_sort=-id', 'lt_n=3&_sort=title,-n', '_sort=flag,-title', '_sort=-obj,title', 'n=3&_sort=obj']) {
    const whole = (await getB(C, `${qs}&_limit=10000`)).json.data;
    assert.deepEqual((await getB(P, `${qs}&_limit=10000`)).json.data, whole, `?${qs}`);
    for (const srv of [P, C]) {
      let r = await getB(srv, `${qs}&_limit=300`);
      const seen = [...r.json.data];
      while (r.headers.get('next-page')) {
        const next = new URL(r.headers.get('next-page'));
        r = await must(req(srv, 'GET', next.pathname.replace(/^\/v1/, '') + next.search, { auth: OWNER }), 200);
        seen.push(...r.json.data);
      }
      assert.deepEqual(seen.map((o) => o.id), whole.map((o) => o.id), `paged ?${qs}`);
    }
  }
});

// kinto.log_level = DEBUG: one line per list read, per filter and sort what MariaDB answers
// and what C re-checks; C (no such setting) logs none.
test('the debug log says what SQL answers and what C checks, per filter and sort', async () => {
  const cases = [
    ['n=5&like_title=ze&not_n=1&_sort=title', 'GET', /plan: GET \/buckets\/[^ ]+\/records\/?: n sql\+c, like_title sql\+c, not_n c, _sort=title,-last_modified sql\+c, _limit=\d+/],
    ['_since=0&contains_tags=x', 'GET', /plan: GET [^ ]+: gt_last_modified sql, contains_tags c, _sort=-last_modified sql, _limit/],
    ['_sort=last_modified,title', 'GET', /plan: GET [^ ]+: _sort=last_modified,title c-topk, _limit/],
    ['', 'HEAD', /plan: HEAD [^ ]+: _sort=-last_modified count sql, _limit/],
    ['in_n=1,2', 'HEAD', /plan: HEAD [^ ]+: in_n sql\+c, _sort=-last_modified count c-scan, _limit/],
    ['contains_tags=none-such', 'DELETE', /plan: DELETE [^ ]+: contains_tags c, _sort=-last_modified sql, _limit/],
  ];
  for (const [qs, method, line] of cases) {
    const before = P.readErrorLog().length;
    await must(req(P, method, `${R}?${qs}`, { auth: OWNER }), 200);
    assert.match(P.readErrorLog().slice(before), line, `${method} ?${qs}`);
  }
  assert.doesNotMatch(C.readErrorLog(), /plan: /);
});
