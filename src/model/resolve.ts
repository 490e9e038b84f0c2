// resolveModel: a parsed lab file -> the complete cluster model (defaults filled in, node ranges,
// pod addresses, ClusterIPs, node ports and load-balancer IPs allocated, endpoints selected,
// objects sorted). Problems that need allocation are returned with lab-file paths so the caller
// can name the line; warnings (a selector that matches nothing) do not stop the lab. This is the
// only place the lab file's objects become the model: later stages never parse again.
import type { ParsedLab } from '../labfile/load.js';
import { controlPlaneOf, type PathProblem } from '../labfile/validate.js';
import { POD_IP_ANNOTATION } from '../k8s/pod.js';
import type { ParsedManifest } from '../k8s/manifest.js';
import { intToIp, parseCidr } from '../net/cidr.js';
import { allocateNodeCIDRs } from './ipam.js';
import { CALICO_DEFAULT_BLOCK_SIZE } from './calico-ipam.js';
import { resolvePods } from './resolve-pods.js';
import { resolveServices } from './resolve-services.js';
import { electAnnouncers } from './services.js';
import { dnsSettings, podResolverConfig } from './pod-dns.js';
import { isPodNetworkKind, podNetworkKinds, POD_NETWORKS } from './pod-networks.js';
import type { ClusterModel, ExternalHost, IngressObjects, Node, Pod, Secret, Service } from './types.js';

/** "500ms", "30s", "1m" (the lab file's schema checked the form) -> ms. */
const durationMs = (d: string): number => {
  const m = /^(\d+)(ms|s|m)$/.exec(d)!;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as 'ms' | 's' | 'm'];
};

export class ModelProblems extends Error {
  constructor(readonly problems: PathProblem[]) {
    super(problems.map((p) => p.message).join('; '));
    this.name = 'ModelProblems';
  }
}

type Of<K extends ParsedManifest['kind']> = Extract<ParsedManifest, { kind: K }>;

export function resolveModel(lab: Pick<ParsedLab, 'spec' | 'objects'>): ClusterModel {
  const { spec } = lab;
  const problems: PathProblem[] = [];
  const warnings: PathProblem[] = [];
  /** The parsed objects of one kind, with their index in the lab file's manifests. */
  const all = <K extends ParsedManifest['kind']>(kind: K) =>
    lab.objects.filter((o) => o.manifest.kind === kind).map((o) => ({ index: o.index, manifest: o.manifest as Of<K> }));

  if (!isPodNetworkKind(spec.cluster.cni)) {
    throw new ModelProblems([
      { path: ['cluster', 'cni'], message: `unknown pod network "${spec.cluster.cni}"`, fix: `use one of: ${podNetworkKinds().join(', ')}` },
    ]);
  }
  const podNetwork = POD_NETWORKS[spec.cluster.cni];
  const nodeAlloc = allocateNodeCIDRs(
    spec.cluster.podCIDR,
    spec.cluster.nodeCIDRMaskSize,
    spec.nodes.map((n) => ({ name: n.name, pinned: n.podCIDR })),
  );
  if (!nodeAlloc.ok) throw new ModelProblems([{ path: ['nodes', nodeAlloc.index, 'podCIDR'], message: nodeAlloc.message, fix: nodeAlloc.fix }]);
  const nodes: Node[] = spec.nodes.map((n) => ({
    name: n.name,
    role: n.role,
    ip: n.ip,
    podCIDR: nodeAlloc.value.get(n.name)!,
    podCIDRSource: n.podCIDR ? 'pinned' : 'allocated',
  }));

  const network: ClusterModel['network'] = {
    podCIDR: spec.cluster.podCIDR,
    nodeCIDRMaskSize: spec.cluster.nodeCIDRMaskSize,
    serviceCIDR: spec.cluster.serviceCIDR,
    clusterDomain: spec.cluster.clusterDomain,
    clusterDNS: intToIp(parseCidr(spec.cluster.serviceCIDR).base + 10),
    cni: spec.cluster.cni,
  };
  const { externals, internet } = resolveOutside(spec.outside);
  const pools = all('CalicoIPPool').map((o) => o.manifest.pool);
  const addresses = resolvePods({
    podNetwork,
    podCIDR: spec.cluster.podCIDR,
    blockSize: pools[0]?.blockSize,
    nodes,
    pods: all('Pod').flatMap((o) => (o.manifest.pod.nodeName ? [{ index: o.index, pod: { ...o.manifest.pod, nodeName: o.manifest.pod.nodeName } }] : [])),
    pinnedIpPath: (index) => ['manifests', index, 'metadata', 'annotations', POD_IP_ANNOTATION],
  });
  if (!addresses.ok) throw new ModelProblems(addresses.problems);
  const dns = dnsSettings({ externals, network });
  const pods: Pod[] = addresses.pods;
  for (const p of pods) p.resolver = podResolverConfig(p, dns);

  const addressPools = all('IPAddressPool').map((o) => o.manifest.pool);
  const { services, slices } = resolveServices(
    spec.cluster.serviceCIDR,
    all('Service').map((o) => ({ index: o.index, service: o.manifest.service })),
    pods,
    addressPools,
    problems,
    warnings,
  );
  if (problems.length > 0) throw new ModelProblems(problems);
  const ingress = resolveIngressObjects(all('IngressApi').map((o) => o.manifest.object));

  return {
    lab: spec.name,
    description: spec.description,
    controlPlane: controlPlaneOf(spec, lab.objects),
    underlay: {
      cidr: spec.underlay.cidr,
      prefix: parseCidr(spec.underlay.cidr).prefix,
      mtu: spec.underlay.mtu,
      ...(spec.underlay.netem ? { netem: spec.underlay.netem } : {}),
    },
    network,
    kubeProxy: spec.cluster.kubeProxy.mode,
    kubeProxySyncPeriodMs: durationMs(spec.cluster.kubeProxy.syncPeriod),
    externals,
    internet,
    addressPools,
    announcements: electAnnouncers(services, slices, nodes),
    nodes,
    pods,
    services,
    endpointSlices: slices,
    configMaps: all('ConfigMap').map((o) => o.manifest.configMap),
    namespaces: resolveNamespaces(
      all('Namespace').map((o) => o.manifest.namespace),
      pods,
      services,
    ),
    networkPolicies: all('NetworkPolicy').map((o) => o.manifest.policy),
    ingress,
    secrets: resolveSecrets(
      all('Secret').map((o) => o.manifest.secret),
      ingress,
    ),
    ...(addresses.calicoBlocks ? { calicoBlocks: addresses.calicoBlocks } : {}),
    ...(podNetwork.ipam === 'calico' ? { calicoPool: { cidr: spec.cluster.podCIDR, blockSize: pools[0]?.blockSize ?? CALICO_DEFAULT_BLOCK_SIZE } } : {}),
    ...(addresses.calicoTunnels && Object.keys(addresses.calicoTunnels).length > 0 ? { calicoTunnels: addresses.calicoTunnels } : {}),
    warnings,
  };
}

