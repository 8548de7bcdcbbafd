// The self-check of index.html: asks the API (v1/, v1/__heartbeat__) and fetches probe.bin,
// then shows what selfcheck-logic.js makes of the answers. Server text is only ever inserted as
// text (textContent), never as HTML.
import { diagnose } from './selfcheck-logic.js';

async function get(url, binary) {
  try {
    const r = await fetch(url, { cache: 'no-store', credentials: 'omit', redirect: 'follow', headers: binary ? {} : { Accept: 'application/json' } });
    const base = { status: r.status, contentType: r.headers.get('content-type') || '' };
    if (binary) return { ...base, bytes: new Uint8Array(await r.arrayBuffer()) };
    return { ...base, text: await r.text() };
  } catch (e) {
    return { networkError: String((e && e.message) || e) };
  }
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

function render(report, target) {
  const title =
    report.overall === 'ok'
      ? 'Everything checked is in order.'
      : 'Something needs your attention:';
  const box = el('div', { class: `summary ${report.overall}` }, el('p', {}, el('strong', {}, title)));
  for (const f of report.findings) {
    const item = el('section', { class: `finding ${f.level}`, id: `finding-${f.id}` });
    const mark = f.level === 'ok' ? '\u2714 ' : f.level === 'problem' ? '\u2716 ' : '\u2139 ';
    item.append(el('h3', {}, mark + f.title), el('p', {}, f.text));
    if (f.serverMessage) item.append(el('p', { class: 'server' }, 'The server says: ', el('q', {}, f.serverMessage)));
    if (f.steps && f.steps.length) item.append(el('ol', {}, ...f.steps.map((s) => el('li', {}, s))));
    box.append(item);
  }
  target.replaceChildren(box);
}

async function run() {
  const target = document.getElementById('report');
  target.replaceChildren(el('p', { class: 'pending' }, 'Checking\u2026'));
  const [hello, heartbeat, probe] = await Promise.all([get('v1/'), get('v1/__heartbeat__'), get('probe.bin', true)]);
  const report = diagnose({ hello, heartbeat, probe });
  render(report, target);
  document.body.dataset.selfcheck = report.overall; // for tests and screenshots
}

document.getElementById('recheck').hidden = false;
document.getElementById('recheck').addEventListener('click', run);
run();
