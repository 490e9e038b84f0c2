// Inputs for the iptables-mode unit tests: a one-node kube-proxy with a real kube-proxy's
// defaults, the default/web service and its slice, and a chain's rules from a full sync.
import { renderKubeProxyRuleset, type KubeProxyIptablesInput } from '../iptables.js';
import { endpoint, makeService, makeSlice, tcpPort } from '../../../model/testing/services.js';
import { intToIp, ipToInt } from '../../../net/cidr.js';

/** One-node input with the defaults of a real kube-proxy (mark 0x00004000, --random-fully). */
export function input(partial: Partial<KubeProxyIptablesInput>): KubeProxyIptablesInput {
  return { hostname: 'node-a', nodeIPs: ['10.10.20.4'], clusterCIDR: '10.8.0.0/16', services: [], endpointSlices: [], ...partial };
}

export function natRules(inp: KubeProxyIptablesInput, chain: string): string[] {
  return renderKubeProxyRuleset(inp).tables.nat.get(chain) ?? [];
}

export function filterRules(inp: KubeProxyIptablesInput, chain: string): string[] {
  return renderKubeProxyRuleset(inp).tables.filter.get(chain) ?? [];
}

export const web = (edit: Parameters<typeof makeService>[2] = () => {}) =>
  makeService('default', 'web', (s) => {
    s.clusterIP = '10.96.0.10';
    s.ports = [tcpPort('http', 80)];
    edit(s);
  });

export const webSlice = (...eps: ReturnType<typeof endpoint>[]) => makeSlice('default', 'web', eps, [{ name: 'http', port: 8080 }]);

/** n services of the kinds the renderer writes differently (ClusterIP, NodePort, policy Local,
 * externalIPs), every fourth without endpoints (the filter table's REJECT rules), on node-a. */
export function manyServices(n: number): KubeProxyIptablesInput {
  const services = [];
  const endpointSlices = [];
  for (let i = 0; i < n; i++) {
    const name = `svc-${i}`;
    services.push(
      makeService('default', name, (s) => {
        s.clusterIP = intToIp(ipToInt('10.96.1.0') + i);
        s.ports = [tcpPort('http', 80, i % 3 === 0 ? 30000 + i : undefined)];
        if (i % 3 === 0) s.type = 'NodePort';
        if (i % 5 === 0) s.externalTrafficPolicy = 'Local';
        if (i % 7 === 0) s.externalIPs = [intToIp(ipToInt('192.168.99.0') + i)];
      }),
    );
    if (i % 4 === 3) continue;
    const eps = [endpoint(intToIp(ipToInt('10.8.0.2') + 2 * i), 'node-a'), endpoint(intToIp(ipToInt('10.8.0.3') + 2 * i), 'other')];
    endpointSlices.push(makeSlice('default', name, eps, [{ name: 'http', port: 8080 }]));
  }
  return input({ services, endpointSlices });
}
