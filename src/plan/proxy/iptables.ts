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
// (upstream's EnsureRule(Prepend, ...)). The node agent's full syncs write the same ruleset in
// steps (rulesetWriter), streamed to iptables-restore as they are rendered (iptables-stream.ts).
import type { EndpointSlice } from '../../model/types.js';
import { isValidIpv4 } from '../../net/cidr.js';
import { masqueradeMarkFromBit } from './go-format.js';
import {
  FILTER_TOP_LEVEL_CHAINS,
  IPTABLES_JUMP_CHAINS,
  KUBE_FIREWALL,
  KUBE_FORWARD,
  KUBE_MARK_MASQ,
  KUBE_NODEPORTS,
  KUBE_POSTROUTING,
  KUBE_SERVICES,
  LARGE_CLUSTER_ENDPOINTS_THRESHOLD,
  LOCALNET_DROP_RULE,
  NAT_TOP_LEVEL_CHAINS,
  NFACCT_CT_STATE_INVALID_DROPPED,
  type KubeProxyRuleset,
} from './iptables-chains.js';
import { quote, restoreWords, TableWriter, type ResolvedOptions, type SyncContext } from './iptables-writer.js';
import { writeServicePort } from './iptables-service-port.js';
import { toRestoreText } from './iptables-restore.js';
import { cidrContains, normalizeCidr, servicePortsWithEndpoints, type IptablesService } from './service-ports.js';

export type { IptablesService } from './service-ports.js';

// ---- input ------------------------------------------------------------------------------------

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

// ---- the sync ---------------------------------------------------------------------------------

/** The full-sync ruleset, structured (see toRestoreText for partial syncs). */
export function renderKubeProxyRuleset(input: KubeProxyIptablesInput): KubeProxyRuleset {
  const { steps } = rulesetWriter(input);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Services written between two pauses of a writer's steps: about 25 KB of restore text. */
const SERVICES_PER_STEP = 24;

/**
 * A full sync's writer, written in steps: the generator pauses after the top-level chains and
 * after every few services, so that a caller can stream what the nat writer journaled meanwhile
 * (`journal`), and returns the ruleset. The endpoint count and large-cluster mode are known
 * before the first step.
 */
export function rulesetWriter(input: KubeProxyIptablesInput, journal = false): { ctx: SyncContext; steps: Generator<void, KubeProxyRuleset> } {
  const opts = resolveOptions(input);
  const servicePorts = servicePortsWithEndpoints(input.services, input.endpointSlices, opts.hostname);
  const totalEndpoints = servicePorts.reduce((n, sp) => n + sp.endpoints.length, 0);
  const ctx: SyncContext = {
    opts,
    filter: new TableWriter('filter'),
    nat: new TableWriter('nat', journal),
    largeClusterMode: input.largeClusterMode ?? totalEndpoints > LARGE_CLUSTER_ENDPOINTS_THRESHOLD,
    serviceChains: new Map(),
    totalEndpoints,
  };
  function* steps(): Generator<void, KubeProxyRuleset> {
    writeTopLevelChains(ctx);
    yield;
    let written = 0;
    for (const { spi, endpoints } of servicePorts) {
      writeServicePort(ctx, spi, endpoints);
      if (++written % SERVICES_PER_STEP === 0) yield;
    }
    writeNodePortsJump(ctx);
    writeForwardRules(ctx);
    return {
      tables: { filter: ctx.filter.toChainMap(), nat: ctx.nat.toChainMap() },
      serviceChains: ctx.serviceChains,
      jumpRules: IPTABLES_JUMP_CHAINS,
      totalEndpoints,
      largeClusterMode: ctx.largeClusterMode,
    };
  }
  return { ctx, steps: steps() };
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
    filter.write(KUBE_FIREWALL, restoreWords(LOCALNET_DROP_RULE));
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
  filter.write(KUBE_FORWARD, '-m', 'comment', '--comment', quote('kubernetes forwarding rules'), '-m', 'mark', '--mark', mark, '-j', 'ACCEPT');
  filter.write(
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
}
