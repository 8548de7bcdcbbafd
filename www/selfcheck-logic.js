// The self-check page's decisions, with no DOM and no network: the page (selfcheck.js) fetches,
// this module explains. Tested by tests/http/selfcheck.test.js.
//
// Inputs are plain records of what came back:
//   { status, contentType, text }   an HTTP answer (text: the body as text)
//   { networkError: 'message' }     no answer at all
// and, for the probe file, { status, bytes: Uint8Array } or { networkError }.

// ---------------------------------------------------------------------------------------------
// The probe: a small binary file shipped beside this page (probe.bin). An FTP upload in ASCII
// (text) mode rewrites line ends (CR LF -> LF, or LF -> CR LF), may stop at Ctrl-Z or NUL, and
// may re-encode bytes above 127. The same upload corrupts cinto.fcgi, which then cannot start.
// The page knows the exact bytes and compares them (no hash: crypto.subtle needs https).

const PROBE_TEXT =
  'cinto upload probe: this file must arrive byte for byte.\r\n' +
  'CR LF pair\r\n' +
  'LF alone\n' +
  'CR alone\r' +
  'LF CR\n\r' +
  'two CR LF\r\n\r\n' +
  'end\n';

export function probeBytes() {
  const out = [];
  for (let i = 0; i < 256; i++) out.push(i); // every byte value, in order
  for (const c of PROBE_TEXT) out.push(c.charCodeAt(0));
  out.push(0x1a, 0x00, 0x00, 0x1a); // DOS end of file, NUL
  out.push(0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xff, 0xfe, 0x80); // UTF-8 é €, then invalid bytes
  for (const c of '\r\nlast line\r\n') out.push(c.charCodeAt(0));
  return Uint8Array.from(out);
}

function count(bytes, a, b) {
  let n = 0;
  for (let i = 0; i + 1 < bytes.length; i++) if (bytes[i] === a && bytes[i + 1] === b) n++;
  return n;
}

// What happened to the probe: { ok: true } or { ok: false, change, detail }.
//   change: 'missing' | 'crlf-to-lf' | 'lf-to-crlf' | 'truncated' | 'high-bytes' | 'changed'
export function compareProbe(expected, got) {
  if (!got || got.networkError || got.status !== 200 || !got.bytes) {
    return { ok: false, change: 'missing', detail: got && got.status ? `HTTP ${got.status}` : 'no answer' };
  }
  const b = got.bytes;
  if (b.length === expected.length && b.every((v, i) => v === expected[i])) return { ok: true };
  // some hosts answer a missing file with a page of their own and status 200
  if (/text\/html/i.test(got.contentType || '')) return { ok: false, change: 'missing', detail: 'a web page came back instead of the file' };
  let i = 0;
  while (i < b.length && i < expected.length && b[i] === expected[i]) i++;
  if (i === b.length && b.length < expected.length) {
    return { ok: false, change: 'truncated', detail: `only the first ${b.length} of ${expected.length} bytes arrived` };
  }
  const CR = 13, LF = 10;
  const crlfWas = count(expected, CR, LF), crlfNow = count(b, CR, LF);
  if (b.length < expected.length && crlfNow < crlfWas) {
    return { ok: false, change: 'crlf-to-lf', detail: `${b.length} bytes instead of ${expected.length}: CR LF pairs became LF` };
  }
  if (b.length > expected.length && crlfNow > crlfWas) {
    return { ok: false, change: 'lf-to-crlf', detail: `${b.length} bytes instead of ${expected.length}: LF became CR LF` };
  }
  if (expected[i] >= 0x80 || b[i] >= 0x80) {
    return { ok: false, change: 'high-bytes', detail: `byte ${i} changed (${expected[i]} became ${b[i]}): characters above 127 were converted` };
  }
  return { ok: false, change: 'changed', detail: `the file differs from byte ${i} on (${b.length} bytes instead of ${expected.length})` };
}

// ---------------------------------------------------------------------------------------------
// What one answer of the program means.

