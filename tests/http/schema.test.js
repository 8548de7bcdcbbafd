// Black-box tests for spec 05 (JSON Schema validation): SCHEMA-1..7, plus hostile schemas and
// instances (catastrophic regexes, self-references, deep nesting, huge bounds, unresolvable and
// remote $ref) that must give a 4xx or a success, quickly, and never a 5xx, hang or crash.
// One server with kinto.experimental_collection_schema_validation on, one without the setting.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, basic, req } from './lib/harness.js';
import { must } from './lib/expect.js';

const RUN = (Date.now() % 1e9).toString(36) + Math.random().toString(36).slice(2, 6);
let seq = 0;
const uid = (p = 'x') => `${p}${RUN}${(++seq).toString(36)}`;
const OWNER = basic(`owner-${RUN}`, 'secret');

const MERGE = 'application/merge-patch+json';
const JPATCH = 'application/json-patch+json';
const DRAFT7 = 'http://json-schema.org/draft-07/schema#';
const DRAFT2020 = 'https://json-schema.org/draft/2020-12/schema';
const SETTING = 'kinto.experimental_collection_schema_validation';

let on; // validation enabled
let off; // setting absent (default false)

before(async () => {
  [on, off] = await Promise.all([
    startServer({ workers: 2, settings: { [SETTING]: 'true' } }),
    startServer({ workers: 2 }),
  ]);
});
after(async () => {
  await Promise.all([on?.stop(), off?.stop()]);
});

// --- helpers -------------------------------------------------------------


// A 400 errno 107 validation error in the shape of 08 §8.3 / 05 §5.6, with exactly one detail
// (05 §5.6 item 1) located in the body. Returns that detail.
function expectInvalid(r, { name, description } = {}) {
  assert.equal(r.status, 400, `expected 400, got ${r.status}: ${String(r.text).slice(0, 600)}`);
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
  assert.ok(r.json && typeof r.json === 'object', r.text);
  assert.equal(r.json.code, 400);
  assert.equal(r.json.errno, 107, r.text);
  assert.equal(r.json.error, 'Invalid parameters');
  assert.ok(Array.isArray(r.json.details), r.text);
  assert.equal(r.json.details.length, 1, `only the first error is reported: ${r.text}`);
  const d = r.json.details[0];
  assert.equal(d.location, 'body', r.text);
  assert.equal(typeof d.description, 'string', r.text);
  if (name instanceof RegExp) assert.match(String(d.name), name, r.text);
  else if (name !== undefined) assert.equal(String(d.name), name, r.text);
  if (description instanceof RegExp) assert.match(d.description, description, r.text);
  else if (description !== undefined) assert.equal(d.description, description, r.text);
  // 08 §8.3: the description alone when it contains the name, else "<name> in body: <desc>".
  const n = String(d.name);
  const expected = d.description.includes(n) ? d.description : `${n} in body: ${d.description}`;
  assert.equal(r.json.message, expected, r.text);
  return d;
}

function call(srv, method, path, body, { ct, auth = OWNER, timeout, headers: extra = {} } = {}) {
  const headers = ct ? { 'Content-Type': ct, ...extra } : { ...extra };
  const payload = body === undefined ? undefined : ct ? JSON.stringify(body) : body;
  return req(srv, method, path, { auth, body: payload, headers, timeout });
}

// A bucket (with optional data) and, if `coll` is given, collection `c` with that data.
async function fixture(srv, { bucket = {}, coll } = {}) {
  const b = uid('b');
  const B = `/buckets/${b}`;
  await must(call(srv, 'PUT', B, { data: bucket }), 201);
  const C = `${B}/collections/c`;
  if (coll !== undefined) await must(call(srv, 'PUT', C, { data: coll }), 201);
  return { b, B, C, R: `${C}/records` };
}

async function get(srv, path) {
  return (await must(call(srv, 'GET', path), 200)).json;
}
async function collTs(srv, C) {
  return (await get(srv, C)).data.last_modified;
}
async function listIds(srv, path) {
  return (await get(srv, path)).data.map((o) => o.id).sort();
}

// Asserts the server still answers on each worker and that no worker died (lighttpd would
// respawn a crashed worker silently, so the pids are compared too).
async function stillHealthy(srv, pidsBefore) {
  for (let i = 0; i < 4; i++) await must(call(srv, 'GET', '/', undefined, { timeout: 10000 }), 200);
  if (pidsBefore) assert.deepEqual(srv.workerPids().sort(), pidsBefore, 'a worker died');
}

// A write that must end quickly with a 4xx or a 2xx: never a 5xx, never a hang.
async function boundedWrite(srv, method, path, body, opts = {}) {
  const t0 = Date.now();
  let r;
  try {
    r = await call(srv, method, path, body, { timeout: 20000, ...opts });
  } catch (e) {
    assert.fail(`${method} ${path} did not answer within 20 s (${e.name}: ${e.message})`);
  }
  assert.ok(r.status < 500, `${method} ${path} → ${r.status}: ${r.text.slice(0, 400)}`);
  if (r.status >= 400) assert.equal(r.json?.errno, 107, r.text.slice(0, 400));
  return { ...r, ms: Date.now() - t0 };
}

// --- SCHEMA-1 ------------------------------------------------------------

