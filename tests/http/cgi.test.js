// Plain CGI mode (the same binary run once per request, as Apache mod_cgid or any CGI host
// does) and the public base URL (RTE-4): mount prefix from SCRIPT_NAME, Host, HTTPS,
// kinto.http_host / kinto.http_scheme, the Authorization header under its Apache names.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startServer, basic, req, fcgiPath, saveSanitizerReports } from './lib/harness.js';

let srv;
before(async () => {
  srv = await startServer({ workers: 1 });
});
after(async () => {
  await srv?.stop();
});

function sanitizerEnv() {
  try {
    return JSON.parse(process.env.CINTO_TEST_SANITIZE_ENV || '{}');
  } catch {
    return {};
  }
}

// Runs cinto.fcgi as a CGI program; returns {status, headers, json, text}.
function cgi(method, pathInfo, { query = '', body, env = {}, stdin } = {}) {
  const input = stdin ?? (body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body));
  const vars = {
    PATH: process.env.PATH,
    ...sanitizerEnv(),
    KINTO_INI: srv.ini,
    GATEWAY_INTERFACE: 'CGI/1.1',
    REQUEST_METHOD: method,
    SCRIPT_NAME: '/sub/cinto.fcgi',
    PATH_INFO: pathInfo,
    QUERY_STRING: query,
    HTTP_HOST: 'example.test:8080',
    CONTENT_TYPE: 'application/json',
    CONTENT_LENGTH: String(Buffer.byteLength(input)),
    ...env,
  };
  for (const [k, v] of Object.entries(vars)) if (v === null) delete vars[k];
  return new Promise((resolve, reject) => {
    const p = spawn(fcgiPath(), [], { env: vars, stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    let err = '';
    p.stdout.on('data', (d) => out.push(d));
    p.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 20000);
    p.on('error', reject);
    // a program that answers without reading its input (a GET) may exit before the write:
    // EPIPE on its stdin is not a failure (seen with the fast-starting static binary)
    p.stdin.on('error', () => {});
    p.on('close', (code) => {
      clearTimeout(timer);
      saveSanitizerReports(err, 'cgi');
      const raw = Buffer.concat(out).toString('utf8');
      const sep = raw.indexOf('\r\n\r\n');
      if (sep < 0) return reject(new Error(`no CGI header block (exit ${code}): ${raw} ${err}`));
      const headers = new Map();
      let status = 200;
      for (const line of raw.slice(0, sep).split('\r\n')) {
        const i = line.indexOf(':');
        const name = line.slice(0, i).toLowerCase();
        const value = line.slice(i + 1).trim();
        if (name === 'status') status = parseInt(value, 10);
        else headers.set(name, value);
      }
      const text = raw.slice(sep + 4);
      let json = null;
      try {
        json = JSON.parse(text);
      } catch {}
      resolve({ status, headers, json, text, code });
    });
    p.stdin.end(input);
  });
}

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
