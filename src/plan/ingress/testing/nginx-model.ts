// A small model of how nginx picks a server, a location and an upstream server (smooth weighted
// round robin), for the nginx.conf tests; and `block`, one {...} block of a rendered nginx.conf.
import { expect } from 'vitest';
import type { NginxPlan, PlanLocation, PlanServer, PlanUpstream } from '../nginx-plan.js';

export function serverFor(plan: NginxPlan, host: string, port = 80): PlanServer {
  const on = plan.servers.filter((s) => s.listens.some((l) => l.port === port));
  return (
    on.find((s) => s.serverNames.includes(host)) ??
    on.find((s) => s.serverNames.some((n) => n.startsWith('*.') && host.endsWith(n.slice(1)))) ??
    on.find((s) => s.listens.some((l) => l.port === port && l.defaultServer))!
  );
}

/** nginx: an exact location wins; otherwise the longest matching prefix location. */
export function locationFor(server: PlanServer, path: string): PlanLocation | undefined {
  const exact = server.locations.find((l) => l.exact && l.path === path);
  if (exact) return exact;
  return server.locations.filter((l) => !l.exact && path.startsWith(l.path)).sort((a, b) => b.path.length - a.path.length)[0];
}

/** What a request gets: "upstream:<name>" or "status:<code>". */
export function dispatch(plan: NginxPlan, host: string, path: string, headers: Record<string, string> = {}, port = 80): string {
  const loc = locationFor(serverFor(plan, host, port), path);
  if (!loc) return 'status:404';
  const c = loc.candidates.find((x) => x.headers.every((h) => headers[h.name.toLowerCase()] === h.value));
  if (!c) return 'status:404';
  return c.action.kind === 'proxy' ? `upstream:${c.action.upstream}` : `status:${c.action.status}`;
}

export const upstream = (plan: NginxPlan, name: string): PlanUpstream => plan.upstreams.find((u) => u.name === name)!;

/** nginx's smooth weighted round robin (ngx_http_upstream_get_peer), one worker. */
export function swrr(u: PlanUpstream, n: number): string[] {
  const peers = u.servers.map((s) => ({ address: s.address, weight: s.weight ?? 1, current: 0 }));
  const total = peers.reduce((a, p) => a + p.weight, 0);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    let best = peers[0];
    for (const p of peers) {
      p.current += p.weight;
      if (p.current > best.current) best = p;
    }
    best.current -= total;
    out.push(best.address);
  }
  return out;
}

export const block = (conf: string, start: string): string => {
  const i = conf.indexOf(start);
  expect(i, `${start} in the config`).toBeGreaterThanOrEqual(0);
  let depth = 0;
  for (let j = conf.indexOf('{', i); j < conf.length; j++) {
    if (conf[j] === '{') depth++;
    if (conf[j] === '}' && --depth === 0) return conf.slice(i, j + 1);
  }
  return conf.slice(i);
};
