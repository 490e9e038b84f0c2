// Kubernetes objects in a lab file. Only the fields the harness acts on are read; the others
// are kept as written. Each kind returns problems with paths relative to the manifest.
import type { ManifestSpec } from './schema.js';
import type { Container, ContainerPort } from '../model/types.js';

/** Pins a pod's address, as Calico's cni.projectcalico.org/ipAddrs annotation does. */
export const POD_IP_ANNOTATION = 'wirelab.io/ip';

export const SUPPORTED_KINDS = ['v1/Pod'] as const;

export interface PodManifest {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  nodeName: string;
  pinnedIp?: string;
  containers: Container[];
}

interface RelProblem {
  path: (string | number)[];
  message: string;
  fix?: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parsePodManifest(m: ManifestSpec): { pod?: PodManifest; problems: RelProblem[] } {
  const problems: RelProblem[] = [];
  const kindKey = `${m.apiVersion}/${m.kind}`;
  if (!SUPPORTED_KINDS.includes(kindKey as (typeof SUPPORTED_KINDS)[number])) {
    problems.push({ path: ['kind'], message: `${m.apiVersion} ${m.kind} is not supported by this version of wirelab`, fix: `supported kinds: ${SUPPORTED_KINDS.join(', ')}` });
    return { problems };
  }
  const spec = (m as Record<string, unknown>).spec;
  if (!isObj(spec)) {
    problems.push({ path: ['spec'], message: 'a Pod needs a spec', fix: 'add spec.nodeName and spec.containers' });
    return { problems };
  }
  const nodeName = spec.nodeName;
  if (typeof nodeName !== 'string') problems.push({ path: ['spec', 'nodeName'], message: 'spec.nodeName is required: the harness has no scheduler', fix: 'set spec.nodeName to one of the lab\'s nodes' });
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
      containers.push({ name: c.name, image: c.image, args, ports });
    });
  }
  const pinnedIp = m.metadata.annotations?.[POD_IP_ANNOTATION];
  if (problems.length > 0 || typeof nodeName !== 'string') return { problems };
  return {
    pod: { name: m.metadata.name, namespace: m.metadata.namespace ?? 'default', labels: m.metadata.labels ?? {}, nodeName, pinnedIp, containers },
    problems,
  };
}
