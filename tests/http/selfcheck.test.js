// The self-check page (www/index.html + selfcheck.js): its decision table lives in
// www/selfcheck-logic.js, a module with no DOM and no network, tested here row by row, then fed
// the real answers of a server with a broken and a working configuration.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, req, renderIni, mergeSettings, REPO_ROOT } from './lib/harness.js';
import { probeBytes, compareProbe, classify, errorReason, diagnose } from '../../www/selfcheck-logic.js';

const WWW = path.join(REPO_ROOT, 'www');
const json = (status, body) => ({ status, contentType: 'application/json', text: JSON.stringify(body) });
const html = (status, title) => ({ status, contentType: 'text/html', text: `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head><title>${title}</title></head><body><h1>${title}</h1></body></html>` });
const HELLO = json(200, { project_name: 'kinto', project_version: '0.1.0', http_api_version: '1.23', url: 'http://x/v1/' });
const probeOk = () => ({ status: 200, bytes: probeBytes() });
const ids = (r) => r.findings.map((f) => f.id);

// What an ASCII-mode FTP upload does to a file.
function crlfToLf(b) {
  const out = [];
  for (let i = 0; i < b.length; i++) if (!(b[i] === 13 && b[i + 1] === 10)) out.push(b[i]);
  return Uint8Array.from(out);
}
function lfToCrlf(b) {
  const out = [];
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 10 && b[i - 1] !== 13) out.push(13);
    out.push(b[i]);
  }
  return Uint8Array.from(out);
}

test('SELF-1 www/probe.bin holds exactly the bytes the page expects (every byte value, CR/LF pairs)', () => {
  const file = new Uint8Array(fs.readFileSync(path.join(WWW, 'probe.bin')));
  assert.deepEqual(file, probeBytes(), 'regenerate www/probe.bin from probeBytes()');
  const seen = new Set(file);
  assert.equal(seen.size, 256);
  assert.deepEqual(compareProbe(probeBytes(), { status: 200, bytes: file }), { ok: true });
});

test('SELF-2 the probe comparison names what an ASCII-mode upload changed', () => {
  const p = probeBytes();
  assert.equal(compareProbe(p, { status: 200, bytes: crlfToLf(p) }).change, 'crlf-to-lf');
  assert.equal(compareProbe(p, { status: 200, bytes: lfToCrlf(p) }).change, 'lf-to-crlf');
  assert.equal(compareProbe(p, { status: 200, bytes: p.slice(0, p.indexOf(0x1a)) }).change, 'truncated');
  const high = p.map((v) => (v >= 0x80 ? 0x3f : v));
  assert.equal(compareProbe(p, { status: 200, bytes: high }).change, 'high-bytes');
  const flipped = p.slice();
  flipped[40] ^= 1;
  assert.equal(compareProbe(p, { status: 200, bytes: flipped }).change, 'changed');
  assert.equal(compareProbe(p, { status: 404, bytes: new Uint8Array() }).change, 'missing');
  assert.equal(compareProbe(p, { networkError: 'x' }).change, 'missing');
  const page = { status: 200, contentType: 'text/html; charset=utf-8', bytes: new TextEncoder().encode('<html>not here</html>') };
  assert.equal(compareProbe(p, page).change, 'missing', "a host's own page for a missing file is no ASCII upload");
});

test('SELF-3 classify: what one answer of the program means', () => {
  assert.equal(classify(HELLO).kind, 'ok');
  assert.equal(classify(json(503, { code: 503, errno: 201, error: 'Service Unavailable', message: 'm', details: { reason: 'config-syntax' } })).reason, 'config-syntax');
  assert.equal(classify(json(503, { storage: false })).kind, 'heartbeat-fail');
  assert.equal(classify(html(500, 'Internal Server Error')).kind, 'not-started');
  assert.equal(classify({ status: 503, text: 'Service Unavailable' }).kind, 'not-started');
  assert.equal(classify(html(404, 'Not Found')).kind, 'not-routed');
  assert.equal(classify(html(403, 'Forbidden')).kind, 'forbidden');
  assert.equal(classify({ status: 200, text: '\x7fELF\x02\x01\x01' }).kind, 'served-as-file');
  assert.equal(classify(html(200, 'Welcome to your new hosting account')).kind, 'not-routed');
  assert.equal(classify({ networkError: 'Failed to fetch' }).kind, 'unreachable');
  assert.equal(classify({ status: 302, text: '' }).kind, 'unexpected');
});

