// Kubernetes objects in a lab file. Only the fields the harness acts on are read; the others
// are kept as written. Each kind returns problems with paths relative to the manifest.
import { isObj } from './walk.js';
import type { Container, ContainerPort, PodDNSConfig, RawManifest } from './types.js';
import { parseServiceManifest, type ServiceManifest } from './service.js';
import { parseNetworkPolicy } from './network-policy.js';
import type { NetworkPolicy } from './network-policy-types.js';
import { INGRESS_API_KINDS, parseIngressApiManifest, type ParsedIngressApiObject } from './ingress.js';

/** Pins a pod's address, as Calico's cni.projectcalico.org/ipAddrs annotation does. */
export const POD_IP_ANNOTATION = 'wirelab.io/ip';

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
] as const;

export interface PodManifest {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  nodeName: string;
  pinnedIp?: string;
  ready: boolean;
  dnsPolicy: 'ClusterFirst' | 'ClusterFirstWithHostNet' | 'Default' | 'None';
  dnsConfig?: PodDNSConfig;
  containers: Container[];
  volumes: { name: string; configMap?: string }[];
}

const DNS_POLICIES = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'] as const;

/** Pod.spec.dnsPolicy and dnsConfig, checked as the API server does (validateDNSPolicy,
 * validatePodDNSConfig: None needs a nameserver; at most 3 nameservers and 32 searches). */
function parsePodDns(spec: Record<string, unknown>, problems: RelProblem[]): { dnsPolicy: PodManifest['dnsPolicy']; dnsConfig?: PodDNSConfig } {
  const policy = (spec.dnsPolicy ?? 'ClusterFirst') as string;
  if (!DNS_POLICIES.includes(policy as (typeof DNS_POLICIES)[number])) {
    problems.push({ path: ['spec', 'dnsPolicy'], message: `unknown dnsPolicy "${policy}"`, fix: `use one of: ${DNS_POLICIES.join(', ')}` });
  }
  const raw = spec.dnsConfig;
  let dnsConfig: PodDNSConfig | undefined;
  if (raw !== undefined) {
    if (!isObj(raw)) problems.push({ path: ['spec', 'dnsConfig'], message: 'dnsConfig must be a mapping' });
    else {
      const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : undefined);
      const options = Array.isArray(raw.options)
        ? raw.options.filter(isObj).map((o) => ({ name: String(o.name), value: o.value === undefined ? undefined : String(o.value) }))
        : undefined;
      dnsConfig = { nameservers: list(raw.nameservers), searches: list(raw.searches), options };
      if ((dnsConfig.nameservers?.length ?? 0) > 3)
        problems.push({ path: ['spec', 'dnsConfig', 'nameservers'], message: 'at most 3 nameservers', fix: 'glibc reads only the first three' });
      if ((dnsConfig.searches?.length ?? 0) > 32) problems.push({ path: ['spec', 'dnsConfig', 'searches'], message: 'at most 32 search domains' });
    }
  }
  if (policy === 'None' && !dnsConfig?.nameservers?.length) {
    problems.push({
      path: ['spec', 'dnsConfig', 'nameservers'],
      message: 'dnsPolicy None needs at least one nameserver in dnsConfig',
      fix: 'add dnsConfig.nameservers, e.g. [10.96.0.10]',
    });
  }
  return { dnsPolicy: policy as PodManifest['dnsPolicy'], dnsConfig };
}

interface RelProblem {
  path: (string | number)[];
  message: string;
  fix?: string;
}

export type ParsedManifest =
  | { kind: 'Pod'; pod: PodManifest }
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

/** wirelab.io/ready: "false" marks a pod not ready (its readiness probe fails): it stays out of
 * its services' endpoints, as the EndpointSlice controller leaves unready pods out of rotation. */
export const POD_READY_ANNOTATION = 'wirelab.io/ready';

export function parsePodManifest(m: RawManifest): { pod?: PodManifest; problems: RelProblem[] } {
  const problems: RelProblem[] = [];
  const spec = (m as Record<string, unknown>).spec;
  if (!isObj(spec)) {
    problems.push({ path: ['spec'], message: 'a Pod needs a spec', fix: 'add spec.nodeName and spec.containers' });
    return { problems };
  }
  const nodeName = spec.nodeName;
  if (typeof nodeName !== 'string')
    problems.push({
      path: ['spec', 'nodeName'],
      message: 'spec.nodeName is required: the harness has no scheduler',
      fix: "set spec.nodeName to one of the lab's nodes",
    });
  const containers: Container[] = [];
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) {
    problems.push({ path: ['spec', 'containers'], message: 'a Pod needs at least one container', fix: 'add a container, e.g. agnhost serve-hostname' });
  } else {
    spec.containers.forEach((c: unknown, i: number) => {
      if (!isObj(c) || typeof c.name !== 'string' || typeof c.image !== 'string') {
        problems.push({ path: ['spec', 'containers', i], message: 'a container needs a name and an image' });
        return;
      }
      const args = Array.isArray(c.args) ? c.args.map(String) : [];
      const ports: ContainerPort[] = [];
      if (Array.isArray(c.ports)) {
        c.ports.forEach((p: unknown, j: number) => {
          if (!isObj(p) || typeof p.containerPort !== 'number' || p.containerPort < 1 || p.containerPort > 65535) {
            problems.push({ path: ['spec', 'containers', i, 'ports', j, 'containerPort'], message: 'containerPort must be a number from 1 to 65535' });
            return;
          }
          const protocol = (p.protocol ?? 'TCP') as ContainerPort['protocol'];
          ports.push({ name: typeof p.name === 'string' ? p.name : undefined, containerPort: p.containerPort, protocol });
        });
      }
      const volumeMounts = Array.isArray(c.volumeMounts)
        ? c.volumeMounts.filter(isObj).map((v) => ({ name: String(v.name), mountPath: String(v.mountPath) }))
        : [];
      containers.push({ name: c.name, image: c.image, args, ports, volumeMounts });
    });
  }
  const pinnedIp = m.metadata.annotations?.[POD_IP_ANNOTATION];
  const dns = parsePodDns(spec, problems);
  if (problems.length > 0 || typeof nodeName !== 'string') return { problems };
  return {
    pod: {
      name: m.metadata.name,
      namespace: m.metadata.namespace ?? 'default',
      labels: m.metadata.labels ?? {},
      nodeName,
      pinnedIp,
      ready: m.metadata.annotations?.[POD_READY_ANNOTATION] !== 'false',
      ...dns,
      containers,
      volumes: parseVolumes(spec),
    },
    problems,
  };
}

function parseVolumes(spec: Record<string, unknown>): { name: string; configMap?: string }[] {
  if (!Array.isArray(spec.volumes)) return [];
  return spec.volumes.filter(isObj).map((v) => ({ name: String(v.name), configMap: isObj(v.configMap) ? String(v.configMap.name) : undefined }));
}
