// What a node agent writes to the API, as kubelet writes it: the Node (registered once, its
// status after), its Lease in kube-node-lease (the heartbeat the node lifecycle controller
// watches), pod status, the final delete of a pod whose containers have stopped, and Events.
import { randomBytes } from 'node:crypto';
import { ApiError, type ApiClient, type K8sObject } from '../api/client.js';

const enc = encodeURIComponent;

/** Registers the Node, or takes over the one already there (a restarted agent). */
export async function registerNode(client: ApiClient, node: Record<string, unknown>): Promise<K8sObject> {
  const name = (node.metadata as { name: string }).name;
  try {
    return await client.create('/api/v1/nodes', node);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 409) throw e;
    return client.patch(`/api/v1/nodes/${enc(name)}`, { metadata: node.metadata });
  }
}

export function patchNodeStatus(client: ApiClient, name: string, status: Record<string, unknown>): Promise<K8sObject> {
  return client.patch(`/api/v1/nodes/${enc(name)}/status`, status, 'strategic');
}

export function patchNode(client: ApiClient, name: string, patch: Record<string, unknown>): Promise<K8sObject> {
  return client.patch(`/api/v1/nodes/${enc(name)}`, patch);
}

/** MicroTime, as Lease.spec.renewTime wants it. */
const microTime = () => new Date().toISOString().replace(/Z$/, '000Z');

/** kubelet's node lease: created once, its renewTime moved on every interval. */
export async function renewLease(client: ApiClient, node: string, uid: string | undefined, durationSeconds: number): Promise<void> {
  const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${enc(node)}`;
  try {
    await client.patch(path, { spec: { holderIdentity: node, leaseDurationSeconds: durationSeconds, renewTime: microTime() } });
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404) throw e;
    await client.create('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: node, namespace: 'kube-node-lease', ...(uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node, uid }] } : {}) },
      spec: { holderIdentity: node, leaseDurationSeconds: durationSeconds, renewTime: microTime() },
    });
  }
}

export function patchPodStatus(client: ApiClient, namespace: string, name: string, status: Record<string, unknown>): Promise<K8sObject> {
  return client.patch(`/api/v1/namespaces/${enc(namespace)}/pods/${enc(name)}/status`, status, 'merge');
}

export function patchServiceStatus(client: ApiClient, namespace: string, name: string, status: Record<string, unknown>): Promise<K8sObject> {
  return client.patch(`/api/v1/namespaces/${enc(namespace)}/services/${enc(name)}/status`, status, 'merge');
}

/** The kubelet's last word on a pod being deleted: its containers are gone, remove the object
 * now (grace period 0), only if it is still the same pod. */
export async function finalDelete(client: ApiClient, namespace: string, name: string, uid: string): Promise<void> {
  try {
    await client.request('DELETE', `/api/v1/namespaces/${enc(namespace)}/pods/${enc(name)}`, {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      gracePeriodSeconds: 0,
      preconditions: { uid },
    });
  } catch (e) {
    if (!(e instanceof ApiError) || (e.status !== 404 && e.status !== 409)) throw e;
  }
}

/** An Event about an object, from kubelet on this node (what `kubectl describe` lists). */
export async function recordEvent(
  client: ApiClient,
  o: { kind: string; namespace: string; name: string; uid?: string },
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  host: string,
): Promise<void> {
  const t = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await client.create(`/api/v1/namespaces/${enc(o.namespace)}/events`, {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${o.name}.${randomBytes(8).toString('hex')}`, namespace: o.namespace },
    involvedObject: { apiVersion: 'v1', kind: o.kind, namespace: o.namespace, name: o.name, ...(o.uid ? { uid: o.uid } : {}) },
    reason,
    message,
    type,
    source: { component: 'kubelet', host },
    reportingComponent: 'kubelet',
    reportingInstance: host,
    firstTimestamp: t,
    lastTimestamp: t,
    count: 1,
  });
}
