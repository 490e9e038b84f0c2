// Ingress (networking.k8s.io/v1) and Gateway API (gateway.networking.k8s.io/v1 GatewayClass,
// Gateway, HTTPRoute) manifests, checked the way the API server checks them and defaulted as it
// defaults them. Zod checks shape and types (unknown fields are refused, as kubectl's default
// strict field validation refuses them); the rules below come from:
// - kubernetes/kubernetes pkg/apis/networking/validation/validation.go: ValidateIngressSpec,
//   validateIngressRules (host a DNS subdomain or wildcard, never an IP), validateHTTPIngressPath
//   ("pathType must be specified", Exact/Prefix "must be an absolute path", invalidPathSequences
//   "//", "/./", "/../", "%2f", "%2F", invalidPathSuffixes "/..", "/."), validateIngressBackend
//   (service name a DNS-1035 label, "cannot set both port name & port number", "port name or
//   number is required"), validateIngressTLS, and ValidateIngressCreate (the
//   kubernetes.io/ingress.class annotation must match ingressClassName).
// - kubernetes-sigs/gateway-api apis/v1 (CRD OpenAPI and CEL rules): Hostname, SectionName,
//   GatewayController patterns; listeners 1..64 with unique names and unique port/protocol/
//   hostname; "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']"; HTTPPathMatch
//   rules ("value must be an absolute path and start with '/'", no "//", "#", ...); HeaderName
//   pattern; BackendRef weight 0..1000000 default 1 and "Must have port for Service reference";
//   defaults (rules -> one PathPrefix "/" match; ParentReference group/kind Gateway).
// Features the API accepts but wirelab does not render (HTTPRoute filters, method and query
// parameter matches, RegularExpression matches) are reported as problems so that nothing is
// silently ignored.
import { isIP } from 'node:net';
import { z } from 'zod';
import {
  LISTENER_PROTOCOLS,
  PATH_TYPES,
  type Gateway,
  type GatewayClass,
  type HTTPBackendRef,
  type HTTPIngressPath,
  type HTTPRoute,
  type HTTPRouteMatch,
  type HTTPRouteRule,
  type Ingress,
  type IngressBackend,
  type IngressProblem,
  type IngressRule,
  type Listener,
  type ListenerProtocol,
  type ParentRef,
  type PathType,
} from './ingress-types.js';

type Path = (string | number)[];

export const INGRESS_API_VERSION = 'networking.k8s.io/v1';
export const GATEWAY_API_VERSION = 'gateway.networking.k8s.io/v1';
export const GATEWAY_GROUP = 'gateway.networking.k8s.io';
export const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
export const MAX_BACKEND_WEIGHT = 1_000_000;

// ---- name syntax (k8s.io/apimachinery/pkg/util/validation) -------------------------------------

const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_RE = new RegExp(`^${DNS1123_LABEL}(\\.${DNS1123_LABEL})*$`);
const WILDCARD_SUBDOMAIN_RE = new RegExp(`^\\*\\.${DNS1123_LABEL}(\\.${DNS1123_LABEL})*$`);
const DNS1035_LABEL_RE = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** gateway-api Hostname: an optional leading "*." then a DNS subdomain. */
const GATEWAY_HOSTNAME_RE = new RegExp(`^(\\*\\.)?${DNS1123_LABEL}(\\.${DNS1123_LABEL})*$`);
const GATEWAY_CONTROLLER_RE = new RegExp(`^${DNS1123_LABEL}(\\.${DNS1123_LABEL})*\\/[A-Za-z0-9\\/\\-._~%!$&'()*+,;=:]+$`);
const HEADER_NAME_RE = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
const GATEWAY_PATH_CHARS_RE = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$/;

export function dnsSubdomainError(v: string): string | undefined {
  if (v.length > 253) return 'must be no more than 253 characters';
  if (!DNS1123_SUBDOMAIN_RE.test(v)) return 'a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "-" or ".", and must start and end with an alphanumeric character (e.g. "example.com")';
  return undefined;
}

