import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  chainsOfServices,
  IPTABLES_JUMP_CHAINS,
  jumpRuleArgs,
  renderKubeProxyIptables,
  renderKubeProxyRuleset,
  toRestoreText,
  type KubeProxyIptablesInput,
} from './iptables.js';
import { checkIPTablesRuleJumps, sortIPTablesRules } from './testing/iptables-dump.js';
import { endpoint, makeService, makeSlice, tcpPort } from './testing/fixtures.js';

// ---- GOLDEN -----------------------------------------------------------------------------------
//
// Reproduces TestOverallIPTablesRules from kubernetes/kubernetes
// pkg/proxy/iptables/proxier_test.go at commit 531be81208e2274ef42e72525a26610a9622bcdf.
// Its expected dump is copied verbatim into __golden__/TestOverallIPTablesRules.expected.txt.
//
// Upstream compares with assertIPTablesRulesEqual, which runs the *result* (not the expected
// text) through sortIPTablesRules: tables by name, chains KUBE-NODEPORTS, KUBE-SERVICES, then
// KUBE-* alphabetically, rules grouped by chain, and the KUBE-NODEPORTS / KUBE-SERVICES rules
// stably sorted by the service name in their comment (the "must be the last rule" rule kept
// last). We apply the same normalization (ported in iptables-dump.ts), and also upstream's
// checkIPTablesRuleJumps consistency check.
//
// Fixtures translated from the test: NewFakeProxier (node "test-node", node IP 192.168.0.2,
// pod CIDR 10.0.0.0/8 local detector, masqueradeMark "0x4000", localhostNodePorts true,
// both nfacct counters present, fake iptables without --random-fully, conntrack not liberal),
// makeServiceMap(svc1..svc6) and populateEndpointSlices(...). Endpoints without NodeName are
// non-local; conditions unset mean ready/serving/not terminating.
const golden = readFileSync(new URL('./__golden__/TestOverallIPTablesRules.expected.txt', import.meta.url), 'utf8');

function overallInput(): KubeProxyIptablesInput {
  const services = [
    makeService('ns1', 'svc1', (s) => {
      s.clusterIP = '172.30.0.41';
      s.ports = [tcpPort('p80', 80)];
    }),
    makeService('ns2', 'svc2', (s) => {
      s.type = 'LoadBalancer';
      s.externalTrafficPolicy = 'Local';
      s.clusterIP = '172.30.0.42';
      s.ports = [tcpPort('p80', 80, 3001)];
      s.loadBalancerIPs = ['1.2.3.4'];
      s.externalIPs = ['192.168.99.22'];
      s.healthCheckNodePort = 30000;
    }),
    makeService('ns3', 'svc3', (s) => {
      s.type = 'NodePort';
      s.clusterIP = '172.30.0.43';
      s.ports = [tcpPort('p80', 80, 3003)];
    }),
    makeService('ns4', 'svc4', (s) => {
      s.type = 'NodePort'; // with no nodePort allocated, as in the upstream fixture
      s.clusterIP = '172.30.0.44';
      s.externalIPs = ['192.168.99.33'];
      s.ports = [tcpPort('p80', 80)];
    }),
    makeService('ns5', 'svc5', (s) => {
      s.type = 'LoadBalancer';
      s.externalTrafficPolicy = 'Cluster';
      s.clusterIP = '172.30.0.45';
      s.ports = [tcpPort('p80', 80, 3002)];
      s.loadBalancerIPs = ['5.6.7.8'];
      s.healthCheckNodePort = 30000;
      s.loadBalancerSourceRanges = [' 203.0.113.0/25'];
      s.sessionAffinity = 'ClientIP';
      s.affinityTimeoutSeconds = 10800;
    }),
    makeService('ns6', 'svc6', (s) => {
      s.clusterIP = '172.30.0.46';
      s.ports = [tcpPort('p80', 80)];
    }),
  ];
  const p80 = [{ name: 'p80', port: 80 }];
  const endpointSlices = [
    makeSlice('ns1', 'svc1', [endpoint('10.180.0.1')], p80),
    makeSlice('ns2', 'svc2', [endpoint('10.180.0.2')], p80),
    makeSlice('ns3', 'svc3', [endpoint('10.180.0.3')], p80),
    makeSlice('ns4', 'svc4', [endpoint('10.180.0.4'), endpoint('10.180.0.5', 'test-node')], p80),
    makeSlice('ns5', 'svc5', [endpoint('10.180.0.3')], p80),
  ];
  return {
    hostname: 'test-node',
    nodeIPs: ['192.168.0.2'],
    clusterCIDR: '10.0.0.0/8',
    services,
    endpointSlices,
    masqueradeMark: '0x4000',
    randomFully: false,
    localhostNodePorts: true,
    nfacct: true,
  };
}

