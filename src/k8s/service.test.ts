// Service manifests are checked as the API server's ValidateService would
// (kubernetes/kubernetes pkg/apis/core/validation/validation.go): node ports inside
// --service-node-port-range 30000-32767, unique port names and port/protocol pairs, names on
// every port of a multi-port service, headless only for ClusterIP, externalName required.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseLabSource } from '../labfile/load.js';
import { SpecError } from '../labfile/errors.js';
import { parseServiceManifest } from './service.js';
import { resolveModel } from '../model/resolve.js';

const svc = (spec: unknown, extra: Record<string, unknown> = {}) => parseServiceManifest({ metadata: { name: 's' }, spec, ...extra });

describe('parseServiceManifest', () => {
  it('rejects a nodePort outside 30000-32767 and says how to fix it', () => {
    const r = svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 8080 }] });
    expect(r.service).toBeUndefined();
    expect(r.problems[0].path).toEqual(['spec', 'ports', 0, 'nodePort']);
    expect(r.problems[0].message).toBe('must be within the node port range 30000-32767');
    expect(r.problems[0].fix).toContain('30000 to 32767');
    expect(svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 32768 }] }).problems[0].message).toContain('30000-32767');
    expect(svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 32767 }] }).problems).toEqual([]);
  });

  it('rejects duplicate ports and duplicate port names', () => {
    const r = svc({ ports: [{ name: 'http', port: 80 }, { name: 'http', port: 81 }, { name: 'x', port: 80 }] });
    expect(r.problems.map((p) => [p.path.join('.'), p.message])).toEqual([
      ['spec.ports.1.name', 'duplicate port name "http" (also ports[0])'],
      ['spec.ports.2.port', 'duplicate port 80/TCP (also ports[0])'],
    ]);
    // The same number with another protocol is a different port (DNS: 53/UDP and 53/TCP).
    expect(svc({ ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }] }).problems).toEqual([]);
  });

  it('needs a name on every port of a multi-port service', () => {
    expect(svc({ ports: [{ port: 80 }, { name: 'b', port: 443 }] }).problems[0]).toMatchObject({ path: ['spec', 'ports', 0, 'name'] });
  });

  it('allows headless only for ClusterIP, and needs externalName for ExternalName', () => {
    expect(svc({ type: 'NodePort', clusterIP: 'None', ports: [{ port: 80 }] }).problems[0].message).toBe('a NodePort service cannot be headless (clusterIP: None)');
    expect(svc({ type: 'ExternalName' }).problems[0].path).toEqual(['spec', 'externalName']);
    expect(svc({ type: 'ExternalName', externalName: 'db.example.com' }).service).toMatchObject({ type: 'ExternalName', externalName: 'db.example.com', clusterIP: undefined });
  });

  it('fills the defaults the API server fills', () => {
    expect(svc({ selector: { app: 'web' }, ports: [{ port: 80 }] }).service).toMatchObject({
      type: 'ClusterIP',
      sessionAffinity: 'None',
      affinityTimeoutSeconds: 10800,
      externalTrafficPolicy: 'Cluster',
      internalTrafficPolicy: 'Cluster',
      ports: [{ name: '', protocol: 'TCP', port: 80, targetPort: 80 }],
    });
  });

  it('takes the load-balancer IP from status, spec.loadBalancerIP or MetalLB\'s annotation', () => {
    expect(svc({ type: 'LoadBalancer', ports: [{ port: 80 }] }, { status: { loadBalancer: { ingress: [{ ip: '10.10.20.201' }] } } }).service?.loadBalancerIPs).toEqual(['10.10.20.201']);
    expect(svc({ type: 'LoadBalancer', loadBalancerIP: '10.10.20.202', ports: [{ port: 80 }] }).service?.loadBalancerIPs).toEqual(['10.10.20.202']);
  });
});

const ROOT = join(import.meta.dirname, '../..');
const NODEPORT = readFileSync(join(ROOT, 'labs/nodeport.yaml'), 'utf8');

function problems(source: string) {
  try {
    parseLabSource(source, 'np.yaml');
  } catch (e) {
    if (e instanceof SpecError) return e.problems;
    throw e;
  }
  return [];
}

describe('Services in a lab file', () => {
  it('names the file, line and field of a NodePort out of range', () => {
    const source = NODEPORT.replace('nodePort: 30080', 'nodePort: 80');
    const [p] = problems(source);
    expect(p).toMatchObject({ file: 'np.yaml', field: 'manifests[2].spec.ports[0].nodePort', message: 'must be within the node port range 30000-32767' });
    expect(p.line).toBe(source.split('\n').findIndex((l) => l.includes('nodePort: 80')) + 1);
  });

  it('rejects a node port used by two services', () => {
    const [p] = problems(NODEPORT.replace('nodePort: 30081', 'nodePort: 30080'));
    expect(p).toMatchObject({ field: 'manifests[3].spec.ports[0].nodePort', message: 'node port 30080 is already used by service web-nodeport' });
  });

  it('rejects a ClusterIP outside the service network', () => {
    const [p] = problems(NODEPORT.replace('clusterIP: 10.96.10.50', 'clusterIP: 10.8.10.50'));
    expect(p).toMatchObject({ field: 'manifests[2].spec.clusterIP', message: '10.8.10.50 is outside the service network 10.96.0.0/12' });
  });

  it('warns (without failing) about a selector that matches no pod', () => {
    const lab = parseLabSource(NODEPORT.replace('selector: { app: web }\n      ports: [{ port: 80, targetPort: http, nodePort: 30081 }]', 'selector: { app: wbe }\n      ports: [{ port: 80, targetPort: http, nodePort: 30081 }]'), 'np.yaml');
    const model = resolveModel(lab);
    expect(model.warnings).toEqual([
      expect.objectContaining({ path: ['manifests', 3, 'spec', 'selector'], message: expect.stringContaining('the selector of service "default/web-local" matches no pod') }),
    ]);
    expect(model.endpointSlices.find((s) => s.serviceName === 'web-local')?.endpoints).toEqual([]);
  });

  it('resolves a named targetPort to the pods\' container port', () => {
    const model = resolveModel(parseLabSource(NODEPORT, 'np.yaml'));
    const slice = model.endpointSlices.find((s) => s.serviceName === 'web-nodeport')!;
    expect(slice.ports).toEqual([{ name: '', protocol: 'TCP', port: 80 }]);
    expect(slice.endpoints.map((e) => [e.ip, e.nodeName, e.ready])).toEqual([
      ['10.8.0.5', 'w1', true],
      ['10.8.1.10', 'w2', true],
    ]);
  });
});
