// Fixtures for the nginx.conf tests: Services and EndpointSlices, Ingress / Gateway / HTTPRoute
// objects parsed as the API server would accept them, the lab seeds 001 and 004, and a Gateway.
import type { EndpointSlice, Service, ServicePort } from '../../../model/types.js';
import { parseGateway, parseHTTPRoute } from '../../../k8s/gateway.js';
import { parseIngress } from '../../../k8s/ingress.js';
import { makeService } from '../../../model/testing/services.js';
import type { Gateway, HTTPRoute, Ingress } from '../../../k8s/ingress-types.js';
import type { NginxConfInput } from '../types.js';

export function service(name: string, ports: Partial<ServicePort>[] = [{ port: 80 }], namespace = 'default', clusterIP = '10.96.0.50'): Service {
  return makeService(namespace, name, (s) => {
    s.clusterIP = clusterIP;
    s.selector = { app: name };
    s.ports = ports.map((p) => ({ name: p.name ?? '', protocol: p.protocol ?? 'TCP', port: p.port ?? 80, targetPort: p.targetPort ?? p.port ?? 80 }));
  });
}

export function slice(
  serviceName: string,
  ips: string[],
  ports: { name?: string; port: number }[] = [{ port: 80 }],
  namespace = 'default',
  notReady: string[] = [],
): EndpointSlice {
  return {
    name: `${serviceName}-abcde`,
    namespace,
    serviceName,
    ports: ports.map((p) => ({ name: p.name ?? '', protocol: 'TCP', port: p.port })),
    endpoints: [...ips, ...notReady].map((ip, i) => ({
      ip,
      podName: `${serviceName}-${i}`,
      nodeName: 'worker',
      ready: !notReady.includes(ip),
      serving: true,
      terminating: false,
    })),
  };
}

export function ingress(m: unknown): Ingress {
  const r = parseIngress(m);
  if (!r.ingress) throw new Error(JSON.stringify(r.problems));
  return r.ingress;
}

export function gateway(m: unknown): Gateway {
  const r = parseGateway(m);
  if (!r.gateway) throw new Error(JSON.stringify(r.problems));
  return r.gateway;
}

export function httpRoute(m: unknown): HTTPRoute {
  const r = parseHTTPRoute(m);
  if (!r.httpRoute) throw new Error(JSON.stringify(r.problems));
  return r.httpRoute;
}

export const emptyInput = (over: Partial<NginxConfInput> = {}): NginxConfInput => ({
  stateDir: '/run/wirelab/ingress',
  ingresses: [],
  gateways: [],
  httpRoutes: [],
  services: [],
  endpointSlices: [],
  certs: {},
  ingressClass: 'nginx',
  ...over,
});

const prefix = (path: string, svc: string, port = 80) => ({ path, pathType: 'Prefix', backend: { service: { name: svc, port: { number: port } } } });

/** Seed 001: host nginx.local -> nginx-service:80 -> 10.244.1.6:80, 10.244.1.7:80. */
export const seed001 = (): NginxConfInput =>
  emptyInput({
    ingresses: [
      ingress({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'nginx-ingress' },
        spec: { ingressClassName: 'nginx', rules: [{ host: 'nginx.local', http: { paths: [prefix('/', 'nginx-service')] } }] },
      }),
    ],
    services: [service('nginx-service', [{ port: 80, targetPort: 80 }], 'default', '10.96.0.100')],
    endpointSlices: [slice('nginx-service', ['10.244.1.6', '10.244.1.7'])],
  });

const SEED004_MANIFEST = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'app-ingress', namespace: 'default' },
  spec: {
    ingressClassName: 'nginx',
    tls: [{ hosts: ['app.example.com', 'admin.example.com'], secretName: 'tls-secret' }],
    rules: [
      { host: 'app.example.com', http: { paths: [prefix('/', 'web-service'), prefix('/api', 'api-service', 8080)] } },
      { host: 'admin.example.com', http: { paths: [prefix('/', 'admin-service')] } },
    ],
  },
};

/** Seed 004: app.example.com "/" -> web, "/api" -> api, admin.example.com "/" -> admin; TLS. */
export const seed004 = (certs: { cert: string; key: string } = { cert: '/certs/tls.crt', key: '/certs/tls.key' }): NginxConfInput =>
  emptyInput({
    ingresses: [ingress(SEED004_MANIFEST)],
    services: [
      service('web-service', [{ port: 80, targetPort: 8080 }]),
      service('api-service', [{ port: 8080, targetPort: 3000 }]),
      service('admin-service', [{ port: 80, targetPort: 80 }]),
    ],
    endpointSlices: [
      slice('web-service', ['10.244.1.10', '10.244.2.10'], [{ port: 8080 }]),
      slice('api-service', ['10.244.1.11'], [{ port: 3000 }]),
      slice('admin-service', ['10.244.2.12'], [{ port: 80 }]),
    ],
    certs: { 'default/tls-secret': certs },
  });

export const GW = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name: 'gw' },
  spec: { gatewayClassName: 'nginx', listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }] },
};
export const route = (spec: Record<string, unknown>, name = 'r') =>
  httpRoute({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name }, spec: { parentRefs: [{ name: 'gw' }], ...spec } });
export const gwServices = [service('v1'), service('v2'), service('canary')];
export const gwSlices = [slice('v1', ['10.244.1.50']), slice('v2', ['10.244.2.50']), slice('canary', ['10.244.2.60'])];
