// MetalLB's controller (its Deployment in metallb-system), as a pure decision: every Service of
// type LoadBalancer gets an address from the IPAddressPools (the one it asks for with
// spec.loadBalancerIP or metallb.universe.tf/loadBalancerIPs, else the one it already has, else
// the first free one), written to its status.loadBalancer.ingress. The speakers announce what
// the status says. Matched to metallb v0.14 controller/service.go (allocate, then update status).
import type { K8sObject } from '../api/client.js';
import { parseAddressPool } from '../k8s/manifest.js';
import type { RawManifest } from '../k8s/types.js';
import { allocateLoadBalancerIPs } from '../model/services.js';
import type { AddressPool } from '../model/types.js';
import { ipToInt } from '../net/cidr.js';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});

export function poolsFromApi(pools: K8sObject[]): AddressPool[] {
  return pools
    .map((p) => parseAddressPool(p as RawManifest).pool)
    .filter((p): p is AddressPool => !!p)
    .sort((a, b) => a.name.localeCompare(b.name));
}

export interface StatusChange {
  namespace: string;
  name: string;
  ips: string[];
}

export function loadBalancerChanges(services: K8sObject[], pools: AddressPool[]): StatusChange[] {
  const lbs = services.filter((s) => obj(s.spec).type === 'LoadBalancer');
  const key = (s: K8sObject) => `${s.metadata.namespace ?? 'default'}/${s.metadata.name}`;
  const current = (s: K8sObject) =>
    (obj(obj(s.status).loadBalancer).ingress as { ip?: string }[] | undefined)?.map((x) => x.ip).filter((x): x is string => !!x) ?? [];
  const requested = (s: K8sObject) => {
    const spec = obj(s.spec);
    return [
      ...(typeof spec.loadBalancerIP === 'string' && spec.loadBalancerIP ? [spec.loadBalancerIP] : []),
      ...(s.metadata.annotations?.['metallb.universe.tf/loadBalancerIPs']?.split(',').map((x) => x.trim()) ?? []),
    ];
  };
  const inPool = (ip: string) => pools.some((p) => p.ranges.some(([a, b]) => ipToInt(ip) >= ipToInt(a) && ipToInt(ip) <= ipToInt(b)));
  const given = (s: K8sObject) => (requested(s).length > 0 ? requested(s) : current(s).filter(inPool));
  const alloc = allocateLoadBalancerIPs(
    pools,
    lbs.map((s) => ({ key: key(s), given: given(s) })),
  );
  return lbs.flatMap((s) => {
    const ips = alloc.get(key(s)) ?? [];
    return ips.join() === current(s).join() ? [] : [{ namespace: s.metadata.namespace ?? 'default', name: s.metadata.name, ips }];
  });
}
