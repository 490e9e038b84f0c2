// BIRD configuration for a node of a Calico-style full iBGP mesh, in BIRD 2 syntax (Debian's
// bird2; run as `bird -c <file> -s <socket>`).
//
// Calico renders BIRD 1.x configuration (its fork of BIRD 1.6) from confd templates:
// node/filesystem/etc/calico/confd/templates/bird.cfg.template (device, direct, kernel, the BGP
// template and one "Mesh_<ip>" protocol per node), bird_aggr.cfg.template (the node's blocks
// as blackhole static routes and calico_aggr) and bird_ipam.cfg.template
// (calico_export_to_bgp_peers, calico_kernel_programming), with the per-peer import/export
// filters built in confd/pkg/backends/calico/bgp_processor.go (buildImportFilter,
// buildExportFilter, processMeshPeers). The rendered reference is
// confd/tests/compiled_templates/mesh/ipip-off/bird*.cfg. This file follows that output
// statement by statement, translated to BIRD 2:
// - channel options (import/export filters, `gateway recursive`, `add paths`) move into
//   `ipv4 { ... }` blocks; the three files become one (Calico `include`s the other two);
// - the kernel protocol gets `metric 0`: BIRD 2 defaults to metric 32 for every route it
//   installs, BIRD 1 sets none, so with 0 the kernel sees what it sees on a Calico node - the
//   blackhole blocks with no metric and BGP routes with the krt_metric Calico's filter computes
//   (1024, NormalRoutePriority). BIRD installs them as `proto bird` (RTPROT_BIRD, BIRD's default
//   krt_source), which is how Calico's routes show in `ip route`;
// - calico_kernel_programming also rejects the direct protocol's interface routes: BIRD 1's
//   kernel protocol never exports device routes (its `device routes` option defaults off), BIRD
//   2's has no such option and would install a `proto bird` duplicate of every connected subnet;
// - no `learn` and `import none` on the kernel channel, where Calico has `learn; import all;`:
//   upstream learns Felix's workload routes so that calico_aggr can export elevated-priority
//   /32s (krt_metric < 1024, VM live migration). With no Felix here the only alien kernel routes
//   in a block are the CNI's metric-0 /32s, which that same clause would leak to every peer.
//   Only the block itself (the blackhole) is announced, "export the block, nothing beneath it".
// What the kernel ends up with: `blackhole <own block> proto bird` (the static routes pass
// calico_kernel_programming's final accept, as on a Calico node) and, per remote block,
// `<block> via <peer node IP> dev eth0 proto bird metric 1024`. The next hop is the announcing
// node's address because a locally originated route carries it and mesh peers never set
// `next hop self`/`keep` (bgp_processor.go sets those only from a BGPPeer's nextHopMode).
// Left out as Calico leaves them out by default: communities, BGP filters, passwords, route
// reflectors, IPIP/VXLAN tunnel handling beyond the iBGP export guard.
import { parseCidr, formatCidr } from '../../net/cidr.js';

export const CALICO_DEFAULT_AS = 64512;
/** BGPConfiguration's default: the kernel metric of a route at normal priority. */
export const CALICO_NORMAL_ROUTE_PRIORITY = 1024;
/** template.BirdIntMaxValue: bgp_local_pref = this - krt_metric, and back. */
export const BIRD_INT_MAX = 2147483647;
/** processMeshPeers / buildImportFilter birdOverridePreference. */
export const BIRD_OVERRIDE_PREFERENCE = 200;
/** Calico's `scan time 2` for the kernel and device protocols. */
export const CALICO_SCAN_TIME = 2;

export interface BirdPeer {
  name: string;
  ip: string;
}

export interface BirdConfigInput {
  nodeName: string;
  nodeIp: string;
  asNumber: number;
  /** This node's blocks (announced as blackholes). */
  blocks: readonly string[];
  /** Every node of the mesh; the node itself is skipped, as processMeshPeers does. */
  peers: readonly BirdPeer[];
  scanTime?: number;
  /** Enabled IP pools (no encapsulation): exported to peers and programmed into the kernel. */
  ipPools?: readonly string[];
  /** `log "<file>" all;` - BIRD logs to syslog otherwise. */
  logFile?: string;
}

