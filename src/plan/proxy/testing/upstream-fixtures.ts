// Services and EndpointSlices of upstream's kube-proxy tests, shared by the iptables and the
// nftables golden tests (kubernetes pkg/proxy/{iptables,nftables}/proxier_test.go build the same
// ones): TestOverall*Rules' six services (svc1..svc6) and their slices, and the ClusterIP service
// and slice helpers of TestSyncProxyRulesRepeated. Endpoints without NodeName are non-local;
// conditions unset mean ready, serving, not terminating.
import type { EndpointSlice } from '../../../model/types.js';
import { endpoint, makeService, makeSlice, tcpPort, type TestService } from '../../../model/testing/services.js';

export function overallServices(): TestService[] {
  return [
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
}

export function overallSlices(): EndpointSlice[] {
  const p80 = [{ name: 'p80', port: 80 }];
  return [
    makeSlice('ns1', 'svc1', [endpoint('10.180.0.1')], p80),
    makeSlice('ns2', 'svc2', [endpoint('10.180.0.2')], p80),
    makeSlice('ns3', 'svc3', [endpoint('10.180.0.3')], p80),
    makeSlice('ns4', 'svc4', [endpoint('10.180.0.4'), endpoint('10.180.0.5', 'test-node')], p80),
    makeSlice('ns5', 'svc5', [endpoint('10.180.0.3')], p80),
  ];
}

/** makeTestService with one TCP port, as TestSyncProxyRulesRepeated writes them. */
export const clusterIPService = (ns: string, name: string, ip: string, portName: string, port: number) =>
  makeService(ns, name, (s) => {
    s.clusterIP = ip;
    s.ports = [tcpPort(portName, port)];
  });

/** makeTestEndpointSlice with ready endpoints at these addresses and one TCP port. */
export const readySlice = (ns: string, name: string, ips: string[], port: string, num: number) =>
  makeSlice(
    ns,
    name,
    ips.map((ip) => endpoint(ip)),
    [{ name: port, port: num }],
  );
