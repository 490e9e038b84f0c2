// v1 Service manifests: the fields kube-proxy, CoreDNS and MetalLB act on, checked the way the
// API server's validation would (pkg/apis/core/validation ValidateService): port ranges,
// duplicate ports, NodePort in the node-port range, headless and ExternalName rules.
import { z } from 'zod';
import type { Protocol, ServiceManifest } from './types.js';

export type { ServiceManifest };

export const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;

const protocol = z.enum(['TCP', 'UDP', 'SCTP']).default('TCP');
const port = z.number().int().min(1).max(65535);
const ipv4 = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, 'must be an IPv4 address');

const servicePortSchema = z.looseObject({
  name: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS label (lowercase letters, digits, "-")')
    .max(15)
    .optional(),
  protocol,
  port,
  targetPort: z.union([port, z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a named targetPort must be a container port name')]).optional(),
  nodePort: z
    .number()
    .int()
    .min(NODE_PORT_RANGE.min, `must be within the node port range ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}`)
    .max(NODE_PORT_RANGE.max, `must be within the node port range ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}`)
    .optional(),
});

export const serviceSpecSchema = z.looseObject({
  type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']).default('ClusterIP'),
  clusterIP: z.union([z.literal('None'), ipv4, z.literal('')]).optional(),
  selector: z.record(z.string(), z.string()).optional(),
  ports: z.array(servicePortSchema).default([]),
  sessionAffinity: z.enum(['None', 'ClientIP']).default('None'),
  sessionAffinityConfig: z.looseObject({ clientIP: z.looseObject({ timeoutSeconds: z.number().int().min(1).max(86400).optional() }).optional() }).optional(),
  externalTrafficPolicy: z.enum(['Cluster', 'Local']).optional(),
  internalTrafficPolicy: z.enum(['Cluster', 'Local']).default('Cluster'),
  loadBalancerIP: ipv4.optional(),
  externalIPs: z.array(ipv4).default([]),
  /** CIDRs, kept as written (kube-proxy trims the whitespace the API server lets through). */
  loadBalancerSourceRanges: z.array(z.string()).default([]),
  externalName: z.string().optional(),
});

const statusSchema = z
  .looseObject({
    loadBalancer: z.looseObject({ ingress: z.array(z.looseObject({ ip: ipv4.optional() })).optional() }).optional(),
  })
  .optional();

interface RelProblem {
  path: (string | number)[];
  message: string;
  fix?: string;
}

/** kube-apiserver's default for sessionAffinityConfig.clientIP.timeoutSeconds (3 hours). */
export const DEFAULT_AFFINITY_TIMEOUT = 10800;

export function parseServiceManifest(m: {
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec?: unknown;
  status?: unknown;
}): { service?: ServiceManifest; problems: RelProblem[] } {
  const problems: RelProblem[] = [];
  const parsed = serviceSpecSchema.safeParse(m.spec ?? {});
  if (!parsed.success) {
    for (const i of parsed.error.issues)
      problems.push({
        path: ['spec', ...(i.path as (string | number)[])],
        message: i.message,
        fix: i.path.includes('nodePort')
          ? `pick a port from ${NODE_PORT_RANGE.min} to ${NODE_PORT_RANGE.max}, or leave nodePort out to have one allocated`
          : undefined,
      });
    return { problems };
  }
  const status = statusSchema.safeParse(m.status);
  const s = parsed.data;
  const headless = s.clusterIP === 'None';
  if (s.type === 'ExternalName') {
    if (!s.externalName)
      problems.push({
        path: ['spec', 'externalName'],
        message: 'an ExternalName service needs spec.externalName',
        fix: 'set spec.externalName, e.g. my.database.example.com',
      });
  } else if (s.ports.length === 0 && !headless) {
    problems.push({ path: ['spec', 'ports'], message: 'a service needs at least one port', fix: 'add a port, e.g. { port: 80, targetPort: 8080 }' });
  }
  if (headless && s.type !== 'ClusterIP')
    problems.push({
      path: ['spec', 'clusterIP'],
      message: `a ${s.type} service cannot be headless (clusterIP: None)`,
      fix: 'use type ClusterIP for a headless service',
    });
  // ValidateService: only for externally accessible services (NodePort, LoadBalancer, or
  // external IPs); the API server itself defaults it to Cluster on a ClusterIP service with
  // external IPs, so such a service read back from the API has it.
  if (s.externalTrafficPolicy && s.type !== 'NodePort' && s.type !== 'LoadBalancer' && s.externalIPs.length === 0) {
    problems.push({
      path: ['spec', 'externalTrafficPolicy'],
      message: `externalTrafficPolicy only applies to NodePort and LoadBalancer services and services with externalIPs, not ${s.type}`,
      fix: 'remove it or change the type',
    });
  }
  // Duplicate ports (ValidateService: "spec.ports[i].name: Duplicate value", same port+protocol).
  const names = new Map<string, number>();
  const numbers = new Map<string, number>();
  s.ports.forEach((p, i) => {
    if (s.ports.length > 1 && !p.name)
      problems.push({
        path: ['spec', 'ports', i, 'name'],
        message: 'every port of a multi-port service needs a name',
        fix: 'name the ports, e.g. http and https',
      });
    if (p.name) {
      if (names.has(p.name))
        problems.push({
          path: ['spec', 'ports', i, 'name'],
          message: `duplicate port name "${p.name}" (also ports[${names.get(p.name)}])`,
          fix: 'give every port its own name',
        });
      else names.set(p.name, i);
    }
    const key = `${p.port}/${p.protocol}`;
    if (numbers.has(key))
      problems.push({
        path: ['spec', 'ports', i, 'port'],
        message: `duplicate port ${key} (also ports[${numbers.get(key)}])`,
        fix: 'each port and protocol may appear once',
      });
    else numbers.set(key, i);
    if (p.nodePort !== undefined && s.type !== 'NodePort' && s.type !== 'LoadBalancer')
      problems.push({ path: ['spec', 'ports', i, 'nodePort'], message: `a ${s.type} service has no node ports`, fix: 'remove nodePort or use type NodePort' });
  });
  const lbIPs = [
    ...(status.success ? (status.data?.loadBalancer?.ingress ?? []).map((x) => x.ip).filter((x): x is string => !!x) : []),
    ...(s.loadBalancerIP ? [s.loadBalancerIP] : []),
    ...(m.metadata.annotations?.['metallb.universe.tf/loadBalancerIPs']?.split(',').map((x) => x.trim()) ?? []),
  ];
  if (problems.length > 0) return { problems };
  return {
    problems,
    service: {
      name: m.metadata.name,
      namespace: m.metadata.namespace ?? 'default',
      type: s.type,
      clusterIP: s.type === 'ExternalName' ? undefined : s.clusterIP || undefined,
      selector: s.selector,
      ports: s.ports.map((p) => ({
        name: p.name ?? '',
        protocol: p.protocol as Protocol,
        port: p.port,
        targetPort: p.targetPort ?? p.port,
        nodePort: p.nodePort,
      })),
      sessionAffinity: s.sessionAffinity,
      affinityTimeoutSeconds: s.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_TIMEOUT,
      externalTrafficPolicy: s.externalTrafficPolicy ?? 'Cluster',
      internalTrafficPolicy: s.internalTrafficPolicy,
      loadBalancerIPs: [...new Set(lbIPs)],
      externalIPs: s.externalIPs,
      ...(s.loadBalancerSourceRanges.length > 0 ? { loadBalancerSourceRanges: s.loadBalancerSourceRanges } : {}),
      externalName: s.externalName,
    },
  };
}
