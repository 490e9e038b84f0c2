// kube-proxy's iptables mode, as pure code: the iptables-restore input that upstream's
// Proxier.syncProxyRules() writes on a full sync, for the IPv4 proxier.
//
// Upstream: kubernetes/kubernetes pkg/proxy/iptables/proxier.go at commit
// 531be81208e2274ef42e72525a26610a9622bcdf (master after pkg/proxy/runner and
// pkg/proxy/iptables/cleanup.go were split out; later than v1.34). Rule text, argument order,
// comments and quoting follow that file line by line; the golden test reproduces
// TestOverallIPTablesRules from proxier_test.go at the same commit.
//
// Not I/O: the caller feeds toRestoreText() to `iptables-restore --noflush --counters` (the
// flags upstream's RestoreAll uses) and installs `jumpRules` with `iptables -C || iptables -I`
// (upstream's EnsureRule(Prepend, ...)).
import type { EndpointSlice } from '../../model/types.js';
import { isValidIpv4 } from '../../net/cidr.js';
import { computeProbability, masqueradeMarkFromBit } from './go-format.js';
import { isServiceChainName } from './iptables-names.js';
import {
  buildServicePortInfos,
  categorizeEndpoints,
  cidrContains,
  endpointsForServicePort,
  externallyAccessible,
  normalizeCidr,
  usesClusterEndpoints,
  usesLocalEndpoints,
  type EndpointInfo,
  type IptablesService,
  type ServicePortInfo,
} from './service-ports.js';

export type { IptablesService } from './service-ports.js';

// ---- chains (proxier.go constants) ------------------------------------------------------------

export const KUBE_SERVICES = 'KUBE-SERVICES';
export const KUBE_EXTERNAL_SERVICES = 'KUBE-EXTERNAL-SERVICES';
export const KUBE_NODEPORTS = 'KUBE-NODEPORTS';
export const KUBE_POSTROUTING = 'KUBE-POSTROUTING';
export const KUBE_MARK_MASQ = 'KUBE-MARK-MASQ';
export const KUBE_FORWARD = 'KUBE-FORWARD';
export const KUBE_PROXY_FIREWALL = 'KUBE-PROXY-FIREWALL';
export const KUBE_PROXY_CANARY = 'KUBE-PROXY-CANARY';
/** kubeletFirewallChain: kube-proxy's copy of kubelet's anti-martian-packet chain. */
export const KUBE_FIREWALL = 'KUBE-FIREWALL';

/** Above this many endpoints upstream drops per-endpoint comments ("large cluster mode"). */
export const LARGE_CLUSTER_ENDPOINTS_THRESHOLD = 1000;

/** nfacct counter names (pkg/proxy/metrics). */
export const NFACCT_CT_STATE_INVALID_DROPPED = 'ct_state_invalid_dropped_pkts';
export const NFACCT_LOCALHOST_NODEPORT_ACCEPTED = 'localhost_nps_accepted_pkts';

/** Flags upstream passes to iptables-restore (RestoreAll with NoFlushTables, RestoreCounters). */
export const IPTABLES_RESTORE_FLAGS = ['--noflush', '--counters'] as const;

/** Chains of the filter/nat tables that every sync (full or partial) writes, in upstream order. */
export const FILTER_TOP_LEVEL_CHAINS = [KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_NODEPORTS, KUBE_PROXY_FIREWALL] as const;
export const NAT_TOP_LEVEL_CHAINS = [KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ] as const;

export type TableName = 'filter' | 'nat';

/** iptablesJumpChain: a rule in a built-in chain, installed with EnsureRule(Prepend, ...). */
export interface JumpChain {
  table: TableName;
  dstChain: string;
  srcChain: string;
  comment: string;
  extraArgs: string[];
  /** True for iptablesKubeletJumpChains (duplicates of kubelet's, never cleaned up). */
  kubelet: boolean;
}

const ctNew = ['-m', 'conntrack', '--ctstate', 'NEW'];
const jump = (table: TableName, dstChain: string, srcChain: string, comment: string, extraArgs: string[] = []): JumpChain => ({
  table,
  dstChain,
  srcChain,
  comment,
  extraArgs,
  kubelet: false,
});

