// A plan is data: the kernel operations that build a lab, grouped in steps. Steps run in order;
// within a step every namespace's operations run in one batch per tool, namespaces in parallel.
// Nothing here runs anything: kernel/apply.ts executes a plan, `lab up --dry-run` prints it.
import type { ToolInput } from './streamed-text.js';

export type Op =
  /** Create a network namespace (`ip netns add`). */
  | { kind: 'netns'; netns: string }
  /** One line of `ip -n <netns> -batch -`, as tokens. */
  | { kind: 'ip'; netns: string; args: string[] }
  /** One line of `bridge -n <netns> -batch -`, as tokens. */
  | { kind: 'bridge'; netns: string; args: string[] }
  /** One line of `tc -n <netns> -batch -` (queueing disciplines: netem), as tokens. */
  | { kind: 'tc'; netns: string; args: string[] }
  /** A sysctl inside the namespace; optional ones may be missing from the kernel. */
  | { kind: 'sysctl'; netns: string; key: string; value: string; optional?: boolean }
  /** iptables-save formatted rules restored with --noflush (kube-proxy and flanneld style); a
   * node agent's full sync streams them (rendered while iptables-restore reads). */
  | { kind: 'iptables-restore'; netns: string; rules: ToolInput }
  /** `ipset restore -exist` or `ipvsadm-restore` input inside the namespace (IPVS mode). */
  | { kind: 'restore'; netns: string; tool: 'ipset' | 'ipvsadm'; input: string }
  /** One `nft -f -` transaction inside the namespace (kube-proxy's nftables mode). */
  | { kind: 'nft'; netns: string; input: string }
  /** A file that `ip netns exec` bind-mounts over /etc/<name> for programs run in the
   * namespace (/etc/netns/<netns>/<name>), e.g. a pod's resolv.conf as kubelet writes it. */
  | { kind: 'netns-file'; netns: string; name: string; content: string }
  /** A self-signed certificate and key for these host names (a kubernetes.io/tls Secret the
   * lab asks to generate), at <path>.crt and <path>.key in the state directory. */
  | { kind: 'tls-cert'; path: string; hosts: string[] }
  /** A certificate authority (<path>.crt, <path>.key in the state directory). */
  | { kind: 'x509-ca'; path: string; subject: string }
  /** A certificate signed by a CA of the lab: a server's (with its names) or a client's. */
  | { kind: 'x509-cert'; path: string; ca: string; subject: string; usage: 'server' | 'client'; sans?: string[] }
  /** A key pair (<path>.key, public half <path>.pub): the service-account signing key. */
  | { kind: 'key-pair'; path: string }
  /** A file in the lab's state directory (e.g. a node's subnet.env). */
  | { kind: 'file'; path: string; content: string }
  /** BIRD reads its configuration again (`birdc configure` on its control socket, relative to
   * the state directory), as calico-node's confd has BIRD do after rewriting it. */
  | { kind: 'bird-configure'; socket: string };

export interface Step {
  name: string;
  ops: Op[];
}

export type NamespaceKind = 'underlay' | 'node' | 'pod' | 'outside';

export interface PlannedNamespace {
  /** The name used in lab files and hops: "w1", "pod-a", "underlay". */
  name: string;
  netns: string;
  kind: NamespaceKind;
  /** Interfaces the plan creates in it (for validating hops and for `lab exec`). */
  interfaces: string[];
}

/** A long-running process in a namespace: a pod's pause or container process. */
export interface ProcessSpec {
  /** The namespace it runs in; "" for the host's own (only the harness's loopback relay). */
  netns: string;
  /** "<pod>/<container>" or "<pod>/pause". */
  name: string;
  argv: string[];
  env: Record<string, string>;
  /** The process creates this file (relative to the state dir) once it is ready. */
  readyFile?: string;
  /** Or: it is ready once a socket of its namespace listens on this UDP port. */
  readyUdpPort?: number;
  /** Or: ... listens on this TCP port. */
  readyTcpPort?: number;
  /** Or: answers GET <path> with 200 over HTTPS through a unix socket (the API server's /readyz,
   * reached from outside the lab's network), with these client credentials. */
  readyHttps?: { socketPath: string; path: string; servername: string; caFile: string; certFile: string; keyFile: string };
  /** Only the network namespace is the node's; the mount namespace stays the host's, where
   * network namespaces a process creates are visible to all (the node agent makes pods'). */
  hostMounts?: boolean;
  /** Processes start stage by stage, each stage ready before the next (default 1): the API
   * server and upstream DNS before the pods that use them. */
  stage?: number;
}

export interface Plan {
  lab: string;
  namespaces: PlannedNamespace[];
  steps: Step[];
  processes: ProcessSpec[];
  /** Routes that must appear (learned by a routing daemon) before the lab counts as up. */
  converged?: { netns: string; routes: string[] }[];
}

/** A chain that must exist, or a rule that must exist in a chain (added at the top or the end
 * when it does not): iptables' EnsureChain / EnsureRule, for what kubelet and kube-proxy add only
 * when missing (kernel/iptables-ensure.ts runs them). */
export type IptablesEnsure =
  { table: 'mangle' | 'nat' | 'filter'; chain: string } | { table: 'mangle' | 'nat' | 'filter'; chain: string; position: 'prepend' | 'append'; rule: string[] };
