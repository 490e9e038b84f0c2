import { describe, expect, it } from 'vitest';
import { chainPath, matchChainPath, parseNftTrace, parsePacketSummary, traceMatchExpr, traceTableDeleteRules, traceTableRules } from './nft-trace.js';

// Real `nft monitor trace` output (nftables 1.0.6, kernel 6.18, iptables-nft 1.8.9) from the
// namespaces of test/kernel/trace.test.ts; long packet dumps shortened only where marked "...".
// The "counter packets N" in rule text is nft's cached copy from when the monitor started.

/** curl from the node to ClusterIP 10.96.0.50:80, DNAT-ed by KUBE-SEP-TEST to 10.99.0.2:8080. */
const TCP_DNAT = `trace id 4ebc5456 ip wirelab_trace output packet: oif "veth-a" ip saddr 10.99.0.1 ip daddr 10.96.0.50 ip dscp cs0 ip ecn not-ect ip ttl 64 ip id 15223 ip length 60 tcp sport 41794 tcp dport 80 tcp flags == syn tcp window 64240 
trace id 4ebc5456 ip wirelab_trace output rule ip daddr 10.96.0.50 meta l4proto tcp meta nftrace set 1 (verdict continue)
trace id 4ebc5456 ip wirelab_trace output policy accept 
trace id 4ebc5456 ip nat OUTPUT packet: oif "veth-a" ip saddr 10.99.0.1 ip daddr 10.96.0.50 ip dscp cs0 ip ecn not-ect ip ttl 64 ip id 15223 ip length 60 tcp sport 41794 tcp dport 80 tcp flags == syn tcp window 64240 
trace id 4ebc5456 ip nat OUTPUT rule  counter packets 0 bytes 0 jump KUBE-SERVICES (verdict jump KUBE-SERVICES)
trace id 4ebc5456 ip nat KUBE-SERVICES rule ip daddr 10.96.0.50 tcp dport 80  counter packets 0 bytes 0 jump KUBE-SVC-TEST (verdict jump KUBE-SVC-TEST)
trace id 4ebc5456 ip nat KUBE-SVC-TEST rule  counter packets 0 bytes 0 jump KUBE-SEP-TEST (verdict jump KUBE-SEP-TEST)
trace id 4ebc5456 ip nat KUBE-SEP-TEST rule meta l4proto tcp  counter packets 0 bytes 0 dnat to 10.99.0.2:8080 (verdict accept)
trace id 4ebc5456 ip nat POSTROUTING packet: oif "veth-a" ip saddr 10.99.0.1 ip daddr 10.99.0.2 ip dscp cs0 ip ecn not-ect ip ttl 64 ip id 15223 ip length 60 tcp sport 41794 tcp dport 8080 tcp flags == syn tcp window 64240 
trace id 4ebc5456 ip nat POSTROUTING policy accept 
`;

/** The same, after the DNAT rule was deleted (KUBE-SEP-TEST empty): the kernel emits nothing for
 * the empty chain, not even its implicit return; only KUBE-SVC-TEST's jump shows it was entered. */
const TCP_EMPTY_SEP = `trace id 3c496d02 ip wirelab_trace output packet: oif "veth-a" ip saddr 10.99.0.1 ip daddr 10.96.0.50 ip dscp cs0 ip ecn not-ect ip ttl 64 ip id 40814 ip length 60 tcp sport 38468 tcp dport 80 tcp flags == syn tcp window 64240 
trace id 3c496d02 ip wirelab_trace output rule ip daddr 10.96.0.50 meta l4proto tcp meta nftrace set 1 (verdict continue)
trace id 3c496d02 ip wirelab_trace output policy accept 
trace id 3c496d02 ip nat OUTPUT packet: oif "veth-a" ip saddr 10.99.0.1 ip daddr 10.96.0.50 ip dscp cs0 ip ecn not-ect ip ttl 64 ip id 40814 ip length 60 tcp sport 38468 tcp dport 80 tcp flags == syn tcp window 64240 
trace id 3c496d02 ip nat OUTPUT rule  counter packets 2 bytes 120 jump KUBE-SERVICES (verdict jump KUBE-SERVICES)
trace id 3c496d02 ip nat KUBE-SERVICES rule ip daddr 10.96.0.50 tcp dport 80  counter packets 2 bytes 120 jump KUBE-SVC-TEST (verdict jump KUBE-SVC-TEST)
trace id 3c496d02 ip nat KUBE-SVC-TEST rule  counter packets 2 bytes 120 jump KUBE-SEP-TEST (verdict jump KUBE-SEP-TEST)
trace id 3c496d02 ip nat OUTPUT policy accept 
trace id 3c496d02 ip nat POSTROUTING packet: oif "veth-a" ip saddr 10.99.0.1 ip daddr 10.96.0.50 ip dscp cs0 ip ecn not-ect ip ttl 64 ip id 40814 ip length 60 tcp sport 38468 tcp dport 80 tcp flags == syn tcp window 64240 
trace id 3c496d02 ip nat POSTROUTING policy accept # Warning: table ip nat is managed by iptables-nft, do not touch!
`;

