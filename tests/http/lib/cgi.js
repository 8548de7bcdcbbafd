// Runs cinto.fcgi as a plain CGI program (one process per request, as Apache mod_cgid or any
// CGI host does), with the ini of a server started by the harness.
import { spawn } from 'node:child_process';
import { fcgiPath, saveSanitizerReports } from './harness.js';

function sanitizerEnv() {
  try {
    return JSON.parse(process.env.CINTO_TEST_SANITIZE_ENV || '{}');
  } catch {
    return {};
  }
}

// One CGI request against srv's ini; returns {status, headers, json, text, code, stderr}.
// env: extra CGI variables (null removes one); stdin: the raw request body.
export function cgi(srv, method, pathInfo, { query = '', body, env = {}, stdin } = {}) {
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
      resolve({ status, headers, json, text, code, stderr: err });
    });
    p.stdin.end(input);
  });
}
