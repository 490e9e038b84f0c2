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
// TestNodePortIPv4, TestLoadBalancer, ...) is what ipvs.test.ts checks against.
//
// Upstream talks to the kernel object by object (netlink for IPVS and addresses, `ipset add` per
// entry, one iptables-restore); here the end state of a full sync on a fresh namespace is
// written as three restore inputs plus `ip -batch` lines, so a sync is a handful of processes.
import type { ClusterModel, EndpointSlice, Node, Protocol } from '../../model/types.js';
import { ipToInt, isValidIpv4 } from '../../net/cidr.js';
import { netnsName } from '../../model/names.js';
import type { Op } from '../types.js';
import { masqueradeMarkFromBit } from './go-format.js';
import {
  buildServicePortInfos,
  categorizeEndpoints,
  cidrContains,
  endpointsForServicePort,
  type EndpointInfo,
  type IptablesService,
  type ServicePortInfo,
} from './service-ports.js';

/** Kernel features IPVS mode needs (checked before `lab up`). */
export const IPVS_REQUIRES: string[] = ['CONFIG_IP_VS', 'CONFIG_DUMMY', 'CONFIG_IP_SET', 'CONFIG_NF_CONNTRACK'];

/** proxier.go defaultDummyDevice / defaultScheduler. */
export const DUMMY_DEVICE = 'kube-ipvs0';
export const DEFAULT_SCHEDULER = 'rr';

// ---- iptables chains (proxier.go constants) ---------------------------------------------------

export const KUBE_SERVICES = 'KUBE-SERVICES';
export const KUBE_PROXY_FIREWALL = 'KUBE-PROXY-FIREWALL';
export const KUBE_SOURCE_RANGES_FIREWALL = 'KUBE-SOURCE-RANGES-FIREWALL';
export const KUBE_POSTROUTING = 'KUBE-POSTROUTING';
export const KUBE_MARK_MASQ = 'KUBE-MARK-MASQ';
export const KUBE_NODE_PORT = 'KUBE-NODE-PORT';
export const KUBE_FORWARD = 'KUBE-FORWARD';
export const KUBE_LOAD_BALANCER = 'KUBE-LOAD-BALANCER';
export const KUBE_IPVS_FILTER = 'KUBE-IPVS-FILTER';
export const KUBE_IPVS_OUT_FILTER = 'KUBE-IPVS-OUT-FILTER';

type Table = 'nat' | 'filter';

/** iptablesChains: the chains every sync declares, per table, in upstream order. */
export const IPVS_IPTABLES_CHAINS: readonly { table: Table; chain: string }[] = [
  { table: 'nat', chain: KUBE_SERVICES },
  { table: 'nat', chain: KUBE_POSTROUTING },
  { table: 'nat', chain: KUBE_NODE_PORT },
  { table: 'nat', chain: KUBE_LOAD_BALANCER },
  { table: 'nat', chain: KUBE_MARK_MASQ },
  { table: 'filter', chain: KUBE_FORWARD },
  { table: 'filter', chain: KUBE_NODE_PORT },
  { table: 'filter', chain: KUBE_PROXY_FIREWALL },
  { table: 'filter', chain: KUBE_SOURCE_RANGES_FIREWALL },
  { table: 'filter', chain: KUBE_IPVS_FILTER },
  { table: 'filter', chain: KUBE_IPVS_OUT_FILTER },
];