describe('golden: upstream TestOverallIPTablesRules', () => {
  it('renders the same rules as upstream (after upstream sortIPTablesRules)', () => {
    const result = renderKubeProxyIptables(overallInput());
    expect(sortIPTablesRules(result)).toBe(golden);
  });

  it('passes upstream checkIPTablesRuleJumps', () => {
    expect(checkIPTablesRuleJumps(golden)).toEqual([]);
    expect(checkIPTablesRuleJumps(renderKubeProxyIptables(overallInput()))).toEqual([]);
  });

  it('is already in normalized order except for chain-line order (services are sorted by name)', () => {
    const result = renderKubeProxyIptables(overallInput());
    const rulesOnly = (text: string): string[] => text.split('\n').filter((l) => l.startsWith('-A')).sort();
    expect(rulesOnly(result)).toEqual(rulesOnly(golden));
  });
});

// ---- unit tests -------------------------------------------------------------------------------

/** One-node input with the defaults of a real kube-proxy (mark 0x00004000, --random-fully). */
function input(partial: Partial<KubeProxyIptablesInput>): KubeProxyIptablesInput {
  return { hostname: 'node-a', nodeIPs: ['10.10.20.4'], clusterCIDR: '10.8.0.0/16', services: [], endpointSlices: [], ...partial };
}

function natRules(inp: KubeProxyIptablesInput, chain: string): string[] {
  return renderKubeProxyRuleset(inp).tables.nat.get(chain) ?? [];
}

function filterRules(inp: KubeProxyIptablesInput, chain: string): string[] {
  return renderKubeProxyRuleset(inp).tables.filter.get(chain) ?? [];
}

const web = (edit: Parameters<typeof makeService>[2] = () => {}) =>
  makeService('default', 'web', (s) => {
    s.clusterIP = '10.96.0.10';
    s.ports = [tcpPort('http', 80)];
    edit(s);
  });

const webSlice = (...eps: ReturnType<typeof endpoint>[]) => makeSlice('default', 'web', eps, [{ name: 'http', port: 8080 }]);

