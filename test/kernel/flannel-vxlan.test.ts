// The flannel-vxlan lab on real kernel state: it passes, its artefacts are readable by tcpdump,
// and breaking one piece of state (w1's FDB entry for w2) makes the cross-node expectation fail
// naming the hop where the packet was last seen.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { guardLeftovers, lab, sh } from './helpers.js';
import { vtepMac } from '../../src/plan/cni/flannel-vxlan.js';

const tmp = guardLeftovers('wirelab-out-');

describe('flannel-vxlan lab', () => {
  it('passes every expectation and writes report.json, junit.xml and readable pcaps', async () => {
    const out = tmp();
    const r = await lab(['run', 'flannel-vxlan', '--out', out]);
    expect(r.stdout).toContain('PASSED');
    expect(r.code, r.stdout + r.stderr).toBe(0);

    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.lab).toBe('flannel-vxlan');
    expect(report.passed).toBe(true);
    expect(typeof report.durationMs).toBe('number');
    expect(report.expectations.length).toBe(6);
    for (const e of report.expectations) {
      expect(e).toMatchObject({ passed: true });
      expect(e.hops.length).toBeGreaterThan(0);
      for (const h of e.hops) expect(Object.keys(h).sort()).toEqual(['at', 'detail', 'passed']);
    }
    const junit = readFileSync(join(out, 'junit.xml'), 'utf8');
    expect(junit.match(/<testcase /g)?.length).toBe(6);
    expect(junit).not.toContain('<failure');

    const pcaps = readdirSync(join(out, 'pcaps')).sort();
    expect(pcaps).toEqual([
      'pod-a_eth0.pcap',
      'pod-b_eth0.pcap',
      'pod-d_eth0.pcap',
      'underlay_br0.pcap',
      'w1_cni0.pcap',
      'w1_eth0.pcap',
      'w1_flannel.1.pcap',
      'w2_flannel.1.pcap',
    ]);
    // tcpdump reads our files; -T vxlan because tcpdump's default for UDP 8472 is OTV.
    const dump = sh(['tcpdump', '-nn', '-r', join(out, 'pcaps', 'underlay_br0.pcap'), '-T', 'vxlan', 'udp port 8472']);
    expect(dump).toMatch(/10\.10\.20\.4\.\d+ > 10\.10\.20\.5\.8472: VXLAN, flags \[I\] \(0x08\), vni 1/);
    expect(dump).toMatch(/10\.8\.0\.5 > 10\.8\.1\.10: ICMP echo request/);
  });

  it('fails the cross-node expectation, naming the last hop seen, when w1 loses its FDB entry for w2', async () => {
    const out = tmp();
    expect((await lab(['up', 'flannel-vxlan'])).code).toBe(0);
    try {
      // Sanity: the entry flannel programs is there before we break it.
      const mac = vtepMac('flannel-vxlan', 'w2');
      const fdb = sh(['bridge', '-n', 'wl-flannel-vxlan.w1', 'fdb', 'show', 'dev', 'flannel.1']);
      expect(fdb).toContain(`${mac} dst 10.10.20.5 self permanent`);
      sh(['bridge', '-n', 'wl-flannel-vxlan.w1', 'fdb', 'del', mac, 'dev', 'flannel.1', 'dst', '10.10.20.5', 'self']);

      const r = await lab(['test', 'flannel-vxlan', '--out', out]);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stdout).toContain('FAILED');
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
      expect(report.passed).toBe(false);
      const byName = Object.fromEntries(report.expectations.map((e: { name: string }) => [e.name, e]));
      const cross = byName['cross-node pod-a -> pod-d is VXLAN-encapsulated, without NAT'];
      expect(cross.passed).toBe(false);
      expect(cross.message).toContain('packet last seen at w1/flannel.1');
      expect(cross.message).toContain('hop w1/eth0');
      const underlayHop = cross.hops.find((h: { at: string }) => h.at === 'w1/eth0');
      expect(underlayHop.passed).toBe(false);
      // Same-node traffic does not need the FDB: it still passes.
      expect(byName['same-node pod-a -> pod-b stays on the cni0 bridge'].passed).toBe(true);
      expect(readFileSync(join(out, 'junit.xml'), 'utf8')).toContain('<failure');
    } finally {
      expect((await lab(['down', 'flannel-vxlan'])).code).toBe(0);
    }
  });

  it("fails the same-node expectation when pod-b's veth is taken off the cni0 bridge", async () => {
    const out = tmp();
    expect((await lab(['up', 'flannel-vxlan'])).code).toBe(0);
    try {
      const veth = sh(['ip', '-n', 'wl-flannel-vxlan.w1', '-o', 'link', 'show', 'master', 'cni0'])
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(':')[1].trim().split('@')[0]);
      expect(veth.length).toBe(2);
      const podB = sh(['ip', '-n', 'wl-flannel-vxlan.w1', '-d', '-o', 'link', 'show'])
        .split('\n')
        .find((l) => l.includes('link-netns wl-flannel-vxlan.pod-b'))!
        .split(':')[1]
        .trim()
        .split('@')[0];
      sh(['ip', '-n', 'wl-flannel-vxlan.w1', 'link', 'set', podB, 'nomaster']);
      const r = await lab(['test', 'flannel-vxlan', '--out', out]);
      expect(r.code).toBe(1);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
      const same = report.expectations.find((e: { name: string }) => e.name.startsWith('same-node'));
      expect(same.passed).toBe(false);
      expect(same.message).toContain('expected a reply, got none');
      // pod-a's ARP for pod-b finds nobody on the bridge: the SYN never leaves pod-a.
      expect(same.hops.find((h: { at: string }) => h.at === 'pod-b/eth0').passed).toBe(false);
      expect(same.hops.find((h: { at: string }) => h.at === 'w1/cni0').passed).toBe(false);
    } finally {
      expect((await lab(['down', 'flannel-vxlan'])).code).toBe(0);
    }
  });

  it('up, exec, test and down as separate commands; a second up is refused', async () => {
    expect((await lab(['up', 'flannel-vxlan'])).code).toBe(0);
    try {
      const again = await lab(['up', 'flannel-vxlan']);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('already up');
      const ex = await lab(['exec', 'flannel-vxlan', 'pod-a', '--', 'ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0']);
      expect(ex.code).toBe(0);
      expect(ex.stdout).toContain('inet 10.8.0.5/24');
      const routes = await lab(['exec', 'flannel-vxlan', 'w1', '--', 'ip', 'route', 'show', 'dev', 'flannel.1']);
      expect(routes.stdout).toContain('10.8.1.0/24 via 10.8.1.0 onlink');
      const rules = await lab(['exec', 'flannel-vxlan', 'w1', '--', 'iptables-save']);
      expect(rules.stdout).toContain('-A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG');
      expect(rules.stdout).toContain('-A FLANNEL-POSTRTG -s 10.8.0.0/24 -d 10.8.0.0/16 -m comment --comment "flanneld masq" -j RETURN');
      expect(rules.stdout).toContain('-A FLANNEL-FWD -s 10.8.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT');
      const unknown = await lab(['exec', 'flannel-vxlan', 'pod-z', '--', 'true']);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('pod-a');
      const list = await lab(['list']);
      expect(list.stdout).toMatch(/flannel-vxlan\s+up/);
      const t = await lab(['test', 'flannel-vxlan']);
      expect(t.code, t.stdout + t.stderr).toBe(0);
      // subnet.env as flanneld writes it, kept in the lab's state directory.
      expect(readFileSync('/run/wirelab/flannel-vxlan/nodes/w2/run/flannel/subnet.env', 'utf8')).toBe(
        'FLANNEL_NETWORK=10.8.0.0/16\nFLANNEL_SUBNET=10.8.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n',
      );
    } finally {
      const down = await lab(['down', 'flannel-vxlan']);
      expect(down.code).toBe(0);
    }
    expect(existsSync('/run/wirelab/flannel-vxlan')).toBe(false);
  });
});
