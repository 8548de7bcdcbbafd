// Black-box tests for POST /batch (spec 06 §6.1-6.3, 09 §9.7, errata 5, deviation D9):
// BATCH-1 request schema, defaults, limit, recursion ban, authentication;
// BATCH-2 subrequest construction, redirects, response list format;
// BATCH-3 transactionality (4xx kept in place, 409 rolls back everything, timestamps);
// SYNC-6 the batch guarantees kinto.js relies on when pushing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, basic, req } from './lib/harness.js';
import { must, expectError } from './lib/expect.js';
import { portableTests } from './lib/portable.js';

const RUN = (Date.now() % 1e9).toString(36) + Math.random().toString(36).slice(2, 6);
let seq = 0;
const uid = (p = 'x') => `${p}${RUN}${(++seq).toString(36)}`;
const user = (name) => basic(`${name}-${RUN}`, 'secret');

const OWNER = user('owner');
const ALICE = user('alice');
const BOB = user('bob');

const MERGE = 'application/merge-patch+json';
const JPATCH = 'application/json-patch+json';

let srv; // default settings (batch_max_requests 25)
let lim; // kinto.batch_max_requests = 3
const ids = {};

before(async () => {
  [srv, lim] = await Promise.all([
    startServer({ workers: 2 }),
    startServer({ workers: 1, settings: { 'kinto.batch_max_requests': 3 } }),
  ]);
  for (const [k, a] of Object.entries({ owner: OWNER, alice: ALICE, bob: BOB })) {
    const r = await req(srv, 'GET', '/', { auth: a });
    assert.equal(r.status, 200, r.text);
    ids[k] = r.json.user.id;
  }
});
after(async () => {
  await Promise.all([srv?.stop(), lim?.stop()]);
});

// BATCH-2 (subrequests in order), BATCH-3 / SYNC-6 (409 rolls back): shared with the deployment
// tests (lib/portable.js)
portableTests('batch', () => srv);

// --- helpers -------------------------------------------------------------



// The same checks on one entry of a batch response list.
function expectSubError(sub, status, errno) {
  assert.equal(sub.status, status, `subresponse: expected ${status}, got ${JSON.stringify(sub).slice(0, 800)}`);
  assert.ok(sub.body && typeof sub.body === 'object', JSON.stringify(sub));
  assert.equal(sub.body.code, status, JSON.stringify(sub));
  assert.equal(sub.body.errno, errno, JSON.stringify(sub));
}

// POST /batch. body: an object (JSON), a string or a Uint8Array sent as is.
function batch(body, { server = srv, auth, headers = {} } = {}) {
  return req(server, 'POST', '/batch', { body, auth, headers });
}

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

async function fixture({ server = srv, auth = OWNER, bucketPerms } = {}) {
  const b = uid('b');
  await must(req(server, 'PUT', `/buckets/${b}`, { auth, body: { data: {}, permissions: bucketPerms } }), 201);
  await must(req(server, 'PUT', `/buckets/${b}/collections/c`, { auth, body: { data: {} } }), 201);
  await must(req(server, 'PUT', `/buckets/${b}/collections/c2`, { auth, body: { data: {} } }), 201);
  return {
    b,
    B: `/buckets/${b}`,
    C: `/buckets/${b}/collections/c`,
    R: `/buckets/${b}/collections/c/records`,
    R2: `/buckets/${b}/collections/c2/records`,
  };
}
async function get(path, { server = srv, auth = OWNER } = {}) {
  return (await must(req(server, 'GET', path, { auth }), 200)).json;
}
async function listIds(R, opts) {
  return (await get(R, opts)).data.map((o) => o.id).sort();
}
const etagOf = (r) => r.headers.get('etag');
async function listEtag(R, { server = srv, auth = OWNER } = {}) {
  return etagOf(await must(req(server, 'GET', R, { auth }), 200));
}
async function absent(path, { server = srv, auth = OWNER } = {}) {
  expectError(await req(server, 'GET', path, { auth }), 404, 110);
}

// --- BATCH-1 -------------------------------------------------------------

test('BATCH-1 {"requests": []} → 200 {"responses": []} without authentication; json with charset or no Content-Type accepted', async () => {
  for (const auth of [undefined, OWNER]) {
    const r = await must(batch({ requests: [] }, { auth }), 200);
    assert.deepEqual(r.json, { responses: [] });
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(r.headers.get('etag'), null, 'the batch envelope carries no ETag (01 §1.8)');
  }
  const cs = await must(batch('{"requests": []}', { headers: { 'Content-Type': 'application/json; charset=utf-8' } }), 200);
  assert.deepEqual(cs.json, { responses: [] });
  const noCt = await must(batch(new TextEncoder().encode('{"requests": []}')), 200);
  assert.deepEqual(noCt.json, { responses: [] });
});

test('BATCH-1 envelope: other media types → 415, other methods → 405 with Allow: POST', async () => {
  const { R } = await fixture();
  const body = JSON.stringify({ requests: [{ method: 'PUT', path: `${R}/r`, body: { data: {} } }] });
  for (const ct of ['text/plain', 'application/x-www-form-urlencoded', MERGE, JPATCH]) {
    for (const auth of [undefined, OWNER]) {
      const r = await batch(body, { auth, headers: { 'Content-Type': ct } });
      expectError(r, 415, 107);
      assert.equal(r.json.details[0].location, 'header', r.text);
      assert.equal(r.json.details[0].name, 'Content-Type', r.text);
    }
  }
  for (const method of ['GET', 'PUT', 'PATCH', 'DELETE']) {
    const r = await req(srv, method, '/batch', { auth: OWNER, body: method === 'GET' || method === 'DELETE' ? undefined : JSON.parse(body) });
    expectError(r, 405, 115);
    assert.match(r.headers.get('allow') ?? '', /\bPOST\b/, `Allow: ${r.headers.get('allow')}`);
    assert.doesNotMatch(r.headers.get('allow') ?? '', new RegExp(`\\b${method}\\b`));
  }
  await absent(`${R}/r`);
});

