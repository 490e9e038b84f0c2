// The body of syncProxyRules' per-service-port loop in kube-proxy's nftables mode (kubernetes
// v1.34.2 pkg/proxy/nftables/proxier.go, "Build rules for each service-port" through
// writeServiceToEndpointRules): the map and set elements that capture the service's addresses
// and ports, and its service-/local-/external-/firewall-/endpoint- chains and affinity sets.
import type { NftOp } from './nft-objects.js';
import { elementKey } from './nft-table.js';
import type { ElementStore } from './nft-elements.js';
import { ensureChain, MARK_MASQ_CHAIN, REJECT_CHAIN } from './nftables-setup.js';
import { servicePortChainNameBase, servicePortEndpointChainNameBase } from './nftables-names.js';
import { categorizeEndpoints, cidrContains, externallyAccessible, usesClusterEndpoints, usesLocalEndpoints } from './service-ports.js';
import type { EndpointInfo, ServicePortInfo } from './service-ports.js';

export interface NftSyncContext {
  ops: NftOp[];
  /** Service and endpoint chains this sync uses (ensureChain's createdChains). */
  activeChains: Set<string>;
  activeAffinitySets: Set<string>;
  /** nftElementStorage: the elements as the kernel has them, and what this sync wrote. */
  elements: ElementStore;
  /** The chains and sets the kernel has before this sync (consulted only on the first sync). */
  existingChains: { has(name: string): boolean };
  existingAffinitySets: { has(name: string): boolean };
  syncedOnce: boolean;
  masqueradeAll: boolean;
  clusterCIDR: string;
  nodeIP: string;
}

interface Names {
  cluster: string;
  local: string;
  external: string;
  firewall: string;
  endpoint: (ep: EndpointInfo) => string;
  affinity: (ep: EndpointInfo) => string;
}

/** A service port's chain names, computed once per port info (which is kept per Service object),
 * as upstream's newServiceInfo and newEndpointInfo compute them once, not on every sync. */
const namesMemo = new WeakMap<ServicePortInfo, Names>();

/** An endpoint's chain and affinity set names; an EndpointInfo belongs to one service port. */
const endpointNames = new WeakMap<EndpointInfo, { endpoint: string; affinity: string }>();

function namesOf(spi: ServicePortInfo): Names {
  const memo = namesMemo.get(spi);
  if (memo) return memo;
  const [ns, name] = spi.serviceName.split('/');
  const base = servicePortChainNameBase(ns, name, spi.proto, spi.portName);
  const epNames = (ep: EndpointInfo) => {
    let names = endpointNames.get(ep);
    if (names === undefined) {
      const epBase = servicePortEndpointChainNameBase(ns, name, spi.proto, spi.portName, ep.ip, ep.port);
      endpointNames.set(ep, (names = { endpoint: `endpoint-${epBase}`, affinity: `affinity-${epBase}` }));
    }
    return names;
  };
  const names: Names = {
    cluster: `service-${base}`,
    local: `local-${base}`,
    external: `external-${base}`,
    firewall: `firewall-${base}`,
    endpoint: (ep) => epNames(ep).endpoint,
    affinity: (ep) => epNames(ep).affinity,
  };
  namesMemo.set(spi, names);
  return names;
}

/** nftElementStorage.ensureElem: add only what the kernel lacks or has with another value. */
function ensureElem(ctx: NftSyncContext, name: string, key: string[], value?: string, comment?: string): void {
  const container = name === 'cluster-ips' ? 'set' : 'map';
  const obj: NftOp['obj'] = { kind: 'element', container, name, key, ...(value !== undefined ? { value: [value] } : {}), ...(comment ? { comment } : {}) };
  const k = elementKey(key);
  const v = value ?? '';
  const have = ctx.elements.value(name, k);
  if (have === undefined) ctx.ops.push({ verb: 'add', obj });
  else if (have !== v) ctx.ops.push({ verb: 'delete', obj }, { verb: 'add', obj });
  ctx.elements.write(name, k, v);
}

