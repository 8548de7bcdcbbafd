// The attachments side of the Apache deployment (issue 10), run by apache.test.js for each of its
// hosts (mod_fcgid with AllowOverride All, restricted overrides, plain CGI):
//   - the files folder (www/attachments/ with its .htaccess, copied into the site as the bundle
//     ships it) serves uploaded pages, SVGs, PHP, CGI, SSI, .sh, .ini and .log files as files,
//     with the headers of tests/http/lib/attachment-files.js, although the server runs such
//     files elsewhere in the site (the control folder hostcgi/ shows that it does);
//   - uploads (POST .../records/{id}/attachment) reach cinto.fcgi as plain CGI, so a body over
//     mod_fcgid's FcgidMaxRequestLen (128 KiB) is not refused by mod_fcgid, and a body over the
//     sample's LimitRequestBody gets Apache's 413.
// Declared after apache.test.js's check of the error log: the refusals below (a folder listing,
// mod_fcgid's 500, the 413) are logged by Apache as errors on purpose.

import { it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import os from 'node:os';
import { placeFiles, checkServed, FILES, EXECUTED, SCRIPT_RAN } from '../http/lib/attachment-files.js';
import { basic } from '../http/lib/harness.js';

const AUTH = basic('alice', 'apache-attachments');
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));

// The DOM of a page after its scripts ran, from headless Chromium ('' when it downloads it).
async function dumpDom(url) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'cchr-'));
  try {
    return await new Promise((resolve, reject) => {
      const args = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', `--user-data-dir=${profile}`, '--virtual-time-budget=5000', '--dump-dom', url];
      const p = spawn(CHROMIUM, args, { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      const timer = setTimeout(() => p.kill('SIGKILL'), 60000);
      p.on('error', reject);
      p.on('close', () => {
        clearTimeout(timer);
        resolve(out);
      });
    });
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

// Body size between mod_fcgid's default FcgidMaxRequestLen (131072) and cinto's 8 MiB.
const OVER_FCGID = 300 * 1024;

// Sends a request whose headers announce `announced` body bytes and writes `sent` of them;
// resolves with the status line's code and the text received when the server closes or after
// the timeout.
function rawPost(origin, p, { announced, sent, timeout = 20000 }) {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve) => {
    const chunks = [];
    const sock = net.connect(Number(port), hostname);
    const done = () => {
      clearTimeout(timer);
      sock.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.\d (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : null, text });
    };
    const timer = setTimeout(done, timeout);
    sock.on('connect', () => {
      sock.write(
        `POST ${p} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: multipart/form-data; boundary=xyz\r\n` +
          `Content-Length: ${announced}\r\nConnection: close\r\n\r\n`,
      );
      sock.write(Buffer.alloc(sent, 0x61));
    });
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', done);
    sock.on('close', done);
  });
}

// Turns the plugin on in the site's cinto.ini (the workers read it again at their next request):
// the files folder of the site, its public URL, every extension allowed (the risky ones are the
// point); the folder made writable by the account that runs cinto.fcgi (www-data here, as on a
// host without suexec: README, "Attachments").
function enablePlugin(site) {
  const folder = path.join(site.base, 'htdocs', 'attachments');
  let ini = fs.readFileSync(site.ini, 'utf8').replace(/^(kinto\.)?(includes|attachment\.\S+)\s*=.*\n/gm, '');
  ini +=
    `kinto.includes = kinto_attachment\n` +
    `kinto.attachment.base_path = ${folder}\n` +
    `kinto.attachment.base_url = ${site.origin}/attachments/\n` +
    `kinto.attachment.extensions = any\n`;
  fs.writeFileSync(site.ini, ini);
  if (site.runAs) execFileSync('chown', [site.runAs, folder]);
  return folder;
}

// POST .../attachment through the site with a FormData body, as kinto-http and browsers send it.
async function upload(site, uri, { name, content, type }) {
  const form = new FormData();
  form.append('attachment', new Blob([content], { type }), name);
  const r = await fetch(`${site.origin}/v1${uri}/attachment`, {
    method: 'POST',
    body: form,
    headers: { Authorization: AUTH },
    signal: AbortSignal.timeout(120000),
  });
  const text = await r.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: r.status, text, json };
}

