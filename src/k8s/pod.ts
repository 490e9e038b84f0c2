// v1 Pod specs: in a Pod, in a workload's template (Deployment, ReplicaSet, StatefulSet,
// DaemonSet), or as the API returns them. Only the fields the harness acts on are read: the
// node, the containers (image, command, args, ports, mounts), DNS policy and config, volumes.
// Checked as the API server checks them (validateDNSPolicy, validatePodDNSConfig); paths are
// relative to the manifest.
import { isObj, type Path } from './walk.js';
import { parseProbe } from './probe.js';
import type { Container, ContainerPort, PodDNSConfig, RawManifest } from './types.js';

/** Pins a pod's address, as Calico's cni.projectcalico.org/ipAddrs annotation does. */
export const POD_IP_ANNOTATION = 'wirelab.io/ip';

/** wirelab.io/ready: "false" marks a pod not ready (its readiness probe fails): it stays out of
 * its services' endpoints, as the EndpointSlice controller leaves unready pods out of rotation. */
export const POD_READY_ANNOTATION = 'wirelab.io/ready';

export type DnsPolicy = 'ClusterFirst' | 'ClusterFirstWithHostNet' | 'Default' | 'None';
const DNS_POLICIES: readonly DnsPolicy[] = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];

export interface Problem {
  path: Path;
  message: string;
  fix?: string;
}

export interface PodSpec {
  /** Where the pod runs; set by the scheduler when the lab file leaves it out. */
  nodeName?: string;
  dnsPolicy: DnsPolicy;
  dnsConfig?: PodDNSConfig;
  containers: Container[];
  volumes: { name: string; configMap?: string }[];
}

export interface PodManifest extends PodSpec {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  pinnedIp?: string;
  ready: boolean;
}

/** Pod.spec.dnsPolicy and dnsConfig (None needs a nameserver; at most 3 nameservers, 32 searches). */
function parsePodDns(spec: Record<string, unknown>, problems: Problem[], at: Path): { dnsPolicy: DnsPolicy; dnsConfig?: PodDNSConfig } {
  const policy = (spec.dnsPolicy ?? 'ClusterFirst') as string;
  if (!DNS_POLICIES.includes(policy as DnsPolicy)) {
    problems.push({ path: [...at, 'dnsPolicy'], message: `unknown dnsPolicy "${policy}"`, fix: `use one of: ${DNS_POLICIES.join(', ')}` });
  }
  const raw = spec.dnsConfig;
  let dnsConfig: PodDNSConfig | undefined;
  if (raw !== undefined) {
    if (!isObj(raw)) problems.push({ path: [...at, 'dnsConfig'], message: 'dnsConfig must be a mapping' });
    else {
      const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : undefined);
      const options = Array.isArray(raw.options)
        ? raw.options.filter(isObj).map((o) => ({ name: String(o.name), value: o.value === undefined ? undefined : String(o.value) }))
        : undefined;
      dnsConfig = { nameservers: list(raw.nameservers), searches: list(raw.searches), options };
      if ((dnsConfig.nameservers?.length ?? 0) > 3)
        problems.push({ path: [...at, 'dnsConfig', 'nameservers'], message: 'at most 3 nameservers', fix: 'glibc reads only the first three' });
      if ((dnsConfig.searches?.length ?? 0) > 32) problems.push({ path: [...at, 'dnsConfig', 'searches'], message: 'at most 32 search domains' });
    }
  }
  if (policy === 'None' && !dnsConfig?.nameservers?.length) {
    problems.push({
      path: [...at, 'dnsConfig', 'nameservers'],
      message: 'dnsPolicy None needs at least one nameserver in dnsConfig',
      fix: 'add dnsConfig.nameservers, e.g. [10.96.0.10]',
    });
  }
  return { dnsPolicy: policy as DnsPolicy, dnsConfig };
}

function parseContainers(spec: Record<string, unknown>, problems: Problem[], at: Path): Container[] {
  const containers: Container[] = [];
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) {
    problems.push({ path: [...at, 'containers'], message: 'a Pod needs at least one container', fix: 'add a container, e.g. agnhost serve-hostname' });
    return containers;
  }
  spec.containers.forEach((c: unknown, i: number) => {
    if (!isObj(c) || typeof c.name !== 'string' || typeof c.image !== 'string') {
      problems.push({ path: [...at, 'containers', i], message: 'a container needs a name and an image' });
      return;
    }
    const ports: ContainerPort[] = [];
    if (Array.isArray(c.ports)) {
      c.ports.forEach((p: unknown, j: number) => {
        if (!isObj(p) || typeof p.containerPort !== 'number' || p.containerPort < 1 || p.containerPort > 65535) {
          problems.push({ path: [...at, 'containers', i, 'ports', j, 'containerPort'], message: 'containerPort must be a number from 1 to 65535' });
          return;
        }
        ports.push({
          name: typeof p.name === 'string' ? p.name : undefined,
          containerPort: p.containerPort,
          protocol: (p.protocol ?? 'TCP') as ContainerPort['protocol'],
        });
      });
    }
    const volumeMounts = Array.isArray(c.volumeMounts)
      ? c.volumeMounts.filter(isObj).map((v) => ({ name: String(v.name), mountPath: String(v.mountPath) }))
      : [];
    const readinessProbe = parseProbe(c.readinessProbe);
    containers.push({
      name: c.name,
      image: c.image,
      ...(Array.isArray(c.command) ? { command: c.command.map(String) } : {}),
      args: Array.isArray(c.args) ? c.args.map(String) : [],
      ports,
      volumeMounts,
      ...(readinessProbe ? { readinessProbe } : {}),
    });
  });
  return containers;
}

/** A pod spec wherever it stands; `at` is its path in the manifest (["spec"], or
 * ["spec", "template", "spec"] in a workload). */
export function parsePodSpec(spec: Record<string, unknown>, problems: Problem[] = [], at: Path = ['spec']): PodSpec {
  const nodeName = typeof spec.nodeName === 'string' ? spec.nodeName : undefined;
  const containers = parseContainers(spec, problems, at);
  const dns = parsePodDns(spec, problems, at);
  const volumes = Array.isArray(spec.volumes)
    ? spec.volumes.filter(isObj).map((v) => ({ name: String(v.name), configMap: isObj(v.configMap) ? String(v.configMap.name) : undefined }))
    : [];
  return { ...(nodeName ? { nodeName } : {}), ...dns, containers, volumes };
}

export function parsePodManifest(m: RawManifest): { pod?: PodManifest; problems: Problem[] } {
  const problems: Problem[] = [];
  const spec = (m as Record<string, unknown>).spec;
  if (!isObj(spec)) {
    problems.push({ path: ['spec'], message: 'a Pod needs a spec', fix: 'add spec.containers (and spec.nodeName without a control plane)' });
    return { problems };
  }
  const podSpec = parsePodSpec(spec, problems);
  if (problems.length > 0) return { problems };
  return {
    pod: {
      name: m.metadata.name,
      namespace: m.metadata.namespace ?? 'default',
      labels: m.metadata.labels ?? {},
      pinnedIp: m.metadata.annotations?.[POD_IP_ANNOTATION],
      ready: m.metadata.annotations?.[POD_READY_ANNOTATION] !== 'false',
      ...podSpec,
    },
    problems,
  };
}
