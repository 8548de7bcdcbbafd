// Plain CGI mode (the same binary run once per request, as Apache mod_cgid or any CGI host
// does) and the public base URL (RTE-4): mount prefix from SCRIPT_NAME, Host, HTTPS,
// kinto.http_host / kinto.http_scheme, the Authorization header under its Apache names.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, basic, req } from './lib/harness.js';
import { cgi as runCgi } from './lib/cgi.js';

let srv;
before(async () => {
  srv = await startServer({ workers: 1 });
});
after(async () => {
  await srv?.stop();
});

// Runs cinto.fcgi as a CGI program against this file's server; returns {status, headers, json, text}.
const cgi = (method, pathInfo, opts) => runCgi(srv, method, pathInfo, opts);

const ALICE = basic('alice', 'secret');

test('CGI GET /v1/ answers the hello page; url uses the mount prefix, Host and port (RTE-4)', async () => {
  const r = await cgi('GET', '/v1/', { env: { HTTP_AUTHORIZATION: ALICE } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.url, 'http://example.test:8080/sub/v1/');
  assert.match(r.json.user.id, /^basicauth:/);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  const https = await cgi('GET', '/v1/', { env: { HTTPS: 'on' } });
  assert.equal(https.json.url, 'https://example.test:8080/sub/v1/');
});

test('CGI RTE-4 kinto.http_host / kinto.http_scheme (as KINTO_* variables) win over the request', async () => {
  const env = { KINTO_HTTP_HOST: 'api.example.org', KINTO_HTTP_SCHEME: 'https' };
  const r = await cgi('GET', '/v1/', { env });
  assert.equal(r.json.url, 'https://api.example.org/sub/v1/');
  const redir = await cgi('GET', '/buckets', { query: 'a=1', env });
  assert.equal(redir.status, 307);
  assert.equal(redir.headers.get('location'), 'https://api.example.org/sub/v1/buckets?a=1');
  // A request header cannot set them: under CGI it arrives as HTTP_*, never KINTO_*.
  const spoof = await cgi('GET', '/v1/', { env: { HTTP_KINTO_HTTP_HOST: 'evil.example' } });
  assert.equal(spoof.json.url, 'http://example.test:8080/sub/v1/');
});

test('CGI writes and reads share the database with the FastCGI workers', async () => {
  const b = `cgi${Date.now()}`;
  const put = await cgi('PUT', `/v1/buckets/${b}`, { body: { data: { via: 'cgi' } }, env: { HTTP_AUTHORIZATION: ALICE } });
  assert.equal(put.status, 201, put.text);
  assert.equal(put.headers.get('etag'), `"${put.json.data.last_modified}"`);
  const get = await req(srv, 'GET', `/buckets/${b}`, { auth: ALICE });
  assert.equal(get.status, 200);
  assert.equal(get.json.data.via, 'cgi');
});

test('CGI Authorization under Apache names: REDIRECT_HTTP_AUTHORIZATION, and empty means absent', async () => {
  const r = await cgi('GET', '/v1/', { env: { REDIRECT_HTTP_AUTHORIZATION: ALICE } });
  assert.match(r.json.user.id, /^basicauth:/);
  const empty = await cgi('GET', '/v1/', { env: { HTTP_AUTHORIZATION: '', REDIRECT_HTTP_AUTHORIZATION: '' } });
  assert.equal(empty.json.user, undefined);
});

test('CGI chunked body without CONTENT_LENGTH is read to the end (Apache mod_cgid)', async () => {
  const b = `chunk${Date.now()}`;
  const body = JSON.stringify({ data: { n: 1 } });
  const r = await cgi('PUT', `/v1/buckets/${b}`, {
    stdin: body,
    env: { CONTENT_LENGTH: null, HTTP_TRANSFER_ENCODING: 'chunked', HTTP_AUTHORIZATION: ALICE },
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.data.n, 1);
});

test('CGI truncated body (CONTENT_LENGTH larger than the input) → 400, nothing written', async () => {
  const b = `trunc${Date.now()}`;
  const r = await cgi('PUT', `/v1/buckets/${b}`, {
    stdin: '{"data": {}}',
    env: { CONTENT_LENGTH: '500', HTTP_AUTHORIZATION: ALICE },
  });
  assert.equal(r.status, 400, r.text);
  assert.equal(r.json.errno, 107);
  assert.equal((await req(srv, 'GET', `/buckets/${b}`, { auth: ALICE })).status, 403);
});

test('CGI HEAD sends headers only', async () => {
  const r = await cgi('HEAD', '/v1/', {});
  assert.equal(r.status, 200);
  assert.equal(r.text, '');
});
