// The pod networks a lab can name in cluster.cni, as far as the model needs to know them: how
// pod addresses are allocated. What each one programs on the nodes is the business of its
// planner in plan/cni/ (its registry covers exactly these kinds; the type checker enforces it).

export type PodNetworkKind = 'flannel-vxlan' | 'flannel-host-gw' | 'calico-bgp' | 'calico-ipip' | 'canal';

export interface PodNetworkIpam {
  /** host-local: each node hands out addresses of its own podCIDR (flannel's CNI plugin);
   * calico: /26 blocks of the IPPool, claimed per node on demand (Calico IPAM). */
  ipam: 'host-local' | 'calico';
  /** calico-node claims an IP-in-IP tunnel address per node from IPAM before any pod. */
  tunnelAddresses: boolean;
}

export const POD_NETWORKS: Record<PodNetworkKind, PodNetworkIpam> = {
  'flannel-vxlan': { ipam: 'host-local', tunnelAddresses: false },
  'flannel-host-gw': { ipam: 'host-local', tunnelAddresses: false },
  canal: { ipam: 'host-local', tunnelAddresses: false },
  'calico-bgp': { ipam: 'calico', tunnelAddresses: false },
  'calico-ipip': { ipam: 'calico', tunnelAddresses: true },
};

export function podNetworkKinds(): PodNetworkKind[] {
  return Object.keys(POD_NETWORKS) as PodNetworkKind[];
}

export function isPodNetworkKind(kind: string): kind is PodNetworkKind {
  return Object.hasOwn(POD_NETWORKS, kind);
}
