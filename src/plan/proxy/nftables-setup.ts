// The fixed part of kube-proxy's nftables table: what Proxier.setupNFTables() adds on every full
// sync (kubernetes v1.34.2 pkg/proxy/nftables/proxier.go, nftablesBaseChains,
// nftablesJumpChains, ensureChain, setupNFTables). IPv4 only, like the IPv4 proxier.
import type { NftBaseChain, NftOp } from './nft-objects.js';

/** nftablesBaseChains: name, type, hook, priority (knftables writes dstnat-10 as -110). */
export const NFT_BASE_CHAINS: { name: string; base: NftBaseChain }[] = [
  { name: 'filter-prerouting-pre-dnat', base: { type: 'filter', hook: 'prerouting', priority: -110 } },
  { name: 'filter-output-pre-dnat', base: { type: 'filter', hook: 'output', priority: -110 } },
  { name: 'filter-input', base: { type: 'filter', hook: 'input', priority: 0 } },
  { name: 'filter-forward', base: { type: 'filter', hook: 'forward', priority: 0 } },
  { name: 'filter-output', base: { type: 'filter', hook: 'output', priority: 0 } },
  { name: 'nat-prerouting', base: { type: 'nat', hook: 'prerouting', priority: -100 } },
  { name: 'nat-output', base: { type: 'nat', hook: 'output', priority: -100 } },
  { name: 'nat-postrouting', base: { type: 'nat', hook: 'postrouting', priority: 100 } },
];

/** nftablesJumpChains: [dstChain, srcChain, extraArgs], in upstream's order. */
const JUMP_CHAINS: [string, string, string][] = [
  ['nodeport-endpoints-check', 'filter-input', 'ct state new'],
  ['service-endpoints-check', 'filter-input', 'ct state new'],
  ['service-endpoints-check', 'filter-forward', 'ct state new'],
  ['service-endpoints-check', 'filter-output', 'ct state new'],
  ['firewall-check', 'filter-prerouting-pre-dnat', 'ct state new'],
  ['firewall-check', 'filter-output-pre-dnat', 'ct state new'],
  ['services', 'nat-output', ''],
  ['services', 'nat-prerouting', ''],
  ['masquerading', 'nat-postrouting', ''],
  ['cluster-ips-check', 'filter-forward', 'ct state new'],
  ['cluster-ips-check', 'filter-output', 'ct state new'],
];

export const MARK_MASQ_CHAIN = 'mark-for-masquerade';
export const REJECT_CHAIN = 'reject-chain';

/** The element containers whose contents the proxier tracks (nftElementStorage). */
export const NFT_CONTAINERS = [
  { container: 'set', name: 'cluster-ips' },
  { container: 'map', name: 'service-ips' },
  { container: 'map', name: 'firewall-ips' },
  { container: 'map', name: 'no-endpoint-services' },
  { container: 'map', name: 'no-endpoint-nodeports' },
  { container: 'map', name: 'service-nodeports' },
] as const;

export interface NftSetupOptions {
  masqueradeMark: string;
  /** proxier.serviceCIDRs (the ServiceCIDR objects' ranges, comma-joined); "" = none known. */
  serviceCIDRs: string;
  /** undefined: nodePortAddresses matches all; otherwise the node IPs that accept NodePorts. */
  nodePortIPs?: string[];
  /** First full sync of this proxier: add+delete every base chain so they are recreated. */
  firstSync: boolean;
}

const add = (obj: NftOp['obj']): NftOp => ({ verb: 'add', obj });
const flush = (obj: NftOp['obj']): NftOp => ({ verb: 'flush', obj });
const rule = (chain: string, text: string, comment?: string): NftOp => add({ kind: 'rule', chain, rule: text, ...(comment ? { comment } : {}) });

/** ensureChain: add + flush once per transaction. */
export function ensureChain(ops: NftOp[], created: Set<string>, chain: string, skip = false): void {
  if (created.has(chain)) return;
  created.add(chain);
  if (skip) return;
  ops.push(add({ kind: 'chain', name: chain }), flush({ kind: 'chain', name: chain }));
}

