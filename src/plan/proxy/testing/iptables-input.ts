// Inputs for the iptables-mode unit tests: a one-node kube-proxy with a real kube-proxy's
// defaults, the default/web service and its slice, and a chain's rules from a full sync.
import { renderKubeProxyRuleset, type KubeProxyIptablesInput } from '../iptables.js';
import { endpoint, makeService, makeSlice, tcpPort } from '../../../model/testing/services.js';

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
