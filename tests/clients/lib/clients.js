// Shared helpers for the client-compatibility tests: installs the pinned npm clients when they
// are missing, loads them, and starts cinto servers through the HTTP test harness.
//
// The clients are the real, unmodified npm packages (versions pinned in ../package.json and
// package-lock.json):
//   kinto-http  the HTTP client (KintoClient), Node build; needs node-fetch/form-data/atob
//               installed next to it (its README asks for these "polyfills" in Node)
//   kinto       kinto.js, the offline-first client, used with its in-memory adapter
//               (lib/cjs/adapters/memory.js) instead of IndexedDB.

import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { basic, req, sleep, startServer } from '../../http/lib/harness.js';

export { basic, req, sleep, startServer };

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const CLIENTS_DIR = path.resolve(HERE, '..');
const NODE_MODULES = path.join(CLIENTS_DIR, 'node_modules');
const LOCK_DIR = path.join(CLIENTS_DIR, '.npm-install.lock');

// Every pinned dependency is installed at its pinned version.
function depsInstalled() {
  const pkg = JSON.parse(fs.readFileSync(path.join(CLIENTS_DIR, 'package.json'), 'utf8'));
  for (const [name, version] of Object.entries(pkg.dependencies || {})) {
    try {
      const got = JSON.parse(fs.readFileSync(path.join(NODE_MODULES, name, 'package.json'), 'utf8'));
      if (got.version !== version) return false;
    } catch {
      return false;
    }
  }
  return true;
}

function npmCi() {
  return new Promise((resolve, reject) => {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    execFile(
      npm,
      ['ci', '--no-audit', '--no-fund', '--loglevel=error'],
      { cwd: CLIENTS_DIR, timeout: 300000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          err.message = `npm ci in ${CLIENTS_DIR} failed (${err.code ?? err.signal}): ${stderr || stdout || err.message}`;
          reject(err);
        } else resolve();
      },
    );
  });
}

// The node test runner starts one process per test file: a lock folder keeps two of them from
// running `npm ci` at once (mkdir is atomic). A lock whose owner died is taken over.
async function withInstallLock(fn) {
  const deadline = Date.now() + 360000;
  for (;;) {
    try {
      fs.mkdirSync(LOCK_DIR);
      fs.writeFileSync(path.join(LOCK_DIR, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let owner = NaN;
      try {
        owner = Number(fs.readFileSync(path.join(LOCK_DIR, 'pid'), 'utf8'));
      } catch {
        /* being written or removed */
      }
      if (owner && !fs.existsSync(`/proc/${owner}`)) {
        fs.rmSync(LOCK_DIR, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${LOCK_DIR} (remove it if stale)`);
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

let depsPromise = null;
// Runs `npm ci` into tests/clients/node_modules unless the pinned versions are there already.
export function ensureDeps() {
  if (!depsPromise) {
    depsPromise = depsInstalled()
      ? Promise.resolve()
      : withInstallLock(async () => {
          if (!depsInstalled()) await npmCi();
          if (!depsInstalled()) throw new Error(`npm ci did not install the pinned clients in ${NODE_MODULES}`);
        });
  }
  return depsPromise;
}

// Loads the clients (after ensureDeps). Returns
// { KintoClient, KintoJsHttp, Kinto, MemoryAdapter, versions }.
export async function loadClients() {
  await ensureDeps();
  const kh = await import('kinto-http');
  const KintoClient = kh.default?.default ?? kh.default;
  const kjs = await import('kinto');
  const Kinto = kjs.default?.default ?? kjs.default;
  // kinto.js ships its own copy of the HTTP client (src/http, ex kinto-http.js)
  const KintoJsHttp = kjs.default?.KintoClient ?? kjs.KintoClient;
  const mem = await import('kinto/lib/cjs/adapters/memory.js');
  const MemoryAdapter = mem.default?.default ?? mem.default;
  const version = (name) =>
    JSON.parse(fs.readFileSync(path.join(NODE_MODULES, name, 'package.json'), 'utf8')).version;
  return {
    KintoClient,
    KintoJsHttp,
    Kinto,
    MemoryAdapter,
    versions: { 'kinto-http': version('kinto-http'), kinto: version('kinto') },
  };
}

// A name unique to this run (ids allow [a-zA-Z0-9_-]).
export function uid(prefix = 'x') {
  return `${prefix}-${crypto.randomBytes(5).toString('hex')}`;
}

// Basic-auth headers for a user of this run.
export function authHeaders(user, pass = 'secret') {
  return { Authorization: basic(user, pass) };
}