test('SCHEMA-1 collection `schema` checked against the draft-07 meta-schema on PUT/POST, whatever the setting', async () => {
  for (const srv of [on, off]) {
    const { B } = await fixture(srv);
    const washer = await call(srv, 'PUT', `${B}/collections/w`, { data: { schema: { type: 'Washmachine' } } });
    const d = expectInvalid(washer, { name: 'data.schema' });
    assert.match(d.description, /'Washmachine' is not valid under any of the given schemas/);
    await must(call(srv, 'GET', `${B}/collections/w`), [403, 404]);

    // POST on the plural endpoint names the field the same way.
    const posted = await call(srv, 'POST', `${B}/collections`, { data: { id: 'p', schema: { type: 'Washmachine' } } });
    expectInvalid(posted, { name: 'data.schema', description: /Washmachine/ });

    // `required` must be an array of strings: the description names the offending value.
    const badReq = await call(srv, 'PUT', `${B}/collections/w`, { data: { schema: { required: 'x' } } });
    expectInvalid(badReq, { name: 'data.schema', description: /'x'/ });
    // A `properties` member must itself be a schema.
    const badProp = await call(srv, 'PUT', `${B}/collections/w`, { data: { schema: { properties: { a: 5 } } } });
    expectInvalid(badProp, { name: 'data.schema' });
    const badMin = await call(srv, 'PUT', `${B}/collections/w`, { data: { schema: { minLength: -1 } } });
    expectInvalid(badMin, { name: 'data.schema' });

    // Not an object at all (03 §3.8: "must be an object"), booleans included.
    for (const schema of ['x', 42, [], [{}], true, false]) {
      const r = await call(srv, 'PUT', `${B}/collections/w`, { data: { schema } });
      expectInvalid(r, { name: 'data.schema' });
    }
    await must(call(srv, 'GET', `${B}/collections/w`), [403, 404]);

    // `{}` is the schema that accepts everything.
    const empty = await must(call(srv, 'PUT', `${B}/collections/w`, { data: { schema: {} } }), 201);
    assert.deepEqual(empty.json.data.schema, {});
    const full = {
      type: 'object',
      properties: { title: { type: 'string', minLength: 1 }, n: { type: 'integer', minimum: 0 } },
      required: ['title'],
      additionalProperties: false,
    };
    const ok = await must(call(srv, 'PUT', `${B}/collections/w`, { data: { schema: full } }), 200);
    assert.deepEqual(ok.json.data.schema, full);
  }
});

test('SCHEMA-1 PATCH (json, merge, json-patch) cannot store an invalid schema; merge-patch null removes it', async () => {
  for (const srv of [on, off]) {
    const good = { type: 'object', properties: { title: { type: 'string' } } };
    const { C } = await fixture(srv, { coll: { schema: good } });
    const before = await get(srv, C);

    const attempts = [
      call(srv, 'PATCH', C, { data: { schema: { type: 'Washmachine' } } }),
      call(srv, 'PATCH', C, { data: { schema: { type: 'Washmachine' } } }, { ct: MERGE }),
      call(srv, 'PATCH', C, [{ op: 'replace', path: '/data/schema/type', value: 'Washmachine' }], { ct: JPATCH }),
      call(srv, 'PATCH', C, { data: { schema: 'x' } }),
    ];
    for (const p of attempts) {
      const r = await p;
      // 05 §5.1: the name is `schema` for PATCH upstream (`data.schema` for POST/PUT).
      expectInvalid(r, { name: /^(data\.)?schema$/ });
    }
    assert.deepEqual(await get(srv, C), before, 'nothing was written');

    // merge-patch {"schema": {"type": null}} edits inside the schema; null at the top removes it.
    const edited = await must(call(srv, 'PATCH', C, { data: { schema: { type: null } } }, { ct: MERGE }), 200);
    assert.deepEqual(edited.json.data.schema, { properties: { title: { type: 'string' } } });
    const removed = await must(call(srv, 'PATCH', C, { data: { schema: null } }, { ct: MERGE }), 200);
    assert.ok(!('schema' in removed.json.data), removed.text);
    assert.ok(!('schema' in (await get(srv, C)).data));
  }
});

test('SCHEMA-1 bucket record:schema, collection:schema and group:schema are meta-schema checked, whatever the setting', async () => {
  for (const srv of [on, off]) {
    const b = uid('b');
    for (const field of ['record:schema', 'collection:schema', 'group:schema']) {
      const put = await call(srv, 'PUT', `/buckets/${b}`, { data: { [field]: { type: 'Washmachine' } } });
      expectInvalid(put, { name: `data.${field}`, description: /'Washmachine' is not valid under any of the given schemas/ });
      const post = await call(srv, 'POST', '/buckets', { data: { id: b, [field]: { required: 'x' } } });
      expectInvalid(post, { name: `data.${field}` });
      const notObject = await call(srv, 'PUT', `/buckets/${b}`, { data: { [field]: ['string'] } });
      expectInvalid(notObject, { name: `data.${field}` });
    }
    await must(call(srv, 'GET', `/buckets/${b}`), [403, 404]);

    const schemas = { 'record:schema': {}, 'collection:schema': { type: 'object' }, 'group:schema': {} };
    const created = await must(call(srv, 'PUT', `/buckets/${b}`, { data: schemas }), 201);
    for (const [k, v] of Object.entries(schemas)) assert.deepEqual(created.json.data[k], v);

    for (const field of Object.keys(schemas)) {
      for (const [body, ct] of [
        [{ data: { [field]: { type: 'Washmachine' } } }, undefined],
        [{ data: { [field]: { minItems: 'two' } } }, MERGE],
        [[{ op: 'add', path: `/data/${field.replace('~', '~0').replace('/', '~1')}`, value: { type: 12 } }], JPATCH],
      ]) {
        const r = await call(srv, 'PATCH', `/buckets/${b}`, body, { ct: ct ?? 'application/json' });
        expectInvalid(r, { name: new RegExp(`^(data\\.)?${field}$`) });
      }
    }
    const after = await get(srv, `/buckets/${b}`);
    for (const [k, v] of Object.entries(schemas)) assert.deepEqual(after.data[k], v, 'nothing was written');
    const removed = await must(call(srv, 'PATCH', `/buckets/${b}`, { data: { 'record:schema': null } }, { ct: MERGE }), 200);
    assert.ok(!('record:schema' in removed.json.data));
  }
});

// --- SCHEMA-2 ------------------------------------------------------------

