// Helpers shared by the deployment tests of this folder (bare-host Apache, the nginx recipe):
// processes by pid and start time, free ports, failure messages that carry the run's logs, and
// one describe() per site that starts it before its tests and stops it after.
import { describe, it, before, after } from 'node:test';
import fs from 'node:fs';
import net from 'node:net';

// Processes, by pid and start time (a recycled pid is never signalled).
export function procStat(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0], ppid: Number(rest[1]), starttime: rest[19] };
  } catch {
    return null;
  }
}

export function alive(p) {
  const st = procStat(p.pid);
  return !!st && st.state !== 'Z' && st.state !== 'X' && st.starttime === p.starttime;
}

export const track = (pid) => ({ pid, starttime: procStat(pid)?.starttime });

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// An error of a failed test with the logs of the run added after its message (the reporter
// prints the stack, which carries the message as it was when the error was made).
export function withLogs(e, logs) {
  if (!e || typeof e !== 'object') return e;
  e.message = `${e.message}${logs}`;
  if (typeof e.stack === 'string') {
    const at = e.stack.search(/\n\s+at /);
    e.stack = at < 0 ? `${e.stack}${logs}` : `${e.stack.slice(0, at)}${logs}${e.stack.slice(at)}`;
  }
  return e;
}

export function tail(file, lines = 25) {
  try {
    const text = fs.readFileSync(file, 'utf8').trimEnd();
    return text ? text.split('\n').slice(-lines).join('\n') : '(empty)';
  } catch {
    return '(none)';
  }
}

// describe(title) around one site (start(), stop(), logs()), made by makeSite when the suite is
// declared: started before its tests (stopped again when the start fails half-way), stopped
// after them; body(test, site) declares the tests with a test() whose failures carry the logs.
export function describeSite(title, opts, makeSite, body) {
  describe(title, opts, () => {
    const site = makeSite();
    const test = (name, fn) =>
      it(name, async () => {
        try {
          await fn();
        } catch (e) {
          throw withLogs(e, site.logs());
        }
      });
    before(async () => {
      try {
        await site.start();
      } catch (e) {
        await site.stop().catch(() => {});
        throw e;
      }
    });
    after(async () => {
      await site.stop();
    });
    body(test, site);
  });
}
