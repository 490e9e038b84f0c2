// resolveModel: a validated lab spec -> the complete cluster model (defaults filled in,
// node ranges, pod addresses, ClusterIPs, node ports and load-balancer IPs allocated,
// endpoints selected). Problems that need allocation are returned with lab-file paths so the
// caller can name the line; warnings (a selector that matches nothing) do not stop the lab.
import type { LabSpec } from '../labfile/schema.js';
import { parseManifest, type PodManifest } from '../k8s/manifest.js';
import type { ServiceManifest } from '../k8s/service.js';
import type { PathProblem } from '../labfile/validate.js';
import { allocateNodeCIDRs, allocatePodIPs } from './ipam.js';
import { allocateCalicoIPs, CALICO_DEFAULT_BLOCK_SIZE } from './calico-ipam.js';
import type { AddressPool, ClusterModel, ConfigMap, ExternalHost, Node, Pod, Service } from './types.js';
import { parseCidr, intToIp } from '../net/cidr.js';
import { allocateClusterIPs, allocateLoadBalancerIPs, allocateNodePorts, electAnnouncers, endpointSliceFor } from './services.js';

export class ModelProblems extends Error {
  constructor(readonly problems: PathProblem[]) {
    super(problems.map((p) => p.message).join('; '));
    this.name = 'ModelProblems';
  }
}

