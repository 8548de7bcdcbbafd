// Black-box tests for spec 04 §4.1-4.9 and 01 §1.13 (permissions): principals,
// groups, the inheritance tree, required permissions, settings grants, the
// authorization procedure (shared objects, create fallback), permissions
// visibility, creator write, ACL/membership cleanup: PERM-1..9, PERM-11.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startServer, basic, req } from './lib/harness.js';
import { must, expectError } from './lib/expect.js';

const RUN = (Date.now() % 1e9).toString(36) + Math.random().toString(36).slice(2, 6);
let seq = 0;
const uid = (p = 'x') => `${p}${RUN}${(++seq).toString(36)}`;
const uname = (name) => `${name}-${RUN}`;
const user = (name) => basic(uname(name), 'secret');

const OWNER = user('owner');
const ALICE = user('alice');
const BOB = user('bob');
const CAROL = user('carol');

let srv;
const ids = {};

before(async () => {
  srv = await startServer({ workers: 2 });
  for (const [k, a] of Object.entries({ owner: OWNER, alice: ALICE, bob: BOB, carol: CAROL })) {
    ids[k] = (await must(req(srv, 'GET', '/', { auth: a }), 200)).json.user.id;
  }
});
after(async () => { await srv?.stop(); });

// --- helpers -------------------------------------------------------------



const idsOf = (r) => r.json.data.map((o) => o.id).sort();
const principalsOf = async (auth, s = srv) => (await must(req(s, 'GET', '/', { auth }), 200)).json.user.principals;

// A bucket b (owner) with collection c, record r, group g; ACL additions per level.
async function world({ bucket, collection, group, record, s = srv } = {}) {
  const b = uid('w');
  const B = `/buckets/${b}`;
  await must(req(s, 'PUT', B, { auth: OWNER, body: { permissions: bucket } }), 201);
  await must(req(s, 'PUT', `${B}/collections/c`, { auth: OWNER, body: { permissions: collection } }), 201);
  await must(req(s, 'PUT', `${B}/collections/c/records/r`, { auth: OWNER, body: { data: { v: 1 }, permissions: record } }), 201);
  await must(req(s, 'PUT', `${B}/collections/c/records/r2`, { auth: OWNER, body: { data: { v: 2 } } }), 201);
  await must(req(s, 'PUT', `${B}/groups/g`, { auth: OWNER, body: { data: { members: [] }, permissions: group } }), 201);
  return { b, B, C: `${B}/collections/c`, R: `${B}/collections/c/records`, G: `${B}/groups/g` };
}

// Runs [method, path, status, body?] checks for one user.
async function expectAll(auth, checks) {
  for (const [method, path, status, body] of checks) {
    const r = await req(srv, method, path, { auth, body: body ?? (['PUT', 'PATCH', 'POST'].includes(method) ? { data: {} } : undefined) });
    assert.equal(r.status, status, `${method} ${path}: expected ${status}, got ${r.status}: ${String(r.text).slice(0, 600)}`);
  }
}

// --- PERM-1 / PERM-2 -----------------------------------------------------

test('PERM-1 effective principals of an authenticated user; anonymous has no user', async () => {
  const hello = await must(req(srv, 'GET', '/', { auth: ALICE }), 200);
  assert.match(hello.json.user.id, /^basicauth:[0-9a-f]{64}$/);
  const p = hello.json.user.principals;
  for (const x of [hello.json.user.id, 'system.Everyone', 'system.Authenticated']) assert.ok(p.includes(x), `${x} missing from ${p}`);
  assert.equal(new Set(p).size, p.length);
  const anon = await must(req(srv, 'GET', '/'), 200);
  assert.equal(anon.json.user, undefined);
});