/** iptablesJumpChains followed by iptablesKubeletJumpChains, in upstream order. */
export const IPTABLES_JUMP_CHAINS: readonly JumpChain[] = [
  jump('filter', KUBE_EXTERNAL_SERVICES, 'INPUT', 'kubernetes externally-visible service portals', ctNew),
  jump('filter', KUBE_EXTERNAL_SERVICES, 'FORWARD', 'kubernetes externally-visible service portals', ctNew),
  jump('filter', KUBE_NODEPORTS, 'INPUT', 'kubernetes health check service ports'),
  jump('filter', KUBE_SERVICES, 'FORWARD', 'kubernetes service portals', ctNew),
  jump('filter', KUBE_SERVICES, 'OUTPUT', 'kubernetes service portals', ctNew),
  jump('filter', KUBE_FORWARD, 'FORWARD', 'kubernetes forwarding rules'),
  jump('filter', KUBE_PROXY_FIREWALL, 'INPUT', 'kubernetes load balancer firewall', ctNew),
  jump('filter', KUBE_PROXY_FIREWALL, 'OUTPUT', 'kubernetes load balancer firewall', ctNew),
  jump('filter', KUBE_PROXY_FIREWALL, 'FORWARD', 'kubernetes load balancer firewall', ctNew),
  jump('nat', KUBE_SERVICES, 'OUTPUT', 'kubernetes service portals'),
  jump('nat', KUBE_SERVICES, 'PREROUTING', 'kubernetes service portals'),
  jump('nat', KUBE_POSTROUTING, 'POSTROUTING', 'kubernetes postrouting rules'),
  { ...jump('filter', KUBE_FIREWALL, 'INPUT', ''), kubelet: true },
  { ...jump('filter', KUBE_FIREWALL, 'OUTPUT', ''), kubelet: true },
];

/** The argv after `iptables -t <table> -I|-C <srcChain>` (no shell quoting: one word each). */
export function jumpRuleArgs(j: JumpChain): string[] {
  const comment = j.comment === '' ? [] : ['-m', 'comment', '--comment', j.comment];
  return [...j.extraArgs, ...comment, '-j', j.dstChain];
}

// ---- input and output -------------------------------------------------------------------------

export interface KubeProxyIptablesInput {
  /** This node's name (--hostname-override); endpoints with this nodeName are local. */
  hostname: string;
  /** The node's IPv4 addresses; the first is proxier.nodeIP (used by loadBalancerSourceRanges). */
  nodeIPs: string[];
  /** --cluster-cidr for the ClusterCIDR local-traffic detector; "" means no detector (NoOp). */
  clusterCIDR: string;
  services: IptablesService[];
  endpointSlices: EndpointSlice[];
  /** --iptables-masquerade-bit (default 14). */
  masqueradeBit?: number;
  /** Overrides the mark string (upstream's NewFakeProxier uses "0x4000"; real kube-proxy "0x00004000"). */
  masqueradeMark?: string;
  /** Append --random-fully to MASQUERADE, as upstream does when iptables supports it (default true). */
  randomFully?: boolean;
  /** --masquerade-all (default false). */
  masqueradeAll?: boolean;
  /** --iptables-localhost-nodeports (default true; forced off when nodePortAddresses excludes 127.0.0.1). */
  localhostNodePorts?: boolean;
  /** --nodeport-addresses CIDRs, or ["primary"]; unset = all local addresses (addrtype LOCAL). */
  nodePortAddresses?: string[];
  /** Whether the nfacct counters exist (upstream adds -m nfacct matches only then; default false). */
  nfacct?: boolean;
  /** net.netfilter.nf_conntrack_tcp_be_liberal != 0: upstream then skips the INVALID DROP rule. */
  conntrackTCPLiberal?: boolean;
  /** Forces large-cluster mode on or off (upstream decides by the node's total endpoint count);
   * an incremental sync renders a few services but must render them as the whole node would. */
  largeClusterMode?: boolean;
}

/** Chain name -> its rules ("-A CHAIN ..." lines), in the order upstream declares the chains. */
export type ChainMap = Map<string, string[]>;

export interface KubeProxyRuleset {
  tables: { filter: ChainMap; nat: ChainMap };
  /** Per service ("ns/name"), the nat chains (SVC/SVL/EXT/FW/SEP) its ports own. */
  serviceChains: Map<string, string[]>;
  /** Rules in built-in chains, installed outside iptables-restore on full syncs. */
  jumpRules: readonly JumpChain[];
}