test('SCHEMA-2 a draft-07 $schema gets draft-07 meaning: dependencies, array-form items, additionalItems', async () => {
  const schema = {
    $schema: DRAFT7,
    type: 'object',
    dependencies: { credit: ['billing'], flag: { required: ['why'] } },
    properties: {
      pair: { type: 'array', items: [{ type: 'string' }, { type: 'number' }], additionalItems: false },
      ref: { $ref: '#/definitions/small' },
    },
    definitions: { small: { type: 'integer', maximum: 3 } },
  };
  const { R } = await fixture(on, { coll: { schema } });
  for (const data of [{}, { credit: 1, billing: 'x' }, { flag: true, why: 'y' }, { pair: ['a', 1] }, { pair: ['a'] }, { ref: 3 }]) {
    await must(call(on, 'POST', R, { data }), 201);
  }
  expectInvalid(await call(on, 'POST', R, { data: { credit: 1 } }), { description: /billing/ });
  expectInvalid(await call(on, 'POST', R, { data: { flag: true } }));
  expectInvalid(await call(on, 'POST', R, { data: { pair: [1, 'a'] } }), { name: '0' });
  expectInvalid(await call(on, 'POST', R, { data: { pair: ['a', 1, 2] } }));
  expectInvalid(await call(on, 'POST', R, { data: { ref: 4 } }), { name: 'ref' });
  assert.equal((await get(on, R)).data.length, 6);
});

test('SCHEMA-2 without $schema, draft 2020-12 applies: prefixItems, items, dependentRequired, $defs; draft-07 `dependencies` is not a keyword', async () => {
  const base = {
    type: 'object',
    properties: {
      pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }], items: false },
      ref: { $ref: '#/$defs/small' },
    },
    dependentRequired: { credit: ['billing'] },
    dependencies: { other: ['never'] },
    $defs: { small: { type: 'integer', maximum: 3 } },
  };
  for (const schema of [base, { $schema: DRAFT2020, ...base }]) {
    const { R } = await fixture(on, { coll: { schema } });
    for (const data of [{ pair: ['a', 1] }, { pair: ['a'] }, { credit: 1, billing: 2 }, { ref: 2 }, { other: 1 }]) {
      await must(call(on, 'POST', R, { data }), 201);
    }
    expectInvalid(await call(on, 'POST', R, { data: { pair: [1] } }), { name: '0' });
    expectInvalid(await call(on, 'POST', R, { data: { pair: ['a', 1, 2] } }));
    expectInvalid(await call(on, 'POST', R, { data: { credit: 1 } }));
    expectInvalid(await call(on, 'POST', R, { data: { ref: 9 } }), { name: 'ref' });
  }
});

test('SCHEMA-2 `format` is an annotation only, under every draft', async () => {
  const props = {
    mail: { type: 'string', format: 'email' },
    when: { type: 'string', format: 'date-time' },
    day: { format: 'date' },
    link: { format: 'uri' },
    ip: { format: 'ipv4' },
    re: { format: 'regex' },
    id2: { format: 'uuid' },
  };
  const junk = { mail: 'not an email', when: 'yesterday', day: '2020-13-45', link: '::', ip: '999.1', re: '(', id2: 'nope' };
  for (const extra of [{}, { $schema: DRAFT7 }, { $schema: DRAFT2020 }]) {
    const { R } = await fixture(on, { coll: { schema: { ...extra, properties: props } } });
    const r = await must(call(on, 'POST', R, { data: junk }), 201);
    assert.equal(r.json.data.mail, 'not an email');
  }
});

test('SCHEMA-2 `pattern`/`patternProperties` are ECMA-262 regexes: unanchored search, ASCII \\d and \\w, $ only at the end', async () => {
  const schema = {
    type: 'object',
    properties: {
      digits: { type: 'string', pattern: '^\\d+$' },
      word: { type: 'string', pattern: '^\\w+$' },
      sub: { type: 'string', pattern: 'b' },
      end: { type: 'string', pattern: '^a$' },
    },
    patternProperties: { '^x_': { type: 'number' } },
  };
  const { R } = await fixture(on, { coll: { schema } });
  await must(call(on, 'POST', R, { data: { digits: '0123', word: 'A_z9', sub: 'abc', end: 'a', x_n: 1, y_n: 'free' } }), 201);
  expectInvalid(await call(on, 'POST', R, { data: { sub: 'xyz' } }), { name: 'sub' });
  expectInvalid(await call(on, 'POST', R, { data: { x_n: 'one' } }), { name: 'x_n' });
  // Arabic-Indic digits and accented letters are outside ECMA's \d and \w (Python's re says otherwise).
  expectInvalid(await call(on, 'POST', R, { data: { digits: '\u0661\u0662\u0663' } }), { name: 'digits' });
  expectInvalid(await call(on, 'POST', R, { data: { word: 'caf\u00e9' } }), { name: 'word' });
  // ECMA's $ (no multiline flag) matches only at the very end, not before a final newline.
  expectInvalid(await call(on, 'POST', R, { data: { end: 'a\n' } }), { name: 'end' });
});

// --- SCHEMA-3 ------------------------------------------------------------

const ITEM_SCHEMA = {
  type: 'object',
  properties: { title: { type: 'string' }, size: { type: 'number' }, tags: { type: 'array', items: { type: 'string' } } },
  required: ['title'],
};

test('SCHEMA-3 records validated on POST and PUT; refusals write nothing; valid ones stamped with the collection timestamp', async () => {
  const { C, R } = await fixture(on, { coll: { schema: ITEM_SCHEMA } });
  const ts = await collTs(on, C);

  expectInvalid(await call(on, 'POST', R, { data: { size: 1 } }), { name: 'title' });
  expectInvalid(await call(on, 'POST', R, { data: { id: 'p1', title: 'x', size: 'big' } }), { name: 'size' });
  expectInvalid(await call(on, 'PUT', `${R}/r1`, { data: { title: 3 } }), { name: 'title' });
  assert.deepEqual((await get(on, R)).data, [], 'nothing was created');
  await must(call(on, 'GET', `${R}/r1`), 404);

  const posted = await must(call(on, 'POST', R, { data: { title: 'a', size: 2 } }), 201);
  assert.equal(posted.json.data.schema, ts);
  const put = await must(call(on, 'PUT', `${R}/r1`, { data: { title: 'b' } }), 201);
  assert.equal(put.json.data.schema, ts);
  assert.equal((await get(on, `${R}/r1`)).data.schema, ts, 'the stamp is stored');

  // PUT replace into an invalid record: refused, stored record unchanged.
  const stored = await get(on, `${R}/r1`);
  expectInvalid(await call(on, 'PUT', `${R}/r1`, { data: { size: 5 } }), { name: 'title' });
  assert.deepEqual(await get(on, `${R}/r1`), stored);

  // A client-sent `schema` is overwritten by the stamp (and not validated).
  const spoof = await must(call(on, 'POST', R, { data: { title: 'c', schema: 'mine' } }), 201);
  assert.equal(spoof.json.data.schema, ts);
  const spoof2 = await must(call(on, 'PUT', `${R}/r2`, { data: { title: 'c', schema: 1 } }), 201);
  assert.equal(spoof2.json.data.schema, ts);

  // POST with the id of an existing record returns it unchanged: posted data is not used.
  const again = await must(call(on, 'POST', R, { data: { id: 'r1', size: 'not a number' } }), 200);
  assert.deepEqual(again.json.data, stored.data);
});

