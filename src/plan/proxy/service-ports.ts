// What kube-proxy knows about each service port and its endpoints, derived from the model the
// way upstream derives it (pkg/proxy/serviceport.go newBaseServiceInfo, servicechangetracker.go,
// endpointslicecache.go, topology.go CategorizeEndpoints, pkg/api/v1/service/util.go), at
// kubernetes/kubernetes commit 531be81208e2274ef42e72525a26610a9622bcdf. IPv4 only, like the
// IPv4 instance of the dual-stack proxier: IPv6 addresses are filtered out as upstream does.
import type { EndpointSlice, Protocol, Service, ServicePort } from '../../model/types.js';
import { intToIp, ipToInt, isValidIpv4, maskOf } from '../../net/cidr.js';
import { joinHostPort, servicePortChainNames, servicePortEndpointChainName, servicePortNameString } from './iptables-names.js';

/** A Service as kube-proxy reads it (spec.loadBalancerSourceRanges: whitespace is trimmed, as
 * upstream does). */
export type IptablesService = Service;

/** Upstream servicePortInfo: BaseServicePortInfo plus the precomputed chain names. */
export interface ServicePortInfo {
  /** "ns/name" (types.NamespacedName.String()); the unit of upstream's partial sync. */
  serviceName: string;
  /** ServicePortName.String(): "ns/name:port" or "ns/name". */
  nameString: string;
  portName: string;
  protocol: Protocol;
  /** Lowercase protocol, as used in "-m tcp -p tcp" and in the chain hashes. */
  proto: string;
  clusterIP: string;
  port: number;
  /** 0 when the port has none. */
  nodePort: number;
  externalIPs: string[];
  loadBalancerVIPs: string[];
  /** Normalized "network/prefix" strings (upstream prints the parsed *net.IPNet). */
  loadBalancerSourceRanges: string[];
  sessionAffinityClientIP: boolean;
  stickyMaxAgeSeconds: number;
  externalPolicyLocal: boolean;
  internalPolicyLocal: boolean;
  /** 0 unless the service needs a health check (LoadBalancer + externalTrafficPolicy Local). */
  healthCheckNodePort: number;
  clusterPolicyChainName: string;
  localPolicyChainName: string;
  firewallChainName: string;
  externalChainName: string;
}

/** Upstream endpointInfo: BaseEndpointInfo plus its KUBE-SEP chain name. */
export interface EndpointInfo {
  ip: string;
  port: number;
  /** net.JoinHostPort(ip, port) */
  endpoint: string;
  isLocal: boolean;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  chainName: string;
}

const isIPv4 = (ip: string): boolean => isValidIpv4(ip);

/** proxyutil.ShouldSkipService: headless, unset clusterIP, or ExternalName. */
export function shouldSkipService(svc: Service): boolean {
  return svc.type === 'ExternalName' || svc.clusterIP === undefined || svc.clusterIP === '' || svc.clusterIP === 'None';
}

/** apiservice.ExternallyAccessible */
function serviceExternallyAccessible(svc: Service): boolean {
  return svc.type === 'LoadBalancer' || svc.type === 'NodePort' || (svc.type === 'ClusterIP' && svc.externalIPs.length > 0);
}

/** Parses a CIDR leniently like netutils.ParseCIDRSloppy and returns its network form. */
export function normalizeCidr(text: string): string | undefined {
  const [ip, len] = text.trim().split('/');
  const prefix = Number(len);
  if (!isIPv4(ip ?? '') || len === undefined || !/^\d+$/.test(len) || prefix > 32) return undefined;
  return `${intToIp((ipToInt(ip) & maskOf(prefix)) >>> 0)}/${prefix}`;
}

export function cidrContains(cidr: string, ip: string): boolean {
  const [base, len] = cidr.split('/');
  const mask = maskOf(Number(len));
  return isIPv4(ip) && (ipToInt(ip) & mask) >>> 0 === (ipToInt(base) & mask) >>> 0;
}

/** newServiceInfo / newBaseServiceInfo for one port of one service. */
export function makeServicePortInfo(svc: IptablesService, port: ServicePort): ServicePortInfo {
  const nameString = servicePortNameString(svc.namespace, svc.name, port.name);
  const proto = port.protocol.toLowerCase();
  const externalPolicyLocal = serviceExternallyAccessible(svc) && svc.externalTrafficPolicy === 'Local';
  const parsed = (svc.loadBalancerSourceRanges ?? []).map(normalizeCidr).filter((c): c is string => c !== undefined);
  // A zero range means "allow any", the same as none: no firewall chain (kubernetes v1.34.2
  // pkg/proxy/serviceport.go newBaseServiceInfo, "zero-masked cidr means allow any").
  const ranges = parsed.some((c) => c.endsWith('/0')) ? [] : parsed;
  const needsHealthCheck = svc.type === 'LoadBalancer' && externalPolicyLocal;
  const chains = servicePortChainNames(nameString, proto);
  return {
    serviceName: `${svc.namespace}/${svc.name}`,
    nameString,
    portName: port.name,
    protocol: port.protocol,
    proto,
    clusterIP: svc.clusterIP ?? '',
    port: port.port,
    nodePort: port.nodePort ?? 0,
    externalIPs: svc.externalIPs.filter(isIPv4),
    loadBalancerVIPs: svc.loadBalancerIPs.filter(isIPv4),
    loadBalancerSourceRanges: ranges,
    sessionAffinityClientIP: svc.sessionAffinity === 'ClientIP',
    stickyMaxAgeSeconds: svc.sessionAffinity === 'ClientIP' ? svc.affinityTimeoutSeconds : 0,
    externalPolicyLocal,
    internalPolicyLocal: svc.internalTrafficPolicy === 'Local',
    healthCheckNodePort: needsHealthCheck ? (svc.healthCheckNodePort ?? 0) : 0,
    clusterPolicyChainName: chains.cluster,
    localPolicyChainName: chains.local,
    firewallChainName: chains.firewall,
    externalChainName: chains.external,
  };
}

