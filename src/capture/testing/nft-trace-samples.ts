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

export const NFT_TRACE_SAMPLES = { TCP_DNAT, TCP_EMPTY_SEP, UDP_FORWARDED, RETURN_AND_DROP };