test('SCHEMA-3 inside a batch each subrequest is validated on its own (05 §5.7)', async () => {
  const { C, R } = await fixture(on, { coll: { schema: ITEM_SCHEMA } });
  const ts = await collTs(on, C);
  const batch = await must(
    call(on, 'POST', '/batch', {
      defaults: { method: 'POST', path: R },
      requests: [{ body: { data: { title: 'ok' } } }, { body: { data: { title: 1 } } }, { method: 'PUT', path: `${R}/r9`, body: { data: { title: 'nine' } } }],
    }),
    200,
  );
  assert.deepEqual(batch.json.responses.map((x) => x.status), [201, 400, 201]);
  assert.equal(batch.json.responses[1].body.errno, 107);
  assert.equal(batch.json.responses[1].body.details[0].name, 'title');
  assert.equal(batch.json.responses[0].body.data.schema, ts);
});

test('SCHEMA-3 records validated on PATCH in all three flavours, on the final content', async () => {
  const { C, R } = await fixture(on, { coll: { schema: ITEM_SCHEMA } });
  const ts = await collTs(on, C);
  await must(call(on, 'PUT', `${R}/r`, { data: { title: 't', size: 1, tags: ['a'] } }), 201);
  const stored = await get(on, `${R}/r`);

  const bad = [
    [{ data: { size: 'hi!' } }, undefined, 'size'],
    [{ data: { title: null } }, undefined, 'title'], // json PATCH stores null: not a string
    [{ data: { title: null } }, MERGE, 'title'], // merge-patch removes the required title
    [{ data: { tags: ['a', 2] } }, MERGE, '1'],
    [[{ op: 'replace', path: '/data/size', value: 'hi!' }], JPATCH, 'size'],
    [[{ op: 'remove', path: '/data/title' }], JPATCH, 'title'],
    [[{ op: 'add', path: '/data/tags/-', value: 7 }], JPATCH, '1'],
  ];
  for (const [body, ct, name] of bad) {
    const r = await call(on, 'PATCH', `${R}/r`, body, { ct: ct ?? 'application/json' });
    expectInvalid(r, { name });
    assert.deepEqual(await get(on, `${R}/r`), stored, `nothing written for ${JSON.stringify(body)}`);
  }

  const json = await must(call(on, 'PATCH', `${R}/r`, { data: { size: 2 } }), 200);
  assert.equal(json.json.data.schema, ts);
  const merge = await must(call(on, 'PATCH', `${R}/r`, { data: { tags: null, schema: 'client' } }, { ct: MERGE }), 200);
  assert.equal(merge.json.data.schema, ts);
  assert.ok(!('tags' in merge.json.data));
  const jp = await must(call(on, 'PATCH', `${R}/r`, [{ op: 'add', path: '/data/tags', value: ['x'] }], { ct: JPATCH }), 200);
  assert.equal(jp.json.data.schema, ts);
  assert.deepEqual(jp.json.data.tags, ['x']);
  // Response-Behavior light/diff changes the answer, not the validation.
  for (const rb of ['light', 'diff']) {
    const h = { 'Response-Behavior': rb };
    expectInvalid(await call(on, 'PATCH', `${R}/r`, { data: { size: 'x' } }, { headers: h }), { name: 'size' });
    await must(call(on, 'PATCH', `${R}/r`, { data: { size: 3 } }, { headers: h }), 200);
  }
  assert.equal((await get(on, `${R}/r`)).data.schema, ts);
});

test('SCHEMA-3 existing records are not revalidated when the schema changes; stamps follow the schema version; min_schema', async () => {
  const v1 = { type: 'object', properties: { n: { type: 'number' } } };
  const v2 = { type: 'object', properties: { n: { type: 'string' } } };
  const { C, R } = await fixture(on, { coll: { schema: v1 } });
  const ts1 = await collTs(on, C);
  await must(call(on, 'PUT', `${R}/old`, { data: { n: 1 } }), 201);
  const old = await get(on, `${R}/old`);
  assert.equal(old.data.schema, ts1);

  const changed = await must(call(on, 'PATCH', C, { data: { schema: v2 } }), 200);
  const ts2 = changed.json.data.last_modified;
  assert.ok(ts2 > ts1);
  assert.deepEqual(await get(on, `${R}/old`), old, 'existing record untouched, old stamp kept');
  assert.deepEqual(await listIds(on, R), ['old']);

  expectInvalid(await call(on, 'POST', R, { data: { n: 2 } }), { name: 'n' });
  const fresh = await must(call(on, 'PUT', `${R}/new`, { data: { n: 'two' } }), 201);
  assert.equal(fresh.json.data.schema, ts2);
  assert.deepEqual(await listIds(on, `${R}?min_schema=${ts2}`), ['new']);
  assert.deepEqual(await listIds(on, `${R}?min_schema=${ts1}`), ['new', 'old']);

  // Rewriting the old record validates its final content against the new schema.
  expectInvalid(await call(on, 'PATCH', `${R}/old`, { data: {} }), { name: 'n' });
  const rewritten = await must(call(on, 'PATCH', `${R}/old`, { data: { n: 'one' } }), 200);
  assert.equal(rewritten.json.data.schema, ts2);

  // `{}` still counts as a schema: records are stamped. No schema at all: no stamp.
  const empty = await must(call(on, 'PATCH', C, { data: { schema: {} } }), 200);
  const ts3 = empty.json.data.last_modified;
  const e = await must(call(on, 'POST', R, { data: { n: 5 } }), 201);
  assert.equal(e.json.data.schema, ts3);
  await must(call(on, 'PATCH', C, { data: { schema: null } }, { ct: MERGE }), 200);
  const none = await must(call(on, 'POST', R, { data: { n: [] } }), 201);
  assert.ok(!('schema' in none.json.data), none.text);
  const own = await must(call(on, 'POST', R, { data: { schema: 'client value' } }), 201);
  assert.equal(own.json.data.schema, 'client value', 'without a collection schema, `schema` is an ordinary field');
});

