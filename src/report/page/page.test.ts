// The report page's pure parts: headers and NAT between hops, the drawing of a walk (markers,
// links, "last seen here", NAT at the node that did it), and the page itself (self-contained,
// escaped). The browser tests (test/kernel/report.test.ts) open real runs' pages.
import { Buffer } from 'node:buffer';
import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import type { ExpectationResult } from '../../assert/expectation.js';
import type { HopResult } from '../../assert/hops.js';
import { buildEthernet, buildIpv4, buildTcp, buildUdp } from '../../capture/build.js';
import { decodeEthernet } from '../../capture/decode.js';
import type { CapturedPacket } from '../../capture/pcap.js';
import { vxlanEcho } from '../../capture/testing/frames.js';
import { dotIds } from '../../topology/dot.js';
import { labTopology } from '../../topology/testing/labs.js';
import { buildReport } from '../report.js';
import { headerLayers, rewriteBetween, sightings } from './headers.js';
import { commandLine, renderPage } from './html.js';
import { buildReportPage } from './page.js';
import { drawWalk } from './walks.js';

const packet = (data: Buffer): CapturedPacket => ({
  index: 0,
  timeMs: 0,
  capturedLength: data.length,
  originalLength: data.length,
  frame: decodeEthernet(data),
});
const MAC = { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02', etherType: 0x0800 };
function tcp(src: string, dst: string, sport: number, dport: number, flags = 'S', payload?: Buffer, seq = 1000, ack = 0): CapturedPacket {
  return packet(
    buildEthernet({ ...MAC, payload: buildIpv4({ src, dst, protocol: 6, payload: buildTcp({ srcPort: sport, dstPort: dport, flags, payload, seq, ack }) }) }),
  );
}
const result = (hops: HopResult[], r: Partial<ExpectationResult> = {}): ExpectationResult => ({
  name: 'e',
  passed: true,
  message: '',
  durationMs: 1,
  hops,
  ...r,
});
const hop = (points: string[], h: Partial<HopResult>): HopResult => ({
  at: points.join(' | '),
  passed: true,
  detail: '',
  seen: 1,
  absent: false,
  points,
  ...h,
});

describe('what NAT did between two hops', () => {
  const req = { tuple: { src: '10.244.0.2', dst: '10.97.253.216', sport: 50478, dport: 80 }, reply: false };
  it('names a rewritten destination of a request DNAT and a rewritten source SNAT', () => {
    expect(rewriteBetween(req, { tuple: { ...req.tuple, dst: '10.244.1.5' }, reply: false })).toEqual({ changed: new Set(['dst']), label: 'DNAT' });
    const nodePort = rewriteBetween(
      { tuple: { src: '10.10.20.100', dst: '10.10.20.4', sport: 40000, dport: 30080 }, reply: false },
      { tuple: { src: '10.8.0.1', dst: '10.8.0.5', sport: 61000, dport: 80 }, reply: false },
    );
    expect(nodePort).toEqual({ changed: new Set(['src', 'dst', 'sport', 'dport']), label: 'DNAT + SNAT' });
  });

  it('compares a reply with the request mirrored: the ClusterIP back as the source is un-DNAT', () => {
    const atPod = { tuple: { ...req.tuple, dst: '10.244.1.5' }, reply: false };
    expect(rewriteBetween(atPod, { tuple: { src: '10.244.1.5', dst: '10.244.0.2', sport: 80, dport: 50478 }, reply: true })).toEqual({ changed: new Set() });
    expect(rewriteBetween(atPod, { tuple: { src: '10.97.253.216', dst: '10.244.0.2', sport: 80, dport: 50478 }, reply: true })).toEqual({
      changed: new Set(['src']),
      label: 'un-DNAT',
    });
  });

  it('has nothing to compare on the first hop', () => {
    expect(rewriteBetween(undefined, req)).toEqual({ changed: new Set() });
  });
});

describe('sightings', () => {
  it('compare a packet with the same connection at an earlier hop, not with another connection of the same probe', () => {
    // NodePort with repeat: the client sent two SYNs; pod-a got the second, pod-d the first.
    const client = [tcp('10.10.20.100', '10.10.20.4', 40001, 30080, 'S', undefined, 1), tcp('10.10.20.100', '10.10.20.4', 40002, 30080, 'S', undefined, 2)];
    const hops = [
      hop(['client/eth0'], { evidence: client[0], flow: client }),
      hop(['pod-a/eth0'], { evidence: tcp('10.8.0.1', '10.8.0.5', 17869, 80, 'S', undefined, 2) }),
      hop(['pod-d/eth0'], { evidence: tcp('10.8.0.0', '10.8.1.10', 11941, 80, 'S', undefined, 1) }),
    ];
    const s = sightings(hops);
    expect(s[0]?.rewrite.label).toBeUndefined();
    expect(s[1]?.rewrite).toEqual({ changed: new Set(['src', 'dst', 'sport', 'dport']), label: 'DNAT + SNAT' });
    // pod-d's packet is the client's first SYN: compared with it (not with pod-a's), port 80 is the DNAT's.
    expect(s[2]?.rewrite).toEqual({ changed: new Set(['src', 'dst', 'sport', 'dport']), label: 'DNAT + SNAT' });
    const onlyPodD = sightings([hops[1], hops[2]]);
    expect(onlyPodD[1]?.rewrite).toEqual({ changed: new Set() });
  });

  it('notice encapsulation and decapsulation', () => {
    const inner = packet(vxlanEcho().subarray(50));
    const s = sightings([
      hop(['w1/flannel.1'], { evidence: inner }),
      hop(['w1/eth0'], { evidence: packet(vxlanEcho()) }),
      hop(['pod-d/eth0'], { evidence: inner }),
    ]);
    expect(s.map((x) => [!!x?.encapsulated, !!x?.decapsulated, x?.rewrite.label])).toEqual([
      [false, false, undefined],
      [true, false, undefined],
      [false, true, undefined],
    ]);
  });
});

describe('headers of a packet', () => {
  it('VXLAN: outer Ethernet/IPv4/UDP, the VNI, then the inner packet; only inner addresses are NAT marks', () => {
    const layers = headerLayers(decodeEthernet(vxlanEcho(8472, 1)), new Set(['dst']));
    expect(layers.map((l) => l.title)).toEqual([
      'Ethernet (outer)',
      'IPv4 (outer)',
      'UDP (outer)',
      'VXLAN',
      'Ethernet (inner)',
      'IPv4 (inner)',
      'ICMP (inner)',
    ]);
    expect(layers[2].fields).toContainEqual({ name: 'dport', value: '8472' });
    expect(layers[3].fields).toEqual([{ name: 'vni', value: '1' }]);
    expect(layers[1].fields.find((f) => f.name === 'dst')).toEqual({ name: 'dst', value: '10.10.20.5' });
    expect(layers[5].fields.find((f) => f.name === 'dst')).toEqual({ name: 'dst', value: '10.8.1.10', changed: true });
  });

  it('DNS queries and answers, HTTP status lines', () => {
    const q = dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'A', name: 'web-service.default.svc.cluster.local' }] });
    const r = dnsPacket.encode({
      type: 'response',
      id: 1,
      questions: [{ type: 'A', name: 'web-service.default.svc.cluster.local' }],
      answers: [{ type: 'A', name: 'web-service.default.svc.cluster.local', data: '10.97.253.216' }],
    });
    const udp = (srcPort: number, dstPort: number, payload: Buffer) =>
      decodeEthernet(
        buildEthernet({ ...MAC, payload: buildIpv4({ src: '10.244.0.2', dst: '10.96.0.10', protocol: 17, payload: buildUdp({ srcPort, dstPort, payload }) }) }),
      );
    expect(headerLayers(udp(40000, 53, q)).at(-1)).toEqual({ title: 'DNS', fields: [{ name: 'query', value: 'A web-service.default.svc.cluster.local' }] });
    expect(headerLayers(udp(53, 40000, r)).at(-1)?.fields).toEqual([
      { name: 'response', value: 'A web-service.default.svc.cluster.local' },
      { name: 'rcode', value: 'NOERROR' },
      { name: 'answer', value: 'A 10.97.253.216' },
    ]);
    const ok = tcp('10.8.1.10', '10.8.0.5', 80, 43436, 'PA', Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\npod-d'));
    expect(headerLayers(ok.frame).at(-1)).toEqual({ title: 'HTTP', fields: [{ name: 'status', value: 'HTTP/1.1 200 OK' }] });
  });
});

