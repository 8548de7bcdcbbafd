// CHG-1..5: the changes plugin (spec 06 §6.6-6.7), Remote Settings' kinto-changes. The virtual
// list /buckets/monitor/collections/changes/records (one entry per monitored collection), the
// stale _expected / old _since rules, GET .../changeset, their cache headers, the capability and
// the selection of monitored collections; disabled, its routes are 404 errno 111.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer, basic, req, dbQuery } from './lib/harness.js';
import { must, expectError } from './lib/expect.js';

const OWNER = basic('changes-owner', 'secret');
const OTHER = basic('changes-other', 'secret');
const MONITOR = '/buckets/monitor/collections/changes/records';
const CAPABILITY_TEXT = {
  description:
    'Track modifications of records in Kinto and store the collection timestamps into a specific bucket and collection.',
  url: 'http://kinto.readthedocs.io/en/latest/tutorials/synchronisation.html#polling-for-remote-changes',
};

let on, off, remote;
before(async () => {
  [on, off, remote] = await Promise.all([
    startServer({
      workers: 2,
      settings: {
        'kinto.includes': 'kinto_changes',
        'kinto.changes.resources': '/buckets/main /buckets/other/collections/one',
        'kinto.changes.excluded_collections': '/buckets/main/collections/secret',
        'kinto.monitor.changes.record_cache_expires_seconds': '60',
        'kinto.monitor.changes.record_cache_minimum_expires_seconds': '10',
        'kinto.monitor.changes.record_cache_maximum_expires_seconds': '3600',
        'kinto.main.cfr.record_cache_expires_seconds': '30',
        'kinto.main.record_cache_expires_seconds': '20',
        'kinto.http_host': 'cdn.example.com',
      },
    }),
    startServer({ workers: 1 }),
    startServer({ workers: 1, settings: { 'kinto.includes': 'kinto_remote_settings', 'kinto.changes.resources': '/buckets/main' } }),
  ]);
  // Monitored: main/cfr, main/plugins, other/one. Not: main/secret (excluded), other/two.
  for (const srv of [on, remote]) {
    for (const b of ['main', 'other']) {
      await must(req(srv, 'PUT', `/buckets/${b}`, { auth: OWNER, body: {} }), 201);
    }
    for (const [b, c] of [['main', 'cfr'], ['main', 'plugins'], ['main', 'secret'], ['other', 'one'], ['other', 'two']]) {
      await must(req(srv, 'PUT', `/buckets/${b}/collections/${c}`, { auth: OWNER, body: {} }), 201);
      await must(req(srv, 'POST', `/buckets/${b}/collections/${c}/records`, { auth: OWNER, body: { data: { n: 1 } } }), 201);
    }
  }
});
after(async () => { await Promise.all([on?.stop(), off?.stop(), remote?.stop()]); });

const ids = (r) => r.json.data.map((e) => `${e.bucket}/${e.collection}`).sort();

test('CHG-5 capability as upstream, collections from kinto.changes.resources; kinto_remote_settings turns it on', async () => {
  const root = await must(req(on, 'GET', '/'), 200);
  const cap = root.json.capabilities.changes;
  assert.deepEqual({ description: cap.description, url: cap.url }, CAPABILITY_TEXT);
  assert.equal(typeof cap.version, 'string');
  assert.deepEqual(cap.collections, ['/buckets/main', '/buckets/other/collections/one']);
  const r2 = await must(req(remote, 'GET', '/'), 200);
  assert.deepEqual(r2.json.capabilities.changes.collections, ['/buckets/main']);
  assert.doesNotMatch(fs.readFileSync(remote.errorLog, 'utf8'), /kinto_remote_settings.*not available/);
  const r3 = await must(req(off, 'GET', '/'), 200);
  assert.equal(r3.json.capabilities.changes, undefined);
});

test('CHG-5 disabled: the changeset route is 404 errno 111, monitor/changes is an ordinary (missing) list', async () => {
  expectError(await req(off, 'GET', '/buckets/main/collections/cfr/changeset?_expected=0'), 404, 111);
  // Without the plugin it is the records list of a bucket nobody created.
  expectError(await req(off, 'GET', MONITOR), 401, 104);
});