// --- SCHEMA-4 ------------------------------------------------------------

test('SCHEMA-4 bucket record:schema applies to the records of every collection; both schemas must pass', async () => {
  const recordSchema = { type: 'object', properties: { owner: { type: 'string' } }, required: ['owner'] };
  const { B, C, R } = await fixture(on, { bucket: { 'record:schema': recordSchema }, coll: { schema: ITEM_SCHEMA } });
  const ts = await collTs(on, C);

  expectInvalid(await call(on, 'POST', R, { data: { title: 'only collection' } }), { name: 'owner' });
  expectInvalid(await call(on, 'POST', R, { data: { owner: 'only bucket' } }), { name: 'title' });
  expectInvalid(await call(on, 'POST', R, { data: { title: 't', owner: 5 } }), { name: 'owner' });
  assert.deepEqual((await get(on, R)).data, []);
  const both = await must(call(on, 'POST', R, { data: { title: 't', owner: 'me' } }), 201);
  assert.equal(both.json.data.schema, ts, 'stamp from the collection schema only');

  // A collection without a schema of its own: the bucket schema still applies, no stamp.
  await must(call(on, 'PUT', `${B}/collections/plain`, { data: {} }), 201);
  const P = `${B}/collections/plain/records`;
  expectInvalid(await call(on, 'PUT', `${P}/x`, { data: {} }), { name: 'owner' });
  expectInvalid(await call(on, 'POST', P, { data: { owner: 1 } }), { name: 'owner' });
  const plain = await must(call(on, 'PUT', `${P}/x`, { data: { owner: 'me' } }), 201);
  assert.ok(!('schema' in plain.json.data), plain.text);
  expectInvalid(await call(on, 'PATCH', `${P}/x`, { data: { owner: null } }, { ct: MERGE }), { name: 'owner' });
  expectInvalid(await call(on, 'PATCH', `${P}/x`, [{ op: 'replace', path: '/data/owner', value: false }], { ct: JPATCH }), { name: 'owner' });
  // record:schema does not apply to collections or groups.
  await must(call(on, 'PUT', `${B}/groups/g`, { data: { members: [] } }), 201);
  await must(call(on, 'PUT', `${B}/collections/c2`, { data: { x: 1 } }), 201);
});

test('SCHEMA-4 collection:schema validates collections and group:schema validates groups (no stamp)', async () => {
  const collectionSchema = {
    type: 'object',
    properties: { title: { type: 'string' }, cache_expires: { type: 'integer', maximum: 100 }, schema: { required: ['type'] } },
    required: ['title'],
  };
  const groupSchema = { type: 'object', properties: { members: { type: 'array', maxItems: 1 }, label: { type: 'string' } }, required: ['label'] };
  const { B } = await fixture(on, { bucket: { 'collection:schema': collectionSchema, 'group:schema': groupSchema } });

  expectInvalid(await call(on, 'PUT', `${B}/collections/c`, { data: {} }), { name: 'title' });
  expectInvalid(await call(on, 'POST', `${B}/collections`, { data: { id: 'c', title: 1 } }), { name: 'title' });
  // `cache_expires` and `schema` are ordinary properties for that validation (05 §5.4 item 2).
  expectInvalid(await call(on, 'PUT', `${B}/collections/c`, { data: { title: 't', cache_expires: 1000 } }), { name: 'cache_expires' });
  expectInvalid(await call(on, 'PUT', `${B}/collections/c`, { data: { title: 't', schema: { properties: {} } } }), { name: 'schema' });
  await must(call(on, 'GET', `${B}/collections/c`), 404);
  const c = await must(call(on, 'PUT', `${B}/collections/c`, { data: { title: 't', cache_expires: 10, schema: { type: 'object' } } }), 201);
  assert.deepEqual(Object.keys(c.json.data).sort(), ['cache_expires', 'id', 'last_modified', 'schema', 'title']);
  assert.deepEqual(c.json.data.schema, { type: 'object' }, 'no stamp on collections');
  expectInvalid(await call(on, 'PATCH', `${B}/collections/c`, { data: { title: null } }, { ct: MERGE }), { name: 'title' });
  expectInvalid(await call(on, 'PATCH', `${B}/collections/c`, [{ op: 'replace', path: '/data/cache_expires', value: 101 }], { ct: JPATCH }), { name: 'cache_expires' });
  await must(call(on, 'PATCH', `${B}/collections/c`, { data: { title: 'u' } }), 200);

  expectInvalid(await call(on, 'PUT', `${B}/groups/g`, { data: { members: [] } }), { name: 'label' });
  expectInvalid(await call(on, 'POST', `${B}/groups`, { data: { id: 'g', label: 'l', members: ['a', 'b'] } }), { name: 'members' });
  await must(call(on, 'GET', `${B}/groups/g`), 404);
  const g = await must(call(on, 'PUT', `${B}/groups/g`, { data: { label: 'l', members: ['a'] } }), 201);
  assert.ok(!('schema' in g.json.data), 'no stamp on groups');
  expectInvalid(await call(on, 'PATCH', `${B}/groups/g`, { data: { members: ['a', 'b'] } }), { name: 'members' });
  expectInvalid(await call(on, 'PATCH', `${B}/groups/g`, { data: { label: null } }, { ct: MERGE }), { name: 'label' });
  assert.deepEqual((await get(on, `${B}/groups/g`)).data.members, ['a']);

  // Records are not checked against collection:schema or group:schema.
  await must(call(on, 'POST', `${B}/collections/c/records`, { data: { type: 'object' } }), 201);
});