/**
 * The service ports kube-proxy programs, IPv4 only, in a deterministic order. Upstream iterates
 * a Go map (random order); we sort by service "ns/name" then port name and protocol, which is
 * the order upstream's own tests normalize to (sortIPTablesRules orders by service name).
 */
function buildServicePortInfos(services: IptablesService[]): ServicePortInfo[] {
  const infos: ServicePortInfo[] = [];
  for (const svc of services) for (const spi of portInfosOf(svc)) infos.push(spi);
  return infos.sort((a, b) => compareStrings(a.serviceName, b.serviceName) || compareStrings(a.portName, b.portName) || compareStrings(a.protocol, b.protocol));
}

/** Each Service object's port infos. kube-proxy computes them once per object, when its change
 * tracker first sees it (newServiceInfo), not on every sync; the node agent's model keeps an
 * unchanged object as the same object from sync to sync (modelFromApi), so they are kept per
 * object here, and a sync only gathers them. Model objects are never changed in place. */
const portInfosMemo = new WeakMap<IptablesService, ServicePortInfo[]>();

function portInfosOf(svc: IptablesService): ServicePortInfo[] {
  let infos = portInfosMemo.get(svc);
  if (infos === undefined) {
    infos = !shouldSkipService(svc) && isIPv4(svc.clusterIP ?? '') ? svc.ports.map((p) => makeServicePortInfo(svc, p)) : [];
    portInfosMemo.set(svc, infos);
  }
  return infos;
}

const compareStrings = (a: string, b: string): number => (a === b ? 0 : a < b ? -1 : 1);

/**
 * endpointslicecache.go for one service port: every IPv4 endpoint of every slice of the service
 * (`slices`: the service's own, as servicePortsWithEndpoints groups them) whose port matches by
 * name and protocol, deduplicated by "ip:port" (a local copy wins), sorted by that string
 * (byEndpoint).
 */
function endpointsForServicePort(spi: ServicePortInfo, slices: EndpointSlice[], hostname: string): EndpointInfo[] {
  const memo = endpointsMemo.get(spi);
  if (memo && memo.hostname === hostname && sameItems(memo.slices, slices)) return memo.endpoints;
  const endpoints = deriveEndpoints(spi, slices, hostname);
  endpointsMemo.set(spi, { hostname, slices: [...slices], endpoints });
  return endpoints;
}

/** The endpoints of a service port as last derived, and from which slices: upstream's
 * EndpointSliceCache likewise derives them when a slice changes, not on every sync. A service
 * port's slices are the same objects until one of them changes (modelFromApi). */
const endpointsMemo = new WeakMap<ServicePortInfo, { hostname: string; slices: EndpointSlice[]; endpoints: EndpointInfo[] }>();

const sameItems = <T>(a: readonly T[], b: readonly T[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

function deriveEndpoints(spi: ServicePortInfo, slices: EndpointSlice[], hostname: string): EndpointInfo[] {
  const byEndpoint = new Map<string, EndpointInfo>();
  for (const slice of slices) {
    if (slice.serviceName.length + slice.namespace.length + 1 !== spi.serviceName.length || `${slice.namespace}/${slice.serviceName}` !== spi.serviceName)
      continue;
    for (const port of slice.ports) {
      if (port.name !== spi.portName || port.protocol !== spi.protocol || !port.port) continue;
      for (const ep of slice.endpoints) {
        if (!isIPv4(ep.ip)) continue;
        const endpoint = joinHostPort(ep.ip, port.port);
        const isLocal = hostname.length > 0 && ep.nodeName === hostname;
        if (byEndpoint.has(endpoint) && !isLocal) continue;
        byEndpoint.set(endpoint, {
          ip: ep.ip,
          port: port.port,
          endpoint,
          isLocal,
          ready: ep.ready,
          serving: ep.serving,
          terminating: ep.terminating,
          chainName: servicePortEndpointChainName(spi.nameString, spi.proto, endpoint),
        });
      }
    }
  }
  const out = [...byEndpoint.values()];
  return out.length < 2 ? out : out.sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0));
}

