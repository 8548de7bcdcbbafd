// Concurrency guarantees of spec 09: G1 unique, increasing timestamps
// (SYNC-2), G2 no change missed when polling with _since=<ETag> (SYNC-3),
// G4 atomic preconditions (SYNC-5). One server with 4 FastCGI workers;
// every loop is bounded in count and time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { startServer, basic, req } from './lib/harness.js';
import { must } from './lib/expect.js';
import { SyncLoad } from './lib/syncload.js';

const RUN = (Date.now() % 1e9).toString(36) + Math.random().toString(36).slice(2, 6);
let seq = 0;
const uid = (p = 'x') => `${p}${RUN}${(++seq).toString(36)}`;
const OWNER = basic(`owner-${RUN}`, 'secret');
const CLIENTS = 8;
const OPS_PER_CLIENT = 60;

let srv;
before(async () => { srv = await startServer({ workers: 4 }); });
after(async () => { await srv?.stop(); });

async function collection() {
  const b = uid('cc');
  await must(req(srv, 'PUT', `/buckets/${b}`, { auth: OWNER, body: {} }), 201);
  await must(req(srv, 'PUT', `/buckets/${b}/collections/c`, { auth: OWNER, body: {} }), 201);
  return `/buckets/${b}/collections/c/records`;
}
const etagOf = (r) => Number((r.headers.get('etag') ?? '').replace(/"/g, ''));

// Small deterministic PRNG so that a failing run can be replayed.
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('SYNC-2 / SYNC-3 8 writers and a polling reader: unique increasing timestamps, nothing missed', { timeout: 120000 }, async () => {
  const R = await collection();
  const ops = []; // {client, kind, id, sendT, ackT, status, lm}
  const polls = []; // {sendT, ackT, etag}
  const seen = new Map(); // reader's reconstruction: id -> last_modified
  const tombSeen = new Set();
  let since = null;
  const deadline = Date.now() + 45000;

  async function poll() {
    const sendT = performance.now();
    const r = await req(srv, 'GET', since === null ? R : `${R}?_since=${encodeURIComponent(since)}`, { auth: OWNER });
    const ackT = performance.now();
    assert.equal(r.status, 200, r.text);
    polls.push({ sendT, ackT, etag: etagOf(r) });
    for (const o of r.json.data) {
      if (o.deleted) {
        seen.delete(o.id);
        tombSeen.add(o.id);
      } else {
        seen.set(o.id, o.last_modified);
      }
    }
    since = r.headers.get('etag');
  }

  async function write(client, kind, id, method, path, body, headers) {
    const sendT = performance.now();
    const r = await req(srv, method, path, { auth: OWNER, body, headers });
    const ackT = performance.now();
    const lm = r.json?.data?.last_modified;
    ops.push({ client, kind, id, sendT, ackT, status: r.status, lm, text: r.text });
    return r;
  }

  async function writer(client) {
    const rand = prng(client * 7919 + 17);
    const live = new Map(); // id -> last known last_modified
    let n = 0;
    for (let i = 0; i < OPS_PER_CLIENT && Date.now() < deadline; i++) {
      const x = rand();
      const ids = [...live.keys()];
      if (ids.length < 3 || x < 0.4) {
        const id = `c${client}-${n++}`;
        const r = await write(client, 'create', id, 'PUT', `${R}/${id}`, { data: { client, v: 0 } }, { 'If-None-Match': '*' });
        if (r.status === 201) live.set(id, r.json.data.last_modified);
      } else if (x < 0.85) {
        const id = ids[Math.floor(rand() * ids.length)];
        const viaPatch = rand() < 0.5;
        const headers = rand() < 0.5 ? { 'If-Match': `"${live.get(id)}"` } : {};
        const r = viaPatch
          ? await write(client, 'update', id, 'PATCH', `${R}/${id}`, { data: { v: i } }, headers)
          : await write(client, 'update', id, 'PUT', `${R}/${id}`, { data: { client, v: i } }, headers);
        if (r.status === 200) live.set(id, r.json.data.last_modified);
      } else {
        const id = ids[Math.floor(rand() * ids.length)];
        const r = await write(client, 'delete', id, 'DELETE', `${R}/${id}`, undefined, { 'If-Match': `"${live.get(id)}"` });
        if (r.status === 200) live.delete(id);
      }
    }
  }

  await poll(); // before any write: every later tombstone is newer than this ETag
  let writersDone = false;
  const reader = (async () => {
    while (!writersDone && Date.now() < deadline) await poll();
  })();
  await Promise.all(Array.from({ length: CLIENTS }, (_, c) => writer(c)));
  writersDone = true;
  await reader;
  await poll(); // final poll

  // zero 409 / 5xx, the expected status per operation
  const expected = { create: 201, update: 200, delete: 200 };
  const bad = ops.filter((o) => o.status !== expected[o.kind]);
  assert.deepEqual(bad.map((o) => `${o.kind} ${o.id}: ${o.status} ${o.text}`), []);
  assert.ok(ops.length >= CLIENTS * 10, `only ${ops.length} writes in time`);
  assert.ok(polls.length >= 3, `the reader polled only ${polls.length} times`);

  // G1: unique timestamps; a write sent after another was acknowledged gets a greater one
  const lms = ops.map((o) => o.lm);
  for (const lm of lms) assert.ok(Number.isInteger(lm));
  assert.equal(new Set(lms).size, lms.length, 'duplicate last_modified values');
  const byAck = [...ops].sort((a, b) => a.ackT - b.ackT);
  const bySend = [...ops].sort((a, b) => a.sendT - b.sendT);
  let j = 0;
  let maxAcked = -Infinity;
  for (const op of bySend) {
    while (j < byAck.length && byAck[j].ackT < op.sendT) maxAcked = Math.max(maxAcked, byAck[j++].lm);
    assert.ok(op.lm > maxAcked, `${op.kind} ${op.id} got ${op.lm}, but ${maxAcked} was acknowledged before it was sent`);
  }
  // per client: strictly increasing in acknowledgement order
  for (let c = 0; c < CLIENTS; c++) {
    const mine = ops.filter((o) => o.client === c).sort((a, b) => a.ackT - b.ackT).map((o) => o.lm);
    for (let i = 1; i < mine.length; i++) assert.ok(mine[i] > mine[i - 1], `client ${c}: ${mine[i]} after ${mine[i - 1]}`);
  }
  // an ETag seen by the reader is below every write sent after that read completed
  const pollsByAck = [...polls].sort((a, b) => a.ackT - b.ackT);
  for (let i = 1; i < pollsByAck.length; i++) assert.ok(pollsByAck[i].etag >= pollsByAck[i - 1].etag, 'list ETag decreased');
  j = 0;
  let maxEtag = -Infinity;
  for (const op of bySend) {
    while (j < pollsByAck.length && pollsByAck[j].ackT < op.sendT) maxEtag = Math.max(maxEtag, pollsByAck[j++].etag);
    assert.ok(op.lm > maxEtag, `${op.kind} ${op.id} got ${op.lm} <= ETag ${maxEtag} served before it was sent`);
  }

  // G2: the reader's map equals the server's final state; every deleted id was seen as a tombstone
  const final = await must(req(srv, 'GET', R, { auth: OWNER }), 200);
  const state = new Map(final.json.data.map((o) => [o.id, o.last_modified]));
  assert.deepEqual([...seen.entries()].sort(), [...state.entries()].sort());
  const lastOp = new Map();
  for (const op of byAck) lastOp.set(op.id, op);
  const deleted = [...lastOp.values()].filter((o) => o.kind === 'delete').map((o) => o.id);
  assert.ok(deleted.length > 0, 'the mix deleted something');
  for (const id of deleted) assert.ok(tombSeen.has(id), `tombstone of ${id} never seen by the reader`);
  for (const [id, op] of lastOp) {
    if (op.kind === 'delete') assert.ok(!state.has(id));
    else assert.equal(state.get(id), op.lm, `${id}: final last_modified is the last acknowledged write`);
  }

  // G1 end state: _since=0 has one entry per id with its last value; ETag = max; stable ETag
  const all = await must(req(srv, 'GET', `${R}?_since=0`, { auth: OWNER }), 200);
  assert.equal(all.json.data.length, lastOp.size);
  for (const o of all.json.data) assert.equal(o.last_modified, lastOp.get(o.id).lm, o.id);
  const maxLm = Math.max(...lms);
  assert.equal(etagOf(all), maxLm);
  assert.equal(etagOf(await req(srv, 'GET', R, { auth: OWNER })), maxLm);
  assert.equal(etagOf(await req(srv, 'HEAD', R, { auth: OWNER })), maxLm);
});

test('SYNC-5 concurrent PUTs with the same If-Match: exactly one 200, the others 412 with the winner as existing', { timeout: 60000 }, async () => {
  const R = await collection();
  for (let round = 0; round < 8; round++) {
    const id = `r${round}`;
    const v = (await must(req(srv, 'PUT', `${R}/${id}`, { auth: OWNER, body: { data: { w: 'start' } } }), 201)).json.data.last_modified;
    const rs = await Promise.all(['a', 'b', 'c', 'd'].map((w) => req(srv, round % 2 ? 'PATCH' : 'PUT', `${R}/${id}`, { auth: OWNER, headers: { 'If-Match': `"${v}"` }, body: { data: { w } } })));
    const wins = rs.filter((r) => r.status === 200);
    const losses = rs.filter((r) => r.status === 412);
    assert.equal(wins.length, 1, `round ${round}: ${rs.map((r) => r.status)}`);
    assert.equal(losses.length, 3, `round ${round}: ${rs.map((r) => `${r.status} ${String(r.text).slice(0, 600)}`)}`);
    const winner = wins[0].json.data;
    for (const l of losses) {
      assert.equal(l.json.errno, 114);
      assert.deepEqual(l.json.details.existing, winner, 'details.existing is the stored version');
    }
    const now = await must(req(srv, 'GET', `${R}/${id}`, { auth: OWNER }), 200);
    assert.deepEqual(now.json.data, winner);
  }
});

test('SYNC-5 DELETE and PUT racing with the same If-Match: one wins, the other gets 412', { timeout: 60000 }, async () => {
  const R = await collection();
  for (let round = 0; round < 8; round++) {
    const id = `d${round}`;
    const v = (await must(req(srv, 'PUT', `${R}/${id}`, { auth: OWNER, body: { data: { n: 0 } } }), 201)).json.data.last_modified;
    const h = { 'If-Match': `"${v}"` };
    const [del, put] = await Promise.all([
      req(srv, 'DELETE', `${R}/${id}`, { auth: OWNER, headers: h }),
      req(srv, 'PUT', `${R}/${id}`, { auth: OWNER, headers: h, body: { data: { n: 1 } } }),
    ]);
    assert.deepEqual([del.status, put.status].sort(), [200, 412], `round ${round}: ${del.text} / ${put.text}`);
    const now = await req(srv, 'GET', `${R}/${id}`, { auth: OWNER });
    if (del.status === 200) {
      assert.equal(put.json.errno, 114);
      assert.equal(put.json.details, undefined, 'no existing object when the delete won');
      assert.equal(now.status, 404);
    } else {
      assert.deepEqual(del.json.details.existing, put.json.data);
      assert.deepEqual(now.json.data, put.json.data);
    }
  }
});

test('SYNC-5 concurrent If-None-Match: * PUTs on a new id: exactly one 201, the others 412', { timeout: 60000 }, async () => {
  const R = await collection();
  for (let round = 0; round < 8; round++) {
    const id = `n${round}`;
    if (round % 2) {
      // over a tombstone this time
      await must(req(srv, 'PUT', `${R}/${id}`, { auth: OWNER, body: { data: {} } }), 201);
      await must(req(srv, 'DELETE', `${R}/${id}`, { auth: OWNER }), 200);
    }
    const rs = await Promise.all(['a', 'b', 'c', 'd'].map((w) => req(srv, 'PUT', `${R}/${id}`, { auth: OWNER, headers: { 'If-None-Match': '*' }, body: { data: { w } } })));
    const created = rs.filter((r) => r.status === 201);
    const refused = rs.filter((r) => r.status === 412);
    assert.equal(created.length, 1, `round ${round}: ${rs.map((r) => `${r.status} ${String(r.text).slice(0, 600)}`)}`);
    assert.equal(refused.length, 3, `round ${round}: ${rs.map((r) => `${r.status} ${String(r.text).slice(0, 600)}`)}`);
    for (const r of refused) {
      assert.equal(r.json.errno, 114);
      assert.deepEqual(r.json.details.existing, created[0].json.data);
    }
  }
  // same with POST + data.id
  const rs = await Promise.all(['a', 'b', 'c'].map((w) => req(srv, 'POST', R, { auth: OWNER, headers: { 'If-None-Match': '*' }, body: { data: { id: 'posted', w } } })));
  assert.deepEqual(rs.map((r) => r.status).sort(), [201, 412, 412], rs.map((r) => r.text).join(' / '));
});

// The same guarantees through the load that tools/cinto-dev test --cluster spreads over three
// sites of a Galera cluster (lib/syncload.js): here on one site, no fault, so any 5xx fails.
test('SYNC-2 / SYNC-3 the multi-node load on one site: writers, two _since pollers, batches', { timeout: 120000 }, async () => {
  const R = await collection();
  const load = new SyncLoad({ sites: [srv], list: R, auth: OWNER, writersPerSite: 4, pollersPerSite: 2, batchEvery: 5 });
  load.start();
  await new Promise((resolve) => setTimeout(resolve, 8000));
  await load.stop();
  const v = load.check();
  for (const [k, list] of Object.entries(v)) assert.deepEqual(list, [], k);
  const s = load.summary();
  assert.ok(s.writes >= 40 && s.batches >= 2 && s.polls >= 4, JSON.stringify(s));
  assert.equal(s.unclear, 0, JSON.stringify(s));
});