export function setupNFTables(o: NftSetupOptions): NftOp[] {
  const ops: NftOp[] = [add({ kind: 'table', comment: 'rules for kube-proxy' })];
  if (o.firstSync) for (const bc of NFT_BASE_CHAINS) ops.push(add({ kind: 'chain', name: bc.name }), { verb: 'delete', obj: { kind: 'chain', name: bc.name } });
  for (const bc of NFT_BASE_CHAINS) ops.push(add({ kind: 'chain', name: bc.name, base: bc.base }), flush({ kind: 'chain', name: bc.name }));
  const created = new Set<string>();
  for (const [dst, src, extra] of JUMP_CHAINS) {
    ensureChain(ops, created, dst);
    ops.push(rule(src, [extra, 'jump', dst].filter(Boolean).join(' ')));
  }
  for (const c of ['services', 'cluster-ips-check', 'masquerading', MARK_MASQ_CHAIN]) ensureChain(ops, created, c);
  ops.push(
    rule(MARK_MASQ_CHAIN, `mark set mark or ${o.masqueradeMark}`),
    rule('masquerading', `mark and ${o.masqueradeMark} == 0 return`),
    rule('masquerading', `mark set mark xor ${o.masqueradeMark}`),
    rule('masquerading', 'masquerade fully-random'),
    add({ kind: 'set', name: 'cluster-ips', type: 'ipv4_addr', comment: 'Active ClusterIPs' }),
    rule('cluster-ips-check', 'ip daddr @cluster-ips reject', 'Reject traffic to invalid ports of ClusterIPs'),
  );
  if (o.serviceCIDRs) ops.push(rule('cluster-ips-check', `ip daddr { ${o.serviceCIDRs} } drop`, 'Drop traffic to unallocated ClusterIPs'));
  ops.push(add({ kind: 'set', name: 'nodeport-ips', type: 'ipv4_addr', comment: 'IPs that accept NodePort traffic' }));
  if (o.nodePortIPs === undefined) ops.push({ verb: 'delete', obj: { kind: 'set', name: 'nodeport-ips', type: 'ipv4_addr' } });
  else {
    ops.push(flush({ kind: 'set', name: 'nodeport-ips', type: 'ipv4_addr' }));
    // Loopback addresses are refused: "localhost NodePorts are not supported" in this mode.
    for (const ip of o.nodePortIPs.filter((a) => !a.startsWith('127.'))) ops.push(add({ kind: 'element', container: 'set', name: 'nodeport-ips', key: [ip] }));
  }
  const vmap = 'ipv4_addr . inet_proto . inet_service : verdict';
  ops.push(
    add({ kind: 'map', name: 'no-endpoint-services', type: vmap, comment: 'vmap to drop or reject packets to services with no endpoints' }),
    add({
      kind: 'map',
      name: 'no-endpoint-nodeports',
      type: 'inet_proto . inet_service : verdict',
      comment: 'vmap to drop or reject packets to service nodeports with no endpoints',
    }),
    add({ kind: 'chain', name: REJECT_CHAIN, comment: 'helper for @no-endpoint-services / @no-endpoint-nodeports' }),
    flush({ kind: 'chain', name: REJECT_CHAIN }),
    rule(REJECT_CHAIN, 'reject'),
    rule('service-endpoints-check', 'ip daddr . meta l4proto . th dport vmap @no-endpoint-services'),
  );
  const noLocalhost = 'ip daddr != 127.0.0.0/8';
  const nodePortMatch = o.nodePortIPs === undefined ? noLocalhost : 'ip daddr @nodeport-ips';
  ops.push(
    rule('nodeport-endpoints-check', `${nodePortMatch} meta l4proto . th dport vmap @no-endpoint-nodeports`),
    add({ kind: 'map', name: 'firewall-ips', type: vmap, comment: 'destinations that are subject to LoadBalancerSourceRanges' }),
  );
  ensureChain(ops, created, 'firewall-check');
  ops.push(
    rule('firewall-check', 'ip daddr . meta l4proto . th dport vmap @firewall-ips'),
    add({ kind: 'map', name: 'service-ips', type: vmap, comment: 'ClusterIP, ExternalIP and LoadBalancer IP traffic' }),
    add({ kind: 'map', name: 'service-nodeports', type: 'inet_proto . inet_service : verdict', comment: 'NodePort traffic' }),
    rule('services', 'ip daddr . meta l4proto . th dport vmap @service-ips'),
    rule(
      'services',
      o.nodePortIPs === undefined
        ? `fib daddr type local ${noLocalhost} meta l4proto . th dport vmap @service-nodeports`
        : 'ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports',
    ),
  );
  return ops;
}
