// A read site on a read-only database (README "Several web servers, Galera, replicas"): a
// cinto with kinto.readonly = true whose MariaDB refuses every write (SET GLOBAL read_only = 1,
// and cinto's database user has no SUPER or READ_ONLY ADMIN privilege, as on an asynchronous
// replica). Every read endpoint answers, every write is refused with Kinto's readonly answer
// (405), and nothing answers 5xx: no request of the read site tries to write (no account cache
// entry, no list timestamp, no table creation), which the server would refuse with 1290.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, basic, req } from './lib/harness.js';
import { must, expectError } from './lib/expect.js';

const RUN = (Date.now() % 1e9).toString(36) + Math.random().toString(36).slice(2, 6);
const PLUGINS = 'kinto.plugins.accounts kinto.plugins.history kinto.plugins.counters kinto.plugins.default_bucket kinto_changes kinto.plugins.admin';
const COMMON = {
  'kinto.includes': PLUGINS,
  'multiauth.policies': 'account basicauth',
  'multiauth.policy.account.use': 'kinto.plugins.accounts.authentication.AccountsPolicy',
  'kinto.account_create_principals': 'system.Everyone',
  'kinto.changes.resources': `/buckets/main${RUN}`,
  'kinto.experimental_permissions_endpoint': 'true',
};
const ALICE = basic('alice', 'a-long-password');
const BOB = basic(`bob-${RUN}`, 'secret');

let writer; // writable site, a MariaDB of its own
let reader; // readonly site on the same database, once the server is read_only
before(async () => {
  writer = await startServer({ privateDb: true, settings: COMMON });
  reader = await startServer({
    db: writer.db,
    migrate: false,
    settings: { ...COMMON, 'kinto.readonly': 'true', 'kinto.storage_url': writer.storageUrl, 'kinto.log_file': 'cinto.log' },
  });
});
after(async () => {
  await reader?.stop();
  await writer?.stop();
  await writer?.db?.query('SET GLOBAL read_only = 0').catch(() => {});
});

const B = `/buckets/main${RUN}`;

test('RO-REPLICA every read works and every write is refused (405) on a read_only database, no 5xx, no write tried', { timeout: 60000 }, async () => {
  // Data written through the writable site, every list listed once there.
  await must(req(writer, 'PUT', '/accounts/alice', { body: { data: { password: 'a-long-password' } } }), 201);
  // An account that never logs in on the write site: its first login is on the read site.
  await must(req(writer, 'PUT', '/accounts/dave', { body: { data: { password: 'dave-password' } } }), 201);
  await must(req(writer, 'PUT', B, { auth: ALICE, body: { permissions: { read: ['system.Everyone'] } } }), 201);
  await must(req(writer, 'PUT', `${B}/collections/c`, { auth: ALICE, body: {} }), 201);
  await must(req(writer, 'PUT', `${B}/groups/g`, { auth: ALICE, body: { data: { members: [`basicauth:x`] } } }), 201);
  await must(req(writer, 'POST', `${B}/collections/c/records`, { auth: ALICE, body: { data: { n: 1 } } }), 201);
  const ws = await must(req(writer, 'GET', `${B}/collections/c/records`, { auth: ALICE }), 200);
  for (const p of ['/buckets', `${B}/collections`, `${B}/groups`, `${B}/history`]) await must(req(writer, 'GET', p, { auth: ALICE }), 200);
  await must(req(writer, 'GET', '/buckets/monitor/collections/changes/records'), 200);

  await writer.db.query('SET GLOBAL read_only = 1');
  // The writable site's own writes are now refused by the server: a 503 naming it.
  const refused = await req(writer, 'PUT', `${B}/collections/c2`, { auth: ALICE, body: {} });
  expectError(refused, 503, 201, { message: /read-only/ });

  const statuses = [];
  const get = async (p, auth, expect = 200) => {
    const r = await req(reader, 'GET', p, { auth });
    statuses.push(`${r.status} GET ${p}`);
    assert.equal(r.status, expect, `GET ${p}: ${r.text}`);
    return r;
  };
  await get('/');
  await get('/__heartbeat__');
  await get('/__lbheartbeat__');
  await get('/__version__', undefined, (await req(writer, 'GET', '/__version__')).status);
  await get('/__api__');
  const records = await get(`${B}/collections/c/records`, ALICE);
  assert.equal(records.headers.get('etag'), ws.headers.get('etag'), 'same ETag as the write site');
  await get(`${B}/collections/c/records/${records.json.data[0].id}`, ALICE);
  await get(`${B}/collections/c/records`, undefined); // bucket readable by everyone
  await get('/buckets', ALICE);
  await get(B, ALICE);
  await get(`${B}/collections`, ALICE);
  await get(`${B}/collections/c`, ALICE);
  await get(`${B}/groups`, ALICE);
  await get(`${B}/groups/g`, ALICE);
  await get(`${B}/history`, ALICE);
  await get('/accounts/alice', ALICE); // an account login: no cache entry is written
  await get('/accounts/alice', ALICE);
  await get('/accounts', ALICE);
  await get('/accounts/dave', basic('dave', 'dave-password'));
  await get('/accounts/dave', basic('dave', 'dave-password'));
  await get('/permissions', ALICE);
  await get('/__counters__');
  await get('/buckets/monitor/collections/changes/records');
  await get('/buckets/monitor/collections/changes/changeset?_expected=0');
  const head = await req(reader, 'HEAD', `${B}/collections/c/records`, { auth: ALICE });
  assert.equal(head.status, 200);

  // Every write: Kinto's readonly answer, 405, whatever the endpoint.
  const writes = [
    ['PUT', '/buckets/new', {}],
    ['POST', '/buckets', { data: { id: 'x' } }],
    ['PATCH', B, { data: { a: 1 } }],
    ['DELETE', B],
    ['PUT', `${B}/collections/c`, {}],
    ['POST', `${B}/collections/c/records`, { data: {} }],
    ['DELETE', `${B}/collections/c/records`],
    ['PUT', '/accounts/carol', { data: { password: 'secret-carol' } }],
    ['POST', '/buckets/default/collections/x/records', { data: {} }],
    ['DELETE', `/__user_data__/${encodeURIComponent('account:alice')}`],
  ];
  for (const [m, p, body] of writes) {
    const r = await req(reader, m, p, { auth: ALICE, body });
    statuses.push(`${r.status} ${m} ${p}`);
    assert.equal(r.status, 405, `${m} ${p}: ${r.text}`);
  }
  // Basic-auth users too (their default bucket is never created here).
  const r = await req(reader, 'GET', '/buckets/default', { auth: BOB });
  statuses.push(`${r.status} GET /buckets/default`);
  assert.ok(r.status < 500, r.text);

  assert.deepEqual(statuses.filter((s) => Number(s.slice(0, 3)) >= 500), []);
  // Nothing was even tried: the server would have refused it with 1290, which is logged.
  let log = '';
  try {
    log = fs.readFileSync(path.join(reader.dir, 'cinto.log'), 'utf8');
  } catch {}
  assert.doesNotMatch(log, /1290|read-only|cannot store|cannot refresh/, log);
});