test('CHG-1 the virtual list: one entry per monitored collection, public, upstream ids', async () => {
  const r = await must(req(on, 'GET', MONITOR), 200);
  assert.deepEqual(ids(r), ['main/cfr', 'main/plugins', 'other/one']);
  for (const e of r.json.data) {
    assert.deepEqual(Object.keys(e).sort(), ['bucket', 'collection', 'host', 'id', 'last_modified']);
    assert.equal(e.host, 'cdn.example.com');
  }
  // Sorted by -last_modified; ETag = the newest entry.
  const lms = r.json.data.map((e) => e.last_modified);
  assert.deepEqual(lms, [...lms].sort((a, b) => b - a));
  assert.equal(r.headers.get('etag'), `"${lms[0]}"`);
  // Each entry is the records list timestamp of its collection.
  const cfr = r.json.data.find((e) => e.collection === 'cfr');
  const recs = await must(req(on, 'GET', '/buckets/main/collections/cfr/records', { auth: OWNER }), 200);
  assert.equal(recs.headers.get('etag'), `"${cfr.last_modified}"`);
  // Test vector of spec 06 §6.6 (http_host ""): md5("" + URI) as a UUID.
  const r2 = await must(req(remote, 'GET', MONITOR), 200);
  const e2 = r2.json.data.find((e) => e.collection === 'cfr');
  assert.equal(e2.id, 'd6218671-0f49-866a-512e-d63255e02e8c');
  assert.equal(e2.host, '');
  assert.deepEqual(ids(r2), ['main/cfr', 'main/plugins', 'main/secret']);
});

test('CHG-1 a write moves its entry; filters, _since, _sort, _limit and paging on the five fields', async () => {
  const before = await must(req(on, 'GET', MONITOR), 200);
  const etag = before.headers.get('etag');
  const w = await must(req(on, 'POST', '/buckets/other/collections/one/records', { auth: OWNER, body: { data: { n: 2 } } }), 201);
  const r = await must(req(on, 'GET', `${MONITOR}?_since=${etag}`), 200);
  assert.deepEqual(r.json.data.map((e) => e.collection), ['one']);
  assert.equal(r.json.data[0].last_modified, w.json.data.last_modified);
  const quoted = await must(req(on, 'GET', `${MONITOR}?_since="${etag.replace(/"/g, '')}"`), 200);
  assert.deepEqual(quoted.json.data.map((e) => e.collection), ['one']);
  assert.deepEqual(ids(await must(req(on, 'GET', `${MONITOR}?bucket=main`), 200)), ['main/cfr', 'main/plugins']);
  assert.deepEqual(ids(await must(req(on, 'GET', `${MONITOR}?collection=cfr`), 200)), ['main/cfr']);
  assert.deepEqual(ids(await must(req(on, 'GET', `${MONITOR}?in_collection=cfr,one`), 200)), ['main/cfr', 'other/one']);
  const sorted = await must(req(on, 'GET', `${MONITOR}?_sort=collection`), 200);
  assert.deepEqual(sorted.json.data.map((e) => e.collection), ['cfr', 'one', 'plugins']);
  const p1 = await must(req(on, 'GET', `${MONITOR}?_sort=collection&_limit=2`), 200);
  assert.deepEqual(p1.json.data.map((e) => e.collection), ['cfr', 'one']);
  const next = p1.headers.get('next-page');
  assert.ok(next, 'Next-Page');
  assert.match(next, /^https?:\/\/cdn\.example\.com\/v1\/buckets\/monitor\/collections\/changes\/records\?/);
  const p2 = await must(req(on, 'GET', next.replace(/^https?:\/\/cdn\.example\.com\/v1/, '')), 200);
  assert.deepEqual(p2.json.data.map((e) => e.collection), ['plugins']);
  const fields = await must(req(on, 'GET', `${MONITOR}?_fields=bucket&collection=cfr`), 200);
  assert.deepEqual(Object.keys(fields.json.data[0]).sort(), ['bucket', 'id', 'last_modified']);
  const head = await must(req(on, 'HEAD', MONITOR), 200);
  assert.equal(head.headers.get('total-objects'), '3');
});