describe('the drawing of a walk', () => {
  it('clusterip: numbered hops, DNAT at the client node, un-DNAT there too on the way back, the Service addressed', async () => {
    const t = await labTopology('clusterip');
    const ids = dotIds();
    const web = ['web-64c966cf88-n66tm/eth0', 'web-64c966cf88-4x8xq/eth0', 'web-64c966cf88-45528/eth0'];
    const r = result([
      hop(['test-dns/eth0'], { evidence: tcp('10.244.0.2', '10.97.253.216', 50478, 80) }),
      hop(['controlplane/flannel.1'], { evidence: tcp('10.244.0.2', '10.244.1.5', 50478, 80) }),
      hop(web, { evidence: tcp('10.244.0.2', '10.244.1.5', 50478, 80), seenAt: web[2] }),
      // The SYN-ACK acknowledges the SYN (seq 1000): the same connection, seen on its way back.
      hop(['test-dns/eth0'], { evidence: tcp('10.97.253.216', '10.244.0.2', 80, 50478, 'SA', undefined, 5000, 1001), direction: 'reply' }),
      { at: 'controlplane nat chains', chain: true, passed: true, detail: '', seen: 1, absent: false },
    ]);
    const d = drawWalk(t, ids, r);
    expect(d.markers.map((m) => [m.n, m.point, m.state, !!m.reply])).toEqual([
      [1, 'test-dns/eth0', 'pass', false],
      [2, 'controlplane/flannel.1', 'pass', false],
      [3, web[2], 'pass', false],
      [4, 'test-dns/eth0', 'pass', true],
    ]);
    expect(d.tags).toEqual([
      { dev: ids.device('stack:controlplane'), text: 'DNAT' },
      { dev: ids.device('stack:controlplane'), text: 'un-DNAT' },
    ]);
    expect(d.services).toEqual([ids.device('svc:default/web-service')]);
    expect(d.links.every((l) => l.state === 'seen')).toBe(true);
    expect(d.links).toContainEqual({ id: ids.link(t.links.find((l) => l.kind === 'tunnel')!.id), state: 'seen' });
  });

  it('names NAT on a bridged path at the node whose bridge it crossed', async () => {
    const t = await labTopology('flannel-vxlan');
    const ids = dotIds();
    const r: ExpectationResult = {
      name: 'pod -> service on one node',
      passed: true,
      message: '',
      durationMs: 1,
      hops: [
        hop(['pod-a/eth0'], { evidence: tcp('10.8.0.5', '10.96.10.50', 46342, 80) }),
        hop(['pod-b/eth0'], { evidence: tcp('10.8.0.5', '10.8.0.8', 46342, 80) }),
      ],
    };
    expect(drawWalk(t, ids, r).tags).toEqual([{ dev: ids.device('stack:w1'), text: 'DNAT' }]);
  });

  it('an expectation without hops: from the sender to where it was addressed (a Service, or a pod by a path)', async () => {
    const t = await labTopology('clusterip');
    const ids = dotIds();
    const sent = (dst: string, reply: boolean) =>
      result([], {
        passed: reply,
        sent: { kind: 'http', flow: { protocol: 'tcp', src: '10.244.0.2', dst, dstPort: 80 }, outcome: { reply, bodies: [], exitCode: reply ? 0 : 7 } },
      });
    const toService = drawWalk(t, ids, sent('10.97.253.216', true));
    expect(toService.markers.map((m) => [m.point, m.state])).toEqual([
      ['test-dns/eth0', 'pass'],
      ['svc:default/web-service', 'pass'],
    ]);
    expect(toService.services).toEqual([ids.device('svc:default/web-service')]);
    const toPod = drawWalk(t, ids, sent('10.244.1.3', false));
    expect(toPod.markers.map((m) => [m.point, m.state])).toEqual([
      ['test-dns/eth0', 'pass'],
      ['web-64c966cf88-n66tm/eth0', 'fail'],
    ]);
    expect(toPod.links.length).toBeGreaterThan(8);
    expect(toPod.links.every((l) => l.state === 'missed')).toBe(true);
  });

  it('a failed walk: red at the last hop seen ("last seen here"), the hops after it missed, their links dashed', async () => {
    const t = await labTopology('flannel-vxlan');
    const ids = dotIds();
    const seen = packet(vxlanEcho().subarray(50)); // the inner frame: pod-a -> pod-d, unencapsulated
    const points = ['pod-a/eth0', 'w1/cni0', 'w1/flannel.1', 'w1/eth0', 'pod-d/eth0'];
    const r = result(
      points.map((p, i) => (i < 3 ? hop([p], { evidence: seen }) : hop([p], { passed: false, seen: 0 }))),
      { passed: false },
    );
    const d = drawWalk(t, ids, r);
    expect(d.markers.map((m) => [m.point, m.state, !!m.lastSeen])).toEqual([
      ['pod-a/eth0', 'pass', false],
      ['w1/cni0', 'pass', false],
      ['w1/flannel.1', 'fail', true],
      ['w1/eth0', 'missed', false],
      ['pod-d/eth0', 'missed', false],
    ]);
    const state = (a: string, b: string) => d.links.find((l) => l.id === ids.link(t.links.find((x) => x.a === a && x.b === b)!.id))?.state;
    expect(state('w1/cni0', 'stack:w1')).toBe('seen');
    expect(state('w1/flannel.1', 'w1/eth0')).toBe('missed');
    expect(state('w2/flannel.1', 'w2/eth0')).toBe('missed');
  });
});

