// The nginx plan: the servers, locations and upstreams that planNginx (nginx-conf.ts) computes
// from Ingresses and HTTPRoutes and that renderPlan (nginx-render.ts) writes as nginx.conf.
import type { HTTPHeaderMatch } from '../../k8s/ingress-types.js';
import type { CertFiles } from './types.js';

// ---- the plan: servers, locations, upstreams ------------------------------------------------

export const DEFAULT_UPSTREAM = 'upstream-default-backend';
export const DEFAULT_SERVER = '_';

export type LocationAction = { kind: 'proxy'; upstream: string } | { kind: 'return'; status: number };

/** One way a request reaching a location can be handled: all headers must match. */
export interface LocationCandidate {
  headers: HTTPHeaderMatch[];
  action: LocationAction;
  /** Where it comes from, for comments: "ingress default/web path /api". */
  source: string;
}

export interface PlanLocation {
  exact: boolean;
  path: string;
  /** In precedence order: the first whose headers all match wins; none matching -> 404. */
  candidates: LocationCandidate[];
}

export interface PlanListen {
  port: number;
  ssl: boolean;
  defaultServer: boolean;
}

export interface PlanServer {
  /** The host ("_" for a catch-all server). */
  hostname: string;
  /** server_name arguments, unquoted. */
  serverNames: string[];
  listens: PlanListen[];
  cert?: CertFiles;
  /** 308 to https when the request came over http (ingress-nginx ssl-redirect). */
  sslRedirect: boolean;
  /** TLS listen without a certificate: refuse the handshake. */
  rejectHandshake: boolean;
  locations: PlanLocation[];
  origin: 'ingress' | 'gateway';
}

export interface PlanUpstream {
  name: string;
  servers: { address: string; weight?: number }[];
  comments: string[];
}

export interface NginxPlan {
  servers: PlanServer[];
  upstreams: PlanUpstream[];
  /** Internal servers answering a fixed status on a unix socket (for weighted 500/503 shares). */
  statusSockets: { status: number; path: string }[];
  warnings: string[];
}
