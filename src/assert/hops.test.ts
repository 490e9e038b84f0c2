// Hop assertions on frames built byte by byte (src/capture/build.ts) and decoded the way
// captures are (decodeEthernet), for the seed 004 cross-node path:
// pod-a 10.8.0.5 on w1 10.10.20.4 -> pod-d 10.8.1.10 on w2 10.10.20.5, VXLAN VNI 1, UDP 8472.
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { buildEthernet, buildIcmpEcho, buildIpv4, buildTcp, buildUdp, buildVxlan } from '../capture/build.js';
import { decodeEthernet } from '../capture/decode.js';
import type { CapturedPacket } from '../capture/pcap.js';
import type { Flow } from '../probe/probe.js';
import { hopSchema, expectationSchema, type HopSpec } from '../labfile/schema.js';
import { belongsToFlow, evaluateHop, flowText, lastSeen, mismatches, type HopResult } from './hops.js';
import { judgeOutcome, summarize } from './expectation.js';

const IP: Record<string, string> = { 'pod-a': '10.8.0.5', 'pod-b': '10.8.0.8', 'pod-d': '10.8.1.10', w1: '10.10.20.4', w2: '10.10.20.5' };
const resolve = (v: string) => IP[v] ?? v;

const MAC_A = '02:00:00:00:00:0a';
const MAC_B = '02:00:00:00:00:0b';

function ipFrame(src: string, dst: string, protocol: number, payload: Buffer): Buffer {
  return buildEthernet({ src: MAC_A, dst: MAC_B, etherType: 0x0800, payload: buildIpv4({ src, dst, protocol, payload }) });
}
const echo = (src: string, dst: string, type: 8 | 0 = 8, data = Buffer.alloc(56)) => ipFrame(src, dst, 1, buildIcmpEcho({ type, id: 7, seq: 1, data }));
const tcp = (src: string, dst: string, srcPort: number, dstPort: number, flags = 'S') => ipFrame(src, dst, 6, buildTcp({ srcPort, dstPort, flags }));
function vxlan(inner: Buffer, vni = 1, outerSrc = '10.10.20.4', outerDst = '10.10.20.5', dstPort = 8472): Buffer {
  return ipFrame(outerSrc, outerDst, 17, buildUdp({ srcPort: 40000, dstPort, payload: buildVxlan({ vni, inner }) }));
}

let index = 0;
function captured(data: Buffer, timeMs = 1000): CapturedPacket {
  return { index: index++, timeMs, capturedLength: data.length, originalLength: data.length, frame: decodeEthernet(data) };
}
const hop = (h: Record<string, unknown>): HopSpec => hopSchema.parse(h);

const PING: Flow = { protocol: 'icmp', src: '10.8.0.5', dst: '10.8.1.10' };
const HTTP: Flow = { protocol: 'tcp', src: '10.8.0.5', dst: '10.8.1.10', dstPort: 80 };

describe('belongsToFlow', () => {
  it('matches the echo request forward and the echo reply in the reply direction', () => {
    expect(belongsToFlow(decodeEthernet(echo('10.8.0.5', '10.8.1.10', 8)), PING, 'forward')).toBe(true);
    expect(belongsToFlow(decodeEthernet(echo('10.8.0.5', '10.8.1.10', 8)), PING, 'reply')).toBe(false);
    expect(belongsToFlow(decodeEthernet(echo('10.8.1.10', '10.8.0.5', 0)), PING, 'reply')).toBe(true);
    expect(belongsToFlow(decodeEthernet(echo('10.8.1.10', '10.8.0.5', 0)), PING, 'forward')).toBe(false);
  });

  it('rejects other addresses and other protocols', () => {
    expect(belongsToFlow(decodeEthernet(echo('10.8.0.8', '10.8.1.10')), PING, 'forward')).toBe(false);
    expect(belongsToFlow(decodeEthernet(tcp('10.8.0.5', '10.8.1.10', 43512, 80)), PING, 'forward')).toBe(false);
  });

  it('matches TCP by destination port forward and by source port in reply', () => {
    expect(belongsToFlow(decodeEthernet(tcp('10.8.0.5', '10.8.1.10', 43512, 80)), HTTP, 'forward')).toBe(true);
    expect(belongsToFlow(decodeEthernet(tcp('10.8.0.5', '10.8.1.10', 43512, 8080)), HTTP, 'forward')).toBe(false);
    expect(belongsToFlow(decodeEthernet(tcp('10.8.1.10', '10.8.0.5', 80, 43512, 'SA')), HTTP, 'reply')).toBe(true);
    expect(belongsToFlow(decodeEthernet(tcp('10.8.1.10', '10.8.0.5', 81, 43512, 'SA')), HTTP, 'reply')).toBe(false);
  });

  it('looks at the innermost header of a VXLAN packet', () => {
    const outer = decodeEthernet(vxlan(echo('10.8.0.5', '10.8.1.10')));
    expect(outer.ipv4?.src).toBe('10.10.20.4');
    expect(belongsToFlow(outer, PING, 'forward')).toBe(true);
    expect(belongsToFlow(decodeEthernet(vxlan(echo('10.8.1.10', '10.8.0.5', 0), 1, '10.10.20.5', '10.10.20.4')), PING, 'reply')).toBe(true);
    expect(belongsToFlow(decodeEthernet(vxlan(echo('10.8.0.8', '10.8.1.10'))), PING, 'forward')).toBe(false);
  });
});

