import { describe, expect, it } from 'vitest';
import { lineDiff, normaliseIptablesSave, normaliseNftList } from './rules-normalise.js';

describe('rule normal forms for the differential test', () => {
  it('sorts nft elements and blocks, drops counters, keeps rule order', () => {
    const a = `table ip kube-proxy {
\tcomment "rules for kube-proxy"
\tset cluster-ips {
\t\ttype ipv4_addr
\t\telements = { 10.0.0.2, 10.0.0.1,
\t\t\t     10.0.0.3 }
\t}

\tchain b {
\t\tip daddr 1.2.3.4 counter packets 3 bytes 180 jump x
\t\tdrop
\t}
\tchain a {
\t}
}`;
    const b = `table ip kube-proxy {
\tcomment "rules for kube-proxy"
\tchain a {
\t}
\tchain b {
\t\tip daddr 1.2.3.4 jump x
\t\tdrop
\t}
\tset cluster-ips {
\t\ttype ipv4_addr
\t\telements = { 10.0.0.3, 10.0.0.1, 10.0.0.2 }
\t}
}`;
    expect(normaliseNftList(a)).toEqual(normaliseNftList(b));
    expect(normaliseNftList(a)).toContain('set cluster-ips: element 10.0.0.2');
    const swapped = b.replace('ip daddr 1.2.3.4 jump x\n\t\tdrop', 'drop\n\t\tip daddr 1.2.3.4 jump x');
    expect(normaliseNftList(swapped)).not.toEqual(normaliseNftList(a));
  });

  it("keeps kube-proxy's iptables chains and the jumps into them, sorted, without counters", () => {
    const save = `*nat
:PREROUTING ACCEPT [5:300]
:FLANNEL-POSTRTG - [0:0]
:KUBE-SERVICES - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -j FLANNEL-POSTRTG
-A KUBE-SERVICES -d 10.0.0.2/32 -j KUBE-SVC-B
-A KUBE-SERVICES -d 10.0.0.1/32 -j KUBE-SVC-A
COMMIT`;
    expect(normaliseIptablesSave(save)).toEqual([
      'nat -A KUBE-SERVICES -d 10.0.0.1/32 -j KUBE-SVC-A',
      'nat -A KUBE-SERVICES -d 10.0.0.2/32 -j KUBE-SVC-B',
      'nat -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      'nat :KUBE-SERVICES',
    ]);
    expect(lineDiff(['a', 'b', 'b'], ['b', 'c'])).toEqual({ onlyA: ['a', 'b'], onlyB: ['c'] });
  });
});
