// What a node agent watches, and the digest of what it has seen: the agent writes the digest
// of its caches after each reconcile, and the harness, listing the same resources, knows the
// agents have acted on everything the API holds when every agent's digest equals its own.
import { createHash } from 'node:crypto';
import type { K8sObject } from '../api/client.js';
import type { ApiSnapshot } from '../model/from-api.js';

/** The resources a node agent lists and watches (kubelet's pods, kube-proxy's services and
 * slices, the policy agent's namespaces and policies, the nodes flannel peers with, the
 * ConfigMaps pods mount). */
export const WATCHED = {
  nodes: '/api/v1/nodes',
  pods: '/api/v1/pods',
  services: '/api/v1/services',
  endpointSlices: '/apis/discovery.k8s.io/v1/endpointslices',
  namespaces: '/api/v1/namespaces',
  networkPolicies: '/apis/networking.k8s.io/v1/networkpolicies',
  configMaps: '/api/v1/configmaps',
} as const satisfies Partial<Record<keyof ApiSnapshot, string>>;

export type WatchedKind = keyof typeof WATCHED;

/** A digest of every object's identity and version: equal digests, same objects seen. */
export function digestOf(objects: Record<WatchedKind, readonly K8sObject[]>): string {
  const lines: string[] = [];
  for (const kind of Object.keys(WATCHED) as WatchedKind[]) {
    for (const o of objects[kind]) lines.push(`${kind} ${o.metadata.namespace ?? ''}/${o.metadata.name} ${o.metadata.resourceVersion ?? ''}`);
  }
  return createHash('sha256').update(lines.sort().join('\n')).digest('hex').slice(0, 16);
}

/** What an agent reports in its status file after a reconcile. */
export interface AgentStatus {
  node: string;
  digest: string;
  syncedAt: string;
  /** Pods running here: namespace/name -> address. */
  pods: Record<string, string>;
  /** Why the last reconcile could not finish, if it could not. */
  error?: string;
}
