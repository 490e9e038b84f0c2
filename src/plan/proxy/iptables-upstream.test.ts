// More of upstream's kube-proxy iptables tests, translated: kubernetes/kubernetes
// pkg/proxy/iptables/proxier_test.go at commit 531be81208e2274ef42e72525a26610a9622bcdf.
//   TestSyncProxyRulesRepeated        full + partial sync dumps (golden file), compared after
//                                     upstream's sortIPTablesRules like assertIPTablesRulesEqual
//   TestSyncProxyRulesLargeClusterMode the DNAT lines it asserts, on full syncs
//   TestInternalExternalMasquerade    all four variants, through the ported packet tracer
//   TestNoEndpointsReject             through the ported packet tracer
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { EndpointSlice } from '../../model/types.js';
import { renderKubeProxyIptables, renderKubeProxyRuleset, type KubeProxyIptablesInput } from './iptables.js';
import { chainsOfServices, toRestoreText } from './iptables-restore.js';
import { sortIPTablesRules } from './testing/iptables-dump.js';
import { isServiceChainName } from './iptables-names.js';
import { tracePacket } from './testing/iptables-trace.js';
import { endpoint, makeService, makeSlice, tcpPort } from '../../model/testing/services.js';
import type { IptablesService } from './service-ports.js';
import { clusterIPService, readySlice } from './testing/upstream-fixtures.js';