/** processMeshPeers: "Mesh_" + the peer address with dots as underscores. */
export function meshProtocolName(ip: string): string {
  return `Mesh_${ip.replaceAll('.', '_')}`;
}

/** processMeshPeers "Make mesh unidirectional to avoid race conditions": a node waits for
 * peers whose address is greater *as a string* (Go string comparison, so "10.0.0.10" <
 * "10.0.0.9") and connects to the others. */
export function meshPeerIsPassive(nodeIp: string, peerIp: string): boolean {
  return peerIp > nodeIp;
}

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** bird_aggr.cfg.template calico_aggr: export each block itself, and anything inside it only
 * with an elevated priority (krt_metric below normal). */
function calicoAggr(blocks: readonly string[]): string[] {
  const out = ['# Aggregation of routes on this host; export the block, nothing beneath it.', 'function calico_aggr ()', '{'];
  for (const b of blocks) {
    out.push(
      `      # Block ${b} is implicitly confirmed.`,
      `      if ( net = ${b} ) then { accept; }`,
      `      if ( net ~ ${b} && krt_metric < ${CALICO_NORMAL_ROUTE_PRIORITY} ) then { accept; }`,
      `      if ( net ~ ${b} ) then { reject; }`,
    );
  }
  out.push('}');
  return out;
}