test('CHG-1 bad input: unknown filter fields and bad values are 400 errno 107; writes are 405', async () => {
  expectError(await req(on, 'GET', `${MONITOR}?title=x`), 400, 107, { message: /title/ });
  expectError(await req(on, 'GET', `${MONITOR}?_since=abc`), 400, 107);
  expectError(await req(on, 'GET', `${MONITOR}?_limit=-1`), 400, 107);
  expectError(await req(on, 'GET', `${MONITOR}?_sort=nope`), 400, 107);
  const r = await req(on, 'POST', MONITOR, { auth: OWNER, body: { data: {} } });
  expectError(r, 405, 115);
  assert.equal(r.headers.get('allow'), 'HEAD, GET, OPTIONS');
  expectError(await req(on, 'DELETE', MONITOR, { auth: OWNER }), 405, 115);
});

test('CHG-1 a matching If-None-Match gives 200 with no data (CDNs do not cache 304s)', async () => {
  const r = await must(req(on, 'GET', MONITOR), 200);
  const etag = r.headers.get('etag');
  const again = await must(req(on, 'GET', MONITOR, { headers: { 'If-None-Match': etag } }), 200);
  assert.deepEqual(again.json, { data: [] });
  assert.equal(again.headers.get('etag'), etag);
  expectError(await req(on, 'GET', MONITOR, { headers: { 'If-None-Match': 'abc' } }), 400, 107);
});

test('CHG-2 stale _expected is 204, old _since is a 307 without it, both cacheable', async () => {
  const r = await must(req(on, 'GET', `${MONITOR}?_expected=10&_since=20`), 204);
  assert.equal(r.headers.get('cache-control'), 'max-age=86400');
  assert.ok(r.headers.get('expires'));
  // A quoted _expected counts too; a non-number _expected is just ignored.
  await must(req(on, 'GET', `${MONITOR}?_expected="10"&_since="20"`), 204);
  await must(req(on, 'GET', `${MONITOR}?_expected=abc`), 200);
  const old = Date.now() - 22 * 86400 * 1000;
  const redirect = await must(req(on, 'GET', `${MONITOR}?bucket=main&_since=${old}&_expected=${old + 1}`), 307);
  assert.equal(redirect.headers.get('location'), `https://cdn.example.com/v1${MONITOR}?bucket=main&_expected=${old + 1}`);
  // Stale _expected is checked first.
  await must(req(on, 'GET', `${MONITOR}?_since=${old}&_expected=5`), 204);
  assert.equal(redirect.headers.get('cache-control'), 'max-age=86400');
  // A recent _since is served.
  await must(req(on, 'GET', `${MONITOR}?_since=${Date.now() - 86400 * 1000}`), 200);
});

test('CHG-4 monitor/changes cache headers follow _expected: minimum for cache busts, maximum otherwise', async () => {
  assert.equal((await must(req(on, 'GET', MONITOR), 200)).headers.get('cache-control'), 'max-age=60');
  assert.equal((await must(req(on, 'GET', `${MONITOR}?_expected=0`), 200)).headers.get('cache-control'), 'max-age=10');
  assert.equal((await must(req(on, 'GET', `${MONITOR}?_expected=99991234`), 200)).headers.get('cache-control'), 'max-age=10');
  const r = await must(req(on, 'GET', `${MONITOR}?_expected=1234`), 200);
  assert.equal(r.headers.get('cache-control'), 'max-age=3600');
  assert.ok(r.headers.get('expires'));
  // Without settings, no cache headers.
  const plain = await must(req(remote, 'GET', MONITOR), 200);
  assert.equal(plain.headers.get('cache-control'), null);
});

test('CHG-4 changeset cache headers: the collection setting, else the bucket\'s, for anyone', async () => {
  const cfr = await must(req(on, 'GET', '/buckets/main/collections/cfr/changeset?_expected=1', { auth: OWNER }), 200);
  assert.equal(cfr.headers.get('cache-control'), 'max-age=30');
  assert.ok(cfr.headers.get('expires'));
  const plugins = await must(req(on, 'GET', '/buckets/main/collections/plugins/changeset?_expected=0', { auth: OWNER }), 200);
  assert.equal(plugins.headers.get('cache-control'), 'max-age=20');
  const other = await must(req(on, 'GET', '/buckets/other/collections/one/changeset?_expected=1', { auth: OWNER }), 200);
  assert.equal(other.headers.get('cache-control'), null);
});