test('BATCH-1 body schema: requests required array of {method, path, headers, body}; violations → 400 errno 107 (location body), nothing executed', async () => {
  const { R } = await fixture();
  let n = 0;
  // Every invalid batch starts with a valid write that must not run.
  const pre = () => ({ method: 'PUT', path: `${R}/pre${++n}`, body: { data: { n } } });
  const ok = (extra) => ({ method: 'GET', path: R, ...extra });
  const cases = [
    {},
    { requests: {} },
    { requests: 'x' },
    { requests: null },
    { requests: 5 },
    { defaults: { method: 'GET' } },
    { requests: [pre(), 1] },
    { requests: [pre(), 'x'] },
    { requests: [pre(), []] },
    { requests: [pre(), null] },
    { requests: [pre(), ok()], extra: 1 },
    { requests: [pre(), ok({ foo: 1 })] },
    { requests: [pre(), ok({ method: 'FOO' })] },
    { requests: [pre(), ok({ method: 'get' })] },
    { requests: [pre(), ok({ method: 1 })] },
    { requests: [pre(), ok({ method: 'OPTIONS' })] },
    { requests: [pre(), { method: 'GET' }] },
    { requests: [pre(), ok({ path: 'buckets' })] },
    { requests: [pre(), ok({ path: '' })] },
    { requests: [pre(), ok({ path: 5 })] },
    { requests: [pre(), ok({ headers: [] })] },
    { requests: [pre(), ok({ headers: 'x' })] },
    { requests: [pre(), ok({ headers: { 'X-Thing': 1 } })] },
    { requests: [pre(), ok({ headers: { 'If-Match': 1700000000000 } })] },
    { requests: [pre(), ok({ headers: { 'X-Thing': { a: 'b' } } })] },
    { requests: [pre(), ok({ body: 'x' })] },
    { requests: [pre(), ok({ body: 5 })] },
    { requests: [pre(), ok({ body: true })] },
    { defaults: [], requests: [pre()] },
    { defaults: 'x', requests: [pre()] },
    { defaults: { foo: 1 }, requests: [pre()] },
    { defaults: { method: 'FOO' }, requests: [pre()] },
    { defaults: { path: 'nope' }, requests: [pre()] },
    { defaults: { headers: { a: 1 } }, requests: [pre()] },
    { defaults: { body: 'x' }, requests: [pre()] },
  ];
  for (const body of cases) {
    for (const auth of [OWNER, undefined]) {
      const r = await batch(body, { auth });
      expectError(r, 400, 107);
      assert.equal(r.json.error, 'Invalid parameters', r.text);
      assert.ok(Array.isArray(r.json.details) && r.json.details.length >= 1, r.text);
      assert.equal(r.json.details[0].location, 'body', `${JSON.stringify(body)} → ${r.text}`);
      assert.equal(r.json.responses, undefined);
    }
  }
  const req0 = await batch({ requests: [pre(), ok()], extra: 1 }, { auth: OWNER });
  assert.match(req0.json.message, /extra/, req0.text);
  const missing = await batch({}, { auth: OWNER });
  assert.match(missing.json.message, /requests/, missing.text);
  for (const raw of ['{', '[]', '"requests"', 'null', '{"requests": [}']) {
    const r = await batch(raw, { auth: OWNER, headers: { 'Content-Type': 'application/json' } });
    expectError(r, 400, 107);
    assert.equal(r.json.details[0].location, 'body', r.text);
  }
  assert.deepEqual(await listIds(R), [], 'no subrequest of a refused batch ran');
});

test('BATCH-1 defaults are merged into every request recursively, without overwriting the request', async () => {
  const { R } = await fixture();
  const subs = await run(
    {
      defaults: {
        method: 'PUT',
        headers: { 'If-None-Match': '*' },
        body: { data: { kind: 'd', nested: { a: 1 }, tags: ['d'] } },
      },
      requests: [
        { path: `${R}/a` },
        { path: `${R}/b`, body: { data: { kind: 'own', nested: { b: 2 }, tags: ['own'] }, permissions: { read: [ids.alice] } } },
        { path: `${R}/a` }, // If-None-Match: * from the defaults → 412
        { path: `${R}/a`, headers: { 'If-None-Match': '"1"' }, body: { data: { kind: 'replaced' } } }, // request header wins
        { method: 'GET', path: `${R}/b`, headers: { 'If-None-Match': '"1"' } }, // request method wins
      ],
    },
    { auth: OWNER },
  );
  assert.deepEqual(statuses(subs), [201, 201, 412, 200, 200], JSON.stringify(subs));
  const { last_modified: _a, ...a } = subs[0].body.data;
  assert.deepEqual(a, { id: 'a', kind: 'd', nested: { a: 1 }, tags: ['d'] });
  const { last_modified: _b, ...b } = subs[1].body.data;
  assert.deepEqual(b, { id: 'b', kind: 'own', nested: { a: 1, b: 2 }, tags: ['own'] }, 'objects merged key by key, request values win, arrays not merged');
  assert.deepEqual(subs[1].body.permissions.read, [ids.alice]);
  assert.equal(subs[2].body.details.existing.id, 'a');
  assert.equal(subs[3].body.data.kind, 'replaced');
  assert.deepEqual(subs[3].body.data.nested, { a: 1 }, 'the default body fills what the request body lacks');
  assert.equal(subs[4].body.data.kind, 'own');
  // The default path serves requests that have none.
  const paths = await run({ defaults: { path: `${R}/a` }, requests: [{}, { path: `${R}/b` }, { method: 'HEAD' }] }, { auth: OWNER });
  assert.deepEqual(statuses(paths), [200, 200, 200]);
  assert.equal(paths[0].body.data.id, 'a');
  assert.equal(paths[0].path, `/v1${R}/a`);
  assert.equal(paths[1].body.data.id, 'b');
  assert.equal(paths[2].body, '');
  // Defaults do not leak between requests: the first request's merge does not alter the second.
  const third = await run({ defaults: { method: 'PUT', body: { data: { d: 1 } } }, requests: [{ path: `${R}/x`, body: { data: { only: 'x' } } }, { path: `${R}/y` }] }, { auth: OWNER });
  assert.deepEqual(statuses(third), [201, 201]);
  assert.deepEqual(third[0].body.data.only, 'x');
  assert.equal(third[1].body.data.only, undefined);
  assert.equal(third[1].body.data.d, 1);
});