/** Two UDP datagrams from a pod (10.99.0.2) to the DNS ClusterIP, forwarded by the node, with
 * kube-proxy's KUBE-MARK-MASQ (hairpin) and KUBE-POSTROUTING masquerade. Shortened: "...". */
const UDP_FORWARDED = `trace id cc976634 ip wirelab_trace prerouting packet: iif "veth-a" ether saddr a6:24:c4:35:77:b4 ether daddr 4e:fe:9d:a1:94:54 ip saddr 10.99.0.2 ip daddr 10.96.0.10 ip dscp cs0 ip ecn not-ect ip ttl 64 ip id 10161 ip length 31 udp sport 38083 udp dport 53 udp length 11 @th,64,24 0x68690a 
trace id cc976634 ip wirelab_trace prerouting rule ip daddr 10.96.0.10 meta l4proto udp meta nftrace set 1 (verdict continue)
trace id cc976634 ip wirelab_trace prerouting policy accept 
trace id cc976634 ip nat PREROUTING packet: iif "veth-a" ether saddr a6:24:c4:35:77:b4 ether daddr 4e:fe:9d:a1:94:54 ip saddr 10.99.0.2 ip daddr 10.96.0.10 ip dscp cs0 ip ecn not-ect ip ttl 64 ip id 10161 ip length 31 udp sport 38083 udp dport 53 udp length 11 @th,64,24 0x68690a 
trace id cc976634 ip nat PREROUTING rule  counter packets 0 bytes 0 jump KUBE-SERVICES (verdict jump KUBE-SERVICES)
trace id cc976634 ip nat KUBE-SERVICES rule ip daddr 10.96.0.10 udp dport 53 counter packets 0 bytes 0 jump KUBE-SVC-DNS (verdict jump KUBE-SVC-DNS)
trace id cc976634 ip nat KUBE-SVC-DNS rule counter packets 0 bytes 0 jump KUBE-SEP-DNS1 (verdict jump KUBE-SEP-DNS1)
trace id cc976634 ip nat KUBE-SEP-DNS1 rule ip saddr 10.99.0.2 counter packets 0 bytes 0 jump KUBE-MARK-MASQ (verdict jump KUBE-MARK-MASQ)
trace id cc976634 ip nat KUBE-MARK-MASQ rule counter packets 0 bytes 0 meta mark set mark or 0x4000 (verdict continue)
trace id cc976634 ip nat KUBE-SEP-DNS1 rule meta l4proto udp  counter packets 0 bytes 0 dnat to 10.99.0.2:5353 (verdict accept)
trace id cc976634 ip filter FORWARD packet: iif "veth-a" oif "veth-a" ether saddr a6:24:c4:35:77:b4 ... ip saddr 10.99.0.2 ip daddr 10.99.0.2 ip dscp cs0 ip ecn not-ect ip ttl 63 ip id 10161 ip length 31 udp sport 38083 udp dport 5353 udp length 11 @th,64,24 0x68690a 
trace id cc976634 ip filter FORWARD rule  counter packets 0 bytes 0 jump KUBE-FORWARD (verdict jump KUBE-FORWARD)
trace id cc976634 ip filter KUBE-FORWARD rule meta mark & 0x00004000 == 0x00004000 counter packets 0 bytes 0 accept (verdict accept)
trace id cc976634 ip nat POSTROUTING packet: iif "veth-a" oif "veth-a" ether saddr a6:24:c4:35:77:b4 ... ip saddr 10.99.0.2 ip daddr 10.99.0.2 ip dscp cs0 ip ecn not-ect ip ttl 63 ip id 10161 ip length 31 udp sport 38083 udp dport 5353 udp length 11 @th,64,24 0x68690a 
trace id cc976634 ip nat POSTROUTING rule  counter packets 0 bytes 0 jump KUBE-POSTROUTING (verdict jump KUBE-POSTROUTING)
trace id cc976634 ip nat KUBE-POSTROUTING rule counter packets 0 bytes 0 meta mark set mark xor 0x4000 (verdict continue)
trace id cc976634 ip nat KUBE-POSTROUTING rule counter packets 0 bytes 0 masquerade fully-random (verdict accept)
trace id ef709199 ip wirelab_trace prerouting packet: iif "veth-a" ether saddr a6:24:c4:35:77:b4 ... ip saddr 10.99.0.2 ip daddr 10.96.0.10 ip dscp cs0 ip ecn not-ect ip ttl 64 ip id 11331 ip length 31 udp sport 49661 udp dport 53 udp length 11 @th,64,24 0x68690a 
trace id ef709199 ip wirelab_trace prerouting rule ip daddr 10.96.0.10 meta l4proto udp meta nftrace set 1 (verdict continue)
trace id ef709199 ip wirelab_trace prerouting policy accept 
trace id ef709199 ip nat PREROUTING packet: iif "veth-a" ether saddr a6:24:c4:35:77:b4 ... ip saddr 10.99.0.2 ip daddr 10.96.0.10 ip dscp cs0 ip ecn not-ect ip ttl 64 ip id 11331 ip length 31 udp sport 49661 udp dport 53 udp length 11 @th,64,24 0x68690a 
trace id ef709199 ip nat PREROUTING rule  counter packets 0 bytes 0 jump KUBE-SERVICES (verdict jump KUBE-SERVICES)
trace id ef709199 ip nat KUBE-SERVICES rule ip daddr 10.96.0.10 udp dport 53 counter packets 0 bytes 0 jump KUBE-SVC-DNS (verdict jump KUBE-SVC-DNS)
trace id ef709199 ip nat KUBE-SVC-DNS rule counter packets 0 bytes 0 jump KUBE-SEP-DNS1 (verdict jump KUBE-SEP-DNS1)
trace id ef709199 ip nat KUBE-SEP-DNS1 rule ip saddr 10.99.0.2 counter packets 0 bytes 0 jump KUBE-MARK-MASQ (verdict jump KUBE-MARK-MASQ)
trace id ef709199 ip nat KUBE-MARK-MASQ rule counter packets 0 bytes 0 meta mark set mark or 0x4000 (verdict continue)
trace id ef709199 ip nat KUBE-SEP-DNS1 rule meta l4proto udp  counter packets 0 bytes 0 dnat to 10.99.0.2:5353 (verdict accept)
`;