test('CHG-3 changeset of a collection: metadata, timestamp, live changes; with _since tombstones too', async () => {
  const C = '/buckets/main/collections/cfr';
  const a = await must(req(on, 'PUT', `${C}/records/a`, { auth: OWNER, body: { data: { title: 'a' } } }), 201);
  const b = await must(req(on, 'PUT', `${C}/records/b`, { auth: OWNER, body: { data: { title: 'b' } } }), 201);
  const del = await must(req(on, 'DELETE', `${C}/records/a`, { auth: OWNER }), 200);
  const coll = await must(req(on, 'GET', C, { auth: OWNER }), 200);
  const recs = await must(req(on, 'GET', `${C}/records`, { auth: OWNER }), 200);
  const r = await must(req(on, 'GET', `${C}/changeset?_expected=1`, { auth: OWNER }), 200);
  assert.deepEqual(r.json.metadata, { ...coll.json.data, bucket: 'main' });
  assert.equal(`"${r.json.timestamp}"`, recs.headers.get('etag'));
  assert.deepEqual(r.json.changes, recs.json.data, 'live records, newest first');
  assert.ok(!r.json.changes.some((x) => x.id === 'a'));
  assert.equal(r.headers.get('etag'), null);
  assert.equal(r.headers.get('last-modified'), new Date(Math.floor(coll.json.data.last_modified / 1000) * 1000).toUTCString());
  const since = await must(req(on, 'GET', `${C}/changeset?_expected=1&_since=${a.json.data.last_modified}`, { auth: OWNER }), 200);
  assert.deepEqual(since.json.changes, [
    { id: 'a', last_modified: del.json.data.last_modified, deleted: true },
    b.json.data,
  ]);
  const quoted = await must(req(on, 'GET', `${C}/changeset?_expected=1&_since="${b.json.data.last_modified}"`, { auth: OWNER }), 200);
  assert.deepEqual(quoted.json.changes.map((x) => x.id), ['a']);
  const limited = await must(req(on, 'GET', `${C}/changeset?_expected=1&_limit=1`, { auth: OWNER }), 200);
  assert.equal(limited.json.changes.length, 1);
  // Other parameters are ignored.
  await must(req(on, 'GET', `${C}/changeset?_expected=1&title=zzz&_sort=id`, { auth: OWNER }), 200);
});

test('CHG-3 changeset permissions and missing objects', async () => {
  const C = '/buckets/main/collections/cfr';
  expectError(await req(on, 'GET', `${C}/changeset?_expected=1`), 401, 104);
  expectError(await req(on, 'GET', `${C}/changeset?_expected=1`, { auth: OTHER }), 403, 121);
  // Read on the collection is enough.
  const u = await must(req(on, 'GET', '/', { auth: OTHER }), 200);
  await must(req(on, 'PATCH', C, { auth: OWNER, body: { permissions: { read: [u.json.user.id] } } }), 200);
  await must(req(on, 'GET', `${C}/changeset?_expected=1`, { auth: OTHER }), 200);
  expectError(await req(on, 'GET', '/buckets/main/collections/nope/changeset?_expected=1', { auth: OWNER }), 404, 111);
  // A missing bucket: the same answer as reading the collection itself (no permission there).
  const core = await req(on, 'GET', '/buckets/nope/collections/cfr', { auth: OWNER });
  const cs = await req(on, 'GET', '/buckets/nope/collections/cfr/changeset?_expected=1', { auth: OWNER });
  expectError(cs, core.status, core.json.errno);
});

