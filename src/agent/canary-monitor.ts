// The iptables Monitor kubelet and kube-proxy run (kubernetes v1.34.2 pkg/util/iptables/
// iptables.go:612): an empty canary chain in each watched table; every interval, whether the
// first table's canary is still there. When it is gone (someone flushed the tables), wait up to
// 5 s, every 100 ms, for the other tables' canaries to go too (a flush of all tables is not
// atomic), then reload (kubelet: its rules again; kube-proxy: a full sync) and put the canaries
// back. The checks run through the kernel layer; here is only the loop.
import type { IptablesEnsure } from '../plan/types.js';

type Table = IptablesEnsure['table'];

export interface CanaryMonitor {
  canary: string;
  /** The first is checked every interval; the others only once it is gone. */
  tables: readonly Table[];
  intervalMs: number;
}

export interface CanaryKernel {
  chainExists(table: Table, chain: string): Promise<boolean>;
  ensureChain(table: Table, chain: string): Promise<void>;
}

/** iptablesFlushPollTime and iptablesFlushTimeout. */
export const FLUSH_POLL_MS = 100;
export const FLUSH_TIMEOUT_MS = 5000;

/** Resolves after `ms`, or false at once when the signal is aborted first. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', done);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Runs until the signal aborts. */
export async function monitorCanary(
  m: CanaryMonitor,
  kernel: CanaryKernel,
  reload: () => Promise<void>,
  signal: AbortSignal,
  log: (line: string) => void,
  flush = { pollMs: FLUSH_POLL_MS, timeoutMs: FLUSH_TIMEOUT_MS },
): Promise<void> {
  const [first, ...rest] = m.tables;
  while (!signal.aborted) {
    // The canaries, retried every interval until they are there (PollImmediateUntil).
    for (;;) {
      try {
        for (const t of m.tables) await kernel.ensureChain(t, m.canary);
        break;
      } catch (e) {
        log(`could not set up the iptables canary ${m.canary}: ${(e as Error).message}`);
        if (!(await sleep(m.intervalMs, signal))) return;
      }
    }
    // Every interval until the first table's canary is gone (PollUntil: the first check waits).
    for (;;) {
      if (!(await sleep(m.intervalMs, signal))) return;
      if (!(await kernel.chainExists(first, m.canary).catch(() => true))) break;
    }
    log(`iptables canary ${m.canary} deleted (table ${first})`);
    const deadline = performance.now() + flush.timeoutMs;
    for (;;) {
      const left = await Promise.all(rest.map((t) => kernel.chainExists(t, m.canary).catch(() => true)));
      if (!left.includes(true)) break;
      if (performance.now() >= deadline) {
        log('inconsistent iptables state detected');
        break;
      }
      if (!(await sleep(flush.pollMs, signal))) return;
    }
    log(`reloading after iptables flush (${m.canary})`);
    await reload().catch((e) => log(`reload after iptables flush: ${(e as Error).message}`));
  }
}
