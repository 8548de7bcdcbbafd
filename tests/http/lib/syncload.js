// The concurrency check of spec 09 (SYNC-2 unique increasing timestamps, SYNC-3 nothing missed
// when polling with _since=<ETag>) as a reusable load: writers and `_since` pollers spread over a
// list of sites that serve the same database (one site, or several web servers on the nodes of a
// cluster), batches included, with a ledger of every request so that the invariants can be
// checked afterwards, also across faults.
//
// Each writer owns its record ids and sends one request at a time, so the last acknowledged
// write of an id is its expected state. A write that gets no clear answer (a 5xx, no answer) is
// "uncertain": the writer reads the record back through any site that answers and goes on from
// what it finds, which must be the state before or the state attempted.
//
// A fault window (markDown/markUp) says when a site's database node is down: only then may that
// site answer 5xx, and only as cinto's 503 JSON with Retry-After.
import { performance } from 'node:perf_hooks';
import { req, sleep } from './harness.js';

const etagOf = (r) => Number((r.headers.get('etag') ?? '').replace(/"/g, ''));

// Small deterministic PRNG so that a failing run can be replayed.
export function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export class SyncLoad {
  /**
   * sites: servers from startServer() (any object with .url), all on the same database.
   * list: path of a records list ('/buckets/b/collections/c/records'), auth: header value.
   * writersPerSite, pollersPerSite; batchEvery: one write in N is a batch of creates (0: none).
   * pause: ms between two requests of one client (0: back to back).
   */
  constructor({ sites, list, auth, writersPerSite = 2, pollersPerSite = 1, batchEvery = 8, pause = 0, seed = 1, timeout = 60000 }) {
    Object.assign(this, { sites, list, auth, writersPerSite, pollersPerSite, batchEvery, pause, seed, timeout });
    this.ops = []; // acknowledged writes: { writer, site, kind, id, sendT, ackT, lm }
    this.uncertain = []; // { writer, site, id, before, attempted, seen }
    this.answers = []; // every answer: { site, sendT, ackT, status, cinto503 (JSON + Retry-After), what }
    this.unexpected = []; // answers that are wrong whatever the faults (4xx, bad batch...)
    this.polls = []; // { poller, site, sendT, ackT, etag }
    this.pollers = []; // { site, seen: Map id -> lm, etags: [] }
    this.windows = sites.map(() => []); // per site: [{ from, to }]
    this.finalState = null; // id -> lm after stop()
    this.stopping = false;
    this.finals = []; // what each site lists at the end
  }

  now() {
    return performance.now();
  }

  markDown(site) {
    this.windows[site].push({ from: this.now(), to: Infinity });
  }

  markUp(site) {
    const w = this.windows[site].at(-1);
    if (w && w.to === Infinity) w.to = this.now();
  }

  inWindow(site, sendT, ackT) {
    return this.windows[site].some((w) => sendT <= w.to && ackT >= w.from);
  }

  // One request, classified and remembered. Returns the response, or null when none came.
  async call(site, method, path, opts = {}, what = '') {
    const sendT = this.now();
    let r = null;
    try {
      r = await req(this.sites[site], method, path, { auth: this.auth, timeout: this.timeout, ...opts });
    } catch (e) {
      this.answers.push({ site, sendT, ackT: this.now(), status: 0, what: `${method} ${path} ${what}: ${e.message}` });
      return null;
    }
    const ackT = this.now();
    const cinto503 = r.status === 503 && r.json && typeof r.json === 'object' && 'errno' in r.json && Boolean(r.headers.get('retry-after'));
    this.answers.push({ site, sendT, ackT, status: r.status, cinto503, what: `${method} ${path} ${what}: ${r.text.slice(0, 200)}` });
    r.sendT = sendT;
    r.ackT = ackT;
    return r;
  }

  // Reads a record through any site until one answers 200 or 404.
  async settle(id, preferred) {
    for (let i = 0; i < 400; i++) {
      const site = (preferred + 1 + i) % this.sites.length;
      const r = await this.call(site, 'GET', `${this.list}/${id}`, {}, 'settle');
      if (r && r.status === 200) return { deleted: false, lm: r.json.data.last_modified, v: r.json.data.v };
      if (r && r.status === 404) return { deleted: true, lm: null, v: null };
      await sleep(100);
    }
    throw new Error(`record ${id} never readable again`);
  }

  async writer(w, site) {
    const rand = prng(this.seed * 1000 + w * 7919 + 17);
    const live = new Map(); // id -> { lm, v }
    const base = `s${site}w${w}-`;
    let n = 0;
    let i = 0;
    const ack = (kind, id, r, lm) => this.ops.push({ writer: w, site, kind, id, sendT: r.sendT, ackT: r.ackT, lm });
    // an unclear answer: read back, compare with before/attempted, go on from what is there
    const unclear = async (id, before, attempted) => {
      const seen = await this.settle(id, site);
      this.uncertain.push({ writer: w, site, id, before, attempted, seen, t: this.now() });
      if (seen.deleted) live.delete(id);
      else live.set(id, { lm: seen.lm, v: seen.v });
    };
    const clear = (r) => r && r.status < 500;
    while (!this.stopping) {
      i++;
      const x = rand();
      const ids = [...live.keys()];
      if (this.batchEvery && i % this.batchEvery === 0) {
        const made = [0, 1, 2].map(() => `${base}${n++}`);
        const body = {
          defaults: { method: 'PUT', headers: { 'If-None-Match': '*' } },
          requests: made.map((id) => ({ path: `/v1${this.list}/${id}`, body: { data: { v: i } } })),
        };
        const r = await this.call(site, 'POST', '/batch', { body }, 'batch');
        const rs = r?.status === 200 ? r.json.responses : null;
        if (rs && rs.every((x) => x.status === 201)) {
          rs.forEach((x, k) => {
            live.set(made[k], { lm: x.body.data.last_modified, v: i });
            ack('batch-create', made[k], r, x.body.data.last_modified);
          });
        } else if (!clear(r) || (rs && rs.some((x) => x.status >= 500))) {
          if (rs) for (const x of rs) if (x.status >= 500) this.answers.push({ site, sendT: r.sendT, ackT: r.ackT, status: x.status, cinto503: x.status === 503, what: `batch item: ${JSON.stringify(x.body).slice(0, 200)}` });
          for (const id of made) await unclear(id, { deleted: true }, { deleted: false, v: i });
        } else {
          this.unexpected.push(`batch on site ${site}: ${r.status} ${r.text.slice(0, 300)}`);
          for (const id of made) await unclear(id, { deleted: true }, { deleted: false, v: i });
        }
      } else if (ids.length < 3 || x < 0.4) {
        const id = `${base}${n++}`;
        const r = await this.call(site, 'PUT', `${this.list}/${id}`, { body: { data: { v: i } }, headers: { 'If-None-Match': '*' } });
        if (r?.status === 201) {
          live.set(id, { lm: r.json.data.last_modified, v: i });
          ack('create', id, r, r.json.data.last_modified);
        } else {
          if (clear(r)) this.unexpected.push(`create ${id} on site ${site}: ${r.status} ${r.text.slice(0, 300)}`);
          await unclear(id, { deleted: true }, { deleted: false, v: i });
        }
      } else if (x < 0.85) {
        const id = ids[Math.floor(rand() * ids.length)];
        const before = { deleted: false, ...live.get(id) };
        const headers = rand() < 0.5 ? { 'If-Match': `"${before.lm}"` } : {};
        const r = rand() < 0.5
          ? await this.call(site, 'PATCH', `${this.list}/${id}`, { body: { data: { v: i } }, headers })
          : await this.call(site, 'PUT', `${this.list}/${id}`, { body: { data: { v: i } }, headers });
        if (r?.status === 200) {
          live.set(id, { lm: r.json.data.last_modified, v: i });
          ack('update', id, r, r.json.data.last_modified);
        } else {
          if (clear(r)) this.unexpected.push(`update ${id} on site ${site}: ${r.status} ${r.text.slice(0, 300)}`);
          await unclear(id, before, { deleted: false, v: i });
        }
      } else {
        const id = ids[Math.floor(rand() * ids.length)];
        const before = { deleted: false, ...live.get(id) };
        const r = await this.call(site, 'DELETE', `${this.list}/${id}`, { headers: { 'If-Match': `"${before.lm}"` } });
        if (r?.status === 200) {
          live.delete(id);
          ack('delete', id, r, r.json.data.last_modified);
        } else {
          if (clear(r)) this.unexpected.push(`delete ${id} on site ${site}: ${r.status} ${r.text.slice(0, 300)}`);
          await unclear(id, before, { deleted: true });
        }
      }
      if (this.pause) await sleep(this.pause);
    }
  }

  // One `_since` poll, following Next-Page; true when it got the whole answer.
  async pollOnce(p) {
    const first = p.since === null ? this.list : `${this.list}?_since=${encodeURIComponent(p.since)}`;
    const r = await this.call(p.site, 'GET', first, {}, 'poll');
    if (!r || r.status !== 200) return false;
    const items = [...r.json.data];
    let next = r.headers.get('next-page');
    while (next) {
      const rn = await this.call(p.site, 'GET', next, {}, 'poll page');
      if (!rn || rn.status !== 200) return false;
      items.push(...rn.json.data);
      next = rn.headers.get('next-page');
    }
    for (const o of items) {
      if (o.deleted) p.seen.delete(o.id);
      else p.seen.set(o.id, o.last_modified);
    }
    const etag = etagOf(r);
    this.polls.push({ poller: p.index, site: p.site, sendT: r.sendT, ackT: r.ackT, etag });
    p.etags.push(etag);
    p.since = r.headers.get('etag');
    return true;
  }

  async poller(p) {
    while (!this.stopping) {
      if (!(await this.pollOnce(p))) await sleep(200);
      else if (this.pause) await sleep(this.pause);
    }
  }

  // Starts every client; they run until stop().
  start() {
    let w = 0;
    const jobs = [];
    this.sites.forEach((_, site) => {
      for (let k = 0; k < this.writersPerSite; k++) jobs.push(this.writer(w++, site));
      for (let k = 0; k < this.pollersPerSite; k++) {
        const p = { index: this.pollers.length, site, since: null, seen: new Map(), etags: [] };
        this.pollers.push(p);
        jobs.push(this.pollOnce(p).then(() => this.poller(p)));
      }
    });
    this.running = Promise.all(jobs);
  }

  // Stops the clients, then polls once more on every poller (until its site answers) and reads
  // the final list through every site.
  async stop() {
    this.stopping = true;
    await this.running;
    for (const p of this.pollers) {
      let ok = false;
      for (let i = 0; i < 300 && !ok; i++) {
        ok = await this.pollOnce(p);
        if (!ok) await sleep(200);
      }
      if (!ok) this.unexpected.push(`poller ${p.index} (site ${p.site}) could not make its final poll`);
    }
    for (let site = 0; site < this.sites.length; site++) {
      const r = await this.call(site, 'GET', this.list, {}, 'final');
      if (!r || r.status !== 200) {
        this.unexpected.push(`final list on site ${site}: ${r?.status} ${r?.text?.slice(0, 200)}`);
        this.finals.push(null);
        continue;
      }
      this.finals.push({ etag: etagOf(r), state: new Map(r.json.data.map((o) => [o.id, o.last_modified])) });
    }
    this.finalState = this.finals.find(Boolean)?.state ?? new Map();
  }

  // The invariants, each a list of violations (empty when it holds).
  check() {
    const v = { lost: [], unique: [], ordered: [], pollers: [], sites: [], status: [], unexpected: [...this.unexpected] };
    const cap = (a, s) => a.length < 30 && a.push(s);
    // no acknowledged write lost: the final state of each id is its last acknowledged write,
    // or what a later unclear write was read back as
    // (one writer per id, one request at a time: the latest event of an id is its state)
    const last = new Map();
    const events = [
      ...this.ops.map((op) => ({ id: op.id, t: op.ackT, deleted: op.kind === 'delete', lm: op.lm })),
      ...this.uncertain.map((u) => ({ id: u.id, t: u.t, deleted: u.seen.deleted, lm: u.seen.lm })),
    ].sort((a, b) => a.t - b.t);
    for (const e of events) last.set(e.id, e);
    for (const u of this.uncertain) {
      const ok = (s) => s && s.deleted === u.seen.deleted && (s.deleted || s.v === undefined || s.v === u.seen.v);
      if (!ok(u.before) && !ok(u.attempted)) cap(v.lost, `${u.id}: after an unclear write it reads ${JSON.stringify(u.seen)}, neither ${JSON.stringify(u.before)} nor ${JSON.stringify(u.attempted)}`);
    }
    for (const [id, e] of last) {
      const got = this.finalState.get(id);
      if (e.deleted ? got !== undefined : got !== e.lm) cap(v.lost, `${id}: final ${got ?? 'absent'}, expected ${e.deleted ? 'absent' : e.lm}`);
    }
    // nothing nobody wrote
    for (const id of this.finalState.keys()) if (!last.has(id)) cap(v.lost, `${id}: in the final list, never written`);
    // timestamps unique; a write sent after another was acknowledged gets a greater one
    const lms = this.ops.map((o) => o.lm);
    if (new Set(lms).size !== lms.length) {
      const seen = new Map();
      for (const o of this.ops) {
        if (seen.has(o.lm)) cap(v.unique, `${o.id} and ${seen.get(o.lm)} both got ${o.lm}`);
        seen.set(o.lm, o.id);
      }
    }
    for (const o of this.ops) if (!Number.isInteger(o.lm)) cap(v.unique, `${o.id}: last_modified ${o.lm}`);
    const byAck = [...this.ops].sort((a, b) => a.ackT - b.ackT);
    const bySend = [...this.ops].sort((a, b) => a.sendT - b.sendT);
    let j = 0;
    let maxAcked = -Infinity;
    for (const op of bySend) {
      while (j < byAck.length && byAck[j].ackT < op.sendT) maxAcked = Math.max(maxAcked, byAck[j++].lm);
      if (!(op.lm > maxAcked)) cap(v.ordered, `${op.kind} ${op.id} (site ${op.site}) got ${op.lm}, but ${maxAcked} was acknowledged before it was sent`);
    }
    const pollsByAck = [...this.polls].sort((a, b) => a.ackT - b.ackT);
    j = 0;
    let maxEtag = -Infinity;
    for (const op of bySend) {
      while (j < pollsByAck.length && pollsByAck[j].ackT < op.sendT) maxEtag = Math.max(maxEtag, pollsByAck[j++].etag);
      if (!(op.lm > maxEtag)) cap(v.ordered, `${op.kind} ${op.id} (site ${op.site}) got ${op.lm} <= list ETag ${maxEtag} served before it was sent`);
    }
    // pollers: ETags never go backwards; the reconstructed state is the final list
    for (const p of this.pollers) {
      for (let i = 1; i < p.etags.length; i++) if (p.etags[i] < p.etags[i - 1]) cap(v.pollers, `poller ${p.index} (site ${p.site}): ETag ${p.etags[i]} after ${p.etags[i - 1]}`);
      const a = [...p.seen.entries()].sort().join(' ');
      const b = [...this.finalState.entries()].sort().join(' ');
      if (a !== b) {
        const miss = [...this.finalState].filter(([id, lm]) => p.seen.get(id) !== lm).map(([id]) => id);
        const extra = [...p.seen.keys()].filter((id) => !this.finalState.has(id));
        cap(v.pollers, `poller ${p.index} (site ${p.site}): differs from the final list (wrong or missing: ${miss.slice(0, 5)}; extra: ${extra.slice(0, 5)})`);
      }
    }
    // every site lists the same thing at the end
    const ref = [...this.finalState.entries()].sort().join(' ');
    this.finals.forEach((f, site) => {
      if (f && [...f.state.entries()].sort().join(' ') !== ref) cap(v.sites, `site ${site} lists something else at the end`);
    });
    // 5xx only while the site's own node is down, and then cinto's 503 + Retry-After
    for (const a of this.answers) {
      if (a.status !== 0 && a.status < 500) continue;
      const inside = this.inWindow(a.site, a.sendT, a.ackT);
      if (!inside) cap(v.status, `site ${a.site}: ${a.status || 'no answer'} outside a fault window: ${a.what}`);
      else if (!a.cinto503) cap(v.status, `site ${a.site}: ${a.status || 'no answer'} during its fault is not a 503 JSON with Retry-After: ${a.what}`);
    }
    return v;
  }

  summary() {
    const count = (f) => this.answers.filter(f).length;
    return {
      writes: this.ops.length,
      batches: this.ops.filter((o) => o.kind === 'batch-create').length / 3,
      unclear: this.uncertain.length,
      polls: this.polls.length,
      requests: this.answers.length,
      s503: count((a) => a.status === 503),
      other5xx: count((a) => a.status >= 500 && a.status !== 503),
      noAnswer: count((a) => a.status === 0),
      final: this.finalState?.size,
    };
  }
}
