// kube-proxy's iptables mode (iptables.ts) against upstream's TestOverallIPTablesRules dump; the
// unit tests are in iptables-chains, -service-port, -external-traffic and -restore.test.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderKubeProxyIptables, type KubeProxyIptablesInput } from './iptables.js';
import { checkIPTablesRuleJumps, sortIPTablesRules } from './testing/iptables-dump.js';
import { overallServices, overallSlices } from './testing/upstream-fixtures.js';

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
  const services = overallServices();
  const endpointSlices = overallSlices();
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
