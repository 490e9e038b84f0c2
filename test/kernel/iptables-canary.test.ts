// kube-proxy's and kubelet's iptables Monitors (pkg/util/iptables/iptables.go:612, v1.34.2): a
// node whose tables someone flushed gets kube-proxy's rules back within its sync period (here
// `syncPeriod: 2s` in the lab file; 30 s by default), and kubelet's within its minute, each jump
// rule once. A canary deleted on its own makes kube-proxy sync fully without duplicating the jump
// rules that are still there (EnsureRule).
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { guardLeftovers, lab, ROOT, sh, waitFor } from './helpers.js';

const tmp = guardLeftovers('wirelab-canary-');
const LAB = 'flushed';
const NS = `wl-${LAB}.controlplane`;
const WEB = '10.97.253.216';
const inNs = (...argv: string[]) => sh(['ip', 'netns', 'exec', NS, ...argv]);

/** One HTTP answer from the test-dns pod through web-service's ClusterIP ("" when it failed). */
function web(): string {
  try {
    return sh(['ip', 'netns', 'exec', `wl-${LAB}.test-dns`, 'curl', '-s', '--max-time', '2', `http://${WEB}/`]);
  } catch {
    return '';
  }
}

const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;

/** What kube-proxy and kubelet keep on the node, counted. */
function nodeState() {
  const save = inNs('iptables-save');
  return {
    proxyCanaries: count(save, /^:KUBE-PROXY-CANARY /gm),
    kubeletCanaries: count(save, /^:KUBE-KUBELET-CANARY /gm),
    hint: count(save, /^:KUBE-IPTABLES-HINT /gm),
    servicesJumps: count(save, /^-A PREROUTING .*-j KUBE-SERVICES$/gm),
    firewallJumps: count(save, /^-A (INPUT|OUTPUT) -j KUBE-FIREWALL$/gm),
    dropRules: count(save, /^-A KUBE-FIREWALL .*block incoming localnet connections.* -j DROP$/gm),
    webRule: count(save, /^-A KUBE-SERVICES .*"default\/web-service cluster IP"/gm),
  };
}
const WHOLE = { proxyCanaries: 3, kubeletCanaries: 3, hint: 1, servicesJumps: 1, firewallJumps: 2, dropRules: 1, webRule: 1 };

describe('iptables canaries', () => {
  it('a flushed node gets kube-proxy rules back within its sync period and kubelet rules within a minute, each jump once', async () => {
    const file = join(tmp(), 'flushed.yaml');
    const source = readFileSync(join(ROOT, 'labs/clusterip.yaml'), 'utf8');
    writeFileSync(
      file,
      source.replace(/^name: clusterip$/m, `name: ${LAB}`).replace('kubeProxy: { mode: iptables }', 'kubeProxy: { mode: iptables, syncPeriod: 2s }'),
    );
    expect((await lab(['up', file], 180_000)).code).toBe(0);
    try {
      expect(web()).toMatch(/^web-/);
      expect(nodeState()).toEqual(WHOLE);

      // Someone flushes every table of the node (the listing right after, in the same shell, shows
      // the rules gone before kube-proxy's next check can bring them back).
      const flush = 'for t in nat filter mangle; do iptables -t $t -F && iptables -t $t -X; done && iptables-save';
      const afterFlush = inNs('sh', '-c', flush);
      expect(count(afterFlush, /KUBE-/g)).toBe(0);
      // kube-proxy's canary is gone: its full sync within the period (2 s, then up to 5 s for
      // every table to be seen flushed) puts its rules and jumps back, kubelet's KUBE-FIREWALL
      // jumps included (iptablesKubeletJumpChains).
      await waitFor(() => web().startsWith('web-'), 30_000, 'web-service to answer again');
      const back = nodeState();
      expect(back).toMatchObject({ proxyCanaries: 3, servicesJumps: 1, firewallJumps: 2, dropRules: 1, webRule: 1 });
      // kubelet's Monitor checks once a minute: its hint and canaries come back then.
      await waitFor(() => nodeState().hint === 1 && nodeState().kubeletCanaries === 3, 75_000, "kubelet's chains to come back");
      expect(nodeState()).toEqual(WHOLE);

      // Only kube-proxy's mangle canary deleted: after waiting 5 s for the other tables, kube-proxy
      // syncs fully; the jumps that are still there stay once.
      const before = inNs('iptables-save', '-c', '-t', 'nat');
      const svcChain = /"default\/web-service cluster IP".* -j (KUBE-SVC-\S+)$/m.exec(before)![1];
      expect(web()).toMatch(/^web-/);
      inNs('iptables', '-t', 'mangle', '-X', 'KUBE-PROXY-CANARY');
      // A full sync rewrites web-service's chain: its counters start again.
      const packets = () =>
        [...inNs('iptables-save', '-c', '-t', 'nat').matchAll(new RegExp(`^\\[(\\d+):\\d+\\] -A ${svcChain} `, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
      expect(packets()).toBeGreaterThan(0);
      await waitFor(() => packets() === 0, 30_000, "web-service's chain to be rewritten by a full sync");
      await waitFor(() => nodeState().proxyCanaries === 3, 10_000, "kube-proxy's canary to come back");
      expect(nodeState()).toEqual(WHOLE);
    } finally {
      expect((await lab(['down', LAB])).code).toBe(0);
    }
  }, 300_000);
});