/** iptablesJumpChain: rules in built-in chains, each installed with EnsureRule(Prepend, ...). */
export const IPVS_JUMP_CHAINS: readonly { table: Table; from: string; to: string; comment: string }[] = [
  { table: 'nat', from: 'OUTPUT', to: KUBE_SERVICES, comment: 'kubernetes service portals' },
  { table: 'nat', from: 'PREROUTING', to: KUBE_SERVICES, comment: 'kubernetes service portals' },
  { table: 'nat', from: 'POSTROUTING', to: KUBE_POSTROUTING, comment: 'kubernetes postrouting rules' },
  { table: 'filter', from: 'FORWARD', to: KUBE_FORWARD, comment: 'kubernetes forwarding rules' },
  { table: 'filter', from: 'INPUT', to: KUBE_NODE_PORT, comment: 'kubernetes health check rules' },
  { table: 'filter', from: 'INPUT', to: KUBE_PROXY_FIREWALL, comment: 'kube-proxy firewall rules' },
  { table: 'filter', from: 'FORWARD', to: KUBE_PROXY_FIREWALL, comment: 'kube-proxy firewall rules' },
  { table: 'filter', from: 'INPUT', to: KUBE_IPVS_FILTER, comment: 'kubernetes ipvs access filter' },
  { table: 'filter', from: 'OUTPUT', to: KUBE_IPVS_OUT_FILTER, comment: 'kubernetes ipvs access filter' },
];

// ---- ipsets (ipset.go constants, proxier.go ipsetInfo) ----------------------------------------

export const KUBE_LOOP_BACK = 'KUBE-LOOP-BACK';
export const KUBE_CLUSTER_IP = 'KUBE-CLUSTER-IP';
export const KUBE_EXTERNAL_IP = 'KUBE-EXTERNAL-IP';
export const KUBE_EXTERNAL_IP_LOCAL = 'KUBE-EXTERNAL-IP-LOCAL';
export const KUBE_LOAD_BALANCER_SET = 'KUBE-LOAD-BALANCER';
export const KUBE_LOAD_BALANCER_FW = 'KUBE-LOAD-BALANCER-FW';
export const KUBE_LOAD_BALANCER_LOCAL = 'KUBE-LOAD-BALANCER-LOCAL';
export const KUBE_LOAD_BALANCER_SOURCE_IP = 'KUBE-LOAD-BALANCER-SOURCE-IP';
export const KUBE_LOAD_BALANCER_SOURCE_CIDR = 'KUBE-LOAD-BALANCER-SOURCE-CIDR';
export const KUBE_NODE_PORT_TCP = 'KUBE-NODE-PORT-TCP';
export const KUBE_NODE_PORT_LOCAL_TCP = 'KUBE-NODE-PORT-LOCAL-TCP';
export const KUBE_NODE_PORT_UDP = 'KUBE-NODE-PORT-UDP';
export const KUBE_NODE_PORT_LOCAL_UDP = 'KUBE-NODE-PORT-LOCAL-UDP';
export const KUBE_NODE_PORT_SCTP = 'KUBE-NODE-PORT-SCTP-HASH';
export const KUBE_NODE_PORT_LOCAL_SCTP = 'KUBE-NODE-PORT-LOCAL-SCTP-HASH';
export const KUBE_HEALTH_CHECK_NODE_PORT = 'KUBE-HEALTH-CHECK-NODE-PORT';
export const KUBE_IPVS_IPS = 'KUBE-IPVS-IPS';

/** ipset/types.go */
export type IpsetType = 'hash:ip,port' | 'hash:ip,port,ip' | 'hash:ip,port,net' | 'bitmap:port' | 'hash:ip';

export interface IpsetInfo {
  name: string;
  type: IpsetType;
  /** Used only in the iptables rules that match the set (getComment), never passed to ipset. */
  comment: string;
}

