// When a lab with a control plane has settled: the controllers have caught up with their
// workloads, the scheduler and the kubelets with the pods, the EndpointSlice controller with the
// pods' readiness, and every node agent has acted on everything the API holds. Pure: the API's
// objects and the agents' reports in, what is still moving out (empty: settled), plus notes on
// what has settled in a state a user should hear about (a pod that cannot start).
import type { K8sObject } from '../api/client.js';
import { selectorMatches } from '../model/services.js';
import { digestOf, type AgentStatus, type WatchedKind } from './watched.js';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
const num = (v: unknown) => (typeof v === 'number' ? v : 0);
const name = (o: K8sObject) => `${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

export interface SettleInput {
  objects: Record<WatchedKind, K8sObject[]>;
  /** Deployments, ReplicaSets, StatefulSets, DaemonSets. */
  workloads: K8sObject[];
  /** Each node's agent report (undefined: none yet). */
  agents: Record<string, AgentStatus | undefined>;
}

export interface Settle {
  /** What is still moving; empty when the lab has settled. */
  moving: string[];
  /** Pods that settled without becoming ready, with kubelet's or the scheduler's reason. */
  notes: string[];
}

const isReady = (p: K8sObject) => arr(obj(p.status).conditions).some((c) => c.type === 'Ready' && c.status === 'True');

function workloadMoving(w: K8sObject): string | undefined {
  const spec = obj(w.spec);
  const status = obj(w.status);
  const generation = num(w.metadata.generation);
  if (num(status.observedGeneration) < generation) return `${w.kind} ${name(w)}: its controller has not seen the latest change`;
  if (w.kind === 'DaemonSet') {
    const want = num(status.desiredNumberScheduled);
    return num(status.currentNumberScheduled) === want && num(status.updatedNumberScheduled) === want ? undefined : `DaemonSet ${name(w)}: pods being placed`;
  }
  const want = spec.replicas === undefined ? 1 : num(spec.replicas);
  const have = num(status.replicas);
  if (have !== want) return `${w.kind} ${name(w)}: ${have} of ${want} replicas`;
  if (w.kind === 'Deployment' && num(status.updatedReplicas) !== want) return `Deployment ${name(w)}: rolling out`;
  return undefined;
}

/** A pod's state, as `kubectl get pods` would explain it when it is not simply running. */
function podMoving(p: K8sObject): { moving?: string; note?: string } {
  const spec = obj(p.spec);
  const status = obj(p.status);
  if (p.metadata.deletionTimestamp) return { moving: `pod ${name(p)} is terminating` };
  if (typeof spec.nodeName !== 'string') {
    const sched = arr(status.conditions).find((c) => c.type === 'PodScheduled');
    if (sched?.status === 'False' && sched.reason === 'Unschedulable')
      return { note: `pod ${name(p)} is Pending: ${String(sched.message ?? 'unschedulable')}` };
    return { moving: `pod ${name(p)} is waiting for the scheduler` };
  }
  const waiting = arr(status.containerStatuses)
    .map((c) => obj(obj(c.state).waiting))
    .filter((w) => typeof w.reason === 'string' && w.reason !== 'PodInitializing');
  if (waiting.length > 0)
    return { note: `pod ${name(p)} on ${spec.nodeName}: ${waiting.map((w) => `${String(w.reason)}: ${String(w.message ?? '')}`).join('; ')}` };
  if (typeof status.podIP !== 'string' || status.phase !== 'Running') return { moving: `pod ${name(p)} is starting on ${spec.nodeName}` };
  return isReady(p) ? {} : { note: `pod ${name(p)} is running but not ready` };
}

/** Every selector Service's ready endpoints are exactly its ready pods. */
function endpointsMoving(objects: SettleInput['objects']): string[] {
  const out: string[] = [];
  for (const s of objects.services) {
    const spec = obj(s.spec);
    const selector = obj(spec.selector) as Record<string, string>;
    if (spec.type === 'ExternalName' || Object.keys(selector).length === 0) continue;
    const want = objects.pods
      .filter((p) => p.metadata.namespace === s.metadata.namespace && !p.metadata.deletionTimestamp && isReady(p))
      .filter((p) => selectorMatches(selector, p.metadata.labels ?? {}))
      .map((p) => String(obj(p.status).podIP))
      .sort();
    const have = objects.endpointSlices
      .filter((e) => e.metadata.namespace === s.metadata.namespace && e.metadata.labels?.['kubernetes.io/service-name'] === s.metadata.name)
      .flatMap((e) => arr((e as Json).endpoints))
      .filter((e) => obj(e.conditions).ready !== false)
      .map((e) => String(arr(e.addresses)[0]))
      .sort();
    if (want.join() !== [...new Set(have)].join()) out.push(`service ${name(s)}: endpoints being updated`);
  }
  return out;
}

export function settle(input: SettleInput): Settle {
  const moving: string[] = [];
  const notes: string[] = [];
  for (const w of input.workloads) {
    const m = workloadMoving(w);
    if (m) moving.push(m);
  }
  for (const p of input.objects.pods) {
    const r = podMoving(p);
    if (r.moving) moving.push(r.moving);
    if (r.note) notes.push(r.note);
  }
  moving.push(...endpointsMoving(input.objects));
  const digest = digestOf(input.objects);
  for (const [node, status] of Object.entries(input.agents)) {
    if (!status) moving.push(`node agent ${node} has not reported yet`);
    else if (status.digest !== digest) moving.push(`node agent ${node} is catching up${status.error ? ` (${status.error})` : ''}`);
    else if (status.error) moving.push(`node agent ${node}: ${status.error}`);
  }
  return { moving, notes };
}
