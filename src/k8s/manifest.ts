// Kubernetes objects in a lab file. Only the fields the harness acts on are read; the others
// are kept as written. Each kind returns problems with paths relative to the manifest.
import { isObj } from './walk.js';
import type { RawManifest } from './types.js';
import { parsePodManifest, type PodManifest } from './pod.js';
import { parseWorkload, WORKLOAD_KINDS, type Workload } from './workloads.js';
import { parseServiceManifest, type ServiceManifest } from './service.js';
import { parseNetworkPolicy } from './network-policy.js';
import type { NetworkPolicy } from './network-policy-types.js';
import { INGRESS_API_KINDS, parseIngressApiManifest, type ParsedIngressApiObject } from './ingress.js';

export const SUPPORTED_KINDS = [
  'v1/Pod',
  'v1/Service',
  'v1/ConfigMap',
  'v1/Namespace',
  'metallb.io/v1beta1/IPAddressPool',
  'metallb.io/v1beta1/L2Advertisement',
  'crd.projectcalico.org/v1/IPPool',
  'projectcalico.org/v3/IPPool',
  'networking.k8s.io/v1/NetworkPolicy',
  'networking.k8s.io/v1/Ingress',
  'gateway.networking.k8s.io/v1/GatewayClass',
  'gateway.networking.k8s.io/v1/Gateway',
  'gateway.networking.k8s.io/v1/HTTPRoute',
  'v1/Secret',
  ...WORKLOAD_KINDS,
] as const;

interface RelProblem {
  path: (string | number)[];
  message: string;
  fix?: string;
}

export type ParsedManifest =
  | { kind: 'Pod'; pod: PodManifest }
  | { kind: 'Workload'; workload: Workload }
  | { kind: 'Service'; service: ServiceManifest }
  | { kind: 'IPAddressPool'; pool: { name: string; ranges: [string, string][] } }
  | { kind: 'L2Advertisement' }
  | { kind: 'ConfigMap'; configMap: { name: string; namespace: string; data: Record<string, string> } }
  | { kind: 'Namespace'; namespace: { name: string; labels: Record<string, string> } }
  | { kind: 'CalicoIPPool'; pool: { name: string; cidr: string; blockSize: number; ipipMode: string } }
  | { kind: 'NetworkPolicy'; policy: NetworkPolicy }
  | { kind: 'IngressApi'; object: ParsedIngressApiObject }
  | { kind: 'Secret'; secret: { name: string; namespace: string; type: string; generate: boolean } };

/** A kubernetes.io/tls Secret with this annotation set to "true" gets a self-signed
 * certificate for the hosts of the Ingress TLS entries (or Gateway listeners) that name it. */
export const GENERATE_CERT_ANNOTATION = 'wirelab.io/generate-certificate';

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** MetalLB IPAddressPool spec.addresses: CIDRs or "first-last" ranges (metallb api/v1beta1). */
export function parseAddressPool(m: RawManifest): { pool?: { name: string; ranges: [string, string][] }; problems: RelProblem[] } {
  const spec = (m as Record<string, unknown>).spec;
  const addresses = isObj(spec) && Array.isArray(spec.addresses) ? spec.addresses : undefined;
  if (!addresses || addresses.length === 0)
    return {
      problems: [{ path: ['spec', 'addresses'], message: 'an IPAddressPool needs spec.addresses', fix: 'e.g. addresses: [10.10.20.200-10.10.20.250]' }],
    };
  const ranges: [string, string][] = [];
  const problems: RelProblem[] = [];
  addresses.forEach((a: unknown, i: number) => {
    const text = String(a);
    const range = /^([\d.]+)\s*-\s*([\d.]+)$/.exec(text);
    const cidr = /^([\d.]+)\/(\d+)$/.exec(text);
    if (range && IPV4.test(range[1]) && IPV4.test(range[2])) ranges.push([range[1], range[2]]);
    else if (cidr && IPV4.test(cidr[1]) && Number(cidr[2]) <= 32) {
      const base = cidr[1].split('.').reduce((n, o) => n * 256 + Number(o), 0);
      const count = 2 ** (32 - Number(cidr[2]));
      const ip = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
      ranges.push([ip(base), ip(base + count - 1)]);
    } else
      problems.push({
        path: ['spec', 'addresses', i],
        message: `"${text}" is neither a CIDR nor a range`,
        fix: 'write 10.10.20.200/29 or 10.10.20.200-10.10.20.250',
      });
  });
  return { pool: problems.length ? undefined : { name: m.metadata.name, ranges }, problems };
}