/** ipsetInfo, in upstream order. */
export const IPVS_IPSETS: readonly IpsetInfo[] = [
  { name: KUBE_LOOP_BACK, type: 'hash:ip,port,ip', comment: 'Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose' },
  { name: KUBE_CLUSTER_IP, type: 'hash:ip,port', comment: 'Kubernetes service cluster ip + port for masquerade purpose' },
  { name: KUBE_EXTERNAL_IP, type: 'hash:ip,port', comment: 'Kubernetes service external ip + port for masquerade and filter purpose' },
  { name: KUBE_EXTERNAL_IP_LOCAL, type: 'hash:ip,port', comment: 'Kubernetes service external ip + port with externalTrafficPolicy=local' },
  { name: KUBE_LOAD_BALANCER_SET, type: 'hash:ip,port', comment: 'Kubernetes service lb portal' },
  { name: KUBE_LOAD_BALANCER_FW, type: 'hash:ip,port', comment: 'Kubernetes service load balancer ip + port for load balancer with sourceRange' },
  { name: KUBE_LOAD_BALANCER_LOCAL, type: 'hash:ip,port', comment: 'Kubernetes service load balancer ip + port with externalTrafficPolicy=local' },
  { name: KUBE_LOAD_BALANCER_SOURCE_IP, type: 'hash:ip,port,ip', comment: 'Kubernetes service load balancer ip + port + source IP for packet filter purpose' },
  { name: KUBE_LOAD_BALANCER_SOURCE_CIDR, type: 'hash:ip,port,net', comment: 'Kubernetes service load balancer ip + port + source cidr for packet filter purpose' },
  { name: KUBE_NODE_PORT_TCP, type: 'bitmap:port', comment: 'Kubernetes nodeport TCP port for masquerade purpose' },
  { name: KUBE_NODE_PORT_LOCAL_TCP, type: 'bitmap:port', comment: 'Kubernetes nodeport TCP port with externalTrafficPolicy=local' },
  { name: KUBE_NODE_PORT_UDP, type: 'bitmap:port', comment: 'Kubernetes nodeport UDP port for masquerade purpose' },
  { name: KUBE_NODE_PORT_LOCAL_UDP, type: 'bitmap:port', comment: 'Kubernetes nodeport UDP port with externalTrafficPolicy=local' },
  { name: KUBE_NODE_PORT_SCTP, type: 'hash:ip,port', comment: "Kubernetes nodeport SCTP port for masquerade purpose with type 'hash ip:port'" },
  { name: KUBE_NODE_PORT_LOCAL_SCTP, type: 'hash:ip,port', comment: "Kubernetes nodeport SCTP port with externalTrafficPolicy=local with type 'hash ip:port'" },
  { name: KUBE_HEALTH_CHECK_NODE_PORT, type: 'bitmap:port', comment: 'Kubernetes health check node port' },
  { name: KUBE_IPVS_IPS, type: 'hash:ip', comment: 'Addresses on the ipvs interface' },
];

/**
 * ipsetWithIptablesChain: sets whose non-emptiness adds
 * `-A <from> [-p proto] -m comment --comment "<comment>" -m set --match-set <set> <match> -j <to>`.
 * The local node-port sets come before their non-local ones (RETURN before KUBE-MARK-MASQ).
 */