function wildcardSubdomainError(v: string): string | undefined {
  if (v.length > 253) return 'must be no more than 253 characters';
  if (!WILDCARD_SUBDOMAIN_RE.test(v)) return 'a wildcard DNS-1123 subdomain must start with "*.", followed by a valid DNS subdomain (e.g. "*.example.com")';
  return undefined;
}

/** A host in an Ingress rule or TLS entry: a DNS subdomain, or "*." and one. */
function hostError(v: string): string | undefined {
  return v.includes('*') ? wildcardSubdomainError(v) : dnsSubdomainError(v);
}

function dns1035Error(v: string): string | undefined {
  if (v.length > 63) return 'must be no more than 63 characters';
  if (!DNS1035_LABEL_RE.test(v)) return 'a DNS-1035 label must consist of lower case alphanumeric characters or "-", start with an alphabetic character, and end with an alphanumeric character (e.g. "my-name")';
  return undefined;
}

/** IsValidPortName (an IANA_SVC_NAME). */
export function portNameErrors(v: string): string[] {
  const errs: string[] = [];
  if (v.length < 1 || v.length > 15) errs.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(v)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(v)) errs.push('must contain at least one letter (a-z)');
  if (v.includes('--')) errs.push('must not contain consecutive hyphens');
  if (v.startsWith('-') || v.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

// ---- shared plumbing ---------------------------------------------------------------------------

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Zod issues as problems: "Required value" for a missing field, the unknown key in the path. */
function zodProblems(err: z.ZodError, base: Path): IngressProblem[] {
  return err.issues.map((i) => {
    const path = [...base, ...(i.path as Path)];
    if (i.code === 'unrecognized_keys') {
      return { path: [...path, i.keys[0]], message: `unknown field "${i.keys.join('", "')}"`, fix: 'remove it or check its spelling and indentation' };
    }
    if (i.code === 'invalid_type' && i.message.endsWith('received undefined')) return { path, message: 'Required value' };
    return { path, message: i.message };
  });
}

interface Meta {
  name: string;
  namespace: string;
  annotations: Record<string, string>;
}

const metadataSchema = z.looseObject({
  name: z.string(),
  namespace: z.string().optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

function parseMeta(m: unknown, problems: IngressProblem[], namespaced = true): Meta | undefined {
  if (!isObj(m)) {
    problems.push({ path: [], message: 'a manifest must be a mapping' });
    return undefined;
  }
  const parsed = metadataSchema.safeParse(m.metadata);
  if (!parsed.success) {
    problems.push(...zodProblems(parsed.error, ['metadata']));
    return undefined;
  }
  const md = parsed.data;
  const nameErr = dnsSubdomainError(md.name);
  if (nameErr) problems.push({ path: ['metadata', 'name'], message: nameErr });
  const namespace = md.namespace ?? 'default';
  if (namespaced && (namespace.length > 63 || !new RegExp(`^${DNS1123_LABEL}$`).test(namespace))) problems.push({ path: ['metadata', 'namespace'], message: 'a namespace must be a DNS-1123 label' });
  return { name: md.name, namespace: namespaced ? namespace : '', annotations: md.annotations ?? {} };
}

function checkKind(m: unknown, apiVersion: string, kind: string, problems: IngressProblem[]): void {
  if (!isObj(m)) return;
  if (m.apiVersion !== undefined && m.apiVersion !== apiVersion) problems.push({ path: ['apiVersion'], message: `expected apiVersion ${apiVersion} for a ${kind}, got ${String(m.apiVersion)}`, fix: `use apiVersion: ${apiVersion}` });
  if (m.kind !== undefined && m.kind !== kind) problems.push({ path: ['kind'], message: `expected kind ${kind}, got ${String(m.kind)}` });
}

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
    problems.push({ path: [...path, 'pathType'], message: 'pathType must be specified', fix: 'add pathType: Prefix (matches the path and everything below it) or Exact' });
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
      if (isIP(host)) problems.push({ path: ['spec', 'rules', i, 'host'], message: 'must be a DNS name, not an IP address', fix: 'use a name (e.g. app.example.com) and resolve it to the IP, or leave host out to match every host' });
      else {
        const e = hostError(host);
        if (e) problems.push({ path: ['spec', 'rules', i, 'host'], message: e });
      }
    }
    if (!r.http) return { host };
    const pathsIn = r.http.paths ?? [];
    if (pathsIn.length === 0) problems.push({ path: ['spec', 'rules', i, 'http', 'paths'], message: 'Required value', fix: 'add at least one path, e.g. { path: /, pathType: Prefix, backend: ... }' });
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
    problems.push({ path: ['metadata', 'annotations', INGRESS_CLASS_ANNOTATION], message: 'must match `ingressClassName` when both are specified', fix: 'remove the annotation (it is deprecated) and keep spec.ingressClassName' });
  }
  if (problems.length > 0) return { problems };
  return {
    problems,
    ingress: { name: meta.name, namespace: meta.namespace, annotations: meta.annotations, ingressClassName: s.ingressClassName, defaultBackend, rules, tls },
  };
}