/** BaseServicePortInfo.ExternallyAccessible */
export function externallyAccessible(spi: ServicePortInfo): boolean {
  return spi.nodePort !== 0 || spi.loadBalancerVIPs.length > 0 || spi.externalIPs.length > 0;
}

/** BaseServicePortInfo.UsesClusterEndpoints */
export function usesClusterEndpoints(spi: ServicePortInfo): boolean {
  return !spi.internalPolicyLocal || externallyAccessible(spi);
}

/** BaseServicePortInfo.UsesLocalEndpoints */
export function usesLocalEndpoints(spi: ServicePortInfo): boolean {
  return spi.internalPolicyLocal || (spi.externalPolicyLocal && externallyAccessible(spi));
}

export interface CategorizedEndpoints {
  clusterEndpoints: EndpointInfo[];
  localEndpoints: EndpointInfo[];
  allReachableEndpoints: EndpointInfo[];
  hasAnyEndpoints: boolean;
}

const servingTerminating = (ep: EndpointInfo): boolean => ep.serving && ep.terminating;

/**
 * proxy.CategorizeEndpoints without topology hints (the model has none, so topologyMode is
 * always ""): Ready endpoints, falling back (independently for Cluster and Local) to
 * Serving-and-Terminating ones when there are no Ready ones.
 */
export function categorizeEndpoints(endpoints: EndpointInfo[], spi: ServicePortInfo): CategorizedEndpoints {
  const result: CategorizedEndpoints = {
    clusterEndpoints: [],
    localEndpoints: [],
    allReachableEndpoints: [],
    hasAnyEndpoints: false,
  };
  if (endpoints.length === 0) return result;
  if (usesClusterEndpoints(spi)) {
    result.clusterEndpoints = endpoints.filter((ep) => ep.ready);
    if (result.clusterEndpoints.length === 0) result.clusterEndpoints = endpoints.filter(servingTerminating);
    result.hasAnyEndpoints = result.clusterEndpoints.length > 0;
  }
  if (!usesLocalEndpoints(spi)) {
    result.allReachableEndpoints = result.clusterEndpoints;
    return result;
  }
  const local = categorizeLocal(endpoints);
  result.localEndpoints = local.localEndpoints;
  result.hasAnyEndpoints ||= local.hasAnyEndpoints;
  if (!usesClusterEndpoints(spi)) {
    result.allReachableEndpoints = result.localEndpoints;
  } else if (!local.usesServingTerminating) {
    // Ready local endpoints are a subset of the (all-Ready) cluster endpoints.
    result.allReachableEndpoints = result.clusterEndpoints;
  } else {
    result.allReachableEndpoints = mergeEndpoints(result.clusterEndpoints, result.localEndpoints);
  }
  return result;
}

function categorizeLocal(endpoints: EndpointInfo[]): {
  localEndpoints: EndpointInfo[];
  hasAnyEndpoints: boolean;
  usesServingTerminating: boolean;
} {
  const usable = (ep: EndpointInfo): boolean => ep.ready || servingTerminating(ep);
  const hasLocalReady = endpoints.some((ep) => ep.isLocal && ep.ready);
  const hasLocalServingTerminating = endpoints.some((ep) => ep.isLocal && !ep.ready && servingTerminating(ep));
  const hasAnyEndpoints = endpoints.some(usable);
  if (hasLocalReady) {
    return { localEndpoints: endpoints.filter((ep) => ep.isLocal && ep.ready), hasAnyEndpoints, usesServingTerminating: false };
  }
  if (hasLocalServingTerminating) {
    const localEndpoints = endpoints.filter((ep) => ep.isLocal && servingTerminating(ep));
    return { localEndpoints, hasAnyEndpoints, usesServingTerminating: true };
  }
  return { localEndpoints: [], hasAnyEndpoints, usesServingTerminating: false };
}

/** Union by endpoint string. Upstream builds it from a Go map (random order); we sort. */
function mergeEndpoints(a: EndpointInfo[], b: EndpointInfo[]): EndpointInfo[] {
  const merged = new Map<string, EndpointInfo>();
  for (const ep of [...a, ...b]) merged.set(ep.endpoint, ep);
  return [...merged.values()].sort((x, y) => (x.endpoint < y.endpoint ? -1 : x.endpoint > y.endpoint ? 1 : 0));
}

/** Every service port with its endpoints, slices grouped by service once (upstream's
 * EndpointSliceCache is keyed the same way), so a sync stays linear in the number of services. */
export function servicePortsWithEndpoints(
  services: IptablesService[],
  slices: EndpointSlice[],
  hostname: string,
): { spi: ServicePortInfo; endpoints: EndpointInfo[] }[] {
  const slicesByService = new Map<string, EndpointSlice[]>();
  for (const slice of slices) {
    const key = `${slice.namespace}/${slice.serviceName}`;
    const list = slicesByService.get(key);
    if (list) list.push(slice);
    else slicesByService.set(key, [slice]);
  }
  return buildServicePortInfos(services).map((spi) => ({ spi, endpoints: endpointsForServicePort(spi, slicesByService.get(spi.serviceName) ?? [], hostname) }));
}
