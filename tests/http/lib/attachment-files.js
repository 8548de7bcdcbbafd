// How the web server must serve the files folder of the attachments plugin (issue 10, "files are
// served by the web server"), checked the same way through lighttpd (tests/http/), Apache with
// the project's .htaccess (tests/apache/, tests/barehost/) and nginx (the README's recipe).
//
// placeFiles() writes files of every risky kind into <folder>/<bucket>/<collection>/, as the
// plugin would; checkServed() asks each of them through the web server and asserts that it is
// sent byte for byte as a file (never run: no PHP, CGI or server-side include output), with its
// type, Content-Disposition (inline only for raster images and plain text), nosniff and a
// sandboxing Content-Security-Policy; and that the folder is never listed, dotfiles (upload
// temporaries) are refused and a missing file is the server's 404, not the API's.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

// A program that prints EXECUTED-42 when a server runs it (as a CGI shell script, or as PHP):
// its bytes hold "EXECUTED-" only followed by an expression, never by 42.
const PROGRAM = "#!/bin/sh\necho 'Content-Type: text/plain'\necho\necho EXECUTED-$((6*7))\nexit 0\n<?php echo 'EXECUTED-' . (6*7); ?>\n";
export const EXECUTED = 'EXECUTED-42';
// What the scripts of page.html and image.svg put into their document when a browser runs them.
export const SCRIPT_RAN = 'RAN-42';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a5e30000000049454e44ae426082', 'hex');

// name, bytes, expected type (a prefix of Content-Type), disposition, executable bit
export const FILES = [
  { name: 'page.html', body: '<!doctype html><title>x</title><script>document.title = "RAN-" + (6*7)</script>PAGE\n', type: 'text/html', disposition: 'attachment' },
  {
    name: 'image.svg',
    body: '<svg xmlns="http://www.w3.org/2000/svg"><script>document.documentElement.setAttribute("data-ran", "RAN-" + (6*7))</script><rect width="1" height="1"/></svg>\n',
    type: 'image/svg+xml',
    disposition: 'attachment',
  },
  { name: 'script.php', body: PROGRAM, type: 'text/plain', disposition: 'attachment', exec: true },
  { name: 'program.cgi', body: PROGRAM, type: 'text/plain', disposition: 'attachment', exec: true },
  { name: 'program.pl', body: PROGRAM, type: 'text/x-perl', disposition: 'attachment', exec: true },
  { name: 'build.sh', body: PROGRAM, type: 'application/x-sh', disposition: 'attachment', exec: true },
  { name: 'program.fcgi', body: PROGRAM, type: 'text/plain', disposition: 'attachment', exec: true },
  { name: 'include.shtml', body: '<!--#echo var="DOCUMENT_NAME" --><!--#exec cmd="echo EXECUTED-$((6*7))" -->\n', type: 'text/plain', disposition: 'attachment' },
  { name: 'settings.ini', body: '[app:main]\nkey = value\n', type: 'text/plain', disposition: 'attachment' },
  { name: 'server.log', body: 'a line of log\n', type: 'text/plain', disposition: 'attachment' },
  { name: 'data.json', body: '{"a": 1}\n', type: 'application/json', disposition: 'attachment' },
  { name: 'report.pdf', body: '%PDF-1.4\n%%EOF\n', type: 'application/pdf', disposition: 'attachment' },
  { name: 'unknown.qqq', body: 'what is this\n', type: 'application/octet-stream', disposition: 'attachment' },
  { name: 'photo.png', body: PNG, type: 'image/png', disposition: 'inline' },
  { name: 'photo.jpg', body: Buffer.from('ffd8ffe000104a46494600', 'hex'), type: 'image/jpeg', disposition: 'inline' },
  { name: 'photo.webp', body: Buffer.from('524946460c00000057454250', 'hex'), type: 'image/webp', disposition: 'inline' },
  { name: 'notes.txt', body: 'plain text <script>alert(3)</script>\n', type: 'text/plain', disposition: 'inline' },
];

