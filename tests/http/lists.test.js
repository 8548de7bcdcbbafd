// Black-box tests for spec 02 §2.1, §2.5, §2.8, §2.9: plural GET basics,
// _since/_before/_to with tombstones, page size rules, Next-Page and
// _token: LIST-1, LIST-12, LIST-15, LIST-16.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, basic, req } from './lib/harness.js';
import { must, expectError } from './lib/expect.js';

const RUN = (Date.now() % 1e9).toString(36) + Math.random().toString(36).slice(2, 6);
let seq = 0;
const uid = (p = 'x') => `${p}${RUN}${(++seq).toString(36)}`;
const OWNER = basic(`owner-${RUN}`, 'secret');

let S0; // defaults
let S5; // kinto.paginate_by = 5
let S7; // kinto.storage_max_fetch_size = 7

before(async () => {
  [S0, S5, S7] = await Promise.all([
    startServer({ workers: 2 }),
    startServer({ workers: 1, settings: { 'kinto.paginate_by': '5' } }),
    startServer({ workers: 1, settings: { 'kinto.storage_max_fetch_size': '7' } }),
  ]);
});
after(async () => { await Promise.all([S0?.stop(), S5?.stop(), S7?.stop()]); });

// --- helpers -------------------------------------------------------------

const etagOf = (r) => Number((r.headers.get('etag') ?? '').replace(/"/g, ''));
const idsOf = (r) => r.json.data.map((o) => o.id);

// A collection with `n` records created one after another; returns the path and the records.
async function collection(srv, n, dataFn = (i) => ({ i })) {
  const b = uid('l');
  await must(req(srv, 'PUT', `/buckets/${b}`, { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'PUT', `/buckets/${b}/collections/c`, { auth: OWNER, body: {} }), 201);
  const R = `/buckets/${b}/collections/c/records`;
  const recs = [];
  for (let i = 0; i < n; i++) {
    recs.push((await must(req(srv, 'PUT', `${R}/r${String(i).padStart(2, '0')}`, { auth: OWNER, body: { data: dataFn(i) } }), 201)).json.data);
  }
  return { b, R, recs };
}

// Follows Next-Page from `path`; returns every page's response.
async function allPages(srv, path, max = 50) {
  const pages = [await must(req(srv, 'GET', path, { auth: OWNER }), 200)];
  while (pages.at(-1).headers.get('next-page')) {
    assert.ok(pages.length < max, 'too many pages');
    pages.push(await must(req(srv, 'GET', pages.at(-1).headers.get('next-page'), { auth: OWNER }), 200));
  }
  return pages;
}

// --- LIST-1 --------------------------------------------------------------

test('LIST-1 plural GET: {data}, newest first, tombstones excluded, ETag = T(list) whatever the filter', async () => {
  const { R, recs } = await collection(S0, 5);
  const del = await must(req(S0, 'DELETE', `${R}/r02`, { auth: OWNER }), 200);
  const T = del.json.data.last_modified;
  const l = await must(req(S0, 'GET', R, { auth: OWNER }), 200);
  assert.deepEqual(Object.keys(l.json), ['data']);
  assert.deepEqual(idsOf(l), ['r04', 'r03', 'r01', 'r00']);
  assert.deepEqual(l.json.data[0], recs[4]);
  assert.equal(etagOf(l), T);
  assert.equal(l.headers.get('total-objects'), null, 'GET carries no Total-* headers');
  assert.equal(l.headers.get('total-records'), null);
  const f = await must(req(S0, 'GET', `${R}?i=99`, { auth: OWNER }), 200);
  assert.deepEqual(f.json.data, []);
  assert.equal(etagOf(f), T);
  const h = await must(req(S0, 'HEAD', R, { auth: OWNER }), 200);
  assert.equal(h.text, '');
  assert.equal(h.headers.get('total-objects'), '4');
  assert.equal(etagOf(h), T);
  // the same order rule for buckets' collections and groups
  const b = uid('o');
  await must(req(S0, 'PUT', `/buckets/${b}`, { auth: OWNER, body: {} }), 201);
  for (const c of ['z', 'a', 'm']) await must(req(S0, 'PUT', `/buckets/${b}/collections/${c}`, { auth: OWNER, body: {} }), 201);
  for (const g of ['z', 'a', 'm']) await must(req(S0, 'PUT', `/buckets/${b}/groups/${g}`, { auth: OWNER, body: {} }), 201);
  assert.deepEqual(idsOf(await req(S0, 'GET', `/buckets/${b}/collections`, { auth: OWNER })), ['m', 'a', 'z']);
  assert.deepEqual(idsOf(await req(S0, 'GET', `/buckets/${b}/groups`, { auth: OWNER })), ['m', 'a', 'z']);
});

// --- LIST-12 -------------------------------------------------------------

test('LIST-12 _since / _before / _to / last_modified filters include tombstones; ETag stays T(list)', async () => {
  const { R, recs } = await collection(S0, 4);
  const [t1, , t3, t4] = recs.map((r) => r.last_modified);
  const t5 = (await must(req(S0, 'DELETE', `${R}/r01`, { auth: OWNER }), 200)).json.data.last_modified;
  const t6 = (await must(req(S0, 'PATCH', `${R}/r00`, { auth: OWNER, body: { data: { u: 1 } } }), 200)).json.data.last_modified;
  assert.ok(t1 < t3 && t3 < t4 && t4 < t5 && t5 < t6);
  const tomb = { id: 'r01', last_modified: t5, deleted: true };
  const get = async (qs) => must(req(S0, 'GET', `${R}?${qs}`, { auth: OWNER }), 200);
  let r = await get(`_since=${t3}`);
  assert.deepEqual(idsOf(r), ['r00', 'r01', 'r03']);
  assert.deepEqual(r.json.data[1], tomb);
  assert.equal(etagOf(r), t6);
  assert.deepEqual(idsOf(await get(`_since="${t3}"`)), ['r00', 'r01', 'r03'], 'quoted ETag form accepted');
  assert.deepEqual(idsOf(await get(`_since=%22${t3}%22`)), ['r00', 'r01', 'r03']);
  assert.deepEqual(idsOf(await get(`_before=${t4}`)), ['r02']);
  assert.deepEqual(idsOf(await get(`_since=${t3}&_before=${t6}`)), ['r01', 'r03']);
  assert.deepEqual(idsOf(await get(`gt_last_modified=${t3}`)), ['r00', 'r01', 'r03']);
  assert.deepEqual(idsOf(await get(`min_last_modified=${t5}`)), ['r00', 'r01']);
  assert.deepEqual(idsOf(await get(`lt_last_modified=${t6}&gt_last_modified=${t4}`)), ['r01']);
  assert.deepEqual((await get(`last_modified=${t5}`)).json.data, [tomb]);
  assert.deepEqual((await get('_since=0&deleted=true')).json.data, [tomb]);
  assert.deepEqual(idsOf(await get('_since=0')), ['r00', 'r01', 'r03', 'r02']);
  const empty = await get(`_since=${t6}`);
  assert.deepEqual(empty.json.data, []);
  assert.equal(etagOf(empty), t6);
  // _to: deprecated alias of _before, with an Alert header
  const to = await get(`_to=${t4}`);
  assert.deepEqual(idsOf(to), ['r02']);
  const alert = JSON.parse(to.headers.get('alert') ?? 'null');
  assert.equal(alert?.code, 'soft-eol');
  assert.equal(alert.message, '_to is now deprecated, you should use _before instead');
  // HEAD never counts tombstones
  const h = await must(req(S0, 'HEAD', `${R}?_since=0`, { auth: OWNER }), 200);
  assert.equal(h.headers.get('total-objects'), '3');
  assert.equal(h.headers.get('total-records'), '3');
});

test('LIST-12 invalid _since / _before values → 400 errno 107 (errata wording)', async () => {
  const { R } = await collection(S0, 1);
  const get = (qs) => req(S0, 'GET', `${R}?${qs}`, { auth: OWNER });
  for (const name of ['_since', '_before']) {
    expectError(await get(`${name}=abc`), 400, 107, {
      message: `${name} in querystring: "abc" is not a number`,
      details: [{ location: 'querystring', name, description: '"abc" is not a number' }],
    });
    expectError(await get(`${name}=-1`), 400, 107, {
      details: [{ location: 'querystring', name, description: '-1 is less than minimum value 0' }],
    });
    const future = Date.now() + 48 * 3600 * 1000;
    expectError(await get(`${name}=${future}`), 400, 107, {
      details: [{ location: 'querystring', name, description: `Invalid value for ${name}` }],
    });
    expectError(await get(`${name}=%7B%7D`), 400, 107, {
      details: [{ location: 'querystring', name, description: `Invalid value for ${name}` }],
    });
    for (const v of ['123%22', '%22123', '[1]', '1e400']) expectError(await get(`${name}=${v}`), 400, 107);
  }
  await must(get('_since=1.5'), 200);
  expectError(await get('gt_last_modified=abc'), 400, 107);
});

// --- LIST-15 -------------------------------------------------------------

test('LIST-15 _limit without paginate_by: page size, 0 / empty = no limit, 1.5 → 1, invalid → 400', async () => {
  const { R } = await collection(S0, 12);
  const n = async (qs) => (await must(req(S0, 'GET', `${R}?${qs}`, { auth: OWNER }), 200)).json.data.length;
  assert.equal(await n('_limit=2'), 2);
  assert.equal(await n('_limit=0'), 12);
  assert.equal(await n('_limit='), 12);
  assert.equal(await n('_limit=1.5'), 1);
  assert.equal(await n('_limit=1000000000'), 12, 'huge values are capped, not refused');
  assert.equal(await n('_limit=12'), 12);
  const last = await must(req(S0, 'GET', `${R}?_limit=12`, { auth: OWNER }), 200);
  assert.equal(last.headers.get('next-page'), null, 'exactly L objects left: no Next-Page');
  expectError(await req(S0, 'GET', `${R}?_limit=abc`, { auth: OWNER }), 400, 107, {
    message: '_limit in querystring: "abc" is not a number',
    details: [{ location: 'querystring', name: '_limit', description: '"abc" is not a number' }],
  });
  for (const v of ['-1', '-5', '100000000000000000000', '1e400', '%5B1%5D', '0x10', 'ten']) {
    const r = await req(S0, 'GET', `${R}?_limit=${v}`, { auth: OWNER });
    expectError(r, 400, 107);
    assert.equal(r.json.details[0].name, '_limit', r.text);
  }
});

test('LIST-15 kinto.paginate_by caps every page and is the default _limit', async () => {
  const { R } = await collection(S5, 12);
  const get = (qs) => must(req(S5, 'GET', `${R}${qs}`, { auth: OWNER }), 200);
  let r = await get('');
  assert.equal(r.json.data.length, 5);
  assert.match(r.headers.get('next-page') ?? '', /[?&]_limit=5(&|$)/);
  assert.equal((await get('?_limit=3')).json.data.length, 3);
  r = await get('?_limit=10');
  assert.equal(r.json.data.length, 5);
  assert.match(r.headers.get('next-page') ?? '', /[?&]_limit=5(&|$)/);
  assert.equal((await get('?_limit=0')).json.data.length, 5);
  const pages = await allPages(S5, R);
  assert.deepEqual(pages.map((p) => p.json.data.length), [5, 5, 2]);
  const h = await must(req(S5, 'HEAD', R, { auth: OWNER }), 200);
  assert.equal(h.headers.get('total-objects'), '12', 'counts ignore pagination');
  assert.equal(h.headers.get('next-page'), null);
});

test('LIST-15 kinto.storage_max_fetch_size caps a page even without paginate_by', async () => {
  const { R } = await collection(S7, 12);
  const get = (qs) => must(req(S7, 'GET', `${R}${qs}`, { auth: OWNER }), 200);
  let r = await get('');
  assert.equal(r.json.data.length, 7);
  assert.ok(r.headers.get('next-page'), 'the rest is reachable through Next-Page');
  assert.equal((await get('?_limit=10')).json.data.length, 7);
  assert.equal((await get('?_limit=3')).json.data.length, 3);
  r = await get('?_limit=1000000000');
  assert.equal(r.json.data.length, 7);
  const pages = await allPages(S7, R);
  assert.deepEqual(pages.map((p) => p.json.data.length), [7, 5]);
  assert.equal(new Set(pages.flatMap((p) => idsOf(p))).size, 12);
});

// --- LIST-16 -------------------------------------------------------------

test('LIST-16 Next-Page: absolute URL, original parameters kept in order, _limit/_token set; last page has none', async () => {
  const { b, R } = await collection(S0, 12);
  const pages = await allPages(S0, `${R}?_expected=42&_limit=5&_sort=-last_modified&_cb=x%20y`);
  assert.deepEqual(pages.map((p) => p.json.data.length), [5, 5, 2]);
  for (const p of pages.slice(0, -1)) {
    const np = p.headers.get('next-page');
    assert.ok(np.startsWith(`${S0.url}/buckets/${b}/collections/c/records?`), np);
    const u = new URL(np);
    assert.deepEqual([...u.searchParams.keys()], ['_expected', '_limit', '_sort', '_cb', '_token']);
    assert.equal(u.searchParams.get('_expected'), '42');
    assert.equal(u.searchParams.get('_limit'), '5');
    assert.equal(u.searchParams.get('_cb'), 'x y');
    assert.ok(u.searchParams.get('_token'));
  }
  assert.equal(pages.at(-1).headers.get('next-page'), null);
  const all = pages.flatMap((p) => p.json.data);
  assert.equal(new Set(all.map((o) => o.id)).size, 12);
  for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].last_modified > all[i].last_modified, 'order kept across pages');
  // _limit and _token are appended when absent from the original query
  const one = await must(req(S0, 'GET', `${R}?_sort=id&_limit=4`, { auth: OWNER }), 200);
  const second = await must(req(S0, 'GET', one.headers.get('next-page'), { auth: OWNER }), 200);
  assert.deepEqual([...new URL(second.headers.get('next-page')).searchParams.keys()], ['_sort', '_limit', '_token']);
  // GET tokens can be replayed
  const again = await must(req(S0, 'GET', one.headers.get('next-page'), { auth: OWNER }), 200);
  assert.deepEqual(again.json.data, second.json.data);
});

test('LIST-16 paginating gives the same sequence as one big page, for several sorts and filters', async () => {
  const titles = ['b', 'a', null, 'c', 'a', undefined, 'b', 'a', 'c', undefined, 'b', 'a'];
  const { R } = await collection(S0, 12, (i) => {
    const d = { n: i % 3, nested: { k: (i * 7) % 5 } };
    if (titles[i] !== undefined) d.title = titles[i];
    return d;
  });
  await must(req(S0, 'DELETE', `${R}/r05`, { auth: OWNER }), 200);
  for (const qs of ['_sort=title', '_sort=-title,n', '_sort=nested.k,-id', '_sort=id', '_sort=-n,title', 'n=1&_sort=title', '_since=0&_sort=title', 'in_n=0,2&_sort=-last_modified']) {
    const full = await must(req(S0, 'GET', `${R}?${qs}`, { auth: OWNER }), 200);
    for (const limit of [1, 2, 5]) {
      const pages = await allPages(S0, `${R}?${qs}&_limit=${limit}`);
      const seqIds = pages.flatMap((p) => idsOf(p));
      assert.deepEqual(seqIds, idsOf(full), `${qs} with _limit=${limit}`);
      for (const p of pages) assert.ok(p.json.data.length <= limit);
    }
  }
});

test('LIST-16 invalid _token → 400 errno 107 "querystring: _token has invalid content"', async () => {
  const { R } = await collection(S0, 3);
  const b64 = (s) => encodeURIComponent(Buffer.from(s).toString('base64'));
  const bad = [
    '!!!', 'abc', b64('not json'), b64('[1]'), b64('"str"'), b64('42'),
    b64('{"last_object": 5, "offset": 0, "nonce": "pagination-token-x"}'),
    b64('{"last_object": {}, "nonce": "pagination-token-x"}'),
    b64('{"last_object": {}, "offset": 0}'),
  ];
  for (const t of bad) {
    const r = await req(S0, 'GET', `${R}?_limit=1&_token=${t}`, { auth: OWNER });
    expectError(r, 400, 107, { message: 'querystring: _token has invalid content' });
  }
  // a well-formed token still works
  const first = await must(req(S0, 'GET', `${R}?_limit=1`, { auth: OWNER }), 200);
  await must(req(S0, 'GET', first.headers.get('next-page'), { auth: OWNER }), 200);
});