// --- SCHEMA-5 ------------------------------------------------------------

test('SCHEMA-5 id, last_modified and schema are ignored by record validation unless properties mentions id', async () => {
  const schema = { type: 'object', required: ['id', 'schema', 'last_modified'], additionalProperties: false };
  const { R } = await fixture(on, { coll: { schema } });
  await must(call(on, 'POST', R, { data: {} }), 201);
  await must(call(on, 'PUT', `${R}/r1`, { data: {} }), 201);
  await must(call(on, 'POST', R, { data: { id: 'r2', schema: 5 } }), 201);
  await must(call(on, 'PATCH', `${R}/r1`, { data: { schema: 'x' } }), 200);
  expectInvalid(await call(on, 'POST', R, { data: { other: 1 } }), { name: 'additionalProperties' });

  // `schema` constrained by the schema itself: the client value is dropped before validation.
  const { R: R2 } = await fixture(on, { coll: { schema: { properties: { schema: { type: 'string' }, last_modified: { type: 'string' } } } } });
  await must(call(on, 'POST', R2, { data: { schema: 12 } }), 201);
});

test('SCHEMA-5 a schema whose properties mention id validates the id (POST, PATCH)', async () => {
  const idSchema = { type: 'object', properties: { id: { type: 'string', pattern: '^[0-7]$' } } };
  const { C: C3, R: R3 } = await fixture(on, { coll: { schema: idSchema } });
  expectInvalid(await call(on, 'POST', R3, { data: { id: 'a' } }), { name: 'id' });
  await must(call(on, 'POST', R3, { data: { id: '5' } }), 201);
  await must(call(on, 'PUT', `${R3}/6`, { data: {} }), 201);
  assert.deepEqual(await listIds(on, R3), ['5', '6']);
  // PATCH validates the final record, id included: tighten the pattern, then rewrite '6'.
  await must(call(on, 'PATCH', C3, { data: { schema: { properties: { id: { pattern: '^[0-5]$' } } } } }), 200);
  expectInvalid(await call(on, 'PATCH', `${R3}/6`, { data: { x: 1 } }), { name: 'id' });
  await must(call(on, 'PATCH', `${R3}/5`, { data: { x: 1 } }), 200);
});

test('SCHEMA-5 PUT validates the id taken from the URL when properties mention id', async () => {
  // 05 §5.3: validation runs on the final record content, which carries the path id (03 §3.4).
  const idSchema = { type: 'object', properties: { id: { type: 'string', pattern: '^[0-7]$' } } };
  const { R } = await fixture(on, { coll: { schema: idSchema } });
  expectInvalid(await call(on, 'PUT', `${R}/a`, { data: {} }), { name: 'id' });
  expectInvalid(await call(on, 'PUT', `${R}/b`, { data: { title: 'x' } }), { name: 'id' });
  await must(call(on, 'GET', `${R}/a`), 404);
  await must(call(on, 'PUT', `${R}/3`, { data: {} }), 201);
});

test('SCHEMA-5 required id + properties.id: a POST with a server-generated id is refused (05 §5.5 upstream quirk)', async () => {
  const { R: R4 } = await fixture(on, { coll: { schema: { properties: { id: { type: 'string' } }, required: ['id'] } } });
  expectInvalid(await call(on, 'POST', R4, { data: { title: 'x' } }), { name: 'id' });
  await must(call(on, 'POST', R4, { data: { id: 'given' } }), 201);
  await must(call(on, 'PUT', `${R4}/p`, { data: {} }), 201);
});

test('SCHEMA-5 collection and group validation ignore id and last_modified', async () => {
  const strict = { type: 'object', required: ['id', 'last_modified'], additionalProperties: false };
  const { B } = await fixture(on, { bucket: { 'collection:schema': strict, 'group:schema': { ...strict, properties: { members: {} } } } });
  await must(call(on, 'PUT', `${B}/collections/c`, { data: {} }), 201);
  await must(call(on, 'POST', `${B}/collections`, { data: { id: 'd' } }), 201);
  await must(call(on, 'PUT', `${B}/groups/g`, { data: { members: [] } }), 201);
  expectInvalid(await call(on, 'PUT', `${B}/collections/e`, { data: { title: 'x' } }), { name: 'additionalProperties' });
});

// --- SCHEMA-6 ------------------------------------------------------------

test('SCHEMA-6 error body: first error only, name from the instance path, message "<name> in body: <description>"', async () => {
  const schema = {
    type: 'object',
    properties: {
      size: { type: 'number' },
      file: { type: 'object', properties: { size: { type: 'number' } } },
      tags: { type: 'array', items: { type: 'string' } },
      title: { type: 'string' },
    },
    required: ['title'],
    additionalProperties: false,
  };
  const { R } = await fixture(on, { coll: { schema } });

  const r = await call(on, 'POST', R, { data: { title: 't', size: 'hi!' } });
  assert.deepEqual(r.json, {
    code: 400,
    errno: 107,
    error: 'Invalid parameters',
    message: "size in body: 'hi!' is not of type 'number'",
    details: [{ location: 'body', name: 'size', description: "'hi!' is not of type 'number'" }],
  });

  expectInvalid(await call(on, 'POST', R, { data: { title: 't', file: { size: 'hi!' } } }), {
    name: 'size',
    description: "'hi!' is not of type 'number'",
  });
  const idx = await call(on, 'POST', R, { data: { title: 't', tags: ['a', 3] } });
  expectInvalid(idx, { name: '1', description: "3 is not of type 'string'" });

  const req1 = await call(on, 'POST', R, { data: {} });
  expectInvalid(req1, { name: 'title', description: "'title' is a required property" });
  assert.equal(req1.json.message, "'title' is a required property");

  const extra = await call(on, 'POST', R, { data: { title: 't', extra: 1 } });
  expectInvalid(extra, {
    name: 'additionalProperties',
    description: "Additional properties are not allowed ('extra' was unexpected)",
  });

  // Several failures: one detail only.
  expectInvalid(await call(on, 'POST', R, { data: { size: 'a', tags: [1], extra: true } }));

  // Root `required` with several names: the name is the last listed one (05 §5.6 item 2).
  const { R: R2 } = await fixture(on, { coll: { schema: { required: ['a', 'b'] } } });
  const missingA = await call(on, 'POST', R2, { data: { b: 1 } });
  expectInvalid(missingA, { name: 'b', description: "'a' is a required property" });
  assert.equal(missingA.json.message, "b in body: 'a' is a required property");
  expectInvalid(await call(on, 'POST', R2, { data: { a: 1 } }), { name: 'b', description: "'b' is a required property" });
});