export function resolveModel(spec: LabSpec): ClusterModel {
  const problems: PathProblem[] = [];
  const warnings: PathProblem[] = [];
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

  const podManifests: { index: number; pod: PodManifest }[] = [];
  const serviceManifests: { index: number; service: ServiceManifest }[] = [];
  const addressPools: AddressPool[] = [];
  const configMaps: ConfigMap[] = [];
  spec.manifests.forEach((m, index) => {
    const parsed = parseManifest(m).manifest!;
    if (parsed.kind === 'Pod') podManifests.push({ index, pod: parsed.pod });
    else if (parsed.kind === 'Service') serviceManifests.push({ index, service: parsed.service });
    else if (parsed.kind === 'IPAddressPool') addressPools.push(parsed.pool);
    else if (parsed.kind === 'ConfigMap') configMaps.push(parsed.configMap);
  });

  const pods: Pod[] = [];
  // Calico hands out addresses from /26 blocks claimed per node on demand, not from the node's
  // podCIDR (which the node IPAM controller still assigns, and Calico ignores).
  let calicoBlocks: ClusterModel['calicoBlocks'];
  let calicoIps: Map<string, string> | undefined;
  let calicoTunnels: Record<string, string> | undefined;
  if (spec.cluster.cni.startsWith('calico')) {
    const ippool = spec.manifests.map((m) => parseManifest(m).manifest).find((x) => x?.kind === 'CalicoIPPool');
    const blockSize = ippool?.kind === 'CalicoIPPool' ? ippool.pool.blockSize : CALICO_DEFAULT_BLOCK_SIZE;
    const order = [...podManifests].sort((a, b) => `${a.pod.namespace}/${a.pod.name}`.localeCompare(`${b.pod.namespace}/${b.pod.name}`));
    // In IP-in-IP mode calico-node claims each node's tunnel address from IPAM when it starts,
    // before any pod of the node (node/pkg/allocateip: the "ipip-tunnel-addr" handle).
    const tunnels = spec.cluster.cni === 'calico-ipip' ? spec.nodes.map((n) => ({ node: n.name, pod: `tunnel:${n.name}` })) : [];
    const alloc = allocateCalicoIPs({ cidr: spec.cluster.podCIDR, blockSize }, [...tunnels, ...order.map((m) => ({ node: m.pod.nodeName, pod: `${m.pod.namespace}/${m.pod.name}`, pinned: m.pod.pinnedIp }))]);
    if (!alloc.ok) throw new ModelProblems([{ path: ['cluster', 'podCIDR'], message: alloc.message, fix: 'use a larger pod network or fewer pods' }]);
    calicoBlocks = alloc.blocks;
    calicoIps = alloc.ips;
    calicoTunnels = Object.fromEntries(tunnels.map((t) => [t.node, alloc.ips.get(t.pod)!]));
  }
  for (const node of nodes) {
    const mine = podManifests.filter((m) => m.pod.nodeName === node.name);
    const alloc = calicoIps
      ? { ok: true as const, value: calicoIps }
      : allocatePodIPs(node.podCIDR, mine.map((m) => ({ key: `${m.pod.namespace}/${m.pod.name}`, pinned: m.pod.pinnedIp })));
    if (!alloc.ok) {
      const bad = mine[alloc.index];
      const path = bad.pod.pinnedIp ? ['manifests', bad.index, 'metadata', 'annotations', 'wirelab.io/ip'] : ['manifests', bad.index, 'metadata', 'name'];
      problems.push({ path, message: `pod "${bad.pod.name}" on node "${node.name}": ${alloc.message}`, fix: alloc.fix });
      continue;
    }
    for (const { pod } of mine) {
      pods.push({
        name: pod.name,
        namespace: pod.namespace,
        labels: pod.labels,
        nodeName: node.name,
        ip: alloc.value.get(`${pod.namespace}/${pod.name}`)!,
        ipSource: pod.pinnedIp ? 'pinned' : 'allocated',
        ready: pod.ready,
        dnsPolicy: pod.dnsPolicy,
        dnsConfig: pod.dnsConfig,
        containers: pod.containers,
        volumes: pod.volumes,
      });
    }
  }
  if (problems.length > 0) throw new ModelProblems(problems);
  pods.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));

  const { services, slices } = resolveServices(spec, serviceManifests, pods, addressPools, problems, warnings);
  if (problems.length > 0) throw new ModelProblems(problems);

  const u = parseCidr(spec.underlay.cidr);
  const externals: ExternalHost[] = spec.outside.clients.map((c) => ({ name: c.name, ip: c.ip, kind: 'client' }));
  let internet: ClusterModel['internet'];
  if (spec.outside.internet) {
    const inet = spec.outside.internet;
    externals.push({ name: 'router', ip: inet.gateway, kind: 'router' });
    for (const h of inet.hosts) externals.push({ name: h.name, ip: h.ip, kind: 'internet' });
    if (inet.dns) externals.push({ name: inet.dns.name, ip: inet.dns.ip, kind: 'dns', records: inet.dns.records });
    internet = { gateway: inet.gateway, cidr: inet.cidr, routerInternetIp: intToIp(parseCidr(inet.cidr).base + 1) };
  }
  return {
    lab: spec.name,
    description: spec.description,
    underlay: { cidr: spec.underlay.cidr, prefix: u.prefix, mtu: spec.underlay.mtu },
    network: {
      podCIDR: spec.cluster.podCIDR,
      nodeCIDRMaskSize: spec.cluster.nodeCIDRMaskSize,
      serviceCIDR: spec.cluster.serviceCIDR,
      clusterDomain: spec.cluster.clusterDomain,
      clusterDNS: intToIp(parseCidr(spec.cluster.serviceCIDR).base + 10),
      cni: spec.cluster.cni,
    },
    kubeProxy: spec.cluster.kubeProxy.mode,
    externals,
    internet,
    addressPools,
    announcements: electAnnouncers(services, slices, nodes),
    nodes,
    pods,
    services,
    endpointSlices: slices,
    configMaps,
    namespaces: resolveNamespaces(spec, pods, services),
    networkPolicies: spec.manifests.filter((m) => m.apiVersion === 'networking.k8s.io/v1' && m.kind === 'NetworkPolicy'),
    ingressObjects: spec.manifests.filter((m) => (m.apiVersion === 'networking.k8s.io/v1' && m.kind === 'Ingress') || m.apiVersion === 'gateway.networking.k8s.io/v1'),
    secrets: spec.manifests.flatMap((m) => {
      const p = parseManifest(m).manifest;
      return p?.kind === 'Secret' ? [p.secret] : [];
    }),
    ...(calicoBlocks ? { calicoBlocks } : {}),
    ...(calicoTunnels && Object.keys(calicoTunnels).length > 0 ? { calicoTunnels } : {}),
    warnings,
  };
}