export const BUCKET = 'filesbucket';
export const COLLECTION = 'filescoll';

// Writes FILES (and a dotfile, as an upload in progress) into <folder>/BUCKET/COLLECTION/ with
// the modes an upload has (0644; 0755 for the programs, so that a server that would run them
// could). uid/gid: the owner to give files and folders (e.g. a suexec customer).
export function placeFiles(folder, { uid, gid } = {}) {
  const dir = path.join(folder, BUCKET, COLLECTION);
  fs.mkdirSync(dir, { recursive: true });
  const own = (p) => uid !== undefined && fs.chownSync(p, uid, gid);
  for (const d of [folder, path.join(folder, BUCKET), dir]) {
    fs.chmodSync(d, 0o755);
    own(d);
  }
  for (const f of FILES) {
    const p = path.join(dir, f.name);
    fs.writeFileSync(p, f.body);
    fs.chmodSync(p, f.exec ? 0o755 : 0o644);
    own(p);
  }
  const tmp = path.join(dir, '.upload-in-progress.png');
  fs.writeFileSync(tmp, 'half an upload\n');
  fs.chmodSync(tmp, 0o644);
  own(tmp);
  return dir;
}

async function get(url) {
  const r = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(30000) });
  return { status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
}

// Every file of FILES through the server at base (the folder's URL, ending in "/"), then the
// refusals. `what` names the server in messages.
export async function checkServed(base, what = base) {
  const url = `${base}${BUCKET}/${COLLECTION}/`;
  for (const f of FILES) {
    const r = await get(url + f.name);
    const ctx = `${what} ${f.name}`;
    assert.equal(r.status, 200, `${ctx}: ${r.status} ${r.body.toString('utf8').slice(0, 200)}`);
    assert.ok(r.body.equals(Buffer.from(f.body)), `${ctx}: not sent as it is (run by a handler?):\n${r.body.toString('utf8').slice(0, 300)}`);
    assert.ok(!r.body.includes(EXECUTED), `${ctx}: the server ran it`);
    const type = r.headers.get('content-type') || '';
    assert.ok(type === f.type || type.startsWith(`${f.type};`), `${ctx}: Content-Type ${type}, expected ${f.type}`);
    assert.equal(r.headers.get('content-disposition'), f.disposition, `${ctx}: Content-Disposition`);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff', `${ctx}: X-Content-Type-Options`);
    assert.match(r.headers.get('content-security-policy') || '', /^sandbox(;|$)/, `${ctx}: Content-Security-Policy`);
    assert.match(r.headers.get('content-security-policy') || '', /default-src 'none'/, `${ctx}: Content-Security-Policy`);
  }
  // no listing of the folder or of any folder above it
  for (const u of [url, `${base}${BUCKET}/`, base]) {
    const r = await get(u);
    assert.ok([403, 404].includes(r.status), `${what}: ${u} answered ${r.status} (a listing?): ${r.body.toString('utf8').slice(0, 200)}`);
    assert.ok(!r.body.includes('photo.png'), `${what}: ${u} lists the folder`);
  }
  // an upload in progress is never served
  const tmp = await get(`${url}.upload-in-progress.png`);
  assert.ok([403, 404].includes(tmp.status), `${what}: a dotfile answered ${tmp.status}`);
  assert.ok(!tmp.body.includes('half an upload'), `${what}: a dotfile was served`);
  // a missing file: the web server's 404, not one of the API's JSON answers
  const missing = await get(`${url}missing.png`);
  assert.equal(missing.status, 404, `${what}: a missing file answered ${missing.status}`);
  assert.ok(!/"errno"/.test(missing.body.toString('utf8')), `${what}: a missing file reached cinto.fcgi: ${missing.body.toString('utf8').slice(0, 200)}`);
}
