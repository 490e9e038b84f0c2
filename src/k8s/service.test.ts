// Service manifests are checked as the API server's ValidateService would
// (kubernetes/kubernetes pkg/apis/core/validation/validation.go): node ports inside
// --service-node-port-range 30000-32767, unique port names and port/protocol pairs, names on
// every port of a multi-port service, headless only for ClusterIP, externalName required.
import { describe, expect, it } from 'vitest';
import { parseServiceManifest } from './service.js';

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
    const r = svc({
      ports: [
        { name: 'http', port: 80 },
        { name: 'http', port: 81 },
        { name: 'x', port: 80 },
      ],
    });
    expect(r.problems.map((p) => [p.path.join('.'), p.message])).toEqual([
      ['spec.ports.1.name', 'duplicate port name "http" (also ports[0])'],
      ['spec.ports.2.port', 'duplicate port 80/TCP (also ports[0])'],
    ]);
    // The same number with another protocol is a different port (DNS: 53/UDP and 53/TCP).
    expect(
      svc({
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        ],
      }).problems,
    ).toEqual([]);
  });

  it('needs a name on every port of a multi-port service', () => {
    expect(svc({ ports: [{ port: 80 }, { name: 'b', port: 443 }] }).problems[0]).toMatchObject({ path: ['spec', 'ports', 0, 'name'] });
  });

  it('allows headless only for ClusterIP, and needs externalName for ExternalName', () => {
    expect(svc({ type: 'NodePort', clusterIP: 'None', ports: [{ port: 80 }] }).problems[0].message).toBe(
      'a NodePort service cannot be headless (clusterIP: None)',
    );
    expect(svc({ type: 'ExternalName' }).problems[0].path).toEqual(['spec', 'externalName']);
    expect(svc({ type: 'ExternalName', externalName: 'db.example.com' }).service).toMatchObject({
      type: 'ExternalName',
      externalName: 'db.example.com',
      clusterIP: undefined,
    });
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

  it("takes the load-balancer IP from status, spec.loadBalancerIP or MetalLB's annotation", () => {
    expect(
      svc({ type: 'LoadBalancer', ports: [{ port: 80 }] }, { status: { loadBalancer: { ingress: [{ ip: '10.10.20.201' }] } } }).service?.loadBalancerIPs,
    ).toEqual(['10.10.20.201']);
    expect(svc({ type: 'LoadBalancer', loadBalancerIP: '10.10.20.202', ports: [{ port: 80 }] }).service?.loadBalancerIPs).toEqual(['10.10.20.202']);
  });

  it('reads a ClusterIP service with external IPs as the API server returns it (externalTrafficPolicy: Cluster) and keeps its source ranges', () => {
    const r = svc({ externalIPs: ['172.16.20.50'], externalTrafficPolicy: 'Cluster', ports: [{ port: 80 }] });
    expect(r.problems).toEqual([]);
    expect(r.service?.externalIPs).toEqual(['172.16.20.50']);
    expect(svc({ externalTrafficPolicy: 'Local', ports: [{ port: 80 }] }).problems[0]?.message).toMatch(/externalTrafficPolicy only applies/);
    expect(svc({ type: 'LoadBalancer', loadBalancerSourceRanges: ['10.0.0.0/8'], ports: [{ port: 80 }] }).service?.loadBalancerSourceRanges).toEqual([
      '10.0.0.0/8',
    ]);
  });
});