test('BATCH-1 batch_max_requests: advertised in GET /v1/; longer batches → 400 "Number of requests is limited to N" (errata 5), nothing executed', async () => {
  assert.equal((await get('/', { server: lim })).settings.batch_max_requests, 3);
  assert.equal((await get('/')).settings.batch_max_requests, 25);
  const { R } = await fixture({ server: lim });
  const puts = (n, p) => Array.from({ length: n }, (_, i) => ({ method: 'PUT', path: `${R}/${p}${i}`, body: { data: { i } } }));
  const three = await run({ requests: puts(3, 'ok') }, { server: lim, auth: OWNER });
  assert.deepEqual(statuses(three), [201, 201, 201]);
  for (const auth of [OWNER, undefined]) {
    const four = await batch({ requests: puts(4, 'no') }, { server: lim, auth });
    expectError(four, 400, 107, {
      message: 'Number of requests is limited to 3',
      details: [{ location: 'body', name: 'requests', description: 'Number of requests is limited to 3' }],
    });
  }
  // the limit counts requests, whatever the defaults say
  const viaDefaults = await batch({ defaults: { method: 'GET', path: R }, requests: [{}, {}, {}, {}] }, { server: lim, auth: OWNER });
  expectError(viaDefaults, 400, 107, { message: 'Number of requests is limited to 3' });
  assert.deepEqual(await listIds(R, { server: lim }), ['ok0', 'ok1', 'ok2']);
  // default limit 25
  const { R: R25 } = await fixture();
  const gets = (n) => Array.from({ length: n }, () => ({ path: R25 }));
  const ok25 = await run({ requests: gets(25) }, { auth: OWNER });
  assert.ok(ok25.every((s) => s.status === 200), JSON.stringify(statuses(ok25)));
  expectError(await batch({ requests: gets(26) }, { auth: OWNER }), 400, 107, {
    message: 'Number of requests is limited to 25',
    details: [{ location: 'body', name: 'requests', description: 'Number of requests is limited to 25' }],
  });
});

test('BATCH-1 recursion ban: paths whose route is /batch → 400, nothing executed; other paths containing "/batch" work', async () => {
  const { R } = await fixture();
  let n = 0;
  const pre = () => ({ method: 'PUT', path: `${R}/pre${++n}`, body: { data: {} } });
  const accepted = [];
  for (const path of ['/batch', '/v1/batch', '/batch?x=1', '/batch/', '/v1/batch/']) {
    for (const method of ['POST', 'GET']) {
      const body = { requests: [pre(), { method, path, body: method === 'POST' ? { requests: [{ method: 'PUT', path: `${R}/inner${n}` }] } : undefined }] };
      const r = await batch(body, { auth: OWNER });
      if (r.status !== 400) {
        accepted.push(`${method} ${path} → ${r.status} ${r.text.slice(0, 300)}`);
        continue;
      }
      expectError(r, 400, 107);
      assert.equal(r.json.details[0].location, 'body', r.text);
      if (path === '/batch') {
        assert.equal(r.json.message, 'requests in body: Recursive call on /batch endpoint is forbidden.', r.text);
        assert.equal(r.json.details[0].name, 'requests', r.text);
      }
    }
  }
  assert.deepEqual(accepted, [], 'subrequests routed to /batch must be refused');
  assert.deepEqual(await listIds(R), [], 'neither the outer nor an inner batch ran');
  // A bucket, collection or record named like the endpoint is not the endpoint (06 §6.1 item 6).
  const bb = `/buckets/batch${RUN}`;
  const subs = await run(
    {
      requests: [
        { method: 'PUT', path: bb, body: { data: {} } },
        { method: 'PUT', path: `${bb}/collections/batch`, body: { data: {} } },
        { method: 'PUT', path: `${bb}/collections/batch/records/batch`, body: { data: { v: 1 } } },
        { path: `${bb}/collections/batch/records?batch=1` },
        { method: 'PUT', path: `/buckets/batches${RUN}` },
      ],
    },
    { auth: OWNER },
  );
  assert.deepEqual(statuses(subs), [201, 201, 201, 200, 201], JSON.stringify(subs));
  assert.equal((await get(`${bb}/collections/batch/records/batch`)).data.v, 1);
});

