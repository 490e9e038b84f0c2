// Services as the API server and the controllers resolve them: ClusterIPs, node ports and
// load-balancer IPs allocated, one EndpointSlice per service with a selector.
import type { PathProblem } from '../labfile/validate.js';
import type { ServiceManifest } from '../k8s/types.js';
import { allocateClusterIPs, allocateLoadBalancerIPs, allocateNodePorts, endpointSliceFor } from './services.js';
import type { AddressPool, ClusterModel, Pod, Service } from './types.js';

export function resolveServices(
  serviceCIDR: string,
  manifests: { index: number; service: ServiceManifest }[],
  pods: Pod[],
  pools: AddressPool[],
  problems: PathProblem[],
  warnings: PathProblem[],
): { services: Service[]; slices: ClusterModel['endpointSlices'] } {
  const key = (s: ServiceManifest) => `${s.namespace}/${s.name}`;
  const withIp = manifests.filter((m) => m.service.type !== 'ExternalName' && m.service.clusterIP !== 'None');
  const clusterIPs = allocateClusterIPs(
    serviceCIDR,
    withIp.map((m) => ({ key: key(m.service), given: m.service.clusterIP })),
  );
  const nodePortRequests = manifests.flatMap((m) =>
    m.service.type === 'NodePort' || m.service.type === 'LoadBalancer'
      ? m.service.ports.map((p) => ({ key: `${key(m.service)}:${p.name || p.port}/${p.protocol}`, given: p.nodePort }))
      : [],
  );
  const nodePorts = allocateNodePorts(nodePortRequests);
  const lbIPs = allocateLoadBalancerIPs(
    pools,
    manifests.filter((m) => m.service.type === 'LoadBalancer').map((m) => ({ key: key(m.service), given: m.service.loadBalancerIPs })),
  );
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
      ports: m.ports.map((p) => ({
        ...p,
        nodePort: m.type === 'NodePort' || m.type === 'LoadBalancer' ? nodePorts.get(`${key(m)}:${p.name || p.port}/${p.protocol}`) : undefined,
      })),
      sessionAffinity: m.sessionAffinity,
      affinityTimeoutSeconds: m.affinityTimeoutSeconds,
      externalTrafficPolicy: m.externalTrafficPolicy,
      internalTrafficPolicy: m.internalTrafficPolicy,
      loadBalancerIPs: m.type === 'LoadBalancer' ? (lbIPs.get(key(m)) ?? []) : [],
      externalIPs: m.externalIPs,
      ...(m.loadBalancerSourceRanges ? { loadBalancerSourceRanges: m.loadBalancerSourceRanges } : {}),
      externalName: m.externalName,
    };
    if (svc.type === 'LoadBalancer' && svc.loadBalancerIPs.length === 0) {
      warnings.push({
        path: ['manifests', index, 'spec'],
        message: `LoadBalancer service "${key(m)}" got no external IP (no IPAddressPool has a free address); it stays <pending> like without MetalLB`,
        fix: 'add a metallb.io/v1beta1 IPAddressPool or set spec.loadBalancerIP',
      });
    }
    services.push(svc);
    const { slice, unresolved } = endpointSliceFor(svc, pods);
    for (const u of unresolved)
      problems.push({
        path: ['manifests', index, 'spec', 'ports'],
        message: `service "${key(m)}": ${u}`,
        fix: 'name the container port in the pods, or use a numeric targetPort',
      });
    if (slice) {
      slices.push(slice);
      if (slice.endpoints.length === 0) {
        warnings.push({
          path: ['manifests', index, 'spec', 'selector'],
          message: `the selector of service "${key(m)}" matches no pod in namespace "${m.namespace}": it has no endpoints (kube-proxy rejects its traffic)`,
          fix: "check the selector against the pods' labels",
        });
      }
    }
  }
  return { services, slices };
}