const HTML = /^\s*(<!doctype|<html|<head|<title|<body|<h1)/i;

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// The kind of a 503 (or other) JSON error, from details.reason when the server gives one, else
// from the words of its message.
export function errorReason(json) {
  const given = json && json.details && typeof json.details.reason === 'string' ? json.details.reason : null;
  if (given) return given;
  const m = String((json && json.message) || '');
  if (/no configuration file/i.test(m)) return 'config-not-found';
  if (/kinto\.log_file/i.test(m)) return 'log-file';
  if (/configuration file|not configured/i.test(m)) return 'config-value';
  if (/\btables?\b|schema\.sql|migrat/i.test(m)) return 'tables-missing';
  if (/database|mariadb|mysql|connect|socket|access denied/i.test(m)) return 'database-unreachable';
  if (/kinto\.[a-z_.]+ ?=|setting/i.test(m)) return 'config-value';
  return 'unavailable';
}

// { kind, json?, reason?, message? } for one answer:
//   ok              200 JSON
//   api-error       a Kinto JSON error (reason, message)
//   heartbeat-fail  503 from __heartbeat__ as a map of checks ({"storage": false})
//   not-started     the web server's own HTML 500/503: the program did not run or crashed
//   not-routed      404 that is not ours: .htaccess not read or mod_rewrite missing
//   forbidden       403 that is not ours: running programs is not allowed here
//   served-as-file  the program's bytes came back: the server does not run .fcgi files
//   unreachable     no HTTP answer at all
//   unexpected      anything else
export function classify(answer) {
  if (!answer || answer.networkError) return { kind: 'unreachable', message: answer ? answer.networkError : '' };
  const text = answer.text || '';
  const json = parseJson(text);
  if (text.startsWith('\x7fELF')) return { kind: 'served-as-file' };
  if (json && typeof json === 'object') {
    if (answer.status === 200) return { kind: 'ok', json };
    if (typeof json.errno === 'number' && typeof json.code === 'number') {
      return { kind: 'api-error', json, reason: errorReason(json), message: String(json.message || json.error || '') };
    }
    const failed = Object.keys(json).filter((k) => json[k] === false);
    if (answer.status === 503 && failed.length) return { kind: 'heartbeat-fail', json, failed };
  }
  if (answer.status >= 500) return { kind: 'not-started', html: HTML.test(text) };
  if (answer.status === 404) return { kind: 'not-routed' };
  if (answer.status === 403) return { kind: 'forbidden' };
  // a web page with 200: the host's own page for an address it does not know
  if (answer.status === 200 && HTML.test(text)) return { kind: 'not-routed' };
  if (answer.status === 200) return { kind: 'served-as-file' };
  return { kind: 'unexpected', status: answer.status };
}

// ---------------------------------------------------------------------------------------------
// The report: a list of findings, most important first. Each finding is
//   { id, level: 'ok' | 'problem' | 'note', title, text, steps: [..] , serverMessage? }

const STARTUP_CAUSES = [
  {
    id: 'ascii-upload',
    title: 'Uploaded in ASCII (text) mode',
    text: 'FTP clients in ASCII or "auto" mode change line ends inside the program file, which then cannot run.',
    fix: 'Switch your FTP client to binary transfer and upload cinto.fcgi again.',
  },
  {
    id: 'execute-bit',
    title: 'cinto.fcgi is not executable',
    text: 'The web server runs the program only when its execute permission is set.',
    fix: 'Set the permissions of cinto.fcgi to 755 (rwxr-xr-x) in your FTP client or file manager.',
  },
  {
    id: 'group-writable',
    title: 'The file or its folder is writable by others',
    text: 'Hosts that run programs under your own account (suexec) refuse any program whose file or folder is writable by the group or by everyone.',
    fix: 'Set cinto.fcgi to 755 and its folder to 755 (not 775 or 777), both owned by your account.',
  },
  {
    id: 'architecture',
    title: 'The program does not fit this server',
    text: 'cinto.fcgi is built for 64-bit x86 Linux (x86_64). It cannot run on ARM servers or on other systems.',
    fix: 'Ask your host which system and processor the web server has; use a build made for it.',
  },
];

