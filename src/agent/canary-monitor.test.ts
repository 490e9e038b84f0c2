// The iptables Monitor's loop against a fake kernel: it puts its canaries in place, reloads once
// when they are flushed (after waiting for every table's to go, or 5 s), puts them back, and
// stops with the agent.
import { describe, expect, it } from 'vitest';
import { monitorCanary, type CanaryKernel } from './canary-monitor.js';

const M = { canary: 'KUBE-PROXY-CANARY', tables: ['mangle', 'nat', 'filter'] as const, intervalMs: 5 };
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Chains per table; `ensured` counts EnsureChain calls. */
function fakeKernel() {
  const chains = new Set<string>();
  let ensured = 0;
  const kernel: CanaryKernel = {
    chainExists: async (t, c) => chains.has(`${t}/${c}`),
    ensureChain: async (t, c) => {
      ensured++;
      chains.add(`${t}/${c}`);
    },
  };
  return { chains, kernel, ensured: () => ensured };
}

describe('monitorCanary', () => {
  it('creates the canaries, reloads once after a flush of every table, and puts them back', async () => {
    const k = fakeKernel();
    const abort = new AbortController();
    const reloads: string[] = [];
    const logs: string[] = [];
    const running = monitorCanary(
      M,
      k.kernel,
      async () => void reloads.push([...k.chains].join(',')),
      abort.signal,
      (l) => logs.push(l),
      {
        pollMs: 1,
        timeoutMs: 200,
      },
    );
    await tick(30);
    expect([...k.chains].sort()).toEqual(['filter/KUBE-PROXY-CANARY', 'mangle/KUBE-PROXY-CANARY', 'nat/KUBE-PROXY-CANARY']);
    expect(reloads).toEqual([]);
    k.chains.clear();
    await tick(40);
    // Reloaded with every canary gone, once; the canaries are back afterwards.
    expect(reloads).toEqual(['']);
    expect(k.chains.size).toBe(3);
    expect(logs).toContain('reloading after iptables flush (KUBE-PROXY-CANARY)');
    abort.abort();
    await running;
  });

  it('waits for the other tables to be flushed too, and reloads anyway after the timeout when they are not', async () => {
    const k = fakeKernel();
    const abort = new AbortController();
    let reloads = 0;
    const logs: string[] = [];
    const running = monitorCanary(
      M,
      k.kernel,
      async () => void reloads++,
      abort.signal,
      (l) => logs.push(l),
      { pollMs: 1, timeoutMs: 60 },
    );
    await tick(20);
    k.chains.delete('mangle/KUBE-PROXY-CANARY');
    await tick(30);
    expect(reloads).toBe(0);
    await tick(80);
    expect(reloads).toBe(1);
    expect(logs).toContain('inconsistent iptables state detected');
    abort.abort();
    await running;
  });

  it('stops when the agent stops, without reloading', async () => {
    const k = fakeKernel();
    const abort = new AbortController();
    let reloads = 0;
    const running = monitorCanary(
      { ...M, intervalMs: 60_000 },
      k.kernel,
      async () => void reloads++,
      abort.signal,
      () => {},
    );
    await tick(10);
    abort.abort();
    await running;
    expect(reloads).toBe(0);
    expect(k.ensured()).toBe(3);
  });
});
