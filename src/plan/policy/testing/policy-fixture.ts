// The fixture of the NetworkPolicy rendering tests: a 3-tier shop (client -> web:80 -> api:8080
// -> db:5432, DNS in kube-system, Prometheus in monitoring) on two nodes, its policies, and
// helpers to read the rendered iptables-restore text.
import { parseNetworkPolicy } from '../../../k8s/network-policy.js';
import type { NetworkPolicy, PolicyNamespace } from '../../../k8s/network-policy-types.js';
import { podChainName, type RenderPod, type RenderPolicyInput } from '../render.js';

export function pol(namespace: string, name: string, spec: Record<string, unknown>): NetworkPolicy {
  const r = parseNetworkPolicy({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec });
  if (!r.policy) throw new Error(JSON.stringify(r.problems));
  return r.policy;
}

// ---- the 3-tier fixture (client -> web:80 -> api:8080 -> db:5432, DNS in kube-system) --------

export const NAMESPACES: PolicyNamespace[] = [
  { name: 'shop', labels: { team: 'shop' } },
  { name: 'kube-system', labels: {} },
  { name: 'monitoring', labels: { purpose: 'monitoring' } },
];

export function pod(ns: string, name: string, node: string, ip: string, labels: Record<string, string>, ports: RenderPod['containerPorts'] = []): RenderPod {
  return { name, namespace: ns, nodeName: node, ip, labels, hostVeth: `veth-${name}`, containerPorts: ports };
}

export const PODS: RenderPod[] = [
  pod('shop', 'client', 'n1', '10.8.0.10', { app: 'client' }),
  pod('shop', 'web', 'n1', '10.8.0.11', { app: 'web', tier: 'frontend' }, [{ name: 'http', port: 80, protocol: 'TCP' }]),
  pod('shop', 'api', 'n2', '10.8.1.10', { app: 'api', tier: 'backend' }, [
    { name: 'api', port: 8080, protocol: 'TCP' },
    { name: 'metrics', port: 9100, protocol: 'TCP' },
  ]),
  pod('shop', 'db', 'n2', '10.8.1.11', { app: 'db', tier: 'backend' }, [
    { name: 'pg', port: 5432, protocol: 'TCP' },
    { name: 'metrics', port: 9187, protocol: 'TCP' },
  ]),
  pod('kube-system', 'coredns', 'n1', '10.8.0.2', { 'k8s-app': 'kube-dns' }, [
    { name: 'dns', port: 53, protocol: 'UDP' },
    { name: 'dns-tcp', port: 53, protocol: 'TCP' },
  ]),
  pod('monitoring', 'prom', 'n2', '10.8.1.20', { app: 'prom' }, [{ name: 'web', port: 9090, protocol: 'TCP' }]),
];
export const byId = (id: string) => PODS.find((p) => `${p.namespace}/${p.name}` === id)!;
export const EXTERNALS = ['10.10.1.1', '10.10.5.7', '192.0.2.1'];

const DNS_PEER = {
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
  podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
};
const DNS_RULE = { to: [DNS_PEER], ports: [{ protocol: 'UDP', port: 53 }] };
const PROM_PEER = { namespaceSelector: { matchLabels: { purpose: 'monitoring' } }, podSelector: { matchLabels: { app: 'prom' } } };

export const THREE_TIER: NetworkPolicy[] = [
  pol('shop', 'web-ingress', {
    podSelector: { matchLabels: { app: 'web' } },
    ingress: [
      { from: [{ podSelector: { matchLabels: { app: 'client' } } }], ports: [{ port: 'http' }] },
      { from: [{ ipBlock: { cidr: '192.0.2.0/24' } }], ports: [{ port: 80 }] },
    ],
  }),
  pol('shop', 'api-ingress', {
    podSelector: { matchLabels: { app: 'api' } },
    ingress: [
      { from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 8080 }] },
      { from: [PROM_PEER], ports: [{ port: 9100, endPort: 9200 }] },
    ],
  }),
  pol('shop', 'db-ingress', {
    podSelector: { matchLabels: { app: 'db' } },
    ingress: [
      { from: [{ podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 5432 }] },
      { from: [PROM_PEER], ports: [{ port: 'metrics' }] },
    ],
  }),
  pol('shop', 'client-egress', {
    podSelector: { matchLabels: { app: 'client' } },
    policyTypes: ['Egress'],
    egress: [{ to: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 'http' }] }, DNS_RULE],
  }),
  pol('shop', 'web-egress', {
    podSelector: { matchLabels: { app: 'web' } },
    policyTypes: ['Egress'],
    egress: [{ to: [{ podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 8080 }] }, DNS_RULE],
  }),
  pol('shop', 'api-egress', {
    podSelector: { matchLabels: { app: 'api' } },
    policyTypes: ['Egress'],
    egress: [
      { to: [{ podSelector: { matchLabels: { app: 'db' } } }], ports: [{ port: 5432 }] },
      DNS_RULE,
      { to: [{ ipBlock: { cidr: '10.10.0.0/16', except: ['10.10.5.0/24'] } }], ports: [{ port: 443 }] },
    ],
  }),
  pol('shop', 'db-egress', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Egress'] }),
  pol('kube-system', 'dns-ingress', {
    podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
    ingress: [
      {
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 'dns-tcp' },
        ],
      },
    ],
  }),
];

export const input = (node: string, policies: NetworkPolicy[], pods: RenderPod[] = PODS): RenderPolicyInput => ({
  node,
  pods,
  namespaces: NAMESPACES,
  policies,
});
export const lines = (text: string) => text.trimEnd().split('\n');
export const chainLines = (text: string, chain: string) => lines(text).filter((l) => l.startsWith(`-A ${chain} `));
export const I = (id: string) => podChainName('Ingress', byId(id).namespace, byId(id).name);
export const E = (id: string) => podChainName('Egress', byId(id).namespace, byId(id).name);
