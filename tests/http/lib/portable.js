// Checks shared by every way of serving cinto: the lighttpd suite of this folder runs them
// (each group from its own file: objects.test.js, lists.test.js, auth.test.js, batch.test.js),
// and so do the deployment tests (tests/barehost/: Apache with mod_fcgid, plain CGI and suexec
// in bare Debian roots; the README's nginx + spawn-fcgi recipe). They need nothing but a base
// URL: no database access, no server restart, no setting beyond the harness's DEFAULT_SETTINGS
// (basicauth, bucket_create_principals = system.Authenticated, the default batch_max_requests),
// and they create their own buckets, so they can run against a shared server.
//
//   portableTests(group, target, { test })
//     group   'objects' | 'lists' | 'auth' | 'batch', or an array of them
//     target  () => server, called when each test starts (servers are started in before()):
//             { url: 'http://127.0.0.1:PORT/v1' or with a mount prefix,
//               hmacSecret: its kinto.userid_hmac_secret (else read from .settings) }
//             a harness Server fits as it is
//     test    the registering function (node:test's test, or `it` inside a describe)
import { test as nodeTest } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { basic, req } from './harness.js';
import { must, expectError } from './expect.js';

const RUN = (Date.now() % 1e9).toString(36) + Math.random().toString(36).slice(2, 6);
let seq = 0;
const uid = (p = 'x') => `${p}${RUN}${(++seq).toString(36)}`;
const user = (name) => basic(`${name}-${RUN}`, 'secret');
const OWNER = user('owner');
const ALICE = user('alice');

// The server of the running test and what depends on it (node runs a file's tests one at a time).
let srv;
let secret;
let ids;
const idsByUrl = new Map();

async function useTarget(target) {
  srv = await target();
  assert.ok(srv && typeof srv.url === 'string', 'portableTests: the target has no url');
  secret = srv.hmacSecret ?? srv.settings?.['kinto.userid_hmac_secret'];
  if (!idsByUrl.has(srv.url)) {
    const found = {};
    for (const [k, a] of Object.entries({ owner: OWNER, alice: ALICE })) {
      const r = await must(req(srv, 'GET', '/', { auth: a }), 200);
      assert.ok(r.json.user, `no user for ${k}: the Authorization header does not reach the program: ${r.text}`);
      found[k] = r.json.user.id;
    }
    idsByUrl.set(srv.url, found);
  }
  ids = idsByUrl.get(srv.url);
}

// --- helpers -------------------------------------------------------------

