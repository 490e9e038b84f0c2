// The resolved cluster: complete objects with every default filled in and every address
// allocated. Plain data, no back-references, no I/O; each later stage reads only this.

export type NodeRole = 'control-plane' | 'worker';

export interface Underlay {
  cidr: string;
  prefix: number;
  mtu: number;
}

export interface ClusterNetwork {
  podCIDR: string;
  nodeCIDRMaskSize: number;
  serviceCIDR: string;
  clusterDomain: string;
  cni: string;
}

export interface Node {
  name: string;
  role: NodeRole;
  /** Address on the underlay (the node's eth0). */
  ip: string;
  /** This node's pod range (Node.spec.podCIDR). */
  podCIDR: string;
  /** How podCIDR was chosen: pinned in the lab file, or allocated in order like the node IPAM controller. */
  podCIDRSource: 'pinned' | 'allocated';
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
}

export interface Container {
  name: string;
  image: string;
  args: string[];
  ports: ContainerPort[];
}

export interface Pod {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  nodeName: string;
  ip: string;
  ipSource: 'pinned' | 'allocated';
  containers: Container[];
}

export interface ClusterModel {
  lab: string;
  description: string;
  underlay: Underlay;
  network: ClusterNetwork;
  /** In lab-file order. */
  nodes: Node[];
  /** Sorted by namespace/name. */
  pods: Pod[];
}
