// kube-proxy's IPVS mode, as pure code: what upstream's ipvs Proxier leaves in a node's network
// namespace after NewProxier() and one full syncProxyRules():
//   - the sysctls NewProxier sets,
//   - the dummy device kube-ipvs0 with every service address bound to it as /32,
//   - the ipsets (ipsetInfo) and their entries,
//   - the IPVS virtual and real servers,
//   - the iptables rules IPVS mode still needs (writeIptablesRules + createAndLinkKubeChain),
// rendered as `ipset restore -exist` input, `ipvsadm-restore` input and iptables-restore input.
//
// Upstream: kubernetes/kubernetes pkg/proxy/ipvs/ — proxier.go (NewProxier, iptablesJumpChain,
// iptablesChains, ipsetInfo, ipsetWithIptablesChain, syncProxyRules, writeIptablesRules,
// acceptIPVSTraffic, createAndLinkKubeChain, syncService, syncEndpoint), ipset.go (set names and
// comments), ipset/ipset.go (createSet arguments, Entry.String), ipset/types.go (set types),
// netlink_linux.go (EnsureDummyDevice, EnsureAddressBind, GetAllLocalAddressesExcept),
// util/ipvs_linux.go (toIPVSService: netmask, toIPVSDestination: masquerading, weight) and
// pkg/util/kernel/constants.go (conn_reuse_mode kernel versions). The version read is the newest
// proxier.go in the reference index: the master line after v1.31 that has KUBE-IPVS-OUT-FILTER
// (issue 119656), the pkg/proxy/ipvs/ipset package, OnServiceCIDRsChanged and no
// localhost-nodeport/KUBE-FIREWALL rules; its proxier_test.go (TestCreateAndLinkKubeChain,
// TestNodePortIPv4, TestLoadBalancer, ...) is what ipvs.test.ts and ipvs-services.test.ts check
// against.
//
// Upstream talks to the kernel object by object (netlink for IPVS and addresses, `ipset add` per
// entry, one iptables-restore); here the end state of a full sync on a fresh namespace is
// written as three restore inputs plus `ip -batch` lines, so a sync is a handful of processes.
import type { EndpointSlice, Protocol } from '../../model/types.js';
import { ipToInt, isValidIpv4 } from '../../net/cidr.js';
import { masqueradeMarkFromBit } from './go-format.js';
import {
  DEFAULT_SCHEDULER,
  KUBE_FORWARD,
  KUBE_IPVS_FILTER,
  KUBE_IPVS_OUT_FILTER,
  KUBE_LOAD_BALANCER,
  KUBE_MARK_MASQ,
  KUBE_NODE_PORT,
  KUBE_POSTROUTING,
  KUBE_SERVICES,
  KUBE_SOURCE_RANGES_FIREWALL,
  quote,
  type Table,
} from './ipvs-chains.js';
import {
  IPSET_WITH_IPTABLES_CHAIN,
  IPVS_IPSETS,
  KUBE_CLUSTER_IP,
  KUBE_EXTERNAL_IP,
  KUBE_EXTERNAL_IP_LOCAL,
  KUBE_HEALTH_CHECK_NODE_PORT,
  KUBE_IPVS_IPS,
  KUBE_LOAD_BALANCER_FW,
  KUBE_LOAD_BALANCER_LOCAL,
  KUBE_LOAD_BALANCER_SET,
  KUBE_LOAD_BALANCER_SOURCE_CIDR,
  KUBE_LOAD_BALANCER_SOURCE_IP,
  KUBE_LOOP_BACK,
  KUBE_NODE_PORT_LOCAL_SCTP,
  KUBE_NODE_PORT_LOCAL_TCP,
  KUBE_NODE_PORT_LOCAL_UDP,
  KUBE_NODE_PORT_SCTP,
  KUBE_NODE_PORT_TCP,
  KUBE_NODE_PORT_UDP,
  type IpsetInfo,
} from './ipvs-ipsets.js';
import {
  buildServicePortInfos,
  categorizeEndpoints,
  cidrContains,
  endpointsForServicePort,
  type EndpointInfo,
  type IptablesService,
  type ServicePortInfo,
} from './service-ports.js';

// ---- input and output -------------------------------------------------------------------------

