// kube-proxy's nftables mode against upstream's own expectations: kubernetes v1.34.2
// pkg/proxy/nftables/proxier_test.go, translated.
//   baseRules                     the fixed table (golden file, lines 150-206)
//   TestOverallNFTablesRules      six services of every kind (golden file, lines 208-470)
//   TestSyncProxyRulesRepeated    a full sync then nine partial syncs, the dump after each and the
//                                 number of operations each transaction has (lines 3820-4323)
//   Test_servicePortChainNameBase the hashed names (lines 4735-4788)
// Dumps are compared after upstream's sortNFTablesTransaction, as assertNFTablesTransactionEqual does.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { EndpointSlice } from '../../model/types.js';
import { endpoint, makeService, makeSlice, tcpPort } from '../../model/testing/services.js';
import { clusterIPService, overallServices, overallSlices, readySlice } from './testing/upstream-fixtures.js';
import { syncNftables, nftMasqueradeMark, type KubeProxyNftablesInput, type NftSyncState } from './nftables.js';
import { servicePortChainNameBase } from './nftables-names.js';
import { transactionText } from './nft-objects.js';
import { sortNFTablesTransaction } from './testing/nft-dump.js';
import type { IptablesService } from './service-ports.js';

const golden = (name: string) => readFileSync(new URL(`./__golden__/${name}`, import.meta.url), 'utf8');
const baseRules = golden('nftables-baseRules.expected.txt');

/** NewFakeProxier(v1.IPv4Protocol): node 192.168.0.2 (eth0 also has 192.168.1.2 and
 * 192.168.99.11), pods 10.0.0.0/8, services 172.30.0.0/16, nodePortAddresses 192.168.0.2/32. */
export function fakeNftProxier(services: IptablesService[], endpointSlices: EndpointSlice[]): KubeProxyNftablesInput {
  return {
    hostname: 'test-node',
    nodeIPs: ['192.168.0.2', '192.168.1.2', '192.168.99.11'],
    clusterCIDR: '10.0.0.0/8',
    serviceCIDRs: ['172.30.0.0/16'],
    services,
    endpointSlices,
    masqueradeMark: '0x4000',
    nodePortAddresses: ['192.168.0.2/32'],
  };
}

const expectDump = (state: NftSyncState, expected: string) => expect(sortNFTablesTransaction(state.table.dump())).toBe(sortNFTablesTransaction(expected));

describe('upstream TestOverallNFTablesRules', () => {
  it('renders the same table as upstream for ClusterIP, LoadBalancer (Local and Cluster), NodePort, ExternalIP and endpoint-less services', () => {
    const svcs = overallServices();
    const slices = overallSlices();
    const { state } = syncNftables(fakeNftProxier(svcs, slices));
    expectDump(state, baseRules + golden('nftables-TestOverallNFTablesRules.expected.txt'));
  });

  it('fails when the table differs (a wrong cluster CIDR changes the masquerade rules)', () => {
    const svc = makeService('ns1', 'svc1', (s) => {
      s.clusterIP = '172.30.0.41';
      s.ports = [tcpPort('p80', 80)];
    });
    const { state } = syncNftables({
      ...fakeNftProxier([svc], [makeSlice('ns1', 'svc1', [endpoint('10.180.0.1')], [{ name: 'p80', port: 80 }])]),
      clusterCIDR: '10.1.0.0/16',
    });
    expect(sortNFTablesTransaction(state.table.dump())).not.toBe(sortNFTablesTransaction(baseRules + golden('nftables-TestOverallNFTablesRules.expected.txt')));
    expect(state.table.dump()).toContain('ip saddr != 10.1.0.0/16 jump mark-for-masquerade');
  });
});