/** NewFakeProxier's settings (see iptables.test.ts). */
function fakeProxier(services: IptablesService[], endpointSlices: EndpointSlice[]): KubeProxyIptablesInput {
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

describe('upstream TestSyncProxyRulesRepeated (partial syncs)', () => {
  const sections = readFileSync(new URL('./__golden__/TestSyncProxyRulesRepeated.expected.txt', import.meta.url), 'utf8')
    .split(/^### .*\n/m)
    .slice(1);

  it('writes, step by step, the same full and partial restores as upstream', () => {
    const svc = {
      svc1: clusterIPService('ns1', 'svc1', '172.30.0.41', 'p80', 80),
      svc2: clusterIPService('ns2', 'svc2', '172.30.0.42', 'p8080', 8080),
      svc3: clusterIPService('ns3', 'svc3', '172.30.0.43', 'p80', 80),
      svc4: clusterIPService('ns4', 'svc4', '172.30.0.44', 'p80', 80),
    };
    const slice = readySlice;
    const eps1 = slice('ns1', 'svc1', ['10.0.1.1'], 'p80', 80);
    const eps2 = slice('ns2', 'svc2', ['10.0.2.1'], 'p8080', 8080);
    const eps3 = (...ips: string[]) => slice('ns3', 'svc3', ips, 'p80', 80);
    const eps4 = slice('ns4', 'svc4', ['10.0.4.1'], 'p80', 80);

    // Each step: the cluster state, and the services whose objects changed since the last sync
    // (upstream's serviceUpdateResult/endpointUpdateResult UpdatedServices); undefined = full sync.
    const steps: { services: IptablesService[]; slices: EndpointSlice[]; changed?: string[] }[] = [
      { services: [svc.svc1, svc.svc2], slices: [eps1, eps2] },
      { services: [svc.svc1, svc.svc2, svc.svc3], slices: [eps1, eps2, eps3('10.0.3.1')], changed: ['ns3/svc3'] },
      { services: [svc.svc1, svc.svc3], slices: [eps1, eps2, eps3('10.0.3.1')], changed: ['ns2/svc2'] },
      { services: [svc.svc1, svc.svc3, svc.svc4], slices: [eps1, eps2, eps3('10.0.3.1')], changed: ['ns4/svc4'] },
      { services: [svc.svc1, svc.svc3, svc.svc4], slices: [eps1, eps2, eps3('10.0.3.1'), eps4], changed: ['ns4/svc4'] },
      { services: [svc.svc1, svc.svc3, svc.svc4], slices: [eps1, eps2, eps3('10.0.3.2'), eps4], changed: ['ns3/svc3'] },
      { services: [svc.svc1, svc.svc3, svc.svc4], slices: [eps1, eps2, eps3('10.0.3.2', '10.0.3.3'), eps4], changed: ['ns3/svc3'] },
      { services: [svc.svc1, svc.svc3, svc.svc4], slices: [eps1, eps2, eps3('10.0.3.2', '10.0.3.3'), eps4], changed: [] },
    ];
    expect(sections).toHaveLength(steps.length);

    // The nat chains present in the (simulated) kernel, which upstream reads with iptables-save.
    const kernel = new Set<string>();
    steps.forEach((step, i) => {
      const rs = renderKubeProxyRuleset(fakeProxier(step.services, step.slices));
      const onlyChains = step.changed === undefined ? undefined : chainsOfServices(rs, step.changed);
      const stale = [...kernel].filter((c) => isServiceChainName(c) && !rs.tables.nat.has(c));
      const text = toRestoreText(rs, { onlyChains, deleteChains: stale });
      expect(sortIPTablesRules(text), `step ${i + 1}`).toBe(sections[i]);
      for (const line of text.split('\n')) if (line.startsWith(':')) kernel.add(line.slice(1).split(' ')[0]);
      for (const c of stale) kernel.delete(c);
    });
  });
});

describe('upstream TestSyncProxyRulesLargeClusterMode (full syncs)', () => {
  const manyEndpoints = (ns: string, name: string, prefix: string, port: string, num: number) =>
    makeSlice(
      ns,
      name,
      Array.from({ length: 1000 / 2 - 1 }, (_, i) => endpoint(`${prefix}.${i % 256}.${Math.floor(i / 256)}`)),
      [{ name: port, port: num }],
    );
  const services = [
    clusterIPService('ns1', 'svc1', '172.30.0.41', 'p80', 80),
    clusterIPService('ns2', 'svc2', '172.30.0.42', 'p8080', 8080),
    clusterIPService('ns3', 'svc3', '172.30.0.43', 'p8081', 8081),
  ];
  const slices = [manyEndpoints('ns1', 'svc1', '10.0', 'p80', 80), manyEndpoints('ns2', 'svc2', '10.1', 'p8080', 8080)];
  const svc3Slice = makeSlice(
    'ns3',
    'svc3',
    ['203.0.113.4', '203.0.113.8', '203.0.113.12'].map((ip) => endpoint(ip)),
    [{ name: 'p8081', port: 8081 }],
  );
  const dnatLines = (text: string) => text.split('\n').filter((l) => l.startsWith('-A KUBE-SEP-') && l.includes('-j DNAT'));

  it('keeps comments at 998 endpoints', () => {
    const lines = dnatLines(renderKubeProxyIptables({ ...fakeProxier(services, slices), masqueradeAll: true }));
    expect(lines).toHaveLength(998);
    expect(lines).toContain('-A KUBE-SEP-DKGQUZGBKLTPAR56 -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.0.0.0:80');
    expect(lines.every((l) => l.includes('--comment'))).toBe(true);
  });

  it('drops them above 1000 endpoints', () => {
    const lines = dnatLines(renderKubeProxyIptables({ ...fakeProxier(services, [...slices, svc3Slice]), masqueradeAll: true }));
    expect(lines).toHaveLength(1001);
    expect(lines).toContain('-A KUBE-SEP-DKGQUZGBKLTPAR56 -m tcp -p tcp -j DNAT --to-destination 10.0.0.0:80');
    expect(lines).toContain('-A KUBE-SEP-RUVVH7YV3PHQBDOS -m tcp -p tcp -j DNAT --to-destination 203.0.113.4:8081');
    expect(lines.some((l) => l.includes('--comment'))).toBe(false);
  });

  it('names svc4 chains as upstream', () => {
    const svc4 = clusterIPService('ns4', 'svc4', '172.30.0.44', 'p8082', 8082);
    const slice4 = makeSlice('ns4', 'svc4', [endpoint('10.4.0.1')], [{ name: 'p8082', port: 8082 }]);
    const rs = renderKubeProxyRuleset({ ...fakeProxier([...services, svc4], [...slices, svc3Slice, slice4]), masqueradeAll: true });
    expect(rs.serviceChains.get('ns4/svc4')).toEqual(['KUBE-SVC-EBDQOQU5SJFXRIL3', 'KUBE-SEP-SU5STNODRYEWJAUF']);
    expect(rs.tables.nat.get('KUBE-SEP-SU5STNODRYEWJAUF')?.[1]).toBe('-A KUBE-SEP-SU5STNODRYEWJAUF -m tcp -p tcp -j DNAT --to-destination 10.4.0.1:8082');
  });
});

// testNodeIPs in upstream's tests (IPv4 ones; the IPv6 ones never match an IPv4 rule).
const testNodeIPs = ['192.168.0.2', '192.168.1.2', '192.168.99.11'];
const testNodeIP = '192.168.0.2';
const testExternalClient = '203.0.113.2';

interface Flow {
  name: string;
  sourceIP: string;
  destIP: string;
  destPort: number;
  output: string;
  masq: boolean;
}

function runFlows(text: string, flows: Flow[]): void {
  for (const f of flows) {
    const r = tracePacket(text, { sourceIP: f.sourceIP, protocol: 'tcp', destIP: f.destIP, destPort: f.destPort }, testNodeIPs);
    expect({ name: f.name, output: r.output, masq: r.masq }, r.matches.join('\n')).toEqual({ name: f.name, output: f.output, masq: f.masq });
  }
}

describe('upstream TestInternalExternalMasquerade (packet flows)', () => {
  const lb = (n: number, ip: string, nodePort: number, edit: (s: IptablesService) => void) =>
    makeService(`ns${n}`, `svc${n}`, (s) => {
      s.type = 'LoadBalancer';
      s.clusterIP = `172.30.0.4${n}`;
      s.ports = [tcpPort('p80', 80, nodePort)];
      s.healthCheckNodePort = 30000 + n;
      s.loadBalancerIPs = [ip];
      edit(s);
    });
  const services = [
    lb(1, '1.2.3.4', 3001, () => {}),
    lb(2, '5.6.7.8', 3002, (s) => (s.externalTrafficPolicy = 'Local')),
    lb(3, '9.10.11.12', 3003, (s) => (s.internalTrafficPolicy = 'Local')),
  ];
  const slices = [1, 2, 3].map((n) =>
    makeSlice(`ns${n}`, `svc${n}`, [endpoint(`10.180.0.${n}`, 'test-node'), endpoint(`10.180.1.${n}`, 'remote')], [{ name: 'p80', port: 80 }]),
  );
  const both = (n: number) => `10.180.0.${n}:80, 10.180.1.${n}:80`;
  const node = testNodeIP;
  const ext = testExternalClient;
  const f = (name: string, sourceIP: string, destIP: string, destPort: number, output: string, masq: boolean): Flow => ({
    name,
    sourceIP,
    destIP,
    destPort,
    output,
    masq,
  });
  const flows: Flow[] = [
    f('pod to ClusterIP', '10.0.0.2', '172.30.0.41', 80, both(1), false),
    f('pod to NodePort', '10.0.0.2', node, 3001, both(1), true),
    f('pod to LB', '10.0.0.2', '1.2.3.4', 80, both(1), true),
    f('node to ClusterIP', node, '172.30.0.41', 80, both(1), true),
    f('node to NodePort', node, node, 3001, both(1), true),
    f('localhost to NodePort', '127.0.0.1', '127.0.0.1', 3001, both(1), true),
    f('node to LB', node, '1.2.3.4', 80, both(1), true),
    f('external to ClusterIP', ext, '172.30.0.41', 80, both(1), true),
    f('external to NodePort', ext, node, 3001, both(1), true),
    f('external to LB', ext, '1.2.3.4', 80, both(1), true),
    f('pod to ClusterIP with eTP:Local', '10.0.0.2', '172.30.0.42', 80, both(2), false),
    f('pod to NodePort with eTP:Local', '10.0.0.2', node, 3002, both(2), false),
    f('pod to LB with eTP:Local', '10.0.0.2', '5.6.7.8', 80, both(2), false),
    f('node to ClusterIP with eTP:Local', node, '172.30.0.42', 80, both(2), true),
    f('node to NodePort with eTP:Local', node, node, 3001, both(1), true),
    f('localhost to NodePort with eTP:Local', '127.0.0.1', '127.0.0.1', 3002, both(2), true),
    f('node to LB with eTP:Local', node, '5.6.7.8', 80, both(2), true),
    f('external to ClusterIP with eTP:Local', ext, '172.30.0.42', 80, both(2), true),
    f('external to NodePort with eTP:Local', ext, node, 3002, '10.180.0.2:80', false),
    f('external to LB with eTP:Local', ext, '5.6.7.8', 80, '10.180.0.2:80', false),
    f('pod to ClusterIP with iTP:Local', '10.0.0.2', '172.30.0.43', 80, '10.180.0.3:80', false),
    f('pod to NodePort with iTP:Local', '10.0.0.2', node, 3003, both(3), true),
    f('pod to LB with iTP:Local', '10.0.0.2', '9.10.11.12', 80, both(3), true),
    f('node to ClusterIP with iTP:Local', node, '172.30.0.43', 80, '10.180.0.3:80', true),
    f('node to NodePort with iTP:Local', node, node, 3003, both(3), true),
    f('localhost to NodePort with iTP:Local', '127.0.0.1', '127.0.0.1', 3003, both(3), true),
    f('node to LB with iTP:Local', node, '9.10.11.12', 80, both(3), true),
    f('external to ClusterIP with iTP:Local', ext, '172.30.0.43', 80, '10.180.0.3:80', true),
    f('external to NodePort with iTP:Local', ext, node, 3003, both(3), true),
    f('external to LB with iTP:Local', ext, '9.10.11.12', 80, both(3), true),
  ];
  type Override = Partial<Pick<Flow, 'output' | 'masq'>>;
  const noDetector: Record<string, Override> = {
    'node to ClusterIP': { masq: false },
    'node to ClusterIP with eTP:Local': { masq: false },
    'node to ClusterIP with iTP:Local': { masq: false },
    'external to ClusterIP': { masq: false },
    'external to ClusterIP with eTP:Local': { masq: false },
    'external to ClusterIP with iTP:Local': { masq: false },
    'pod to NodePort with eTP:Local': { output: '10.180.0.2:80' },
    'pod to LB with eTP:Local': { output: '10.180.0.2:80' },
  };
  const masqAll: Record<string, Override> = {
    'pod to ClusterIP': { masq: true },
    'pod to ClusterIP with eTP:Local': { masq: true },
    'pod to ClusterIP with iTP:Local': { masq: true },
  };
  const cases: [string, boolean, boolean, Record<string, Override>][] = [
    ['base', false, true, {}],
    ['no LocalTrafficDetector', false, false, noDetector],
    ['masqueradeAll', true, true, masqAll],
    [
      'masqueradeAll, no LocalTrafficDetector',
      true,
      false,
      {
        ...masqAll,
        'pod to NodePort with eTP:Local': noDetector['pod to NodePort with eTP:Local'],
        'pod to LB with eTP:Local': noDetector['pod to LB with eTP:Local'],
      },
    ],
  ];
  it.each(cases)('%s', (_name, masqueradeAll, localDetector, overrides) => {
    const inp = { ...fakeProxier(services, slices), masqueradeAll, clusterCIDR: localDetector ? '10.0.0.0/8' : '' };
    runFlows(
      renderKubeProxyIptables(inp),
      flows.map((fl) => ({ ...fl, ...overrides[fl.name] })),
    );
  });
});

describe('upstream TestNoEndpointsReject (packet flows)', () => {
  it('rejects every way in', () => {
    const svc = makeService('ns1', 'svc1', (s) => {
      s.type = 'LoadBalancer';
      s.clusterIP = '172.30.0.41';
      s.externalIPs = ['192.168.99.11'];
      s.ports = [tcpPort('p80', 80, 3001)];
      s.loadBalancerIPs = ['1.2.3.4'];
    });
    const text = renderKubeProxyIptables(fakeProxier([svc], []));
    runFlows(text, [
      { name: 'pod to cluster IP with no endpoints', sourceIP: '10.0.0.2', destIP: '172.30.0.41', destPort: 80, output: 'REJECT', masq: false },
      { name: 'external to external IP with no endpoints', sourceIP: testExternalClient, destIP: '192.168.99.11', destPort: 80, output: 'REJECT', masq: false },
      { name: 'pod to NodePort with no endpoints', sourceIP: '10.0.0.2', destIP: testNodeIP, destPort: 3001, output: 'REJECT', masq: false },
      { name: 'external to NodePort with no endpoints', sourceIP: testExternalClient, destIP: testNodeIP, destPort: 3001, output: 'REJECT', masq: false },
      { name: 'pod to LoadBalancer IP with no endpoints', sourceIP: '10.0.0.2', destIP: '1.2.3.4', destPort: 80, output: 'REJECT', masq: false },
      { name: 'external to LoadBalancer IP with no endpoints', sourceIP: testExternalClient, destIP: '1.2.3.4', destPort: 80, output: 'REJECT', masq: false },
    ]);
  });
});