/** Local UDP (KUBE-POSTROUTING returns: no masquerade mark), then a forwarded ping to a ClusterIP
 * without a service rule, dropped by the FORWARD policy. nft 1.0.6 prints "icmp code
 * net-unreachable" for an echo request's code 0. */
const RETURN_AND_DROP = `trace id cf6e04ac ip nat POSTROUTING packet: oif "veth-a" ip saddr 10.99.0.1 ip daddr 10.99.0.2 ip dscp cs0 ip ecn not-ect ip ttl 64 ip id 36311 ip length 31 udp sport 52778 udp dport 5353 udp length 11 @th,64,24 0x68690a 
trace id cf6e04ac ip nat POSTROUTING rule  counter packets 2 bytes 62 jump KUBE-POSTROUTING (verdict jump KUBE-POSTROUTING)
trace id cf6e04ac ip nat KUBE-POSTROUTING rule meta mark & 0x00004000 != 0x00004000 counter packets 0 bytes 0 return (verdict return)
trace id cf6e04ac ip nat POSTROUTING policy accept 
trace id a0a659be ip nat PREROUTING packet: iif "veth-a" ether saddr a6:24:c4:35:77:b4 ether daddr 4e:fe:9d:a1:94:54 ip saddr 10.99.0.2 ip daddr 10.96.0.10 ip dscp cs0 ip ecn not-ect ip ttl 64 ip id 20439 ip length 84 icmp type echo-request icmp code net-unreachable icmp id 27630 icmp sequence 1 @th,64,96 0x16c7036b0000000099550900 
trace id a0a659be ip nat PREROUTING rule  counter packets 2 bytes 62 jump KUBE-SERVICES (verdict jump KUBE-SERVICES)
trace id a0a659be ip nat PREROUTING policy accept 
trace id a0a659be ip filter FORWARD packet: iif "veth-a" oif "veth-a" ether saddr a6:24:c4:35:77:b4 ... ip saddr 10.99.0.2 ip daddr 10.96.0.10 ip dscp cs0 ip ecn not-ect ip ttl 63 ip id 20439 ip length 84 icmp type echo-request icmp code net-unreachable icmp id 27630 icmp sequence 1 @th,64,96 0x16c7036b0000000099550900 
trace id a0a659be ip filter FORWARD rule  counter packets 4 bytes 180 jump KUBE-FORWARD (verdict jump KUBE-FORWARD)
trace id a0a659be ip filter FORWARD policy drop 
`;