export function attachmentTests(getSite, variant) {
  const docroot = () => path.join(getSite().base, 'htdocs');

  it('attachments: the site ships attachments/.htaccess (as the bundle does)', () => {
    assert.ok(fs.existsSync(path.join(docroot(), 'attachments', '.htaccess')));
  });

  it('attachments: elsewhere in the site this server runs .php, .cgi and .shtml files (control)', async () => {
    const site = getSite();
    const control = path.join(docroot(), 'hostcgi');
    fs.mkdirSync(control, { recursive: true });
    fs.chmodSync(control, 0o755);
    for (const f of FILES.filter((x) => ['script.php', 'program.cgi', 'include.shtml', 'page.html', 'image.svg'].includes(x.name))) {
      fs.writeFileSync(path.join(control, f.name), f.body);
      fs.chmodSync(path.join(control, f.name), f.exec ? 0o755 : 0o644);
    }
    for (const n of ['script.php', 'program.cgi', 'include.shtml']) {
      const r = await fetch(`${site.origin}/hostcgi/${n}`);
      const text = await r.text();
      assert.equal(r.status, 200, `${n}: ${r.status} ${text.slice(0, 300)}`);
      assert.ok(text.includes(EXECUTED), `${n} was not run outside the files folder, so the test proves nothing: ${text.slice(0, 300)}`);
    }
  });

  it('attachments: in the files folder the same kinds are sent as files (never run), with the download, nosniff and sandbox headers', async () => {
    const site = getSite();
    const logStart = fs.statSync(site.errorLog).size;
    placeFiles(path.join(docroot(), 'attachments'));
    await checkServed(`${site.origin}/attachments/`, `apache (${variant.name})`);
    const log = fs.readFileSync(site.errorLog, 'utf8').slice(logStart);
    assert.doesNotMatch(log, /not allowed here|Invalid command/, 'the .htaccess needs more than this host allows');
  });

  // (one host is enough: the folder's .htaccess is the same on all; Chromium is slow to start)
  const browserSkip = !CHROMIUM ? 'no /usr/bin/chromium' : variant.name !== 'restricted' ? 'run on the restricted host only' : false;
  it('attachments: a browser does not run an uploaded page or SVG there, but does elsewhere (headless Chromium, when installed)', { skip: browserSkip }, async () => {
    const site = getSite();
    for (const name of ['page.html', 'image.svg']) {
      const control = await dumpDom(`${site.origin}/hostcgi/${name}`);
      assert.ok(control.includes(SCRIPT_RAN), `${name}: its script did not run outside the files folder, so the test proves nothing: ${control.slice(0, 300)}`);
      const dom = await dumpDom(`${site.origin}/attachments/filesbucket/filescoll/${name}`);
      assert.ok(!dom.includes(SCRIPT_RAN), `${name}: its script ran in the files folder: ${dom.slice(0, 300)}`);
    }
  });

  it('attachments: an upload body over FcgidMaxRequestLen reaches cinto.fcgi (run as plain CGI), not mod_fcgid', async () => {
    const site = getSite();
    const body = Buffer.alloc(OVER_FCGID, 0x61);
    const post = (p) =>
      fetch(site.origin + p, { method: 'POST', body, headers: { 'Content-Type': 'multipart/form-data; boundary=xyz' }, signal: AbortSignal.timeout(60000) });
    const up = await post('/v1/buckets/b/collections/c/records/r/attachment');
    const text = await up.text();
    assert.notEqual(up.status, 500, `mod_fcgid refused the upload: ${text.slice(0, 300)}`);
    assert.match(up.headers.get('content-type') || '', /^application\/json/, text.slice(0, 300));
    assert.ok(JSON.parse(text).code, text);
    if (variant.fcgid) {
      // the reason for the route: the same body on another path is mod_fcgid's HTML 500
      const other = await post('/v1/buckets/b/collections/c/records');
      const t = await other.text();
      assert.equal(other.status, 500, t.slice(0, 300));
      assert.match(fs.readFileSync(site.errorLog, 'utf8'), /exceeds MaxRequestLen/);
    }
  });

  it("attachments: an upload over the sample's LimitRequestBody (100 MiB) gets Apache's 413", async () => {
    const site = getSite();
    const r = await rawPost(site.origin, '/v1/buckets/b/collections/c/records/r/attachment', { announced: 200 * 1024 * 1024, sent: 64 * 1024 });
    assert.equal(r.status, 413, r.text.slice(0, 400));
  });

  it('attachments: a 1 MiB file uploaded through Apache (over FcgidMaxRequestLen) is served back identical, as a download', async () => {
    const site = getSite();
    enablePlugin(site);
    const uri = '/buckets/files/collections/docs/records/big';
    for (const [p, body] of [['/buckets/files', {}], ['/buckets/files/collections/docs', {}]]) {
      const r = await fetch(`${site.origin}/v1${p}`, {
        method: 'PUT',
        body: JSON.stringify({ data: body }),
        headers: { Authorization: AUTH, 'Content-Type': 'application/json' },
      });
      assert.ok([200, 201].includes(r.status), `${p}: ${r.status} ${await r.text()}`);
    }
    const content = crypto.randomBytes(1024 * 1024);
    const up = await upload(site, uri, { name: 'big report.pdf', content, type: 'application/pdf' });
    assert.equal(up.status, 201, up.text.slice(0, 400));
    assert.equal(up.json.size, content.length);
    assert.equal(up.json.hash, crypto.createHash('sha256').update(content).digest('hex'));
    assert.ok(up.json.location.startsWith(`${site.origin}/attachments/`), up.json.location);
    const r = await fetch(up.json.location);
    const got = Buffer.from(await r.arrayBuffer());
    assert.equal(r.status, 200);
    assert.ok(got.equals(content), 'the file served differs from the upload');
    assert.equal(r.headers.get('content-type'), 'application/pdf');
    assert.equal(r.headers.get('content-disposition'), 'attachment');
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    // the record points at it
    const rec = await fetch(`${site.origin}/v1${uri}`, { headers: { Authorization: AUTH } });
    assert.equal((await rec.json()).data.attachment.location, up.json.location);
  });

  it('attachments: an uploaded page, SVG and PHP program are served as inert downloads, and deleted with the attachment', async () => {
    const site = getSite();
    for (const name of ['page.html', 'image.svg', 'script.php']) {
      const f = FILES.find((x) => x.name === name);
      const uri = `/buckets/files/collections/docs/records/${name.replace('.', '-')}`;
      const up = await upload(site, uri, { name, content: f.body, type: 'application/octet-stream' });
      assert.equal(up.status, 201, `${name}: ${up.text.slice(0, 400)}`);
      const r = await fetch(up.json.location);
      const body = Buffer.from(await r.arrayBuffer());
      assert.equal(r.status, 200, name);
      assert.ok(body.equals(Buffer.from(f.body)), `${name} not sent as it is: ${body.toString('utf8').slice(0, 200)}`);
      assert.ok(!body.includes(EXECUTED), `${name} ran`);
      assert.match(r.headers.get('content-type') || '', new RegExp(`^${f.type.replace(/[+]/g, '\\+')}`), name);
      assert.equal(r.headers.get('content-disposition'), 'attachment', name);
      assert.match(r.headers.get('content-security-policy') || '', /^sandbox/, name);
      const del = await fetch(`${site.origin}/v1${uri}/attachment`, { method: 'DELETE', headers: { Authorization: AUTH } });
      assert.equal(del.status, 204, `${name}: DELETE ${del.status}`);
      const gone = await fetch(up.json.location);
      await gone.arrayBuffer();
      assert.equal(gone.status, 404, `${name}: still served after DELETE`);
    }
  });
}
