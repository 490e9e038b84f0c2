import { describe, expect, it } from 'vitest';
import {
  lineDiff,
  normaliseIpDevice,
  normaliseIpsetSave,
  normaliseIptablesSave,
  normaliseIpvsadmSave,
  normaliseNftList,
  unexplainedDifferences,
} from './rules-normalise.js';

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

describe('IPVS mode normal forms', () => {
  it('ipvsadm-save: sorted lines, nothing else changed', () => {
    const a = '-A -t 10.96.0.10:53 -s rr\n-a -t 10.96.0.10:53 -r 10.244.1.2:53 -m -w 1\n-A -t 10.96.0.1:443 -s rr\n';
    const b = '-A -t 10.96.0.1:443 -s rr\n-A -t 10.96.0.10:53 -s rr\n-a -t 10.96.0.10:53 -r 10.244.1.2:53 -m -w 1\n';
    expect(normaliseIpvsadmSave(a)).toEqual(normaliseIpvsadmSave(b));
    // A weight, a scheduler or a forwarding method is a difference.
    expect(normaliseIpvsadmSave(a.replace('-w 1', '-w 0'))).not.toEqual(normaliseIpvsadmSave(b));
    expect(normaliseIpvsadmSave(a.replace(':53 -s rr', ':53 -s wrr'))).not.toEqual(normaliseIpvsadmSave(b));
    expect(normaliseIpvsadmSave(a.replace('-m -w', '-g -w'))).not.toEqual(normaliseIpvsadmSave(b));
  });

  it('ipset save: members sorted and the random hash seed dropped; types, options and members kept', () => {
    const a = `create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x1b2c3d4e
add KUBE-CLUSTER-IP 10.96.0.1,tcp:443
add KUBE-CLUSTER-IP 10.96.0.10,udp:53
create KUBE-NODE-PORT-TCP bitmap:port range 0-65535
`;
    const b = `create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x99aabbcc
add KUBE-CLUSTER-IP 10.96.0.10,udp:53
add KUBE-CLUSTER-IP 10.96.0.1,tcp:443
create KUBE-NODE-PORT-TCP bitmap:port range 0-65535
`;
    expect(normaliseIpsetSave(a)).toEqual(normaliseIpsetSave(b));
    expect(normaliseIpsetSave(a)).toContain('create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536 bucketsize 12');
    expect(normaliseIpsetSave(a.replace('hashsize 1024', 'hashsize 4096'))).not.toEqual(normaliseIpsetSave(b));
    expect(normaliseIpsetSave(a.replace('10.96.0.10,udp:53', '10.96.0.10,tcp:53'))).not.toEqual(normaliseIpsetSave(b));
    expect(normaliseIpsetSave(a.replace('bitmap:port', 'hash:port'))).not.toEqual(normaliseIpsetSave(b));
  });

  it('a device: flags, state and addresses; not its index, MAC or address order', () => {
    const link = (i: number, mac: string) =>
      `${i}: kube-ipvs0: <BROADCAST,NOARP> mtu 1500 qdisc noop state DOWN mode DEFAULT group default \\    link/ether ${mac} brd ff:ff:ff:ff:ff:ff\n`;
    const addr = (ips: string[]) =>
      ips.map((ip, i) => `${7 + i}: kube-ipvs0    inet ${ip}/32 scope global kube-ipvs0\\       valid_lft forever preferred_lft forever`).join('\n');
    const a = normaliseIpDevice(link(5, '2a:11:22:33:44:55'), addr(['10.96.0.1', '10.96.0.10']));
    expect(a).toEqual(normaliseIpDevice(link(9, 'c6:aa:bb:cc:dd:ee'), addr(['10.96.0.10', '10.96.0.1'])));
    expect(a).toEqual([
      'kube-ipvs0: <BROADCAST,NOARP> mtu 1500 qdisc noop state DOWN mode DEFAULT group default link/ether',
      'inet 10.96.0.1/32',
      'inet 10.96.0.10/32',
    ]);
    expect(normaliseIpDevice(link(5, '2a:11:22:33:44:55').replace('<BROADCAST,NOARP>', '<BROADCAST,NOARP,UP,LOWER_UP>'), addr(['10.96.0.1']))[0]).not.toEqual(
      a[0],
    );
    expect(normaliseIpDevice(link(5, 'x'), addr(['10.96.0.1', '10.96.0.2']))).not.toEqual(a);
  });
});

describe('known differences', () => {
  const known = [{ side: 'real' as const, line: /^x /, why: 'test' }];
  it('explains the listed lines, reports the others and the entries that did not occur', () => {
    expect(unexplainedDifferences(['a', 'x 1'], ['a', 'b'], known)).toEqual({ onlyReal: [], onlyWirelab: ['b'], unused: [] });
    expect(unexplainedDifferences(['a', 'c'], ['a'], known)).toEqual({ onlyReal: ['c'], onlyWirelab: [], unused: ['real: /^x /'] });
    // A line on the other side than the entry says is not explained.
    expect(unexplainedDifferences(['a'], ['a', 'x 1'], known).onlyWirelab).toEqual(['x 1']);
  });
});