// --- SCHEMA-7 ------------------------------------------------------------

test('SCHEMA-7 capability `schema` advertised only when the setting is on', async () => {
  const rOn = await get(on, '/');
  assert.deepEqual(rOn.capabilities.schema, {
    description: 'Validates collection records with JSON schemas.',
    url: 'https://kinto.readthedocs.io/en/latest/api/1.x/collections.html#collection-json-schema',
  });
  const rOff = await get(off, '/');
  assert.ok(!('schema' in (rOff.capabilities ?? {})), JSON.stringify(rOff.capabilities));
});

test('SCHEMA-7 setting off: records, collections and groups are never validated and records get no stamp', async () => {
  const { B, R } = await fixture(off, {
    bucket: {
      'record:schema': { required: ['owner'] },
      'collection:schema': { required: ['title'] },
      'group:schema': { required: ['label'] },
    },
    coll: { schema: ITEM_SCHEMA },
  });
  const r = await must(call(off, 'POST', R, { data: { size: 'hi!' } }), 201);
  assert.ok(!('schema' in r.json.data), r.text);
  const own = await must(call(off, 'PUT', `${R}/mine`, { data: { title: 1, schema: 'client' } }), 201);
  assert.equal(own.json.data.schema, 'client');
  await must(call(off, 'PATCH', `${R}/mine`, { data: { title: null } }, { ct: MERGE }), 200);
  await must(call(off, 'PUT', `${B}/collections/other`, { data: {} }), 201);
  await must(call(off, 'PUT', `${B}/groups/g`, { data: { members: [] } }), 201);
  // Even an unresolvable $ref does not matter when validation is off.
  await must(call(off, 'PUT', `${B}/collections/broken`, { data: { schema: { $ref: '#/definitions/missing' } } }), 201);
  await must(call(off, 'POST', `${B}/collections/broken/records`, { data: {} }), 201);
});

// --- hostile schemas and instances ---------------------------------------

test('SCHEMA-BAD catastrophic backtracking regex: answered quickly (400), server keeps answering', async () => {
  const pids = on.workerPids().sort();
  const schema = { type: 'object', properties: { s: { type: 'string', pattern: '^(a+)+$' } }, patternProperties: { '^(x+x+)+y$': {} } };
  const { R } = await fixture(on, { coll: { schema } });
  await must(call(on, 'POST', R, { data: { s: 'aaaa' } }), 201);
  for (const n of [28, 40, 5000]) {
    const r = await boundedWrite(on, 'POST', R, { data: { s: 'a'.repeat(n) + 'b' } });
    assert.equal(r.status, 400, `the string does not match, a success is wrong: ${r.text}`);
    // A "could not be evaluated" refusal may carry no field name; a mismatch names `s`.
    assert.match(String(r.json.details[0].name), /^s?$/, r.text);
  }
  // The same attack through a property name matched by patternProperties.
  // (it does not match, so 201; giving up with a 400 is tolerated.)
  const key = await boundedWrite(on, 'POST', R, { data: { ['x'.repeat(40)]: 1 } });
  assert.ok([201, 400].includes(key.status), key.text);
  await stillHealthy(on, pids);
});

test('SCHEMA-BAD self-referencing schemas and deep instances: 400 or success, never 5xx', async () => {
  const pids = on.workerPids().sort();
  const nest = (depth, leaf, wrap) => {
    let v = leaf;
    for (let i = 0; i < depth; i++) v = wrap(v);
    return v;
  };
  const cases = [
    [{ $ref: '#' }, [{}, { a: 1 }]],
    [{ $schema: DRAFT7, $ref: '#' }, [{}]],
    [{ allOf: [{ $ref: '#' }] }, [{}]],
    [{ $defs: { a: { $ref: '#/$defs/b' }, b: { $ref: '#/$defs/a' } }, $ref: '#/$defs/a' }, [{}]],
    [{ type: 'object', properties: { a: { $ref: '#' } } }, [nest(600, {}, (v) => ({ a: v })), nest(100, {}, (v) => ({ a: v }))]],
    [{ type: 'object', properties: { a: { type: 'array', items: { $ref: '#/$defs/arr' } } }, $defs: { arr: { type: 'array', items: { $ref: '#/$defs/arr' } } } }, [{ a: nest(600, [], (v) => [v]) }]],
    [{ type: 'object', additionalProperties: { $ref: '#' } }, [nest(600, {}, (v) => ({ k: v }))]],
  ];
  for (const [schema, instances] of cases) {
    const { C, R } = await fixture(on);
    const put = await boundedWrite(on, 'PUT', C, { data: { schema } });
    if (put.status >= 400) continue; // refusing such a schema is allowed
    for (const data of instances) {
      const r = await boundedWrite(on, 'POST', R, { data });
      if (r.status >= 400) assert.equal(r.json.details?.length, 1, r.text);
    }
  }
  // 100 levels of a self-referencing object schema are well within any sane limit.
  const { R } = await fixture(on, { coll: { schema: { type: 'object', properties: { a: { $ref: '#' } } } } });
  await must(call(on, 'POST', R, { data: nest(100, {}, (v) => ({ a: v })) }), 201);
  expectInvalid(await call(on, 'POST', R, { data: nest(50, { a: 1 }, (v) => ({ a: v })) }), { name: 'a' });
  await stillHealthy(on, pids);
});

