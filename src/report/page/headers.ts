// A captured packet as the report page shows it: its headers layer by layer (outer and inner
// for VXLAN and IP-in-IP), and which addresses and ports changed since the previous hop that
// saw the flow: the DNAT of a ClusterIP to a pod, the SNAT to a node, the un-DNAT of a reply.
// Pure: decoded frames in, rows out.
import type { DecodedFrame } from '../../capture/decode.js';
import { innermost, tcpFlagsToString } from '../../capture/decode.js';
import { dnsOf, type HopResult } from '../../assert/hops.js';

export interface Field {
  name: string;
  value: string;
  /** Changed since the previous hop (the page highlights it). */
  changed?: boolean;
}

export interface Layer {
  title: string;
  fields: Field[];
}

/** The innermost flow of a packet: what NAT rewrites. */
export interface Tuple {
  src?: string;
  dst?: string;
  sport?: number;
  dport?: number;
}

export function tupleOf(frame: DecodedFrame): Tuple {
  const f = innermost(frame);
  const l4 = f.tcp ?? f.udp;
  return { src: f.ipv4?.src, dst: f.ipv4?.dst, sport: l4?.srcPort, dport: l4?.dstPort };
}

export const isEncapsulated = (frame: DecodedFrame) => !!(frame.vxlan || frame.ipip);

export interface Rewrite {
  /** Which innermost fields differ from the previous hop's (after mirroring a reply). */
  changed: Set<keyof Tuple>;
  /** "DNAT", "SNAT", "un-DNAT", "un-SNAT", joined with " + " when both. */
  label?: string;
}

/**
 * What NAT did between two sightings of a flow. The previous packet may travel the other way
 * (the request, then its reply): its source is then compared with this destination and so on.
 */
export function rewriteBetween(prev: { tuple: Tuple; reply: boolean } | undefined, cur: { tuple: Tuple; reply: boolean }): Rewrite {
  const changed = new Set<keyof Tuple>();
  if (!prev) return { changed };
  const p = prev.reply === cur.reply ? prev.tuple : { src: prev.tuple.dst, dst: prev.tuple.src, sport: prev.tuple.dport, dport: prev.tuple.sport };
  for (const k of ['src', 'dst', 'sport', 'dport'] as const) if (p[k] !== undefined && cur.tuple[k] !== undefined && p[k] !== cur.tuple[k]) changed.add(k);
  const dst = changed.has('dst') || changed.has('dport');
  const src = changed.has('src') || changed.has('sport');
  // A request's rewritten destination is DNAT; a reply's rewritten source undoes it.
  const names = cur.reply ? [src && 'un-DNAT', dst && 'un-SNAT'] : [dst && 'DNAT', src && 'SNAT'];
  const label = names.filter(Boolean).join(' + ');
  return { changed, ...(label ? { label } : {}) };
}

/**
 * Which exchange a packet belongs to, whatever NAT did to its addresses and ports: a TCP
 * connection by the client's initial sequence number (a SYN's seq, its SYN-ACK's ack - 1), a
 * ping by its sequence number, a DNS exchange by its id. Undefined when the packet does not say.
 */
export function exchangeOf(frame: DecodedFrame): string | undefined {
  const f = innermost(frame);
  if (f.tcp?.flags.includes('S')) return `tcp ${f.tcp.flags.includes('A') ? (f.tcp.ack - 1) >>> 0 : f.tcp.seq}`;
  if (f.icmp && (f.icmp.type === 0 || f.icmp.type === 8)) return `icmp ${f.icmp.seq}`;
  const dns = dnsOf(f);
  if (dns) return `dns ${dns.id}`;
  return undefined;
}

export interface Sighting {
  /** What NAT did since the last sighting of the same exchange. */
  rewrite: Rewrite;
  /** The packet was encapsulated (or decapsulated) since then. */
  encapsulated?: boolean;
  decapsulated?: boolean;
}

/**
 * For each hop (in lab-file order) with a packet, what changed since the same exchange was last
 * seen at an earlier hop. With many requests (repeat), two hops usually show different
 * connections: the earlier sighting is found among every packet of the flow seen there, so a
 * packet is only ever compared with itself (or its own request, for a reply).
 */
export function sightings(hops: HopResult[]): (Sighting | undefined)[] {
  return hops.map((h, i) => {
    if (!h.evidence || h.absent) return undefined;
    const frame = h.evidence.frame;
    const cur = { tuple: tupleOf(frame), reply: h.direction === 'reply' };
    const key = exchangeOf(frame);
    let prev: { frame: DecodedFrame; reply: boolean } | undefined;
    for (let j = i - 1; j >= 0 && !prev; j--) {
      const e = hops[j];
      if (!e.evidence || e.absent) continue;
      const reply = e.direction === 'reply';
      if (key === undefined) prev = { frame: e.evidence.frame, reply };
      else {
        const same = (e.flow ?? [e.evidence]).find((p) => exchangeOf(p.frame) === key && tupleOf(p.frame).src !== undefined);
        if (same) prev = { frame: same.frame, reply };
      }
    }
    if (!prev) return { rewrite: { changed: new Set() } };
    const rewrite = rewriteBetween({ tuple: tupleOf(prev.frame), reply: prev.reply }, cur);
    const [was, is] = [isEncapsulated(prev.frame), isEncapsulated(frame)];
    return { rewrite, ...(is && !was ? { encapsulated: true } : {}), ...(was && !is ? { decapsulated: true } : {}) };
  });
}