describe('traceTableRules', () => {
  it('marks only the flow, in our own table, at prerouting and output before raw/conntrack/nat', () => {
    const text = traceTableRules({ dst: '10.96.0.50', protocol: 'tcp' });
    expect(text).toBe(
      [
        'table ip wirelab_trace',
        'delete table ip wirelab_trace',
        'table ip wirelab_trace {',
        '\tchain prerouting {',
        '\t\ttype filter hook prerouting priority -350; policy accept;',
        '\t\tip daddr 10.96.0.50 meta l4proto tcp meta nftrace set 1',
        '\t}',
        '\tchain output {',
        '\t\ttype filter hook output priority -350; policy accept;',
        '\t\tip daddr 10.96.0.50 meta l4proto tcp meta nftrace set 1',
        '\t}',
        '}',
        '',
      ].join('\n'),
    );
    expect(traceTableDeleteRules()).toBe('delete table ip wirelab_trace\n');
  });

  it('combines every condition, and traces everything without one', () => {
    expect(traceMatchExpr({ src: '10.244.1.0/24', dst: '10.96.0.10', protocol: 'udp', dport: 53 })).toBe(
      'ip saddr 10.244.1.0/24 ip daddr 10.96.0.10 meta l4proto udp udp dport 53',
    );
    expect(traceTableRules({})).toContain('\t\tmeta nftrace set 1\n');
  });

  it('rejects input that is not an address, so nothing else reaches nft -f', () => {
    expect(() => traceTableRules({ dst: '10.96.0.50; flush ruleset' })).toThrow(/not an IPv4 address/);
    expect(() => traceTableRules({ src: '10.244.1.5/24' })).toThrow(/host bits/);
    expect(() => traceTableRules({ protocol: 'sctp' as 'tcp' })).toThrow(/not tcp, udp or icmp/);
    expect(() => traceTableRules({ protocol: 'icmp', dport: 53 })).toThrow(/needs protocol tcp or udp/);
  });
});

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
    expect(p.events[7]).toMatchObject({ chain: 'KUBE-SEP-TEST', kind: 'rule', verdict: 'accept', rule: 'meta l4proto tcp  counter packets 0 bytes 0 dnat to 10.99.0.2:8080' });
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
    expect(chainPath(p, 'nat')).toEqual(['KUBE-SVC-X', 'KUBE-SEP-Y']);
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

