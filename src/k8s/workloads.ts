// apps/v1 workloads: Deployment, ReplicaSet, StatefulSet and DaemonSet. The real controllers
// create their pods; what the harness reads is their pod template (each image must be one it can
// run) and, as the API server validates it (pkg/apis/apps/validation), that the selector is not
// empty and selects the template's labels.
import { isObj, type Path } from './walk.js';
import type { RawManifest } from './types.js';
import { parsePodSpec, type PodSpec, type Problem } from './pod.js';

export const WORKLOAD_KINDS = ['apps/v1/Deployment', 'apps/v1/ReplicaSet', 'apps/v1/StatefulSet', 'apps/v1/DaemonSet'] as const;

export interface Workload {
  kind: 'Deployment' | 'ReplicaSet' | 'StatefulSet' | 'DaemonSet';
  name: string;
  namespace: string;
  /** Pods it asks for (a DaemonSet: one per node, left undefined). */
  replicas?: number;
  selector: Record<string, string>;
  template: { labels: Record<string, string>; spec: PodSpec };
}

export function parseWorkload(m: RawManifest): { workload?: Workload; problems: Problem[] } {
  const problems: Problem[] = [];
  const kind = m.kind as Workload['kind'];
  const spec = (m as Record<string, unknown>).spec;
  if (!isObj(spec)) return { problems: [{ path: ['spec'], message: `a ${kind} needs a spec`, fix: 'add spec.selector and spec.template' }] };
  const matchLabels = isObj(spec.selector) && isObj(spec.selector.matchLabels) ? (spec.selector.matchLabels as Record<string, string>) : {};
  const template = isObj(spec.template) ? spec.template : {};
  const labels = isObj(template.metadata) && isObj(template.metadata.labels) ? (template.metadata.labels as Record<string, string>) : {};
  if (Object.keys(matchLabels).length === 0)
    problems.push({
      path: ['spec', 'selector'],
      message: 'spec.selector: Required value: empty selector is invalid for deployment',
      fix: 'add spec.selector.matchLabels, e.g. { app: web }',
    });
  const mismatch = Object.entries(matchLabels).filter(([k, v]) => labels[k] !== v);
  if (mismatch.length > 0) {
    const at: Path = ['spec', 'template', 'metadata', 'labels'];
    problems.push({
      path: at,
      message: '`selector` does not match template `labels`',
      fix: `give the template the labels ${mismatch.map(([k, v]) => `${k}: ${v}`).join(', ')}`,
    });
  }
  const replicas = kind === 'DaemonSet' ? undefined : spec.replicas === undefined ? 1 : Number(spec.replicas);
  if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 0))
    problems.push({ path: ['spec', 'replicas'], message: 'replicas must be a whole number, 0 or more' });
  const podSpec = parsePodSpec(isObj(template.spec) ? template.spec : {}, problems, ['spec', 'template', 'spec']);
  if (problems.length > 0) return { problems };
  return {
    workload: {
      kind,
      name: m.metadata.name,
      namespace: m.metadata.namespace ?? 'default',
      replicas,
      selector: matchLabels,
      template: { labels, spec: podSpec },
    },
    problems,
  };
}
