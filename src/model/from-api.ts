// The cluster model from a live Kubernetes API: what the API server, the controllers and the
// kubelets decided (node ranges, pod addresses and readiness, ClusterIPs, node ports, endpoint
// slices) replaces what the lab file alone would allocate. The rest of the model (the underlay,
// machines outside the cluster, the pod network's kind) still comes from the lab file. Pure: the
// objects come in as JSON lists; the same k8s/ parsers read them as read a lab file.
import type { RawManifest } from '../k8s/types.js';
import { parsePodSpec, POD_IP_ANNOTATION } from '../k8s/pod.js';
import { parseServiceManifest } from '../k8s/service.js';
import { parseNetworkPolicy } from '../k8s/network-policy.js';
import { parseIngressApiManifest } from '../k8s/ingress.js';
import type { ParsedIngressApiObject } from '../k8s/ingress.js';
import { electAnnouncers } from './services.js';
import { dnsSettings, podResolverConfig } from './pod-dns.js';
import { resolveSecrets } from './resolve.js';
import type { ClusterModel, Endpoint, EndpointSlice, IngressObjects, Node, Pod, Protocol, Service } from './types.js';

/** What a snapshot of the API holds, as the API returns it. */
export interface ApiSnapshot {
  nodes: RawManifest[];
  pods: RawManifest[];
  services: RawManifest[];
  endpointSlices: RawManifest[];
  namespaces: RawManifest[];
  networkPolicies?: RawManifest[];
  ingresses?: RawManifest[];
  configMaps?: RawManifest[];
  secrets?: RawManifest[];
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
const byName = (a: { namespace?: string; name: string }, b: { namespace?: string; name: string }) =>
  `${a.namespace ?? ''}/${a.name}`.localeCompare(`${b.namespace ?? ''}/${b.name}`);

export function nodeFromApi(n: RawManifest, lab: ClusterModel): Node | undefined {
  const status = obj(n.status);
  const ip = arr(status.addresses).find((a) => a.type === 'InternalIP')?.address;
  const podCIDR = obj(n.spec).podCIDR;
  if (typeof ip !== 'string') return undefined;
  const known = lab.nodes.find((x) => x.name === n.metadata.name);
  return {
    name: n.metadata.name,
    role: known?.role ?? (n.metadata.labels?.['node-role.kubernetes.io/control-plane'] !== undefined ? 'control-plane' : 'worker'),
    ip,
    podCIDR: typeof podCIDR === 'string' ? podCIDR : '',
    podCIDRSource: known?.podCIDRSource ?? 'allocated',
  };
}

/** A pod as its kubelet reported it: scheduled, with an address. */
export function podFromApi(p: RawManifest, model: Pick<ClusterModel, 'externals' | 'network'>): Pod | undefined {
  const status = obj(p.status);
  const ip = status.podIP;
  if (typeof ip !== 'string') return undefined;
  const ready = arr(status.conditions).some((c) => c.type === 'Ready' && c.status === 'True');
  return podOf(p, model, ip, ready);
}

/** A pod object bound to a node, with the address its node gives it (the kubelet's view,
 * before any status is reported); undefined while it is not scheduled. */
export function podOf(p: RawManifest, model: Pick<ClusterModel, 'externals' | 'network'>, ip: string, ready: boolean): Pod | undefined {
  const spec = parsePodSpec(obj(p.spec));
  if (!spec.nodeName) return undefined;
  const pod: Pod = {
    name: p.metadata.name,
    namespace: p.metadata.namespace ?? 'default',
    labels: p.metadata.labels ?? {},
    nodeName: spec.nodeName,
    ip,
    ipSource: p.metadata.annotations?.[POD_IP_ANNOTATION] ? 'pinned' : 'allocated',
    ready,
    dnsPolicy: spec.dnsPolicy,
    dnsConfig: spec.dnsConfig,
    resolver: { nameservers: [], searches: [], options: [] },
    containers: spec.containers,
    volumes: spec.volumes,
  };
  pod.resolver = podResolverConfig(pod, dnsSettings(model));
  return pod;
}

export function endpointSliceFromApi(s: RawManifest): EndpointSlice | undefined {
  const serviceName = s.metadata.labels?.['kubernetes.io/service-name'];
  if (!serviceName || (s as Json).addressType !== 'IPv4') return undefined;
  const endpoints: Endpoint[] = arr((s as Json).endpoints).flatMap((e): Endpoint[] => {
    const ip = arr(e.addresses)[0] as unknown;
    const cond = obj(e.conditions);
    if (typeof ip !== 'string') return [];
    const ready = cond.ready !== false;
    return [
      {
        ip,
        podName: String(obj(e.targetRef).name ?? ''),
        nodeName: String(e.nodeName ?? ''),
        ready,
        serving: cond.serving === undefined ? ready : cond.serving !== false,
        terminating: cond.terminating === true,
      },
    ];
  });
  const ports = arr((s as Json).ports).map((p) => ({ name: String(p.name ?? ''), protocol: (p.protocol ?? 'TCP') as Protocol, port: Number(p.port) }));
  return { name: s.metadata.name, namespace: s.metadata.namespace ?? 'default', serviceName, ports, endpoints };
}

export function serviceFromApi(s: RawManifest): Service | undefined {
  const r = parseServiceManifest(s);
  if (!r.service) return undefined;
  const spec = obj(s.spec);
  return {
    ...r.service,
    clusterIP: r.service.type === 'ExternalName' ? undefined : String(spec.clusterIP ?? ''),
    clusterIPSource: 'allocated',
    ...(typeof spec.healthCheckNodePort === 'number' ? { healthCheckNodePort: spec.healthCheckNodePort } : {}),
  };
}

/** `parse` memoised on the API object itself: an informer keeps the same object until the API
 * changes it, so an unchanged Service or EndpointSlice is the same model object sync after sync,
 * and kube-proxy's syncs see in no time that it did not change (plan/proxy/service-objects.ts).
 * The model's objects are never changed in place. */
function memoised<T>(parse: (m: RawManifest) => T | undefined): (m: RawManifest) => T | undefined {
  const parsed = new WeakMap<RawManifest, T | undefined>();
  return (m) => {
    if (parsed.has(m)) return parsed.get(m);
    const v = parse(m);
    parsed.set(m, v);
    return v;
  };
}
const serviceOf = memoised(serviceFromApi);
const endpointSliceOf = memoised(endpointSliceFromApi);

/** The lab file's model with the cluster's objects as the API has them now. */
export function modelFromApi(lab: ClusterModel, snap: ApiSnapshot): ClusterModel {
  const nodes = snap.nodes.map((n) => nodeFromApi(n, lab)).filter((n): n is Node => !!n);
  const pods = snap.pods
    .filter((p) => !p.metadata.deletionTimestamp)
    .map((p) => podFromApi(p, lab))
    .filter((p): p is Pod => !!p)
    .sort(byName);
  const services = snap.services
    .map(serviceOf)
    .filter((s): s is Service => !!s)
    .sort(byName);
  // One slice per service, as the model keeps them: the controller may split a big one.
  const slices = new Map<string, EndpointSlice>();
  for (const s of snap.endpointSlices.map(endpointSliceOf)) {
    if (!s) continue;
    const key = `${s.namespace}/${s.serviceName}`;
    const have = slices.get(key);
    slices.set(key, have ? { ...have, endpoints: [...have.endpoints, ...s.endpoints] } : s);
  }
  const endpointSlices = services.flatMap((s) => slices.get(`${s.namespace}/${s.name}`) ?? []);
  const ingress: IngressObjects = { ingresses: [], gatewayClasses: [], gateways: [], httpRoutes: [] };
  for (const m of snap.ingresses ?? []) {
    const o: ParsedIngressApiObject | undefined = parseIngressApiManifest(m).object;
    if (o?.kind === 'Ingress') ingress.ingresses.push(o.ingress);
    else if (o?.kind === 'GatewayClass') ingress.gatewayClasses.push(o.gatewayClass);
    else if (o?.kind === 'Gateway') ingress.gateways.push(o.gateway);
    else if (o?.kind === 'HTTPRoute') ingress.httpRoutes.push(o.httpRoute);
  }
  return {
    ...lab,
    nodes: nodes.length > 0 ? nodes : lab.nodes,
    pods,
    services,
    endpointSlices,
    announcements: electAnnouncers(services, endpointSlices, nodes),
    namespaces: snap.namespaces
      .map((n) => ({ name: n.metadata.name, labels: { ...(n.metadata.labels ?? {}), 'kubernetes.io/metadata.name': n.metadata.name } }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    networkPolicies: (snap.networkPolicies ?? []).flatMap((m) => parseNetworkPolicy(m).policy ?? []),
    ingress,
    configMaps: (snap.configMaps ?? []).map((c) => ({
      name: c.metadata.name,
      namespace: c.metadata.namespace ?? 'default',
      data: (obj((c as Json).data) as Record<string, string>) ?? {},
    })),
    // The lab file's secrets know which certificates `lab up` generated and for which hosts;
    // secrets created later (kubectl) are read as the API has them.
    secrets: [
      ...lab.secrets,
      ...resolveSecrets(
        (snap.secrets ?? [])
          .filter((s) => !lab.secrets.some((x) => x.name === s.metadata.name && x.namespace === (s.metadata.namespace ?? 'default')))
          .map((s) => ({ name: s.metadata.name, namespace: s.metadata.namespace ?? 'default', type: String((s as Json).type ?? 'Opaque'), generate: false })),
        ingress,
      ),
    ],
  };
}