describe('chainPath', () => {
  it('follows jumps in one table, without our trace table', () => {
    const [p] = parseNftTrace(TCP_DNAT);
    expect(chainPath(p, 'nat')).toEqual(['OUTPUT', 'KUBE-SERVICES', 'KUBE-SVC-TEST', 'KUBE-SEP-TEST', 'POSTROUTING']);
    expect(chainPath(p)).toEqual(['OUTPUT', 'KUBE-SERVICES', 'KUBE-SVC-TEST', 'KUBE-SEP-TEST', 'POSTROUTING']);
    expect(chainPath(p, 'wirelab_trace')).toEqual(['output']);
    expect(chainPath(p, 'filter')).toEqual([]);
  });

  it('shows an empty chain that was jumped to, and the return to the calling chain', () => {
    const [p] = parseNftTrace(TCP_EMPTY_SEP);
    expect(chainPath(p, 'nat')).toEqual(['OUTPUT', 'KUBE-SERVICES', 'KUBE-SVC-TEST', 'KUBE-SEP-TEST', 'OUTPUT', 'POSTROUTING']);
  });

  it('interleaves tables in the order the packet met them', () => {
    const [p] = parseNftTrace(UDP_FORWARDED);
    expect(chainPath(p, 'nat')).toEqual(['PREROUTING', 'KUBE-SERVICES', 'KUBE-SVC-DNS', 'KUBE-SEP-DNS1', 'KUBE-MARK-MASQ', 'KUBE-SEP-DNS1', 'POSTROUTING', 'KUBE-POSTROUTING']);
    expect(chainPath(p, 'filter')).toEqual(['FORWARD', 'KUBE-FORWARD']);
    expect(chainPath(p)).toEqual([
      'PREROUTING',
      'KUBE-SERVICES',
      'KUBE-SVC-DNS',
      'KUBE-SEP-DNS1',
      'KUBE-MARK-MASQ',
      'KUBE-SEP-DNS1',
      'FORWARD',
      'KUBE-FORWARD',
      'POSTROUTING',
      'KUBE-POSTROUTING',
    ]);
    const [, ping] = parseNftTrace(RETURN_AND_DROP);
    expect(chainPath(ping, 'filter')).toEqual(['FORWARD', 'KUBE-FORWARD', 'FORWARD']);
  });
});

describe('matchChainPath', () => {
  const path = ['PREROUTING', 'KUBE-SERVICES', 'KUBE-SVC-DNS', 'KUBE-SEP-DNS1', 'KUBE-MARK-MASQ', 'KUBE-SEP-DNS1', 'POSTROUTING'];

  it('accepts the expected chains as an ordered subsequence, with globs', () => {
    expect(matchChainPath(path, ['KUBE-SERVICES', 'KUBE-SVC-*', 'KUBE-SEP-*'])).toEqual({
      ok: true,
      detail: 'traversed KUBE-SERVICES -> KUBE-SVC-DNS -> KUBE-SEP-DNS1 (path: PREROUTING -> KUBE-SERVICES -> KUBE-SVC-DNS -> KUBE-SEP-DNS1 -> KUBE-MARK-MASQ -> KUBE-SEP-DNS1 -> POSTROUTING)',
    });
    expect(matchChainPath(path, ['PREROUTING', 'KUBE-MARK-MASQ', 'POSTROUTING']).ok).toBe(true);
    expect(matchChainPath(path, ['KUBE-SEP-DNS?']).ok).toBe(true);
    expect(matchChainPath(path, []).ok).toBe(true);
  });

  it('globs are whole-name and treat regex characters literally', () => {
    expect(matchChainPath(path, ['KUBE-SVC']).ok).toBe(false);
    expect(matchChainPath(['KUBE-SVC-A.B'], ['KUBE-SVC-A.B']).ok).toBe(true);
    expect(matchChainPath(['KUBE-SVC-AXB'], ['KUBE-SVC-A.B']).ok).toBe(false);
  });

  it('names the first expected chain that was not reached and shows the actual path', () => {
    const r = matchChainPath(['OUTPUT', 'KUBE-SERVICES', 'KUBE-SVC-TEST', 'OUTPUT', 'POSTROUTING'], ['KUBE-SERVICES', 'KUBE-SVC-*', 'KUBE-SEP-*']);
    expect(r).toEqual({
      ok: false,
      detail:
        'expected chain KUBE-SEP-* (3 of 3) after KUBE-SVC-TEST was not traversed; expected KUBE-SERVICES -> KUBE-SVC-* -> KUBE-SEP-*, actual path: OUTPUT -> KUBE-SERVICES -> KUBE-SVC-TEST -> OUTPUT -> POSTROUTING',
    });
  });

  it('says when a chain was traversed, but out of order, and when nothing was traced', () => {
    expect(matchChainPath(path, ['KUBE-SEP-*', 'KUBE-SVC-*']).detail).toMatch(
      /^expected chain KUBE-SVC-\* \(2 of 2\) after KUBE-SEP-DNS1 was not traversed \(it appears only before KUBE-SEP-DNS1, out of order\)/,
    );
    expect(matchChainPath([], ['KUBE-SERVICES']).detail).toBe(
      'expected chain KUBE-SERVICES (1 of 1) was not traversed; expected KUBE-SERVICES, actual path: (no chain)',
    );
  });
});