// ---- gateway.networking.k8s.io/v1 GatewayClass -----------------------------------------------

const gatewayClassSpecSchema = z.strictObject({
  controllerName: z.string(),
  description: z.string().optional(),
  parametersRef: z.unknown().optional(),
});

export function parseGatewayClass(m: unknown): { gatewayClass?: GatewayClass; problems: IngressProblem[] } {
  const problems: IngressProblem[] = [];
  checkKind(m, GATEWAY_API_VERSION, 'GatewayClass', problems);
  const meta = parseMeta(m, problems, false);
  if (!meta) return { problems };
  const parsed = gatewayClassSpecSchema.safeParse((m as Record<string, unknown>).spec ?? {});
  if (!parsed.success) return { problems: [...problems, ...zodProblems(parsed.error, ['spec'])] };
  const c = parsed.data.controllerName;
  if (c.length > 253 || !GATEWAY_CONTROLLER_RE.test(c)) {
    problems.push({ path: ['spec', 'controllerName'], message: 'must be a domain-prefixed path (e.g. "example.com/gateway-controller")', fix: 'e.g. controllerName: wirelab.io/nginx' });
  }
  if (problems.length > 0) return { problems };
  return { problems, gatewayClass: { name: meta.name, controllerName: c } };
}

// ---- gateway.networking.k8s.io/v1 Gateway ---------------------------------------------------

const sectionName = z.string();
const port = z.number().int();