const ICMP_NAMES: Record<number, string> = { 0: 'echo reply', 3: 'destination unreachable', 8: 'echo request', 11: 'time exceeded' };

/** One frame's layers from the outside in; `changed` marks the innermost fields NAT rewrote. */
export function headerLayers(frame: DecodedFrame, changed: Set<keyof Tuple> = new Set()): Layer[] {
  const layers: Layer[] = [];
  const walk = (f: DecodedFrame, depth: number, inner: boolean) => {
    const tag = depth === 0 && (f.vxlan || f.ipip) ? ' (outer)' : depth > 0 ? ' (inner)' : '';
    const mark = (k: keyof Tuple) => inner && changed.has(k);
    if (f.eth.src || f.eth.dst) layers.push({ title: `Ethernet${tag}`, fields: [field('src', f.eth.src), field('dst', f.eth.dst)] });
    if (f.arp) {
      const a = f.arp;
      layers.push({
        title: 'ARP',
        fields: [
          field('op', a.op === 1 ? 'request' : a.op === 2 ? 'reply' : String(a.op)),
          field('sender', `${a.senderIp} ${a.senderMac}`),
          field('target', a.targetIp),
        ],
      });
      return;
    }
    const ip = f.ipv4;
    if (!ip) return;
    layers.push({
      title: `IPv4${tag}`,
      fields: [
        field('src', ip.src, mark('src')),
        field('dst', ip.dst, mark('dst')),
        field('ttl', String(ip.ttl)),
        field('length', String(ip.totalLength)),
        ...(ip.dontFragment ? [field('flags', 'DF')] : []),
      ],
    });
    if (f.tcp)
      layers.push({
        title: `TCP${tag}`,
        fields: [
          field('sport', String(f.tcp.srcPort), mark('sport')),
          field('dport', String(f.tcp.dstPort), mark('dport')),
          field('flags', f.tcp.flags || tcpFlagsToString(0)),
        ],
      });
    if (f.udp)
      layers.push({ title: `UDP${tag}`, fields: [field('sport', String(f.udp.srcPort), mark('sport')), field('dport', String(f.udp.dstPort), mark('dport'))] });
    if (f.icmp) {
      const i = f.icmp;
      layers.push({
        title: `ICMP${tag}`,
        fields: [
          field('type', ICMP_NAMES[i.type] ?? String(i.type)),
          ...(i.type === 3 ? [field('code', String(i.code))] : []),
          ...(i.id !== undefined ? [field('id', String(i.id)), field('seq', String(i.seq))] : []),
          ...(i.nextHopMtu !== undefined ? [field('mtu', String(i.nextHopMtu))] : []),
        ],
      });
    }
    if (f.vxlan) {
      layers.push({ title: 'VXLAN', fields: [field('vni', String(f.vxlan.vni))] });
      walk(f.vxlan.inner, depth + 1, true);
      return;
    }
    if (f.ipip) {
      layers.push({ title: 'IP-in-IP', fields: [field('protocol', '4 (IPv4 in IPv4)')] });
      walk(f.ipip.inner, depth + 1, true);
      return;
    }
    const app = applicationLayer(f);
    if (app) layers.push(app);
  };
  walk(frame, 0, !isEncapsulated(frame));
  return layers;
}

function field(name: string, value: string, changed = false): Field {
  return changed ? { name, value, changed } : { name, value };
}

/** DNS (decoded) and the first line of HTTP, when the packet carries them. */
function applicationLayer(f: DecodedFrame): Layer | undefined {
  const dns = dnsOf(f);
  if (dns) {
    const q = dns.questions?.[0];
    const fields = [field(dns.type === 'response' ? 'response' : 'query', q ? `${q.type} ${q.name}` : '?')];
    if (dns.type === 'response') {
      fields.push(field('rcode', String((dns as { rcode?: string }).rcode ?? 'NOERROR')));
      for (const a of dns.answers ?? []) {
        const data = 'data' in a ? a.data : undefined;
        fields.push(field('answer', `${a.type} ${typeof data === 'string' ? data : JSON.stringify(data)}`));
      }
    }
    return { title: 'DNS', fields };
  }
  if (f.tcp && f.payload && f.payload.length > 0) {
    const line = f.payload.subarray(0, 200).toString('latin1').split('\r\n')[0];
    if (/^HTTP\/\d/.test(line)) return { title: 'HTTP', fields: [field('status', line)] };
    if (/^[A-Z]+ \S+ HTTP\/\d/.test(line)) return { title: 'HTTP', fields: [field('request', line)] };
  }
  return undefined;
}