describe('fixed chains', () => {
  it('writes the postrouting, mark and forward rules with the real mark and --random-fully', () => {
    const rs = renderKubeProxyRuleset(input({}));
    expect(rs.tables.nat.get('KUBE-POSTROUTING')).toEqual([
      '-A KUBE-POSTROUTING -m mark ! --mark 0x00004000/0x00004000 -j RETURN',
      '-A KUBE-POSTROUTING -j MARK --xor-mark 0x00004000',
      '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    ]);
    expect(rs.tables.nat.get('KUBE-MARK-MASQ')).toEqual(['-A KUBE-MARK-MASQ -j MARK --or-mark 0x00004000']);
    expect(rs.tables.filter.get('KUBE-FORWARD')).toEqual([
      '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
      '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x00004000/0x00004000 -j ACCEPT',
      '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    ]);
    expect([...rs.tables.filter.keys()]).toEqual([
      'KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-FORWARD', 'KUBE-NODEPORTS', 'KUBE-PROXY-FIREWALL', 'KUBE-FIREWALL',
    ]);
    expect([...rs.tables.nat.keys()]).toEqual(['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ']);
    expect(rs.tables.nat.get('KUBE-SERVICES')).toEqual([
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
    ]);
  });

  it('honours masqueradeBit, randomFully=false, conntrackTCPLiberal', () => {
    const rs = renderKubeProxyRuleset(input({ masqueradeBit: 15, randomFully: false, conntrackTCPLiberal: true }));
    expect(rs.tables.nat.get('KUBE-MARK-MASQ')).toEqual(['-A KUBE-MARK-MASQ -j MARK --or-mark 0x00008000']);
    expect(rs.tables.nat.get('KUBE-POSTROUTING')?.[2]).toMatch(/-j MASQUERADE$/);
    expect(rs.tables.filter.get('KUBE-FORWARD')?.[0]).toContain('"kubernetes forwarding rules"');
  });

  it('has upstream iptablesJumpChains + kubelet jump chains', () => {
    const lines = IPTABLES_JUMP_CHAINS.map((j) => `${j.table} ${j.srcChain} ${jumpRuleArgs(j).join(' ')}`);
    expect(lines).toEqual([
      'filter INPUT -m conntrack --ctstate NEW -m comment --comment kubernetes externally-visible service portals -j KUBE-EXTERNAL-SERVICES',
      'filter FORWARD -m conntrack --ctstate NEW -m comment --comment kubernetes externally-visible service portals -j KUBE-EXTERNAL-SERVICES',
      'filter INPUT -m comment --comment kubernetes health check service ports -j KUBE-NODEPORTS',
      'filter FORWARD -m conntrack --ctstate NEW -m comment --comment kubernetes service portals -j KUBE-SERVICES',
      'filter OUTPUT -m conntrack --ctstate NEW -m comment --comment kubernetes service portals -j KUBE-SERVICES',
      'filter FORWARD -m comment --comment kubernetes forwarding rules -j KUBE-FORWARD',
      'filter INPUT -m conntrack --ctstate NEW -m comment --comment kubernetes load balancer firewall -j KUBE-PROXY-FIREWALL',
      'filter OUTPUT -m conntrack --ctstate NEW -m comment --comment kubernetes load balancer firewall -j KUBE-PROXY-FIREWALL',
      'filter FORWARD -m conntrack --ctstate NEW -m comment --comment kubernetes load balancer firewall -j KUBE-PROXY-FIREWALL',
      'nat OUTPUT -m comment --comment kubernetes service portals -j KUBE-SERVICES',
      'nat PREROUTING -m comment --comment kubernetes service portals -j KUBE-SERVICES',
      'nat POSTROUTING -m comment --comment kubernetes postrouting rules -j KUBE-POSTROUTING',
      'filter INPUT -j KUBE-FIREWALL',
      'filter OUTPUT -j KUBE-FIREWALL',
    ]);
  });
});

describe('ClusterIP', () => {
  it('jumps, masquerades off-cluster sources, hairpins and DNATs in upstream argument order', () => {
    const inp = input({ services: [web()], endpointSlices: [webSlice(endpoint('10.8.0.5', 'node-a'))] });
    const rs = renderKubeProxyRuleset(inp);
    const svc = [...rs.tables.nat.keys()].find((c) => c.startsWith('KUBE-SVC-'))!;
    const sep = [...rs.tables.nat.keys()].find((c) => c.startsWith('KUBE-SEP-'))!;
    expect(rs.tables.nat.get('KUBE-SERVICES')?.[0]).toBe(
      `-A KUBE-SERVICES -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.96.0.10 --dport 80 -j ${svc}`,
    );
    expect(rs.tables.nat.get(svc)).toEqual([
      `-A ${svc} -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.96.0.10 --dport 80 ! -s 10.8.0.0/16 -j KUBE-MARK-MASQ`,
      `-A ${svc} -m comment --comment "default/web:http -> 10.8.0.5:8080" -j ${sep}`,
    ]);
    expect(rs.tables.nat.get(sep)).toEqual([
      `-A ${sep} -m comment --comment default/web:http -s 10.8.0.5 -j KUBE-MARK-MASQ`,
      `-A ${sep} -m comment --comment default/web:http -m tcp -p tcp -j DNAT --to-destination 10.8.0.5:8080`,
    ]);
  });

  it('masquerades everything with masqueradeAll, nothing without a cluster CIDR', () => {
    const eps = [webSlice(endpoint('10.8.0.5'))];
    const all = natRules(input({ services: [web()], endpointSlices: eps, masqueradeAll: true }), 'KUBE-SERVICES');
    const svc = all[0].split(' -j ')[1];
    expect(natRules(input({ services: [web()], endpointSlices: eps, masqueradeAll: true }), svc)[0]).toMatch(/--dport 80 -j KUBE-MARK-MASQ$/);
    expect(natRules(input({ services: [web()], endpointSlices: eps, clusterCIDR: '' }), svc)).toHaveLength(1);
  });

  it('skips headless and ExternalName services entirely', () => {
    const headless = web((s) => (s.clusterIP = 'None'));
    const external = makeService('default', 'ext', (s) => {
      s.type = 'ExternalName';
      s.clusterIP = undefined;
      s.externalName = 'example.com';
      s.ports = [tcpPort('http', 80)];
    });
    const rs = renderKubeProxyRuleset(input({ services: [headless, external], endpointSlices: [webSlice(endpoint('10.8.0.5'))] }));
    expect(rs.tables.nat.get('KUBE-SERVICES')).toHaveLength(1);
    expect(rs.tables.filter.get('KUBE-SERVICES')).toEqual([]);
  });

  it('hashes an unnamed port as ns/name', () => {
    const svc = makeService('default', 'kubernetes', (s) => {
      s.clusterIP = '10.96.0.1';
      s.ports = [tcpPort('', 443)];
    });
    const slice = makeSlice('default', 'kubernetes', [endpoint('10.10.20.2')], [{ name: '', port: 6443 }]);
    const rule = natRules(input({ services: [svc], endpointSlices: [slice] }), 'KUBE-SERVICES')[0];
    expect(rule).toContain('--comment "default/kubernetes cluster IP"');
  });
});

describe('load balancing', () => {
  const slice = (n: number) => webSlice(...Array.from({ length: n }, (_, i) => endpoint(`10.8.0.${i + 1}`)));
  const svcChain = (n: number): string[] => {
    const inp = input({ services: [web()], endpointSlices: [slice(n)] });
    const jumpTo = natRules(inp, 'KUBE-SERVICES')[0].split(' -j ')[1];
    return natRules(inp, jumpTo).slice(1);
  };

  it.each([
    [1, []],
    [2, ['0.5000000000']],
    [3, ['0.3333333333', '0.5000000000']],
    [4, ['0.2500000000', '0.3333333333', '0.5000000000']],
  ])('%i endpoints: probabilities %j, last rule unconditional', (n, probs) => {
    const rules = svcChain(n);
    expect(rules).toHaveLength(n);
    expect(rules.map((r) => /--probability (\S+)/.exec(r)?.[1]).filter(Boolean)).toEqual(probs);
    expect(rules[n - 1]).not.toContain('statistic');
    expect(rules[0]).toContain('-m statistic --mode random --probability'.repeat(n > 1 ? 1 : 0));
  });

  it('sorts endpoints by "ip:port" string like upstream byEndpoint', () => {
    const rules = svcChain(12);
    const order = rules.map((r) => /-> (\S+)"/.exec(r)![1]);
    expect(order.slice(0, 4)).toEqual(['10.8.0.10:8080', '10.8.0.11:8080', '10.8.0.12:8080', '10.8.0.1:8080']);
  });

  it('drops per-endpoint comments in large cluster mode (> 1000 endpoints)', () => {
    const big = webSlice(...Array.from({ length: 1001 }, (_, i) => endpoint(`10.8.${Math.floor(i / 250)}.${(i % 250) + 1}`)));
    const rs = renderKubeProxyRuleset(input({ services: [web()], endpointSlices: [big] }));
    const sep = [...rs.tables.nat.keys()].find((c) => c.startsWith('KUBE-SEP-'))!;
    expect(rs.tables.nat.get(sep)![0]).toMatch(/^-A KUBE-SEP-\S+ -s 10\.8\.\S+ -j KUBE-MARK-MASQ$/);
  });
});

describe('session affinity', () => {
  it('checks every endpoint with --rcheck before balancing, and --set in each SEP', () => {
    const svc = web((s) => {
      s.sessionAffinity = 'ClientIP';
      s.affinityTimeoutSeconds = 300;
    });
    const rs = renderKubeProxyRuleset(input({ services: [svc], endpointSlices: [webSlice(endpoint('10.8.0.1'), endpoint('10.8.0.2'))] }));
    const svcChain = rs.tables.nat.get('KUBE-SERVICES')![0].split(' -j ')[1];
    const seps = [...rs.tables.nat.keys()].filter((c) => c.startsWith('KUBE-SEP-'));
    expect(rs.tables.nat.get(svcChain)!.slice(1)).toEqual([
      `-A ${svcChain} -m comment --comment "default/web:http -> 10.8.0.1:8080" -m recent --name ${seps[0]} --rcheck --seconds 300 --reap -j ${seps[0]}`,
      `-A ${svcChain} -m comment --comment "default/web:http -> 10.8.0.2:8080" -m recent --name ${seps[1]} --rcheck --seconds 300 --reap -j ${seps[1]}`,
      `-A ${svcChain} -m comment --comment "default/web:http -> 10.8.0.1:8080" -m statistic --mode random --probability 0.5000000000 -j ${seps[0]}`,
      `-A ${svcChain} -m comment --comment "default/web:http -> 10.8.0.2:8080" -j ${seps[1]}`,
    ]);
    expect(rs.tables.nat.get(seps[1])![1]).toBe(
      `-A ${seps[1]} -m comment --comment default/web:http -m recent --name ${seps[1]} --set -m tcp -p tcp -j DNAT --to-destination 10.8.0.2:8080`,
    );
  });
});

describe('no endpoints', () => {
  it('REJECTs cluster IP, external IP, LB IP and NodePort in filter, and writes no nat chains', () => {
    const svc = web((s) => {
      s.type = 'LoadBalancer';
      s.ports = [tcpPort('http', 80, 30080)];
      s.externalIPs = ['192.168.99.11'];
      s.loadBalancerIPs = ['1.2.3.4'];
    });
    const rs = renderKubeProxyRuleset(input({ services: [svc] }));
    expect(rs.tables.filter.get('KUBE-SERVICES')).toEqual([
      '-A KUBE-SERVICES -m comment --comment "default/web:http has no endpoints" -m tcp -p tcp -d 10.96.0.10 --dport 80 -j REJECT',
    ]);
    expect(rs.tables.filter.get('KUBE-EXTERNAL-SERVICES')).toEqual([
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/web:http has no endpoints" -m tcp -p tcp -d 192.168.99.11 --dport 80 -j REJECT',
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/web:http has no endpoints" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j REJECT',
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/web:http has no endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30080 -j REJECT',
    ]);
    expect([...rs.tables.nat.keys()]).toEqual(['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ']);
    expect(rs.tables.nat.get('KUBE-NODEPORTS')).toEqual([]);
  });

  it('treats not-ready, non-terminating endpoints as no endpoints', () => {
    const rs = renderKubeProxyRuleset(input({ services: [web()], endpointSlices: [webSlice(endpoint('10.8.0.1', 'node-a', { ready: false, serving: false }))] }));
    expect(rs.tables.filter.get('KUBE-SERVICES')![0]).toMatch(/has no endpoints" .* -j REJECT$/);
  });

  it('falls back to serving+terminating endpoints when none is ready', () => {
    const eps = [
      endpoint('10.8.0.1', 'node-a', { ready: false, serving: true, terminating: true }),
      endpoint('10.8.0.2', 'node-b', { ready: false, serving: false, terminating: true }),
    ];
    const rs = renderKubeProxyRuleset(input({ services: [web()], endpointSlices: [webSlice(...eps)] }));
    const seps = [...rs.tables.nat.keys()].filter((c) => c.startsWith('KUBE-SEP-'));
    expect(seps).toHaveLength(1);
    expect(rs.tables.nat.get(seps[0])![1]).toContain('--to-destination 10.8.0.1:8080');
  });

  it('ignores terminating endpoints while a ready one exists', () => {
    const eps = [endpoint('10.8.0.1', 'node-a', { ready: false, serving: true, terminating: true }), endpoint('10.8.0.2', 'node-b')];
    const rs = renderKubeProxyRuleset(input({ services: [web()], endpointSlices: [webSlice(...eps)] }));
    const dnat = [...rs.tables.nat.values()].flat().filter((r) => r.includes('DNAT'));
    expect(dnat).toEqual([expect.stringContaining('10.8.0.2:8080')]);
  });
});

describe('NodePort', () => {
  const np = (edit: Parameters<typeof makeService>[2] = () => {}) =>
    web((s) => {
      s.type = 'NodePort';
      s.ports = [tcpPort('http', 80, 30080)];
      edit(s);
    });

  it('jumps from KUBE-NODEPORTS to KUBE-EXT, which masquerades then goes to KUBE-SVC', () => {
    const rs = renderKubeProxyRuleset(input({ services: [np()], endpointSlices: [webSlice(endpoint('10.8.0.5', 'node-b'))] }));
    const [rule] = rs.tables.nat.get('KUBE-NODEPORTS')!;
    const ext = rule.split(' -j ')[1];
    expect(rule).toBe(`-A KUBE-NODEPORTS -m comment --comment default/web:http -m tcp -p tcp --dport 30080 -j ${ext}`);
    const svc = ext.replace('KUBE-EXT-', 'KUBE-SVC-');
    expect(rs.tables.nat.get(ext)).toEqual([
      `-A ${ext} -m comment --comment "masquerade traffic for default/web:http external destinations" -j KUBE-MARK-MASQ`,
      `-A ${ext} -j ${svc}`,
    ]);
  });

  it('adds the localhost nfacct rule only when nfacct counters exist', () => {
    const eps = [webSlice(endpoint('10.8.0.5'))];
    expect(natRules(input({ services: [np()], endpointSlices: eps }), 'KUBE-NODEPORTS')).toHaveLength(1);
    const withCounters = natRules(input({ services: [np()], endpointSlices: eps, nfacct: true }), 'KUBE-NODEPORTS');
    expect(withCounters[0]).toContain('-d 127.0.0.0/8 --dport 30080 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-');
  });

  it('restricts the NodePort tail rule to nodePortAddresses, and to non-localhost without localhostNodePorts', () => {
    const tail = (inp: Partial<KubeProxyIptablesInput>) => natRules(input(inp), 'KUBE-SERVICES').filter((r) => r.includes('KUBE-NODEPORTS'));
    expect(tail({ localhostNodePorts: false })).toEqual([
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j KUBE-NODEPORTS',
    ]);
    expect(tail({ nodePortAddresses: ['10.10.20.0/22'] })).toEqual([
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -d 10.10.20.4 -j KUBE-NODEPORTS',
    ]);
    expect(tail({ nodePortAddresses: ['primary'] })[0]).toContain(' -d 10.10.20.4 -j KUBE-NODEPORTS');
    // No loopback in nodePortAddresses: upstream turns localhostNodePorts off, so no KUBE-FIREWALL.
    expect(renderKubeProxyRuleset(input({ nodePortAddresses: ['10.10.20.0/22'] })).tables.filter.has('KUBE-FIREWALL')).toBe(false);
    expect(tail({ nodePortAddresses: ['127.0.0.0/8', '10.10.20.0/22'] })).toHaveLength(2);
  });
});

describe('externalTrafficPolicy: Local', () => {
  const lb = web((s) => {
    s.type = 'LoadBalancer';
    s.externalTrafficPolicy = 'Local';
    s.ports = [tcpPort('http', 80, 30080)];
    s.loadBalancerIPs = ['1.2.3.4'];
    s.healthCheckNodePort = 32000;
  });

  it('short-circuits pod and LOCAL traffic to KUBE-SVC and sends the rest to KUBE-SVL', () => {
    const eps = [endpoint('10.8.0.5', 'node-a'), endpoint('10.8.1.5', 'node-b')];
    const rs = renderKubeProxyRuleset(input({ services: [lb], endpointSlices: [webSlice(...eps)] }));
    const ext = [...rs.tables.nat.keys()].find((c) => c.startsWith('KUBE-EXT-'))!;
    const svc = ext.replace('KUBE-EXT-', 'KUBE-SVC-');
    const svl = ext.replace('KUBE-EXT-', 'KUBE-SVL-');
    expect(rs.tables.nat.get(ext)).toEqual([
      `-A ${ext} -m comment --comment "pod traffic for default/web:http external destinations" -s 10.8.0.0/16 -j ${svc}`,
      `-A ${ext} -m comment --comment "masquerade LOCAL traffic for default/web:http external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`,
      `-A ${ext} -m comment --comment "route LOCAL traffic for default/web:http external destinations" -m addrtype --src-type LOCAL -j ${svc}`,
      `-A ${ext} -j ${svl}`,
    ]);
    expect(rs.tables.nat.get(svl)).toHaveLength(1);
    expect(rs.tables.nat.get(svl)![0]).toContain('-> 10.8.0.5:8080');
    expect(rs.tables.nat.get(svc)!.filter((r) => r.includes('KUBE-SEP-'))).toHaveLength(2);
    expect(rs.tables.filter.get('KUBE-NODEPORTS')).toEqual([
      '-A KUBE-NODEPORTS -m comment --comment "default/web:http health check node port" -m tcp -p tcp --dport 32000 -j ACCEPT',
    ]);
  });

  it('DROPs external traffic in filter when this node has no local endpoint, but keeps the short-circuit', () => {
    const rs = renderKubeProxyRuleset(input({ services: [lb], endpointSlices: [webSlice(endpoint('10.8.1.5', 'node-b'))] }));
    const ext = [...rs.tables.nat.keys()].find((c) => c.startsWith('KUBE-EXT-'))!;
    expect(rs.tables.nat.get(ext)).toHaveLength(3);
    expect([...rs.tables.nat.keys()].some((c) => c.startsWith('KUBE-SVL-'))).toBe(false);
    expect(rs.tables.filter.get('KUBE-EXTERNAL-SERVICES')).toEqual([
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/web:http has no local endpoints" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j DROP',
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/web:http has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30080 -j DROP',
    ]);
  });

  it('has no effect on a ClusterIP service without external IPs', () => {
    const svc = web((s) => (s.externalTrafficPolicy = 'Local'));
    const rs = renderKubeProxyRuleset(input({ services: [svc], endpointSlices: [webSlice(endpoint('10.8.1.5', 'node-b'))] }));
    expect([...rs.tables.nat.keys()].filter((c) => /^KUBE-(EXT|SVL)-/.test(c))).toEqual([]);
  });
});

describe('internalTrafficPolicy: Local', () => {
  const svc = web((s) => (s.internalTrafficPolicy = 'Local'));

  it('sends cluster IP traffic to KUBE-SVL with only the local endpoints', () => {
    const eps = [endpoint('10.8.0.5', 'node-a'), endpoint('10.8.1.5', 'node-b')];
    const rs = renderKubeProxyRuleset(input({ services: [svc], endpointSlices: [webSlice(...eps)] }));
    const jumpTo = rs.tables.nat.get('KUBE-SERVICES')![0].split(' -j ')[1];
    expect(jumpTo).toMatch(/^KUBE-SVL-/);
    expect(rs.tables.nat.get(jumpTo)).toHaveLength(2); // masquerade + one endpoint
    expect([...rs.tables.nat.keys()].filter((c) => c.startsWith('KUBE-SEP-'))).toHaveLength(1);
    expect([...rs.tables.nat.keys()].some((c) => c.startsWith('KUBE-SVC-'))).toBe(false);
  });

  it('DROPs cluster IP traffic when there is no local endpoint', () => {
    const rs = renderKubeProxyRuleset(input({ services: [svc], endpointSlices: [webSlice(endpoint('10.8.1.5', 'node-b'))] }));
    expect(rs.tables.filter.get('KUBE-SERVICES')).toEqual([
      '-A KUBE-SERVICES -m comment --comment "default/web:http has no local endpoints" -m tcp -p tcp -d 10.96.0.10 --dport 80 -j DROP',
    ]);
  });
});

describe('LoadBalancer source ranges', () => {
  it('allows the node itself via the LB IP when the node IP is inside a range', () => {
    const svc = web((s) => {
      s.type = 'LoadBalancer';
      s.ports = [tcpPort('http', 80, 30080)];
      s.loadBalancerIPs = ['1.2.3.4'];
      s.loadBalancerSourceRanges = ['10.10.20.0/22', '203.0.113.7/25'];
    });
    const rs = renderKubeProxyRuleset(input({ services: [svc], endpointSlices: [webSlice(endpoint('10.8.0.5'))] }));
    const fw = [...rs.tables.nat.keys()].find((c) => c.startsWith('KUBE-FW-'))!;
    const ext = fw.replace('KUBE-FW-', 'KUBE-EXT-');
    expect(rs.tables.nat.get(fw)).toEqual([
      `-A ${fw} -m comment --comment "default/web:http loadbalancer IP" -s 10.10.20.0/22 -j ${ext}`,
      `-A ${fw} -m comment --comment "default/web:http loadbalancer IP" -s 203.0.113.0/25 -j ${ext}`,
      `-A ${fw} -m comment --comment "default/web:http loadbalancer IP" -s 1.2.3.4 -j ${ext}`,
      `-A ${fw} -m comment --comment "other traffic to default/web:http will be dropped by KUBE-PROXY-FIREWALL"`,
    ]);
    expect(filterRules(input({ services: [svc], endpointSlices: [webSlice(endpoint('10.8.0.5'))] }), 'KUBE-PROXY-FIREWALL')).toEqual([
      `-A KUBE-PROXY-FIREWALL -m comment --comment "default/web:http traffic not accepted by ${fw}" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j DROP`,
    ]);
  });
});

describe('partial sync text', () => {
  const two = () =>
    input({
      services: [web(), makeService('default', 'api', (s) => { s.clusterIP = '10.96.0.11'; s.ports = [tcpPort('http', 80)]; })],
      endpointSlices: [webSlice(endpoint('10.8.0.5')), makeSlice('default', 'api', [endpoint('10.8.0.6')], [{ name: 'http', port: 80 }])],
    });

  it('always writes the filter table and top-level nat chains, plus only the chosen service chains', () => {
    const rs = renderKubeProxyRuleset(two());
    const only = chainsOfServices(rs, ['default/web']);
    expect(only.size).toBe(2);
    const text = toRestoreText(rs, { onlyChains: only });
    const declared = text.split('\n').filter((l) => l.startsWith(':')).map((l) => l.split(' ')[0].slice(1));
    expect(declared.filter((c) => /^KUBE-(SVC|SEP)-/.test(c)).sort()).toEqual([...only].sort());
    expect(declared).toContain('KUBE-FORWARD');
    expect(declared).toContain('KUBE-POSTROUTING');
    // KUBE-SERVICES is rewritten whole, still jumping to both services.
    expect(text.match(/^-A KUBE-SERVICES .*cluster IP/gm)).toHaveLength(2);
  });

  it('deletes stale service chains with a flush line and -X, ignoring active and foreign chains', () => {
    const rs = renderKubeProxyRuleset(two());
    const active = [...rs.tables.nat.keys()].find((c) => c.startsWith('KUBE-SVC-'))!;
    const text = toRestoreText(rs, { onlyChains: new Set(), deleteChains: ['KUBE-SEP-STALE', active, 'DOCKER'] });
    const nat = text.slice(text.indexOf('*nat'));
    expect(nat).toContain(':KUBE-SEP-STALE - [0:0]\n');
    expect(nat.trimEnd().split('\n').slice(-2)).toEqual(['-X KUBE-SEP-STALE', 'COMMIT']);
    expect(nat).not.toContain(`-X ${active}`);
    expect(nat).not.toContain('DOCKER');
  });

  it('renders a full sync as *filter ... COMMIT *nat ... COMMIT', () => {
    const text = renderKubeProxyIptables(two());
    expect(text.startsWith('*filter\n:KUBE-SERVICES - [0:0]\n')).toBe(true);
    expect(text.match(/^COMMIT$/gm)).toHaveLength(2);
    expect(text.endsWith('COMMIT\n')).toBe(true);
    expect(checkIPTablesRuleJumps(text)).toEqual([]);
  });
});