test('BATCH-1 authentication: none needed for the envelope; each subrequest authorized on its own, Authorization inherited unless overridden', async () => {
  const { B, R } = await fixture();
  // anonymous envelope, anonymous subrequests
  const anon = await run({ requests: [{ path: B }, { method: 'PUT', path: `${R}/anon`, body: { data: {} } }, { path: '/' }] });
  expectSubError(anon[0], 401, 104);
  expectSubError(anon[1], 401, 104);
  assert.equal(anon[2].status, 200);
  assert.equal(anon[2].body.user, undefined, 'hello without credentials has no user');
  // credentials given per subrequest
  const per = await run({ requests: [{ path: B, headers: { Authorization: OWNER } }, { path: B }] });
  assert.deepEqual(statuses(per), [200, 401]);
  // inherited from the batch request, overridable per subrequest
  const inh = await run(
    {
      requests: [
        { path: B },
        { path: B, headers: { Authorization: ALICE } },
        { method: 'PUT', path: `${R}/mine`, body: { data: {} } },
        { method: 'PUT', path: `${R}/alice`, body: { data: {} }, headers: { Authorization: ALICE } },
        { path: '/', headers: { Authorization: BOB } },
        { path: '/' },
      ],
    },
    { auth: OWNER },
  );
  assert.deepEqual(statuses(inh), [200, 403, 201, 403, 200, 200], JSON.stringify(inh));
  expectSubError(inh[1], 403, 121);
  assert.equal(inh[4].body.user.id, ids.bob);
  assert.equal(inh[5].body.user.id, ids.owner);
  assert.deepEqual(inh[2].body.permissions.write, [ids.owner], 'written as the inherited user');
  // through defaults, with a request override
  const dft = await run({ defaults: { headers: { Authorization: BOB } }, requests: [{ path: B }, { path: B, headers: { Authorization: OWNER } }] });
  assert.deepEqual(statuses(dft), [403, 200]);
  // unusable credentials on the envelope = anonymous (AUTH-4), the envelope still answers 200
  const bad = await run({ requests: [{ path: B }, { path: '/' }] }, { auth: 'Basic !!!not-base64' });
  expectSubError(bad[0], 401, 104);
  assert.equal(bad[1].body.user, undefined);
  assert.deepEqual(await listIds(R), ['mine']);
});

// --- BATCH-2 -------------------------------------------------------------

test('BATCH-2 the querystring is kept in the subrequest (filters, sort, limit, bulk delete)', async () => {
  const { R } = await fixture();
  for (const [id, title] of [['x1', 'c'], ['x2', 'a'], ['x3', 'b']]) {
    await must(req(srv, 'PUT', `${R}/${id}`, { auth: OWNER, body: { data: { title } } }), 201);
  }
  const subs = await run(
    {
      requests: [
        { path: `${R}?_sort=title&_limit=2` },
        { path: `${R}?title=b` },
        { path: `${R}?_fields=title&_sort=-title` },
        { method: 'DELETE', path: `${R}?title=c` },
        { path: `${R}/x2?_fields=title` },
        { path: `${R}?_limit=bad` },
      ],
    },
    { auth: OWNER },
  );
  assert.deepEqual(statuses(subs), [200, 200, 200, 200, 200, 400], JSON.stringify(subs));
  for (const s of subs.slice(0, 4)) assert.equal(s.path, `/v1${R}`, 'no query string in the response path');
  assert.equal(subs[4].path, `/v1${R}/x2`);
  assert.deepEqual(subs[0].body.data.map((o) => o.title), ['a', 'b']);
  assert.match(hdr(subs[0], 'next-page') ?? '', /_limit=2/, JSON.stringify(subs[0].headers));
  assert.deepEqual(subs[1].body.data.map((o) => o.id), ['x3']);
  assert.deepEqual(subs[2].body.data.map((o) => o.title), ['c', 'b', 'a']);
  assert.deepEqual(Object.keys(subs[2].body.data[0]).sort(), ['id', 'last_modified', 'title']);
  assert.deepEqual(subs[3].body.data.map((o) => o.id), ['x1']);
  assert.equal(subs[3].body.data[0].deleted, true);
  assert.deepEqual(Object.keys(subs[4].body.data).sort(), ['id', 'last_modified', 'title']);
  expectSubError(subs[5], 400, 107);
  assert.equal(subs[5].body.details[0].location, 'querystring');
  assert.deepEqual(await listIds(R), ['x2', 'x3']);
});

test('BATCH-2 redirects are followed once (trailing slash, bare /v1) with method, body and query kept; path of the redirected request', async () => {
  const { B, R } = await fixture();
  await must(req(srv, 'PUT', `${R}/old`, { auth: OWNER, body: { data: { t: 0 } } }), 201);
  const subs = await run(
    {
      requests: [
        { method: 'PUT', path: `${R}/r/`, body: { data: { v: 1 } } },
        { path: `${R}/?_limit=1&v=1` },
        { path: `/v1${B}/` },
        { method: 'PATCH', path: `${R}/r/`, body: { data: { w: 2 } } },
        { path: '/v1' },
        { method: 'DELETE', path: `${R}/old/` },
      ],
    },
    { auth: OWNER },
  );
  assert.deepEqual(statuses(subs), [201, 200, 200, 200, 200, 200], JSON.stringify(subs));
  assert.deepEqual(subs.map((s) => s.path), [`/v1${R}/r`, `/v1${R}`, `/v1${B}`, `/v1${R}/r`, '/v1/', `/v1${R}/old`]);
  assert.equal(subs[0].body.data.v, 1);
  assert.equal(subs[1].body.data.length, 1, 'query kept through the redirect');
  assert.equal(subs[1].body.data[0].id, 'r');
  assert.equal(subs[2].body.data.id, B.split('/')[2]);
  assert.deepEqual({ v: subs[3].body.data.v, w: subs[3].body.data.w }, { v: 1, w: 2 });
  assert.ok(subs[4].body.settings, JSON.stringify(subs[4]));
  assert.equal(subs[5].body.data.deleted, true);
  const now = await get(`${R}/r`);
  assert.equal(now.data.w, 2);
  await absent(`${R}/old`);
});

