// The cluster model as the Kubernetes API would show it: Namespaces, Nodes, Pods, Services,
// EndpointSlices (discovery.k8s.io/v1) and, derived from the slices, v1 Endpoints. Pure and
// deterministic (fixed timestamps, UIDs hashed from kind/namespace/name) so the output can be
// compared in unit tests and re-rendered after a model change without spurious MODIFIED events.
import { createHash } from 'node:crypto';
import type { ClusterModel, EndpointSlice, Node, Pod, Service } from '../../src/model/types.js';

/** A Kubernetes object as JSON. Only metadata is typed; the rest is the API's own shape. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

export interface K8sObjects {
  namespaces: K8sObject[];
  nodes: K8sObject[];
  pods: K8sObject[];
  services: K8sObject[];
  endpointSlices: K8sObject[];
  /** v1 Endpoints, one per EndpointSlice (only ready addresses under `addresses`). */
  endpoints: K8sObject[];
}

/** Every object has this creation time: the lab has no history, and tests need fixed output. */
export const CREATION_TIMESTAMP = '2024-01-01T00:00:00Z';
/** The resourceVersion objects carry before a store assigns real ones. */
export const INITIAL_RESOURCE_VERSION = '1';
export const SYSTEM_NAMESPACES = ['default', 'kube-node-lease', 'kube-public', 'kube-system'] as const;
export const ENDPOINTSLICE_MANAGED_BY = 'endpointslice-controller.k8s.io';

