// Seeded random NetworkPolicy sets over the 3-tier fixture's labels, namespaces, ports and
// address ranges, for the property check of the rendered rules against the reference semantics.
import type { NetworkPolicy } from '../../../k8s/network-policy-types.js';
import { pol } from './policy-fixture.js';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomPolicies(rand: () => number): NetworkPolicy[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const selector = (): Record<string, unknown> =>
    pick([
      {},
      { matchLabels: { app: pick(['web', 'api', 'db', 'client', 'prom']) } },
      { matchLabels: { tier: pick(['frontend', 'backend']) } },
      { matchExpressions: [{ key: 'app', operator: pick(['In', 'NotIn']), values: [pick(['web', 'api', 'db']), pick(['client', 'prom'])] }] },
      { matchExpressions: [{ key: 'tier', operator: pick(['Exists', 'DoesNotExist']) }] },
      { matchLabels: { 'k8s-app': 'kube-dns' } },
    ]);
  const nsSelector = (): Record<string, unknown> =>
    pick([
      {},
      { matchLabels: { 'kubernetes.io/metadata.name': pick(['shop', 'kube-system', 'monitoring']) } },
      { matchLabels: { purpose: 'monitoring' } },
      { matchExpressions: [{ key: 'team', operator: pick(['Exists', 'DoesNotExist']) }] },
    ]);
  const peer = (): Record<string, unknown> =>
    pick([
      () => ({ podSelector: selector() }),
      () => ({ namespaceSelector: nsSelector() }),
      () => ({ podSelector: selector(), namespaceSelector: nsSelector() }),
      () => ({
        ipBlock: pick([
          { cidr: '10.8.0.0/16' },
          { cidr: '10.8.0.0/16', except: ['10.8.1.0/24'] },
          { cidr: '10.10.0.0/16', except: ['10.10.5.0/24'] },
          { cidr: '0.0.0.0/0', except: ['10.8.0.11/32', '192.0.2.0/24'] },
          { cidr: '192.0.2.0/24' },
        ]),
      }),
    ])();
  const port = (): Record<string, unknown> =>
    pick([
      () => ({ port: pick([53, 80, 443, 5432, 8080]) }),
      () => ({ protocol: pick(['UDP', 'SCTP', 'TCP']), port: pick([53, 80]) }),
      () => ({ protocol: pick(['UDP', 'SCTP', 'TCP']) }),
      () => ({ port: 9100, endPort: pick([9100, 9187, 9200]) }),
      () => ({ port: pick(['metrics', 'http', 'dns', 'dns-tcp', 'pg', 'web']) }),
      () => ({ protocol: 'UDP', port: 'dns' }),
    ])();
  const rule = (key: 'from' | 'to'): Record<string, unknown> => {
    const r: Record<string, unknown> = {};
    const np = pick([0, 0, 1, 1, 2]);
    if (np > 0 || rand() < 0.2) r[key] = Array.from({ length: np }, peer);
    const nports = pick([0, 1, 1, 2]);
    if (nports > 0 || rand() < 0.2) r.ports = Array.from({ length: nports }, port);
    return r;
  };
  const rules = (key: 'from' | 'to'): unknown[] | undefined => pick([undefined, [], [{}], [rule(key)], [rule(key), rule(key)]]);
  const out: NetworkPolicy[] = [];
  const n = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) {
    const spec: Record<string, unknown> = { podSelector: selector() };
    const ingress = rules('from');
    const egress = rules('to');
    if (ingress !== undefined) spec.ingress = ingress;
    if (egress !== undefined) spec.egress = egress;
    const types = pick([undefined, ['Ingress'], ['Egress'], ['Ingress', 'Egress']]);
    if (types) spec.policyTypes = types;
    out.push(pol(pick(['shop', 'shop', 'kube-system', 'monitoring']), `p${i}`, spec));
  }
  return out;
}