test('SELF-4 errorReason: details.reason first, else the words of the message', () => {
  const m = (message, details) => errorReason({ code: 503, errno: 201, message, details });
  assert.equal(m('anything', { reason: 'tables-missing' }), 'tables-missing');
  assert.equal(m('No configuration file found: upload cinto.ini beside cinto.fcgi'), 'config-not-found');
  assert.equal(m('kinto.log_file: cannot write to the log file x.log'), 'log-file');
  assert.equal(m('Bad setting in the configuration file (cinto.ini beside cinto.fcgi): kinto.paginate_by = "x"'), 'config-value');
  assert.equal(m('The database tables are missing: import sql/schema.sql in phpMyAdmin, or run cinto.fcgi migrate'), 'tables-missing');
  assert.equal(m('Cannot connect to the database: check kinto.storage_url'), 'database-unreachable');
  assert.equal(m('kinto.paginate_by = "x" is not a whole number'), 'config-value');
  assert.equal(m('Cannot connect to the database server; the log file has its answer'), 'database-unreachable');
  assert.equal(m('Service temporary unavailable due to overloading or maintenance, please retry later.'), 'unavailable');
});

test('SELF-5 diagnose: the decision table', () => {
  // everything fine
  let r = diagnose({ hello: HELLO, heartbeat: json(200, { storage: true, permission: true }), probe: probeOk() });
  assert.equal(r.overall, 'ok');
  assert.deepEqual(ids(r), ['running', 'database-ok', 'probe-ok']);
  // configuration not found: the server's message is shown as is
  const msg = 'No configuration file found: upload cinto.ini beside cinto.fcgi, or in the folder above it, or in your home folder.';
  r = diagnose({ hello: json(503, { code: 503, errno: 201, error: 'Service Unavailable', message: msg, details: { reason: 'config-not-found' } }), heartbeat: null, probe: probeOk() });
  assert.equal(r.overall, 'problem');
  assert.deepEqual(ids(r), ['config-not-found', 'probe-ok']);
  assert.equal(r.findings[0].serverMessage, msg);
  // each configuration reason, the database, the tables
  for (const [reason, id] of [
    ['config-syntax', 'config-syntax'],
    ['config-unreadable', 'config-unreadable'],
    ['config-value', 'config-value'],
    ['log-file', 'log-file'],
    ['database-unreachable', 'database-unreachable'],
    ['tables-missing', 'tables-missing'],
    ['something-new', 'something-new'],
  ]) {
    r = diagnose({ hello: json(503, { code: 503, errno: 201, error: 'Service Unavailable', message: 'm', details: { reason } }), heartbeat: null, probe: null });
    assert.deepEqual(ids(r), [id], reason);
    assert.ok(r.findings[0].steps.length > 0, reason);
  }
  // the program runs, the database check fails (heartbeat as a map, or as an error)
  r = diagnose({ hello: HELLO, heartbeat: json(503, { storage: false, permission: false }), probe: probeOk() });
  assert.deepEqual(ids(r), ['running', 'heartbeat-fail', 'probe-ok']);
  assert.match(r.findings[1].text, /storage, permission/);
  r = diagnose({ hello: HELLO, heartbeat: json(503, { code: 503, errno: 201, error: 'Service Unavailable', message: 'The database tables are missing: import sql/schema.sql' }), probe: probeOk() });
  assert.deepEqual(ids(r), ['running', 'tables-missing', 'probe-ok']);
  // did not start: four causes, ASCII first and marked when the probe was mangled
  r = diagnose({ hello: html(500, 'Internal Server Error'), heartbeat: html(500, 'Internal Server Error'), probe: probeOk() });
  assert.deepEqual(ids(r), ['not-started', 'probe-ok']);
  assert.deepEqual(r.findings[0].causes.map((c) => c.id).sort(), ['architecture', 'ascii-upload', 'execute-bit', 'group-writable']);
  assert.ok(r.findings[0].causes.every((c) => !c.likely));
  r = diagnose({ hello: html(500, 'Internal Server Error'), heartbeat: null, probe: { status: 200, bytes: crlfToLf(probeBytes()) } });
  assert.deepEqual(ids(r), ['not-started', 'ascii-upload']);
  assert.equal(r.findings[0].causes[0].id, 'ascii-upload');
  assert.ok(r.findings[0].causes[0].likely);
  assert.match(r.findings[0].steps[0], /^Most likely: Uploaded in ASCII/);
  assert.match(r.findings[1].text, /CR LF pairs became LF/);
  // the probe missing is a note, not a problem
  r = diagnose({ hello: HELLO, heartbeat: json(200, { storage: true }), probe: { status: 404, bytes: new Uint8Array() } });
  assert.equal(r.overall, 'ok');
  assert.deepEqual(ids(r), ['running', 'database-ok', 'probe-missing']);
  // routing and execution problems
  assert.deepEqual(ids(diagnose({ hello: html(404, 'Not Found'), heartbeat: null, probe: null })), ['not-routed']);
  assert.deepEqual(ids(diagnose({ hello: html(403, 'Forbidden'), heartbeat: null, probe: null })), ['forbidden']);
  assert.deepEqual(ids(diagnose({ hello: { status: 200, text: '\x7fELF....' }, heartbeat: null, probe: null })), ['served-as-file']);
  assert.deepEqual(ids(diagnose({ hello: { networkError: 'Failed to fetch' }, heartbeat: null, probe: null })), ['unreachable']);
});