interface ResolvedOptions {
  hostname: string;
  nodeIP: string;
  nodeIPs: string[];
  clusterCIDR: string;
  masqueradeMark: string;
  randomFully: boolean;
  masqueradeAll: boolean;
  localhostNodePorts: boolean;
  nodePortCidrs: string[] | undefined;
  nfacct: boolean;
  conntrackTCPLiberal: boolean;
}

/** Collects chain declarations and rules for one table, like proxier.{filter,nat}{Chains,Rules}. */
class TableWriter {
  // A Set, not an array search: at 10k services a table has ~30k chains.
  private readonly declared = new Set<string>();
  private readonly rules = new Map<string, string[]>();

  declare(chain: string): void {
    this.declared.add(chain);
  }

  write(chain: string, ...words: (string | readonly string[])[]): void {
    const line = ['-A', chain, ...words.flat()].join(' ');
    const list = this.rules.get(chain) ?? [];
    list.push(line);
    this.rules.set(chain, list);
  }

  toChainMap(table: TableName): ChainMap {
    for (const chain of this.rules.keys()) {
      if (!this.declared.has(chain)) throw new Error(`${table}: rules written to undeclared chain ${chain}`);
    }
    return new Map([...this.declared].map((c) => [c, this.rules.get(c) ?? []]));
  }
}

interface SyncContext {
  opts: ResolvedOptions;
  filter: TableWriter;
  nat: TableWriter;
  largeClusterMode: boolean;
  serviceChains: Map<string, string[]>;
}

const quote = (text: string): string => `"${text}"`;

// ---- the sync ---------------------------------------------------------------------------------

/** The full-sync ruleset, structured (see toRestoreText for partial syncs). */
export function renderKubeProxyRuleset(input: KubeProxyIptablesInput): KubeProxyRuleset {
  const opts = resolveOptions(input);
  // Slices grouped by service once (upstream's EndpointSliceCache is keyed the same way), so a
  // sync stays linear in the number of services.
  const slicesByService = new Map<string, EndpointSlice[]>();
  for (const slice of input.endpointSlices) {
    const key = `${slice.namespace}/${slice.serviceName}`;
    slicesByService.set(key, [...(slicesByService.get(key) ?? []), slice]);
  }
  const servicePorts = buildServicePortInfos(input.services).map((spi) => ({
    spi,
    endpoints: endpointsForServicePort(spi, slicesByService.get(spi.serviceName) ?? [], opts.hostname),
  }));
  const totalEndpoints = servicePorts.reduce((n, sp) => n + sp.endpoints.length, 0);
  const ctx: SyncContext = {
    opts,
    filter: new TableWriter(),
    nat: new TableWriter(),
    largeClusterMode: input.largeClusterMode ?? totalEndpoints > LARGE_CLUSTER_ENDPOINTS_THRESHOLD,
    serviceChains: new Map(),
  };
  writeTopLevelChains(ctx);
  for (const { spi, endpoints } of servicePorts) writeServicePort(ctx, spi, endpoints);
  writeNodePortsJump(ctx);
  writeForwardRules(ctx);
  return {
    tables: { filter: ctx.filter.toChainMap('filter'), nat: ctx.nat.toChainMap('nat') },
    serviceChains: ctx.serviceChains,
    jumpRules: IPTABLES_JUMP_CHAINS,
  };
}

/** The iptables-restore input of a full sync. */
export function renderKubeProxyIptables(input: KubeProxyIptablesInput): string {
  return toRestoreText(renderKubeProxyRuleset(input));
}

function resolveOptions(input: KubeProxyIptablesInput): ResolvedOptions {
  const nodeIPs = input.nodeIPs.filter((ip) => isValidIpv4(ip));
  const nodePortCidrs = resolveNodePortCidrs(input.nodePortAddresses, nodeIPs);
  // NewProxier: localhost NodePorts only if nodePortAddresses includes an IPv4 loopback address.
  const containsLoopback = nodePortCidrs === undefined || nodePortCidrs.some((c) => cidrContains(c, '127.0.0.1'));
  return {
    hostname: input.hostname,
    nodeIP: nodeIPs[0] ?? '',
    nodeIPs,
    clusterCIDR: input.clusterCIDR,
    masqueradeMark: input.masqueradeMark ?? masqueradeMarkFromBit(input.masqueradeBit ?? 14),
    randomFully: input.randomFully ?? true,
    masqueradeAll: input.masqueradeAll ?? false,
    localhostNodePorts: (input.localhostNodePorts ?? true) && containsLoopback,
    nodePortCidrs,
    nfacct: input.nfacct ?? false,
    conntrackTCPLiberal: input.conntrackTCPLiberal ?? false,
  };
}