function resolveServices(
  spec: LabSpec,
  manifests: { index: number; service: ServiceManifest }[],
  pods: Pod[],
  pools: AddressPool[],
  problems: PathProblem[],
  warnings: PathProblem[],
): { services: Service[]; slices: ClusterModel['endpointSlices'] } {
  const key = (s: ServiceManifest) => `${s.namespace}/${s.name}`;
  const withIp = manifests.filter((m) => m.service.type !== 'ExternalName' && m.service.clusterIP !== 'None');
  const clusterIPs = allocateClusterIPs(spec.cluster.serviceCIDR, withIp.map((m) => ({ key: key(m.service), given: m.service.clusterIP })));
  const nodePortRequests = manifests.flatMap((m) =>
    m.service.type === 'NodePort' || m.service.type === 'LoadBalancer' ? m.service.ports.map((p) => ({ key: `${key(m.service)}:${p.name || p.port}/${p.protocol}`, given: p.nodePort })) : [],
  );
  const nodePorts = allocateNodePorts(nodePortRequests);
  const lbIPs = allocateLoadBalancerIPs(pools, manifests.filter((m) => m.service.type === 'LoadBalancer').map((m) => ({ key: key(m.service), given: m.service.loadBalancerIPs })));
  const services: Service[] = [];
  const slices: ClusterModel['endpointSlices'] = [];
  for (const { index, service: m } of [...manifests].sort((a, b) => key(a.service).localeCompare(key(b.service)))) {
    const svc: Service = {
      name: m.name,
      namespace: m.namespace,
      type: m.type,
      clusterIP: m.type === 'ExternalName' ? undefined : m.clusterIP === 'None' ? 'None' : clusterIPs.get(key(m)),
      clusterIPSource: m.clusterIP && m.clusterIP !== 'None' ? 'given' : m.clusterIP === 'None' ? undefined : 'allocated',
      selector: m.selector,
      ports: m.ports.map((p) => ({ ...p, nodePort: m.type === 'NodePort' || m.type === 'LoadBalancer' ? nodePorts.get(`${key(m)}:${p.name || p.port}/${p.protocol}`) : undefined })),
      sessionAffinity: m.sessionAffinity,
      affinityTimeoutSeconds: m.affinityTimeoutSeconds,
      externalTrafficPolicy: m.externalTrafficPolicy,
      internalTrafficPolicy: m.internalTrafficPolicy,
      loadBalancerIPs: m.type === 'LoadBalancer' ? lbIPs.get(key(m)) ?? [] : [],
      externalIPs: m.externalIPs,
      externalName: m.externalName,
    };
    if (svc.type === 'LoadBalancer' && svc.loadBalancerIPs.length === 0) {
      warnings.push({ path: ['manifests', index, 'spec'], message: `LoadBalancer service "${key(m)}" got no external IP (no IPAddressPool has a free address); it stays <pending> like without MetalLB`, fix: 'add a metallb.io/v1beta1 IPAddressPool or set spec.loadBalancerIP' });
    }
    services.push(svc);
    const { slice, unresolved } = endpointSliceFor(svc, pods);
    for (const u of unresolved) problems.push({ path: ['manifests', index, 'spec', 'ports'], message: `service "${key(m)}": ${u}`, fix: 'name the container port in the pods, or use a numeric targetPort' });
    if (slice) {
      slices.push(slice);
      if (slice.endpoints.length === 0) {
        warnings.push({ path: ['manifests', index, 'spec', 'selector'], message: `the selector of service "${key(m)}" matches no pod in namespace "${m.namespace}": it has no endpoints (kube-proxy rejects its traffic)`, fix: 'check the selector against the pods\' labels' });
      }
    }
  }
  return { services, slices };
}

function resolveNamespaces(spec: LabSpec, pods: Pod[], services: Service[]): ClusterModel['namespaces'] {
  const labels = new Map<string, Record<string, string>>();
  for (const n of ['default', 'kube-node-lease', 'kube-public', 'kube-system', ...pods.map((p) => p.namespace), ...services.map((s) => s.namespace)]) labels.set(n, {});
  for (const m of spec.manifests) if (m.apiVersion === 'v1' && m.kind === 'Namespace') labels.set(m.metadata.name, m.metadata.labels ?? {});
  return [...labels.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, l]) => ({ name, labels: { ...l, 'kubernetes.io/metadata.name': name } }));
}