/** Dispatches on apiVersion/kind; unknown kinds are rejected with the list of known ones. */
export function parseManifest(m: RawManifest): { manifest?: ParsedManifest; problems: RelProblem[]; warnings?: RelProblem[] } {
  const kindKey = `${m.apiVersion}/${m.kind}`;
  if (kindKey === 'v1/Pod') {
    const r = parsePodManifest(m);
    return { manifest: r.pod ? { kind: 'Pod', pod: r.pod } : undefined, problems: r.problems };
  }
  if ((WORKLOAD_KINDS as readonly string[]).includes(kindKey)) {
    const r = parseWorkload(m);
    return { manifest: r.workload ? { kind: 'Workload', workload: r.workload } : undefined, problems: r.problems };
  }
  if (kindKey === 'v1/Service') {
    const r = parseServiceManifest(m);
    return { manifest: r.service ? { kind: 'Service', service: r.service } : undefined, problems: r.problems };
  }
  if (kindKey === 'v1/ConfigMap') {
    const data = (m as Record<string, unknown>).data;
    if (data !== undefined && !(isObj(data) && Object.values(data).every((v) => typeof v === 'string'))) {
      return { problems: [{ path: ['data'], message: 'ConfigMap data must map keys to strings', fix: 'quote values or use a block scalar (|)' }] };
    }
    return {
      manifest: {
        kind: 'ConfigMap',
        configMap: { name: m.metadata.name, namespace: m.metadata.namespace ?? 'default', data: (data ?? {}) as Record<string, string> },
      },
      problems: [],
    };
  }
  if (kindKey === 'crd.projectcalico.org/v1/IPPool' || kindKey === 'projectcalico.org/v3/IPPool') {
    const spec = (m as Record<string, unknown>).spec;
    if (!isObj(spec) || typeof spec.cidr !== 'string')
      return { problems: [{ path: ['spec', 'cidr'], message: 'an IPPool needs spec.cidr', fix: 'e.g. cidr: 10.8.0.0/16' }] };
    const blockSize = spec.blockSize === undefined ? 26 : Number(spec.blockSize);
    // api/pkg/apis/projectcalico/v3 IPPool validation: IPv4 blockSize 20..32.
    if (!Number.isInteger(blockSize) || blockSize < 20 || blockSize > 32)
      return { problems: [{ path: ['spec', 'blockSize'], message: 'blockSize must be 20 to 32 for IPv4', fix: "Calico's default is 26" }] };
    return {
      manifest: { kind: 'CalicoIPPool', pool: { name: m.metadata.name, cidr: spec.cidr, blockSize, ipipMode: String(spec.ipipMode ?? 'Never') } },
      problems: [],
    };
  }
  if (INGRESS_API_KINDS.includes(kindKey as (typeof INGRESS_API_KINDS)[number])) {
    const r = parseIngressApiManifest(m);
    return {
      manifest: r.object ? { kind: 'IngressApi', object: r.object } : undefined,
      problems: r.problems.map((p) => ({ path: p.path, message: p.message, fix: p.fix })),
    };
  }
  if (kindKey === 'v1/Secret') {
    const type = String((m as Record<string, unknown>).type ?? 'Opaque');
    const generate = m.metadata.annotations?.[GENERATE_CERT_ANNOTATION] === 'true';
    if (type === 'kubernetes.io/tls' && !generate && !isObj((m as Record<string, unknown>).data)) {
      return {
        problems: [
          {
            path: ['data'],
            message: 'a kubernetes.io/tls Secret needs data tls.crt and tls.key',
            fix: `or let the harness make a self-signed one: annotations: { ${GENERATE_CERT_ANNOTATION}: "true" }`,
          },
        ],
      };
    }
    return { manifest: { kind: 'Secret', secret: { name: m.metadata.name, namespace: m.metadata.namespace ?? 'default', type, generate } }, problems: [] };
  }
  if (kindKey === 'networking.k8s.io/v1/NetworkPolicy') {
    const r = parseNetworkPolicy(m);
    return {
      manifest: r.policy ? { kind: 'NetworkPolicy', policy: r.policy } : undefined,
      problems: r.problems.map((p) => ({ path: p.path, message: p.message, fix: p.fix })),
      warnings: r.warnings,
    };
  }
  if (kindKey === 'v1/Namespace')
    return { manifest: { kind: 'Namespace', namespace: { name: m.metadata.name, labels: m.metadata.labels ?? {} } }, problems: [] };
  if (kindKey === 'metallb.io/v1beta1/IPAddressPool') {
    const r = parseAddressPool(m);
    return { manifest: r.pool ? { kind: 'IPAddressPool', pool: r.pool } : undefined, problems: r.problems };
  }
  // Every pool is announced in L2 mode; the object is accepted so real MetalLB manifests work.
  if (kindKey === 'metallb.io/v1beta1/L2Advertisement') return { manifest: { kind: 'L2Advertisement' }, problems: [] };
  return {
    problems: [
      {
        path: ['kind'],
        message: `${m.apiVersion} ${m.kind} is not supported by this version of wirelab`,
        fix: `supported kinds: ${SUPPORTED_KINDS.join(', ')}`,
      },
    ],
  };
}