export function renderBirdConfig(input: BirdConfigInput): string {
  const { nodeName, nodeIp, asNumber } = input;
  const scan = input.scanTime ?? CALICO_SCAN_TIME;
  // Normalise and sort like confd: blocks come from an etcd/KDD listing (sorted keys), peers
  // are sorted by protocol name (bgp_processor.go sort.Slice on Name).
  const blocks = [...new Set(input.blocks.map((b) => formatCidr(parseCidr(b))))].sort(byteOrder);
  const pools = [...new Set((input.ipPools ?? []).map((p) => formatCidr(parseCidr(p))))].sort(byteOrder);
  const peers = [...new Map(input.peers.filter((p) => p.ip !== nodeIp).map((p) => [p.ip, p])).values()]
    .map((p) => ({ ...p, proto: meshProtocolName(p.ip) }))
    .sort((a, b) => byteOrder(a.proto, b.proto));

  const lines: string[] = [
    `# BIRD 2 configuration for node ${nodeName} (${nodeIp}), AS ${asNumber}: a Calico-style`,
    '# full iBGP mesh, translated from projectcalico/calico',
    '# node/filesystem/etc/calico/confd/templates/bird{,_aggr,_ipam}.cfg.template.',
  ];
  if (input.logFile) lines.push(`log "${input.logFile}" all;`);
  lines.push(`router id ${nodeIp};`, '', 'function apply_communities ()', '{', '}', '', '# ---- bird_aggr.cfg ----');
  if (blocks.length > 0) {
    lines.push('protocol static {', '   ipv4;', '   # IP blocks for this host.', ...blocks.map((b) => `   route ${b} blackhole;`), '}');
  } else {
    lines.push('# No IP blocks or static routes for this host.');
  }
  lines.push('', ...calicoAggr(blocks));

  lines.push(
    '',
    '# ---- bird_ipam.cfg ----',
    'function reject_local_routes () {',
    "  # Don't export local routes learned via BPF as they should never leave the node.",
    '  if (defined(ifname)) then {',
    '     if (ifname ~ "bpf*.cali") then {',
    '        reject;',
    '     }',
    '  }',
    '}',
    '',
    'function calico_export_to_bgp_peers(bool internal_peer) {',
    '  # filter code terminates when it calls `accept;` or `reject;`,',
    '  if (internal_peer) then {',
    '    if (defined(ifname)) then {',
    '      if ((ifname ~ "*.cali") || (ifname ~ "*.calico") || (ifname ~ "tunl0")) then {',
    '        reject;',
    '      }',
    '    }',
    '  }',
    '  reject_local_routes();',
    '  apply_communities();',
    '  calico_aggr();',
    ...pools.map((p) => `  if (net ~ ${p}) then { accept; }`),
    '}',
    '',
    'filter calico_kernel_programming {',
    '  # BIRD 1 never exports interface routes to the kernel; BIRD 2 would.',
    '  if (source = RTS_DEVICE) then { reject; }',
    `  if (defined(source) && (source = RTS_BGP) && !defined(krt_metric)) then {`,
    `      krt_metric = ${CALICO_NORMAL_ROUTE_PRIORITY};`,
    '      if (defined(bgp_local_pref)) then {',
    `          krt_metric = ${BIRD_INT_MAX} - bgp_local_pref;`,
    '      }',
    `      if (krt_metric < ${CALICO_NORMAL_ROUTE_PRIORITY}) then {`,
    `          preference = ${BIRD_OVERRIDE_PREFERENCE};`,
    '      }',
    '  }',
    ...pools.map((p) => `  if (net ~ ${p}) then { accept; }`),
    '  accept;',
    '}',
    '',
    '# ---- bird.cfg ----',
    '# Configure synchronization between routing tables and kernel.',
    'protocol kernel {',
    "  persist;           # Don't remove routes on bird shutdown",
    `  scan time ${scan};       # Scan kernel routing table every ${scan} seconds`,
    '  graceful restart;',
    '  merge paths on;    # Allow export multipath routes (ECMP)',
    '  metric 0;          # Per-route krt_metric, else none (BIRD 1 behaviour)',
    '  ipv4 {',
    '    import none;',
    '    export filter calico_kernel_programming;',
    '  };',
    '}',
    '',
    '# Watch interface up/down events.',
    'protocol device {',
    `  scan time ${scan};    # Scan interfaces every ${scan} seconds`,
    '}',
    '',
    "# Connected subnets, so that `gateway recursive` can resolve the peers' next hops.",
    'protocol direct {',
    '  ipv4;',
    '  interface -"cali*", -"kube-ipvs*", "*"; # Exclude cali* and kube-ipvs* but',
    '                                          # include everything else.',
    '}',
    '',
    '# Template for all BGP clients',
    'template bgp bgp_template {',
    '  description "Connection to BGP peer";',
    `  local as ${asNumber};`,
    '  graceful restart;',
    '  connect delay time 2;',
    '  connect retry time 5;',
    '  error wait time 5,30;',
    '  ipv4 {',
    '    gateway recursive; # This should be the default, but just in case.',
    '    add paths on;',
    '  };',
    '}',
    '',
  );
  if (peers.length === 0) lines.push('# No BGP peers configured for this node');
  else lines.push('# BGP Protocol Configurations');
  const localPrefFloor = BIRD_INT_MAX - CALICO_NORMAL_ROUTE_PRIORITY;
  for (const p of peers) {
    lines.push(
      `# Mesh peer ${p.name}`,
      `protocol bgp ${p.proto} from bgp_template {`,
      `  neighbor ${p.ip} as ${asNumber};`,
      `  source address ${nodeIp};  # The local address we use for the TCP connection`,
      '  ttl security off;',
      '  multihop;',
      '  ipv4 {',
      '    import filter {',
      `      if (defined(bgp_local_pref)&&(bgp_local_pref > ${localPrefFloor})) then`,
      `        preference = ${BIRD_OVERRIDE_PREFERENCE};`,
      '      accept;',
      '    };',
      '    export filter {',
      '      if (defined(source) && source = RTS_BGP && defined(bgp_local_pref)) then {',
      `        krt_metric = ${BIRD_INT_MAX} - bgp_local_pref;`,
      '      } else {',
      `        if (!defined(krt_metric)) then { krt_metric = ${CALICO_NORMAL_ROUTE_PRIORITY}; }`,
      `        bgp_local_pref = ${BIRD_INT_MAX} - krt_metric;`,
      '      }',
      '      calico_export_to_bgp_peers(true);',
      '      reject;',
      '    };  # Only want to export routes for workloads.',
      '  };',
    );
    if (meshPeerIsPassive(nodeIp, p.ip)) lines.push('  passive on;');
    lines.push('}', '');
  }
  return lines.join('\n') + '\n';
}
