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
//
// The input and output types are in ipvs-types.ts, the iptables rules in ipvs-iptables.ts.
import { ipToInt, isValidIpv4 } from '../../net/cidr.js';
import { DEFAULT_SCHEDULER } from './ipvs-chains.js';
import { writeIptablesRules } from './ipvs-iptables.js';
import {
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
} from './ipvs-ipsets.js';
import { EntrySets, type IpvsProxyInput, type IpvsRuleset, type RealServer, type VirtualServer } from './ipvs-types.js';
import { categorizeEndpoints, cidrContains, servicePortsWithEndpoints, type EndpointInfo, type ServicePortInfo } from './service-ports.js';

// ---- rendering --------------------------------------------------------------------------------

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

  const servicePorts = servicePortsWithEndpoints(input.services, input.endpointSlices, input.hostname);
  const hasNodePort = servicePorts.some(({ spi }) => spi.nodePort !== 0);
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

  for (const { spi, endpoints } of servicePorts) {
    const proto = spi.proto;

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
