// Unit tests for kube-proxy's IPVS mode (src/plan/proxy/ipvs.ts), pure: nothing here needs IPVS or
// dummy devices in the kernel (this machine has neither).
//
// Two kinds of checks:
//  1. A lab model (ClusterIP 10.96.10.50:80 with endpoints 10.8.0.5 on w1 and 10.8.1.10 on w2,
//     NodePort 30080, MetalLB LoadBalancer 10.10.20.201, sessionAffinity ClientIP) planned for
//     node w1: kube-ipvs0, sysctls, ipset/ipvsadm/iptables restore inputs, plus a golden file
//     (__golden__/ipvs-loadbalancer-w1.golden.txt) of every op.
//  2. Ports of kubernetes/kubernetes pkg/proxy/ipvs/proxier_test.go tests (same fixtures, same
//     expectations): TestCreateAndLinkKubeChain, TestNodePortIPv4, TestLoadBalancer,
//     TestOnlyLocalNodePorts, TestHealthCheckNodePort, TestLoadBalancerSourceRanges,
//     TestAcceptIPVSTraffic, TestOnlyLocalLoadBalancing, TestSessionAffinity, TestExternalIPs,
//     TestOnlyLocalExternalIPs, TestEndpointSliceE2E, Test_EndpointSliceReadyAndTerminatingCluster,
//     TestTestInternalTrafficPolicyE2E, TestMasqueradeRule, TestDismissLocalhostRuleExist,
//     TestMultiPortServiceBindAddr. Upstream's NewFakeProxier: node "test-node", NoOp local
//     detector (clusterCIDR ""), node IPs given per test (buildFakeProxier: none), scheduler rr.
//     Its checkIptables compares, per chain, the jump target and the --match-set of every rule,
//     nat rules before filter rules (getRules saves nat, then filter); chainRules() does the same.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLabSource } from '../../labfile/load.js';
import { resolveModel } from '../../model/resolve.js';
import { cniBackend } from '../cni/registry.js';

/** What the lab's pod network reports it put on a node (cni0's gateway, flannel.1's address). */
const podNetworkAddresses = (model: ClusterModel, node: string): string[] => cniBackend('flannel-vxlan').plan(model).nodeAddresses[node] ?? [];
import type { ClusterModel } from '../../model/types.js';
import type { Op } from '../types.js';
import { endpoint, makeService, makeSlice, tcpPort } from './testing/fixtures.js';
import type { IptablesService } from './service-ports.js';
import type { EndpointSlice } from '../../model/types.js';
import {
  IPVS_REQUIRES,
  ipsetRestoreText,
  ipvsadmRestoreText,
  ipvsIptablesRestoreText,
  ipvsSysctls,
  nodeLocalAddresses,
  planIpvsNode,
  renderIpvsRuleset,
  type IpvsProxyInput,
  type IpvsRuleset,
} from './ipvs.js';

// ---- helpers ----------------------------------------------------------------------------------

const TEST_NODE = 'test-node';

/** NewFakeProxier + makeServiceMap + populateEndpointSlices + syncProxyRules. */
function sync(services: IptablesService[], slices: EndpointSlice[], extra: Partial<IpvsProxyInput> = {}): IpvsRuleset {
  return renderIpvsRuleset({
    hostname: TEST_NODE,
    nodeIP: '',
    nodeAddresses: [],
    clusterCIDR: '',
    services,
    endpointSlices: slices,
    ...extra,
  });
}

const entries = (rs: IpvsRuleset, set: string): string[] => rs.ipsets.find((s) => s.info.name === set)!.entries;

/** `ipset list` members of one set from our restore text (what checkIPSet compares). */
function ipsetMembers(text: string, set: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`add ${set} `)).map((l) => l.slice(`add ${set} `.length));
}

interface Rule {
  jump: string;
  matchSet: string;
  source: string;
  raw: string;
}

/** getRules(ipt, chain): the "-A chain" rules of nat, then filter, as jump/match-set/source. */
function chainRules(restore: string, chain: string): Rule[] {
  const out: Rule[] = [];
  for (const table of ['nat', 'filter']) {
    const body = restore.split(`*${table}\n`)[1].split('COMMIT')[0];
    for (const raw of body.split('\n')) {
      if (!raw.startsWith(`-A ${chain} `)) continue;
      out.push({
        jump: /-j (\S+)/.exec(raw)?.[1] ?? '',
        matchSet: /--match-set (\S+)/.exec(raw)?.[1] ?? '',
        source: /(?:^| )-s (\S+)/.exec(raw)?.[1] ?? '',
        raw,
      });
    }
  }
  return out;
}

/** checkIptables: expected {JumpChain, MatchSet} per chain, same number and order. */
function checkIptables(rs: IpvsRuleset, expected: Record<string, { jump: string; matchSet?: string; source?: string }[]>): void {
  const text = ipvsIptablesRestoreText(rs);
  for (const [chain, rules] of Object.entries(expected)) {
    const got = chainRules(text, chain).map((r) => ({ jump: r.jump, matchSet: r.matchSet, ...(r.source ? { source: r.source } : {}) }));
    expect(got, chain).toEqual(rules.map((r) => ({ jump: r.jump, matchSet: r.matchSet ?? '', ...(r.source ? { source: r.source } : {}) })));
  }
}

