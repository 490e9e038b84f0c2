// The nftables partial sync costs what changed: it visits only the services whose objects
// differ from the last sync's, and what they no longer use comes from what the last sync
// recorded. These check that it reaches the table a full sync reaches, writes only the changed
// services, survives a retry from the state before a failed transaction, and keeps an element
// another service still writes.
import { describe, expect, it } from 'vitest';
import type { EndpointSlice } from '../../model/types.js';
import { endpoint, makeService, makeSlice, tcpPort } from '../../model/testing/services.js';
import { syncNftables, type NftSyncState } from './nftables.js';
import { transactionText } from './nft-objects.js';
import { nodeInput } from './testing/nft-input.js';
import type { IptablesService } from './service-ports.js';

/** Service i (0-based) with `eps` endpoints; every 4th a NodePort, every 5th with client-IP affinity. */
function service(i: number, eps: number, edit: (s: IptablesService) => void = () => {}): { svc: IptablesService; slice: EndpointSlice } {
  const name = `svc${i}`;
  const svc = makeService('ns', name, (s) => {
    s.clusterIP = `172.30.1.${i + 1}`;
    s.ports = [tcpPort('p80', 80, i % 4 === 0 ? 30000 + i : undefined)];
    if (i % 4 === 0) s.type = 'NodePort';
    if (i % 5 === 0) s.sessionAffinity = 'ClientIP';
    edit(s);
  });
  const endpoints = Array.from({ length: eps }, (_, k) => endpoint(`10.0.${i}.${k + 1}`, k === 0 ? 'node' : 'other'));
  return { svc, slice: makeSlice('ns', name, endpoints, [{ name: 'p80', port: 80 }]) };
}

const input = nodeInput;

/** The table without empty service chains (flushed, waiting for their deletion a second later). */
const live = (state: NftSyncState) =>
  state.table
    .dump()
    .split('\n')
    .filter((l) => {
      const chain = /^add chain ip kube-proxy (\S+)$/.exec(l)?.[1];
      return !chain || !chain.includes('/') || (state.table.chains.get(chain)?.rules.length ?? 0) > 0;
    })
    .sort()
    .join('\n');

describe('nftables partial sync', () => {
  it('reaches the table a full sync of the same services reaches, writing only the changed services', () => {
    let counts = Array.from({ length: 40 }, (_, i) => i % 3);
    let present = counts.map(() => true);
    const objs = () => counts.flatMap((n, i) => (present[i] ? [service(i, n)] : []));
    let state = syncNftables(input(objs()), undefined, { now: 0 }).state;
    const steps: [string, () => void, number[]][] = [
      ['one endpoint more', () => (counts = counts.map((n, i) => (i === 7 ? n + 1 : n))), [7]],
      ['endpoints gone', () => (counts = counts.map((n, i) => (i === 8 || i === 10 ? 0 : n))), [8, 10]],
      ['a service deleted', () => (present = present.map((p, i) => p && i !== 12)), [12]],
      ['a service back, another deleted', () => (present = present.map((p, i) => i !== 15 && (p || i === 12))), [12, 15]],
      ['an affinity service scaled', () => (counts = counts.map((n, i) => (i === 20 ? 4 : n))), [20]],
    ];
    let now = 0;
    for (const [what, change, touched] of steps) {
      change();
      now += 400;
      const stale = new Set(state.staleChains.keys());
      const sync = syncNftables(input(objs()), state, { now });
      state = sync.state;
      const fresh = syncNftables(input(objs())).state;
      expect(live(state), what).toBe(live(fresh));
      // Every service chain, set and element the transaction names belongs to a changed service
      // (chains already stale are flushed again until they are deleted, as upstream does).
      const text = transactionText(sync.ops.filter((op) => !(op.verb === 'flush' && op.obj.kind === 'chain' && stale.has(op.obj.name))));
      const named = [...text.matchAll(/ns\/svc(\d+)\/|172\.30\.1\.(\d+) /g)].map((m) => (m[1] ? Number(m[1]) : Number(m[2]) - 1));
      expect(named.length, what).toBeGreaterThan(0);
      expect(
        [...new Set(named)].sort((a, b) => a - b),
        what,
      ).toEqual(touched);
    }
  });

  it('writes nothing when the model was rebuilt with equal objects', () => {
    const objs = (n: number) => Array.from({ length: n }, (_, i) => service(i, 2));
    const first = syncNftables(input(objs(30)));
    expect(syncNftables(input(objs(30)), first.state).ops).toEqual([]);
    expect(syncNftables(input(objs(31)), first.state).ops.length).toBeGreaterThan(0);
  });

  it('retries from the state before a failed transaction: the mirror goes back first', () => {
    const objs = (n: number) => Array.from({ length: n }, (_, i) => service(i, 2));
    const before = syncNftables(input(objs(10))).state;
    const dumpBefore = before.table.dump();
    const failed = syncNftables(input(objs(12)), before);
    const retried = syncNftables(input(objs(12)), before);
    expect(transactionText(retried.ops)).toBe(transactionText(failed.ops));
    expect(retried.state.table.dump()).toContain('ns/svc11/');
    // Only the last transaction can be undone.
    const next = syncNftables(input(objs(13)), retried.state).state;
    expect(() => syncNftables(input(objs(12)), before)).toThrow(/cannot go back/);
    // Undoing it restores the table's contents (an element deleted and put back is listed last).
    const sorted = (text: string) => text.split('\n').sort().join('\n');
    const dumpNext = next.table.dump();
    syncNftables(input(objs(3)), next);
    next.table.rollBackTo(next.tableVersion);
    expect(sorted(next.table.dump())).toBe(sorted(dumpNext));
    expect(dumpNext).not.toBe(dumpBefore);
  });

  it('keeps an element another service still writes (two Services sharing an external IP and port)', () => {
    const a = service(1, 1, (s) => (s.externalIPs = ['192.0.2.10']));
    const b = service(2, 1, (s) => (s.externalIPs = ['192.0.2.10']));
    const both = syncNftables(input([a, b])).state;
    expect(both.shared).toBeGreaterThan(0);
    const onlyB = syncNftables(input([b]), both);
    expect(onlyB.state.table.dump()).toContain('192.0.2.10 . tcp . 80 : goto external-');
    expect(live(onlyB.state)).toBe(live(syncNftables(input([b])).state));
  });
});
