// Gateway API (gateway.networking.k8s.io/v1 GatewayClass, Gateway, HTTPRoute) manifests, checked
// the way the API server checks them and defaulted as it defaults them. Zod checks shape and
// types (unknown fields are refused, as kubectl's default strict field validation refuses them);
// the rules below come from:
// - kubernetes-sigs/gateway-api apis/v1 (CRD OpenAPI and CEL rules): Hostname, SectionName,
//   GatewayController patterns; listeners 1..64 with unique names and unique port/protocol/
//   hostname; "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']"; HTTPPathMatch
//   rules ("value must be an absolute path and start with '/'", no "//", "#", ...); HeaderName
//   pattern; BackendRef weight 0..1000000 default 1 and "Must have port for Service reference";
//   defaults (rules -> one PathPrefix "/" match; ParentReference group/kind Gateway).
// Features the API accepts but wirelab does not render (HTTPRoute filters, method and query
// parameter matches, RegularExpression matches) are reported as problems so that nothing is
// silently ignored.
import { z } from 'zod';
import {
  LISTENER_PROTOCOLS,
  type Gateway,
  type GatewayClass,
  type HTTPBackendRef,
  type HTTPRoute,
  type HTTPRouteMatch,
  type HTTPRouteRule,
  type IngressProblem,
  type Listener,
  type ListenerProtocol,
  type ParentRef,
} from './ingress-types.js';
import { DNS1123_SUBDOMAIN_RE, GATEWAY_CONTROLLER_RE, GATEWAY_HOSTNAME_RE, GATEWAY_PATH_CHARS_RE, HEADER_NAME_RE } from './names.js';
import { checkKind, parseMeta, zodProblems } from './parse-common.js';
import type { Path } from './walk.js';

