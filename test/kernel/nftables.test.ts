// kube-proxy's nftables mode on real kernel state: the two nftables labs pass; deleting one
// endpoint chain's DNAT rule makes the expectation that depends on it fail where the packet
// stopped; a Service deleted through the API leaves the table by a partial sync that does not
// rewrite the other services' chains (their rule handles stay), and its chains, flushed at once,
// are deleted a second later. iptables mode's localhost NodePorts work through route_localnet,
// counted by kube-proxy's nfacct counter.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { failedExpectation, guardLeftovers, lab, sh, waitFor } from './helpers.js';

const tmp = guardLeftovers('wirelab-nft-');
const nftList = (ns: string, ...what: string[]) => sh(['ip', 'netns', 'exec', ns, 'nft', ...what]);

describe('kube-proxy nftables mode', () => {
  for (const name of ['clusterip-nftables', 'nodeport-nftables']) {
    it(`${name} passes`, async () => {
      const out = tmp();
      const r = await lab(['run', name, '--out', out]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
      expect(report.expectations.filter((e: { passed: boolean }) => !e.passed)).toEqual([]);
    });
  }

  it("fails the NodePort (Local) expectation at pod-d when its endpoint chain's dnat rule is deleted", async () => {
    expect((await lab(['up', 'nodeport-nftables'])).code).toBe(0);
    try {
      const ns = 'wl-nodeport-nftables.w2';
      const table = nftList(ns, '-a', 'list', 'table', 'ip', 'kube-proxy');
      // The endpoint chain of web-local for pod-d, and its DNAT rule's handle.
      const chain = /chain (endpoint-\S+-default\/web-local\/tcp\/__10\.8\.1\.10\/80) \{[^}]*?meta l4proto tcp dnat to 10\.8\.1\.10:80 # handle (\d+)/.exec(
        table,
      );
      expect(chain, table).not.toBeNull();
      sh(['ip', 'netns', 'exec', ns, 'nft', 'delete', 'rule', 'ip', 'kube-proxy', chain![1], 'handle', chain![2]]);
      expect(nftList(ns, 'list', 'chain', 'ip', 'kube-proxy', chain![1])).not.toContain('dnat to');

      const local = await failedExpectation('nodeport-nftables', tmp(), 'external -> NodePort (Local) on w2');
      expect(local.message).toContain('hop pod-d/eth0');
      expect(local.message).toContain('packet last seen at w2/eth0');
    } finally {
      expect((await lab(['down', 'nodeport-nftables'])).code).toBe(0);
    }
  });

  it('a deleted Service leaves by a partial sync: other chains keep their rules, its chains are flushed, then deleted', async () => {
    expect((await lab(['up', 'clusterip-nftables'])).code).toBe(0);
    try {
      const ns = 'wl-clusterip-nftables.controlplane';
      const handles = (text: string, svc: string) =>
        [...text.matchAll(new RegExp(`chain (\\S+-default/${svc}/tcp/\\S*) \\{([^}]*)\\}`, 'g'))].map(
          (m) => `${m[1]} ${[...m[2].matchAll(/# handle (\d+)/g)].map((h) => h[1]).join(',')}`,
        );
      const before = nftList(ns, '-a', 'list', 'table', 'ip', 'kube-proxy');
      const webService = handles(before, 'web-service');
      expect(webService.length).toBe(4); // the service chain and three endpoint chains
      expect(handles(before, 'web-sticky').length).toBe(4);
      const stickyIp = /(\S+) \. tcp \. 80 : goto service-\S+-default\/web-sticky\/tcp\//.exec(before)![1];

      const del = await lab(['kubectl', 'clusterip-nftables', '--', 'delete', 'service', 'web-sticky']);
      expect(del.code, del.stdout + del.stderr).toBe(0);
      await waitFor(() => !nftList(ns, 'list', 'table', 'ip', 'kube-proxy').includes('web-sticky'), 20_000, 'web-sticky to leave the table');
      const after = nftList(ns, '-a', 'list', 'table', 'ip', 'kube-proxy');
      expect(after).not.toMatch(new RegExp(`\\b${stickyIp.replace(/\./g, '\\.')}\\b`));
      expect(after).not.toContain('affinity-');
      // A full sync would have flushed and rewritten web-service's chains (new handles).
      expect(handles(after, 'web-service')).toEqual(webService);
    } finally {
      expect((await lab(['down', 'clusterip-nftables'])).code).toBe(0);
    }
  });

  it('iptables mode: a node reaches a NodePort on 127.0.0.1 (route_localnet=1), and does not once it is reset', async () => {
    expect((await lab(['up', 'nodeport'])).code).toBe(0);
    try {
      const ns = 'wl-nodeport.w1';
      const curl = () => lab(['exec', 'nodeport', 'w1', '--', 'curl', '-s', '--max-time', '3', 'http://127.0.0.1:30080/']);
      expect(sh(['ip', 'netns', 'exec', ns, 'sysctl', '-n', 'net.ipv4.conf.all.route_localnet']).trim()).toBe('1');
      const ok = await curl();
      expect(ok.code, ok.stdout + ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/^pod-[ad]$/);
      // The node agent created kube-proxy's nfacct counters (this kernel has nfnetlink_acct), so
      // the localhost NodePort rule counts what it accepts, as upstream's does (iptables-nft's
      // listing puts two spaces before the counter's name).
      expect(sh(['ip', 'netns', 'exec', ns, 'iptables-save', '-t', 'nat'])).toMatch(
        /-A KUBE-NODEPORTS -d 127\.0\.0\.0\/8 .*--dport 30080 -m nfacct --nfacct-name\s+localhost_nps_accepted_pkts -j KUBE-EXT-/,
      );
      expect(sh(['ip', 'netns', 'exec', ns, 'iptables-save', '-t', 'filter'])).toMatch(/-m nfacct --nfacct-name\s+ct_state_invalid_dropped_pkts -j DROP/);
      const accepted = /pkts = 0*(\d+),/.exec(sh(['ip', 'netns', 'exec', ns, 'nfacct', 'get', 'localhost_nps_accepted_pkts']));
      expect(Number(accepted?.[1])).toBeGreaterThan(0);
      sh(['ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv4.conf.all.route_localnet=0']);
      expect((await curl()).code).not.toBe(0);
    } finally {
      expect((await lab(['down', 'nodeport'])).code).toBe(0);
    }
  });
});
