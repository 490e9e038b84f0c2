// Builders of Services and EndpointSlices for unit tests (kube-proxy, ingress, the API server),
// shaped like upstream's makeTestService / makeTestEndpointSlice helpers
// (pkg/proxy/iptables/proxier_test.go): defaults first, then a function that edits the object.
import type { Endpoint, EndpointSlice, Protocol, Service, ServicePort } from '../types.js';

/** A Service as kube-proxy reads it (spec.loadBalancerSourceRanges included). */
export type TestService = Service & { loadBalancerSourceRanges?: string[] };

export function makeService(namespace: string, name: string, edit: (svc: TestService) => void = () => {}): TestService {
  const svc: TestService = {
    name,
    namespace,
    type: 'ClusterIP',
    ports: [],
    sessionAffinity: 'None',
    affinityTimeoutSeconds: 10800,
    externalTrafficPolicy: 'Cluster',
    internalTrafficPolicy: 'Cluster',
    loadBalancerIPs: [],
    externalIPs: [],
  };
  edit(svc);
  return svc;
}

export function tcpPort(name: string, port: number, nodePort?: number, protocol: Protocol = 'TCP'): ServicePort {
  return { name, protocol, port, targetPort: port, ...(nodePort === undefined ? {} : { nodePort }) };
}

/** An endpoint as upstream's test slices have them: conditions unset = ready, serving, not terminating. */
export function endpoint(ip: string, nodeName = '', conditions: Partial<Pick<Endpoint, 'ready' | 'serving' | 'terminating'>> = {}): Endpoint {
  return { ip, podName: `pod-${ip}`, nodeName, ready: true, serving: true, terminating: false, ...conditions };
}

export function makeSlice(
  namespace: string,
  serviceName: string,
  endpoints: Endpoint[],
  ports: { name: string; port: number; protocol?: Protocol }[],
): EndpointSlice {
  return {
    name: `${serviceName}-1`,
    namespace,
    serviceName,
    endpoints,
    ports: ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol ?? 'TCP' })),
  };
}
