// What the report page draws on the topology for each expectation: numbered markers at the
// devices its hops name, green where the hop passed and red where it failed, "last seen here"
// where a failed expectation's packet was last captured, the links between consecutive hops
// (solid where the packet was seen at both ends, dashed where it was expected but missed),
// where NAT rewrote it, and the Service addresses it was sent to. Pure: results in, data out
// (embedded in the page as JSON; the page's script only applies it to the SVG).
import type { ExpectationResult } from '../../assert/expectation.js';
import type { HopResult } from '../../assert/hops.js';
import type { DotIds } from '../../topology/dot.js';
import { stackId, type Topology } from '../../topology/types.js';
import { overlayOf, route, walk, type Segment, type WalkPoint } from '../../topology/walk.js';
import { isEncapsulated, sightings, tupleOf } from './headers.js';

export type MarkerState = 'pass' | 'fail' | 'missed' | 'absent-ok' | 'absent-fail';

export interface Marker {
  /** The SVG element id of the device, and its capture point. */
  dev: string;
  point: string;
  /** The hop's number in the lab file (1-based). */
  n: number;
  state: MarkerState;
  reply?: boolean;
  lastSeen?: boolean;
}

export interface Drawing {
  markers: Marker[];
  /** SVG ids of links: crossed by the packet, or expected and missed. */
  links: { id: string; state: 'seen' | 'missed' }[];
  /** SVG ids of devices on the walk, in walk order. */
  devices: string[];
  /** Labels at devices: where NAT rewrote the packet ("DNAT", "un-DNAT"). */
  tags: { dev: string; text: string }[];
  /** SVG ids of Services whose virtual IP the packet was addressed to (or answered from). */
  services: string[];
}

/** Hops that stand on a device (not chain or state checks), with their number in the list. */
export function captureHops(r: ExpectationResult): { hop: HopResult; n: number }[] {
  return r.hops.map((hop, i) => ({ hop, n: i + 1 })).filter((x) => !x.hop.chain && x.hop.points && x.hop.points.length > 0);
}

const pointOf = (h: HopResult) => h.seenAt ?? h.points![0];

export function drawWalk(t: Topology, ids: DotIds, r: ExpectationResult): Drawing {
  const known = new Set(t.devices.map((d) => d.id));
  const groupOf = new Map(t.devices.map((d) => [d.id, d.group]));
  const hops = captureHops(r).filter((x) => known.has(pointOf(x.hop)));
  if (hops.length === 0 && r.sent) return drawSent(t, ids, r);
  const seen = (h: HopResult) => h.seen > 0 && !h.absent;
  const lastSeen = r.passed ? undefined : [...hops].reverse().find((x) => seen(x.hop));
  const markers: Marker[] = hops.map(({ hop, n }) => ({
    dev: ids.device(pointOf(hop)),
    point: pointOf(hop),
    n,
    state: hop.absent ? (hop.passed ? 'absent-ok' : 'absent-fail') : !seen(hop) ? 'missed' : hop.passed && lastSeen?.hop !== hop ? 'pass' : 'fail',
    ...(hop.direction === 'reply' ? { reply: true } : {}),
    ...(lastSeen?.hop === hop ? { lastSeen: true } : {}),
  }));
  // The walk: consecutive hops that stand where the packet should be (absent hops are not on it).
  const onWalk = hops.filter((x) => !x.hop.absent);
  const links: Drawing['links'] = [];
  const devices: string[] = [];
  const tags: Drawing['tags'] = [];
  const add = (id: string, state: 'seen' | 'missed') => {
    const prev = links.find((l) => l.id === id);
    if (!prev) links.push({ id, state });
    else if (state === 'seen') prev.state = 'seen';
  };
  const point = (h: HopResult): WalkPoint => ({ point: pointOf(h), ...(h.evidence ? { encapsulated: isEncapsulated(h.evidence.frame) } : {}) });
  const seenSegments: Segment[] = [];
  const nat = sightings(onWalk.map((x) => x.hop));
  onWalk.forEach((x, i) => {
    if (i > 0) {
      const before = onWalk[i - 1].hop;
      const w = walk(t, [point(before), point(x.hop)]);
      const state = seen(before) && seen(x.hop) ? 'seen' : 'missed';
      for (const s of w.segments) {
        if (state === 'seen') seenSegments.push(s);
        for (const l of s.links) add(ids.link(l), state);
        for (const d of s.devices) if (!devices.includes(ids.device(d))) devices.push(ids.device(d));
        // NAT happens in a routing namespace: a request is rewritten by the first node it
        // crosses, and a reply is put back by that same node, the last on its way back.
        const label = nat[i]?.rewrite.label;
        // A bridged path (pod to pod on one node) crosses no stack, yet the node's netfilter
        // sees it (br_netfilter): then it is the stack of the node whose bridge it crossed.
        const crossed = s.devices.filter((d) => d.startsWith('stack:'));
        const stacks = crossed.length > 0 ? crossed : s.devices.map((d) => stackId(groupOf.get(d) ?? '')).filter((d) => known.has(d));
        const stack = ids.device((x.hop.direction === 'reply' ? stacks[stacks.length - 1] : stacks[0]) ?? s.to);
        if (label && state === 'seen' && !tags.some((g) => g.dev === stack && g.text === label)) tags.push({ dev: stack, text: label });
      }
    } else devices.push(ids.device(pointOf(x.hop)));
  });
  // The overlay tunnel between the tunnel devices the packet was seen crossing.
  for (const l of overlayOf(t, seenSegments)) add(ids.link(l), 'seen');
  return {
    markers,
    links,
    devices,
    tags,
    services: servicesAddressed(
      t,
      ids,
      hops.map((x) => x.hop),
    ),
  };
}

