// kube-proxy's iptables mode (iptables.ts) against upstream's TestOverallIPTablesRules dump; the
// unit tests are in iptables-chains, -service-port, -external-traffic and -restore.test.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderKubeProxyIptables, type KubeProxyIptablesInput } from './iptables.js';
import { checkIPTablesRuleJumps, sortIPTablesRules } from './testing/iptables-dump.js';
import { endpoint, makeService, makeSlice, tcpPort } from '../../model/testing/services.js';

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
    const rulesOnly = (text: string): string[] =>
      text
        .split('\n')
        .filter((l) => l.startsWith('-A'))
        .sort();
    expect(rulesOnly(result)).toEqual(rulesOnly(golden));
  });
});