test('BATCH-2 412 subresponses carry details.existing; HEAD subresponses have an empty body', async () => {
  const { R } = await fixture();
  const base = (await must(req(srv, 'PUT', `${R}/r`, { auth: OWNER, body: { data: { t: 1 } } }), 201)).json.data;
  const q = `"${base.last_modified}"`;
  const subs = await run(
    {
      requests: [
        { method: 'PUT', path: `${R}/r`, headers: { 'If-None-Match': '*' }, body: { data: { t: 2 } } },
        { method: 'PUT', path: `${R}/r`, headers: { 'If-Match': '"1"' }, body: { data: { t: 3 } } },
        { method: 'PATCH', path: `${R}/r`, headers: { 'If-Match': '"1"' }, body: { data: { t: 4 } } },
        { method: 'DELETE', path: `${R}/r`, headers: { 'If-Match': '"1"' } },
        { method: 'PUT', path: `${R}/new`, headers: { 'If-Match': q }, body: { data: {} } },
        { method: 'HEAD', path: `${R}/r` },
        { method: 'HEAD', path: R },
        { method: 'HEAD', path: `${R}/missing` },
        { path: `${R}/r`, headers: { 'If-None-Match': q } },
      ],
    },
    { auth: OWNER },
  );
  assert.deepEqual(statuses(subs), [412, 412, 412, 412, 412, 200, 200, 404, 304], JSON.stringify(subs));
  for (const s of subs.slice(0, 4)) {
    expectSubError(s, 412, 114);
    assert.equal(s.body.message, 'Resource was modified meanwhile');
    assert.deepEqual(s.body.details, { existing: base }, JSON.stringify(s));
    assert.equal(hdr(s, 'etag'), q);
  }
  expectSubError(subs[4], 412, 114);
  assert.equal(subs[4].body.details?.existing, undefined, 'no existing object, no details.existing');
  for (const s of subs.slice(5, 8)) assert.equal(s.body, '', `HEAD body must be "": ${JSON.stringify(s)}`);
  assert.equal(hdr(subs[5], 'etag'), q);
  assert.equal(hdr(subs[6], 'etag'), q);
  assert.equal(subs[8].body, '', '304 has an empty body');
  assert.deepEqual((await get(`${R}/r`)).data, base, 'no failed precondition changed the record');
  await absent(`${R}/new`);
});

test('BATCH-2 merge-patch and json-patch Content-Types are kept in subrequests, others become application/json (D9)', async () => {
  const { R } = await fixture();
  await must(req(srv, 'PUT', `${R}/r`, { auth: OWNER, body: { data: { a: { b: 1, c: 2 }, x: 1, y: 1 } } }), 201);
  const subs = await run(
    {
      requests: [
        { method: 'PATCH', path: `${R}/r`, headers: { 'Content-Type': MERGE }, body: { data: { a: { c: null, d: 3 }, x: null } } },
        { method: 'PATCH', path: `${R}/r`, body: { data: { y: null } } },
        { method: 'PATCH', path: `${R}/r`, headers: { 'Content-Type': 'application/json' }, body: { data: { a: { e: 4 } } } },
        { method: 'PUT', path: `${R}/t`, headers: { 'Content-Type': 'text/plain' }, body: { data: { k: 1 } } },
        { method: 'PUT', path: `${R}/u`, headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: { data: { k: 2 } } },
      ],
    },
    { auth: OWNER },
  );
  assert.deepEqual(statuses(subs), [200, 200, 200, 201, 201], JSON.stringify(subs));
  const { last_modified: _m, ...merged } = subs[0].body.data;
  assert.deepEqual(merged, { id: 'r', a: { b: 1, d: 3 }, y: 1 }, 'RFC 7396 semantics: the merge-patch Content-Type was kept');
  assert.equal(subs[1].body.data.y, null, 'application/json PATCH stores null');
  assert.deepEqual(subs[2].body.data.a, { e: 4 }, 'application/json PATCH is a shallow merge');
  assert.equal(subs[3].body.data.k, 1);
  assert.equal(subs[4].body.data.k, 2);

  // json-patch needs an array body; accepting one in a batch is a MAY (06 §6.1 item 3).
  const stored = (await get(`${R}/r`)).data;
  const jp = await batch(
    { requests: [{ method: 'PATCH', path: `${R}/r`, headers: { 'Content-Type': JPATCH }, body: [{ op: 'add', path: '/data/z', value: 5 }, { op: 'remove', path: '/data/y' }] }] },
    { auth: OWNER },
  );
  if (jp.status === 200) {
    assert.equal(jp.json.responses[0].status, 200, jp.text);
    const { last_modified: _j, ...patched } = jp.json.responses[0].body.data;
    assert.deepEqual(patched, { id: 'r', a: { e: 4 }, z: 5 }, 'JSON-Patch semantics: the json-patch Content-Type was kept');
  } else {
    expectError(jp, 400, 107);
    assert.deepEqual((await get(`${R}/r`)).data, stored);
  }
  // an array body without the json-patch Content-Type is not a valid write body
  const now = (await get(`${R}/r`)).data;
  const arr = await batch({ requests: [{ method: 'PUT', path: `${R}/r`, body: [{ a: 1 }] }] }, { auth: OWNER });
  if (arr.status === 200) expectSubError(arr.json.responses[0], 400, 107);
  else expectError(arr, 400, 107);
  assert.deepEqual((await get(`${R}/r`)).data, now);
});

