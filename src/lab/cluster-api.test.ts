// listAll's order against a cluster that moves between two lists: a Deployment whose controllers
// create its pods, then count them in its status, right after the first list call answers.
import { describe, expect, it } from 'vitest';
import type { K8sObject } from '../api/client.js';
import { settle } from '../agent/settled.js';
import { listAll } from './cluster-api.js';

const deployment = (replicas: number): K8sObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', generation: 1 },
  spec: { replicas: 2 },
  status: { observedGeneration: 1, replicas, updatedReplicas: replicas },
});
const pendingPod = (name: string): K8sObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: {}, status: {} });

/** A fake API server: lists that start before any list has answered see the cluster as it was
 * when the lab's objects were applied; once one has answered, the pods are made and counted. */
function movingCluster() {
  let moved = false;
  return {
    list: async (path: string) => {
      const made = moved;
      await new Promise((r) => setTimeout(r, 1));
      moved = true;
      const items =
        path === '/apis/apps/v1/deployments' ? [deployment(made ? 2 : 0)] : path === '/api/v1/pods' && made ? [pendingPod('web-1'), pendingPod('web-2')] : [];
      return { items, resourceVersion: '1' };
    },
  };
}

describe('listAll', () => {
  it('never calls a lab settled whose workload counts pods the pod list lacks', async () => {
    const { objects, workloads } = await listAll(movingCluster());
    // Listed in the other order (pods at the first call, workloads after) the Deployment counts
    // both replicas and no pod is listed: nothing moves.
    expect(settle({ objects, workloads, agents: {} }).moving).not.toEqual([]);
  });

  it('lists each workload before any pod', async () => {
    const order: string[] = [];
    let pending = 0;
    await listAll({
      list: async (path: string) => {
        order.push(`${path} starts with ${pending} lists open`);
        pending++;
        await new Promise((r) => setTimeout(r, 1));
        pending--;
        return { items: [], resourceVersion: '1' };
      },
    });
    const firstWatched = order.findIndex((l) => !l.startsWith('/apis/apps/'));
    expect(order.slice(0, firstWatched).map((l) => l.split(' ')[0])).toEqual([
      '/apis/apps/v1/deployments',
      '/apis/apps/v1/replicasets',
      '/apis/apps/v1/statefulsets',
      '/apis/apps/v1/daemonsets',
    ]);
    // The first list of a watched kind starts once every workload list has answered.
    expect(order[firstWatched]).toMatch(/starts with 0 lists open$/);
  });
});