const listenerSchema = z.strictObject({
  name: sectionName,
  hostname: z.string().optional(),
  port,
  protocol: z.string(),
  tls: z
    .strictObject({
      mode: z.enum(['Terminate', 'Passthrough']).optional(),
      certificateRefs: z.array(z.strictObject({ group: z.string().optional(), kind: z.string().optional(), name: z.string(), namespace: z.string().optional() })).optional(),
      options: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
  allowedRoutes: z
    .strictObject({
      namespaces: z.strictObject({ from: z.enum(['All', 'Selector', 'Same']).optional(), selector: z.unknown().optional() }).optional(),
      kinds: z.array(z.strictObject({ group: z.string().optional(), kind: z.string() })).optional(),
    })
    .optional(),
});

const gatewaySpecSchema = z.strictObject({
  gatewayClassName: z.string(),
  listeners: z.array(listenerSchema),
  addresses: z.array(z.unknown()).optional(),
  infrastructure: z.unknown().optional(),
});

function gatewayHostnameError(v: string): string | undefined {
  if (v.length > 253) return 'must be no more than 253 characters';
  if (!GATEWAY_HOSTNAME_RE.test(v)) return 'must be a hostname, optionally with a leading wildcard label (e.g. "example.com" or "*.example.com"); IP addresses are not allowed';
  return undefined;
}

function sectionNameError(v: string): string | undefined {
  if (v.length < 1 || v.length > 253 || !DNS1123_SUBDOMAIN_RE.test(v)) return 'must be a DNS subdomain (lowercase letters, digits, "-" and ".")';
  return undefined;
}

export function parseGateway(m: unknown): { gateway?: Gateway; problems: IngressProblem[] } {
  const problems: IngressProblem[] = [];
  checkKind(m, GATEWAY_API_VERSION, 'Gateway', problems);
  const meta = parseMeta(m, problems);
  if (!meta) return { problems };
  const parsed = gatewaySpecSchema.safeParse((m as Record<string, unknown>).spec ?? {});
  if (!parsed.success) return { problems: [...problems, ...zodProblems(parsed.error, ['spec'])] };
  const s = parsed.data;
  if (s.gatewayClassName.length < 1 || s.gatewayClassName.length > 253) problems.push({ path: ['spec', 'gatewayClassName'], message: 'must be 1 to 253 characters' });
  if (s.listeners.length < 1) problems.push({ path: ['spec', 'listeners'], message: 'should have at least 1 items', fix: 'add a listener, e.g. { name: http, protocol: HTTP, port: 80 }' });
  if (s.listeners.length > 64) problems.push({ path: ['spec', 'listeners'], message: 'must have at most 64 items' });
  const names = new Map<string, number>();
  const combos = new Map<string, number>();
  const listeners: Listener[] = s.listeners.map((l, i) => {
    const p: Path = ['spec', 'listeners', i];
    const e = sectionNameError(l.name);
    if (e) problems.push({ path: [...p, 'name'], message: e });
    if (names.has(l.name)) problems.push({ path: [...p, 'name'], message: `Listener name must be unique within the Gateway (also listeners[${names.get(l.name)}])` });
    else names.set(l.name, i);
    if (l.port < 1 || l.port > 65535) problems.push({ path: [...p, 'port'], message: 'must be between 1 and 65535, inclusive' });
    if (!(LISTENER_PROTOCOLS as readonly string[]).includes(l.protocol)) {
      problems.push({ path: [...p, 'protocol'], message: `unsupported protocol "${l.protocol}"`, fix: `use one of ${LISTENER_PROTOCOLS.join(', ')} (wirelab renders HTTP and HTTPS)` });
    }
    if (l.hostname !== undefined) {
      const he = gatewayHostnameError(l.hostname);
      if (he) problems.push({ path: [...p, 'hostname'], message: he });
      if (l.protocol === 'TCP' || l.protocol === 'UDP') problems.push({ path: [...p, 'hostname'], message: "hostname must not be specified for protocols ['TCP', 'UDP']" });
    }
    const combo = `${l.port}/${l.protocol}/${l.hostname ?? ''}`;
    if (combos.has(combo)) problems.push({ path: p, message: `Combination of port, protocol and hostname must be unique for each listener (also listeners[${combos.get(combo)}])` });
    else combos.set(combo, i);
    const mode = l.tls?.mode ?? 'Terminate';
    if (l.tls && ['HTTP', 'TCP', 'UDP'].includes(l.protocol)) problems.push({ path: [...p, 'tls'], message: "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']", fix: 'use protocol HTTPS to terminate TLS, or remove tls' });
    if (l.tls && l.protocol === 'HTTPS' && mode !== 'Terminate') problems.push({ path: [...p, 'tls', 'mode'], message: 'tls mode must be Terminate for protocol HTTPS' });
    if (l.tls && mode === 'Terminate' && (l.tls.certificateRefs ?? []).length === 0 && Object.keys(l.tls.options ?? {}).length === 0) {
      problems.push({ path: [...p, 'tls'], message: 'certificateRefs or options must be specified when mode is Terminate', fix: 'add certificateRefs: [{ name: my-tls-secret }]' });
    }
    if (l.protocol === 'HTTPS' && !l.tls) problems.push({ path: [...p, 'tls'], message: 'an HTTPS listener needs tls.certificateRefs to terminate TLS', fix: 'add tls: { certificateRefs: [{ name: my-tls-secret }] }' });
    const certificateRefs = (l.tls?.certificateRefs ?? []).map((r, j) => {
      const kind = r.kind ?? 'Secret';
      const group = r.group ?? '';
      if (group !== '' || kind !== 'Secret') problems.push({ path: [...p, 'tls', 'certificateRefs', j], message: `unsupported certificate reference ${group || 'core'}/${kind}`, fix: 'refer to a Secret (group "" and kind Secret)' });
      return { group, kind, name: r.name, namespace: r.namespace };
    });
    return {
      name: l.name,
      protocol: l.protocol as ListenerProtocol,
      port: l.port,
      hostname: l.hostname,
      tls: l.tls ? { mode, certificateRefs } : undefined,
      allowedRoutesFrom: l.allowedRoutes?.namespaces?.from ?? 'Same',
    };
  });
  if (problems.length > 0) return { problems };
  return { problems, gateway: { name: meta.name, namespace: meta.namespace, gatewayClassName: s.gatewayClassName, listeners } };
}

// ---- gateway.networking.k8s.io/v1 HTTPRoute --------------------------------------------------

const parentRefSchema = z.strictObject({
  group: z.string().optional(),
  kind: z.string().optional(),
  namespace: z.string().optional(),
  name: z.string(),
  sectionName: z.string().optional(),
  port: port.optional(),
});

const matchSchema = z.strictObject({
  path: z.strictObject({ type: z.string().optional(), value: z.string().optional() }).optional(),
  headers: z.array(z.strictObject({ type: z.string().optional(), name: z.string(), value: z.string() })).optional(),
  queryParams: z.array(z.unknown()).optional(),
  method: z.string().optional(),
});

const backendRefSchema = z.strictObject({
  group: z.string().optional(),
  kind: z.string().optional(),
  name: z.string(),
  namespace: z.string().optional(),
  port: port.optional(),
  weight: z.number().int().optional(),
  filters: z.array(z.unknown()).optional(),
});

const ruleSchema = z.strictObject({
  name: z.string().optional(),
  matches: z.array(matchSchema).optional(),
  filters: z.array(z.unknown()).optional(),
  backendRefs: z.array(backendRefSchema).optional(),
  timeouts: z.unknown().optional(),
  retry: z.unknown().optional(),
  sessionPersistence: z.unknown().optional(),
});

const httpRouteSpecSchema = z.strictObject({
  parentRefs: z.array(parentRefSchema).optional(),
  hostnames: z.array(z.string()).optional(),
  rules: z.array(ruleSchema).optional(),
});

const notRendered = (what: string) => ({ message: `${what} is valid Gateway API but wirelab does not render it`, fix: 'remove it; wirelab renders path (PathPrefix, Exact) and Exact header matches with weighted backendRefs' });

function routeMatch(mt: z.infer<typeof matchSchema>, p: Path, problems: IngressProblem[]): HTTPRouteMatch {
  const type = mt.path?.type ?? 'PathPrefix';
  const value = mt.path?.value ?? '/';
  const pp = [...p, 'path'];
  if (type === 'RegularExpression') problems.push({ path: [...pp, 'type'], ...notRendered('a RegularExpression path match') });
  else if (type !== 'PathPrefix' && type !== 'Exact') problems.push({ path: [...pp, 'type'], message: "type must be one of ['Exact', 'PathPrefix', 'RegularExpression']" });
  else {
    if (value.length > 1024) problems.push({ path: [...pp, 'value'], message: 'must be no more than 1024 characters' });
    const suffix = "when type one of ['Exact', 'PathPrefix']";
    if (!value.startsWith('/')) problems.push({ path: [...pp, 'value'], message: `value must be an absolute path and start with '/' ${suffix}`, fix: `e.g. "/${value}"` });
    for (const seq of ['//', '/./', '/../', '%2f', '%2F', '#']) if (value.includes(seq)) problems.push({ path: [...pp, 'value'], message: `must not contain '${seq}' ${suffix}` });
    for (const suf of ['/..', '/.']) if (value.endsWith(suf)) problems.push({ path: [...pp, 'value'], message: `must not end with '${suf}' ${suffix}` });
    if (!GATEWAY_PATH_CHARS_RE.test(value)) problems.push({ path: [...pp, 'value'], message: `must only contain valid characters (matching ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$) for types ['Exact', 'PathPrefix']` });
  }
  const headersIn = mt.headers ?? [];
  if (headersIn.length > 16) problems.push({ path: [...p, 'headers'], message: 'must have at most 16 items' });
  const seen = new Map<string, number>();
  const headers = headersIn.map((h, k) => {
    const hp: Path = [...p, 'headers', k];
    const htype = h.type ?? 'Exact';
    if (htype === 'RegularExpression') problems.push({ path: [...hp, 'type'], ...notRendered('a RegularExpression header match') });
    else if (htype !== 'Exact') problems.push({ path: [...hp, 'type'], message: `Unsupported value: "${htype}": supported values: "Exact", "RegularExpression"` });
    if (h.name.length < 1 || h.name.length > 256 || !HEADER_NAME_RE.test(h.name)) problems.push({ path: [...hp, 'name'], message: 'must be an HTTP header name (RFC 7230 token characters, 1 to 256 of them)' });
    const key = h.name.toLowerCase();
    // listType=map keyed by name; header names are case-insensitive, and the spec says only
    // the first of several entries with equivalent names is considered: refuse the duplicate.
    if (seen.has(key)) problems.push({ path: [...hp, 'name'], message: `Duplicate value: header "${h.name}" (also headers[${seen.get(key)}])` });
    else seen.set(key, k);
    if (h.value.length < 1 || h.value.length > 4096) problems.push({ path: [...hp, 'value'], message: 'must be 1 to 4096 characters' });
    return { name: h.name, value: h.value, type: 'Exact' as const };
  });
  if (mt.queryParams && mt.queryParams.length > 0) problems.push({ path: [...p, 'queryParams'], ...notRendered('a queryParams match') });
  if (mt.method !== undefined) problems.push({ path: [...p, 'method'], ...notRendered('a method match') });
  return { path: { type: type as 'PathPrefix' | 'Exact', value }, headers };
}

function backendRef(b: z.infer<typeof backendRefSchema>, p: Path, problems: IngressProblem[]): HTTPBackendRef {
  const group = b.group ?? '';
  const kind = b.kind ?? 'Service';
  const weight = b.weight ?? 1;
  if (weight < 0 || weight > MAX_BACKEND_WEIGHT) problems.push({ path: [...p, 'weight'], message: `must be between 0 and ${MAX_BACKEND_WEIGHT}, inclusive`, fix: 'weights are relative: e.g. 90 and 10 send 90% and 10%' });
  if (group === '' && kind === 'Service' && b.port === undefined) problems.push({ path: p, message: 'Must have port for Service reference', fix: 'add port: the Service port number, e.g. port: 80' });
  if (b.port !== undefined && (b.port < 1 || b.port > 65535)) problems.push({ path: [...p, 'port'], message: 'must be between 1 and 65535, inclusive' });
  if (b.filters && b.filters.length > 0) problems.push({ path: [...p, 'filters'], ...notRendered('a backendRef filter') });
  return { group, kind, name: b.name, namespace: b.namespace, port: b.port, weight };
}

export function parseHTTPRoute(m: unknown): { httpRoute?: HTTPRoute; problems: IngressProblem[] } {
  const problems: IngressProblem[] = [];
  checkKind(m, GATEWAY_API_VERSION, 'HTTPRoute', problems);
  const meta = parseMeta(m, problems);
  if (!meta) return { problems };
  const parsed = httpRouteSpecSchema.safeParse((m as Record<string, unknown>).spec ?? {});
  if (!parsed.success) return { problems: [...problems, ...zodProblems(parsed.error, ['spec'])] };
  const s = parsed.data;
  const parentsIn = s.parentRefs ?? [];
  if (parentsIn.length > 32) problems.push({ path: ['spec', 'parentRefs'], message: 'must have at most 32 items' });
  const parentRefs: ParentRef[] = parentsIn.map((r, i) => {
    if (r.sectionName !== undefined) {
      const e = sectionNameError(r.sectionName);
      if (e) problems.push({ path: ['spec', 'parentRefs', i, 'sectionName'], message: e });
    }
    if (r.port !== undefined && (r.port < 1 || r.port > 65535)) problems.push({ path: ['spec', 'parentRefs', i, 'port'], message: 'must be between 1 and 65535, inclusive' });
    return { group: r.group ?? GATEWAY_GROUP, kind: r.kind ?? 'Gateway', name: r.name, namespace: r.namespace, sectionName: r.sectionName, port: r.port };
  });
  // CEL on CommonRouteSpec.parentRefs: several references to one parent need distinct sectionNames.
  const byParent = new Map<string, number[]>();
  parentRefs.forEach((r, i) => {
    const key = `${r.group}/${r.kind}/${r.namespace ?? ''}/${r.name}`;
    byParent.set(key, [...(byParent.get(key) ?? []), i]);
  });
  for (const idx of byParent.values()) {
    if (idx.length < 2) continue;
    const sections = idx.map((i) => parentRefs[i].sectionName ?? '');
    if (sections.some((x) => x === '')) problems.push({ path: ['spec', 'parentRefs', idx[1]], message: 'sectionName must be specified when parentRefs includes 2 or more references to the same parent' });
    else if (new Set(sections).size !== sections.length) problems.push({ path: ['spec', 'parentRefs', idx[1]], message: 'sectionName must be unique when parentRefs includes 2 or more references to the same parent' });
  }
  const hostnames = s.hostnames ?? [];
  if (hostnames.length > 16) problems.push({ path: ['spec', 'hostnames'], message: 'must have at most 16 items' });
  hostnames.forEach((h, i) => {
    const e = gatewayHostnameError(h);
    if (e) problems.push({ path: ['spec', 'hostnames', i], message: e });
  });
  // +kubebuilder:default={{matches: {{path: {type: "PathPrefix", value: "/"}}}}}
  const rulesIn = s.rules ?? [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }] }];
  if (rulesIn.length > 16) problems.push({ path: ['spec', 'rules'], message: 'must have at most 16 items' });
  let totalMatches = 0;
  const rules: HTTPRouteRule[] = rulesIn.map((r, i) => {
    const rp: Path = ['spec', 'rules', i];
    const matchesIn = r.matches ?? [{ path: { type: 'PathPrefix', value: '/' } }];
    if (matchesIn.length > 64) problems.push({ path: [...rp, 'matches'], message: 'must have at most 64 items' });
    totalMatches += matchesIn.length;
    const matches = matchesIn.map((mt, j) => routeMatch(mt, [...rp, 'matches', j], problems));
    if (r.filters && r.filters.length > 0) problems.push({ path: [...rp, 'filters'], ...notRendered('a filter') });
    for (const k of ['timeouts', 'retry', 'sessionPersistence'] as const) if (r[k] !== undefined) problems.push({ path: [...rp, k], ...notRendered(k) });
    const refsIn = r.backendRefs ?? [];
    if (refsIn.length > 16) problems.push({ path: [...rp, 'backendRefs'], message: 'must have at most 16 items' });
    const backendRefs = refsIn.map((b, j) => backendRef(b, [...rp, 'backendRefs', j], problems));
    return { matches, backendRefs };
  });
  if (totalMatches > 128) problems.push({ path: ['spec', 'rules'], message: 'While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a route must be less than 128' });
  if (problems.length > 0) return { problems };
  return { problems, httpRoute: { name: meta.name, namespace: meta.namespace, parentRefs, hostnames, rules } };
}

// ---- dispatch ---------------------------------------------------------------------------------

export type ParsedIngressApiObject =
  | { kind: 'Ingress'; ingress: Ingress }
  | { kind: 'GatewayClass'; gatewayClass: GatewayClass }
  | { kind: 'Gateway'; gateway: Gateway }
  | { kind: 'HTTPRoute'; httpRoute: HTTPRoute };

export const INGRESS_API_KINDS = [`${INGRESS_API_VERSION}/Ingress`, `${GATEWAY_API_VERSION}/GatewayClass`, `${GATEWAY_API_VERSION}/Gateway`, `${GATEWAY_API_VERSION}/HTTPRoute`] as const;

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
      return { problems: [{ path: ['kind'], message: `not an Ingress or Gateway API object: ${key || 'not a mapping'}`, fix: `use one of ${INGRESS_API_KINDS.join(', ')}` }] };
  }
}