export interface IpvsProxyInput {
  /** --hostname-override: endpoints with this nodeName are local. */
  hostname: string;
  /** proxier.nodeIP (the node's primary IPv4 address), used for loadBalancerSourceRanges. */
  nodeIP: string;
  /**
   * Every local address of the node except those on kube-ipvs0 (GetAllLocalAddressesExcept):
   * the NodePort virtual servers are created on each, and an externalIP / LB IP that is one of
   * them is not bound to kube-ipvs0. Loopback and non-IPv4 addresses are dropped, as upstream's
   * isValidForSet does.
   */
  nodeAddresses: string[];
  /** --cluster-cidr for the ClusterCIDR local-traffic detector; "" = NoOp detector. */
  clusterCIDR: string;
  services: IptablesService[];
  endpointSlices: EndpointSlice[];
  /** --ipvs-scheduler (default "rr"). */
  scheduler?: string;
  /** --iptables-masquerade-bit (default 14). */
  masqueradeBit?: number;
  /** --masquerade-all (default false). */
  masqueradeAll?: boolean;
  /** Append --random-fully to MASQUERADE, as upstream does when iptables supports it (default true). */
  randomFully?: boolean;
}

export interface RealServer {
  address: string;
  port: number;
  weight: number;
}

export interface VirtualServer {
  /** "TCP" | "UDP" | "SCTP" */
  protocol: Protocol;
  address: string;
  port: number;
  scheduler: string;
  /** FlagPersistent: session affinity ClientIP, with its timeout in seconds. */
  persistentTimeout?: number;
  /** FlagSourceHash, set for the "mh" scheduler. */
  sourceHash: boolean;
  realServers: RealServer[];
}

export interface IpvsRuleset {
  /** Every set of ipsetInfo, with its entries (Entry.String()) sorted as sets.List() sorts. */
  ipsets: { info: IpsetInfo; entries: string[] }[];
  virtualServers: VirtualServer[];
  /** Addresses bound to kube-ipvs0, in the order syncService binds them. */
  bindAddresses: string[];
  /** Rules ("-A ..." lines) per table, in write order; chains as IPVS_IPTABLES_CHAINS. */
  natRules: string[];
  filterRules: string[];
}

class EntrySets {
  private readonly sets = new Map<string, Set<string>>(IPVS_IPSETS.map((s) => [s.name, new Set<string>()]));
  add(name: string, entry: string): void {
    this.sets.get(name)!.add(entry);
  }
  isEmpty(name: string): boolean {
    return this.sets.get(name)!.size === 0;
  }
  set(name: string, entries: Iterable<string>): void {
    this.sets.set(name, new Set(entries));
  }
  list(name: string): string[] {
    // sets.List(): sorted byte-wise, like Go's sort.Strings.
    return [...this.sets.get(name)!].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

/** Entry.String() for hash:ip,port ("10.96.0.10,udp:53"). */
const ipPort = (ip: string, proto: string, port: number): string => `${ip},${proto}:${port}`;

/**
 * syncEndpoint's choice of destinations: CategorizeEndpoints, then, when only node-local
 * endpoints are wanted, the local ones, falling back to the cluster ones when there are none
 * (PR 97081: pods on a node without local endpoints can still reach the service).
 */
function destinations(spi: ServicePortInfo, endpoints: EndpointInfo[], onlyNodeLocal: boolean): RealServer[] {
  const { clusterEndpoints, localEndpoints } = categorizeEndpoints(endpoints, spi);
  const chosen = onlyNodeLocal && localEndpoints.length > 0 ? localEndpoints : clusterEndpoints;
  // newEndpoints is a set of "ip:port" (UnsortedList); sorted here for a stable rendering.
  const unique = new Map(chosen.map((ep) => [ep.endpoint, ep]));
  return [...unique.values()]
    .sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0))
    .map((ep) => ({ address: ep.ip, port: ep.port, weight: 1 }));
}

export const isIPv4NonLoopback = (ip: string): boolean => isValidIpv4(ip) && !ip.startsWith('127.');