test('BATCH-2 headers of the batch request other than Authorization are inherited by subrequests (06 §6.2 item 2)', async () => {
  const { R } = await fixture();
  await must(req(srv, 'PUT', `${R}/r`, { auth: OWNER, body: { data: { a: 1, b: 2 } } }), 201);
  const subs = await run(
    {
      requests: [
        { method: 'PATCH', path: `${R}/r`, body: { data: { a: 1, c: 3 } } },
        { method: 'PATCH', path: `${R}/r`, body: { data: { d: 4 } }, headers: { 'Response-Behavior': 'full' } },
      ],
    },
    { auth: OWNER, headers: { 'Response-Behavior': 'light' } },
  );
  assert.deepEqual(statuses(subs), [200, 200], JSON.stringify(subs));
  // light: the keys of the request whose stored value changed (03 §3.6).
  assert.deepEqual(subs[0].body.data, { c: 3 }, `Response-Behavior: light inherited from the batch request: ${JSON.stringify(subs[0])}`);
  assert.deepEqual(subs[1].body.data.b, 2, 'the subrequest header wins');
});

test('BATCH-2 the response path is percent-decoded (06 §6.2 item 4)', async () => {
  const { R } = await fixture();
  await must(req(srv, 'PUT', `${R}/r1`, { auth: OWNER, body: { data: { v: 1 } } }), 201);
  // Received alone, the same request finds r1 (the web server decodes PATH_INFO).
  const direct = await must(req(srv, 'GET', `${R}/r%31`, { auth: OWNER }), 200);
  assert.equal(direct.json.data.id, 'r1');
  const subs = await run({ requests: [{ path: `${R}/r%31` }] }, { auth: OWNER });
  assert.equal(subs[0].status, 200, JSON.stringify(subs[0]));
  assert.equal(subs[0].body.data.id, 'r1');
  assert.equal(subs[0].path, `/v1${R}/r1`);
});

// --- BATCH-3 -------------------------------------------------------------

test('BATCH-3 4xx subrequests are reported in place and the batch continues; every other write is kept', async () => {
  const { B, R } = await fixture();
  await must(req(srv, 'PUT', `${R}/ro`, { auth: OWNER, body: { data: {}, permissions: { read: [ids.alice] } } }), 201);
  const subs = await run(
    {
      requests: [
        { method: 'PUT', path: `${R}/ok1`, body: { data: { v: 1 } } },
        { method: 'PUT', path: `${R}/bad`, body: { data: { v: 1 }, permissions: { read: 'x' } } },
        { path: `${R}/missing` },
        { method: 'PUT', path: `${B}/collections/nope/records/x`, body: { data: {} } },
        { method: 'PATCH', path: `${R}/ok1`, headers: { 'If-Match': '"1"' }, body: { data: { v: 9 } } },
        { method: 'DELETE', path: `${R}/ro`, headers: { Authorization: ALICE } },
        { path: `${R}/ro`, headers: { Authorization: 'Bearer nope' } },
        { method: 'TRACE', path: R },
        { method: 'POST', path: `${R}/ok1`, body: { data: {} } },
        { path: R, headers: { Accept: 'text/html' } },
        { method: 'PUT', path: `${R}/bad id`, body: { data: {} } },
        { path: '/nowhere' },
        { method: 'PUT', path: `${R}/ok2`, body: { data: { v: 2 } } },
      ],
    },
    { auth: OWNER },
  );
  assert.deepEqual(statuses(subs), [201, 400, 404, 404, 412, 403, 401, 405, 405, 406, 400, 404, 201], JSON.stringify(statuses(subs)));
  expectSubError(subs[1], 400, 107);
  expectSubError(subs[2], 404, 110);
  expectSubError(subs[4], 412, 114);
  expectSubError(subs[5], 403, 121);
  expectSubError(subs[7], 405, 115);
  expectSubError(subs[11], 404, 111);
  assert.ok(subs[12].body.data.last_modified > subs[0].body.data.last_modified);
  assert.deepEqual(await listIds(R), ['ok1', 'ok2', 'ro']);
  assert.equal((await get(`${R}/ok1`)).data.v, 1);
  assert.deepEqual((await get(`${R}/ok2`)).data, subs[12].body.data);
  await absent(`${B}/collections/nope`);
});