const rule = (ctx: NftSyncContext, chain: string, text: string, comment?: string) =>
  ctx.ops.push({ verb: 'add', obj: { kind: 'rule', chain, rule: text, ...(comment ? { comment } : {}) } });

export function writeNftServicePort(ctx: NftSyncContext, spi: ServicePortInfo, endpoints: EndpointInfo[], skipServiceUpdate: boolean): void {
  const n = namesOf(spi);
  const cat = categorizeEndpoints(endpoints, spi);
  const hasEndpoints = cat.hasAnyEndpoints;
  const affinity = spi.sessionAffinityClientIP;
  // epChainSkipUpdate: only on the first sync, an endpoint chain that exists (with its
  // affinity set exactly when affinity is on) is left as it is.
  const epSkip = (ep: EndpointInfo) => !ctx.syncedOnce && ctx.existingChains.has(n.endpoint(ep)) && affinity === ctx.existingAffinitySets.has(n.affinity(ep));
  for (const ep of cat.allReachableEndpoints) {
    ensureChain(ctx.ops, ctx.activeChains, n.endpoint(ep), skipServiceUpdate || epSkip(ep));
    if (affinity) ctx.activeAffinitySets.add(n.affinity(ep));
  }
  const usesClusterPolicyChain = cat.clusterEndpoints.length > 0 && usesClusterEndpoints(spi);
  if (usesClusterPolicyChain) ensureChain(ctx.ops, ctx.activeChains, n.cluster, skipServiceUpdate);
  const usesLocalPolicyChain = cat.localEndpoints.length > 0 && usesLocalEndpoints(spi);
  if (usesLocalPolicyChain) ensureChain(ctx.ops, ctx.activeChains, n.local, skipServiceUpdate);

  const internalTrafficChain = spi.internalPolicyLocal ? n.local : n.cluster;
  const hasInternalEndpoints = hasEndpoints && !(spi.internalPolicyLocal && cat.localEndpoints.length === 0);
  const externalPolicyChain = spi.externalPolicyLocal ? n.local : n.cluster;
  const hasExternalEndpoints = hasEndpoints && !(spi.externalPolicyLocal && cat.localEndpoints.length === 0);
  const usesExternalTrafficChain = hasEndpoints && externallyAccessible(spi);
  if (usesExternalTrafficChain) ensureChain(ctx.ops, ctx.activeChains, n.external, skipServiceUpdate);

  let internalVerdict = '';
  let externalVerdict = '';
  if (!hasEndpoints) internalVerdict = externalVerdict = `goto ${REJECT_CHAIN}`;
  else {
    if (!hasInternalEndpoints) internalVerdict = 'drop';
    if (!hasExternalEndpoints) externalVerdict = 'drop';
  }

  const key = (ip: string) => [ip, spi.proto, String(spi.port)];
  ensureElem(ctx, 'cluster-ips', [spi.clusterIP]);
  if (hasInternalEndpoints) ensureElem(ctx, 'service-ips', key(spi.clusterIP), `goto ${internalTrafficChain}`);
  else ensureElem(ctx, 'no-endpoint-services', key(spi.clusterIP), internalVerdict, spi.nameString);
  for (const ip of spi.externalIPs) {
    if (hasEndpoints) ensureElem(ctx, 'service-ips', key(ip), `goto ${n.external}`);
    if (!hasExternalEndpoints) ensureElem(ctx, 'no-endpoint-services', key(ip), externalVerdict, spi.nameString);
  }
  // A zero source range was dropped with the others by newBaseServiceInfo (allow any).
  const usesFWChain = spi.loadBalancerVIPs.length > 0 && spi.loadBalancerSourceRanges.length > 0;
  if (usesFWChain) ensureChain(ctx.ops, ctx.activeChains, n.firewall, skipServiceUpdate);
  for (const ip of spi.loadBalancerVIPs) {
    if (hasEndpoints) ensureElem(ctx, 'service-ips', key(ip), `goto ${n.external}`);
    if (usesFWChain) ensureElem(ctx, 'firewall-ips', key(ip), `goto ${n.firewall}`);
  }
  if (!hasExternalEndpoints) for (const ip of spi.loadBalancerVIPs) ensureElem(ctx, 'no-endpoint-services', key(ip), externalVerdict, spi.nameString);
  if (spi.nodePort !== 0) {
    const np = [spi.proto, String(spi.nodePort)];
    if (hasEndpoints) ensureElem(ctx, 'service-nodeports', np, `goto ${n.external}`);
    if (!hasExternalEndpoints) ensureElem(ctx, 'no-endpoint-nodeports', np, externalVerdict, spi.nameString);
  }

  if (skipServiceUpdate) return;

  if (hasInternalEndpoints) {
    if (ctx.masqueradeAll) rule(ctx, internalTrafficChain, `ip daddr ${spi.clusterIP} jump ${MARK_MASQ_CHAIN}`);
    else if (ctx.clusterCIDR) rule(ctx, internalTrafficChain, `ip daddr ${spi.clusterIP} ip saddr != ${ctx.clusterCIDR} jump ${MARK_MASQ_CHAIN}`);
  }
  if (usesExternalTrafficChain) {
    if (!spi.externalPolicyLocal) rule(ctx, n.external, `jump ${MARK_MASQ_CHAIN}`);
    else {
      if (ctx.clusterCIDR) rule(ctx, n.external, `ip saddr ${ctx.clusterCIDR} goto ${n.cluster}`, 'short-circuit pod traffic');
      rule(ctx, n.external, `fib saddr type local jump ${MARK_MASQ_CHAIN}`, 'masquerade local traffic');
      rule(ctx, n.external, `fib saddr type local goto ${n.cluster}`, 'short-circuit local traffic');
    }
    if (hasExternalEndpoints) rule(ctx, n.external, `goto ${externalPolicyChain}`);
  }
  if (usesFWChain) {
    const sources = [...spi.loadBalancerSourceRanges];
    if (spi.loadBalancerSourceRanges.some((c) => cidrContains(c, ctx.nodeIP))) sources.push(...spi.loadBalancerVIPs);
    rule(ctx, n.firewall, `ip saddr != { ${sources.join(' , ')} } drop`);
  }
  if (affinity) {
    for (const ep of cat.allReachableEndpoints) {
      ctx.ops.push({
        verb: 'add',
        obj: { kind: 'set', name: n.affinity(ep), type: 'ipv4_addr', flags: ['dynamic', 'timeout'], timeoutSeconds: spi.stickyMaxAgeSeconds },
      });
    }
  }
  if (usesClusterPolicyChain) writeServiceToEndpointRules(ctx, spi, n, n.cluster, cat.clusterEndpoints);
  if (usesLocalPolicyChain) writeServiceToEndpointRules(ctx, spi, n, n.local, cat.localEndpoints);
  for (const ep of cat.allReachableEndpoints) {
    if (epSkip(ep)) continue;
    const chain = n.endpoint(ep);
    rule(ctx, chain, `ip saddr ${ep.ip} jump ${MARK_MASQ_CHAIN}`);
    if (affinity) rule(ctx, chain, `update @${n.affinity(ep)} { ip saddr }`);
    rule(ctx, chain, `meta l4proto ${spi.proto} dnat to ${ep.endpoint}`);
  }
}

/** writeServiceToEndpointRules: affinity lookups, then `numgen random mod N vmap`. */
function writeServiceToEndpointRules(ctx: NftSyncContext, spi: ServicePortInfo, n: Names, chain: string, endpoints: EndpointInfo[]): void {
  if (spi.sessionAffinityClientIP) for (const ep of endpoints) rule(ctx, chain, `ip saddr @${n.affinity(ep)} goto ${n.endpoint(ep)}`);
  const elements = endpoints.map((ep, i) => `${i} : goto ${n.endpoint(ep)}`).join(' , ');
  rule(ctx, chain, `numgen random mod ${endpoints.length} vmap { ${elements} }`);
}