describe('the page', () => {
  it('says a repeated argument once, with its count', () => {
    expect(commandLine(['curl', '-sS', 'http://a/', 'http://a/', 'http://a/'])).toBe('curl -sS http://a/ (× 3)');
    expect(commandLine(['ping', '-c', '2', '2'])).toBe('ping -c 2 2');
  });

  const results: ExpectationResult[] = [
    { name: 'a </script><b> "quoted" & odd', passed: false, message: 'expected <x> & y', hops: [], durationMs: 1 },
    { name: 'pending one', passed: false, skipped: 'pending: later', message: 'pending: later', hops: [], durationMs: 0 },
  ];
  const report = buildReport('l', results, 1500);

  it('is self-contained: a policy that allows nothing from anywhere, no external reference', () => {
    const html = renderPage({ report, results, svg: '<svg></svg>', drawings: [], files: ['report.json'] });
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"`);
    expect(html).not.toMatch(/<(link|img|iframe)\b|\bsrc="|url\(|https?:\/\/(?!www\.w3\.org)/);
  });

  it('escapes names in HTML and in the embedded JSON (no "</script>" can end it early)', () => {
    const html = renderPage({ report, results, svg: '<svg></svg>', drawings: [], files: [] });
    expect(html).toContain('<span>a &lt;/script&gt;&lt;b&gt; &quot;quoted&quot; &amp; odd</span>');
    expect(html.match(/<\/script>/g)).toHaveLength(2); // the data's and the script's own
    const json = /<script type="application\/json" id="wirelab-data">(.*?)<\/script>/s.exec(html)![1];
    expect(JSON.parse(json).expectations.map((e: { name: string; status: string }) => [e.name, e.status])).toEqual([
      [results[0].name, 'fail'],
      ['pending one', 'skip'],
    ]);
    expect(JSON.parse(json).firstFailed).toBe(0);
  });

  it('inlines the topology laid out by Graphviz, with an element per device the walks refer to', async () => {
    const t = await labTopology('flannel-vxlan');
    const html = await buildReportPage(buildReport('flannel-vxlan', [], 1), [], t, []);
    expect(html).toMatch(/<section id="topology" aria-label="Topology">\s*<svg /);
    for (const d of t.devices) expect(html).toContain(`<title>${d.id.replace(/-/g, '&#45;')}</title>`);
  });
});