/** The full sync of one node (syncProxyRules), structured. */
export function renderIpvsRuleset(input: IpvsProxyInput): IpvsRuleset {
  const scheduler = input.scheduler && input.scheduler !== '' ? input.scheduler : DEFAULT_SCHEDULER;
  const nodeAddressSet = new Set(input.nodeAddresses.filter(isIPv4NonLoopback));
  const sets = new EntrySets();
  const virtualServers = new Map<string, VirtualServer>();
  const bindAddresses: string[] = [];
  const lbNoNodeAccess: { ip: string; proto: string; port: number }[] = [];

  const servicePorts = buildServicePortInfos(input.services);
  const hasNodePort = servicePorts.some((spi) => spi.nodePort !== 0);
  // nodePortAddresses MatchAll: every node address (upstream's set is unordered; sorted here).
  const nodeIPs = hasNodePort ? [...nodeAddressSet].sort((a, b) => ipToInt(a) - ipToInt(b)) : [];

  /** syncService + syncEndpoint for one virtual server. */
  const syncService = (spi: ServicePortInfo, address: string, port: number, bind: boolean, onlyNodeLocal: boolean, endpoints: EndpointInfo[]): void => {
    const vs: VirtualServer = {
      protocol: spi.protocol,
      address,
      port,
      scheduler,
      ...(spi.sessionAffinityClientIP ? { persistentTimeout: spi.stickyMaxAgeSeconds } : {}),
      sourceHash: scheduler === 'mh',
      realServers: destinations(spi, endpoints, onlyNodeLocal),
    };
    // A second service port on the same VIP:port (shared LB IPs) replaces the destinations,
    // as the later syncEndpoint call deletes the earlier ones.
    virtualServers.set(`${vs.protocol}/${address}:${port}`, vs);
    if (bind && !bindAddresses.includes(address)) bindAddresses.push(address);
  };

  for (const spi of servicePorts) {
    const proto = spi.proto;
    const endpoints = endpointsForServicePort(spi, input.endpointSlices, input.hostname);

    // Handle traffic that loops back to the originator with SNAT: every local endpoint.
    for (const ep of endpoints) {
      if (ep.isLocal && ep.ip !== '' && ep.port !== 0) sets.add(KUBE_LOOP_BACK, `${ep.ip},${proto}:${ep.port},${ep.ip}`);
    }

    // Capture the clusterIP (always bound to the dummy device).
    sets.add(KUBE_CLUSTER_IP, ipPort(spi.clusterIP, proto, spi.port));
    syncService(spi, spi.clusterIP, spi.port, true, spi.internalPolicyLocal, endpoints);

    // Capture externalIPs (not bound when the address is already on another interface).
    for (const ip of spi.externalIPs) {
      sets.add(spi.externalPolicyLocal ? KUBE_EXTERNAL_IP_LOCAL : KUBE_EXTERNAL_IP, ipPort(ip, proto, spi.port));
      syncService(spi, ip, spi.port, !nodeAddressSet.has(ip), spi.externalPolicyLocal, endpoints);
    }

    // Capture load-balancer ingress.
    for (const ip of spi.loadBalancerVIPs) {
      const entry = ipPort(ip, proto, spi.port);
      sets.add(KUBE_LOAD_BALANCER_SET, entry);
      if (spi.externalPolicyLocal) sets.add(KUBE_LOAD_BALANCER_LOCAL, entry);
      if (spi.loadBalancerSourceRanges.length > 0) {
        sets.add(KUBE_LOAD_BALANCER_FW, entry);
        let allowFromNode = false;
        for (const cidr of spi.loadBalancerSourceRanges) {
          sets.add(KUBE_LOAD_BALANCER_SOURCE_CIDR, `${entry},${cidr}`);
          if (input.nodeIP !== '' && cidrContains(cidr, input.nodeIP)) allowFromNode = true;
        }
        // The LB VIP is often local: node -> VIP loops back with the VIP as source.
        if (allowFromNode) sets.add(KUBE_LOAD_BALANCER_SOURCE_IP, `${entry},${ip}`);
        else lbNoNodeAccess.push({ ip, proto, port: spi.port });
      }
      syncService(spi, ip, spi.port, !nodeAddressSet.has(ip), spi.externalPolicyLocal, endpoints);
    }

    if (spi.nodePort !== 0) {
      // No node addresses: upstream skips the rest of this service port (health check too).
      if (nodeIPs.length === 0) continue;
      const entries = proto === 'sctp' ? nodeIPs.map((ip) => ipPort(ip, proto, spi.nodePort)) : [String(spi.nodePort)];
      const [portSet, localSet] =
        proto === 'tcp'
          ? [KUBE_NODE_PORT_TCP, KUBE_NODE_PORT_LOCAL_TCP]
          : proto === 'udp'
            ? [KUBE_NODE_PORT_UDP, KUBE_NODE_PORT_LOCAL_UDP]
            : [KUBE_NODE_PORT_SCTP, KUBE_NODE_PORT_LOCAL_SCTP];
      for (const e of entries) sets.add(portSet, e);
      if (spi.externalPolicyLocal) for (const e of entries) sets.add(localSet, e);
      // One virtual server per node address; node addresses are never bound to kube-ipvs0.
      for (const ip of nodeIPs) syncService(spi, ip, spi.nodePort, false, spi.externalPolicyLocal, endpoints);
    }

    if (spi.healthCheckNodePort !== 0) sets.add(KUBE_HEALTH_CHECK_NODE_PORT, String(spi.healthCheckNodePort));
  }

  // Set the KUBE-IPVS-IPS set to the "activeBindAddrs".
  sets.set(KUBE_IPVS_IPS, bindAddresses);

  const { natRules, filterRules } = writeIptablesRules(input, sets, lbNoNodeAccess);
  return {
    ipsets: IPVS_IPSETS.map((info) => ({ info, entries: sets.list(info.name) })),
    virtualServers: [...virtualServers.values()],
    bindAddresses,
    natRules,
    filterRules,
  };
}