/** Services whose virtual IP is the destination of a request, or the source of a reply. */
function servicesAddressed(t: Topology, ids: DotIds, hops: HopResult[]): string[] {
  const out: string[] = [];
  for (const h of hops) {
    if (!h.evidence) continue;
    const tuple = tupleOf(h.evidence.frame);
    const ip = h.direction === 'reply' ? tuple.src : tuple.dst;
    const svc = t.devices.find((d) => d.kind === 'service' && d.addresses.includes(ip ?? ''));
    if (svc && !out.includes(ids.device(svc.id))) out.push(ids.device(svc.id));
  }
  return out;
}

/** A truth-table cell drawn as a walk from the sender's eth0 to the target's (or its Service):
 * green when it was reachable, red where it was blocked. */
export function drawCell(t: Topology, ids: DotIds, from: string, target: string, reachable: boolean): Drawing {
  const name = target.split(':')[0];
  const to = t.devices.find((d) => d.id === `${name}/eth0`) ?? t.devices.find((d) => d.kind === 'service' && (d.name === name || d.id.endsWith(`/${name}`)));
  return drawBetween(t, ids, t.devices.find((d) => d.id === `${from}/eth0`)?.id, to?.id, reachable);
}

/** An expectation without hops: what its probe sent, from the sender to where it was addressed. */
export function drawSent(t: Topology, ids: DotIds, r: ExpectationResult): Drawing {
  const flow = r.sent?.flow;
  return drawBetween(t, ids, flow && deviceWith(t, flow.src), flow && deviceWith(t, flow.dst), r.sent?.outcome.reply ?? false);
}

/** The device an address stands for: a Service's virtual IP first (kube-ipvs0 holds them all
 * too), then an interface with that address. */
function deviceWith(t: Topology, ip: string): string | undefined {
  const has = (d: { addresses: string[] }) => d.addresses.some((a) => a.split('/')[0] === ip);
  return (t.devices.find((d) => d.kind === 'service' && has(d)) ?? t.devices.find((d) => d.kind !== 'dummy' && has(d)))?.id;
}

function drawBetween(t: Topology, ids: DotIds, from: string | undefined, to: string | undefined, ok: boolean): Drawing {
  const drawing: Drawing = { markers: [], links: [], devices: [], tags: [], services: [] };
  if (from) drawing.markers.push({ dev: ids.device(from), point: from, n: 1, state: 'pass' });
  if (!to) return drawing;
  const service = to.startsWith('svc:');
  if (service) drawing.services.push(ids.device(to));
  drawing.markers.push({ dev: ids.device(to), point: to, n: 2, state: ok ? 'pass' : 'fail' });
  if (service || !from) return drawing;
  const s = route(t, { point: from }, { point: to });
  drawing.links = s.links.map((l) => ({ id: ids.link(l), state: ok ? 'seen' : 'missed' }));
  drawing.devices = s.devices.map((d) => ids.device(d));
  return drawing;
}
