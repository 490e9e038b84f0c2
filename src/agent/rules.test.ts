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

  it('a re-sync with the same counters is skipped; counters that appear are a change', () => {
    const first = kubeProxySync(model, w1, undefined, true)!;
    expect(kubeProxySync(model, w1, first.state, true)).toBeUndefined();
    const bare = kubeProxySync(model, w1, undefined, false)!;
    expect(restored(kubeProxySync(model, w1, bare.state, true))).toContain('-m nfacct');
  });
});