/** writeIptablesRules (with acceptIPVSTraffic), line by line. */
function writeIptablesRules(
  input: IpvsProxyInput,
  sets: EntrySets,
  lbNoNodeAccess: { ip: string; proto: string; port: number }[],
): { natRules: string[]; filterRules: string[] } {
  const nat: string[] = [];
  const filter: string[] = [];
  const write = (table: Table, ...words: (string | readonly string[])[]): void => {
    (table === 'nat' ? nat : filter).push(words.flat().join(' '));
  };
  const comment = (name: string): string => quote(IPVS_IPSETS.find((s) => s.name === name)!.comment);
  const mark = masqueradeMarkFromBit(input.masqueradeBit ?? 14);

  // Dismiss connects to localhost early in the service chain.
  write('nat', '-A', KUBE_SERVICES, '-s', '127.0.0.0/8', '-j', 'RETURN');

  for (const set of IPSET_WITH_IPTABLES_CHAIN) {
    if (sets.isEmpty(set.name)) continue;
    write(
      set.table,
      '-A',
      set.from,
      set.protocolMatch !== '' ? ['-p', set.protocolMatch] : [],
      '-m',
      'comment',
      '--comment',
      comment(set.name),
      '-m',
      'set',
      '--match-set',
      set.name,
      set.matchType,
      '-j',
      set.to,
    );
  }

  if (!sets.isEmpty(KUBE_CLUSTER_IP)) {
    const args = ['-A', KUBE_SERVICES, '-m', 'comment', '--comment', comment(KUBE_CLUSTER_IP), '-m', 'set', '--match-set', KUBE_CLUSTER_IP];
    if (input.masqueradeAll) {
      write('nat', args, 'dst,dst', '-j', KUBE_MARK_MASQ);
    } else if (input.clusterCIDR !== '') {
      // localDetector (ClusterCIDR) IfNotLocal(): masquerade off-cluster traffic to a VIP.
      write('nat', args, 'dst,dst', '!', '-s', input.clusterCIDR, '-j', KUBE_MARK_MASQ);
    } else {
      // NoOp detector: masquerade node-originated traffic whose source is a VIP.
      write('nat', args, 'src,dst', '-j', KUBE_MARK_MASQ);
    }
  }

  // externalIPRules: accept off-machine traffic (not from a bridge, not local), and traffic to
  // external IPs that happen to be local addresses.
  const externalIPRules = (args: string[]): void => {
    write('nat', args, '-m', 'physdev', '!', '--physdev-is-in', '-m', 'addrtype', '!', '--src-type', 'LOCAL', '-j', 'ACCEPT');
    write('nat', args, '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'ACCEPT');
  };
  if (!sets.isEmpty(KUBE_EXTERNAL_IP)) {
    const args = ['-A', KUBE_SERVICES, '-m', 'comment', '--comment', comment(KUBE_EXTERNAL_IP), '-m', 'set', '--match-set', KUBE_EXTERNAL_IP, 'dst,dst'];
    write('nat', args, '-j', KUBE_MARK_MASQ);
    externalIPRules(args);
  }
  if (!sets.isEmpty(KUBE_EXTERNAL_IP_LOCAL)) {
    externalIPRules([
      '-A',
      KUBE_SERVICES,
      '-m',
      'comment',
      '--comment',
      comment(KUBE_EXTERNAL_IP_LOCAL),
      '-m',
      'set',
      '--match-set',
      KUBE_EXTERNAL_IP_LOCAL,
      'dst,dst',
    ]);
  }

  write('nat', '-A', KUBE_SERVICES, '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', KUBE_NODE_PORT);
  // Mark for masquerading for KUBE-LOAD-BALANCER.
  write('nat', '-A', KUBE_LOAD_BALANCER, '-j', KUBE_MARK_MASQ);
  // Drop packets filtered by KUBE-SOURCE-RANGES-FIREWALL.
  write('filter', '-A', KUBE_SOURCE_RANGES_FIREWALL, '-j', 'DROP');
  // Disable LB access from the node when no source range covers the node IP (issue 119656).
  for (const e of lbNoNodeAccess) {
    write('filter', '-A', KUBE_IPVS_OUT_FILTER, '-s', e.ip, '-m', 'ipvs', '--vaddr', e.ip, '--vproto', e.proto, '--vport', String(e.port), '-j', 'DROP');
  }
  // acceptIPVSTraffic: must be at the end of KUBE-SERVICES.
  for (const set of [KUBE_CLUSTER_IP, KUBE_LOAD_BALANCER_SET]) {
    if (!sets.isEmpty(set)) write('nat', '-A', KUBE_SERVICES, '-m', 'set', '--match-set', set, 'dst,dst', '-j', 'ACCEPT');
  }
  write(
    'filter',
    '-A',
    KUBE_FORWARD,
    '-m',
    'comment',
    '--comment',
    quote('kubernetes forwarding rules'),
    '-m',
    'mark',
    '--mark',
    `${mark}/${mark}`,
    '-j',
    'ACCEPT',
  );
  write(
    'filter',
    '-A',
    KUBE_FORWARD,
    '-m',
    'comment',
    '--comment',
    quote('kubernetes forwarding conntrack rule'),
    '-m',
    'conntrack',
    '--ctstate',
    'RELATED,ESTABLISHED',
    '-j',
    'ACCEPT',
  );
  write(
    'filter',
    '-A',
    KUBE_NODE_PORT,
    '-m',
    'comment',
    '--comment',
    comment(KUBE_HEALTH_CHECK_NODE_PORT),
    '-m',
    'set',
    '--match-set',
    KUBE_HEALTH_CHECK_NODE_PORT,
    'dst',
    '-j',
    'ACCEPT',
  );
  // KUBE-IPVS-FILTER: no access to host ports through VIP addresses (issue 72236).
  for (const set of [KUBE_LOAD_BALANCER_SET, KUBE_CLUSTER_IP, KUBE_EXTERNAL_IP, KUBE_EXTERNAL_IP_LOCAL]) {
    write('filter', '-A', KUBE_IPVS_FILTER, '-m', 'set', '--match-set', set, 'dst,dst', '-j', 'RETURN');
  }
  write('filter', '-A', KUBE_IPVS_FILTER, '-m', 'set', '--match-set', KUBE_HEALTH_CHECK_NODE_PORT, 'dst', '-j', 'RETURN');
  write('filter', '-A', KUBE_IPVS_FILTER, '-m', 'conntrack', '--ctstate', 'NEW', '-m', 'set', '--match-set', KUBE_IPVS_IPS, 'dst', '-j', 'REJECT');

  write('nat', '-A', KUBE_POSTROUTING, '-m', 'mark', '!', '--mark', `${mark}/${mark}`, '-j', 'RETURN');
  // Clear the mark to avoid re-masquerading if the packet re-traverses the network stack.
  write('nat', '-A', KUBE_POSTROUTING, '-j', 'MARK', '--xor-mark', mark);
  write(
    'nat',
    '-A',
    KUBE_POSTROUTING,
    '-m',
    'comment',
    '--comment',
    quote('kubernetes service traffic requiring SNAT'),
    '-j',
    'MASQUERADE',
    (input.randomFully ?? true) ? ['--random-fully'] : [],
  );
  write('nat', '-A', KUBE_MARK_MASQ, '-j', 'MARK', '--or-mark', mark);
  return { natRules: nat, filterRules: filter };
}