const IPSET_WITH_IPTABLES_CHAIN: readonly { name: string; table: Table; from: string; to: string; matchType: string; protocolMatch: string }[] = [
  { name: KUBE_LOOP_BACK, table: 'nat', from: KUBE_POSTROUTING, to: 'MASQUERADE', matchType: 'dst,dst,src', protocolMatch: '' },
  { name: KUBE_LOAD_BALANCER_SET, table: 'nat', from: KUBE_SERVICES, to: KUBE_LOAD_BALANCER, matchType: 'dst,dst', protocolMatch: '' },
  { name: KUBE_LOAD_BALANCER_LOCAL, table: 'nat', from: KUBE_LOAD_BALANCER, to: 'RETURN', matchType: 'dst,dst', protocolMatch: '' },
  { name: KUBE_NODE_PORT_LOCAL_TCP, table: 'nat', from: KUBE_NODE_PORT, to: 'RETURN', matchType: 'dst', protocolMatch: 'tcp' },
  { name: KUBE_NODE_PORT_TCP, table: 'nat', from: KUBE_NODE_PORT, to: KUBE_MARK_MASQ, matchType: 'dst', protocolMatch: 'tcp' },
  { name: KUBE_NODE_PORT_LOCAL_UDP, table: 'nat', from: KUBE_NODE_PORT, to: 'RETURN', matchType: 'dst', protocolMatch: 'udp' },
  { name: KUBE_NODE_PORT_UDP, table: 'nat', from: KUBE_NODE_PORT, to: KUBE_MARK_MASQ, matchType: 'dst', protocolMatch: 'udp' },
  { name: KUBE_NODE_PORT_LOCAL_SCTP, table: 'nat', from: KUBE_NODE_PORT, to: 'RETURN', matchType: 'dst,dst', protocolMatch: 'sctp' },
  { name: KUBE_NODE_PORT_SCTP, table: 'nat', from: KUBE_NODE_PORT, to: KUBE_MARK_MASQ, matchType: 'dst,dst', protocolMatch: 'sctp' },
  { name: KUBE_LOAD_BALANCER_FW, table: 'filter', from: KUBE_PROXY_FIREWALL, to: KUBE_SOURCE_RANGES_FIREWALL, matchType: 'dst,dst', protocolMatch: '' },
  { name: KUBE_LOAD_BALANCER_SOURCE_CIDR, table: 'filter', from: KUBE_SOURCE_RANGES_FIREWALL, to: 'RETURN', matchType: 'dst,dst,src', protocolMatch: '' },
  { name: KUBE_LOAD_BALANCER_SOURCE_IP, table: 'filter', from: KUBE_SOURCE_RANGES_FIREWALL, to: 'RETURN', matchType: 'dst,dst,src', protocolMatch: '' },
];

/** ipset/types.go DefaultPortRange; ipset/ipset.go setIPSetDefaults (hashsize, maxelem). */
const DEFAULT_PORT_RANGE = '0-65535';
const DEFAULT_HASH_SIZE = 1024;
const DEFAULT_MAX_ELEM = 65536;

// ---- sysctls (NewProxier) ---------------------------------------------------------------------

/** pkg/util/kernel/constants.go */
export const IPVS_CONN_REUSE_MODE_MIN_SUPPORTED_KERNEL = '4.1';
export const IPVS_CONN_REUSE_MODE_FIXED_KERNEL = '5.9';

export interface IpvsSysctlOptions {
  /** --ipvs-strict-arp (KubeProxyConfiguration ipvs.strictARP; kube-proxy's default is false). */
  strictARP: boolean;
  /** `uname -r` of the kernel; unset = a kernel >= 5.9 (conn_reuse_mode is left as it is). */
  kernelVersion?: string;
}

