// The /etc/resolv.conf kubelet gives a pod for its dnsPolicy (kubernetes/kubernetes
// pkg/kubelet/network/dns/dns.go GetPodDNS), written the way containerd formats it (containerd
// internal/cri/server/sandbox_run.go parseDNSOptions: search, then nameserver lines, then options).
// - ClusterFirst (the default): nameserver = the cluster DNS (kube-dns), search
//   <ns>.svc.<domain> svc.<domain> <domain> followed by the node's own search domains,
//   options ndots:5.
// - Default: the node's resolv.conf.
// - None: nothing but dnsConfig.
// dnsConfig is then merged in (appendDNSConfig): nameservers and searches appended without
// duplicates, options merged by name with the pod's value winning.
import type { ClusterModel, Pod, ResolverConfig } from './types.js';

export interface DnsSettings {
  clusterDNS: string;
  clusterDomain: string;
  /** The node's own resolv.conf (kubelet --resolv-conf). */
  node: ResolverConfig;
}

const unique = (xs: string[]) => [...new Set(xs)];

function mergeOptions(base: string[], extra: { name: string; value?: string }[]): string[] {
  const byName = new Map<string, string>();
  for (const o of base) byName.set(o.split(':')[0], o);
  for (const o of extra) byName.set(o.name, o.value !== undefined ? `${o.name}:${o.value}` : o.name);
  return [...byName.values()];
}

export function podResolverConfig(pod: Pick<Pod, 'namespace' | 'dnsPolicy' | 'dnsConfig'>, dns: DnsSettings): ResolverConfig {
  let base: ResolverConfig;
  switch (pod.dnsPolicy) {
    case 'None':
      base = { nameservers: [], searches: [], options: [] };
      break;
    case 'Default':
      base = { ...dns.node };
      break;
    default: // ClusterFirst, ClusterFirstWithHostNet (pods here never use the host network)
      base = {
        nameservers: [dns.clusterDNS],
        searches: [`${pod.namespace}.svc.${dns.clusterDomain}`, `svc.${dns.clusterDomain}`, dns.clusterDomain, ...dns.node.searches],
        options: ['ndots:5'],
      };
  }
  const c = pod.dnsConfig;
  if (!c) return base;
  return {
    nameservers: unique([...base.nameservers, ...(c.nameservers ?? [])]),
    searches: unique([...base.searches, ...(c.searches ?? [])]),
    options: mergeOptions(base.options, c.options ?? []),
  };
}

/** The lab's DNS settings: kube-dns' address and domain; nodes resolve through the lab's
 * internet DNS server when it has one (their --resolv-conf). */
export function dnsSettings(model: Pick<ClusterModel, 'externals' | 'network'>): DnsSettings {
  const upstream = model.externals.find((h) => h.kind === 'dns');
  return {
    clusterDNS: model.network.clusterDNS,
    clusterDomain: model.network.clusterDomain,
    node: { nameservers: upstream ? [upstream.ip] : [], searches: [], options: [] },
  };
}
