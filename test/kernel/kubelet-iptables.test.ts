// kubelet's own iptables state on every node (pkg/kubelet/kubelet_network_linux.go, v1.34.2):
// KUBE-IPTABLES-HINT, the KUBE-KUBELET-CANARY chains, and KUBE-FIREWALL jumped to once from INPUT
// and OUTPUT whatever kube-proxy's mode, kube-proxy's iptables mode not adding its copies of the
// jumps again. Then what the KUBE-FIREWALL rule is for (https://issue.k8s.io/90259): with
// route_localnet=1 (kube-proxy's localhost NodePorts) a neighbour on the node network can reach a
// service the node bound to 127.0.0.1; the rule drops that, and deleting it opens the hole.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { guardLeftovers, lab, sh, waitFor } from './helpers.js';

guardLeftovers('wirelab-kubelet-');
const inNs = (ns: string, ...argv: string[]) => sh(['ip', 'netns', 'exec', ns, ...argv]);

/** kubelet's chains and the KUBE-FIREWALL jumps, as one node's iptables-save shows them. */
function kubeletState(ns: string) {
  const save = inNs(ns, 'iptables-save');
  const tables = Object.fromEntries(
    save
      .split(/^\*/m)
      .slice(1)
      .map((t) => [t.split('\n')[0], t]),
  );
  const count = (table: string, re: RegExp) => (tables[table]?.match(re) ?? []).length;
  return {
    hint: count('mangle', /^:KUBE-IPTABLES-HINT /gm),
    canaries: ['mangle', 'nat', 'filter'].map((t) => count(t, /^:KUBE-KUBELET-CANARY /gm)),
    inputJumps: count('filter', /^-A INPUT -j KUBE-FIREWALL$/gm),
    outputJumps: count('filter', /^-A OUTPUT -j KUBE-FIREWALL$/gm),
    dropRules: count('filter', /^-A KUBE-FIREWALL .*-d 127\.0\.0\.0\/8 .*block incoming localnet connections.* -j DROP$/gm),
  };
}

const ONCE = { hint: 1, canaries: [1, 1, 1], inputJumps: 1, outputJumps: 1, dropRules: 1 };

/** Connects from `from` to 127.0.0.1:9999 of the node at `toIp`, through a route that sends that
 * one destination out of eth0 (the neighbour an attacker controls). True when it connected. */
function connectsToLocalhostOf(from: string): boolean {
  try {
    inNs(from, 'timeout', '3', 'python3', '-c', "import socket; socket.create_connection(('127.0.0.1', 9999), timeout=1)");
    return true;
  } catch {
    return false;
  }
}

describe("kubelet's iptables rules", () => {
  it('every node of an nftables-mode lab has them too (kubelet writes them whatever the mode)', async () => {
    expect((await lab(['up', 'clusterip-nftables'])).code).toBe(0);
    try {
      for (const node of ['controlplane', 'node01']) expect(kubeletState(`wl-clusterip-nftables.${node}`), node).toEqual(ONCE);
    } finally {
      expect((await lab(['down', 'clusterip-nftables'])).code).toBe(0);
    }
  });

  it("iptables mode: once each beside kube-proxy's copy; the drop rule closes route_localnet's hole, and deleting it opens it", async () => {
    expect((await lab(['up', 'nodeport'])).code).toBe(0);
    const target = 'wl-nodeport.w1';
    // Not another node: nodes have the same rule in OUTPUT, which drops such a packet as it leaves.
    const attacker = 'wl-nodeport.client';
    // A node-local service bound to loopback only, as the node's admin meant it.
    const listener = spawn(
      'ip',
      ['netns', 'exec', target, 'python3', '-c', "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',9999))\ns.listen(8)\ntime.sleep(120)"],
      {
        stdio: 'ignore',
      },
    );
    try {
      for (const node of ['cp1', 'w1', 'w2']) expect(kubeletState(`wl-nodeport.${node}`), node).toEqual(ONCE);
      expect(inNs(target, 'sysctl', '-n', 'net.ipv4.conf.all.route_localnet').trim()).toBe('1');
      await waitFor(() => inNs(target, 'ss', '-ltn').includes('127.0.0.1:9999'), 10_000, 'the loopback listener');
      // The external client sends 127.0.0.1:9999 to w1 (10.10.20.4): its own local table must come
      // after the route, and its eth0 must accept loopback addresses too.
      inNs(attacker, 'sysctl', '-q', '-w', 'net.ipv4.conf.all.route_localnet=1', 'net.ipv4.conf.eth0.route_localnet=1');
      inNs(attacker, 'ip', 'rule', 'add', 'pref', '5', 'to', '127.0.0.1/32', 'ipproto', 'tcp', 'dport', '9999', 'table', '99');
      inNs(attacker, 'ip', 'rule', 'add', 'pref', '10', 'table', 'local');
      inNs(attacker, 'ip', 'rule', 'del', 'pref', '0', 'table', 'local');
      inNs(attacker, 'ip', 'route', 'add', '127.0.0.1/32', 'via', '10.10.20.4', 'dev', 'eth0', 'table', '99');

      expect(connectsToLocalhostOf(attacker)).toBe(false);
      expect(inNs(target, 'iptables-save', '-c', '-t', 'filter')).toMatch(
        /^\[[1-9]\d*:\d+\] -A KUBE-FIREWALL .*block incoming localnet connections.* -j DROP$/m,
      );
      // The broken state: without the rule the loopback-only service answers the neighbour.
      inNs(target, 'iptables', '-D', 'KUBE-FIREWALL', '1');
      expect(connectsToLocalhostOf(attacker)).toBe(true);
    } finally {
      listener.kill('SIGKILL');
      expect((await lab(['down', 'nodeport'])).code).toBe(0);
    }
  });
});