/** Compares dotted versions numerically ("5.10.0-28-amd64" > "5.9"), like version.ParseGeneric. */
function versionAtLeast(version: string, min: string): boolean {
  const parse = (v: string): number[] => (/^\d+(\.\d+)*/.exec(v)?.[0] ?? '0').split('.').map(Number);
  const a = parse(version);
  const b = parse(min);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/**
 * The sysctls NewProxier ensures, in its order (keys with dots, as sysctl(8) takes them):
 * vs/conntrack=1; vs/conn_reuse_mode=0 only on kernels in [4.1, 5.9) (older ones lack it, newer
 * ones fixed it: "Left as-is", issue 93297); vs/expire_nodest_conn=1;
 * vs/expire_quiescent_template=1; ip_forward=1; with strictARP, conf/all/arp_ignore=1 and
 * conf/all/arp_announce=2.
 */
export function ipvsSysctls(opts: IpvsSysctlOptions): { key: string; value: string }[] {
  const out = [{ key: 'net.ipv4.vs.conntrack', value: '1' }];
  const kernel = opts.kernelVersion;
  if (kernel !== undefined && versionAtLeast(kernel, IPVS_CONN_REUSE_MODE_MIN_SUPPORTED_KERNEL) && !versionAtLeast(kernel, IPVS_CONN_REUSE_MODE_FIXED_KERNEL)) {
    out.push({ key: 'net.ipv4.vs.conn_reuse_mode', value: '0' });
  }
  out.push(
    { key: 'net.ipv4.vs.expire_nodest_conn', value: '1' },
    { key: 'net.ipv4.vs.expire_quiescent_template', value: '1' },
    { key: 'net.ipv4.ip_forward', value: '1' },
  );
  if (opts.strictARP) {
    out.push({ key: 'net.ipv4.conf.all.arp_ignore', value: '1' }, { key: 'net.ipv4.conf.all.arp_announce', value: '2' });
  }
  return out;
}

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

const quote = (s: string): string => `"${s}"`;

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

const isIPv4NonLoopback = (ip: string): boolean => isValidIpv4(ip) && !ip.startsWith('127.');

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
      const entries =
        proto === 'sctp' ? nodeIPs.map((ip) => ipPort(ip, proto, spi.nodePort)) : [String(spi.nodePort)];
      const [portSet, localSet] =
        proto === 'tcp' ? [KUBE_NODE_PORT_TCP, KUBE_NODE_PORT_LOCAL_TCP]
          : proto === 'udp' ? [KUBE_NODE_PORT_UDP, KUBE_NODE_PORT_LOCAL_UDP]
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
    write(set.table, '-A', set.from, set.protocolMatch !== '' ? ['-p', set.protocolMatch] : [],
      '-m', 'comment', '--comment', comment(set.name), '-m', 'set', '--match-set', set.name, set.matchType, '-j', set.to);
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
    externalIPRules(['-A', KUBE_SERVICES, '-m', 'comment', '--comment', comment(KUBE_EXTERNAL_IP_LOCAL), '-m', 'set', '--match-set', KUBE_EXTERNAL_IP_LOCAL, 'dst,dst']);
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
  write('filter', '-A', KUBE_FORWARD, '-m', 'comment', '--comment', quote('kubernetes forwarding rules'),
    '-m', 'mark', '--mark', `${mark}/${mark}`, '-j', 'ACCEPT');
  write('filter', '-A', KUBE_FORWARD, '-m', 'comment', '--comment', quote('kubernetes forwarding conntrack rule'),
    '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT');
  write('filter', '-A', KUBE_NODE_PORT, '-m', 'comment', '--comment', comment(KUBE_HEALTH_CHECK_NODE_PORT),
    '-m', 'set', '--match-set', KUBE_HEALTH_CHECK_NODE_PORT, 'dst', '-j', 'ACCEPT');
  // KUBE-IPVS-FILTER: no access to host ports through VIP addresses (issue 72236).
  for (const set of [KUBE_LOAD_BALANCER_SET, KUBE_CLUSTER_IP, KUBE_EXTERNAL_IP, KUBE_EXTERNAL_IP_LOCAL]) {
    write('filter', '-A', KUBE_IPVS_FILTER, '-m', 'set', '--match-set', set, 'dst,dst', '-j', 'RETURN');
  }
  write('filter', '-A', KUBE_IPVS_FILTER, '-m', 'set', '--match-set', KUBE_HEALTH_CHECK_NODE_PORT, 'dst', '-j', 'RETURN');
  write('filter', '-A', KUBE_IPVS_FILTER, '-m', 'conntrack', '--ctstate', 'NEW', '-m', 'set', '--match-set', KUBE_IPVS_IPS, 'dst', '-j', 'REJECT');

  write('nat', '-A', KUBE_POSTROUTING, '-m', 'mark', '!', '--mark', `${mark}/${mark}`, '-j', 'RETURN');
  // Clear the mark to avoid re-masquerading if the packet re-traverses the network stack.
  write('nat', '-A', KUBE_POSTROUTING, '-j', 'MARK', '--xor-mark', mark);
  write('nat', '-A', KUBE_POSTROUTING, '-m', 'comment', '--comment', quote('kubernetes service traffic requiring SNAT'),
    '-j', 'MASQUERADE', (input.randomFully ?? true) ? ['--random-fully'] : []);
  write('nat', '-A', KUBE_MARK_MASQ, '-j', 'MARK', '--or-mark', mark);
  return { natRules: nat, filterRules: filter };
}

