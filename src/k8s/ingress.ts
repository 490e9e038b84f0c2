// Ingress (networking.k8s.io/v1) manifests, checked the way the API server checks them and
// defaulted as it defaults them, and the dispatch of any Ingress or Gateway API (gateway.ts)
// manifest by kind. Zod checks shape and types (unknown fields are refused, as kubectl's default
// strict field validation refuses them); the rules below come from:
// - kubernetes/kubernetes pkg/apis/networking/validation/validation.go: ValidateIngressSpec,
//   validateIngressRules (host a DNS subdomain or wildcard, never an IP), validateHTTPIngressPath
//   ("pathType must be specified", Exact/Prefix "must be an absolute path", invalidPathSequences
//   "//", "/./", "/../", "%2f", "%2F", invalidPathSuffixes "/..", "/."), validateIngressBackend
//   (service name a DNS-1035 label, "cannot set both port name & port number", "port name or
//   number is required"), validateIngressTLS, and ValidateIngressCreate (the
//   kubernetes.io/ingress.class annotation must match ingressClassName).
import { isIP } from 'node:net';
import { z } from 'zod';
import {
  PATH_TYPES,
  type Gateway,
  type GatewayClass,
  type HTTPIngressPath,
  type HTTPRoute,
  type Ingress,
  type IngressBackend,
  type IngressProblem,
  type IngressRule,
  type PathType,
} from './ingress-types.js';
import { GATEWAY_API_VERSION, parseGateway, parseGatewayClass, parseHTTPRoute } from './gateway.js';
import { dns1035Error, dnsSubdomainError, hostError, portNameErrors } from './names.js';
import { checkKind, parseMeta, zodProblems } from './parse-common.js';
import { isObj, type Path } from './walk.js';

export const INGRESS_API_VERSION = 'networking.k8s.io/v1';
export const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

// ---- networking.k8s.io/v1 Ingress --------------------------------------------------------------

const serviceBackendSchema = z.strictObject({
  name: z.string(),
  port: z.strictObject({ number: z.number().int().optional(), name: z.string().optional() }).optional(),
});
const ingressBackendSchema = z.strictObject({
  service: serviceBackendSchema.optional(),
  resource: z.strictObject({ apiGroup: z.string().optional(), kind: z.string(), name: z.string() }).optional(),
});
const ingressPathSchema = z.strictObject({
  path: z.string().optional(),
  pathType: z.string().optional(),
  backend: ingressBackendSchema,
});
const ingressRuleSchema = z.strictObject({
  host: z.string().optional(),
  http: z.strictObject({ paths: z.array(ingressPathSchema).optional() }).optional(),
});
const ingressSpecSchema = z.strictObject({
  ingressClassName: z.string().optional(),
  defaultBackend: ingressBackendSchema.optional(),
  rules: z.array(ingressRuleSchema).optional(),
  tls: z.array(z.strictObject({ hosts: z.array(z.string()).optional(), secretName: z.string().optional() })).optional(),
});

type RawBackend = z.infer<typeof ingressBackendSchema>;

/** validateIngressBackend. */
function ingressBackend(b: RawBackend, path: Path, problems: IngressProblem[]): IngressBackend {
  if (b.service && b.resource) {
    problems.push({ path, message: 'cannot set both resource and service backends', fix: 'keep service (ingress-nginx only routes to Services)' });
    return {};
  }
  if (b.resource) return { resource: b.resource };
  if (!b.service) {
    problems.push({ path, message: 'resource or service backend is required', fix: 'e.g. backend: { service: { name: web, port: { number: 80 } } }' });
    return {};
  }
  const s = b.service;
  if (s.name === '') problems.push({ path: [...path, 'service', 'name'], message: 'Required value' });
  else {
    const e = dns1035Error(s.name);
    if (e) problems.push({ path: [...path, 'service', 'name'], message: e });
  }
  const hasName = !!s.port?.name;
  const hasNumber = s.port?.number !== undefined && s.port.number !== 0;
  if (hasName && hasNumber) {
    problems.push({ path, message: 'cannot set both port name & port number', fix: 'keep one: port.number or port.name' });
    return {};
  }
  if (hasName) {
    for (const e of portNameErrors(s.port!.name!)) problems.push({ path: [...path, 'service', 'port', 'name'], message: e });
    return { service: { name: s.name, port: { name: s.port!.name! } } };
  }
  if (hasNumber) {
    const n = s.port!.number!;
    if (n < 1 || n > 65535) problems.push({ path: [...path, 'service', 'port', 'number'], message: 'must be between 1 and 65535, inclusive' });
    return { service: { name: s.name, port: { number: n } } };
  }
  problems.push({ path, message: 'port name or number is required', fix: 'add service.port.number (the Service port, e.g. 80) or service.port.name' });
  return {};
}

