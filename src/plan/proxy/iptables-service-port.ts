// The body of syncProxyRules' per-service-port loop (kubernetes/kubernetes pkg/proxy/iptables/
// proxier.go, commit 531be812): KUBE-SERVICES captures and the SVC/SVL/EXT/FW/SEP chains.
import { computeProbability } from './go-format.js';
import {
  KUBE_EXTERNAL_SERVICES,
  KUBE_MARK_MASQ,
  KUBE_NODEPORTS,
  KUBE_PROXY_FIREWALL,
  KUBE_SERVICES,
  NFACCT_LOCALHOST_NODEPORT_ACCEPTED,
} from './iptables-chains.js';
import { quote, type SyncContext } from './iptables-writer.js';
import {
  categorizeEndpoints,
  cidrContains,
  externallyAccessible,
  usesClusterEndpoints,
  usesLocalEndpoints,
  type EndpointInfo,
  type ServicePortInfo,
} from './service-ports.js';

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
export function writeServicePort(ctx: SyncContext, spi: ServicePortInfo, endpoints: EndpointInfo[]): void {
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
    ctx.nat.write(KUBE_SERVICES, destMatch(quote(`${spi.nameString} cluster IP`), spi, spi.clusterIP, spi.port), '-j', plan.internalTrafficChain);
  } else if (plan.internalFilter) {
    ctx.filter.write(KUBE_SERVICES, destMatch(plan.internalFilter.comment, spi, spi.clusterIP, spi.port), '-j', plan.internalFilter.target);
  }
}

function captureExternalIPs(ctx: SyncContext, plan: ServicePortPlan): void {
  const { spi } = plan;
  for (const ip of spi.externalIPs) {
    if (plan.hasEndpoints) {
      ctx.nat.write(KUBE_SERVICES, destMatch(quote(`${spi.nameString} external IP`), spi, ip, spi.port), '-j', spi.externalChainName);
    }
    if (plan.externalFilter) {
      ctx.filter.write(KUBE_EXTERNAL_SERVICES, destMatch(plan.externalFilter.comment, spi, ip, spi.port), '-j', plan.externalFilter.target);
    }
  }
}

function captureLoadBalancerIPs(ctx: SyncContext, plan: ServicePortPlan): void {
  const { spi } = plan;
  for (const ip of spi.loadBalancerVIPs) {
    if (plan.hasEndpoints) {
      ctx.nat.write(KUBE_SERVICES, destMatch(quote(`${spi.nameString} loadbalancer IP`), spi, ip, spi.port), '-j', plan.loadBalancerTrafficChain);
    }
    if (plan.usesFWChain) {
      const comment = quote(`${spi.nameString} traffic not accepted by ${spi.firewallChainName}`);
      ctx.filter.write(KUBE_PROXY_FIREWALL, destMatch(comment, spi, ip, spi.port), '-j', 'DROP');
    }
  }
  if (plan.externalFilter) {
    for (const ip of spi.loadBalancerVIPs) {
      ctx.filter.write(KUBE_EXTERNAL_SERVICES, destMatch(plan.externalFilter.comment, spi, ip, spi.port), '-j', plan.externalFilter.target);
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
      ctx.nat.write(
        KUBE_NODEPORTS,
        '-m',
        'comment',
        '--comment',
        spi.nameString,
        proto,
        '-d',
        '127.0.0.0/8',
        dport,
        '-m',
        'nfacct',
        '--nfacct-name',
        NFACCT_LOCALHOST_NODEPORT_ACCEPTED,
        '-j',
        spi.externalChainName,
      );
    }
    ctx.nat.write(KUBE_NODEPORTS, '-m', 'comment', '--comment', spi.nameString, proto, dport, '-j', spi.externalChainName);
  }
  if (plan.externalFilter) {
    ctx.filter.write(
      KUBE_EXTERNAL_SERVICES,
      '-m',
      'comment',
      '--comment',
      plan.externalFilter.comment,
      '-m',
      'addrtype',
      '--dst-type',
      'LOCAL',
      proto,
      dport,
      '-j',
      plan.externalFilter.target,
    );
  }
}

function captureHealthCheckNodePort(ctx: SyncContext, plan: ServicePortPlan): void {
  const { spi } = plan;
  if (spi.healthCheckNodePort === 0) return;
  ctx.filter.write(
    KUBE_NODEPORTS,
    '-m',
    'comment',
    '--comment',
    quote(`${spi.nameString} health check node port`),
    '-m',
    'tcp',
    '-p',
    'tcp',
    '--dport',
    String(spi.healthCheckNodePort),
    '-j',
    'ACCEPT',
  );
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
      ctx.nat.write(ext, comment(`pod traffic for ${spi.nameString} external destinations`), ifLocal(ctx), '-j', spi.clusterPolicyChainName);
    }
    ctx.nat.write(
      ext,
      comment(`masquerade LOCAL traffic for ${spi.nameString} external destinations`),
      '-m',
      'addrtype',
      '--src-type',
      'LOCAL',
      '-j',
      KUBE_MARK_MASQ,
    );
    ctx.nat.write(
      ext,
      comment(`route LOCAL traffic for ${spi.nameString} external destinations`),
      '-m',
      'addrtype',
      '--src-type',
      'LOCAL',
      '-j',
      spi.clusterPolicyChainName,
    );
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
      ctx.nat.write(
        chain,
        serviceComment(ctx, quote(`${spi.nameString} -> ${ep.endpoint}`)),
        '-m',
        'recent',
        '--name',
        ep.chainName,
        '--rcheck',
        '--seconds',
        String(spi.stickyMaxAgeSeconds),
        '--reap',
        '-j',
        ep.chainName,
      );
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
