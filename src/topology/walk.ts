// Where a packet went between two capture points: the devices and links of the topology it
// crossed. Between consecutive hops of an expectation the route is the cheapest path through
// the graph, under two rules that keep it honest:
// - an encapsulated packet is not routed: it crosses veths and bridges (the underlay) until a
//   tunnel device decapsulates it, and it is encapsulated only by leaving a tunnel device
//   through the device the tunnel rides on (flannel.1 -> eth0);
// - on a node with a tunnel device, its stack prefers the tunnel to sending pod traffic out of
//   eth0 bare (a flannel node routes other nodes' pod ranges via flannel.1).
// Whether a hop's packet was encapsulated comes from its capture; unknown means either.
// Overlay tunnels and Service endpoints are drawn, never walked; the overlay a walk used (from
// one tunnel device to another, encapsulated) is reported so the drawing can light it too.
import type { TopoLink, Topology } from './types.js';

export interface WalkPoint {
  /** A device id: a capture point such as "w1/eth0". */
  point: string;
  /** Whether the packet seen there was encapsulated (VXLAN, IP-in-IP); undefined: unknown. */
  encapsulated?: boolean;
}

export interface Segment {
  from: string;
  to: string;
  /** Devices from `from` to `to`, both included; [] when no path exists. */
  devices: string[];
  /** Link ids, in order. */
  links: string[];
}

export interface Walk {
  segments: Segment[];
  /** Tunnel links the walk went through, encapsulated. */
  overlay: string[];
}

interface Edge {
  link: TopoLink;
  to: string;
}

const TUNNEL_KINDS = new Set(['vxlan', 'ipip']);

function adjacency(t: Topology): Map<string, Edge[]> {
  const adj = new Map<string, Edge[]>();
  for (const d of t.devices) adj.set(d.id, []);
  for (const l of t.links) {
    if (l.kind === 'tunnel' || l.kind === 'endpoint') continue;
    adj.get(l.a)?.push({ link: l, to: l.b });
    adj.get(l.b)?.push({ link: l, to: l.a });
  }
  return adj;
}

/** The cost of crossing a link in a state, and the state after it; undefined: not allowed. */
function step(
  t: Topology,
  kindOf: Map<string, string>,
  hasTunnel: Set<string>,
  from: string,
  e: Edge,
  enc: boolean,
): { cost: number; enc: boolean } | undefined {
  const l = e.link;
  if (l.kind === 'encap') {
    const leavingTunnel = TUNNEL_KINDS.has(kindOf.get(from) ?? '');
    if (leavingTunnel && !enc) return { cost: 1, enc: true };
    if (!leavingTunnel && enc) return { cost: 1, enc: false };
    return undefined;
  }
  if (l.kind === 'stack') {
    if (enc) return undefined;
    const stack = from.startsWith('stack:') ? from : e.to;
    const other = stack === from ? e.to : from;
    const bare = kindOf.get(other) === 'eth' && hasTunnel.has(stack.slice('stack:'.length));
    return { cost: bare ? 3 : 1, enc };
  }
  return { cost: 1, enc };
}

/** The cheapest route from one point to another (Dijkstra over device x encapsulated). */
export function route(t: Topology, from: WalkPoint, to: WalkPoint): Segment {
  const kindOf = new Map(t.devices.map((d) => [d.id, d.kind]));
  const hasTunnel = new Set(t.devices.filter((d) => TUNNEL_KINDS.has(d.kind)).map((d) => d.group));
  const adj = adjacency(t);
  const key = (id: string, enc: boolean) => `${enc ? 1 : 0}${id}`;
  const dist = new Map<string, number>();
  const prev = new Map<string, { key: string; link: string }>();
  const open: { id: string; enc: boolean; cost: number; order: number }[] = [];
  let order = 0;
  for (const enc of from.encapsulated === undefined ? [false, true] : [from.encapsulated]) {
    dist.set(key(from.point, enc), 0);
    open.push({ id: from.point, enc, cost: 0, order: order++ });
  }
  let found: string | undefined;
  while (open.length > 0) {
    // Few dozen devices: a sorted array is as good as a heap, and ties stay in insertion order.
    open.sort((a, b) => a.cost - b.cost || a.order - b.order);
    const cur = open.shift()!;
    const k = key(cur.id, cur.enc);
    if (cur.cost > (dist.get(k) ?? Infinity)) continue;
    if (cur.id === to.point && (to.encapsulated === undefined || to.encapsulated === cur.enc)) {
      found = k;
      break;
    }
    for (const e of adj.get(cur.id) ?? []) {
      const s = step(t, kindOf, hasTunnel, cur.id, e, cur.enc);
      if (!s) continue;
      const nk = key(e.to, s.enc);
      const cost = cur.cost + s.cost;
      if (cost < (dist.get(nk) ?? Infinity)) {
        dist.set(nk, cost);
        prev.set(nk, { key: k, link: e.link.id });
        open.push({ id: e.to, enc: s.enc, cost, order: order++ });
      }
    }
  }
  if (!found) return { from: from.point, to: to.point, devices: [], links: [] };
  const devices: string[] = [];
  const links: string[] = [];
  for (let k: string | undefined = found; k !== undefined; k = prev.get(k)?.key) {
    devices.unshift(k.slice(1));
    const p = prev.get(k);
    if (p) links.unshift(p.link);
  }
  return { from: from.point, to: to.point, devices, links };
}

/** The walk through consecutive points (a point repeated in a row adds nothing). */
export function walk(t: Topology, points: WalkPoint[]): Walk {
  const segments: Segment[] = [];
  for (let i = 1; i < points.length; i++) {
    if (points[i].point === points[i - 1].point) continue;
    segments.push(route(t, points[i - 1], points[i]));
  }
  return { segments, overlay: overlayOf(t, segments) };
}

/** Tunnel links between the tunnel devices a walk crossed one after the other. */
export function overlayOf(t: Topology, segments: Segment[]): string[] {
  const kindOf = new Map(t.devices.map((d) => [d.id, d.kind]));
  const crossed = segments.flatMap((s, i) => (i === 0 ? s.devices : s.devices.slice(1))).filter((d) => TUNNEL_KINDS.has(kindOf.get(d) ?? ''));
  const out: string[] = [];
  for (let i = 1; i < crossed.length; i++) {
    const l = t.links.find((x) => x.kind === 'tunnel' && ((x.a === crossed[i - 1] && x.b === crossed[i]) || (x.b === crossed[i - 1] && x.a === crossed[i])));
    if (l && !out.includes(l.id)) out.push(l.id);
  }
  return out;
}