/** ipvsadm lines of one virtual server ("-A ..." and its "-a ..."). */
function vsLines(rs: IpvsRuleset, svc: string): string[] {
  return ipvsadmRestoreText(rs).split('\n').filter((l) => l.startsWith(`-A ${svc} `) || l.startsWith(`-a ${svc} `));
}

const vsKeys = (rs: IpvsRuleset): string[] => rs.virtualServers.map((v) => `${v.protocol}/${v.address}:${v.port}`);

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
    const op = plan.ruleOps.find((o) => o.kind === 'restore' && o.tool === tool);
    return op && op.kind === 'restore' ? op.input : '';
  };
  const iptables = (): string => {
    const op = plan.ruleOps.find((o) => o.kind === 'iptables-restore');
    return op && op.kind === 'iptables-restore' ? op.rules : '';
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

  it('orders the rule ops ipset, ipvsadm, iptables-restore in the node namespace', () => {
    expect(plan.ruleOps.map((o) => (o.kind === 'restore' ? o.tool : o.kind))).toEqual(['ipset', 'ipvsadm', 'iptables-restore']);
    expect(plan.ruleOps.every((o) => 'netns' in o && o.netns === ns)).toBe(true);
  });

  it('creates kube-ipvs0 as a dummy device (left down, EnsureDummyDevice) and binds ClusterIP and LB IP as /32', () => {
    const ipOps = plan.nodeOps.filter((o) => o.kind === 'ip').map((o) => (o.kind === 'ip' ? o.args.join(' ') : ''));
    expect(ipOps).toEqual([
      'link add kube-ipvs0 type dummy',
      'addr add 10.96.10.50/32 dev kube-ipvs0',
      'addr add 10.10.20.201/32 dev kube-ipvs0',
    ]);
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
    for (const empty of ['KUBE-EXTERNAL-IP', 'KUBE-EXTERNAL-IP-LOCAL', 'KUBE-LOAD-BALANCER-LOCAL', 'KUBE-LOAD-BALANCER-FW', 'KUBE-NODE-PORT-LOCAL-TCP', 'KUBE-HEALTH-CHECK-NODE-PORT']) {
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
      expect(lines.filter((l) => l.startsWith(`-a -t ${v} `))).toEqual([
        `-a -t ${v} -r 10.8.0.5:80 -m -w 1`,
        `-a -t ${v} -r 10.8.1.10:80 -m -w 1`,
      ]);
    }
  });

  it('writes the iptables rules of TestLoadBalancer / TestNodePortIPv4 for this service', () => {
    const text = iptables();
    expect(text).toContain('-A KUBE-SERVICES -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP dst,dst ! -s 10.8.0.0/16 -j KUBE-MARK-MASQ\n');
    expect(text).toContain('-A KUBE-SERVICES -m comment --comment "Kubernetes service lb portal" -m set --match-set KUBE-LOAD-BALANCER dst,dst -j KUBE-LOAD-BALANCER\n');
    expect(text).toContain('-A KUBE-NODE-PORT -p tcp -m comment --comment "Kubernetes nodeport TCP port for masquerade purpose" -m set --match-set KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ\n');
    expect(text).toContain('-A KUBE-POSTROUTING -m comment --comment "Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose" -m set --match-set KUBE-LOOP-BACK dst,dst,src -j MASQUERADE\n');
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

  it('installs the jumps of ipvs iptablesJumpChain (not iptables mode\'s) as -I lines before COMMIT', () => {
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
    const golden = readFileSync(new URL('./__golden__/ipvs-loadbalancer-w1.golden.txt', import.meta.url), 'utf8');
    expect(renderOps([...plan.ruleOps, ...plan.nodeOps]) + '\n').toBe(golden);
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
    const only = planIpvsNode(model, w1, podNetworkAddresses(model, 'w1'), { nodeAddresses: ['10.10.20.4'] }).ruleOps[1];
    expect(only.kind === 'restore' && only.input.split('\n').filter((l) => l.includes(':30080 -s'))).toEqual(['-A -t 10.10.20.4:30080 -s rr -p 10800']);
  });

  it('strictARP follows the option; without MetalLB pools it is off (kube-proxy default)', () => {
    const noArp = planIpvsNode({ ...model, addressPools: [] }, w1, podNetworkAddresses(model, 'w1')).nodeOps.filter((o) => o.kind === 'sysctl' && o.key.includes('arp'));
    expect(noArp).toEqual([]);
    const forced = planIpvsNode({ ...model, addressPools: [] }, w1, podNetworkAddresses(model, 'w1'), { strictARP: true }).nodeOps.filter((o) => o.kind === 'sysctl' && o.key.includes('arp'));
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

// ---- ports of pkg/proxy/ipvs/proxier_test.go --------------------------------------------------

describe('upstream proxier_test.go', () => {
  it('TestCreateAndLinkKubeChain: chain declarations per table', () => {
    const text = ipvsIptablesRestoreText(sync([], []));
    const chains = (t: string) => text.split(`*${t}\n`)[1].split('COMMIT')[0].split('\n').filter((l) => l.startsWith(':')).join('\n') + '\n';
    expect(chains('nat')).toBe(':KUBE-SERVICES - [0:0]\n:KUBE-POSTROUTING - [0:0]\n:KUBE-NODE-PORT - [0:0]\n:KUBE-LOAD-BALANCER - [0:0]\n:KUBE-MARK-MASQ - [0:0]\n');
    expect(chains('filter')).toBe(':KUBE-FORWARD - [0:0]\n:KUBE-NODE-PORT - [0:0]\n:KUBE-PROXY-FIREWALL - [0:0]\n:KUBE-SOURCE-RANGES-FIREWALL - [0:0]\n:KUBE-IPVS-FILTER - [0:0]\n:KUBE-IPVS-OUT-FILTER - [0:0]\n');
  });

  it('TestDismissLocalhostRuleExist / TestMasqueradeRule', () => {
    const rs = sync([], []);
    expect(chainRules(ipvsIptablesRestoreText(rs), 'KUBE-SERVICES')[0]).toMatchObject({ jump: 'RETURN', source: '127.0.0.0/8' });
    const masq = (randomFully: boolean) => chainRules(ipvsIptablesRestoreText(sync([], [], { randomFully })), 'KUBE-POSTROUTING').find((r) => r.jump === 'MASQUERADE')!.raw;
    expect(masq(true)).toMatch(/--random-fully$/);
    expect(masq(false)).not.toMatch(/--random-fully/);
  });

  describe('TestNodePortIPv4', () => {
    const svc1 = (proto: 'TCP' | 'UDP' | 'SCTP', local = false) =>
      makeService('ns1', 'svc1', (s) => {
        s.type = 'NodePort';
        s.clusterIP = '10.20.30.41';
        s.ports = [tcpPort('p80', 80, 3001, proto)];
        if (local) s.externalTrafficPolicy = 'Local';
      });

    it('1 service with node port, has 2 endpoints (the IPv6 one is ignored)', () => {
      const rs = sync(
        [svc1('TCP')],
        [makeSlice('ns1', 'svc1', [endpoint('10.180.0.1')], [{ name: 'p80', port: 80 }]), makeSlice('ns1', 'svc1', [endpoint('1002:ab8::2:10')], [{ name: 'p80', port: 80 }])],
        { nodeAddresses: ['100.101.102.103', '2001:db8::1:1'] },
      );
      expect(vsKeys(rs)).toEqual(['TCP/10.20.30.41:80', 'TCP/100.101.102.103:3001']);
      expect(vsLines(rs, '-t 10.20.30.41:80')).toEqual(['-A -t 10.20.30.41:80 -s rr', '-a -t 10.20.30.41:80 -r 10.180.0.1:80 -m -w 1']);
      expect(vsLines(rs, '-t 100.101.102.103:3001')).toEqual(['-A -t 100.101.102.103:3001 -s rr', '-a -t 100.101.102.103:3001 -r 10.180.0.1:80 -m -w 1']);
    });

    it('1 UDP service with node port, has endpoints', () => {
      const rs = sync([svc1('UDP')], [makeSlice('ns1', 'svc1', [endpoint('10.180.0.1')], [{ name: 'p80', port: 80, protocol: 'UDP' }])], { nodeAddresses: ['100.101.102.103'] });
      expect(vsLines(rs, '-u 10.20.30.41:80')).toEqual(['-A -u 10.20.30.41:80 -s rr', '-a -u 10.20.30.41:80 -r 10.180.0.1:80 -m -w 1']);
      expect(vsLines(rs, '-u 100.101.102.103:3001')).toEqual(['-A -u 100.101.102.103:3001 -s rr', '-a -u 100.101.102.103:3001 -r 10.180.0.1:80 -m -w 1']);
      expect(entries(rs, 'KUBE-NODE-PORT-UDP')).toEqual(['3001']);
      checkIptables(rs, {
        'KUBE-NODE-PORT': [{ jump: 'KUBE-MARK-MASQ', matchSet: 'KUBE-NODE-PORT-UDP' }, { jump: 'ACCEPT', matchSet: 'KUBE-HEALTH-CHECK-NODE-PORT' }],
        'KUBE-SERVICES': [
          { jump: 'RETURN', source: '127.0.0.0/8' },
          { jump: 'KUBE-MARK-MASQ', matchSet: 'KUBE-CLUSTER-IP' },
          { jump: 'KUBE-NODE-PORT' },
          { jump: 'ACCEPT', matchSet: 'KUBE-CLUSTER-IP' },
        ],
      });
    });

    it('service has node port but no endpoints: virtual servers without real servers', () => {
      const rs = sync([svc1('TCP')], [], { nodeAddresses: ['100.101.102.103'] });
      expect(ipvsadmRestoreText(rs)).toBe('-C\n-A -t 10.20.30.41:80 -s rr\n-A -t 100.101.102.103:3001 -s rr\n');
    });

    it('node port service with protocol sctp on a node with multiple nodeIPs', () => {
      const rs = sync(
        [svc1('SCTP')],
        [makeSlice('ns1', 'svc1', [endpoint('10.180.0.1')], [{ name: 'p80', port: 80, protocol: 'SCTP' }])],
        { nodeAddresses: ['100.101.102.103', '100.101.102.104', '100.101.102.105', '2001:db8::1:1', '2001:db8::1:2', '2001:db8::1:3'] },
      );
      expect(vsKeys(rs)).toEqual(['SCTP/10.20.30.41:80', 'SCTP/100.101.102.103:3001', 'SCTP/100.101.102.104:3001', 'SCTP/100.101.102.105:3001']);
      expect(vsLines(rs, '--sctp-service 100.101.102.104:3001')).toEqual([
        '-A --sctp-service 100.101.102.104:3001 -s rr',
        '-a --sctp-service 100.101.102.104:3001 -r 10.180.0.1:80 -m -w 1',
      ]);
      expect(entries(rs, 'KUBE-NODE-PORT-SCTP-HASH')).toEqual(['100.101.102.103,sctp:3001', '100.101.102.104,sctp:3001', '100.101.102.105,sctp:3001']);
    });

    it('node port service with protocol sctp and externalTrafficPolicy local', () => {
      const rs = sync(
        [svc1('SCTP', true)],
        [makeSlice('ns1', 'svc1', [endpoint('10.180.0.1', TEST_NODE), endpoint('10.180.1.1', 'other-node')], [{ name: 'p80', port: 80, protocol: 'SCTP' }])],
        { nodeAddresses: ['100.101.102.103'] },
      );
      // ClusterIP: both endpoints; NodePort (external, Local): only the local one.
      expect(vsLines(rs, '--sctp-service 10.20.30.41:80').filter((l) => l.startsWith('-a'))).toHaveLength(2);
      expect(vsLines(rs, '--sctp-service 100.101.102.103:3001')).toEqual([
        '-A --sctp-service 100.101.102.103:3001 -s rr',
        '-a --sctp-service 100.101.102.103:3001 -r 10.180.0.1:80 -m -w 1',
      ]);
      expect(entries(rs, 'KUBE-NODE-PORT-SCTP-HASH')).toEqual(['100.101.102.103,sctp:3001']);
      expect(entries(rs, 'KUBE-NODE-PORT-LOCAL-SCTP-HASH')).toEqual(['100.101.102.103,sctp:3001']);
      checkIptables(rs, {
        'KUBE-NODE-PORT': [
          { jump: 'RETURN', matchSet: 'KUBE-NODE-PORT-LOCAL-SCTP-HASH' },
          { jump: 'KUBE-MARK-MASQ', matchSet: 'KUBE-NODE-PORT-SCTP-HASH' },
          { jump: 'ACCEPT', matchSet: 'KUBE-HEALTH-CHECK-NODE-PORT' },
        ],
      });
    });
  });

  it('TestLoadBalancer (no node IPs: no NodePort virtual servers, 2 in all)', () => {
    const rs = sync(
      [makeService('ns1', 'svc1', (s) => {
        s.type = 'LoadBalancer';
        s.clusterIP = '10.20.30.41';
        s.ports = [tcpPort('p80', 80, 3001)];
        s.loadBalancerIPs = ['1.2.3.4'];
      })],
      [makeSlice('ns1', 'svc1', [endpoint('10.180.0.1')], [{ name: 'p80', port: 80 }])],
    );
    expect(vsKeys(rs)).toEqual(['TCP/10.20.30.41:80', 'TCP/1.2.3.4:80']);
    expect(entries(rs, 'KUBE-LOAD-BALANCER')).toEqual(['1.2.3.4,tcp:80']);
    checkIptables(rs, {
      'KUBE-SERVICES': [
        { jump: 'RETURN', source: '127.0.0.0/8' },
        { jump: 'KUBE-LOAD-BALANCER', matchSet: 'KUBE-LOAD-BALANCER' },
        { jump: 'KUBE-MARK-MASQ', matchSet: 'KUBE-CLUSTER-IP' },
        { jump: 'KUBE-NODE-PORT' },
        { jump: 'ACCEPT', matchSet: 'KUBE-CLUSTER-IP' },
        { jump: 'ACCEPT', matchSet: 'KUBE-LOAD-BALANCER' },
      ],
      'KUBE-LOAD-BALANCER': [{ jump: 'KUBE-MARK-MASQ' }],
    });
    // NoOp detector (NewFakeProxier): masquerade traffic whose source is a VIP.
    expect(ipvsIptablesRestoreText(rs)).toContain('--match-set KUBE-CLUSTER-IP src,dst -j KUBE-MARK-MASQ\n');
    expect(rs.bindAddresses).toEqual(['10.20.30.41', '1.2.3.4']);
  });

  it('TestOnlyLocalNodePorts', () => {
    const rs = sync(
      [makeService('ns1', 'svc1', (s) => {
        s.type = 'NodePort';
        s.clusterIP = '10.20.30.41';
        s.ports = [tcpPort('p80', 80, 3001)];
        s.externalTrafficPolicy = 'Local';
      })],
      [makeSlice('ns1', 'svc1', [endpoint('10.180.0.1', TEST_NODE), endpoint('10.180.1.1', 'other-node')], [{ name: 'p80', port: 80 }])],
      { nodeAddresses: ['100.101.102.103'] },
    );
    expect(vsKeys(rs)).toHaveLength(2);
    expect(vsLines(rs, '-t 100.101.102.103:3001')).toEqual(['-A -t 100.101.102.103:3001 -s rr', '-a -t 100.101.102.103:3001 -r 10.180.0.1:80 -m -w 1']);
    expect(entries(rs, 'KUBE-NODE-PORT-TCP')).toEqual(['3001']);
    expect(entries(rs, 'KUBE-NODE-PORT-LOCAL-TCP')).toEqual(['3001']);
    checkIptables(rs, {
      'KUBE-SERVICES': [
        { jump: 'RETURN', source: '127.0.0.0/8' },
        { jump: 'KUBE-MARK-MASQ', matchSet: 'KUBE-CLUSTER-IP' },
        { jump: 'KUBE-NODE-PORT' },
        { jump: 'ACCEPT', matchSet: 'KUBE-CLUSTER-IP' },
      ],
      'KUBE-NODE-PORT': [
        { jump: 'RETURN', matchSet: 'KUBE-NODE-PORT-LOCAL-TCP' },
        { jump: 'KUBE-MARK-MASQ', matchSet: 'KUBE-NODE-PORT-TCP' },
        { jump: 'ACCEPT', matchSet: 'KUBE-HEALTH-CHECK-NODE-PORT' },
      ],
    });
  });

  it('TestHealthCheckNodePort: only LoadBalancer + Local services get their port in the set', () => {
    const sample = (name: string, hc: number, local: boolean) =>
      makeService('ns1', name, (s) => {
        s.type = 'LoadBalancer';
        s.clusterIP = '10.20.30.41';
        s.ports = [tcpPort('p80', 80, 3000)];
        s.externalTrafficPolicy = local ? 'Local' : 'Cluster';
        s.healthCheckNodePort = hc;
      });
    const rs = sync([sample('valid-svc1', 30000, true), sample('valid-svc2', 30001, true), sample('invalid-svc3', 30002, false)], [], { nodeAddresses: ['100.101.102.103'] });
    expect(entries(rs, 'KUBE-HEALTH-CHECK-NODE-PORT')).toEqual(['30000', '30001']);
    checkIptables(rs, {
      'KUBE-NODE-PORT': [
        { jump: 'RETURN', matchSet: 'KUBE-NODE-PORT-LOCAL-TCP' },
        { jump: 'KUBE-MARK-MASQ', matchSet: 'KUBE-NODE-PORT-TCP' },
        { jump: 'ACCEPT', matchSet: 'KUBE-HEALTH-CHECK-NODE-PORT' },
      ],
    });
  });

  it('TestLoadBalancerSourceRanges (and the KUBE-IPVS-OUT-FILTER drop when the node IP is outside them)', () => {
    const rs = sync(
      [makeService('ns1', 'svc1', (s) => {
        s.type = 'LoadBalancer';
        s.clusterIP = '10.20.30.41';
        s.ports = [tcpPort('p80', 80)];
        s.loadBalancerIPs = ['1.2.3.4'];
        s.loadBalancerSourceRanges = ['10.0.0.0/8'];
      })],
      [makeSlice('ns1', 'svc1', [endpoint('10.180.0.1')], [{ name: 'p80', port: 80 }])],
      { nodeIP: '100.101.102.103' },
    );
    expect(vsKeys(rs)).toEqual(['TCP/10.20.30.41:80', 'TCP/1.2.3.4:80']);
    expect(entries(rs, 'KUBE-LOAD-BALANCER')).toEqual(['1.2.3.4,tcp:80']);
    expect(entries(rs, 'KUBE-LOAD-BALANCER-FW')).toEqual(['1.2.3.4,tcp:80']);
    expect(entries(rs, 'KUBE-LOAD-BALANCER-SOURCE-CIDR')).toEqual(['1.2.3.4,tcp:80,10.0.0.0/8']);
    expect(entries(rs, 'KUBE-LOAD-BALANCER-SOURCE-IP')).toEqual([]);
    checkIptables(rs, {
      'KUBE-SERVICES': [
        { jump: 'RETURN', source: '127.0.0.0/8' },
        { jump: 'KUBE-LOAD-BALANCER', matchSet: 'KUBE-LOAD-BALANCER' },
        { jump: 'KUBE-MARK-MASQ', matchSet: 'KUBE-CLUSTER-IP' },
        { jump: 'KUBE-NODE-PORT' },
        { jump: 'ACCEPT', matchSet: 'KUBE-CLUSTER-IP' },
        { jump: 'ACCEPT', matchSet: 'KUBE-LOAD-BALANCER' },
      ],
      'KUBE-PROXY-FIREWALL': [{ jump: 'KUBE-SOURCE-RANGES-FIREWALL', matchSet: 'KUBE-LOAD-BALANCER-FW' }],
      'KUBE-SOURCE-RANGES-FIREWALL': [{ jump: 'RETURN', matchSet: 'KUBE-LOAD-BALANCER-SOURCE-CIDR' }, { jump: 'DROP' }],
    });
    expect(chainRules(ipvsIptablesRestoreText(rs), 'KUBE-IPVS-OUT-FILTER').map((r) => r.raw)).toEqual([
      '-A KUBE-IPVS-OUT-FILTER -s 1.2.3.4 -m ipvs --vaddr 1.2.3.4 --vproto tcp --vport 80 -j DROP',
    ]);
    // A node inside the source range may reach its own LB VIP (allowFromNode).
    const inside = sync(
      [makeService('ns1', 'svc1', (s) => {
        s.type = 'LoadBalancer';
        s.clusterIP = '10.20.30.41';
        s.ports = [tcpPort('p80', 80)];
        s.loadBalancerIPs = ['1.2.3.4'];
        s.loadBalancerSourceRanges = ['10.0.0.0/8'];
      })],
      [],
      { nodeIP: '10.1.2.3' },
    );
    expect(entries(inside, 'KUBE-LOAD-BALANCER-SOURCE-IP')).toEqual(['1.2.3.4,tcp:80,1.2.3.4']);
    expect(chainRules(ipvsIptablesRestoreText(inside), 'KUBE-IPVS-OUT-FILTER')).toEqual([]);
    checkIptables(inside, {
      'KUBE-SOURCE-RANGES-FIREWALL': [
        { jump: 'RETURN', matchSet: 'KUBE-LOAD-BALANCER-SOURCE-CIDR' },
        { jump: 'RETURN', matchSet: 'KUBE-LOAD-BALANCER-SOURCE-IP' },
        { jump: 'DROP' },
      ],
    });
  });

  it('TestAcceptIPVSTraffic', () => {
    const svcs = [
      { type: 'ClusterIP' as const, ip: '10.20.30.40', name: 'svc1' },
      { type: 'LoadBalancer' as const, ip: '10.20.30.41', name: 'svc2' },
      { type: 'NodePort' as const, ip: '10.20.30.42', name: 'svc3' },
    ].map((i) =>
      makeService('ns1', i.name, (s) => {
        s.type = i.type;
        s.clusterIP = i.ip;
        s.ports = [tcpPort('p80', 80, i.type === 'ClusterIP' ? undefined : 80)];
        if (i.type === 'LoadBalancer') s.loadBalancerIPs = ['1.2.3.4'];
        if (i.type === 'ClusterIP') s.externalIPs = ['5.6.7.8'];
      }),
    );
    const rs = sync(svcs, []);
    checkIptables(rs, {
      'KUBE-SERVICES': [
        { jump: 'RETURN', source: '127.0.0.0/8' },
        { jump: 'KUBE-LOAD-BALANCER', matchSet: 'KUBE-LOAD-BALANCER' },
        { jump: 'KUBE-MARK-MASQ', matchSet: 'KUBE-CLUSTER-IP' },
        { jump: 'KUBE-MARK-MASQ', matchSet: 'KUBE-EXTERNAL-IP' },
        { jump: 'ACCEPT', matchSet: 'KUBE-EXTERNAL-IP' }, // with externalTrafficOnlyArgs
        { jump: 'ACCEPT', matchSet: 'KUBE-EXTERNAL-IP' }, // with dstLocalOnlyArgs
        { jump: 'KUBE-NODE-PORT' },
        { jump: 'ACCEPT', matchSet: 'KUBE-CLUSTER-IP' },
        { jump: 'ACCEPT', matchSet: 'KUBE-LOAD-BALANCER' },
      ],
    });
    const text = ipvsIptablesRestoreText(rs);
    expect(text).toContain('-m set --match-set KUBE-EXTERNAL-IP dst,dst -m physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL -j ACCEPT\n');
    expect(text).toContain('-m set --match-set KUBE-EXTERNAL-IP dst,dst -m addrtype --dst-type LOCAL -j ACCEPT\n');
  });

  it('TestOnlyLocalLoadBalancing', () => {
    const rs = sync(
      [makeService('ns1', 'svc1', (s) => {
        s.type = 'LoadBalancer';
        s.clusterIP = '10.20.30.41';
        s.ports = [tcpPort('p80', 80, 3001)];
        s.loadBalancerIPs = ['1.2.3.4'];
        s.externalTrafficPolicy = 'Local';
      })],
      [makeSlice('ns1', 'svc1', [endpoint('10.180.0.1', TEST_NODE), endpoint('10.180.1.1', 'other-node')], [{ name: 'p80', port: 80 }])],
    );
    expect(vsKeys(rs)).toHaveLength(2);
    expect(vsLines(rs, '-t 1.2.3.4:80')).toEqual(['-A -t 1.2.3.4:80 -s rr', '-a -t 1.2.3.4:80 -r 10.180.0.1:80 -m -w 1']);
    expect(entries(rs, 'KUBE-LOAD-BALANCER')).toEqual(['1.2.3.4,tcp:80']);
    expect(entries(rs, 'KUBE-LOAD-BALANCER-LOCAL')).toEqual(['1.2.3.4,tcp:80']);
    checkIptables(rs, {
      'KUBE-LOAD-BALANCER': [{ jump: 'RETURN', matchSet: 'KUBE-LOAD-BALANCER-LOCAL' }, { jump: 'KUBE-MARK-MASQ' }],
    });
  });

  it('TestSessionAffinity: every virtual server is persistent with the ClientIP timeout', () => {
    const rs = sync(
      [makeService('ns1', 'svc1', (s) => {
        s.type = 'NodePort';
        s.clusterIP = '10.20.30.41';
        s.externalIPs = ['50.60.70.81'];
        s.sessionAffinity = 'ClientIP';
        s.affinityTimeoutSeconds = 10800; // v1.DefaultClientIPServiceAffinitySeconds
        s.ports = [tcpPort('p80', 80, 3001)];
      })],
      [],
      { nodeAddresses: ['100.101.102.103'] },
    );
    expect(rs.virtualServers.map((v) => v.persistentTimeout)).toEqual([10800, 10800, 10800]);
    expect(ipvsadmRestoreText(rs)).toBe('-C\n-A -t 10.20.30.41:80 -s rr -p 10800\n-A -t 50.60.70.81:80 -s rr -p 10800\n-A -t 100.101.102.103:3001 -s rr -p 10800\n');
  });

  it('TestExternalIPs / TestOnlyLocalExternalIPs (IPv6 externalIPs are dropped; Local keeps the local endpoint)', () => {
    const svc = (local: boolean) =>
      makeService('ns1', 'svc1', (s) => {
        s.type = local ? 'NodePort' : 'ClusterIP';
        s.clusterIP = '10.20.30.41';
        s.externalIPs = ['50.60.70.81', '2012::51', '127.0.0.1'];
        s.ports = [tcpPort('p80', 80)];
        if (local) s.externalTrafficPolicy = 'Local';
      });
    const slice = makeSlice('ns1', 'svc1', [endpoint('10.180.0.1', TEST_NODE), endpoint('10.180.1.1', 'other-node')], [{ name: 'p80', port: 80 }]);
    const rs = sync([svc(false)], [slice]);
    expect(vsKeys(rs)).toEqual(['TCP/10.20.30.41:80', 'TCP/50.60.70.81:80', 'TCP/127.0.0.1:80']);
    expect(entries(rs, 'KUBE-EXTERNAL-IP')).toEqual(['127.0.0.1,tcp:80', '50.60.70.81,tcp:80']);
    const local = sync([svc(true)], [slice]);
    expect(vsKeys(local)).toHaveLength(3);
    expect(vsLines(local, '-t 50.60.70.81:80').filter((l) => l.startsWith('-a'))).toEqual(['-a -t 50.60.70.81:80 -r 10.180.0.1:80 -m -w 1']);
    expect(entries(local, 'KUBE-EXTERNAL-IP-LOCAL')).toEqual(['127.0.0.1,tcp:80', '50.60.70.81,tcp:80']);
    expect(entries(local, 'KUBE-EXTERNAL-IP')).toEqual([]);
    // An external IP that is a node address is not bound to kube-ipvs0 (shouldBind).
    const onNode = sync([svc(false)], [slice], { nodeAddresses: ['50.60.70.81'] });
    expect(onNode.bindAddresses).toEqual(['10.20.30.41', '127.0.0.1']);
  });

  it('TestEndpointSliceE2E / Test_EndpointSliceReadyAndTerminatingCluster: loop-back entries and ready destinations', () => {
    const svc = makeService('ns1', 'svc1', (s) => {
      s.type = 'NodePort';
      s.clusterIP = '172.20.1.1';
      s.externalIPs = ['1.2.3.4'];
      s.ports = [tcpPort('', 80)];
    });
    const slice = makeSlice('ns1', 'svc1', [
      endpoint('10.0.1.1', TEST_NODE),
      endpoint('10.0.1.2', TEST_NODE),
      endpoint('10.0.1.3', TEST_NODE, { ready: false, serving: true, terminating: true }),
      endpoint('10.0.1.4', TEST_NODE, { ready: false, serving: false, terminating: true }),
      endpoint('10.0.1.5', 'another-node'),
    ], [{ name: '', port: 80 }]);
    const rs = sync([svc], [slice]);
    expect(entries(rs, 'KUBE-LOOP-BACK')).toEqual(['10.0.1.1,tcp:80,10.0.1.1', '10.0.1.2,tcp:80,10.0.1.2', '10.0.1.3,tcp:80,10.0.1.3', '10.0.1.4,tcp:80,10.0.1.4']);
    for (const vip of ['172.20.1.1:80', '1.2.3.4:80']) {
      expect(vsLines(rs, `-t ${vip}`).filter((l) => l.startsWith('-a')).map((l) => l.split(' -r ')[1])).toEqual(['10.0.1.1:80 -m -w 1', '10.0.1.2:80 -m -w 1', '10.0.1.5:80 -m -w 1']);
    }
    // Deleting the slice empties KUBE-LOOP-BACK and the real servers, the virtual servers stay.
    const deleted = sync([svc], []);
    expect(entries(deleted, 'KUBE-LOOP-BACK')).toEqual([]);
    expect(ipvsadmRestoreText(deleted)).toBe('-C\n-A -t 172.20.1.1:80 -s rr\n-A -t 1.2.3.4:80 -s rr\n');
  });

  it('TestTestInternalTrafficPolicyE2E', () => {
    const run = (policy: 'Cluster' | 'Local', nodes: string[]) => {
      const svc = makeService('ns1', 'svc1', (s) => {
        s.clusterIP = '172.20.1.1';
        s.internalTrafficPolicy = policy;
        s.ports = [tcpPort('', 80)];
      });
      const slice = makeSlice('ns1', 'svc1', nodes.map((n, i) => endpoint(`10.0.1.${i + 1}`, n)), [{ name: '', port: 80 }]);
      const rs = sync([svc], [slice]);
      return { loop: entries(rs, 'KUBE-LOOP-BACK').length, rs: rs.virtualServers[0].realServers.map((r) => `${r.address}:${r.port}`) };
    };
    expect(run('Cluster', [TEST_NODE, 'node1', 'node2'])).toEqual({ loop: 1, rs: ['10.0.1.1:80', '10.0.1.2:80', '10.0.1.3:80'] });
    expect(run('Cluster', ['node0', 'node1', 'node2'])).toEqual({ loop: 0, rs: ['10.0.1.1:80', '10.0.1.2:80', '10.0.1.3:80'] });
    expect(run('Local', [TEST_NODE, 'node1', 'node2'])).toEqual({ loop: 1, rs: ['10.0.1.1:80'] });
    expect(run('Local', ['node0', 'node1', 'node2'])).toEqual({ loop: 0, rs: [] });
  });

  it('TestMultiPortServiceBindAddr: one address per VIP on kube-ipvs0', () => {
    const svc = makeService('ns1', 'svc1', (s) => {
      s.clusterIP = '172.16.55.4';
      s.ports = [tcpPort('port1', 1234), tcpPort('port2', 1235), tcpPort('port3', 1236, undefined, 'UDP')];
    });
    expect(sync([svc], []).bindAddresses).toEqual(['172.16.55.4']);
    expect(sync([], []).bindAddresses).toEqual([]);
  });

  it('the "mh" scheduler sets FlagSourceHash; other schedulers pass through', () => {
    const svc = makeService('ns1', 'svc1', (s) => {
      s.clusterIP = '10.20.30.41';
      s.ports = [tcpPort('p80', 80)];
    });
    expect(ipvsadmRestoreText(sync([svc], [], { scheduler: 'mh' }))).toBe('-C\n-A -t 10.20.30.41:80 -s mh -b mh-port\n');
    expect(ipvsadmRestoreText(sync([svc], [], { scheduler: 'wlc' }))).toBe('-C\n-A -t 10.20.30.41:80 -s wlc\n');
  });

  it('writes every set with createSet arguments, even when empty', () => {
    const text = ipsetRestoreText(sync([], []));
    expect(text.split('\n').filter((l) => l.startsWith('create ')).map((l) => l.split(' ').slice(1, 3).join(' '))).toEqual([
      'KUBE-LOOP-BACK hash:ip,port,ip',
      'KUBE-CLUSTER-IP hash:ip,port',
      'KUBE-EXTERNAL-IP hash:ip,port',
      'KUBE-EXTERNAL-IP-LOCAL hash:ip,port',
      'KUBE-LOAD-BALANCER hash:ip,port',
      'KUBE-LOAD-BALANCER-FW hash:ip,port',
      'KUBE-LOAD-BALANCER-LOCAL hash:ip,port',
      'KUBE-LOAD-BALANCER-SOURCE-IP hash:ip,port,ip',
      'KUBE-LOAD-BALANCER-SOURCE-CIDR hash:ip,port,net',
      'KUBE-NODE-PORT-TCP bitmap:port',
      'KUBE-NODE-PORT-LOCAL-TCP bitmap:port',
      'KUBE-NODE-PORT-UDP bitmap:port',
      'KUBE-NODE-PORT-LOCAL-UDP bitmap:port',
      'KUBE-NODE-PORT-SCTP-HASH hash:ip,port',
      'KUBE-NODE-PORT-LOCAL-SCTP-HASH hash:ip,port',
      'KUBE-HEALTH-CHECK-NODE-PORT bitmap:port',
      'KUBE-IPVS-IPS hash:ip',
    ]);
    expect(text).not.toMatch(/^add /m);
  });
});
