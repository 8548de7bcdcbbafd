// Assertions shared by the HTTP test files.
import assert from 'node:assert/strict';

const excerpt = (r) => String(r.text).slice(0, 600);

// Awaits a request and checks its status (or one of an array of statuses); returns the response.
export async function must(p, status) {
  const r = await p;
  const ok = Array.isArray(status) ? status.includes(r.status) : r.status === status;
  assert.ok(ok, `expected ${status}, got ${r.status}: ${excerpt(r)}`);
  return r;
}

// A Kinto error body (spec 08 §8.3): status, errno, `error` string, JSON content type, and,
// when given, the exact `error`, `message` (a string or a RegExp) and `details`.
export function expectError(r, status, errno, { error, message, details } = {}) {
  assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${excerpt(r)}`);
  assert.ok(r.json && typeof r.json === 'object', `JSON error body expected: ${excerpt(r)}`);
  assert.equal(r.json.code, status, r.text);
  assert.equal(r.json.errno, errno, r.text);
  assert.equal(typeof r.json.error, 'string');
  if (error !== undefined) assert.equal(r.json.error, error);
  if (message instanceof RegExp) assert.match(r.json.message ?? '', message);
  else if (message !== undefined) assert.equal(r.json.message, message, r.text);
  if (details !== undefined) assert.deepEqual(r.json.details, details);
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
}