/** NewNodePortAddresses (IPv4): undefined means MatchAll (unset, or a zero CIDR present). */
function resolveNodePortCidrs(addresses: string[] | undefined, nodeIPs: string[]): string[] | undefined {
  if (addresses === undefined) return undefined;
  const expanded = addresses.flatMap((a) => (a === 'primary' ? nodeIPs.slice(0, 1).map((ip) => `${ip}/32`) : [a]));
  const cidrs = expanded.map(normalizeCidr).filter((c): c is string => c !== undefined);
  if (cidrs.length === 0 || cidrs.some((c) => c.endsWith('/0'))) return undefined;
  return cidrs;
}

function writeTopLevelChains(ctx: SyncContext): void {
  const { opts, filter, nat } = ctx;
  for (const chain of FILTER_TOP_LEVEL_CHAINS) filter.declare(chain);
  for (const chain of NAT_TOP_LEVEL_CHAINS) nat.declare(chain);
  const mark = `${opts.masqueradeMark}/${opts.masqueradeMark}`;
  nat.write(KUBE_POSTROUTING, '-m', 'mark', '!', '--mark', mark, '-j', 'RETURN');
  nat.write(KUBE_POSTROUTING, '-j', 'MARK', '--xor-mark', opts.masqueradeMark);
  const masq = ['-m', 'comment', '--comment', quote('kubernetes service traffic requiring SNAT'), '-j', 'MASQUERADE'];
  nat.write(KUBE_POSTROUTING, masq, opts.randomFully ? ['--random-fully'] : []);
  nat.write(KUBE_MARK_MASQ, '-j', 'MARK', '--or-mark', opts.masqueradeMark);
  if (opts.localhostNodePorts) {
    // Mitigates https://issue.k8s.io/90259 (route_localnet); kubelet keeps an identical rule.
    filter.declare(KUBE_FIREWALL);
    filter.write(KUBE_FIREWALL, '-m', 'comment', '--comment', quote('block incoming localnet connections'),
      '-d', '127.0.0.0/8', '!', '-s', '127.0.0.0/8', '-m', 'conntrack', '!', '--ctstate', 'RELATED,ESTABLISHED,DNAT', '-j', 'DROP');
  }
}

/** What syncProxyRules decides for one service port before writing anything. */
interface ServicePortPlan {
  spi: ServicePortInfo;
  clusterEndpoints: EndpointInfo[];
  localEndpoints: EndpointInfo[];
  allReachableEndpoints: EndpointInfo[];
  hasEndpoints: boolean;
  hasInternalEndpoints: boolean;
  hasExternalEndpoints: boolean;
  usesClusterPolicyChain: boolean;
  usesLocalPolicyChain: boolean;
  usesExternalTrafficChain: boolean;
  usesFWChain: boolean;
  internalTrafficChain: string;
  externalPolicyChain: string;
  loadBalancerTrafficChain: string;
  internalFilter?: { target: string; comment: string };
  externalFilter?: { target: string; comment: string };
}

function planServicePort(spi: ServicePortInfo, endpoints: EndpointInfo[]): ServicePortPlan {
  const cat = categorizeEndpoints(endpoints, spi);
  const hasEndpoints = cat.hasAnyEndpoints;
  const hasInternalEndpoints = hasEndpoints && !(spi.internalPolicyLocal && cat.localEndpoints.length === 0);
  const hasExternalEndpoints = hasEndpoints && !(spi.externalPolicyLocal && cat.localEndpoints.length === 0);
  const usesFWChain = hasEndpoints && spi.loadBalancerVIPs.length > 0 && spi.loadBalancerSourceRanges.length > 0;
  const plan: ServicePortPlan = {
    spi,
    ...cat,
    hasEndpoints,
    hasInternalEndpoints,
    hasExternalEndpoints,
    usesClusterPolicyChain: cat.clusterEndpoints.length > 0 && usesClusterEndpoints(spi),
    usesLocalPolicyChain: cat.localEndpoints.length > 0 && usesLocalEndpoints(spi),
    usesExternalTrafficChain: hasEndpoints && externallyAccessible(spi),
    usesFWChain,
    internalTrafficChain: spi.internalPolicyLocal ? spi.localPolicyChainName : spi.clusterPolicyChainName,
    externalPolicyChain: spi.externalPolicyLocal ? spi.localPolicyChainName : spi.clusterPolicyChainName,
    loadBalancerTrafficChain: usesFWChain ? spi.firewallChainName : spi.externalChainName,
  };
  if (!hasEndpoints) {
    const reject = { target: 'REJECT', comment: quote(`${spi.nameString} has no endpoints`) };
    plan.internalFilter = reject;
    plan.externalFilter = reject;
  } else {
    const drop = { target: 'DROP', comment: quote(`${spi.nameString} has no local endpoints`) };
    if (!hasInternalEndpoints) plan.internalFilter = drop;
    if (!hasExternalEndpoints) plan.externalFilter = drop;
  }
  return plan;
}

