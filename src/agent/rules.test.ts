// The agent's kube-proxy sync (iptables mode) writes the nfacct matches exactly when the node's
// counters exist (proxier.go:1126-1134, 1437-1439 at v1.34.2), and a re-sync with the same
// objects and counters changes nothing.
import { describe, expect, it } from 'vitest';
import { parseLab } from '../labfile/load.js';
import { resolveModel } from '../model/resolve.js';
import { kubeProxySync } from './rules.js';

const restored = (sync: ReturnType<typeof kubeProxySync>) => sync!.ops.flatMap((o) => (o.kind === 'iptables-restore' ? [o.rules] : [])).join('\n');

describe('kubeProxySync and the nfacct counters', async () => {
  const model = resolveModel(await parseLab('nodeport'));
  const w1 = model.nodes.find((n) => n.name === 'w1')!;

  it('counts with the counters when they exist, and goes without them when they do not', () => {
    const withCounters = restored(kubeProxySync(model, w1, undefined, true));
    expect(withCounters).toMatch(/-A KUBE-NODEPORTS .*-d 127\.0\.0\.0\/8 --dport 30080 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-/);
    expect(withCounters).toContain('-A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP');
    const without = restored(kubeProxySync(model, w1, undefined, false));
    expect(without).not.toContain('nfacct');
    expect(without).toContain('-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP');
  });

  it('writes the canary chains and the jump rules with the first sync only', () => {
    const first = restored(kubeProxySync(model, w1));
    // The mangle table of its own first; each table's canary declared first, its jumps last. A
    // full sync streams the nat table before the filter table (plan/proxy/iptables-stream.ts).
    expect(first.startsWith('*mangle\n:KUBE-PROXY-CANARY - [0:0]\nCOMMIT\n*nat\n:KUBE-PROXY-CANARY - [0:0]\n')).toBe(true);
    const tables = first.split(/^COMMIT$/m).map((t) => t.trim());
    expect(tables[2]).toMatch(/^\*filter\n:KUBE-PROXY-CANARY - \[0:0\]\n/);
    const jumps = first.split('\n').filter((l) => l.startsWith('-I '));
    expect(jumps).toContain('-I PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
    expect(jumps).toContain('-I FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD');
    expect(new Set(jumps).size).toBe(jumps.length);
    for (const table of tables.slice(1, 3)) {
      const lines = table.split('\n');
      const lastAppend = lines.length - 1 - [...lines].reverse().findIndex((l) => l.startsWith('-A '));
      expect(lines.findIndex((l) => l.startsWith('-I '))).toBeGreaterThan(lastAppend);
    }
    const again = restored(kubeProxySync(model, w1, kubeProxySync(model, w1, undefined, false)!.state, true));
    expect(again).not.toContain('KUBE-PROXY-CANARY');
    expect(again).not.toMatch(/^-I /m);
  });

  it('a re-sync with the same counters is skipped; counters that appear are a change', () => {
    const first = kubeProxySync(model, w1, undefined, true)!;
    expect(kubeProxySync(model, w1, first.state, true)).toBeUndefined();
    const bare = kubeProxySync(model, w1, undefined, false)!;
    expect(restored(kubeProxySync(model, w1, bare.state, true))).toContain('-m nfacct');
  });
});