test('BATCH-3 a subrequest refused with 4xx leaves nothing behind (object, ACL, list timestamps) while the others commit', async () => {
  const { B, R, R2 } = await fixture({ bucketPerms: { read: [ids.alice] } });
  const keep = await must(req(srv, 'PUT', `${R2}/keep`, { auth: OWNER, body: { data: { a: 1 }, permissions: { read: [ids.alice] } } }), 201);
  const etagR2 = await listEtag(R2);
  const etagColls = await listEtag(`${B}/collections`);
  const subs = await run(
    {
      requests: [
        { method: 'PUT', path: `${R}/ok`, body: { data: {} } },
        { method: 'PUT', path: `${R2}/keep`, body: { data: { a: 2 }, permissions: { read: 'x' } } },
        { method: 'PATCH', path: `${R2}/keep`, body: { data: { a: 3 }, permissions: { bogus: ['x'] } } },
        { method: 'PUT', path: `${R2}/keep`, headers: { 'If-Match': '"1"' }, body: { data: { a: 4 }, permissions: { read: [ids.bob] } } },
        { method: 'PUT', path: `${R2}/new`, body: { data: {}, permissions: { read: 'x' } } },
        { method: 'PUT', path: `${R2}/new2`, headers: { 'If-Match': '"1"' }, body: { data: {} } },
        { method: 'PUT', path: `${B}/collections/c3`, headers: { 'If-Match': '"1"' }, body: { data: {} } },
        { method: 'PUT', path: `${R2}/x`, body: { data: { id: 'other' } } },
        { method: 'DELETE', path: `${R2}/keep`, headers: { Authorization: ALICE } },
        { method: 'DELETE', path: R2, headers: { Authorization: ALICE } },
        { method: 'PATCH', path: `${R2}/keep`, headers: { 'Content-Type': MERGE }, body: { data: { id: 'zz', a: 5 } } },
        { method: 'PUT', path: `${R}/ok2`, body: { data: {} } },
      ],
    },
    { auth: OWNER },
  );
  assert.deepEqual(statuses(subs), [201, 400, 400, 412, 400, 412, 412, 400, 403, 403, 400, 201], JSON.stringify(statuses(subs)));
  const now = await get(`${R2}/keep`);
  assert.deepEqual(now.data, keep.json.data);
  assert.deepEqual(now.permissions, keep.json.permissions);
  for (const p of [`${R2}/new`, `${R2}/new2`, `${R2}/x`, `${R2}/other`]) await absent(p);
  await absent(`${B}/collections/c3`);
  assert.deepEqual(await listIds(R2), ['keep']);
  assert.equal(await listEtag(R2), etagR2, 'refused writes did not move the list timestamp');
  assert.equal(await listEtag(`${B}/collections`), etagColls);
  const since = await must(req(srv, 'GET', `${R2}?_since=0`, { auth: OWNER }), 200);
  assert.deepEqual(since.json.data.map((o) => o.id), ['keep'], 'no tombstone from the refused DELETEs');
  assert.deepEqual(await listIds(R), ['ok', 'ok2']);
});

