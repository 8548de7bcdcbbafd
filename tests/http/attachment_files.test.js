// The files folder of the attachments plugin behind lighttpd (issue 10, "files are served by the
// web server"): the harness serves <server>/www/attachments at /attachments/ with the headers of
// the Apache .htaccess of that folder, and sets kinto.attachment.base_path / base_url to them.
// Files are placed into the folder directly, as the plugin writes them; the same checks run
// through Apache (tests/apache/) and nginx (tests/barehost/nginx.test.js).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { req, startServer, attachmentTypes, REPO_ROOT } from './lib/harness.js';
import { placeFiles, checkServed } from './lib/attachment-files.js';

let srv;

before(async () => {
  srv = await startServer({ workers: 1 });
});

after(async () => {
  await srv?.stop();
});

test('ATT-SERVE-1 the harness points the plugin at the folder lighttpd serves', () => {
  assert.equal(srv.settings['kinto.attachment.base_path'], srv.attachmentsDir);
  assert.equal(srv.settings['kinto.attachment.base_url'], `${srv.origin}/attachments/`);
  assert.equal(srv.attachmentsDir, path.join(srv.dir, 'www', 'attachments'));
  assert.match(fs.readFileSync(srv.ini, 'utf8'), new RegExp(`^kinto\\.attachment\\.base_url = ${srv.origin}/attachments/$`, 'm'));
});

test('ATT-SERVE-2 uploaded pages, images and programs are sent as files: never run, a download unless an image or text, nosniff, CSP sandbox', async () => {
  placeFiles(srv.attachmentsDir);
  await checkServed(`${srv.origin}/attachments/`, 'lighttpd');
});

test('ATT-SERVE-3 the API is still served beside the folder; /attachments is not an API path', async () => {
  const r = await req(srv, 'GET', '/');
  assert.equal(r.status, 200, r.text);
  const bare = await fetch(`${srv.origin}/attachments`, { redirect: 'manual' });
  await bare.arrayBuffer();
  assert.ok([301, 403, 404].includes(bare.status), `/attachments answered ${bare.status}`);
  // a path that merely starts like the folder still goes to cinto
  const other = await fetch(`${srv.origin}/attachmentsX`, { redirect: 'manual' });
  const text = await other.text();
  assert.equal(other.status, 307, text);
});

test("ATT-SERVE-4 the README's nginx recipe gives the files folder the same types as its .htaccess", () => {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README'), 'utf8');
  const m = /location \^~ \/attachments\/ \{[\s\S]*?types \{([\s\S]*?)\}/.exec(readme);
  assert.ok(m, 'README: no /attachments/ location with a types block');
  const nginx = new Map();
  for (const entry of m[1].split(';')) {
    const [type, ...exts] = entry.trim().split(/\s+/);
    for (const e of exts) nginx.set(`.${e}`, type);
  }
  const apache = new Map(attachmentTypes().map(([ext, type]) => [ext, type.split(';')[0]]));
  assert.deepEqual(Object.fromEntries([...nginx].sort()), Object.fromEntries([...apache].sort()));
});