// ---- restore texts ----------------------------------------------------------------------------

/**
 * `ipset restore -exist` input: every set of ipsetInfo is created (ensureIPSet, with createSet's
 * arguments: family/hashsize/maxelem for hash types, range for bitmap:port; the comment is not an
 * ipset option), emptied and filled with exactly its active entries (syncIPSetEntries' end state).
 */
export function ipsetRestoreText(ruleset: IpvsRuleset): string {
  const lines: string[] = [];
  for (const { info, entries } of ruleset.ipsets) {
    const opts = info.type === 'bitmap:port'
      ? ['range', DEFAULT_PORT_RANGE]
      : ['family', 'inet', 'hashsize', String(DEFAULT_HASH_SIZE), 'maxelem', String(DEFAULT_MAX_ELEM)];
    lines.push(['create', info.name, info.type, ...opts].join(' '), `flush ${info.name}`);
    for (const e of entries) lines.push(`add ${info.name} ${e}`);
  }
  return `${lines.join('\n')}\n`;
}

const IPVSADM_PROTOCOL: Record<Protocol, string> = { TCP: '-t', UDP: '-u', SCTP: '--sctp-service' };

/** `ipvsadm -S -n` style lines for one virtual server and its destinations. */
export function virtualServerLines(vs: VirtualServer): string[] {
  const svc = `${IPVSADM_PROTOCOL[vs.protocol]} ${vs.address}:${vs.port}`;
  // toIPVSService: netmask 255.255.255.255 (ipvsadm prints -M only for other masks).
  const persistent = vs.persistentTimeout !== undefined ? ` -p ${vs.persistentTimeout}` : '';
  // FlagSourceHash = IP_VS_SVC_F_SCHED2, which ipvsadm names "mh-port" for the mh scheduler.
  const flags = vs.sourceHash ? ' -b mh-port' : '';
  return [
    `-A ${svc} -s ${vs.scheduler}${persistent}${flags}`,
    // toIPVSDestination leaves ConnectionFlags 0 = IP_VS_CONN_F_MASQ (-m); weight 1.
    ...vs.realServers.map((rs) => `-a ${svc} -r ${rs.address}:${rs.port} -m -w ${rs.weight}`),
  ];
}

/**
 * `ipvsadm-restore` input. `-C` first: upstream's cleanLegacyService deletes every virtual server
 * it did not sync this round (the lab excludes no CIDRs), so the end state is exactly these.
 */
export function ipvsadmRestoreText(ruleset: IpvsRuleset): string {
  return `${['-C', ...ruleset.virtualServers.flatMap(virtualServerLines)].join('\n')}\n`;
}

/** An EnsureRule(Prepend) jump as an iptables-restore line (comment quoted). */
function jumpLine(j: (typeof IPVS_JUMP_CHAINS)[number]): string {
  return `-I ${j.from} -m comment --comment ${quote(j.comment)} -j ${j.to}`;
}

/**
 * iptables-restore --noflush input in upstream's layout (natChains, natRules, filterChains,
 * filterRules). createAndLinkKubeChain installs iptablesJumpChain with EnsureRule(Prepend)
 * outside the restore; here they are `-I` lines before each COMMIT, in the same order (each
 * `-I` prepends, as each EnsureRule(Prepend) does), so the sync stays one process.
 */
export function ipvsIptablesRestoreText(ruleset: IpvsRuleset, opts: { jumps?: boolean } = {}): string {
  const jumps = opts.jumps ?? true;
  const table = (name: Table, rules: string[]): string[] => [
    `*${name}`,
    ...IPVS_IPTABLES_CHAINS.filter((c) => c.table === name).map((c) => `:${c.chain} - [0:0]`),
    ...rules,
    ...(jumps ? IPVS_JUMP_CHAINS.filter((j) => j.table === name).map(jumpLine) : []),
    'COMMIT',
  ];
  return `${[...table('nat', ruleset.natRules), ...table('filter', ruleset.filterRules)].join('\n')}\n`;
}