const INVALID_PATH_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const INVALID_PATH_SUFFIXES = ['/..', '/.'];

/** validateHTTPIngressPath. */
function ingressPath(p: z.infer<typeof ingressPathSchema>, path: Path, problems: IngressProblem[]): HTTPIngressPath | undefined {
  const backend = ingressBackend(p.backend, [...path, 'backend'], problems);
  if (p.pathType === undefined) {
    problems.push({
      path: [...path, 'pathType'],
      message: 'pathType must be specified',
      fix: 'add pathType: Prefix (matches the path and everything below it) or Exact',
    });
    return undefined;
  }
  if (!(PATH_TYPES as readonly string[]).includes(p.pathType)) {
    problems.push({ path: [...path, 'pathType'], message: `Unsupported value: "${p.pathType}": supported values: "${PATH_TYPES.join('", "')}"` });
    return undefined;
  }
  const v = p.path ?? '';
  if (p.pathType === 'Exact' || p.pathType === 'Prefix') {
    if (!v.startsWith('/')) problems.push({ path: [...path, 'path'], message: 'must be an absolute path', fix: `start it with "/", e.g. "/${v}"` });
    for (const seq of INVALID_PATH_SEQUENCES) if (v.includes(seq)) problems.push({ path: [...path, 'path'], message: `must not contain '${seq}'` });
    for (const suf of INVALID_PATH_SUFFIXES) if (v.endsWith(suf)) problems.push({ path: [...path, 'path'], message: `cannot end with '${suf}'` });
  } else if (v !== '' && !v.startsWith('/')) {
    problems.push({ path: [...path, 'path'], message: 'must be an absolute path' });
  }
  return { path: v, pathType: p.pathType as PathType, backend };
}