/** The body of syncProxyRules' per-service-port loop, in upstream's write order. */
function writeServicePort(ctx: SyncContext, spi: ServicePortInfo, endpoints: EndpointInfo[]): void {
  const plan = planServicePort(spi, endpoints);
  captureClusterIP(ctx, plan);
  captureExternalIPs(ctx, plan);
  captureLoadBalancerIPs(ctx, plan);
  captureNodePort(ctx, plan);
  captureHealthCheckNodePort(ctx, plan);
  writeInternalMasquerade(ctx, plan);
  writeExternalTrafficChain(ctx, plan);
  writeFirewallChain(ctx, plan);
  writePolicyChains(ctx, plan);
  writeEndpointChains(ctx, plan);
}

/** "-m comment --comment C -m proto -p proto -d IP --dport PORT" */
function destMatch(comment: string, spi: ServicePortInfo, ip: string, port: number): string[] {
  return ['-m', 'comment', '--comment', comment, '-m', spi.proto, '-p', spi.proto, '-d', ip, '--dport', String(port)];
}

function captureClusterIP(ctx: SyncContext, plan: ServicePortPlan): void {
  const { spi } = plan;
  if (plan.hasInternalEndpoints) {
    ctx.nat.write(KUBE_SERVICES, destMatch(quote(`${spi.nameString} cluster IP`), spi, spi.clusterIP, spi.port),
      '-j', plan.internalTrafficChain);
  } else if (plan.internalFilter) {
    ctx.filter.write(KUBE_SERVICES, destMatch(plan.internalFilter.comment, spi, spi.clusterIP, spi.port),
      '-j', plan.internalFilter.target);
  }
}

function captureExternalIPs(ctx: SyncContext, plan: ServicePortPlan): void {
  const { spi } = plan;
  for (const ip of spi.externalIPs) {
    if (plan.hasEndpoints) {
      ctx.nat.write(KUBE_SERVICES, destMatch(quote(`${spi.nameString} external IP`), spi, ip, spi.port),
        '-j', spi.externalChainName);
    }
    if (plan.externalFilter) {
      ctx.filter.write(KUBE_EXTERNAL_SERVICES, destMatch(plan.externalFilter.comment, spi, ip, spi.port),
        '-j', plan.externalFilter.target);
    }
  }
}

function captureLoadBalancerIPs(ctx: SyncContext, plan: ServicePortPlan): void {
  const { spi } = plan;
  for (const ip of spi.loadBalancerVIPs) {
    if (plan.hasEndpoints) {
      ctx.nat.write(KUBE_SERVICES, destMatch(quote(`${spi.nameString} loadbalancer IP`), spi, ip, spi.port),
        '-j', plan.loadBalancerTrafficChain);
    }
    if (plan.usesFWChain) {
      const comment = quote(`${spi.nameString} traffic not accepted by ${spi.firewallChainName}`);
      ctx.filter.write(KUBE_PROXY_FIREWALL, destMatch(comment, spi, ip, spi.port), '-j', 'DROP');
    }
  }
  if (plan.externalFilter) {
    for (const ip of spi.loadBalancerVIPs) {
      ctx.filter.write(KUBE_EXTERNAL_SERVICES, destMatch(plan.externalFilter.comment, spi, ip, spi.port),
        '-j', plan.externalFilter.target);
    }
  }
}