// ---- the node plan ----------------------------------------------------------------------------

export interface IpvsNodeOptions {
  /** --ipvs-strict-arp. Default: on when the lab has MetalLB address pools (MetalLB requires it
   * in IPVS mode, or every node answers ARP for the LB IPs on kube-ipvs0); else kube-proxy's false. */
  strictARP?: boolean;
  /** Kernel version for the conn_reuse_mode decision (default: a kernel >= 5.9). */
  kernelVersion?: string;
  scheduler?: string;
  /** Overrides the node's local addresses (default: eth0 plus what the pod network reports). */
  nodeAddresses?: string[];
}

/**
 * The node's addresses outside kube-ipvs0 (GetAllLocalAddressesExcept): its underlay address plus
 * every address the pod network puts on the node (cni0's gateway, flannel.1's lease address), as
 * the pod network's plan reports them.
 */
export function nodeLocalAddresses(node: Node, podNetworkAddresses: string[]): string[] {
  const all = [node.ip, ...podNetworkAddresses].filter(isIPv4NonLoopback);
  return [...new Set(all)].sort((a, b) => ipToInt(a) - ipToInt(b));
}

export function ipvsInputFor(model: ClusterModel, node: Node, podNetworkAddresses: string[], opts: IpvsNodeOptions = {}): IpvsProxyInput {
  return {
    hostname: node.name,
    nodeIP: node.ip,
    nodeAddresses: opts.nodeAddresses ?? nodeLocalAddresses(node, podNetworkAddresses),
    clusterCIDR: model.network.podCIDR,
    services: model.services,
    endpointSlices: model.endpointSlices,
    scheduler: opts.scheduler,
  };
}

/**
 * kube-proxy in IPVS mode on one node.
 * ruleOps (before the node's devices exist): ipset restore, ipvsadm-restore, iptables-restore
 * (in that order: the iptables rules match the sets). nodeOps: NewProxier's sysctls (the
 * net.ipv4.vs ones exist once ip_vs is loaded, which ipvsadm did in the earlier step), then
 * kube-ipvs0 (`ip link add ... type dummy`, left down like EnsureDummyDevice leaves it) and its
 * /32 addresses in binding order.
 */
export function planIpvsNode(model: ClusterModel, node: Node, podNetworkAddresses: string[], opts: IpvsNodeOptions = {}): { ruleOps: Op[]; nodeOps: Op[] } {
  const netns = netnsName(model.lab, node.name);
  const ruleset = renderIpvsRuleset(ipvsInputFor(model, node, podNetworkAddresses, opts));
  const strictARP = opts.strictARP ?? model.addressPools.length > 0;
  return {
    ruleOps: [
      { kind: 'restore', netns, tool: 'ipset', input: ipsetRestoreText(ruleset) },
      { kind: 'restore', netns, tool: 'ipvsadm', input: ipvsadmRestoreText(ruleset) },
      { kind: 'iptables-restore', netns, rules: ipvsIptablesRestoreText(ruleset) },
    ],
    nodeOps: [
      ...ipvsSysctls({ strictARP, kernelVersion: opts.kernelVersion }).map((s): Op => ({ kind: 'sysctl', netns, key: s.key, value: s.value, optional: false })),
      { kind: 'ip', netns, args: ['link', 'add', DUMMY_DEVICE, 'type', 'dummy'] },
      ...ruleset.bindAddresses.map((ip): Op => ({ kind: 'ip', netns, args: ['addr', 'add', `${ip}/32`, 'dev', DUMMY_DEVICE] })),
    ],
  };
}