function problem(id, title, text, steps, serverMessage) {
  return { id, level: 'problem', title, text, steps, ...(serverMessage ? { serverMessage } : {}) };
}

// The finding for a Kinto JSON error (from v1/ or v1/__heartbeat__).
function apiErrorFinding(c) {
  const msg = c.message;
  switch (c.reason) {
    case 'config-not-found':
      return problem('config-not-found', 'Configuration not found', 'cinto.fcgi runs, but it found no configuration file.', [
        'Fill in the example configuration (the database, user and password from your control panel) and save it as cinto.ini.',
        'Upload cinto.ini to the folder above the one holding cinto.fcgi (safest: it cannot be downloaded from there), or beside cinto.fcgi, or into your home folder.',
        'Reload this page.',
      ], msg);
    case 'config-unreadable':
    case 'config-syntax':
    case 'config-value':
    case 'config-error':
      return problem(c.reason, 'The configuration has a problem', 'cinto.fcgi found its configuration file but cannot use it. The message below names the problem.', [
        'Correct cinto.ini as the message says and upload it again.',
        'Reload this page: cinto reads the file again as soon as it changes.',
      ], msg);
    case 'log-file':
      return problem('log-file', 'The log file cannot be written', 'kinto.log_file in cinto.ini names a file cinto.fcgi cannot write.', [
        'Create the folder of the log file, writable by your account, or remove kinto.log_file from cinto.ini.',
      ], msg);
    case 'database-unreachable':
      return problem('database-unreachable', 'The database cannot be reached', 'cinto.fcgi runs and read its configuration, but could not connect to the database.', [
        'Check kinto.storage_url in cinto.ini: user, password, database server and database name exactly as your control panel shows them.',
        'Special characters in the password must be percent-encoded (@ is %40, : is %3A, / is %2F).',
        'The log file (kinto.log_file) has the database server\'s own answer.',
      ], msg);
    case 'tables-missing':
      return problem('tables-missing', 'The database tables are missing', 'cinto.fcgi reaches the database, but its tables are not there and it may not create them.', [
        'Import cinto-schema.sql (from the upload folder) with phpMyAdmin (or your control panel\'s database tool), or run "cinto.fcgi migrate" over SSH.',
        'Or give the database user the right to create tables: cinto then creates them by itself.',
      ], msg);
    default:
      return problem(c.reason || 'unavailable', 'The service answers with an error', 'cinto.fcgi runs but answered with an error.', [
        'Read the message below; the log file (kinto.log_file) has the details.',
      ], msg);
  }
}

function startupFinding(probe) {
  const ascii = probe && !probe.ok && probe.change !== 'missing';
  const causes = STARTUP_CAUSES.map((c) => ({ ...c, likely: c.id === 'ascii-upload' && ascii }));
  causes.sort((a, b) => b.likely - a.likely);
  return {
    id: 'not-started',
    level: 'problem',
    title: 'cinto.fcgi did not start',
    text:
      'The web server answered with its own error page instead of cinto\'s: the program could not be started. ' +
      'These causes all look the same from here' + (ascii ? '; the upload check below points to the first one.' : '; check each.'),
    steps: causes.map((c) => `${c.likely ? 'Most likely: ' : ''}${c.title}. ${c.text} ${c.fix}`),
    causes,
  };
}

const SIMPLE = {
  unreachable: ['No answer', 'The browser got no answer from the server for the API address.', ['Check your internet connection and reload this page.']],
  'not-routed': [
    'The API address is not handed to cinto.fcgi',
    'The web server answered "not found" itself: the rewrite rules of .htaccess were not used.',
    [
      'Upload htaccess.sample and rename it to .htaccess (with the leading dot) in the folder of cinto.fcgi; some FTP clients hide files that start with a dot.',
      'Ask your host whether .htaccess files and mod_rewrite are allowed (AllowOverride FileInfo Options).',
    ],
  ],
  forbidden: [
    'Running programs is not allowed here',
    'The web server refused to run cinto.fcgi in this folder.',
    ['Ask your host to allow CGI or FastCGI programs (Options ExecCGI) for your web folder.'],
  ],
  'served-as-file': [
    'The server does not run cinto.fcgi',
    'The web server sent the program file itself instead of running it: neither FastCGI (mod_fcgid) nor CGI is enabled for .fcgi files here.',
    ['Check that .htaccess is in place; ask your host to enable mod_fcgid or CGI for your web folder.'],
  ],
  unexpected: ['Unexpected answer', 'The API address gave an answer this page does not know.', ['Open the v1/ link below and read what it says.']],
};