function captureNodePort(ctx: SyncContext, plan: ServicePortPlan): void {
  const { spi } = plan;
  const { opts } = ctx;
  if (spi.nodePort === 0) return;
  const proto = ['-m', spi.proto, '-p', spi.proto];
  const dport = ['--dport', String(spi.nodePort)];
  if (plan.hasEndpoints) {
    if (opts.localhostNodePorts && opts.nfacct) {
      ctx.nat.write(KUBE_NODEPORTS, '-m', 'comment', '--comment', spi.nameString, proto, '-d', '127.0.0.0/8', dport,
        '-m', 'nfacct', '--nfacct-name', NFACCT_LOCALHOST_NODEPORT_ACCEPTED, '-j', spi.externalChainName);
    }
    ctx.nat.write(KUBE_NODEPORTS, '-m', 'comment', '--comment', spi.nameString, proto, dport, '-j', spi.externalChainName);
  }
  if (plan.externalFilter) {
    ctx.filter.write(KUBE_EXTERNAL_SERVICES, '-m', 'comment', '--comment', plan.externalFilter.comment,
      '-m', 'addrtype', '--dst-type', 'LOCAL', proto, dport, '-j', plan.externalFilter.target);
  }
}

function captureHealthCheckNodePort(ctx: SyncContext, plan: ServicePortPlan): void {
  const { spi } = plan;
  if (spi.healthCheckNodePort === 0) return;
  ctx.filter.write(KUBE_NODEPORTS, '-m', 'comment', '--comment', quote(`${spi.nameString} health check node port`),
    '-m', 'tcp', '-p', 'tcp', '--dport', String(spi.healthCheckNodePort), '-j', 'ACCEPT');
}

/** localDetector (ClusterCIDR mode): IfLocal() / IfNotLocal(); "" clusterCIDR = NoOp detector. */
const ifLocal = (ctx: SyncContext): string[] => ['-s', ctx.opts.clusterCIDR];
const ifNotLocal = (ctx: SyncContext): string[] => ['!', '-s', ctx.opts.clusterCIDR];
const detectorImplemented = (ctx: SyncContext): boolean => ctx.opts.clusterCIDR !== '';

function writeInternalMasquerade(ctx: SyncContext, plan: ServicePortPlan): void {
  const { spi } = plan;
  if (!plan.hasInternalEndpoints) return;
  const args = destMatch(quote(`${spi.nameString} cluster IP`), spi, spi.clusterIP, spi.port);
  if (ctx.opts.masqueradeAll) {
    ctx.nat.write(plan.internalTrafficChain, args, '-j', KUBE_MARK_MASQ);
  } else if (detectorImplemented(ctx)) {
    // Masquerade off-cluster traffic to the service VIP (it may bounce off-node).
    ctx.nat.write(plan.internalTrafficChain, args, ifNotLocal(ctx), '-j', KUBE_MARK_MASQ);
  }
}

function declareServiceChain(ctx: SyncContext, plan: ServicePortPlan, chain: string): void {
  ctx.nat.declare(chain);
  const owned = ctx.serviceChains.get(plan.spi.serviceName) ?? [];
  if (!owned.includes(chain)) owned.push(chain);
  ctx.serviceChains.set(plan.spi.serviceName, owned);
}

function writeExternalTrafficChain(ctx: SyncContext, plan: ServicePortPlan): void {
  const { spi } = plan;
  if (!plan.usesExternalTrafficChain) return;
  const ext = spi.externalChainName;
  declareServiceChain(ctx, plan, ext);
  const comment = (text: string): string[] => ['-m', 'comment', '--comment', quote(text)];
  if (!spi.externalPolicyLocal) {
    ctx.nat.write(ext, comment(`masquerade traffic for ${spi.nameString} external destinations`), '-j', KUBE_MARK_MASQ);
  } else {
    if (detectorImplemented(ctx)) {
      // Pod -> external destination short-circuits to the Cluster chain (as if hairpinned by the LB).
      ctx.nat.write(ext, comment(`pod traffic for ${spi.nameString} external destinations`), ifLocal(ctx),
        '-j', spi.clusterPolicyChainName);
    }
    ctx.nat.write(ext, comment(`masquerade LOCAL traffic for ${spi.nameString} external destinations`),
      '-m', 'addrtype', '--src-type', 'LOCAL', '-j', KUBE_MARK_MASQ);
    ctx.nat.write(ext, comment(`route LOCAL traffic for ${spi.nameString} external destinations`),
      '-m', 'addrtype', '--src-type', 'LOCAL', '-j', spi.clusterPolicyChainName);
  }
  if (plan.hasExternalEndpoints) ctx.nat.write(ext, '-j', plan.externalPolicyChain);
}