describe('upstream TestSyncProxyRulesRepeated', () => {
  const steps = golden('nftables-TestSyncProxyRulesRepeated.expected.txt')
    .split(/^### .*\n/m)
    .slice(1);

  it('reaches the same table after each full and partial sync, with as many operations as upstream', () => {
    const clusterIP = clusterIPService;
    const slice = readySlice;
    const svc1 = clusterIP('ns1', 'svc1', '172.30.0.41', 'p80', 80);
    const svc2 = clusterIP('ns2', 'svc2', '172.30.0.42', 'p8080', 8080);
    const svc3 = clusterIP('ns3', 'svc3', '172.30.0.43', 'p80', 80);
    const svc4 = clusterIP('ns4', 'svc4', '172.30.0.44', 'p80', 80);
    const eps1 = slice('ns1', 'svc1', ['10.0.1.1'], 'p80', 80);
    const eps2 = slice('ns2', 'svc2', ['10.0.2.1'], 'p8080', 8080);
    const eps3 = (...ips: string[]) => slice('ns3', 'svc3', ips, 'p80', 80);
    const eps4 = slice('ns4', 'svc4', ['10.0.4.1'], 'p80', 80);
    let now = 1_000_000;
    let state: NftSyncState | undefined;
    let lastOps = 0;
    const sync = (services: IptablesService[], slices: EndpointSlice[]) => {
      const r = syncNftables(fakeNftProxier(services, slices), state, { now });
      state = r.state;
      lastOps = r.ops.length;
    };
    const age = () => (now += 2000);
    const check = (step: number, ops?: number) => {
      expectDump(state!, baseRules + steps[step - 1]);
      if (ops !== undefined) expect(lastOps, `operations of step ${step}`).toBe(ops);
    };
    sync([svc1, svc2], [eps1, eps2]);
    check(1);
    sync([svc1, svc2, svc3], [eps1, eps2, eps3('10.0.3.1')]);
    check(2, 10);
    sync([svc1, svc3], [eps1, eps2, eps3('10.0.3.1')]);
    check(3, 4);
    age();
    sync([svc1, svc3], [eps1, eps2, eps3('10.0.3.1')]);
    check(4, 0);
    sync([svc1, svc3, svc4], [eps1, eps2, eps3('10.0.3.1')]);
    check(5, 2);
    sync([svc1, svc3, svc4], [eps1, eps2, eps3('10.0.3.1'), eps4]);
    check(6, 10);
    sync([svc1, svc3, svc4], [eps1, eps2, eps3('10.0.3.2'), eps4]);
    check(7, 9);
    age();
    sync([svc1, svc3, svc4], [eps1, eps2, eps3('10.0.3.2', '10.0.3.3'), eps4]);
    check(8, 12);
    sync([svc1, svc3, svc4], [eps1, eps2, eps3(), eps4]);
    check(9, 5);
    expect([...state!.staleChains.keys()].sort()).toEqual([
      'endpoint-SWWHDC7X-ns3/svc3/tcp/p80__10.0.3.2/80',
      'endpoint-TQ2QKHCZ-ns3/svc3/tcp/p80__10.0.3.3/80',
      'service-4AT6LBPK-ns3/svc3/tcp/p80',
    ]);
    sync([svc1, svc3, svc4], [eps1, eps2, eps3('10.0.3.2', '10.0.3.3'), eps4]);
    check(10, 14);
    expect(state!.staleChains.size).toBe(0);
    sync([svc1, svc3, svc4], [eps1, eps2, eps3(), eps4]);
    age();
    sync([svc1, svc3, svc4], [eps1, eps2, eps3('10.0.3.2', '10.0.3.3'), eps4]);
    check(10);
    sync([svc1, svc3, svc4], [eps1, eps2, eps3('10.0.3.2', '10.0.3.3'), eps4]);
    check(10, 0);
  });
});

describe('upstream Test_servicePortChainNameBase', () => {
  it('hashes and names like upstream', () => {
    expect(servicePortChainNameBase('testing', 'service', 'tcp', 'http')).toBe('P4ZYZVCF-testing/service/tcp/http');
    expect(servicePortChainNameBase('testing', 'service', 'tcp', 'https')).toBe('LZBRENCP-testing/service/tcp/https');
    const ns = 'very-long-namespace-name-abcdefghijklmnopqrstuvwxyz0123456789xx';
    const name = 'very-long-service-name-why-would-you-even-do-this-i-mean-really';
    const port = 'port-443-providing-the-hypertext-transmission-protocol-with-tls';
    expect(servicePortChainNameBase(ns, name, 'sctp', port)).toBe(`KR6NACJP-${ns}/${name}/sctp/${port}`);
  });
});

describe('the nft -f text', () => {
  it('writes knftables lines: numeric priorities, the first sync recreating base chains, Go %#08x masquerade mark', () => {
    expect(nftMasqueradeMark(14)).toBe('0x004000');
    const text = transactionText(syncNftables(fakeNftProxier([], [])).ops);
    expect(text).toContain('add chain ip kube-proxy nat-output { type nat hook output priority -100 ; }\n');
    expect(text).toMatch(
      /^add table ip kube-proxy \{ comment "rules for kube-proxy" ; \}\nadd chain ip kube-proxy filter-prerouting-pre-dnat\ndelete chain ip kube-proxy filter-prerouting-pre-dnat\n/,
    );
  });
});

describe('loadBalancerSourceRanges 0.0.0.0/0', () => {
  it('means allow any: no firewall chain and no firewall-ips element (v1.34.2 pkg/proxy/serviceport.go newBaseServiceInfo)', () => {
    const lb = (ranges: string[]) =>
      makeService('ns5', 'svc5', (s) => {
        s.type = 'LoadBalancer';
        s.clusterIP = '172.30.0.45';
        s.ports = [tcpPort('p80', 80, 3002)];
        s.loadBalancerIPs = ['5.6.7.8'];
        s.loadBalancerSourceRanges = ranges;
      });
    const slice = makeSlice('ns5', 'svc5', [endpoint('10.180.0.3')], [{ name: 'p80', port: 80 }]);
    const limited = syncNftables(fakeNftProxier([lb(['203.0.113.0/25'])], [slice])).state.table.dump();
    expect(limited).toContain('add rule ip kube-proxy firewall-HVFWP5L3-ns5/svc5/tcp/p80 ip saddr != { 203.0.113.0/25 } drop');
    const any = syncNftables(fakeNftProxier([lb(['203.0.113.0/25', '0.0.0.0/0'])], [slice])).state.table.dump();
    expect(any).not.toContain('firewall-HVFWP5L3');
  });
});
