// Black-box tests for spec 02 §2.1, §2.5, §2.8, §2.9: plural GET basics,
// _since/_before/_to with tombstones, page size rules, Next-Page and
// _token: LIST-1, LIST-12, LIST-15, LIST-16.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, basic, req } from './lib/harness.js';
import { must, expectError } from './lib/expect.js';
import { portableTests } from './lib/portable.js';

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

// LIST-1, LIST-12 (filters), LIST-16 (Next-Page): shared with the deployment tests (lib/portable.js)
portableTests('lists', () => S0);

// --- helpers -------------------------------------------------------------

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

// --- LIST-12 -------------------------------------------------------------

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