function writeFirewallChain(ctx: SyncContext, plan: ServicePortPlan): void {
  const { spi } = plan;
  if (!plan.usesFWChain) return;
  const fw = spi.firewallChainName;
  declareServiceChain(ctx, plan, fw);
  const args = ['-m', 'comment', '--comment', quote(`${spi.nameString} loadbalancer IP`)];
  let allowFromNode = false;
  for (const cidr of spi.loadBalancerSourceRanges) {
    ctx.nat.write(fw, args, '-s', cidr, '-j', spi.externalChainName);
    if (ctx.opts.nodeIP !== '' && cidrContains(cidr, ctx.opts.nodeIP)) allowFromNode = true;
  }
  if (allowFromNode) {
    // The VIP is often a local address: node -> VIP loops back with the VIP as source.
    for (const ip of spi.loadBalancerVIPs) ctx.nat.write(fw, args, '-s', ip, '-j', spi.externalChainName);
  }
  ctx.nat.write(fw, '-m', 'comment', '--comment', quote(`other traffic to ${spi.nameString} will be dropped by KUBE-PROXY-FIREWALL`));
}

function writePolicyChains(ctx: SyncContext, plan: ServicePortPlan): void {
  const { spi } = plan;
  if (plan.usesClusterPolicyChain) {
    declareServiceChain(ctx, plan, spi.clusterPolicyChainName);
    writeServiceToEndpointRules(ctx, spi, spi.clusterPolicyChainName, plan.clusterEndpoints);
  }
  if (plan.usesLocalPolicyChain) {
    declareServiceChain(ctx, plan, spi.localPolicyChainName);
    writeServiceToEndpointRules(ctx, spi, spi.localPolicyChainName, plan.localEndpoints);
  }
}

/** appendServiceCommentLocked: comments are dropped in large cluster mode. */
function serviceComment(ctx: SyncContext, comment: string): string[] {
  return ctx.largeClusterMode ? [] : ['-m', 'comment', '--comment', comment];
}

/** writeServiceToEndpointRules: affinity checks first, then the statistic cascade. */
function writeServiceToEndpointRules(ctx: SyncContext, spi: ServicePortInfo, chain: string, endpoints: EndpointInfo[]): void {
  if (spi.sessionAffinityClientIP) {
    for (const ep of endpoints) {
      ctx.nat.write(chain, serviceComment(ctx, quote(`${spi.nameString} -> ${ep.endpoint}`)),
        '-m', 'recent', '--name', ep.chainName, '--rcheck', '--seconds', String(spi.stickyMaxAgeSeconds), '--reap',
        '-j', ep.chainName);
    }
  }
  endpoints.forEach((ep, i) => {
    const remaining = endpoints.length - i;
    const statistic = remaining > 1 ? ['-m', 'statistic', '--mode', 'random', '--probability', computeProbability(remaining)] : [];
    ctx.nat.write(chain, serviceComment(ctx, quote(`${spi.nameString} -> ${ep.endpoint}`)), statistic, '-j', ep.chainName);
  });
}

/** The KUBE-SEP chains: hairpin masquerade, affinity --set, DNAT. */
function writeEndpointChains(ctx: SyncContext, plan: ServicePortPlan): void {
  const { spi } = plan;
  for (const ep of plan.allReachableEndpoints) {
    declareServiceChain(ctx, plan, ep.chainName);
    const comment = serviceComment(ctx, spi.nameString);
    ctx.nat.write(ep.chainName, comment, '-s', ep.ip, '-j', KUBE_MARK_MASQ);
    const affinity = spi.sessionAffinityClientIP ? ['-m', 'recent', '--name', ep.chainName, '--set'] : [];
    ctx.nat.write(ep.chainName, comment, affinity, '-m', spi.proto, '-p', spi.proto, '-j', 'DNAT', '--to-destination', ep.endpoint);
  }
}