test('SCHEMA-BAD huge or tiny numeric bounds (multipleOf, maxLength, minimum): 400 or success, never 5xx', async () => {
  const pids = on.workerPids().sort();
  const cases = [
    [{ properties: { n: { multipleOf: 1e-308 } } }, [{ n: 1e308 }, { n: 0.5 }]],
    [{ properties: { n: { multipleOf: 1e308 } } }, [{ n: 1e308 }, { n: 1 }]],
    [{ properties: { n: { multipleOf: 0.0001 } } }, [{ n: 1.7976931348623157e308 }, { n: 0.0003 }]],
    [{ properties: { n: { multipleOf: 3 } } }, [{ n: 18446744073709551615 }, { n: 9007199254740993 }]],
    [{ properties: { s: { maxLength: 1e18, minLength: 0 } } }, [{ s: 'abc' }]],
    [{ properties: { s: { maxLength: 18446744073709551616 } } }, [{ s: 'abc' }]],
    [{ properties: { s: { minLength: 9223372036854775807 } } }, [{ s: 'abc' }]],
    [{ properties: { a: { maxItems: 1e15, uniqueItems: true } } }, [{ a: [1, 1.0, '1'] }]],
    [{ properties: { n: { minimum: 1e308, exclusiveMaximum: 1.7976931348623157e308 } } }, [{ n: 1.7976931348623157e308 }, { n: 1e308 }]],
    [{ minProperties: 4294967296 }, [{}]],
  ];
  for (const [schema, instances] of cases) {
    const { C, R } = await fixture(on);
    const put = await boundedWrite(on, 'PUT', C, { data: { schema } });
    if (put.status >= 400) continue;
    for (const data of instances) await boundedWrite(on, 'POST', R, { data });
  }
  // Answers that are certain whatever the number handling:
  const { R } = await fixture(on, { coll: { schema: { properties: { s: { maxLength: 1e18 } }, minProperties: 1 } } });
  await must(call(on, 'POST', R, { data: { s: 'abc' } }), 201);
  const { R: R2 } = await fixture(on, { coll: { schema: { properties: { s: { minLength: 1e15 } } } } });
  expectInvalid(await call(on, 'POST', R2, { data: { s: 'abc' } }), { name: 's' });
  await stillHealthy(on, pids);
});

test('SCHEMA-BAD unresolvable $ref: schema stored, every record write fails with 400 name `schema`', async () => {
  const schema = { type: 'object', properties: { x: { $ref: '#/definitions/missing' } } };
  const { B, C, R } = await fixture(on);
  await must(call(on, 'PUT', C, { data: { schema } }), 201);
  await must(call(on, 'PUT', `${C}2`, { data: { schema: { $ref: '#/definitions/missing' } } }), 201);
  for (const [method, path] of [['POST', R], ['PUT', `${R}/r`], ['POST', `${C}2/records`]]) {
    expectInvalid(await call(on, method, path, { data: { y: 1 } }), { name: 'schema' });
  }
  assert.deepEqual((await get(on, R)).data, []);
  // Fixing the schema makes writes work again; breaking it makes PATCH fail too.
  await must(call(on, 'PATCH', C, { data: { schema: { type: 'object' } } }), 200);
  await must(call(on, 'PUT', `${R}/r`, { data: { y: 1 } }), 201);
  await must(call(on, 'PATCH', C, { data: { schema } }), 200);
  for (const [body, ct] of [[{ data: { y: 2 } }, 'application/json'], [{ data: { y: 2 } }, MERGE], [[{ op: 'add', path: '/data/y', value: 2 }], JPATCH]]) {
    expectInvalid(await call(on, 'PATCH', `${R}/r`, body, { ct }), { name: 'schema' });
  }
  assert.equal((await get(on, `${R}/r`)).data.y, 1);

  // The same in a bucket record:schema.
  await must(call(on, 'PATCH', B, { data: { 'record:schema': { $ref: '#/$defs/nope' } } }), 200);
  await must(call(on, 'PATCH', C, { data: { schema: {} } }), 200);
  expectInvalid(await call(on, 'POST', R, { data: {} }), { name: 'schema' });

  // Remote references are never fetched: an http(s) $ref is unresolvable, and fails fast.
  const { C: C3, R: R3 } = await fixture(on);
  await must(call(on, 'PUT', C3, { data: { schema: { $ref: 'http://127.0.0.1:9/never.json' } } }), 201);
  const remote = await boundedWrite(on, 'POST', R3, { data: {} });
  expectInvalid(remote, { name: 'schema' });
});

test('SCHEMA-BAD invalid regexes and odd keyword forms: a 400 at some point, never 5xx', async () => {
  const pids = on.workerPids().sort();
  // [schema, record, must be refused at some point (invalid in every regex dialect)]
  const cases = [
    [{ properties: { s: { pattern: '(' } } }, { s: 'x' }, true],
    [{ patternProperties: { '[': {} } }, { a: 1 }, true],
    [{ properties: { s: { pattern: '\\p{Nope}' } } }, { s: 'x' }],
    [{ properties: { s: { pattern: '(?<=a)b' } } }, { s: 'ab' }],
    [{ properties: { s: { pattern: 'a{1,99999999}' } } }, { s: 'a' }],
    // Array-form `items` under 2020-12 is not a keyword form of that draft (05 §5.2).
    [{ properties: { t: { items: [{ type: 'string' }] } } }, { t: [1] }],
    [{ dependencies: { a: 'b' } }, { a: 1 }],
    [{ $schema: 'http://example.com/unknown-draft', type: 'object' }, { a: 1 }],
    [{ $id: 'http://[bad', properties: { a: { $ref: '#/definitions/x' } }, definitions: { x: {} } }, { a: 1 }],
  ];
  for (const [schema, data, refused] of cases) {
    const { C, R } = await fixture(on);
    const put = await boundedWrite(on, 'PUT', C, { data: { schema } });
    if (put.status >= 400) {
      assert.match(String(put.json.details?.[0]?.name), /^(data\.)?schema$/, put.text);
      continue;
    }
    const w = await boundedWrite(on, 'POST', R, { data });
    if (refused) assert.equal(w.status, 400, `${JSON.stringify(schema)} stored, then ${w.status}: ${w.text}`);
  }
  await stillHealthy(on, pids);
});
