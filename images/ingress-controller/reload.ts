// Reloading nginx with SIGHUP, but only once it can take one. nginx installs its signal handlers
// just before it writes its pid file (nginx 1.22-1.24, src/core/nginx.c main(): ngx_init_signals,
// then ngx_create_pidfile); a SIGHUP before that kills it. The controller writes its first
// configuration, starts nginx, and a change can arrive milliseconds later: under load in CI the
// controller then killed its own nginx and exited ("configuration changed, reloading nginx" was
// its last line; the pod went into CrashLoopBackOff).
import { readFileSync } from 'node:fs';

export interface Reloader {
  /** Asks for a reload: SIGHUP now if nginx is ready, else once it is. Requests made while one
   * waits are one reload: nginx reads the newest configuration file when it gets the signal. */
  reload(): void;
  /** Stops waiting (nginx is being stopped). */
  cancel(): void;
}

export function nginxReloader(pidFile: string, nginxPid: () => number | undefined, signal: (sig: NodeJS.Signals) => void, pollMs = 20): Reloader {
  let waiting: NodeJS.Timeout | undefined;
  const ready = () => {
    try {
      const pid = nginxPid();
      return pid !== undefined && Number(readFileSync(pidFile, 'utf8').trim()) === pid;
    } catch {
      return false;
    }
  };
  return {
    reload() {
      if (waiting) return;
      if (ready()) return signal('SIGHUP');
      waiting = setInterval(() => {
        if (!ready()) return;
        clearInterval(waiting);
        waiting = undefined;
        signal('SIGHUP');
      }, pollMs);
    },
    cancel() {
      clearInterval(waiting);
      waiting = undefined;
    },
  };
}
