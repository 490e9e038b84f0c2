import { describe, expect, it } from 'vitest';
import { parseNftTrace, parsePacketSummary } from './nft-trace.js';
import { NFT_TRACE_SAMPLES } from './testing/nft-trace-samples.js';

const { TCP_DNAT, TCP_EMPTY_SEP, UDP_FORWARDED, RETURN_AND_DROP } = NFT_TRACE_SAMPLES;

describe('parseNftTrace', () => {
  it('groups events by trace id, in order, with the packet summary as first seen', () => {
    const [p, ...rest] = parseNftTrace(TCP_DNAT);
    expect(rest).toEqual([]);
    expect(p.id).toBe('4ebc5456');
    expect(p.events).toHaveLength(10);
    expect(p.packet).toMatchObject({ oif: 'veth-a', saddr: '10.99.0.1', daddr: '10.96.0.50', protocol: 'tcp', sport: 41794, dport: 80 });
    expect(p.packet!.iif).toBeUndefined();
    expect(p.events[4]).toMatchObject({
      family: 'ip',
      table: 'nat',
      chain: 'OUTPUT',
      kind: 'rule',
      rule: 'counter packets 0 bytes 0 jump KUBE-SERVICES',
      verdict: 'jump KUBE-SERVICES',
    });
    expect(p.events[7]).toMatchObject({
      chain: 'KUBE-SEP-TEST',
      kind: 'rule',
      verdict: 'accept',
      rule: 'meta l4proto tcp  counter packets 0 bytes 0 dnat to 10.99.0.2:8080',
    });
    // The packet dump of a later hook shows the NAT already applied.
    expect(p.events[8]).toMatchObject({ table: 'nat', chain: 'POSTROUTING', kind: 'packet', packet: { daddr: '10.99.0.2', dport: 8080 } });
    expect(p.events[9]).toMatchObject({ chain: 'POSTROUTING', kind: 'policy', verdict: 'accept' });
  });

  it('separates packets, reads iif, udp and icmp, return verdicts and policy drops', () => {
    const udp = parseNftTrace(UDP_FORWARDED);
    expect(udp.map((p) => p.id)).toEqual(['cc976634', 'ef709199']);
    expect(udp[0].packet).toMatchObject({ iif: 'veth-a', saddr: '10.99.0.2', daddr: '10.96.0.10', protocol: 'udp', sport: 38083, dport: 53 });
    expect(udp[1].packet).toMatchObject({ sport: 49661, dport: 53 });

    const [local, ping] = parseNftTrace(RETURN_AND_DROP);
    expect(local.events[2]).toMatchObject({ chain: 'KUBE-POSTROUTING', kind: 'rule', verdict: 'return' });
    expect(ping.packet).toMatchObject({ iif: 'veth-a', protocol: 'icmp', icmpType: 'echo-request', daddr: '10.96.0.10' });
    expect(ping.packet!.sport).toBeUndefined();
    expect(ping.events.at(-1)).toMatchObject({ table: 'filter', chain: 'FORWARD', kind: 'policy', verdict: 'drop' });
  });

  it('ignores what is not a trace event (stderr warnings glued on, blank lines)', () => {
    const [p] = parseNftTrace(`\n# Warning: table ip nat is managed by iptables-nft, do not touch!\n${TCP_EMPTY_SEP}\n`);
    expect(p.events).toHaveLength(10);
    expect(p.events[9]).toMatchObject({ chain: 'POSTROUTING', kind: 'policy', verdict: 'accept' });
  });

  it('reads interleaved packets and splits a trace id that a later packet reuses', () => {
    const a = TCP_DNAT.trim().split('\n');
    const b = TCP_EMPTY_SEP.trim().split('\n');
    const interleaved = a.flatMap((l, i) => [l, b[i]]).join('\n');
    const parsed = parseNftTrace(interleaved);
    expect(parsed.map((p) => [p.id, p.events.length])).toEqual([
      ['4ebc5456', 10],
      ['3c496d02', 10],
    ]);
    // The kernel derives the id from the skb: the same id twice in a row is two packets, told
    // apart by a second packet dump for a base chain already seen.
    const reused = parseNftTrace(TCP_DNAT + TCP_DNAT.replace(/sport 41794/g, 'sport 41795'));
    expect(reused.map((p) => [p.id, p.packet?.sport])).toEqual([
      ['4ebc5456', 41794],
      ['4ebc5456', 41795],
    ]);
  });

  it('reads return events, marks and rules nft no longer knows (kernel/nft line formats)', () => {
    // Lines in the formats nft prints for NFT_TRACETYPE_RETURN and for a rule deleted before
    // the event was printed (not produced by this kernel's iptables-nft chains).
    const [p] = parseNftTrace(
      [
        'trace id 0000beef ip nat KUBE-SVC-X verdict continue meta mark 0x00004000 ',
        'trace id 0000beef ip nat KUBE-SVC-X unknown rule handle 12 (verdict jump KUBE-SEP-Y)',
        'trace id 0000beef ip filter OUTPUT policy accept meta mark 0x00004000 ',
      ].join('\n'),
    );
    expect(p.events).toMatchObject([
      { kind: 'return', verdict: 'continue', mark: '0x00004000' },
      { kind: 'rule', rule: 'unknown rule handle 12', verdict: 'jump KUBE-SEP-Y' },
      { kind: 'policy', verdict: 'accept', mark: '0x00004000' },
    ]);
  });

  it('parses packet summaries', () => {
    expect(parsePacketSummary(' iif "cni0" oif "flannel.1" ip saddr 10.244.1.2 ip daddr 10.244.2.3 udp sport 1 udp dport 2 ')).toEqual({
      iif: 'cni0',
      oif: 'flannel.1',
      saddr: '10.244.1.2',
      daddr: '10.244.2.3',
      protocol: 'udp',
      sport: 1,
      dport: 2,
      raw: 'iif "cni0" oif "flannel.1" ip saddr 10.244.1.2 ip daddr 10.244.2.3 udp sport 1 udp dport 2',
    });
  });
});