const idsOf = (r) => r.json.data.map((o) => o.id);
const listStamp = (r) => Number((r.headers.get('etag') ?? '').replace(/"/g, ''));
const httpDate = (ts) => new Date(Math.floor(ts / 1000) * 1000).toUTCString();
function checkStamp(r, ts) {
  assert.equal(r.headers.get('etag'), `"${ts}"`);
  assert.equal(r.headers.get('last-modified'), httpDate(ts));
}
const hmacId = (key, credentials) => {
  assert.equal(typeof key, 'string', 'the target does not say its userid_hmac_secret');
  return `basicauth:${createHmac('sha256', Buffer.from(key, 'utf8')).update(Buffer.from(credentials, 'utf8')).digest('hex')}`;
};
const b64 = (bytes) => Buffer.from(bytes).toString('base64');
const whoami = async (s, authorization) => (await must(req(s, 'GET', '/', { headers: authorization === undefined ? {} : { Authorization: authorization } }), 200)).json.user;

// A bucket owned by `auth` with one collection `c`.
async function fixture(auth = OWNER, { bucketPerms, collPerms } = {}) {
  const b = uid('b');
  await must(req(srv, 'PUT', `/buckets/${b}`, { auth, body: { data: {}, permissions: bucketPerms } }), 201);
  await must(req(srv, 'PUT', `/buckets/${b}/collections/c`, { auth, body: { data: {}, permissions: collPerms } }), 201);
  return { b, B: `/buckets/${b}`, C: `/buckets/${b}/collections/c`, R: `/buckets/${b}/collections/c/records` };
}

async function putRecord(R, id, data = {}, auth = OWNER, permissions) {
  const r = await must(req(srv, 'PUT', `${R}/${id}`, { auth, body: { data, permissions } }), 201);
  return r.json.data;
}

// A collection with `n` records created one after another; returns the path and the records.
async function collection(s, n, dataFn = (i) => ({ i })) {
  const b = uid('l');
  await must(req(s, 'PUT', `/buckets/${b}`, { auth: OWNER, body: {} }), 201);
  await must(req(s, 'PUT', `/buckets/${b}/collections/c`, { auth: OWNER, body: {} }), 201);
  const R = `/buckets/${b}/collections/c/records`;
  const recs = [];
  for (let i = 0; i < n; i++) {
    recs.push((await must(req(s, 'PUT', `${R}/r${String(i).padStart(2, '0')}`, { auth: OWNER, body: { data: dataFn(i) } }), 201)).json.data);
  }
  return { b, R, recs };
}

// Follows Next-Page from `path`; returns every page's response.
async function allPages(s, path, max = 50) {
  const pages = [await must(req(s, 'GET', path, { auth: OWNER }), 200)];
  while (pages.at(-1).headers.get('next-page')) {
    assert.ok(pages.length < max, 'too many pages');
    pages.push(await must(req(s, 'GET', pages.at(-1).headers.get('next-page'), { auth: OWNER }), 200));
  }
  return pages;
}

// The same checks as expectError on one entry of a batch response list.
function expectSubError(sub, status, errno) {
  assert.equal(sub.status, status, `subresponse: expected ${status}, got ${JSON.stringify(sub).slice(0, 800)}`);
  assert.ok(sub.body && typeof sub.body === 'object', JSON.stringify(sub));
  assert.equal(sub.body.code, status, JSON.stringify(sub));
  assert.equal(sub.body.errno, errno, JSON.stringify(sub));
}

const batch = (body, { auth, headers = {} } = {}) => req(srv, 'POST', '/batch', { body, auth, headers });

// POST /batch that must answer 200 with one response per request; returns the list.
async function run(body, opts = {}) {
  const r = await batch(body, opts);
  assert.equal(r.status, 200, `batch: expected 200, got ${r.status}: ${String(r.text).slice(0, 800)}`);
  assert.ok(r.json && Array.isArray(r.json.responses), r.text);
  if (body && Array.isArray(body.requests)) assert.equal(r.json.responses.length, body.requests.length, r.text);
  return r.json.responses;
}

const statuses = (subs) => subs.map((s) => s.status);

// Case-insensitive look-up in a subresponse's headers object.
function hdr(sub, name) {
  for (const [k, v] of Object.entries(sub.headers || {})) if (k.toLowerCase() === name.toLowerCase()) return v;
  return undefined;
}

// A bucket with two collections c and c2.
async function batchFixture() {
  const { b, B, C, R } = await fixture();
  await must(req(srv, 'PUT', `${B}/collections/c2`, { auth: OWNER, body: { data: {} } }), 201);
  return { b, B, C, R, R2: `${B}/collections/c2/records` };
}
const get = async (path) => (await must(req(srv, 'GET', path, { auth: OWNER }), 200)).json;
const listIds = async (R) => (await get(R)).data.map((o) => o.id).sort();
const listEtag = async (R) => (await must(req(srv, 'GET', R, { auth: OWNER }), 200)).headers.get('etag');
const absent = async (path) => expectError(await req(srv, 'GET', path, { auth: OWNER }), 404, 110);

// --- the checks, by group ------------------------------------------------

const objects = (def) => {
  def('OBJ-4 envelopes: {data, permissions} for objects, {data: [...]} for lists, DELETE has data only', async () => {
    const { B, C, R } = await fixture();
    const created = await must(req(srv, 'POST', R, { auth: OWNER, body: { data: { title: 'hello' }, permissions: { read: ['system.Everyone'] } } }), 201);
    assert.deepEqual(Object.keys(created.json).sort(), ['data', 'permissions']);
    const d = created.json.data;
    assert.equal(d.title, 'hello');
    assert.equal(typeof d.id, 'string');
    assert.equal(typeof d.last_modified, 'number');
    assert.deepEqual(Object.keys(d).sort(), ['id', 'last_modified', 'title']);
    assert.deepEqual(created.json.permissions.read, ['system.Everyone']);
    assert.deepEqual(created.json.permissions.write, [ids.owner]);
    for (const path of [B, C, `${R}/${d.id}`]) {
      const g = await must(req(srv, 'GET', path, { auth: OWNER }), 200);
      assert.deepEqual(Object.keys(g.json).sort(), ['data', 'permissions']);
      assert.ok(g.json.permissions.write.includes(ids.owner));
    }
    const list = await must(req(srv, 'GET', R, { auth: OWNER }), 200);
    assert.deepEqual(Object.keys(list.json), ['data']);
    assert.deepEqual(list.json.data, [d]);
    const del = await must(req(srv, 'DELETE', `${R}/${d.id}`, { auth: OWNER }), 200);
    assert.deepEqual(Object.keys(del.json), ['data']);
    // Only names with at least one principal appear; no duplicates.
    const p = await must(req(srv, 'PUT', `${R}/dup`, { auth: OWNER, body: { data: {}, permissions: { read: [ids.alice, ids.alice], write: [] } } }), 201);
    assert.deepEqual(p.json.permissions.read, [ids.alice]);
    assert.deepEqual(p.json.permissions.write, [ids.owner]);
    assert.deepEqual(Object.keys(p.json.permissions).sort(), ['read', 'write']);
  });

  def('OBJ-5 status codes: POST 201/200, PUT 201/200 (201 over a tombstone), PATCH 200, DELETE 200', async () => {
    const { R } = await fixture();
    const p1 = await must(req(srv, 'POST', R, { auth: OWNER, body: { data: { id: 'p', v: 1 } } }), 201);
    const p2 = await must(req(srv, 'POST', R, { auth: OWNER, body: { data: { id: 'p', v: 2 } } }), 200);
    assert.deepEqual(p2.json.data, p1.json.data, 'POST on an existing id returns it unchanged');
    await must(req(srv, 'PUT', `${R}/q`, { auth: OWNER, body: { data: { v: 1 } } }), 201);
    await must(req(srv, 'PUT', `${R}/q`, { auth: OWNER, body: { data: { v: 2 } } }), 200);
    await must(req(srv, 'PATCH', `${R}/q`, { auth: OWNER, body: { data: { w: 3 } } }), 200);
    await must(req(srv, 'DELETE', `${R}/q`, { auth: OWNER }), 200);
    await must(req(srv, 'PUT', `${R}/q`, { auth: OWNER, body: { data: { v: 4 } } }), 201);
    await must(req(srv, 'DELETE', `${R}/q`, { auth: OWNER }), 200);
    await must(req(srv, 'POST', R, { auth: OWNER, body: { data: { id: 'q' } } }), 201);
    const bulk = await must(req(srv, 'DELETE', R, { auth: OWNER }), 200);
    assert.deepEqual(bulk.json.data.map((t) => t.id).sort(), ['p', 'q']);
    const empty = await must(req(srv, 'DELETE', R, { auth: OWNER }), 200);
    assert.deepEqual(empty.json.data, []);
  });

  def('OBJ-14 GET a single object, _fields projection, 404 errno 110 with details and no message', async () => {
    const { B, R } = await fixture();
    const rec = await putRecord(R, 'r1', { title: 't', body: 'b', address: { city: 'Paris', zip: '75' }, n: 1 });
    const g = await must(req(srv, 'GET', `${R}/r1?foo=bar&_since=abc`, { auth: OWNER }), 200);
    assert.deepEqual(g.json.data, rec);
    const f = await must(req(srv, 'GET', `${R}/r1?_fields=title,address.city`, { auth: OWNER }), 200);
    assert.deepEqual(f.json.data, { id: 'r1', last_modified: rec.last_modified, title: 't', address: { city: 'Paris' } });
    const f2 = await must(req(srv, 'GET', `${R}/r1?_fields=missing,n`, { auth: OWNER }), 200);
    assert.deepEqual(f2.json.data, { id: 'r1', last_modified: rec.last_modified, n: 1 });
    const nf = await req(srv, 'GET', `${R}/nope`, { auth: OWNER });
    expectError(nf, 404, 110, { error: 'Not Found', details: { id: 'nope', resource_name: 'record' } });
    assert.equal('message' in nf.json, false, 'no message on 404 errno 110');
    expectError(await req(srv, 'GET', `${B}/collections/zzz`, { auth: OWNER }), 404, 110, { details: { id: 'zzz', resource_name: 'collection' } });
    expectError(await req(srv, 'GET', `${B}/groups/zzz`, { auth: OWNER }), 404, 110, { details: { id: 'zzz', resource_name: 'group' } });
  });

  def('OBJ-16 DELETE returns the tombstone; deleting again gives 404', async () => {
    const { B, C, R } = await fixture();
    await putRecord(R, 'r1', { x: 1 });
    const d = await must(req(srv, 'DELETE', `${R}/r1`, { auth: OWNER }), 200);
    assert.equal(d.json.data.id, 'r1');
    assert.equal(d.json.data.deleted, true);
    checkStamp(d, d.json.data.last_modified);
    expectError(await req(srv, 'DELETE', `${R}/r1`, { auth: OWNER }), 404, 110, { details: { id: 'r1', resource_name: 'record' } });
    await must(req(srv, 'PUT', `${B}/groups/g`, { auth: OWNER, body: { data: { members: [] } } }), 201);
    const dg = await must(req(srv, 'DELETE', `${B}/groups/g`, { auth: OWNER }), 200);
    assert.deepEqual(Object.keys(dg.json.data).sort(), ['deleted', 'id', 'last_modified']);
    expectError(await req(srv, 'DELETE', `${B}/groups/g`, { auth: OWNER }), 404, 110, { details: { id: 'g', resource_name: 'group' } });
    const dc = await must(req(srv, 'DELETE', C, { auth: OWNER }), 200);
    assert.equal(dc.json.data.deleted, true);
    const db = await must(req(srv, 'DELETE', B, { auth: OWNER }), 200);
    assert.equal(db.json.data.deleted, true);
  });
};

const lists = (def) => {
  def('LIST-1 plural GET: {data}, newest first, tombstones excluded, ETag = T(list) whatever the filter', async () => {
    const { R, recs } = await collection(srv, 5);
    const del = await must(req(srv, 'DELETE', `${R}/r02`, { auth: OWNER }), 200);
    const T = del.json.data.last_modified;
    const l = await must(req(srv, 'GET', R, { auth: OWNER }), 200);
    assert.deepEqual(Object.keys(l.json), ['data']);
    assert.deepEqual(idsOf(l), ['r04', 'r03', 'r01', 'r00']);
    assert.deepEqual(l.json.data[0], recs[4]);
    assert.equal(listStamp(l), T);
    assert.equal(l.headers.get('total-objects'), null, 'GET carries no Total-* headers');
    assert.equal(l.headers.get('total-records'), null);
    const f = await must(req(srv, 'GET', `${R}?i=99`, { auth: OWNER }), 200);
    assert.deepEqual(f.json.data, []);
    assert.equal(listStamp(f), T);
    const h = await must(req(srv, 'HEAD', R, { auth: OWNER }), 200);
    assert.equal(h.text, '');
    assert.equal(h.headers.get('total-objects'), '4');
    assert.equal(listStamp(h), T);
    // the same order rule for buckets' collections and groups
    const b = uid('o');
    await must(req(srv, 'PUT', `/buckets/${b}`, { auth: OWNER, body: {} }), 201);
    for (const c of ['z', 'a', 'm']) await must(req(srv, 'PUT', `/buckets/${b}/collections/${c}`, { auth: OWNER, body: {} }), 201);
    for (const g of ['z', 'a', 'm']) await must(req(srv, 'PUT', `/buckets/${b}/groups/${g}`, { auth: OWNER, body: {} }), 201);
    assert.deepEqual(idsOf(await req(srv, 'GET', `/buckets/${b}/collections`, { auth: OWNER })), ['m', 'a', 'z']);
    assert.deepEqual(idsOf(await req(srv, 'GET', `/buckets/${b}/groups`, { auth: OWNER })), ['m', 'a', 'z']);
  });

  def('LIST-12 _since / _before / _to / last_modified filters include tombstones; ETag stays T(list)', async () => {
    const { R, recs } = await collection(srv, 4);
    const [t1, , t3, t4] = recs.map((r) => r.last_modified);
    const t5 = (await must(req(srv, 'DELETE', `${R}/r01`, { auth: OWNER }), 200)).json.data.last_modified;
    const t6 = (await must(req(srv, 'PATCH', `${R}/r00`, { auth: OWNER, body: { data: { u: 1 } } }), 200)).json.data.last_modified;
    assert.ok(t1 < t3 && t3 < t4 && t4 < t5 && t5 < t6);
    const tomb = { id: 'r01', last_modified: t5, deleted: true };
    const get = async (qs) => must(req(srv, 'GET', `${R}?${qs}`, { auth: OWNER }), 200);
    let r = await get(`_since=${t3}`);
    assert.deepEqual(idsOf(r), ['r00', 'r01', 'r03']);
    assert.deepEqual(r.json.data[1], tomb);
    assert.equal(listStamp(r), t6);
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
    assert.equal(listStamp(empty), t6);
    // _to: deprecated alias of _before, with an Alert header
    const to = await get(`_to=${t4}`);
    assert.deepEqual(idsOf(to), ['r02']);
    const alert = JSON.parse(to.headers.get('alert') ?? 'null');
    assert.equal(alert?.code, 'soft-eol');
    assert.equal(alert.message, '_to is now deprecated, you should use _before instead');
    // HEAD never counts tombstones
    const h = await must(req(srv, 'HEAD', `${R}?_since=0`, { auth: OWNER }), 200);
    assert.equal(h.headers.get('total-objects'), '3');
    assert.equal(h.headers.get('total-records'), '3');
  });

  def('LIST-16 Next-Page: absolute URL, original parameters kept in order, _limit/_token set; last page has none', async () => {
    const { b, R } = await collection(srv, 12);
    const pages = await allPages(srv, `${R}?_expected=42&_limit=5&_sort=-last_modified&_cb=x%20y`);
    assert.deepEqual(pages.map((p) => p.json.data.length), [5, 5, 2]);
    for (const p of pages.slice(0, -1)) {
      const np = p.headers.get('next-page');
      assert.ok(np.startsWith(`${srv.url}/buckets/${b}/collections/c/records?`), np);
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
    const one = await must(req(srv, 'GET', `${R}?_sort=id&_limit=4`, { auth: OWNER }), 200);
    const second = await must(req(srv, 'GET', one.headers.get('next-page'), { auth: OWNER }), 200);
    assert.deepEqual([...new URL(second.headers.get('next-page')).searchParams.keys()], ['_sort', '_limit', '_token']);
    // GET tokens can be replayed
    const again = await must(req(srv, 'GET', one.headers.get('next-page'), { auth: OWNER }), 200);
    assert.deepEqual(again.json.data, second.json.data);
  });
};

const auth = (def) => {
  def('AUTH-2 Basic header parsing: scheme case-insensitive, split at the first colon, Latin-1 fallback', async () => {
    const expected = hmacId(secret, 'mat:secret');
    for (const scheme of ['Basic', 'basic', 'BASIC', 'bAsIc']) {
      assert.equal((await whoami(srv, `${scheme} ${b64('mat:secret')}`))?.id, expected, scheme);
    }
    // "a:b:c" is user "a" with password "b:c": the hashed message is the same text
    assert.equal((await whoami(srv, `Basic ${b64('a:b:c')}`)).id, hmacId(secret, 'a:b:c'));
    // bytes that are not UTF-8 are decoded as Latin-1 (é = 0xE9), then hashed as UTF-8
    const latin1 = Buffer.from('jos\xe9:s\xe9cret', 'latin1');
    assert.equal((await whoami(srv, `Basic ${latin1.toString('base64')}`))?.id, hmacId(secret, 'josé:sécret'));
  });

  def('AUTH-2 / AUTH-4 unusable Authorization headers leave the request anonymous (never 401 by themselves)', async () => {
    const bad = [
      'Basic', 'Basic ', 'Basic !!!!', 'Basic ====', `Basic ${b64('no-colon')}`, `Basic ${b64(':secret')}`,
      `Basic ${b64(':')}`, `Bearer ${b64('mat:secret')}`, 'Carrier pigeon', 'Digest username="mat"', '',
      `Basic ${b64('mat:secret')} trailing`, `Basic${b64('mat:secret')}`, 'Basic bWF0OnNlY3JldA', 'Basic bWF0O=nNlY3JldA==',
    ];
    for (const h of bad) {
      const r = await req(srv, 'GET', '/', { headers: { Authorization: h } });
      assert.equal(r.status, 200, `${JSON.stringify(h)}: ${String(r.text).slice(0, 600)}`);
      if (r.json.user !== undefined) {
        // tolerated only where a lenient base64 decoder still finds "mat:secret"
        assert.equal(r.json.user.id, hmacId(secret, 'mat:secret'), `${JSON.stringify(h)} gave ${String(r.text).slice(0, 600)}`);
      }
    }
    for (const h of ['Basic !!!!', `Basic ${b64('no-colon')}`, `Basic ${b64(':secret')}`, 'Carrier pigeon', `Bearer ${b64('mat:secret')}`]) {
      const r = await req(srv, 'GET', '/', { headers: { Authorization: h } });
      assert.equal(r.json.user, undefined, `${JSON.stringify(h)} must be anonymous: ${String(r.text).slice(0, 600)}`);
    }
    // A public resource is readable with such a header; a private one gives 401, not 400.
    const b = uid('pub');
    await must(req(srv, 'PUT', `/buckets/${b}`, { auth: basic('owner', 'x'), body: { permissions: { read: ['system.Everyone'] } } }), 201);
    await must(req(srv, 'GET', `/buckets/${b}`, { headers: { Authorization: 'Carrier pigeon' } }), 200);
    const priv = uid('priv');
    await must(req(srv, 'PUT', `/buckets/${priv}`, { auth: basic('owner', 'x'), body: {} }), 201);
    expectError(await req(srv, 'GET', `/buckets/${priv}`, { headers: { Authorization: `Basic ${b64(':nope')}` } }), 401, 104);
  });
};

const batchGroup = (def) => {
  def('BATCH-2 subrequests run in order; one entry per request {status, path (with /v1, no query), headers, body}', async () => {
    const { R } = await batchFixture();
    const subs = await run(
      {
        requests: [
          { method: 'PUT', path: `${R}/a`, body: { data: { n: 1 } } },
          { path: `${R}/a` },
          { method: 'PATCH', path: `${R}/a`, body: { data: { n: 2 } } },
          { path: `${R}/a` },
          { method: 'DELETE', path: `${R}/a` },
          { path: `${R}/a` },
          { path: '/' },
          { method: 'PUT', path: `/v1${R}/b`, body: { data: { n: 3 } } },
          { method: 'POST', path: R, body: { data: { n: 4 } } },
          { path: `${R}?_sort=n` },
        ],
      },
      { auth: OWNER },
    );
    assert.deepEqual(statuses(subs), [201, 200, 200, 200, 200, 404, 200, 201, 201, 200], JSON.stringify(subs));
    for (const s of subs) {
      assert.deepEqual(Object.keys(s).sort(), ['body', 'headers', 'path', 'status'], JSON.stringify(s));
      assert.equal(typeof s.status, 'number');
      assert.ok(s.headers && typeof s.headers === 'object' && !Array.isArray(s.headers), JSON.stringify(s));
      for (const [k, v] of Object.entries(s.headers)) assert.equal(typeof v, 'string', `header ${k} of ${JSON.stringify(s)}`);
      assert.match(hdr(s, 'content-type') ?? '', /^application\/json/, JSON.stringify(s));
    }
    assert.deepEqual(subs.map((s) => s.path), [
      `/v1${R}/a`, `/v1${R}/a`, `/v1${R}/a`, `/v1${R}/a`, `/v1${R}/a`, `/v1${R}/a`, '/v1/', `/v1${R}/b`, `/v1${R}`, `/v1${R}`,
    ]);
    assert.equal(subs[0].body.data.n, 1);
    assert.equal(hdr(subs[0], 'etag'), `"${subs[0].body.data.last_modified}"`);
    assert.deepEqual(subs[1].body.data, subs[0].body.data);
    assert.equal(subs[2].body.data.n, 2);
    assert.deepEqual(subs[3].body.data, subs[2].body.data, 'a later subrequest sees the earlier write');
    assert.deepEqual(subs[4].body.data, { id: 'a', last_modified: subs[4].body.data.last_modified, deleted: true });
    expectSubError(subs[5], 404, 110);
    assert.equal(subs[6].body.settings.batch_max_requests, 25);
    assert.equal(subs[6].body.user.id, ids.owner);
    const post = subs[8].body.data;
    assert.equal(post.n, 4);
    assert.deepEqual(subs[9].body.data.map((o) => o.n), [3, 4]);
    assert.equal(hdr(subs[9], 'etag'), `"${post.last_modified}"`);
    assert.deepEqual(await listIds(R), ['b', post.id].sort());
  });

  def('BATCH-3 / SYNC-6 a 409 inside a batch rolls back the WHOLE batch: 409 errno 122 + Retry-After, nothing stored (D9)', async () => {
    const { B, C, R, R2 } = await batchFixture();
    const r0 = (await must(req(srv, 'PUT', `${R}/r0`, { auth: OWNER, body: { data: { v: 0 } } }), 201)).json.data;
    const r1 = (await must(req(srv, 'PUT', `${R}/r1`, { auth: OWNER, body: { data: { v: 1 } } }), 201)).json.data;
    const r2 = (await must(req(srv, 'PUT', `${R}/r2`, { auth: OWNER, body: { data: { v: 2 } } }), 201)).json.data;
    const etagR = await listEtag(R);
    const etagR2 = await listEtag(R2);
    const etagColls = await listEtag(`${B}/collections`);
    assert.equal(etagR, `"${r2.last_modified}"`);
    const requests = [
      { method: 'PUT', path: `${R2}/x`, body: { data: { v: 1 } } },
      { method: 'PUT', path: `${R}/y`, body: { data: { v: 1 } } },
      { method: 'PATCH', path: `${R}/r2`, body: { data: { v: 22 } } },
      { method: 'DELETE', path: `${R}/r1` },
      { method: 'PUT', path: `${C}3`, body: { data: {} } },
      { path: `${R}/missing` }, // a 4xx before the conflict changes nothing
      // forced past value equal to r0's timestamp: duplicate in the list (01 §1.7 item 4)
      { method: 'PUT', path: `${R}/dup`, body: { data: { last_modified: r0.last_modified } } },
      { method: 'PUT', path: `${R}/z`, body: { data: {} } },
    ];
    const r = await batch({ requests }, { auth: OWNER });
    expectError(r, 409, 122, { message: 'Integrity constraint violated, please retry.' });
    assert.equal(r.json.responses, undefined, 'no responses list: the batch failed as a whole');
    assert.match(r.headers.get('retry-after') ?? '', /^\d+$/, 'Retry-After on 409 (HDR-2)');
    // nothing of the batch is stored
    assert.deepEqual((await get(`${R}/r1`)).data, r1);
    assert.deepEqual((await get(`${R}/r2`)).data, r2);
    for (const p of [`${R2}/x`, `${R}/y`, `${R}/dup`, `${R}/z`]) await absent(p);
    await absent(`${C}3`);
    assert.deepEqual((await get(`${R}/r0`)).data, r0);
    assert.deepEqual(await listIds(R), ['r0', 'r1', 'r2']);
    assert.deepEqual(await listIds(R2), []);
    assert.equal(await listEtag(R), etagR, 'records list timestamp unchanged');
    assert.equal(await listEtag(R2), etagR2, 'other list timestamp unchanged');
    assert.equal(await listEtag(`${B}/collections`), etagColls, 'collections list timestamp unchanged');
    const since = await must(req(srv, 'GET', `${R}?_since=0`, { auth: OWNER }), 200);
    assert.deepEqual(since.json.data.map((o) => o.id).sort(), ['r0', 'r1', 'r2'], 'no tombstone either');
    // The same batch without the conflicting write succeeds, and what it lists is durable.
    const okReqs = requests.filter((q) => !q.path.endsWith('/dup'));
    const subs = await run({ requests: okReqs }, { auth: OWNER });
    assert.deepEqual(statuses(subs), [201, 201, 200, 200, 201, 404, 201]);
    for (const [i, s] of subs.entries()) {
      if (s.status >= 400 || okReqs[i].method === 'DELETE') continue;
      assert.deepEqual((await get(s.path.replace(/^\/v1/, ''))).data, s.body.data, `durable: ${s.path}`);
    }
    await absent(`${R}/r1`);
  });
};

const GROUPS = { objects, lists, auth, batch: batchGroup };

export function portableTests(group, target, { test = nodeTest } = {}) {
  const names = group === 'all' ? Object.keys(GROUPS) : [].concat(group);
  for (const g of names) {
    assert.ok(GROUPS[g], `portableTests: no group ${g}`);
    GROUPS[g]((name, fn) => test(name, async () => {
      await useTarget(target);
      await fn();
    }));
  }
}