test('SELF-6 index.html is readable without JavaScript and loads the check as a module', () => {
  const page = fs.readFileSync(path.join(WWW, 'index.html'), 'utf8');
  for (const words of ['<h1>cinto</h1>', 'href="v1/"', 'href="v1/__heartbeat__"', 'ASCII', '755', 'group- or world-writable', '64-bit x86 Linux', '<noscript>', 'cinto.ini']) {
    assert.ok(page.includes(words), `index.html lacks ${words}`);
  }
  assert.match(page, /<script type="module" src="selfcheck.js"><\/script>/);
  assert.doesNotMatch(page, /<script>(?!<)/, 'no inline script');
  const glue = fs.readFileSync(path.join(WWW, 'selfcheck.js'), 'utf8');
  assert.doesNotMatch(glue, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, 'server text is inserted as text only');
});

// The page's reading of real answers: a server whose ini lacks the storage URL, then fixed.
let srv;
after(async () => {
  await srv?.stop();
});

async function answer(p) {
  const r = await req(srv, 'GET', p);
  return { status: r.status, contentType: r.headers.get('content-type'), text: r.text };
}

test('SELF-7 real answers: a configuration error and a working server are explained as such', async () => {
  srv = await startServer({ workers: 1 });
  const good = srv.settings;
  fs.writeFileSync(srv.ini, renderIni(mergeSettings(good, { 'kinto.storage_url': null })));
  let r = diagnose({ hello: await answer('/'), heartbeat: await answer('/__heartbeat__'), probe: probeOk() });
  assert.equal(r.overall, 'problem');
  assert.equal(r.findings[0].id, 'config-value');
  assert.match(r.findings[0].serverMessage, /kinto\.storage_url is not set/);
  fs.writeFileSync(srv.ini, renderIni(good));
  r = diagnose({ hello: await answer('/'), heartbeat: await answer('/__heartbeat__'), probe: probeOk() });
  assert.equal(r.overall, 'ok', JSON.stringify(r));
  assert.deepEqual(ids(r), ['running', 'database-ok', 'probe-ok']);
});