// The whole report. hello: the answer of v1/; heartbeat: of v1/__heartbeat__ (may be null when
// not fetched); probe: the probe answer ({status, bytes}) or null.
export function diagnose({ hello, heartbeat, probe }) {
  const findings = [];
  const p = probe === null || probe === undefined ? null : compareProbe(probeBytes(), probe);
  const h = classify(hello);
  if (h.kind === 'ok') {
    const version = h.json.project_version ? ` ${h.json.project_version}` : '';
    findings.push({ id: 'running', level: 'ok', title: `cinto${version} runs`, text: `The API answers at v1/ (Kinto HTTP API ${h.json.http_api_version || '?'}).`, steps: [] });
    const hb = heartbeat ? classify(heartbeat) : null;
    if (hb && hb.kind === 'ok') {
      const bad = Object.keys(hb.json).filter((k) => hb.json[k] === false);
      if (bad.length) findings.push(problem('heartbeat-fail', 'A health check failed', `Failing checks: ${bad.join(', ')}.`, ['The log file (kinto.log_file) says why.']));
      else findings.push({ id: 'database-ok', level: 'ok', title: 'The database answers', text: 'The health check (v1/__heartbeat__) passed: cinto reads its tables.', steps: [] });
    } else if (hb && hb.kind === 'api-error') {
      findings.push(apiErrorFinding(hb));
    } else if (hb && hb.kind === 'heartbeat-fail') {
      findings.push(
        problem('heartbeat-fail', 'The database check failed', `cinto runs, but its health check failed (${hb.failed.join(', ')}): the database cannot be reached or its tables are missing.`, [
          'Check kinto.storage_url in cinto.ini (user, password, server, database name).',
          'If the tables are missing: import cinto-schema.sql (from the upload folder) with phpMyAdmin, or run "cinto.fcgi migrate" over SSH.',
          'The log file (kinto.log_file) says which of the two it is.',
        ]),
      );
    } else if (hb) {
      findings.push(problem('heartbeat-unknown', 'The health check gave no usable answer', `v1/__heartbeat__ answered unexpectedly (${hb.kind}).`, ['Open v1/__heartbeat__ below and read what it says.']));
    }
  } else if (h.kind === 'api-error') {
    findings.push(apiErrorFinding(h));
  } else if (h.kind === 'not-started') {
    findings.push(startupFinding(p));
  } else {
    const [title, text, steps] = SIMPLE[h.kind] || SIMPLE.unexpected;
    findings.push(problem(h.kind, title, text, steps, h.message || undefined));
  }
  if (p && !p.ok) {
    if (p.change === 'missing') {
      findings.push({ id: 'probe-missing', level: 'note', title: 'Upload check not possible', text: `probe.bin could not be fetched (${p.detail}).`, steps: ['Upload probe.bin from the bundle beside this page, in binary mode.'] });
    } else {
      findings.push(
        problem('ascii-upload', 'Files were changed during upload', `probe.bin did not arrive byte for byte: ${p.detail}. Your FTP client uploaded in ASCII (text) mode; cinto.fcgi was most likely damaged the same way.`, [
          'Switch your FTP client to binary transfer (not ASCII or "auto").',
          'Upload cinto.fcgi and probe.bin again, then reload this page.',
        ]),
      );
    }
  } else if (p && p.ok) {
    findings.push({ id: 'probe-ok', level: 'ok', title: 'Upload check passed', text: 'probe.bin arrived byte for byte: the files were uploaded in binary mode.', steps: [] });
  }
  const overall = findings.some((f) => f.level === 'problem') ? 'problem' : 'ok';
  return { overall, findings };
}
