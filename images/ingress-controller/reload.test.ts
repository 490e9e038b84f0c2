// A real nginx asked to reload the moment it is started: the reload waits for its pid file and
// nginx survives it (a SIGHUP sent at once kills it before its handlers are installed).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nginxReloader } from './reload.js';

let dir = '';

/** True while `pid` runs (a zombie, gone but not yet reaped, does not). */
function running(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0] !== 'Z';
  } catch {
    return false;
  }
}

/** Processes whose parent is `pid` (nginx's workers). */
function workersOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return readFileSync(`/proc/${e}/stat`, 'utf8').split(') ')[1].split(' ')[1] === String(pid);
      } catch {
        return false;
      }
    })
    .map(Number);
}
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('nginxReloader', () => {
  it('reloads a just-started nginx once it can take the signal, and nginx lives on', async () => {
    dir = mkdtempSync(join(tmpdir(), 'wirelab-reload-'));
    // No listener: this nginx serves nothing, it only has to take a SIGHUP.
    writeFileSync(join(dir, 'nginx.conf'), `pid ${dir}/nginx.pid;\nerror_log stderr notice;\nevents {}\n`);
    const nginx = spawn('nginx', ['-e', 'stderr', '-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    nginx.stderr!.on('data', (d) => (log += d));
    const exited = new Promise<number | null>((r) => nginx.on('exit', (code, sig) => r(code ?? (sig ? -1 : null))));
    const reloader = nginxReloader(
      join(dir, 'nginx.pid'),
      () => nginx.pid,
      (sig) => nginx.kill(sig),
    );
    try {
      reloader.reload();
      reloader.reload();
      const outcome = await Promise.race([
        exited.then((c) => `exited ${c}`),
        new Promise<string>((r) => {
          const t = setInterval(() => {
            if (/reconfiguring/.test(log)) {
              clearInterval(t);
              r('reconfigured');
            }
          }, 20);
        }),
      ]);
      expect(outcome, log).toBe('reconfigured');
      // Both requests were one reload.
      await new Promise((r) => setTimeout(r, 300));
      expect(log.match(/signal 1 \(SIGHUP\) received/g), log).toHaveLength(1);
      expect(nginx.exitCode, log).toBeNull();
    } finally {
      reloader.cancel();
      // SIGTERM, not SIGKILL: nginx's master stops its workers, which SIGKILL would leave running.
      const workers = workersOf(nginx.pid!);
      nginx.kill('SIGTERM');
      const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
      if (!stopped) nginx.kill('SIGKILL');
      await exited;
      // Its workers went with it.
      // (Orphaned workers would have a new parent, so the ones it had are looked up by pid.)
      await new Promise((r) => setTimeout(r, 200));
      expect(workers.length).toBeGreaterThan(0);
      expect(workers.filter(running)).toEqual([]);
    }
  });
});
