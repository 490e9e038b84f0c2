// When a lab with a control plane has settled, from the API's objects and the agents' reports.
import { describe, expect, it } from 'vitest';
import type { K8sObject } from '../api/client.js';
import { settle, type SettleInput } from './settled.js';
import { digestOf, type WatchedKind } from './watched.js';

const o = (kind: string, name: string, rest: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): K8sObject => ({
  apiVersion: 'v1',
  kind,
  metadata: { name, namespace: 'default', resourceVersion: '1', ...meta },
  ...rest,
});
const readyPod = (name: string, ip: string, labels: Record<string, string>) =>
  o('Pod', name, { spec: { nodeName: 'w1' }, status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: 'True' }] } }, { labels });
const slice = (svc: string, ips: string[]) =>
  o(
    'EndpointSlice',
    `${svc}-abc`,
    { addressType: 'IPv4', endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })) },
    { labels: { 'kubernetes.io/service-name': svc } },
  );

function input(objects: Partial<Record<WatchedKind, K8sObject[]>>, extra: Partial<SettleInput> = {}): SettleInput {
  const all: Record<WatchedKind, K8sObject[]> = {
    nodes: [],
    pods: [],
    services: [],
    endpointSlices: [],
    namespaces: [],
    networkPolicies: [],
    configMaps: [],
    ...objects,
  };
  return { objects: all, workloads: [], agents: { w1: { node: 'w1', digest: digestOf(all), syncedAt: '', pods: {} } }, ...extra };
}

describe('settle', () => {
  const svc = o('Service', 'web', { spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } });

  it('settled: every pod ready, the slice lists them, the agent saw everything', () => {
    expect(settle(input({ pods: [readyPod('a', '10.8.0.2', { app: 'web' })], services: [svc], endpointSlices: [slice('web', ['10.8.0.2'])] }))).toEqual({
      moving: [],
      notes: [],
    });
  });

  it('an agent behind the API is still moving, and so is one without a report', () => {
    const i = input({ pods: [readyPod('a', '10.8.0.2', {})] });
    i.agents.w1!.digest = 'old';
    expect(settle(i).moving).toEqual(['node agent w1 is catching up']);
    expect(settle({ ...i, agents: { w1: undefined } }).moving).toEqual(['node agent w1 has not reported yet']);
  });

  it('a slice that lags behind the ready pods is moving', () => {
    const r = settle(
      input({
        pods: [readyPod('a', '10.8.0.2', { app: 'web' }), readyPod('b', '10.8.0.3', { app: 'web' })],
        services: [svc],
        endpointSlices: [slice('web', ['10.8.0.2'])],
      }),
    );
    expect(r.moving).toEqual(['service default/web: endpoints being updated']);
  });

  it('a Deployment short of replicas or not yet observed is moving', () => {
    const d = (status: Record<string, unknown>) => o('Deployment', 'web', { spec: { replicas: 3 }, status }, { generation: 2 });
    expect(settle(input({}, { workloads: [d({ observedGeneration: 1, replicas: 3, updatedReplicas: 3 })] })).moving[0]).toMatch(
      /has not seen the latest change/,
    );
    expect(settle(input({}, { workloads: [d({ observedGeneration: 2, replicas: 2, updatedReplicas: 2 })] })).moving).toEqual([
      'Deployment default/web: 2 of 3 replicas',
    ]);
    expect(settle(input({}, { workloads: [d({ observedGeneration: 2, replicas: 3, updatedReplicas: 3 })] })).moving).toEqual([]);
  });

  it('pods waiting for the scheduler, starting or terminating are moving; an image that cannot run is a note', () => {
    const pending = o('Pod', 'p', { spec: {} });
    const starting = o('Pod', 's', { spec: { nodeName: 'w1' }, status: {} });
    const bye = o('Pod', 't', { spec: { nodeName: 'w1' } }, { deletionTimestamp: 'now' });
    const bad = o('Pod', 'x', {
      spec: { nodeName: 'w1' },
      status: { containerStatuses: [{ state: { waiting: { reason: 'ErrImagePull', message: 'no such image here' } } }] },
    });
    const r = settle(input({ pods: [pending, starting, bye, bad] }));
    expect(r.moving).toEqual(['pod default/p is waiting for the scheduler', 'pod default/s is starting on w1', 'pod default/t is terminating']);
    expect(r.notes).toEqual(['pod default/x on w1: ErrImagePull: no such image here']);
  });

  it("an unschedulable pod has settled, with the scheduler's message as a note", () => {
    const p = o('Pod', 'p', {
      spec: {},
      status: { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/2 nodes are available' }] },
    });
    expect(settle(input({ pods: [p] }))).toEqual({ moving: [], notes: ['pod default/p is Pending: 0/2 nodes are available'] });
  });

  it("an agent's own wait (BGP routes) keeps the lab moving", () => {
    const i = input({});
    i.agents.w1!.error = 'waiting for BGP routes to 10.8.0.64/26 (w2)';
    expect(settle(i).moving).toEqual(['node agent w1: waiting for BGP routes to 10.8.0.64/26 (w2)']);
  });
});
