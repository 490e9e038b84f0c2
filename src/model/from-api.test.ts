// The model from the API: an object the informer still holds unchanged parses to the same model
// object as last time (kube-proxy's partial syncs compare them by identity first), and a changed
// object to a new one.
import { describe, expect, it } from 'vitest';
import { parseLab } from '../labfile/load.js';
import { resolveModel } from './resolve.js';
import { modelFromApi, type ApiSnapshot } from './from-api.js';
import type { RawManifest } from '../k8s/types.js';

const service = (name: string, clusterIP: string): RawManifest => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { clusterIP, selector: { app: name }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] },
});
const slice = (name: string, ip: string): RawManifest => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: `${name}-abcde`, namespace: 'default', labels: { 'kubernetes.io/service-name': name } },
  addressType: 'IPv4',
  endpoints: [{ addresses: [ip], conditions: { ready: true }, nodeName: 'node01' }],
  ports: [{ name: '', port: 8080, protocol: 'TCP' }],
});
const snapshot = (services: RawManifest[], endpointSlices: RawManifest[]): ApiSnapshot => ({ nodes: [], pods: [], namespaces: [], services, endpointSlices });

describe('modelFromApi', async () => {
  const lab = resolveModel(await parseLab('clusterip'));

  it('gives the same model objects for the API objects it saw before, and new ones for changed objects', () => {
    const web = service('web', '10.96.0.10');
    const webSlice = slice('web', '10.244.1.3');
    const first = modelFromApi(lab, snapshot([web], [webSlice]));
    const again = modelFromApi(lab, snapshot([web, service('db', '10.96.0.11')], [webSlice]));
    expect(again.services.find((s) => s.name === 'web')).toBe(first.services[0]);
    expect(again.endpointSlices[0]).toBe(first.endpointSlices[0]);
    // The informer holds a new object once the API changed it: parsed anew, with its new fields.
    const moved = modelFromApi(lab, snapshot([web], [slice('web', '10.244.1.4')]));
    expect(moved.endpointSlices[0]).not.toBe(first.endpointSlices[0]);
    expect(moved.endpointSlices[0].endpoints.map((e) => e.ip)).toEqual(['10.244.1.4']);
  });
});
