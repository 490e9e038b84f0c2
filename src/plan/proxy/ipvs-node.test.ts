// Unit tests for kube-proxy's IPVS mode on a lab node (src/plan/proxy/ipvs-node.ts), pure: nothing
// here needs IPVS or dummy devices in the kernel (this machine has neither).
//
// A lab model (ClusterIP 10.96.10.50:80 with endpoints 10.8.0.5 on w1 and 10.8.1.10 on w2,
// NodePort 30080, MetalLB LoadBalancer 10.10.20.201, sessionAffinity ClientIP) planned for
// node w1: kube-ipvs0, sysctls, ipset/ipvsadm/iptables restore inputs, plus a golden file
// (__golden__/ipvs-loadbalancer-w1.golden.txt) of every op.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLabSource } from '../../labfile/load.js';
import { resolveModel } from '../../model/resolve.js';
import { cniBackend } from '../cni/registry.js';
import type { ClusterModel } from '../../model/types.js';
import type { Op } from '../types.js';
import { IPVS_REQUIRES, nodeLocalAddresses, planIpvsNode } from './ipvs-node.js';
import { ipvsSysctls } from './ipvs-sysctls.js';
import { chainRules, ipsetMembers } from './testing/ipvs-helpers.js';

/** What the lab's pod network reports it put on a node (cni0's gateway, flannel.1's address). */
const podNetworkAddresses = (model: ClusterModel, node: string): string[] => cniBackend('flannel-vxlan').plan(model).nodeAddresses[node] ?? [];

// ---- the lab model ----------------------------------------------------------------------------

const LAB = `
name: ipvs-unit
description: ClusterIP + NodePort + MetalLB LoadBalancer with ClientIP affinity, kube-proxy in IPVS mode
underlay:
  cidr: 10.10.20.0/22
cluster:
  podCIDR: 10.8.0.0/16
  serviceCIDR: 10.96.0.0/12
  cni: flannel-vxlan
  kubeProxy: { mode: ipvs }
nodes:
  - { name: cp1, ip: 10.10.20.3, role: control-plane }
  - { name: w1, ip: 10.10.20.4, podCIDR: 10.8.0.0/24 }
  - { name: w2, ip: 10.10.20.5, podCIDR: 10.8.1.0/24 }
manifests:
  - apiVersion: metallb.io/v1beta1
    kind: IPAddressPool
    metadata: { name: lab-pool, namespace: metallb-system }
    spec: { addresses: [10.10.20.201-10.10.20.250] }
  - apiVersion: metallb.io/v1beta1
    kind: L2Advertisement
    metadata: { name: lab-l2, namespace: metallb-system }
    spec: { ipAddressPools: [lab-pool] }
  - &pod
    apiVersion: v1
    kind: Pod
    metadata: { name: pod-a, labels: { app: web }, annotations: { wirelab.io/ip: 10.8.0.5 } }
    spec:
      nodeName: w1
      containers: [{ name: web, image: registry.k8s.io/e2e-test-images/agnhost:2.53, args: [serve-hostname, --port=80] }]
  - <<: *pod
    metadata: { name: pod-d, labels: { app: web }, annotations: { wirelab.io/ip: 10.8.1.10 } }
    spec:
      nodeName: w2
      containers: [{ name: web, image: registry.k8s.io/e2e-test-images/agnhost:2.53, args: [serve-hostname, --port=80] }]
  - apiVersion: v1
    kind: Service
    metadata: { name: web }
    spec:
      type: LoadBalancer
      clusterIP: 10.96.10.50
      selector: { app: web }
      sessionAffinity: ClientIP
      ports: [{ port: 80, targetPort: 80, nodePort: 30080 }]
`;

function labModel(): ClusterModel {
  return resolveModel(parseLabSource(LAB, 'ipvs-unit.yaml'));
}

function node(model: ClusterModel, name: string) {
  return model.nodes.find((n) => n.name === name)!;
}

/** Every op as text, for the golden file. */
function renderOps(ops: Op[]): string {
  return ops
    .map((op) => {
      switch (op.kind) {
        case 'ip':
          return `ip -n ${op.netns} ${op.args.join(' ')}`;
        case 'sysctl':
          return `sysctl -n ${op.netns} ${op.key}=${op.value}${op.optional ? ' (optional)' : ''}`;
        case 'restore':
          return `${op.tool === 'ipset' ? 'ipset restore -exist' : 'ipvsadm-restore'} -n ${op.netns} <<EOF\n${op.input}EOF`;
        case 'iptables-restore':
          return `iptables-restore --noflush -n ${op.netns} <<EOF\n${op.rules}EOF`;
        default:
          return JSON.stringify(op);
      }
    })
    .join('\n');
}