test('CHG-3 bad input: missing _expected, bad _since and _limit are 400 errno 107 as upstream', async () => {
  const C = '/buckets/main/collections/cfr/changeset';
  expectError(await req(on, 'GET', C, { auth: OWNER }), 400, 107, {
    message: '_expected in querystring: Required',
    details: [{ location: 'querystring', name: '_expected', description: 'Required' }],
  });
  expectError(await req(on, 'GET', `${C}?_expected=1&_since=abc`, { auth: OWNER }), 400, 107, {
    message: '_since in querystring: The value should be integer, optionally between double quotes.',
  });
  expectError(await req(on, 'GET', `${C}?_expected=1&_since="12`, { auth: OWNER }), 400, 107);
  expectError(await req(on, 'GET', `${C}?_expected=1&_since=4102444800001`, { auth: OWNER }), 400, 107, {
    message: '_since in querystring: 4102444800001 is greater than maximum value 4102444800000',
  });
  expectError(await req(on, 'GET', `${C}?_expected=1&_limit=x`, { auth: OWNER }), 400, 107, {
    message: '_limit in querystring: "x" is not a number',
  });
  expectError(await req(on, 'GET', `${C}?_expected=1&_limit=-2`, { auth: OWNER }), 400, 107);
  // _expected is any string on a collection's changeset.
  await must(req(on, 'GET', `${C}?_expected=abc`, { auth: OWNER }), 200);
  expectError(await req(on, 'POST', `${C}?_expected=1`, { auth: OWNER, body: {} }), 405, 115);
});

test('CHG-3 changeset of monitor/changes: public, filters, quoted _expected redirect, stale and old rules', async () => {
  const C = '/buckets/monitor/collections/changes/changeset';
  const list = await must(req(on, 'GET', MONITOR), 200);
  const r = await must(req(on, 'GET', `${C}?_expected=0`), 200);
  assert.deepEqual(r.json.metadata, { bucket: 'monitor' });
  assert.deepEqual(r.json.changes, list.json.data);
  assert.equal(`"${r.json.timestamp}"`, list.headers.get('etag'));
  assert.equal(r.headers.get('cache-control'), 'max-age=10');
  const main = await must(req(on, 'GET', `${C}?_expected=5&bucket=main&collection=cfr`), 200);
  assert.deepEqual(main.json.changes.map((e) => e.collection), ['cfr']);
  const newest = r.json.changes[0].last_modified;
  const since = await must(req(on, 'GET', `${C}?_expected=${newest}&_since=${newest - 1}`), 200);
  assert.deepEqual(since.json.changes, [r.json.changes[0]]);
  const q = await must(req(on, 'GET', `${C}?_expected="5"&bucket=main`), 307);
  assert.equal(q.headers.get('location'), `https://cdn.example.com/v1${C}?_expected=5&bucket=main`);
  await must(req(on, 'GET', `${C}?_expected=10&_since=20`), 204);
  const old = Date.now() - 30 * 86400 * 1000;
  await must(req(on, 'GET', `${C}?_expected=${old + 1}&_since=${old}`), 307);
});

test('CHG-3 readonly: a records list never initialized is a 404 and nothing is written', async () => {
  const ro = await startServer({ workers: 1, settings: { 'kinto.includes': 'kinto_changes', 'kinto.readonly': 'true', 'kinto.changes.resources': '/buckets/main' } });
  try {
    await dbQuery(ro, "INSERT INTO objects (parent_id, resource_name, id, last_modified, deleted, data) VALUES " +
      "('', 'bucket', 'main', 100, 0, '{}'), ('/buckets/main', 'collection', 'ro', 110, 0, '{}')");
    await dbQuery(ro, "INSERT INTO acl (object_uri, permission, principal) VALUES ('/buckets/main', 'read', 'system.Everyone')");
    const C = '/buckets/main/collections/ro/changeset?_expected=0';
    expectError(await req(ro, 'GET', C), 404, 111);
    const marks = await dbQuery(ro, 'SELECT COUNT(*) FROM revisions');
    assert.equal(marks[0][0], '0', 'readonly wrote a list timestamp');
    await dbQuery(ro, "INSERT INTO revisions (parent_id, resource_name, last_modified) VALUES ('/buckets/main/collections/ro', 'record', 105)");
    const r = await must(req(ro, 'GET', C), 200);
    assert.deepEqual(r.json, { metadata: { id: 'ro', last_modified: 110, bucket: 'main' }, timestamp: 105, changes: [] });
    const list = await must(req(ro, 'GET', MONITOR), 200);
    assert.deepEqual(list.json.data.map((e) => [e.collection, e.last_modified]), [['ro', 105]]);
  } finally {
    await ro.stop();
  }
});
