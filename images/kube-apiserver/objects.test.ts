import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LABS_DIR, parseLabSource } from '../../src/labfile/load.js';
import { resolveModel } from '../../src/model/resolve.js';
import type { ClusterModel, Service } from '../../src/model/types.js';
import { makeService } from '../../src/model/testing/services.js';
import { CREATION_TIMESTAMP, deterministicUid, serviceObject, toK8sObjects } from './objects.js';

function labModel(name: string): ClusterModel {
  const file = join(LABS_DIR, `${name}.yaml`);
  return resolveModel(parseLabSource(readFileSync(file, 'utf8'), file));
}

const baseService: Service = makeService('apps', 'svc', (s) => {
  s.clusterIP = '10.96.0.10';
  s.ports = [{ name: '', protocol: 'TCP', port: 80, targetPort: 8080 }];
});

describe('toK8sObjects', () => {
  const model = labModel('clusterip');
  const objs = toK8sObjects(model);

  it('is deterministic', () => {
    expect(toK8sObjects(model)).toEqual(objs);
    expect(JSON.stringify(toK8sObjects(labModel('clusterip')))).toBe(JSON.stringify(objs));
  });

  it('has the system namespaces and every namespace used, labelled with their name', () => {
    expect(objs.namespaces.map((n) => n.metadata.name)).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    for (const ns of objs.namespaces) {
      expect(ns).toMatchObject({ apiVersion: 'v1', kind: 'Namespace', status: { phase: 'Active' } });
      expect(ns.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': ns.metadata.name });
      expect(ns.metadata.namespace).toBeUndefined();
    }
    const other = toK8sObjects({ ...model, services: [{ ...baseService, namespace: 'zeta' }], endpointSlices: [] });
    expect(other.namespaces.map((n) => n.metadata.name)).toContain('zeta');
  });

  it('renders web-service as a ClusterIP Service', () => {
    const web = objs.services.find((s) => s.metadata.name === 'web-service')!;
    expect(web).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'web-service',
        namespace: 'default',
        uid: deterministicUid('Service', 'default', 'web-service'),
        resourceVersion: '1',
        creationTimestamp: CREATION_TIMESTAMP,
      },
      spec: {
        clusterIP: '10.97.253.216',
        clusterIPs: ['10.97.253.216'],
        type: 'ClusterIP',
        ports: [{ protocol: 'TCP', port: 80, targetPort: 80 }],
        selector: { app: 'web' },
        sessionAffinity: 'None',
        ipFamilies: ['IPv4'],
        ipFamilyPolicy: 'SingleStack',
        internalTrafficPolicy: 'Cluster',
      },
      status: { loadBalancer: {} },
    });
    const sticky = objs.services.find((s) => s.metadata.name === 'web-sticky')!;
    expect(sticky.spec).toMatchObject({ sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } } });
  });

  it('renders the EndpointSlice with conditions, node, targetRef and the service-name label', () => {
    const slice = objs.endpointSlices.find((s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'web-service')!;
    expect(slice.apiVersion).toBe('discovery.k8s.io/v1');
    expect(slice.kind).toBe('EndpointSlice');
    expect(slice.addressType).toBe('IPv4');
    expect(slice.metadata.labels).toEqual({
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
      'kubernetes.io/service-name': 'web-service',
    });
    expect(slice.ports).toEqual([{ name: '', protocol: 'TCP', port: 80 }]);
    expect(slice.endpoints).toContainEqual({
      addresses: ['10.244.1.3'],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: 'node01',
      targetRef: { kind: 'Pod', name: 'web-64c966cf88-n66tm', namespace: 'default', uid: deterministicUid('Pod', 'default', 'web-64c966cf88-n66tm') },
    });
    const eps = objs.endpoints.find((e) => e.metadata.name === 'web-service')!;
    expect(eps.subsets).toEqual([
      expect.objectContaining({ ports: [{ port: 80, protocol: 'TCP' }], addresses: expect.arrayContaining([expect.objectContaining({ ip: '10.244.1.4' })]) }),
    ]);
  });

  it('renders pods Running with podIP and Ready per pod.ready', () => {
    const pod = objs.pods.find((p) => p.metadata.name === 'test-dns')!;
    expect(pod.metadata).toMatchObject({ namespace: 'default', labels: { run: 'test-dns' } });
    expect(pod.spec).toMatchObject({ nodeName: 'controlplane' });
    const status = pod.status as { phase: string; podIP: string; podIPs: { ip: string }[]; hostIP: string; conditions: { type: string; status: string }[] };
    expect(status.phase).toBe('Running');
    expect(status.podIPs).toEqual([{ ip: status.podIP }]);
    expect(status.hostIP).toBe('172.16.20.5');
    expect(status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    const notReady = toK8sObjects({ ...model, pods: model.pods.map((p) => ({ ...p, ready: false })) }).pods[0];
    expect((notReady.status as typeof status).conditions.find((c) => c.type === 'Ready')?.status).toBe('False');
  });

  it('renders nodes with podCIDR and InternalIP', () => {
    expect(objs.nodes.map((n) => n.metadata.name)).toEqual(['controlplane', 'node01']);
    expect(objs.nodes[1]).toMatchObject({
      spec: { podCIDR: '10.244.1.0/24' },
      status: {
        addresses: [
          { type: 'InternalIP', address: '172.16.20.6' },
          { type: 'Hostname', address: 'node01' },
        ],
      },
    });
    expect(objs.nodes[0].metadata.labels).toHaveProperty('node-role.kubernetes.io/control-plane', '');
  });
});

describe('serviceObject', () => {
  it('headless: clusterIP None', () => {
    expect(serviceObject({ ...baseService, clusterIP: 'None' }).spec).toMatchObject({ clusterIP: 'None', clusterIPs: ['None'] });
  });

  it('ExternalName: no clusterIP, no ipFamilies', () => {
    const o = serviceObject({ ...baseService, type: 'ExternalName', clusterIP: undefined, externalName: 'example.com', ports: [] });
    expect(o.spec).toEqual({ type: 'ExternalName', externalName: 'example.com', ports: [], sessionAffinity: 'None' });
  });

  it('LoadBalancer: nodePorts, traffic policy, ingress', () => {
    const o = serviceObject({
      ...baseService,
      type: 'LoadBalancer',
      ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'web', nodePort: 30080 }],
      externalTrafficPolicy: 'Local',
      healthCheckNodePort: 32000,
      loadBalancerIPs: ['172.16.20.240'],
    });
    expect(o.spec).toMatchObject({
      type: 'LoadBalancer',
      ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'web', nodePort: 30080 }],
      externalTrafficPolicy: 'Local',
      healthCheckNodePort: 32000,
    });
    expect(o.status).toEqual({ loadBalancer: { ingress: [{ ip: '172.16.20.240', ipMode: 'VIP' }] } });
  });
});
