// kube-proxy IPVS mode's input (the flags and node state upstream's NewProxier takes) and output
// (the end state of one syncProxyRules: ipsets, virtual servers, bound addresses, iptables rules),
// after kubernetes/kubernetes pkg/proxy/ipvs/proxier.go and util/ipvs_linux.go.
import type { EndpointSlice, Protocol } from '../../model/types.js';
import { IPVS_IPSETS, type IpsetInfo } from './ipvs-ipsets.js';
import type { IptablesService } from './service-ports.js';

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

/** The entries of every set of ipsetInfo while a sync collects them. */
export class EntrySets {
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