test('PERM-2 group membership adds the group URI to principals, kept in step with group writes', async () => {
  const b = uid('g');
  const B = `/buckets/${b}`;
  await must(req(srv, 'PUT', B, { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'PUT', `${B}/groups/g`, { auth: OWNER, body: { data: { members: [ids.alice] } } }), 201);
  await must(req(srv, 'PUT', `${B}/groups/all`, { auth: OWNER, body: { data: { members: ['system.Authenticated'] } } }), 201);
  let a = await principalsOf(ALICE);
  let bo = await principalsOf(BOB);
  assert.ok(a.includes(`${B}/groups/g`) && a.includes(`${B}/groups/all`), String(a));
  assert.ok(!bo.includes(`${B}/groups/g`) && bo.includes(`${B}/groups/all`), String(bo));
  await must(req(srv, 'PATCH', `${B}/groups/g`, { auth: OWNER, body: { data: { members: [ids.bob] } } }), 200);
  a = await principalsOf(ALICE);
  bo = await principalsOf(BOB);
  assert.ok(!a.includes(`${B}/groups/g`), String(a));
  assert.ok(bo.includes(`${B}/groups/g`), String(bo));
  await must(req(srv, 'PUT', `${B}/groups/g`, { auth: OWNER, body: { data: { members: [ids.alice, ids.bob] } } }), 200);
  assert.ok((await principalsOf(ALICE)).includes(`${B}/groups/g`));
  await must(req(srv, 'DELETE', `${B}/groups/g`, { auth: OWNER }), 200);
  assert.ok(!(await principalsOf(ALICE)).includes(`${B}/groups/g`));
  assert.ok(!(await principalsOf(BOB)).includes(`${B}/groups/g`));
  assert.ok((await principalsOf(BOB)).includes(`${B}/groups/all`));
  await must(req(srv, 'PUT', `${B}/groups/g`, { auth: OWNER, body: { data: { members: [] } } }), 201);
  assert.ok(!(await principalsOf(ALICE)).includes(`${B}/groups/g`), 're-created group has no old members');
});

test('PERM-2 group membership grants access; system.Authenticated members cover every user', async () => {
  const { b, B, C, R, G } = await world();
  await must(req(srv, 'PATCH', G, { auth: OWNER, body: { data: { members: [ids.alice] } } }), 200);
  await must(req(srv, 'PATCH', C, { auth: OWNER, body: { permissions: { read: [`/buckets/${b}/groups/g`] } } }), 200);
  assert.deepEqual(idsOf(await must(req(srv, 'GET', R, { auth: ALICE }), 200)), ['r', 'r2']);
  await must(req(srv, 'GET', `${R}/r`, { auth: ALICE }), 200);
  expectError(await req(srv, 'GET', `${R}/r`, { auth: BOB }), 403, 121);
  expectError(await req(srv, 'PUT', `${R}/r`, { auth: ALICE, body: { data: {} } }), 403, 121);
  // write through a group
  await must(req(srv, 'PUT', `${B}/groups/writers`, { auth: OWNER, body: { data: { members: [ids.bob] } } }), 201);
  await must(req(srv, 'PATCH', C, { auth: OWNER, body: { permissions: { write: [ids.owner, `/buckets/${b}/groups/writers`] } } }), 200);
  await must(req(srv, 'PUT', `${R}/r`, { auth: BOB, body: { data: { by: 'bob' } } }), 200);
  await must(req(srv, 'POST', R, { auth: BOB, body: { data: {} } }), 201);
  // system.Authenticated as a member
  await must(req(srv, 'PUT', `${B}/groups/everyone`, { auth: OWNER, body: { data: { members: ['system.Authenticated'] } } }), 201);
  await must(req(srv, 'PUT', `${B}/collections/pub`, { auth: OWNER, body: { permissions: { read: [`/buckets/${b}/groups/everyone`] } } }), 201);
  await must(req(srv, 'GET', `${B}/collections/pub/records`, { auth: CAROL }), 200);
  expectError(await req(srv, 'GET', `${B}/collections/pub/records`), 401, 104);
  // removing the member revokes at once
  await must(req(srv, 'PATCH', G, { auth: OWNER, body: { data: { members: [] } } }), 200);
  expectError(await req(srv, 'GET', `${R}/r`, { auth: ALICE }), 403, 121);
});

// --- PERM-3 --------------------------------------------------------------

test('PERM-3 permission names per kind', async () => {
  const { B, C, R, G } = await world();
  const allowed = {
    [B]: ['read', 'write', 'collection:create', 'group:create'],
    [C]: ['read', 'write', 'record:create'],
    [G]: ['read', 'write'],
    [`${R}/r`]: ['read', 'write'],
  };
  const all = ['read', 'write', 'collection:create', 'group:create', 'record:create', 'delete', 'create', 'bucket:create', 'read:attributes'];
  for (const [path, names] of Object.entries(allowed)) {
    for (const name of all) {
      const r = await req(srv, 'PATCH', path, { auth: OWNER, body: { permissions: { [name]: [ids.alice] } } });
      if (names.includes(name)) {
        assert.equal(r.status, 200, `${path} ${name}: ${String(r.text).slice(0, 600)}`);
        assert.deepEqual(r.json.permissions[name].filter((p) => p === ids.alice), [ids.alice]);
      } else {
        expectError(r, 400, 107);
      }
    }
  }
});

// --- PERM-4 --------------------------------------------------------------

test('PERM-4 bucket write grants everything below', async () => {
  const w = await world({ bucket: { write: [ids.alice] } });
  await expectAll(ALICE, [
    ['GET', w.B, 200], ['PATCH', w.B, 200], ['GET', w.C, 200], ['PATCH', w.C, 200], ['GET', w.R, 200],
    ['GET', `${w.R}/r`, 200], ['PUT', `${w.R}/r`, 200], ['GET', w.G, 200], ['PATCH', w.G, 200],
    ['POST', `${w.B}/collections`, 201], ['POST', `${w.B}/groups`, 201], ['POST', w.R, 201],
    ['DELETE', `${w.R}/r2`, 200], ['GET', `${w.B}/collections`, 200], ['GET', `${w.B}/groups`, 200],
  ]);
});

test('PERM-4 bucket read grants reading everything below, no writes', async () => {
  const w = await world({ bucket: { read: [ids.alice] } });
  await expectAll(ALICE, [
    ['GET', w.B, 200], ['PATCH', w.B, 403], ['GET', w.C, 200], ['PATCH', w.C, 403], ['GET', w.R, 200],
    ['GET', `${w.R}/r`, 200], ['PUT', `${w.R}/r`, 403], ['POST', w.R, 403], ['GET', w.G, 200], ['PATCH', w.G, 403],
    ['POST', `${w.B}/collections`, 403], ['POST', `${w.B}/groups`, 403], ['DELETE', `${w.R}/r`, 403],
    ['DELETE', `${w.B}/collections`, 403], ['DELETE', w.R, 403], ['DELETE', `${w.B}/groups`, 403],
  ]);
  assert.deepEqual(idsOf(await req(srv, 'GET', `${w.B}/collections`, { auth: ALICE })), ['c']);
  assert.deepEqual(idsOf(await req(srv, 'GET', `${w.B}/groups`, { auth: ALICE })), ['g']);
  assert.deepEqual(idsOf(await req(srv, 'GET', w.R, { auth: ALICE })), ['r', 'r2']);
});

test('PERM-4 bucket collection:create / group:create give read:attributes on the bucket and creation only', async () => {
  const w = await world({ bucket: { 'collection:create': [ids.alice], 'group:create': [ids.bob] } });
  await expectAll(ALICE, [
    ['GET', w.B, 200], ['PATCH', w.B, 403], ['GET', w.C, 403], ['GET', w.R, 403], ['GET', w.G, 403],
    ['POST', `${w.B}/groups`, 403],
  ]);
  assert.deepEqual((await must(req(srv, 'GET', `${w.B}/collections`, { auth: ALICE }), 200)).json.data, []);
  const mine = await must(req(srv, 'POST', `${w.B}/collections`, { auth: ALICE, body: { data: { id: 'mine' } } }), 201);
  assert.deepEqual(mine.json.permissions.write, [ids.alice]);
  assert.deepEqual(idsOf(await must(req(srv, 'GET', `${w.B}/collections`, { auth: ALICE }), 200)), ['mine']);
  await must(req(srv, 'PUT', `${w.B}/collections/mine/records/x`, { auth: ALICE, body: { data: {} } }), 201);
  // bulk delete of the collections list: only what she may write
  const del = await must(req(srv, 'DELETE', `${w.B}/collections`, { auth: ALICE }), 200);
  assert.deepEqual(del.json.data.map((t) => t.id), ['mine']);
  await must(req(srv, 'GET', w.C, { auth: OWNER }), 200);
  assert.deepEqual((await must(req(srv, 'DELETE', `${w.B}/collections`, { auth: ALICE }), 200)).json.data, [], 'create permission: empty bulk delete');
  await expectAll(BOB, [
    ['GET', w.B, 200], ['PATCH', w.B, 403], ['GET', w.G, 403], ['POST', `${w.B}/collections`, 403], ['GET', w.C, 403],
  ]);
  assert.deepEqual((await must(req(srv, 'GET', `${w.B}/groups`, { auth: BOB }), 200)).json.data, []);
  await must(req(srv, 'PUT', `${w.B}/groups/bobs`, { auth: BOB, body: { data: { members: [] } } }), 201);
  assert.deepEqual(idsOf(await must(req(srv, 'GET', `${w.B}/groups`, { auth: BOB }), 200)), ['bobs']);
});

test('PERM-4 collection read / record:create / write', async () => {
  const w = await world({ collection: { read: [ids.alice], 'record:create': [ids.bob], write: [ids.carol] } });
  await expectAll(ALICE, [
    ['GET', w.B, 403], ['GET', w.C, 200], ['PATCH', w.C, 403], ['GET', w.R, 200], ['GET', `${w.R}/r`, 200],
    ['PUT', `${w.R}/r`, 403], ['POST', w.R, 403], ['GET', w.G, 403], ['POST', `${w.B}/collections`, 403],
  ]);
  assert.deepEqual(idsOf(await req(srv, 'GET', `${w.B}/collections`, { auth: ALICE })), ['c'], 'shared collection listed');
  await expectAll(BOB, [
    ['GET', w.B, 403], ['GET', w.C, 200], ['PATCH', w.C, 403], ['GET', `${w.R}/r`, 403], ['PUT', `${w.R}/r`, 403],
  ]);
  assert.deepEqual((await must(req(srv, 'GET', w.R, { auth: BOB }), 200)).json.data, []);
  await must(req(srv, 'POST', w.R, { auth: BOB, body: { data: { id: 'bobs' } } }), 201);
  await must(req(srv, 'PUT', `${w.R}/bobs2`, { auth: BOB, body: { data: {} } }), 201);
  assert.deepEqual(idsOf(await must(req(srv, 'GET', w.R, { auth: BOB }), 200)), ['bobs', 'bobs2']);
  assert.deepEqual(idsOf(await req(srv, 'GET', `${w.B}/collections`, { auth: BOB })), ['c']);
  await expectAll(CAROL, [
    ['GET', w.B, 403], ['GET', w.C, 200], ['PATCH', w.C, 200], ['GET', w.R, 200], ['GET', `${w.R}/bobs`, 200],
    ['PUT', `${w.R}/r`, 200], ['DELETE', `${w.R}/bobs`, 200], ['POST', w.R, 201], ['POST', `${w.B}/collections`, 403],
    ['GET', w.G, 403],
  ]);
});

test('PERM-4 record read / write and group read / write are object-level only', async () => {
  const w = await world({ record: { read: [ids.alice], write: [ids.bob] }, group: { read: [ids.alice], write: [ids.bob] } });
  await expectAll(ALICE, [
    ['GET', `${w.R}/r`, 200], ['PUT', `${w.R}/r`, 403], ['GET', `${w.R}/r2`, 403], ['GET', w.C, 403],
    ['GET', w.G, 200], ['PATCH', w.G, 403], ['GET', w.B, 403],
  ]);
  assert.deepEqual(idsOf(await must(req(srv, 'GET', w.R, { auth: ALICE }), 200)), ['r']);
  assert.deepEqual(idsOf(await must(req(srv, 'GET', `${w.B}/groups`, { auth: ALICE }), 200)), ['g']);
  await expectAll(BOB, [
    ['GET', `${w.R}/r`, 200], ['PUT', `${w.R}/r`, 200], ['PATCH', `${w.R}/r`, 200], ['GET', `${w.R}/r2`, 403],
    ['GET', w.G, 200], ['PATCH', w.G, 200], ['POST', w.R, 403],
  ]);
  assert.deepEqual(idsOf(await must(req(srv, 'GET', w.R, { auth: BOB }), 200)), ['r']);
  await must(req(srv, 'DELETE', `${w.R}/r`, { auth: BOB }), 200);
  await must(req(srv, 'DELETE', w.G, { auth: BOB }), 200);
});

// --- PERM-5 --------------------------------------------------------------

test('PERM-5 PUT needs create on a new object, write on an existing one; If-None-Match: * needs create only', async () => {
  const w = await world({ collection: { 'record:create': [ids.alice] } });
  await must(req(srv, 'PUT', `${w.R}/new`, { auth: ALICE, body: { data: {} } }), 201);
  expectError(await req(srv, 'PUT', `${w.R}/r`, { auth: ALICE, body: { data: {} } }), 403, 121);
  const inm = await req(srv, 'PUT', `${w.R}/r`, { auth: ALICE, headers: { 'If-None-Match': '*' }, body: { data: {} } });
  expectError(inm, 412, 114);
  expectError(await req(srv, 'PUT', `${w.R}/r`, { auth: BOB, headers: { 'If-None-Match': '*' }, body: { data: {} } }), 403, 121);
  assert.equal((await req(srv, 'GET', `${w.R}/r`, { auth: OWNER })).json.data.v, 1);
});

test('PERM-5 POST with the id of an existing object needs read on it', async () => {
  const w = await world({ collection: { 'record:create': [ids.alice, ids.bob] }, record: { read: [ids.bob] } });
  expectError(await req(srv, 'POST', w.R, { auth: ALICE, body: { data: { id: 'r', v: 9 } } }), 403, 121);
  expectError(await req(srv, 'POST', w.R, { body: { data: { id: 'r' } } }), 401, 104);
  const b = await must(req(srv, 'POST', w.R, { auth: BOB, body: { data: { id: 'r', v: 9 } } }), 200);
  assert.equal(b.json.data.v, 1);
  expectError(await req(srv, 'POST', w.R, { auth: BOB, headers: { 'If-None-Match': '*' }, body: { data: { id: 'r' } } }), 412, 114);
});

test('PERM-5 PATCH/DELETE on a missing object: 404 with read on the parent list, else 403/401', async () => {
  const w = await world({ collection: { 'record:create': [ids.alice], read: [ids.bob] } });
  for (const m of ['PATCH', 'DELETE']) {
    expectError(await req(srv, m, `${w.R}/missing`, { auth: ALICE, body: m === 'PATCH' ? { data: {} } : undefined }), 403, 121);
    expectError(await req(srv, m, `${w.R}/missing`, { auth: BOB, body: m === 'PATCH' ? { data: {} } : undefined }), 404, 110);
    expectError(await req(srv, m, `${w.R}/missing`, { auth: OWNER, body: m === 'PATCH' ? { data: {} } : undefined }), 404, 110);
    expectError(await req(srv, m, `${w.R}/missing`, { body: m === 'PATCH' ? { data: {} } : undefined }), 401, 104);
    expectError(await req(srv, m, `${w.B}/collections/missing`, { auth: BOB, body: m === 'PATCH' ? { data: {} } : undefined }), 403, 121);
  }
});

// --- PERM-6 (settings grants) ---------------------------------------------

test('PERM-6 kinto.<resource>_<perm>_principals grant globally; not shown in object permissions (CFG-1 lists)', async () => {
  const SECRET = `perm-secret-${RUN}`;
  const hid = (name) => `basicauth:${createHmac('sha256', SECRET).update(`${uname(name)}:secret`, 'utf8').digest('hex')}`;
  const s2 = await startServer({
    workers: 1,
    settings: {
      'kinto.userid_hmac_secret': SECRET,
      'kinto.bucket_read_principals': `${hid('reader')}   ${hid('reader2')}`,
      'kinto.bucket_write_principals': `${hid('w1')}\n${hid('w2')}`,
      'kinto.record_read_principals': 'system.Everyone',
      'kinto.collection_write_principals': hid('colwriter'),
      'kinto.group_create_principals': `${hid('x')},${hid('grouper')}`,
      'kinto.bucket_create_principals': 'system.Everyone',
    },
  });
  try {
    assert.equal((await must(req(s2, 'GET', '/', { auth: OWNER }), 200)).json.user.id, hid('owner'));
    const B = `/buckets/${uid('s')}`;
    await must(req(s2, 'PUT', B, { auth: OWNER, body: {} }), 201);
    await must(req(s2, 'PUT', `${B}/collections/c`, { auth: OWNER, body: {} }), 201);
    await must(req(s2, 'PUT', `${B}/collections/c/records/r`, { auth: OWNER, body: { data: { v: 1 } } }), 201);
    for (const n of ['reader', 'reader2']) {
      const g = await must(req(s2, 'GET', B, { auth: user(n) }), 200);
      assert.deepEqual(g.json.permissions, {}, 'settings grants are not shown in permissions');
      const list = await must(req(s2, 'GET', '/buckets', { auth: user(n) }), 200);
      assert.ok(list.json.data.some((o) => `/buckets/${o.id}` === B));
      expectError(await req(s2, 'PATCH', B, { auth: user(n), body: { data: {} } }), 403, 121);
    }
    for (const n of ['w1', 'w2']) await must(req(s2, 'PATCH', B, { auth: user(n), body: { data: { by: n } } }), 200);
    // record_read_principals = system.Everyone: records readable and listable, not collection metadata
    await must(req(s2, 'GET', `${B}/collections/c/records/r`), 200);
    assert.deepEqual((await must(req(s2, 'GET', `${B}/collections/c/records`), 200)).json.data.map((o) => o.id), ['r']);
    expectError(await req(s2, 'GET', `${B}/collections/c`), 401, 104);
    expectError(await req(s2, 'PUT', `${B}/collections/c/records/r`, { body: { data: {} } }), 401, 104);
    // collection_write_principals: create collections anywhere, edit every collection
    await must(req(s2, 'POST', `${B}/collections`, { auth: user('colwriter'), body: { data: { id: 'cw' } } }), 201);
    await must(req(s2, 'PATCH', `${B}/collections/c`, { auth: user('colwriter'), body: { data: { t: 1 } } }), 200);
    expectError(await req(s2, 'PATCH', B, { auth: user('colwriter'), body: { data: {} } }), 403, 121);
    // commas do not separate principals
    expectError(await req(s2, 'POST', `${B}/groups`, { auth: user('grouper'), body: { data: {} } }), 403, 121);
    // bucket_create_principals = system.Everyone: anonymous creation, creator write = system.Everyone (PERM-9)
    const anon = await must(req(s2, 'PUT', `/buckets/${uid('anon')}`, { body: {} }), 201);
    assert.ok(anon.json.permissions.write.includes('system.Everyone'), anon.text);
  } finally {
    await s2.stop();
  }
});

// --- PERM-7 --------------------------------------------------------------

test('PERM-7 lists are restricted to shared objects; bulk delete and counts too', async () => {
  const w = await world({ record: { write: [ids.alice] } });
  await must(req(srv, 'PUT', `${w.R}/r3`, { auth: OWNER, body: { data: {}, permissions: { read: [ids.alice] } } }), 201);
  const l = await must(req(srv, 'GET', w.R, { auth: ALICE }), 200);
  assert.deepEqual(idsOf(l), ['r', 'r3']);
  assert.equal(l.headers.get('etag'), (await req(srv, 'GET', w.R, { auth: OWNER })).headers.get('etag'), 'ETag is T(list) regardless');
  const h = await must(req(srv, 'HEAD', w.R, { auth: ALICE }), 200);
  assert.equal(h.headers.get('total-objects'), '2');
  assert.equal(h.headers.get('total-records'), '2');
  const d = await must(req(srv, 'DELETE', w.R, { auth: ALICE }), 200);
  assert.deepEqual(d.json.data.map((t) => t.id), ['r'], 'only objects with write are deleted');
  assert.deepEqual(idsOf(await req(srv, 'GET', w.R, { auth: OWNER })), ['r2', 'r3']);
  expectError(await req(srv, 'GET', w.R, { auth: BOB }), 403, 121);
  expectError(await req(srv, 'DELETE', w.R, { auth: BOB }), 403, 121);
  const anon = await req(srv, 'GET', w.R);
  expectError(anon, 401, 104, { message: 'Please authenticate yourself to use this endpoint.' });
  assert.match(anon.headers.get('www-authenticate') ?? '', /^Basic realm="Realm"/);
});

test('PERM-7 GET /buckets: only readable buckets; empty for users who may create buckets; 401 anonymous', async () => {
  const DAVE = user('dave');
  assert.deepEqual((await must(req(srv, 'GET', '/buckets', { auth: DAVE }), 200)).json.data, []);
  const h = await must(req(srv, 'HEAD', '/buckets', { auth: DAVE }), 200);
  assert.equal(h.headers.get('total-objects'), '0');
  const b = uid('mine');
  await must(req(srv, 'PUT', `/buckets/${b}`, { auth: DAVE, body: {} }), 201);
  assert.deepEqual(idsOf(await req(srv, 'GET', '/buckets', { auth: DAVE })), [b]);
  const w = await world({ bucket: { read: [ids.carol] } });
  const carol = idsOf(await must(req(srv, 'GET', '/buckets', { auth: CAROL }), 200));
  assert.ok(carol.includes(w.b) && !carol.includes(b));
  expectError(await req(srv, 'GET', '/buckets'), 401, 104);
  // bulk delete of /buckets by dave deletes only his own
  const del = await must(req(srv, 'DELETE', '/buckets', { auth: DAVE }), 200);
  assert.deepEqual(del.json.data.map((t) => t.id), [b]);
  await must(req(srv, 'GET', w.B, { auth: OWNER }), 200);
});

// --- PERM-8 / PERM-9 -----------------------------------------------------

test('PERM-8 permissions are shown only to principals in the object own write ACE', async () => {
  const w = await world({ bucket: { write: [ids.carol] } });
  const g = await must(req(srv, 'PUT', `${w.B}/groups/editors`, { auth: OWNER, body: { data: { members: [ids.bob] } } }), 201);
  assert.ok(g);
  await must(req(srv, 'PUT', `${w.R}/p`, { auth: OWNER, body: { data: {}, permissions: { read: [ids.alice], write: [`/buckets/${w.b}/groups/editors`] } } }), 201);
  const own = await must(req(srv, 'GET', `${w.R}/p`, { auth: OWNER }), 200);
  assert.deepEqual(own.json.permissions.read, [ids.alice]);
  assert.deepEqual((await must(req(srv, 'GET', `${w.R}/p`, { auth: ALICE }), 200)).json.permissions, {});
  assert.deepEqual((await must(req(srv, 'GET', `${w.R}/p`, { auth: CAROL }), 200)).json.permissions, {}, 'inherited write does not count');
  assert.deepEqual((await must(req(srv, 'GET', `${w.R}/p`, { auth: BOB }), 200)).json.permissions, own.json.permissions, 'write through a group counts');
  assert.deepEqual((await must(req(srv, 'GET', w.B, { auth: CAROL }), 200)).json.permissions.write.sort(), [ids.carol, ids.owner].sort());
  const list = await must(req(srv, 'GET', w.R, { auth: OWNER }), 200);
  assert.equal('permissions' in list.json, false);
  for (const o of list.json.data) assert.equal(o.permissions, undefined);
});

test('PERM-9 the creator or editor is added to write', async () => {
  const w = await world({ bucket: { write: [ids.carol] }, collection: { 'record:create': [ids.alice, 'system.Everyone'] } });
  const a = await must(req(srv, 'POST', w.R, { auth: ALICE, body: { data: {} } }), 201);
  assert.deepEqual(a.json.permissions, { write: [ids.alice] });
  const p = await must(req(srv, 'PATCH', `${w.R}/r`, { auth: CAROL, body: { data: { x: 1 } } }), 200);
  assert.deepEqual(p.json.permissions.write.sort(), [ids.carol, ids.owner].sort());
  const full = await must(req(srv, 'PUT', `${w.R}/r2`, { auth: CAROL, body: { data: {}, permissions: { read: [ids.bob] } } }), 200);
  assert.deepEqual(full.json.permissions, { read: [ids.bob], write: [ids.carol] }, 'full replacement, then editor added');
  // anonymous creator: system.Everyone is added (world-writable)
  const anon = await must(req(srv, 'POST', w.R, { body: { data: { id: 'anon' } } }), 201);
  assert.deepEqual(anon.json.permissions, { write: ['system.Everyone'] });
  await must(req(srv, 'PATCH', `${w.R}/anon`, { body: { data: { y: 1 } } }), 200);
  await must(req(srv, 'PATCH', `${w.R}/anon`, { auth: BOB, body: { data: { y: 2 } } }), 200);
});

test('PERM-9 kinto.explicit_permissions = false: nobody is added to write', async () => {
  const s3 = await startServer({ workers: 1, settings: { 'kinto.explicit_permissions': 'false' } });
  try {
    assert.equal((await must(req(s3, 'GET', '/'), 200)).json.settings.explicit_permissions, false);
    const ownerId = (await req(s3, 'GET', '/', { auth: OWNER })).json.user.id;
    const aliceId = (await req(s3, 'GET', '/', { auth: ALICE })).json.user.id;
    const B = `/buckets/${uid('x')}`;
    const b = await must(req(s3, 'PUT', B, { auth: OWNER, body: { permissions: { write: [ownerId], 'collection:create': [aliceId] } } }), 201);
    assert.deepEqual(b.json.permissions.write, [ownerId]);
    const c = await must(req(s3, 'POST', `${B}/collections`, { auth: OWNER, body: { data: { id: 'c' } } }), 201);
    assert.deepEqual(c.json.permissions, {});
    await must(req(s3, 'GET', `${B}/collections/c`, { auth: OWNER }), 200);
    await must(req(s3, 'PUT', `${B}/collections/a`, { auth: ALICE, body: {} }), 201);
    expectError(await req(s3, 'GET', `${B}/collections/a`, { auth: ALICE }), 403, 121);
    const fresh = await must(req(s3, 'PUT', `/buckets/${uid('y')}`, { auth: OWNER, body: {} }), 201);
    assert.deepEqual(fresh.json.permissions, {});
  } finally {
    await s3.stop();
  }
});

// --- PERM-11 -------------------------------------------------------------

test('PERM-11 deleting an object removes its ACL: a re-created object starts clean', async () => {
  const w = await world({ record: { read: [ids.alice] }, collection: { read: [ids.bob] }, group: { read: [ids.carol] } });
  await must(req(srv, 'GET', `${w.R}/r`, { auth: ALICE }), 200);
  await must(req(srv, 'DELETE', `${w.R}/r`, { auth: OWNER }), 200);
  await must(req(srv, 'PUT', `${w.R}/r`, { auth: OWNER, body: { data: {} } }), 201);
  expectError(await req(srv, 'GET', `${w.R}/r`, { auth: ALICE }), 403, 121);
  await must(req(srv, 'GET', w.G, { auth: CAROL }), 200);
  await must(req(srv, 'DELETE', w.G, { auth: OWNER }), 200);
  await must(req(srv, 'PUT', w.G, { auth: OWNER, body: { data: {} } }), 201);
  expectError(await req(srv, 'GET', w.G, { auth: CAROL }), 403, 121);
  // collection delete removes every ACE below it
  await must(req(srv, 'PUT', `${w.R}/x`, { auth: OWNER, body: { data: {}, permissions: { read: [ids.alice] } } }), 201);
  await must(req(srv, 'DELETE', w.C, { auth: OWNER }), 200);
  await must(req(srv, 'PUT', w.C, { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'PUT', `${w.R}/x`, { auth: OWNER, body: { data: {} } }), 201);
  expectError(await req(srv, 'GET', w.C, { auth: BOB }), 403, 121);
  expectError(await req(srv, 'GET', `${w.R}/x`, { auth: ALICE }), 403, 121);
});

test('PERM-11 / OBJ-17 bucket delete removes ACEs and memberships below it, not those of /buckets/<id>b', async () => {
  const a = uid('pc');
  const ab = `${a}b`;
  for (const b of [a, ab]) {
    const B = `/buckets/${b}`;
    await must(req(srv, 'PUT', B, { auth: OWNER, body: { permissions: { read: [ids.carol] } } }), 201);
    await must(req(srv, 'PUT', `${B}/groups/g`, { auth: OWNER, body: { data: { members: [ids.alice] } } }), 201);
    await must(req(srv, 'PUT', `${B}/collections/c`, { auth: OWNER, body: { permissions: { read: [`${B}/groups/g`] } } }), 201);
    await must(req(srv, 'PUT', `${B}/collections/c/records/r`, { auth: OWNER, body: { data: {}, permissions: { read: [ids.bob] } } }), 201);
  }
  await must(req(srv, 'DELETE', `/buckets/${a}`, { auth: OWNER }), 200);
  const p = await principalsOf(ALICE);
  assert.ok(!p.includes(`/buckets/${a}/groups/g`), String(p));
  assert.ok(p.includes(`/buckets/${ab}/groups/g`), String(p));
  await must(req(srv, 'GET', `/buckets/${ab}/collections/c/records/r`, { auth: ALICE }), 200);
  await must(req(srv, 'GET', `/buckets/${ab}/collections/c/records/r`, { auth: BOB }), 200);
  await must(req(srv, 'GET', `/buckets/${ab}`, { auth: CAROL }), 200);
  // re-create the same tree without any ACL: nobody but the owner gets in
  const B = `/buckets/${a}`;
  await must(req(srv, 'PUT', B, { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'PUT', `${B}/groups/g`, { auth: OWNER, body: { data: {} } }), 201);
  await must(req(srv, 'PUT', `${B}/collections/c`, { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'PUT', `${B}/collections/c/records/r`, { auth: OWNER, body: { data: {} } }), 201);
  expectError(await req(srv, 'GET', B, { auth: CAROL }), 403, 121);
  expectError(await req(srv, 'GET', `${B}/collections/c/records/r`, { auth: BOB }), 403, 121);
  expectError(await req(srv, 'GET', `${B}/collections/c/records/r`, { auth: ALICE }), 403, 121);
  assert.ok(!(await principalsOf(ALICE)).includes(`${B}/groups/g`));
  await must(req(srv, 'PATCH', `${B}/collections/c`, { auth: OWNER, body: { permissions: { read: [`${B}/groups/g`] } } }), 200);
  expectError(await req(srv, 'GET', `${B}/collections/c/records/r`, { auth: ALICE }), 403, 121, {});
});