/** A stable RFC 4122-shaped UID (version 5 style, from SHA-1) for kind/namespace/name. */
export function deterministicUid(kind: string, namespace: string | undefined, name: string): string {
  const h = createHash('sha1')
    .update(`wirelab/${kind}/${namespace ?? ''}/${name}`)
    .digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

function meta(kind: string, name: string, namespace: string | undefined, labels?: Record<string, string>, extra: Partial<ObjectMeta> = {}): ObjectMeta {
  const m: ObjectMeta = {
    name,
    ...(namespace !== undefined ? { namespace } : {}),
    uid: deterministicUid(kind, namespace, name),
    resourceVersion: INITIAL_RESOURCE_VERSION,
    creationTimestamp: CREATION_TIMESTAMP,
    ...extra,
  };
  if (labels && Object.keys(labels).length > 0) m.labels = sortedRecord(labels);
  return m;
}

function sortedRecord(r: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function byNamespaceName(a: K8sObject, b: K8sObject): number {
  const ka = `${a.metadata.namespace ?? ''}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace ?? ''}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

export function namespaceObject(name: string): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: meta('Namespace', name, undefined, { 'kubernetes.io/metadata.name': name }),
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

export function nodeObject(node: Node): K8sObject {
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': node.name,
    'kubernetes.io/os': 'linux',
  };
  if (node.role === 'control-plane') labels['node-role.kubernetes.io/control-plane'] = '';
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: meta('Node', node.name, undefined, labels),
    spec: {
      podCIDR: node.podCIDR,
      podCIDRs: [node.podCIDR],
      ...(node.role === 'control-plane' ? { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] } : {}),
    },
    status: {
      addresses: [
        { type: 'InternalIP', address: node.ip },
        { type: 'Hostname', address: node.name },
      ],
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
          lastHeartbeatTime: CREATION_TIMESTAMP,
          lastTransitionTime: CREATION_TIMESTAMP,
        },
      ],
      nodeInfo: { architecture: 'amd64', operatingSystem: 'linux', kubeletVersion: 'v1.31.0-wirelab', containerRuntimeVersion: 'wirelab://netns' },
    },
  };
}

export function podObject(pod: Pod, nodes: Map<string, Node>): K8sObject {
  const cond = (type: string, ok: boolean) => ({ type, status: ok ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: CREATION_TIMESTAMP });
  const hostIP = nodes.get(pod.nodeName)?.ip;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta('Pod', pod.name, pod.namespace, pod.labels),
    spec: {
      nodeName: pod.nodeName,
      containers: pod.containers.map((c) => ({
        name: c.name,
        image: c.image,
        ...(c.args.length > 0 ? { args: [...c.args] } : {}),
        ...(c.ports.length > 0
          ? { ports: c.ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), containerPort: p.containerPort, protocol: p.protocol })) }
          : {}),
      })),
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
    },
    status: {
      phase: 'Running',
      conditions: [cond('Initialized', true), cond('Ready', pod.ready), cond('ContainersReady', pod.ready), cond('PodScheduled', true)],
      ...(hostIP ? { hostIP, hostIPs: [{ ip: hostIP }] } : {}),
      podIP: pod.ip,
      podIPs: [{ ip: pod.ip }],
      startTime: CREATION_TIMESTAMP,
      containerStatuses: pod.containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: '',
        ready: pod.ready,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: CREATION_TIMESTAMP } },
      })),
      qosClass: 'BestEffort',
    },
  };
}

export function serviceObject(svc: Service): K8sObject {
  const spec: Record<string, unknown> = {};
  const external = svc.type === 'ExternalName';
  if (!external && svc.clusterIP) {
    spec.clusterIP = svc.clusterIP;
    spec.clusterIPs = [svc.clusterIP];
  }
  spec.type = svc.type;
  if (external && svc.externalName) spec.externalName = svc.externalName;
  spec.ports = svc.ports.map((p) => ({
    ...(p.name ? { name: p.name } : {}),
    protocol: p.protocol,
    port: p.port,
    targetPort: p.targetPort,
    ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}),
  }));
  if (svc.selector && Object.keys(svc.selector).length > 0) spec.selector = sortedRecord(svc.selector);
  spec.sessionAffinity = svc.sessionAffinity;
  if (svc.sessionAffinity === 'ClientIP') spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: svc.affinityTimeoutSeconds } };
  if (svc.externalIPs.length > 0) spec.externalIPs = [...svc.externalIPs];
  if (!external) {
    spec.ipFamilies = ['IPv4'];
    spec.ipFamilyPolicy = 'SingleStack';
    spec.internalTrafficPolicy = svc.internalTrafficPolicy;
  }
  if (svc.type === 'NodePort' || svc.type === 'LoadBalancer') spec.externalTrafficPolicy = svc.externalTrafficPolicy;
  if (svc.healthCheckNodePort !== undefined) spec.healthCheckNodePort = svc.healthCheckNodePort;
  if (svc.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts = true;
  const ingress = svc.type === 'LoadBalancer' ? svc.loadBalancerIPs.map((ip) => ({ ip, ipMode: 'VIP' })) : [];
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta('Service', svc.name, svc.namespace),
    spec,
    status: { loadBalancer: ingress.length > 0 ? { ingress } : {} },
  };
}

export function endpointSliceObject(slice: EndpointSlice): K8sObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: meta(
      'EndpointSlice',
      slice.name,
      slice.namespace,
      {
        'endpointslice.kubernetes.io/managed-by': ENDPOINTSLICE_MANAGED_BY,
        'kubernetes.io/service-name': slice.serviceName,
      },
      {
        generateName: `${slice.serviceName}-`,
        ownerReferences: [
          {
            apiVersion: 'v1',
            kind: 'Service',
            name: slice.serviceName,
            uid: deterministicUid('Service', slice.namespace, slice.serviceName),
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
    ),
    addressType: 'IPv4',
    endpoints: slice.endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready, serving: e.serving, terminating: e.terminating },
      nodeName: e.nodeName,
      targetRef: { kind: 'Pod', name: e.podName, namespace: slice.namespace, uid: deterministicUid('Pod', slice.namespace, e.podName) },
    })),
    ports: slice.ports.map((p) => ({ name: p.name, protocol: p.protocol, port: p.port })),
  };
}

/** v1 Endpoints as the endpoints controller would mirror one slice (one subset). */
export function endpointsObject(slice: EndpointSlice): K8sObject {
  const addr = (e: EndpointSlice['endpoints'][number]) => ({
    ip: e.ip,
    nodeName: e.nodeName,
    targetRef: { kind: 'Pod', name: e.podName, namespace: slice.namespace, uid: deterministicUid('Pod', slice.namespace, e.podName) },
  });
  const ready = slice.endpoints.filter((e) => e.ready).map(addr);
  const notReady = slice.endpoints.filter((e) => !e.ready).map(addr);
  const ports = slice.ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port, protocol: p.protocol }));
  const subsets =
    ready.length + notReady.length > 0
      ? [{ ...(ready.length ? { addresses: ready } : {}), ...(notReady.length ? { notReadyAddresses: notReady } : {}), ports }]
      : [];
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: meta('Endpoints', slice.serviceName, slice.namespace),
    subsets,
  };
}

export function toK8sObjects(model: ClusterModel): K8sObjects {
  const nsNames = new Set<string>(SYSTEM_NAMESPACES);
  for (const p of model.pods) nsNames.add(p.namespace);
  for (const s of model.services) nsNames.add(s.namespace);
  for (const s of model.endpointSlices) nsNames.add(s.namespace);
  const nodesByName = new Map(model.nodes.map((n) => [n.name, n]));
  return {
    namespaces: [...nsNames].sort().map(namespaceObject),
    nodes: model.nodes.map(nodeObject).sort(byNamespaceName),
    pods: model.pods.map((p) => podObject(p, nodesByName)).sort(byNamespaceName),
    services: model.services.map(serviceObject).sort(byNamespaceName),
    endpointSlices: model.endpointSlices.map(endpointSliceObject).sort(byNamespaceName),
    endpoints: model.endpointSlices.map(endpointsObject).sort(byNamespaceName),
  };
}