/** The tail call from KUBE-SERVICES to KUBE-NODEPORTS ("must be the last rule"). */
function writeNodePortsJump(ctx: SyncContext): void {
  const { opts } = ctx;
  const comment = ['-m', 'comment', '--comment', quote('kubernetes service nodeports; NOTE: this must be the last rule in this chain')];
  if (opts.nodePortCidrs === undefined) {
    const notLocalhost = opts.localhostNodePorts ? [] : ['!', '-d', '127.0.0.0/8'];
    ctx.nat.write(KUBE_SERVICES, comment, '-m', 'addrtype', '--dst-type', 'LOCAL', notLocalhost, '-j', KUBE_NODEPORTS);
    return;
  }
  for (const ip of nodePortIPs(opts)) {
    if (ip.startsWith('127.') && !opts.localhostNodePorts) continue;
    ctx.nat.write(KUBE_SERVICES, comment, '-d', ip, '-j', KUBE_NODEPORTS);
  }
}

/**
 * NodePortAddresses.GetNodeIPs: the node's addresses inside the configured CIDRs. Upstream
 * reads them from the interfaces; here they are input.nodeIPs plus 127.0.0.1 (on lo).
 */
function nodePortIPs(opts: ResolvedOptions): string[] {
  const candidates = [...new Set([...opts.nodeIPs, '127.0.0.1'])];
  return candidates.filter((ip) => (opts.nodePortCidrs ?? []).some((c) => cidrContains(c, ip)));
}

function writeForwardRules(ctx: SyncContext): void {
  const { opts, filter } = ctx;
  if (!opts.conntrackTCPLiberal) {
    const counter = opts.nfacct ? ['-m', 'nfacct', '--nfacct-name', NFACCT_CT_STATE_INVALID_DROPPED] : [];
    filter.write(KUBE_FORWARD, '-m', 'conntrack', '--ctstate', 'INVALID', counter, '-j', 'DROP');
  }
  const mark = `${opts.masqueradeMark}/${opts.masqueradeMark}`;
  filter.write(KUBE_FORWARD, '-m', 'comment', '--comment', quote('kubernetes forwarding rules'),
    '-m', 'mark', '--mark', mark, '-j', 'ACCEPT');
  filter.write(KUBE_FORWARD, '-m', 'comment', '--comment', quote('kubernetes forwarding conntrack rule'),
    '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT');
}

// ---- restore text / partial syncs -------------------------------------------------------------

export interface RestoreTextOptions {
  /**
   * Partial sync: write only these per-service nat chains (plus, always, the whole filter table
   * and the top-level nat chains, as upstream does). Declaring ":CHAIN - [0:0]" under --noflush
   * flushes and rewrites exactly the chains written; the others are left as they are.
   */
  onlyChains?: ReadonlySet<string>;
  /** Stale service chains to delete (":CHAIN - [0:0]" then "-X CHAIN"); active or non-service chains are ignored. */
  deleteChains?: Iterable<string>;
}

/** The nat chains of the given services ("ns/name"), for RestoreTextOptions.onlyChains. */
export function chainsOfServices(ruleset: KubeProxyRuleset, serviceNames: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const name of serviceNames) for (const chain of ruleset.serviceChains.get(name) ?? []) out.add(chain);
  return out;
}

/** iptables-restore input in upstream's layout: per table, all chain lines, then the rules. */
export function toRestoreText(ruleset: KubeProxyRuleset, opts: RestoreTextOptions = {}): string {
  const natTopLevel = new Set<string>(NAT_TOP_LEVEL_CHAINS);
  const natChains = [...ruleset.tables.nat.keys()].filter(
    (c) => opts.onlyChains === undefined || natTopLevel.has(c) || opts.onlyChains.has(c),
  );
  const deleted = [...new Set(opts.deleteChains ?? [])].filter((c) => isServiceChainName(c) && !ruleset.tables.nat.has(c));
  return (
    tableText('filter', ruleset.tables.filter, [...ruleset.tables.filter.keys()], []) +
    tableText('nat', ruleset.tables.nat, natChains, deleted)
  );
}

function tableText(table: TableName, chains: ChainMap, written: string[], deleted: string[]): string {
  const lines = [`*${table}`];
  for (const chain of [...written, ...deleted]) lines.push(`:${chain} - [0:0]`);
  for (const chain of written) lines.push(...(chains.get(chain) ?? []));
  for (const chain of deleted) lines.push(`-X ${chain}`);
  lines.push('COMMIT');
  return `${lines.join('\n')}\n`;
}
