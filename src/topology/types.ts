// A lab's topology as a graph: namespaces as groups (pods inside their node), devices in them,
// and the links between devices. Plain data, built once from the model and the plan
// (topology/build.ts), drawn by the renderers (Mermaid, DOT, SVG) and walked by the report page.

export type GroupKind = 'underlay' | 'node' | 'pod' | 'outside' | 'internet' | 'services';

export interface TopoGroup {
  /** The lab-local namespace name ("w1", "pod-a", "underlay"), or "services" / "internet". */
  id: string;
  kind: GroupKind;
  label: string;
  /** Lines under the label: addresses, ranges, roles. */
  detail: string[];
  /** The enclosing group (a pod's node; an internet host's "internet"). */
  parent?: string;
}

export type DeviceKind = 'stack' | 'eth' | 'veth' | 'bridge' | 'vxlan' | 'ipip' | 'dummy' | 'loopback' | 'service';

export interface TopoDevice {
  /** A capture point ("w1/eth0"), "stack:w1" for a namespace's routing and netfilter, or
   * "svc:<namespace>/<name>" for a Service's virtual IP. */
  id: string;
  group: string;
  /** What the device is called ("eth0", "flannel.1"), or the Service's name. */
  name: string;
  kind: DeviceKind;
  /** CIDRs on the device (or the Service's virtual IPs). */
  addresses: string[];
  /** One line about it: VNI and port, MTU, ports of a Service. */
  detail?: string;
}

/**
 * veth: the two ends of a veth pair; port: a device enslaved to a bridge; stack: a device and
 * the namespace's routing (packets between devices of a node are routed); encap: a tunnel
 * device and the device its packets leave through, encapsulated; tunnel: the overlay between two
 * tunnel devices (drawn, never walked: an encapsulated packet crosses the underlay);
 * endpoint: a Service and a pod that serves it (virtual, never walked).
 */
export type LinkKind = 'veth' | 'port' | 'stack' | 'encap' | 'tunnel' | 'endpoint';

export interface TopoLink {
  id: string;
  /** The end farther from the underlay (the pod side); layouts draw it above b. */
  a: string;
  b: string;
  kind: LinkKind;
  label?: string;
}

export interface Topology {
  lab: string;
  description: string;
  groups: TopoGroup[];
  devices: TopoDevice[];
  links: TopoLink[];
}

export const stackId = (ns: string) => `stack:${ns}`;
export const serviceId = (namespace: string, name: string) => `svc:${namespace}/${name}`;