describe('evaluateHop', () => {
  it('passes a present hop whose packet matches, resolving pod names to addresses', () => {
    const r = evaluateHop(
      hop({ at: 'pod-a/eth0', packet: { src: 'pod-a', dst: 'pod-d', icmp: { type: 'echo-request' } } }),
      [captured(echo('10.8.0.5', '10.8.1.10'))],
      PING,
      resolve,
    );
    expect(r).toMatchObject({ at: 'pod-a/eth0', passed: true, seen: 1, absent: false });
    expect(r.detail).toBe('10.8.0.5 > 10.8.1.10 ICMP echo request id 7 seq 1 (98 bytes)');
  });

  it('fails a present hop where no packet of the flow was seen, counting the others', () => {
    const r = evaluateHop(hop({ at: 'w2/flannel.1' }), [captured(echo('10.8.0.8', '10.8.1.10')), captured(tcp('10.8.0.5', '10.8.1.10', 1, 22))], PING, resolve);
    expect(r).toMatchObject({ passed: false, seen: 0 });
    expect(r.detail).toBe('no request packet 10.8.0.5 > 10.8.1.10 ICMP seen (2 other packets, e.g. 10.8.0.8 > 10.8.1.10 ICMP echo request id 7 seq 1)');
  });

  it('passes an absent hop with no packet of the flow and fails it when one is there', () => {
    const absent = hop({ at: 'w1/eth0', absent: true });
    const ok = evaluateHop(absent, [captured(echo('10.8.0.8', '10.8.1.10'))], PING, resolve);
    expect(ok).toMatchObject({ passed: true, seen: 0, absent: true });
    expect(ok.detail).toBe('no request packet 10.8.0.5 > 10.8.1.10 ICMP, as expected (1 other packets)');
    const bad = evaluateHop(absent, [captured(vxlan(echo('10.8.0.5', '10.8.1.10')))], PING, resolve);
    expect(bad).toMatchObject({ passed: false, seen: 1, absent: true });
    expect(bad.detail).toMatch(
      /^expected no request packet here, saw 1: 10\.10\.20\.4\.40000 > 10\.10\.20\.5\.8472 VXLAN vni 1 \| 10\.8\.0\.5 > 10\.8\.1\.10 ICMP echo request/,
    );
  });

  it('checks the outer header, VNI, overhead 50 and the inner addresses of an encapsulated packet', () => {
    const h = hop({
      at: 'w1/eth0',
      packet: { src: 'w1', dst: 'w2', udp: { dstPort: 8472 }, vxlan: { vni: 1 }, inner: { src: 'pod-a', dst: 'pod-d' }, overhead: 50 },
    });
    const r = evaluateHop(h, [captured(vxlan(echo('10.8.0.5', '10.8.1.10')))], PING, resolve);
    expect(r.passed).toBe(true);
    expect(r.detail).toMatch(/\(148 bytes\)$/); // 98-byte inner frame + 50
  });

  it('fails on a wrong VNI, naming field, actual and expected value', () => {
    const h = hop({ at: 'w1/eth0', packet: { vxlan: { vni: 1 } } });
    const r = evaluateHop(h, [captured(vxlan(echo('10.8.0.5', '10.8.1.10'), 2))], PING, resolve);
    expect(r.passed).toBe(false);
    expect(r.seen).toBe(1);
    expect(r.detail).toMatch(/^1 packets of the flow, none as expected: vxlan\.vni is 2, expected 1 \(e\.g\. /);
  });

  it('reports inner mismatches with the inner. prefix and resolved addresses', () => {
    const frame = decodeEthernet(vxlan(echo('10.8.0.5', '10.8.1.10')));
    expect(mismatches(frame, { inner: { src: 'pod-b', dst: 'pod-d' } }, resolve)).toEqual(['inner.src is 10.8.0.5, expected 10.8.0.8']);
    expect(mismatches(frame, { src: 'pod-a' }, resolve)).toEqual(['src is 10.10.20.4, expected 10.8.0.5']);
    expect(mismatches(frame, { overhead: 40, udp: { dstPort: 4789 } }, resolve)).toEqual(['udp.dstPort is 8472, expected 4789', 'overhead is 50, expected 40']);
  });

  it('says an unencapsulated packet has no VXLAN, overhead or inner packet', () => {
    const frame = decodeEthernet(echo('10.8.0.5', '10.8.1.10'));
    expect(mismatches(frame, { vxlan: { vni: 1 }, overhead: 50, inner: { src: 'pod-a' } }, resolve)).toEqual([
      'not VXLAN-encapsulated',
      'not encapsulated, so it has no overhead',
      'not encapsulated, so it has no inner packet',
    ]);
    expect(mismatches(frame, { tcp: { dstPort: 80 } }, resolve)).toEqual(['protocol is not TCP']);
  });

  it('checks the IPv4 total length for the MTU expectations (1422 + 28 = 1450)', () => {
    const frame = decodeEthernet(echo('10.8.0.5', '10.8.1.10', 8, Buffer.alloc(1422)));
    expect(mismatches(frame, { length: 1450 }, resolve)).toEqual([]);
    expect(mismatches(frame, { length: 1451 }, resolve)).toEqual(['length is 1450, expected 1451']);
  });

  it('checks a minimum length for full-size segments (a GSO packet of many segments is longer still)', () => {
    const frame = decodeEthernet(echo('10.8.0.5', '10.8.1.10', 8, Buffer.alloc(1422)));
    expect(mismatches(frame, { minLength: 1400 }, resolve)).toEqual([]);
    expect(mismatches(frame, { minLength: 1450 }, resolve)).toEqual([]);
    expect(mismatches(frame, { minLength: 1451 }, resolve)).toEqual(['length is 1450, expected at least 1451']);
  });

  it('passes when any packet of the flow matches, not only the first', () => {
    const h = hop({ at: 'pod-d/eth0', packet: { tcp: { flags: 'PA' } } });
    const r = evaluateHop(h, [captured(tcp('10.8.0.5', '10.8.1.10', 43512, 80, 'S')), captured(tcp('10.8.0.5', '10.8.1.10', 43512, 80, 'PA'))], HTTP, resolve);
    expect(r).toMatchObject({ passed: true, seen: 2 });
    expect(r.detail).toMatch(/\[PA\]/);
  });

  it('evaluates reply hops on the reply direction', () => {
    const h = hop({ at: 'pod-d/eth0', direction: 'reply', packet: { src: 'pod-d', dst: 'pod-a', tcp: { srcPort: 80 } } });
    const r = evaluateHop(h, [captured(tcp('10.8.0.5', '10.8.1.10', 43512, 80)), captured(tcp('10.8.1.10', '10.8.0.5', 80, 43512, 'SA'))], HTTP, resolve);
    expect(r).toMatchObject({ passed: true, seen: 1 });
    expect(flowText(HTTP, 'reply')).toBe('10.8.1.10 > 10.8.0.5 TCP sport 80');
    expect(flowText(HTTP)).toBe('10.8.0.5 > 10.8.1.10 TCP dport 80');
  });
});

describe('summarize', () => {
  const expectation = expectationSchema.parse({
    name: 'cross-node',
    send: { from: 'pod-a', to: 'pod-d', ping: {} },
    hops: [{ at: 'pod-a/eth0' }, { at: 'w1/flannel.1' }, { at: 'w1/eth0' }, { at: 'pod-d/eth0' }],
  });

  it('names the first failed hop and the last hop where the packet was seen', () => {
    const pkt = [captured(echo('10.8.0.5', '10.8.1.10'))];
    const hops: HopResult[] = expectation.hops.map((h, i) => evaluateHop(h, i < 2 ? pkt : [], PING, resolve));
    expect(hops.map((h) => h.passed)).toEqual([true, true, false, false]);
    expect(lastSeen(hops)?.at).toBe('w1/flannel.1');
    const v = summarize(expectation, [], hops);
    expect(v.passed).toBe(false);
    expect(v.message).toBe('hop w1/eth0: no request packet 10.8.0.5 > 10.8.1.10 ICMP seen (0 other packets); packet last seen at w1/flannel.1');
  });

  it('puts outcome problems first and says when the packet was seen nowhere', () => {
    const hops = expectation.hops.map((h) => evaluateHop(h, [], PING, resolve));
    const outcome = judgeOutcome(expectation, { reply: false, bodies: [], error: 'connect: Network is unreachable\nmore', exitCode: 2 });
    expect(outcome).toEqual(['expected a reply, got none (connect: Network is unreachable)']);
    expect(summarize(expectation, outcome, hops).message).toBe(
      'expected a reply, got none (connect: Network is unreachable); hop pod-a/eth0: no request packet 10.8.0.5 > 10.8.1.10 ICMP seen (0 other packets); packet not seen at any capture point',
    );
  });

  it('passes with every hop as expected', () => {
    const pkt = [captured(echo('10.8.0.5', '10.8.1.10'))];
    const hops = expectation.hops.map((h) => evaluateHop(h, pkt, PING, resolve));
    expect(summarize(expectation, [], hops)).toEqual({ passed: true, message: 'ok: 4 hops as expected' });
  });
});