test('BATCH-3 writes to one list in one batch get distinct, increasing timestamps in subrequest order', async () => {
  const { R } = await fixture();
  const before0 = await listEtag(R);
  const requests = [
    { method: 'PUT', path: `${R}/a`, body: { data: { n: 1 } } },
    { method: 'PUT', path: `${R}/b`, body: { data: { n: 2 } } },
    { method: 'POST', path: R, body: { data: { n: 3 } } },
    { method: 'PATCH', path: `${R}/a`, body: { data: { n: 4 } } },
    { method: 'DELETE', path: `${R}/b` },
    { method: 'PUT', path: `${R}/c`, body: { data: { n: 6 } } },
    { method: 'PUT', path: `${R}/a`, body: { data: { n: 7 } } },
    { method: 'POST', path: R, body: { data: { id: 'd', n: 8 } } },
    { method: 'PUT', path: `${R}/b`, body: { data: { n: 9 } } },
    { method: 'DELETE', path: `${R}/c` },
  ];
  const subs = await run({ requests }, { auth: OWNER });
  assert.deepEqual(statuses(subs), [201, 201, 201, 200, 200, 201, 200, 201, 201, 200]);
  const ts = subs.map((s) => s.body.data.last_modified);
  for (let i = 0; i < ts.length; i++) {
    assert.ok(Number.isInteger(ts[i]), JSON.stringify(subs[i]));
    assert.equal(hdr(subs[i], 'etag'), `"${ts[i]}"`);
    if (i) assert.ok(ts[i] > ts[i - 1], `timestamps must increase in subrequest order: ${ts.join(', ')}`);
  }
  assert.ok(ts[0] > Number(before0.replace(/"/g, '')));
  const list = await must(req(srv, 'GET', `${R}?_since=0`, { auth: OWNER }), 200);
  assert.equal(etagOf(list), `"${ts[ts.length - 1]}"`);
  const byId = Object.fromEntries(list.json.data.map((o) => [o.id, o.last_modified]));
  assert.deepEqual(byId, { a: ts[6], [subs[2].body.data.id]: ts[2], d: ts[7], b: ts[8], c: ts[9] });
  // Polling with the ETag seen before the batch returns every change of it.
  const poll = await must(req(srv, 'GET', `${R}?_since=${encodeURIComponent(before0)}`, { auth: OWNER }), 200);
  assert.equal(poll.json.data.length, 5);
});

// --- SYNC-6 --------------------------------------------------------------

// The body kinto.js (kinto-http) sends for a push: headers both on the envelope and in
// defaults, PUT + If-None-Match: * for creations, PUT/DELETE + If-Match: "<lm>" otherwise.
function kintoJsPush(R, { creates = [], updates = [], deletes = [] }) {
  const requests = [];
  for (const r of deletes) {
    requests.push({ method: 'DELETE', path: `${R}/${r.id}`, headers: { 'If-Match': `"${r.last_modified}"` } });
  }
  for (const r of creates) {
    requests.push({ method: 'PUT', path: `${R}/${r.id}`, headers: { 'If-None-Match': '*' }, body: { data: r } });
  }
  for (const r of updates) {
    requests.push({ method: 'PUT', path: `${R}/${r.id}`, headers: { 'If-Match': `"${r.last_modified}"` }, body: { data: r } });
  }
  return { defaults: { headers: { Authorization: OWNER } }, requests };
}

// kinto.js's classification of a batch response (06 §6.2 item 6).
function classify(subs, requests) {
  const out = { published: [], skipped: [], conflicts: [], errors: [] };
  subs.forEach((s, i) => {
    if (s.status >= 200 && s.status < 400) out.published.push(s.body.data);
    else if (s.status === 404) out.skipped.push(requests[i].path);
    else if (s.status === 412) out.conflicts.push({ local: requests[i].body?.data ?? null, remote: s.body?.details?.existing ?? null });
    else out.errors.push(s);
  });
  return out;
}

test('SYNC-6 kinto.js-like push: safe writes, conflicts as 412 with details.existing, bodies are the stored state (09 §9.7)', async () => {
  const { R } = await fixture();
  // Server state the client last synced: u1, u2, d1, d2; someone else then changed u2, d2 and created "taken".
  const seed = {};
  for (const id of ['u1', 'u2', 'd1', 'd2']) {
    seed[id] = (await must(req(srv, 'PUT', `${R}/${id}`, { auth: OWNER, body: { data: { title: id } } }), 201)).json.data;
  }
  const pulled = await listEtag(R);
  const u2srv = (await must(req(srv, 'PATCH', `${R}/u2`, { auth: OWNER, body: { data: { title: 'server' } } }), 200)).json.data;
  const d2srv = (await must(req(srv, 'PATCH', `${R}/d2`, { auth: OWNER, body: { data: { title: 'server' } } }), 200)).json.data;
  const taken = (await must(req(srv, 'PUT', `${R}/taken`, { auth: OWNER, body: { data: { title: 'server' } } }), 201)).json.data;

  const body = kintoJsPush(R, {
    deletes: [seed.d1, seed.d2, { id: 'gone', last_modified: 1 }],
    creates: [{ id: 'n1', title: 'new 1' }, { id: 'n2', title: 'new 2' }, { id: 'taken', title: 'local' }],
    updates: [{ ...seed.u1, title: 'local u1' }, { ...seed.u2, title: 'local u2' }],
  });
  const subs = await run(body, { auth: OWNER });
  assert.deepEqual(subs.map((s) => s.path), body.requests.map((q) => `/v1${q.path}`), 'one entry per request, in order');
  assert.deepEqual(statuses(subs), [200, 412, 404, 201, 201, 412, 200, 412], JSON.stringify(statuses(subs)));
  const c = classify(subs, body.requests);
  assert.equal(c.errors.length, 0, JSON.stringify(c.errors));
  assert.deepEqual(c.skipped, [`${R}/gone`]);
  assert.deepEqual(c.conflicts.map((x) => x.remote), [d2srv, taken, u2srv], 'details.existing is the server version');
  // Every published body is the stored result, usable as the base of the next If-Match.
  assert.equal(subs[0].body.data.deleted, true);
  const tomb = (await must(req(srv, 'GET', `${R}?_since=${encodeURIComponent(pulled)}`, { auth: OWNER }), 200)).json.data;
  const byId = Object.fromEntries(tomb.map((o) => [o.id, o]));
  assert.deepEqual(byId.d1, subs[0].body.data, 'the tombstone in the pull equals the DELETE subresponse');
  for (const i of [3, 4, 6]) {
    const s = subs[i];
    assert.deepEqual((await get(`${R}/${s.body.data.id}`)).data, s.body.data);
    assert.deepEqual(byId[s.body.data.id], s.body.data, 'the next pull sees the same timestamps');
    assert.equal(hdr(s, 'etag'), `"${s.body.data.last_modified}"`);
  }
  assert.ok(subs[6].body.data.last_modified > seed.u1.last_modified, 'data.last_modified sent back by the client is not forced');
  assert.equal(subs[6].body.data.title, 'local u1');
  assert.equal((await get(`${R}/u2`)).data.title, 'server', 'conflicting update not applied');
  assert.equal((await get(`${R}/d2`)).data.title, 'server', 'conflicting delete not applied');
  assert.equal((await get(`${R}/taken`)).data.title, 'server');

  // Second push after resolving the conflicts with the remote versions (client wins).
  const body2 = kintoJsPush(R, {
    deletes: [d2srv],
    updates: [{ ...taken, title: 'resolved' }, { ...u2srv, title: 'resolved' }, { ...subs[3].body.data, title: 'again' }],
  });
  const subs2 = await run(body2, { auth: OWNER });
  assert.deepEqual(statuses(subs2), [200, 200, 200, 200], JSON.stringify(subs2));
  const t2 = subs2.map((s) => s.body.data.last_modified);
  for (let i = 1; i < t2.length; i++) assert.ok(t2[i] > t2[i - 1]);
  assert.deepEqual(await listIds(R), ['n1', 'n2', 'taken', 'u1', 'u2']);
  // Replaying the first push now conflicts everywhere (stale If-Match), nothing changes.
  const before1 = await get(R);
  const replay = await run(kintoJsPush(R, { updates: [{ ...seed.u1, title: 'stale' }], creates: [{ id: 'n1', title: 'dup' }] }), { auth: OWNER });
  assert.deepEqual(statuses(replay), [412, 412], JSON.stringify(replay));
  assert.deepEqual(replay[0].body.details.existing, (await get(`${R}/n1`)).data);
  assert.deepEqual(replay[1].body.details.existing, (await get(`${R}/u1`)).data);
  assert.deepEqual(await get(R), before1);
});
