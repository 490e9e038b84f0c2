// Who may call a node's kubelet API, decided as kubelet's webhook authorizer does (kubernetes
// v1.34.2 pkg/kubelet/server/auth.go and server.go InstallAuthFilter, the kubelet's defaults
// authorization.mode=Webhook and authentication.x509): the caller is its client certificate's
// subject (CN the user, each O a group); the request becomes attributes on the node object
// (verb from the HTTP method, resource nodes, the node's name, a subresource from the path); the
// API server answers a SubjectAccessReview for each set; answers are remembered (5 minutes for
// allowed, 30 seconds for denied: kubelet's cacheAuthorizedTTL / cacheUnauthorizedTTL).

export interface Caller {
  user: string;
  groups: string[];
}

export interface NodeAttributes {
  verb: string;
  resource: 'nodes';
  name: string;
  subresource: string;
}

/** HTTP method -> API verb (auth.go GetRequestAttributes; any other method: no verb). */
const VERBS: Record<string, string> = { POST: 'create', GET: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** isSubpath: the path itself or below it. */
const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);

/** With KubeletFineGrainedAuthz (on by default since v1.33) these paths are tried first as a
 * subresource of their own. */
const FINE_GRAINED: [string, string][] = [
  ['/pods', 'pods'],
  ['/healthz', 'healthz'],
  ['/configz', 'configz'],
  ['/runningpods', 'pods'],
];

/** Then every path has one of these, `proxy` when none matches (exec, attach, portForward,
 * containerLogs, run). */
const SUBRESOURCES: [string, string][] = [
  ['/stats', 'stats'],
  ['/metrics', 'metrics'],
  ['/logs', 'log'],
  ['/checkpoint', 'checkpoint'],
  ['/statusz', 'statusz'],
  ['/flagz', 'configz'],
];

/** The attribute sets of one request, in the order kubelet tries them (the first allowed wins). */
export function requestAttributes(method: string, path: string, node: string): NodeAttributes[] {
  const verb = VERBS[method] ?? '';
  const fine = FINE_GRAINED.find(([prefix]) => under(path, prefix))?.[1];
  const sub = SUBRESOURCES.find(([prefix]) => under(path, prefix))?.[1] ?? 'proxy';
  return [...(fine ? [fine] : []), sub].map((subresource) => ({ verb, resource: 'nodes', name: node, subresource }));
}

/** The caller a client certificate's subject names (the x509 authenticator's CommonNameUserConversion). */
export function callerFromSubject(subject: { CN?: string | string[]; O?: string | string[] } | undefined): Caller | undefined {
  const cn = Array.isArray(subject?.CN) ? subject.CN[0] : subject?.CN;
  if (!cn) return undefined;
  const o = subject?.O;
  return { user: cn, groups: o === undefined ? [] : Array.isArray(o) ? o : [o] };
}

/** kubelet's words for a refusal (server.go:368), Go's %v of the subresource list. */
export function forbiddenMessage(caller: Caller, attrs: NodeAttributes[]): string {
  return `Forbidden (user=${caller.user}, verb=${attrs[0].verb}, resource=${attrs[0].resource}, subresource(s)=[${attrs.map((a) => a.subresource).join(' ')}])\n`;
}

/** The SubjectAccessReview kubelet's webhook sends for one attribute set. */
export function subjectAccessReview(caller: Caller, a: NodeAttributes): object {
  return {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      user: caller.user,
      groups: caller.groups,
      resourceAttributes: { verb: a.verb, version: 'v1', resource: a.resource, subresource: a.subresource, name: a.name },
    },
  };
}

export const ALLOWED_TTL_MS = 5 * 60_000;
export const DENIED_TTL_MS = 30_000;

/** Asks the API server (review) and remembers its answers. */
export class KubeletAuthorizer {
  private readonly cache = new Map<string, { allowed: boolean; until: number }>();

  constructor(
    private readonly review: (sar: object) => Promise<boolean>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether the caller may make the request (any of its attribute sets allowed). */
  async allowed(caller: Caller, attrs: NodeAttributes[]): Promise<boolean> {
    for (const a of attrs) {
      const key = JSON.stringify([caller.user, [...caller.groups].sort(), a]);
      const hit = this.cache.get(key);
      let ok: boolean;
      if (hit && hit.until > this.now()) ok = hit.allowed;
      else {
        ok = await this.review(subjectAccessReview(caller, a));
        this.cache.set(key, { allowed: ok, until: this.now() + (ok ? ALLOWED_TTL_MS : DENIED_TTL_MS) });
      }
      if (ok) return true;
    }
    return false;
  }
}