/** Machines outside the cluster: clients on the underlay, the internet router and its hosts. */
function resolveOutside(outside: ParsedLab['spec']['outside']): { externals: ExternalHost[]; internet?: ClusterModel['internet'] } {
  const externals: ExternalHost[] = outside.clients.map((c) => ({ name: c.name, ip: c.ip, kind: 'client' }));
  const inet = outside.internet;
  if (!inet) return { externals };
  externals.push({ name: 'router', ip: inet.gateway, kind: 'router' });
  for (const h of inet.hosts) externals.push({ name: h.name, ip: h.ip, kind: 'internet' });
  if (inet.dns) externals.push({ name: inet.dns.name, ip: inet.dns.ip, kind: 'dns', records: inet.dns.records });
  return { externals, internet: { gateway: inet.gateway, cidr: inet.cidr, routerInternetIp: intToIp(parseCidr(inet.cidr).base + 1) } };
}

function resolveIngressObjects(objects: Of<'IngressApi'>['object'][]): IngressObjects {
  const out: IngressObjects = { ingresses: [], gatewayClasses: [], gateways: [], httpRoutes: [] };
  for (const o of objects) {
    if (o.kind === 'Ingress') out.ingresses.push(o.ingress);
    else if (o.kind === 'GatewayClass') out.gatewayClasses.push(o.gatewayClass);
    else if (o.kind === 'Gateway') out.gateways.push(o.gateway);
    else out.httpRoutes.push(o.httpRoute);
  }
  return out;
}

/** The hosts each TLS secret must cover: the Ingress tls entries and Gateway HTTPS listeners
 * that name it; a secret nobody names covers its own name. */
export function resolveSecrets(secrets: Of<'Secret'>['secret'][], o: IngressObjects): Secret[] {
  const hosts = new Map<string, Set<string>>();
  const add = (key: string, h: string[]) => {
    if (!hosts.has(key)) hosts.set(key, new Set());
    for (const x of h) hosts.get(key)!.add(x);
  };
  for (const ing of o.ingresses) for (const t of ing.tls) if (t.secretName) add(`${ing.namespace}/${t.secretName}`, t.hosts);
  for (const g of o.gateways)
    for (const l of g.listeners)
      for (const ref of l.tls?.certificateRefs ?? []) add(`${ref.namespace ?? g.namespace}/${ref.name}`, l.hostname ? [l.hostname] : []);
  return secrets.map((s) => {
    const named = [...(hosts.get(`${s.namespace}/${s.name}`) ?? [])].sort();
    return { ...s, hosts: named.length > 0 ? named : [s.name] };
  });
}

function resolveNamespaces(written: { name: string; labels: Record<string, string> }[], pods: Pod[], services: Service[]): ClusterModel['namespaces'] {
  const labels = new Map<string, Record<string, string>>();
  for (const n of ['default', 'kube-node-lease', 'kube-public', 'kube-system', ...pods.map((p) => p.namespace), ...services.map((s) => s.namespace)])
    labels.set(n, {});
  for (const ns of written) labels.set(ns.name, ns.labels);
  return [...labels.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, l]) => ({ name, labels: { ...l, 'kubernetes.io/metadata.name': name } }));
}