describe('planIpvsNode on a lab model (ClusterIP + NodePort + LoadBalancer, ClientIP affinity)', () => {
  const model = labModel();
  const w1 = node(model, 'w1');
  const plan = planIpvsNode(model, w1, podNetworkAddresses(model, 'w1'));
  const ns = 'wl-ipvs-unit.w1';
  const byTool = (tool: 'ipset' | 'ipvsadm'): string => {
    const op = [...plan.ruleOps, ...plan.nodeOps].find((o) => o.kind === 'restore' && o.tool === tool);
    return op && op.kind === 'restore' ? op.input : '';
  };
  const iptables = (): string => {
    const op = plan.ruleOps.find((o) => o.kind === 'iptables-restore');
    return op && op.kind === 'iptables-restore' ? String(op.rules) : '';
  };

  it('the model is what the test is about', () => {
    const svc = model.services.find((s) => s.name === 'web')!;
    expect(svc.clusterIP).toBe('10.96.10.50');
    expect(svc.loadBalancerIPs).toEqual(['10.10.20.201']);
    expect(svc.ports[0].nodePort).toBe(30080);
    expect(svc.sessionAffinity).toBe('ClientIP');
    expect(model.kubeProxy).toBe('ipvs');
  });

  it('requires IPVS, dummy devices, ipset and conntrack', () => {
    expect(IPVS_REQUIRES).toEqual(['CONFIG_IP_VS', 'CONFIG_DUMMY', 'CONFIG_IP_SET', 'CONFIG_NF_CONNTRACK']);
  });

  it('orders the rule ops ipset, iptables-restore in the node namespace; the virtual servers come with the node step, once its routes exist', () => {
    expect(plan.ruleOps.map((o) => (o.kind === 'restore' ? o.tool : o.kind))).toEqual(['ipset', 'iptables-restore']);
    expect(plan.ruleOps.every((o) => 'netns' in o && o.netns === ns)).toBe(true);
    // ip_vs_new_dest refuses a real server the node cannot route ("address not unicast").
    expect(plan.nodeOps[0]).toMatchObject({ kind: 'restore', tool: 'ipvsadm', netns: ns });
  });

  it('creates kube-ipvs0 as a dummy device (left down, EnsureDummyDevice) and binds ClusterIP and LB IP as /32', () => {
    const ipOps = plan.nodeOps.filter((o) => o.kind === 'ip').map((o) => (o.kind === 'ip' ? o.args.join(' ') : ''));
    expect(ipOps).toEqual(['link add kube-ipvs0 txqueuelen 0 type dummy', 'addr add 10.96.10.50/32 dev kube-ipvs0', 'addr add 10.10.20.201/32 dev kube-ipvs0']);
    expect(ipOps.some((l) => l.includes(' up'))).toBe(false);
  });

  it('sets NewProxier sysctls (required), strict ARP because the lab runs MetalLB', () => {
    const sysctls = plan.nodeOps.filter((o) => o.kind === 'sysctl').map((o) => (o.kind === 'sysctl' ? [o.key, o.value, o.optional] : []));
    expect(sysctls).toEqual([
      ['net.ipv4.vs.conntrack', '1', false],
      ['net.ipv4.vs.expire_nodest_conn', '1', false],
      ['net.ipv4.vs.expire_quiescent_template', '1', false],
      ['net.ipv4.ip_forward', '1', false],
      ['net.ipv4.conf.all.arp_ignore', '1', false],
      ['net.ipv4.conf.all.arp_announce', '2', false],
    ]);
  });

  it('fills the ipsets (Entry.String formats)', () => {
    const text = byTool('ipset');
    expect(text).toContain('create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536\n');
    expect(text).toContain('create KUBE-LOOP-BACK hash:ip,port,ip family inet hashsize 1024 maxelem 65536\n');
    expect(text).toContain('create KUBE-NODE-PORT-TCP bitmap:port range 0-65535\n');
    expect(text).toContain('create KUBE-LOAD-BALANCER-SOURCE-CIDR hash:ip,port,net family inet hashsize 1024 maxelem 65536\n');
    expect(text).toContain('create KUBE-IPVS-IPS hash:ip family inet hashsize 1024 maxelem 65536\n');
    expect(ipsetMembers(text, 'KUBE-CLUSTER-IP')).toEqual(['10.96.10.50,tcp:80']);
    expect(ipsetMembers(text, 'KUBE-LOAD-BALANCER')).toEqual(['10.10.20.201,tcp:80']);
    expect(ipsetMembers(text, 'KUBE-NODE-PORT-TCP')).toEqual(['30080']);
    // Only w1's own endpoint loops back (hairpin SNAT).
    expect(ipsetMembers(text, 'KUBE-LOOP-BACK')).toEqual(['10.8.0.5,tcp:80,10.8.0.5']);
    expect(ipsetMembers(text, 'KUBE-IPVS-IPS')).toEqual(['10.10.20.201', '10.96.10.50']);
    for (const empty of [
      'KUBE-EXTERNAL-IP',
      'KUBE-EXTERNAL-IP-LOCAL',
      'KUBE-LOAD-BALANCER-LOCAL',
      'KUBE-LOAD-BALANCER-FW',
      'KUBE-NODE-PORT-LOCAL-TCP',
      'KUBE-HEALTH-CHECK-NODE-PORT',
    ]) {
      expect(ipsetMembers(text, empty), empty).toEqual([]);
      expect(text).toContain(`create ${empty} `); // every set of ipsetInfo exists (ensureIPSet)
    }
  });

  it('creates persistent rr virtual servers on ClusterIP, LB IP and every node address (NodePort)', () => {
    const text = byTool('ipvsadm');
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('-C');
    const vips = ['10.96.10.50:80', '10.10.20.201:80', '10.8.0.0:30080', '10.8.0.1:30080', '10.10.20.4:30080'];
    expect(lines.filter((l) => l.startsWith('-A '))).toEqual(vips.map((v) => `-A -t ${v} -s rr -p 10800`));
    for (const v of vips) {
      expect(lines.filter((l) => l.startsWith(`-a -t ${v} `))).toEqual([`-a -t ${v} -r 10.8.0.5:80 -m -w 1`, `-a -t ${v} -r 10.8.1.10:80 -m -w 1`]);
    }
  });

  it('writes the iptables rules of TestLoadBalancer / TestNodePortIPv4 for this service', () => {
    const text = iptables();
    expect(text).toContain(
      '-A KUBE-SERVICES -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP dst,dst ! -s 10.8.0.0/16 -j KUBE-MARK-MASQ\n',
    );
    expect(text).toContain(
      '-A KUBE-SERVICES -m comment --comment "Kubernetes service lb portal" -m set --match-set KUBE-LOAD-BALANCER dst,dst -j KUBE-LOAD-BALANCER\n',
    );
    expect(text).toContain(
      '-A KUBE-NODE-PORT -p tcp -m comment --comment "Kubernetes nodeport TCP port for masquerade purpose" -m set --match-set KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ\n',
    );
    expect(text).toContain(
      '-A KUBE-POSTROUTING -m comment --comment "Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose" -m set --match-set KUBE-LOOP-BACK dst,dst,src -j MASQUERADE\n',
    );
    expect(chainRules(text, 'KUBE-SERVICES').map((r) => [r.jump, r.matchSet])).toEqual([
      ['RETURN', ''],
      ['KUBE-LOAD-BALANCER', 'KUBE-LOAD-BALANCER'],
      ['KUBE-MARK-MASQ', 'KUBE-CLUSTER-IP'],
      ['KUBE-NODE-PORT', ''],
      ['ACCEPT', 'KUBE-CLUSTER-IP'],
      ['ACCEPT', 'KUBE-LOAD-BALANCER'],
    ]);
    expect(chainRules(text, 'KUBE-LOAD-BALANCER').map((r) => r.raw)).toEqual(['-A KUBE-LOAD-BALANCER -j KUBE-MARK-MASQ']);
    expect(chainRules(text, 'KUBE-POSTROUTING').map((r) => r.raw)).toEqual([
      '-A KUBE-POSTROUTING -m comment --comment "Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose" -m set --match-set KUBE-LOOP-BACK dst,dst,src -j MASQUERADE',
      '-A KUBE-POSTROUTING -m mark ! --mark 0x00004000/0x00004000 -j RETURN',
      '-A KUBE-POSTROUTING -j MARK --xor-mark 0x00004000',
      '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    ]);
    expect(chainRules(text, 'KUBE-MARK-MASQ').map((r) => r.raw)).toEqual(['-A KUBE-MARK-MASQ -j MARK --or-mark 0x00004000']);
  });

  it("installs the jumps of ipvs iptablesJumpChain (not iptables mode's) as -I lines before COMMIT", () => {
    const text = iptables();
    const nat = text.split('*nat\n')[1].split('COMMIT')[0];
    const filter = text.split('*filter\n')[1].split('COMMIT')[0];
    expect(nat.split('\n').filter((l) => l.startsWith('-I '))).toEqual([
      '-I OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-I PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-I POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    ]);
    expect(filter.split('\n').filter((l) => l.startsWith('-I '))).toEqual([
      '-I FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
      '-I INPUT -m comment --comment "kubernetes health check rules" -j KUBE-NODE-PORT',
      '-I INPUT -m comment --comment "kube-proxy firewall rules" -j KUBE-PROXY-FIREWALL',
      '-I FORWARD -m comment --comment "kube-proxy firewall rules" -j KUBE-PROXY-FIREWALL',
      '-I INPUT -m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-FILTER',
      '-I OUTPUT -m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-OUT-FILTER',
    ]);
    // None of iptables mode's chains: no KUBE-EXTERNAL-SERVICES / KUBE-NODEPORTS / KUBE-SVC-*.
    expect(text).not.toMatch(/KUBE-EXTERNAL-SERVICES|KUBE-NODEPORTS|KUBE-SVC-|KUBE-SEP-/);
  });

  it('matches the golden file for w1', () => {
    const file = new URL('./__golden__/ipvs-loadbalancer-w1.golden.txt', import.meta.url);
    const actual = renderOps([...plan.ruleOps, ...plan.nodeOps]) + '\n';
    // WIRELAB_UPDATE_GOLDEN=1 rewrites it after an intended change (read the diff before committing).
    if (process.env.WIRELAB_UPDATE_GOLDEN === '1') writeFileSync(file, actual);
    expect(actual).toBe(readFileSync(file, 'utf8'));
  });

  it('w2 loops back its own endpoint; cp1 (no endpoints) loops back none', () => {
    const set = (n: string): string[] => {
      const op = planIpvsNode(model, node(model, n), podNetworkAddresses(model, n)).ruleOps[0];
      return op.kind === 'restore' ? ipsetMembers(op.input, 'KUBE-LOOP-BACK') : [];
    };
    expect(set('w2')).toEqual(['10.8.1.10,tcp:80,10.8.1.10']);
    expect(set('cp1')).toEqual([]);
  });

  it('node addresses are eth0 plus the pod network ones (GetAllLocalAddressesExcept kube-ipvs0)', () => {
    expect(nodeLocalAddresses(w1, podNetworkAddresses(model, 'w1'))).toEqual(['10.8.0.0', '10.8.0.1', '10.10.20.4']);
    const only = planIpvsNode(model, w1, podNetworkAddresses(model, 'w1'), { nodeAddresses: ['10.10.20.4'] }).nodeOps[0];
    expect(only.kind === 'restore' && only.input.split('\n').filter((l) => l.includes(':30080 -s'))).toEqual(['-A -t 10.10.20.4:30080 -s rr -p 10800']);
  });

  it('strictARP follows the option; without MetalLB pools it is off (kube-proxy default)', () => {
    const noArp = planIpvsNode({ ...model, addressPools: [] }, w1, podNetworkAddresses(model, 'w1')).nodeOps.filter(
      (o) => o.kind === 'sysctl' && o.key.includes('arp'),
    );
    expect(noArp).toEqual([]);
    const forced = planIpvsNode({ ...model, addressPools: [] }, w1, podNetworkAddresses(model, 'w1'), { strictARP: true }).nodeOps.filter(
      (o) => o.kind === 'sysctl' && o.key.includes('arp'),
    );
    expect(forced).toHaveLength(2);
  });
});

describe('NewProxier sysctls', () => {
  it('sets conn_reuse_mode=0 only for kernels in [4.1, 5.9) (IPVSConnReuseMode*KernelVersion)', () => {
    const reuse = (k?: string) => ipvsSysctls({ strictARP: false, kernelVersion: k }).find((s) => s.key === 'net.ipv4.vs.conn_reuse_mode');
    expect(reuse('5.4.0-150-generic')).toEqual({ key: 'net.ipv4.vs.conn_reuse_mode', value: '0' });
    expect(reuse('4.1')).toBeDefined();
    expect(reuse('4.0.9')).toBeUndefined();
    expect(reuse('5.9')).toBeUndefined();
    expect(reuse('6.1.0-28-amd64')).toBeUndefined();
    expect(reuse(undefined)).toBeUndefined();
  });
});
