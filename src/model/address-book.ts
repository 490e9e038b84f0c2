// Names a lab file may use for addresses and senders: pods, nodes, services (their ClusterIP)
// and machines outside the cluster. Pure lookups over the model.
import type { ClusterModel } from './types.js';
import { macFor } from './names.js';
import { dnsSettings, podResolverConfig } from './pod-dns.js';

export interface AddressBook {
  /** Name -> IPv4 address; anything else (an IPv4 literal) passes through. */
  resolve(nameOrIp: string): string;
  /** The lab-local namespace name a sender's traffic starts in. */
  senderNamespace(name: string): string;
  /** The port to use when a request names a service without a port: its first port. */
  servicePort(name: string): number | undefined;
  /** The first nameserver of a sender's resolv.conf (pods: as kubelet writes it). */
  resolverOf(name: string): string;
  /** The MAC of a node's or outside host's eth0 (for ARP hops). */
  macOf(name: string): string | undefined;
  /** Ready endpoints (pod names) of a service, for load-balancing expectations. */
  serviceBackends(name: string): string[] | undefined;
}

export function addressBook(model: ClusterModel): AddressBook {
  const ips = new Map<string, string>();
  for (const n of model.nodes) ips.set(n.name, n.ip);
  for (const p of model.pods) ips.set(p.name, p.ip);
  for (const h of model.externals) ips.set(h.name, h.ip);
  for (const s of model.services) if (s.clusterIP && s.clusterIP !== 'None') ips.set(s.name, s.clusterIP);
  const byName = (name: string) => model.services.find((s) => s.name === name);
  return {
    resolve: (v) => ips.get(v) ?? v,
    resolverOf: (name) => {
      const pod = model.pods.find((p) => p.name === name);
      const conf = pod ? podResolverConfig(pod, dnsSettings(model)) : dnsSettings(model).node;
      return conf.nameservers[0] ?? model.network.clusterDNS;
    },
    macOf: (name) =>
      model.nodes.some((n) => n.name === name) || model.externals.some((h) => h.name === name) ? macFor(`${model.lab}/${name}/eth0`) : undefined,
    senderNamespace: (name) => name,
    servicePort: (name) => byName(name)?.ports[0]?.port,
    serviceBackends: (name) => {
      const s = byName(name);
      if (!s) return undefined;
      const slice = model.endpointSlices.find((x) => x.namespace === s.namespace && x.serviceName === s.name);
      return slice?.endpoints.filter((e) => e.ready).map((e) => e.podName);
    },
  };
}