export const GATEWAY_API_VERSION = 'gateway.networking.k8s.io/v1';
export const GATEWAY_GROUP = 'gateway.networking.k8s.io';
export const MAX_BACKEND_WEIGHT = 1_000_000;

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
    problems.push({
      path: ['spec', 'controllerName'],
      message: 'must be a domain-prefixed path (e.g. "example.com/gateway-controller")',
      fix: 'e.g. controllerName: wirelab.io/nginx',
    });
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
      certificateRefs: z
        .array(z.strictObject({ group: z.string().optional(), kind: z.string().optional(), name: z.string(), namespace: z.string().optional() }))
        .optional(),
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
  if (!GATEWAY_HOSTNAME_RE.test(v))
    return 'must be a hostname, optionally with a leading wildcard label (e.g. "example.com" or "*.example.com"); IP addresses are not allowed';
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
  if (s.gatewayClassName.length < 1 || s.gatewayClassName.length > 253)
    problems.push({ path: ['spec', 'gatewayClassName'], message: 'must be 1 to 253 characters' });
  if (s.listeners.length < 1)
    problems.push({
      path: ['spec', 'listeners'],
      message: 'should have at least 1 items',
      fix: 'add a listener, e.g. { name: http, protocol: HTTP, port: 80 }',
    });
  if (s.listeners.length > 64) problems.push({ path: ['spec', 'listeners'], message: 'must have at most 64 items' });
  const names = new Map<string, number>();
  const combos = new Map<string, number>();
  const listeners: Listener[] = s.listeners.map((l, i) => {
    const p: Path = ['spec', 'listeners', i];
    const e = sectionNameError(l.name);
    if (e) problems.push({ path: [...p, 'name'], message: e });
    if (names.has(l.name))
      problems.push({ path: [...p, 'name'], message: `Listener name must be unique within the Gateway (also listeners[${names.get(l.name)}])` });
    else names.set(l.name, i);
    if (l.port < 1 || l.port > 65535) problems.push({ path: [...p, 'port'], message: 'must be between 1 and 65535, inclusive' });
    if (!(LISTENER_PROTOCOLS as readonly string[]).includes(l.protocol)) {
      problems.push({
        path: [...p, 'protocol'],
        message: `unsupported protocol "${l.protocol}"`,
        fix: `use one of ${LISTENER_PROTOCOLS.join(', ')} (wirelab renders HTTP and HTTPS)`,
      });
    }
    if (l.hostname !== undefined) {
      const he = gatewayHostnameError(l.hostname);
      if (he) problems.push({ path: [...p, 'hostname'], message: he });
      if (l.protocol === 'TCP' || l.protocol === 'UDP')
        problems.push({ path: [...p, 'hostname'], message: "hostname must not be specified for protocols ['TCP', 'UDP']" });
    }
    const combo = `${l.port}/${l.protocol}/${l.hostname ?? ''}`;
    if (combos.has(combo))
      problems.push({ path: p, message: `Combination of port, protocol and hostname must be unique for each listener (also listeners[${combos.get(combo)}])` });
    else combos.set(combo, i);
    const mode = l.tls?.mode ?? 'Terminate';
    if (l.tls && ['HTTP', 'TCP', 'UDP'].includes(l.protocol))
      problems.push({
        path: [...p, 'tls'],
        message: "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']",
        fix: 'use protocol HTTPS to terminate TLS, or remove tls',
      });
    if (l.tls && l.protocol === 'HTTPS' && mode !== 'Terminate')
      problems.push({ path: [...p, 'tls', 'mode'], message: 'tls mode must be Terminate for protocol HTTPS' });
    if (l.tls && mode === 'Terminate' && (l.tls.certificateRefs ?? []).length === 0 && Object.keys(l.tls.options ?? {}).length === 0) {
      problems.push({
        path: [...p, 'tls'],
        message: 'certificateRefs or options must be specified when mode is Terminate',
        fix: 'add certificateRefs: [{ name: my-tls-secret }]',
      });
    }
    if (l.protocol === 'HTTPS' && !l.tls)
      problems.push({
        path: [...p, 'tls'],
        message: 'an HTTPS listener needs tls.certificateRefs to terminate TLS',
        fix: 'add tls: { certificateRefs: [{ name: my-tls-secret }] }',
      });
    const certificateRefs = (l.tls?.certificateRefs ?? []).map((r, j) => {
      const kind = r.kind ?? 'Secret';
      const group = r.group ?? '';
      if (group !== '' || kind !== 'Secret')
        problems.push({
          path: [...p, 'tls', 'certificateRefs', j],
          message: `unsupported certificate reference ${group || 'core'}/${kind}`,
          fix: 'refer to a Secret (group "" and kind Secret)',
        });
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

const notRendered = (what: string) => ({
  message: `${what} is valid Gateway API but wirelab does not render it`,
  fix: 'remove it; wirelab renders path (PathPrefix, Exact) and Exact header matches with weighted backendRefs',
});

function routeMatch(mt: z.infer<typeof matchSchema>, p: Path, problems: IngressProblem[]): HTTPRouteMatch {
  const type = mt.path?.type ?? 'PathPrefix';
  const value = mt.path?.value ?? '/';
  const pp = [...p, 'path'];
  if (type === 'RegularExpression') problems.push({ path: [...pp, 'type'], ...notRendered('a RegularExpression path match') });
  else if (type !== 'PathPrefix' && type !== 'Exact')
    problems.push({ path: [...pp, 'type'], message: "type must be one of ['Exact', 'PathPrefix', 'RegularExpression']" });
  else {
    if (value.length > 1024) problems.push({ path: [...pp, 'value'], message: 'must be no more than 1024 characters' });
    const suffix = "when type one of ['Exact', 'PathPrefix']";
    if (!value.startsWith('/'))
      problems.push({ path: [...pp, 'value'], message: `value must be an absolute path and start with '/' ${suffix}`, fix: `e.g. "/${value}"` });
    for (const seq of ['//', '/./', '/../', '%2f', '%2F', '#'])
      if (value.includes(seq)) problems.push({ path: [...pp, 'value'], message: `must not contain '${seq}' ${suffix}` });
    for (const suf of ['/..', '/.']) if (value.endsWith(suf)) problems.push({ path: [...pp, 'value'], message: `must not end with '${suf}' ${suffix}` });
    if (!GATEWAY_PATH_CHARS_RE.test(value))
      problems.push({
        path: [...pp, 'value'],
        message: `must only contain valid characters (matching ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$) for types ['Exact', 'PathPrefix']`,
      });
  }
  const headersIn = mt.headers ?? [];
  if (headersIn.length > 16) problems.push({ path: [...p, 'headers'], message: 'must have at most 16 items' });
  const seen = new Map<string, number>();
  const headers = headersIn.map((h, k) => {
    const hp: Path = [...p, 'headers', k];
    const htype = h.type ?? 'Exact';
    if (htype === 'RegularExpression') problems.push({ path: [...hp, 'type'], ...notRendered('a RegularExpression header match') });
    else if (htype !== 'Exact')
      problems.push({ path: [...hp, 'type'], message: `Unsupported value: "${htype}": supported values: "Exact", "RegularExpression"` });
    if (h.name.length < 1 || h.name.length > 256 || !HEADER_NAME_RE.test(h.name))
      problems.push({ path: [...hp, 'name'], message: 'must be an HTTP header name (RFC 7230 token characters, 1 to 256 of them)' });
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
  if (weight < 0 || weight > MAX_BACKEND_WEIGHT)
    problems.push({
      path: [...p, 'weight'],
      message: `must be between 0 and ${MAX_BACKEND_WEIGHT}, inclusive`,
      fix: 'weights are relative: e.g. 90 and 10 send 90% and 10%',
    });
  if (group === '' && kind === 'Service' && b.port === undefined)
    problems.push({ path: p, message: 'Must have port for Service reference', fix: 'add port: the Service port number, e.g. port: 80' });
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
    if (r.port !== undefined && (r.port < 1 || r.port > 65535))
      problems.push({ path: ['spec', 'parentRefs', i, 'port'], message: 'must be between 1 and 65535, inclusive' });
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
    if (sections.some((x) => x === ''))
      problems.push({
        path: ['spec', 'parentRefs', idx[1]],
        message: 'sectionName must be specified when parentRefs includes 2 or more references to the same parent',
      });
    else if (new Set(sections).size !== sections.length)
      problems.push({
        path: ['spec', 'parentRefs', idx[1]],
        message: 'sectionName must be unique when parentRefs includes 2 or more references to the same parent',
      });
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
  if (totalMatches > 128)
    problems.push({
      path: ['spec', 'rules'],
      message: 'While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a route must be less than 128',
    });
  if (problems.length > 0) return { problems };
  return { problems, httpRoute: { name: meta.name, namespace: meta.namespace, parentRefs, hostnames, rules } };
}
