// MetalLB's controller as the agent on the API server's node runs it (metallb v0.14
// controller/service.go: allocate, then update the Service's status).
import { describe, expect, it } from 'vitest';
import type { K8sObject } from '../api/client.js';
import { loadBalancerChanges, poolsFromApi } from './metallb-controller.js';

const svc = (name: string, spec: Record<string, unknown>, status: Record<string, unknown> = {}, annotations?: Record<string, string>): K8sObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default', ...(annotations ? { annotations } : {}) },
  spec,
  status,
});
const pools = poolsFromApi([
  {
    apiVersion: 'metallb.io/v1beta1',
    kind: 'IPAddressPool',
    metadata: { name: 'lab', namespace: 'metallb-system' },
    spec: { addresses: ['10.10.20.201-10.10.20.203'] },
  },
]);

describe('loadBalancerChanges', () => {
  it('gives each LoadBalancer Service the first free address, in name order, and leaves others alone', () => {
    const r = loadBalancerChanges([svc('b', { type: 'LoadBalancer' }), svc('a', { type: 'LoadBalancer' }), svc('c', { type: 'ClusterIP' })], pools);
    expect(r).toEqual([
      { namespace: 'default', name: 'b', ips: ['10.10.20.202'] },
      { namespace: 'default', name: 'a', ips: ['10.10.20.201'] },
    ]);
  });

  it('keeps an address already in the status, honours spec.loadBalancerIP and the annotation', () => {
    const has = svc('a', { type: 'LoadBalancer' }, { loadBalancer: { ingress: [{ ip: '10.10.20.203' }] } });
    const asks = svc('b', { type: 'LoadBalancer', loadBalancerIP: '10.10.20.202' });
    const annotated = svc('c', { type: 'LoadBalancer' }, {}, { 'metallb.universe.tf/loadBalancerIPs': '10.10.20.201' });
    expect(loadBalancerChanges([has, asks, annotated], pools)).toEqual([
      { namespace: 'default', name: 'b', ips: ['10.10.20.202'] },
      { namespace: 'default', name: 'c', ips: ['10.10.20.201'] },
    ]);
  });

  it('leaves the status <pending> when the pools are exhausted, and writes nothing when nothing changes', () => {
    const full = ['a', 'b', 'c', 'd'].map((n) => svc(n, { type: 'LoadBalancer' }));
    expect(loadBalancerChanges(full, pools).find((c) => c.name === 'd')).toBeUndefined();
    const done = svc('a', { type: 'LoadBalancer' }, { loadBalancer: { ingress: [{ ip: '10.10.20.201' }] } });
    expect(loadBalancerChanges([done], pools)).toEqual([]);
  });
});