export function parseIngress(m: unknown): { ingress?: Ingress; problems: IngressProblem[] } {
  const problems: IngressProblem[] = [];
  checkKind(m, INGRESS_API_VERSION, 'Ingress', problems);
  const meta = parseMeta(m, problems);
  if (!meta) return { problems };
  const parsed = ingressSpecSchema.safeParse((m as Record<string, unknown>).spec ?? {});
  if (!parsed.success) return { problems: [...problems, ...zodProblems(parsed.error, ['spec'])] };
  const s = parsed.data;
  const rulesIn = s.rules ?? [];
  if (rulesIn.length === 0 && !s.defaultBackend) {
    problems.push({ path: ['spec'], message: 'either `defaultBackend` or `rules` must be specified', fix: 'add rules (host and paths) or a defaultBackend' });
  }
  const defaultBackend = s.defaultBackend ? ingressBackend(s.defaultBackend, ['spec', 'defaultBackend'], problems) : undefined;
  const rules: IngressRule[] = rulesIn.map((r, i) => {
    const host = r.host ?? '';
    if (host !== '') {
      if (isIP(host))
        problems.push({
          path: ['spec', 'rules', i, 'host'],
          message: 'must be a DNS name, not an IP address',
          fix: 'use a name (e.g. app.example.com) and resolve it to the IP, or leave host out to match every host',
        });
      else {
        const e = hostError(host);
        if (e) problems.push({ path: ['spec', 'rules', i, 'host'], message: e });
      }
    }
    if (!r.http) return { host };
    const pathsIn = r.http.paths ?? [];
    if (pathsIn.length === 0)
      problems.push({
        path: ['spec', 'rules', i, 'http', 'paths'],
        message: 'Required value',
        fix: 'add at least one path, e.g. { path: /, pathType: Prefix, backend: ... }',
      });
    const paths = pathsIn.map((p, j) => ingressPath(p, ['spec', 'rules', i, 'http', 'paths', j], problems)).filter((p): p is HTTPIngressPath => !!p);
    return { host, http: { paths } };
  });
  const tls = (s.tls ?? []).map((t, i) => {
    (t.hosts ?? []).forEach((h, j) => {
      const e = hostError(h);
      if (e) problems.push({ path: ['spec', 'tls', i, 'hosts', j], message: e });
    });
    if (t.secretName) {
      const e = dnsSubdomainError(t.secretName);
      if (e) problems.push({ path: ['spec', 'tls', i, 'secretName'], message: e });
    }
    return { hosts: t.hosts ?? [], secretName: t.secretName || undefined };
  });
  if (s.ingressClassName !== undefined) {
    const e = dnsSubdomainError(s.ingressClassName);
    if (e) problems.push({ path: ['spec', 'ingressClassName'], message: e });
  }
  const annotated = meta.annotations[INGRESS_CLASS_ANNOTATION];
  if (annotated !== undefined && s.ingressClassName !== undefined && annotated !== s.ingressClassName) {
    problems.push({
      path: ['metadata', 'annotations', INGRESS_CLASS_ANNOTATION],
      message: 'must match `ingressClassName` when both are specified',
      fix: 'remove the annotation (it is deprecated) and keep spec.ingressClassName',
    });
  }
  if (problems.length > 0) return { problems };
  return {
    problems,
    ingress: { name: meta.name, namespace: meta.namespace, annotations: meta.annotations, ingressClassName: s.ingressClassName, defaultBackend, rules, tls },
  };
}

// ---- dispatch ---------------------------------------------------------------------------------

export type ParsedIngressApiObject =
  | { kind: 'Ingress'; ingress: Ingress }
  | { kind: 'GatewayClass'; gatewayClass: GatewayClass }
  | { kind: 'Gateway'; gateway: Gateway }
  | { kind: 'HTTPRoute'; httpRoute: HTTPRoute };

export const INGRESS_API_KINDS = [
  `${INGRESS_API_VERSION}/Ingress`,
  `${GATEWAY_API_VERSION}/GatewayClass`,
  `${GATEWAY_API_VERSION}/Gateway`,
  `${GATEWAY_API_VERSION}/HTTPRoute`,
] as const;

/** Any of the four kinds, chosen by apiVersion and kind; undefined object when there are problems. */
export function parseIngressApiManifest(m: unknown): { object?: ParsedIngressApiObject; problems: IngressProblem[] } {
  const key = isObj(m) ? `${String(m.apiVersion)}/${String(m.kind)}` : '';
  switch (key) {
    case `${INGRESS_API_VERSION}/Ingress`: {
      const r = parseIngress(m);
      return { problems: r.problems, object: r.ingress && { kind: 'Ingress', ingress: r.ingress } };
    }
    case `${GATEWAY_API_VERSION}/GatewayClass`: {
      const r = parseGatewayClass(m);
      return { problems: r.problems, object: r.gatewayClass && { kind: 'GatewayClass', gatewayClass: r.gatewayClass } };
    }
    case `${GATEWAY_API_VERSION}/Gateway`: {
      const r = parseGateway(m);
      return { problems: r.problems, object: r.gateway && { kind: 'Gateway', gateway: r.gateway } };
    }
    case `${GATEWAY_API_VERSION}/HTTPRoute`: {
      const r = parseHTTPRoute(m);
      return { problems: r.problems, object: r.httpRoute && { kind: 'HTTPRoute', httpRoute: r.httpRoute } };
    }
    default:
      return {
        problems: [
          { path: ['kind'], message: `not an Ingress or Gateway API object: ${key || 'not a mapping'}`, fix: `use one of ${INGRESS_API_KINDS.join(', ')}` },
        ],
      };
  }
}
