// NetworkPolicy semantics as the networking.k8s.io/v1 API documents them, as a pure evaluator.
// It is the reference the iptables renderer is checked against in unit tests; the harness never
// computes a lab's expectations from it (those come from the lab file and real packets).
//
// - A pod is isolated for ingress (egress) when at least one policy in its namespace selects it
//   and has Ingress (Egress) in policyTypes; a pod selected by no such policy is unrestricted
//   in that direction. Policies are additive: a connection is allowed when ANY rule of ANY
//   selecting policy allows it. Traffic needs both the source's egress and the destination's
//   ingress to allow it.
// - Peers: podSelector alone = pods in the policy's own namespace; namespaceSelector alone =
//   every pod in the matching namespaces; both in ONE peer = pods matching podSelector in
//   namespaces matching namespaceSelector (AND); separate peers are ORed; ipBlock matches
//   addresses in cidr but not in any except (pod addresses included, as the upstream e2e
//   "should allow egress access to server in CIDR block" relies on).
// - Ports: numeric (optionally a range up to endPort), protocol-only, or a name, resolved
//   against the DESTINATION pod's container ports (so each destination may differ).
// Upstream tests this mirrors: kubernetes/kubernetes test/e2e/network/netpol/network_policy.go.
import {
  NAMESPACE_NAME_LABEL,
  type Endpoint,
  type IPBlock,
  type LabelSelector,
  type LabelSelectorRequirement,
  type NetworkPolicy,
  type NetworkPolicyPeer,
  type NetworkPolicyPort,
  type PolicyContainerPort,
  type PolicyNamespace,
  type PolicyPod,
  type PolicyType,
  type Protocol,
} from '../../k8s/network-policy-types.js';
import { containsIp, parseCidr } from '../../net/cidr.js';

function requirementMatches(r: LabelSelectorRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  switch (r.operator) {
    case 'In':
      return has && r.values.includes(labels[r.key]);
    case 'NotIn':
      // apimachinery labels.Requirement.Matches: NotIn also matches when the key is absent.
      return !has || !r.values.includes(labels[r.key]);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
  }
}

/** metav1.LabelSelector semantics: every matchLabels pair and every expression must hold;
 * the empty selector matches everything. */
export function labelSelectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels)) {
    if (!Object.prototype.hasOwnProperty.call(labels, k) || labels[k] !== v) return false;
  }
  return selector.matchExpressions.every((r) => requirementMatches(r, labels));
}

/** A namespace's labels as selectors see them: its own labels plus the immutable
 * kubernetes.io/metadata.name=<name> the API server sets on every Namespace. A namespace
 * with no Namespace object (pods in "default") has that label only. */
export function namespaceLabels(namespaces: readonly PolicyNamespace[], name: string): Record<string, string> {
  const ns = namespaces.find((n) => n.name === name);
  return { ...(ns?.labels ?? {}), [NAMESPACE_NAME_LABEL]: name };
}

export function policySelectsPod(policy: NetworkPolicy, pod: { namespace: string; labels: Record<string, string> }): boolean {
  return policy.namespace === pod.namespace && labelSelectorMatches(policy.podSelector, pod.labels);
}

/** Whether the policy isolates the pod in that direction. */
export function policyAppliesTo(policy: NetworkPolicy, pod: { namespace: string; labels: Record<string, string> }, type: PolicyType): boolean {
  return policy.policyTypes.includes(type) && policySelectsPod(policy, pod);
}

export function ipBlockMatches(block: IPBlock, ip: string): boolean {
  return containsIp(parseCidr(block.cidr), ip) && !block.except.some((x) => containsIp(parseCidr(x), ip));
}

/** The other end of a connection, as a peer sees it. */
export interface PeerTarget {
  ip: string;
  /** Absent for addresses that are not pods: only ipBlock peers can match them. */
  pod?: { namespace: string; labels: Record<string, string> };
  /** The pod's namespace labels; kubernetes.io/metadata.name is added from pod.namespace. */
  namespaceLabels?: Record<string, string>;
}

export function peerMatches(peer: NetworkPolicyPeer, policyNamespace: string, target: PeerTarget): boolean {
  if (peer.ipBlock) return ipBlockMatches(peer.ipBlock, target.ip);
  if (!target.pod) return false;
  if (!peer.podSelector && !peer.namespaceSelector) return false;
  const nsOk = peer.namespaceSelector
    ? labelSelectorMatches(peer.namespaceSelector, { ...(target.namespaceLabels ?? {}), [NAMESPACE_NAME_LABEL]: target.pod.namespace })
    : target.pod.namespace === policyNamespace;
  const podOk = peer.podSelector ? labelSelectorMatches(peer.podSelector, target.pod.labels) : true;
  return nsOk && podOk;
}

/** A named port on a pod: the container port with that name, when its protocol is the
 * policy port's protocol (a "TCP http" port does not open a UDP port named http). */
export function resolveNamedPort(name: string, protocol: Protocol, containerPorts: readonly PolicyContainerPort[]): number | undefined {
  return containerPorts.find((c) => c.name === name && c.protocol === protocol)?.port;
}

/** Whether a policy port admits traffic to dport/protocol on the destination. */
export function portMatches(p: NetworkPolicyPort, dport: number, protocol: Protocol, destination?: PolicyPod): boolean {
  if (p.protocol !== protocol) return false;
  if (p.port === undefined) return true;
  if (typeof p.port === 'number') return p.endPort === undefined ? dport === p.port : dport >= p.port && dport <= p.endPort;
  if (!destination) return false;
  return resolveNamedPort(p.port, protocol, destination.containerPorts) === dport;
}

function portsMatch(ports: NetworkPolicyPort[] | undefined, dport: number, protocol: Protocol, destination?: PolicyPod): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => portMatches(p, dport, protocol, destination));
}

function peersMatch(peers: NetworkPolicyPeer[] | undefined, policyNamespace: string, target: PeerTarget): boolean {
  if (!peers || peers.length === 0) return true;
  return peers.some((p) => peerMatches(p, policyNamespace, target));
}

function targetOf(e: Endpoint, namespaces: readonly PolicyNamespace[]): PeerTarget {
  return e.pod
    ? { ip: e.ip, pod: { namespace: e.pod.namespace, labels: e.pod.labels }, namespaceLabels: namespaceLabels(namespaces, e.pod.namespace) }
    : { ip: e.ip };
}

/** Whether the destination pod's ingress policies admit the connection (true when no policy
 * isolates it for ingress). */
export function ingressAllowed(
  policies: readonly NetworkPolicy[],
  namespaces: readonly PolicyNamespace[],
  from: Endpoint,
  to: PolicyPod,
  port: number,
  protocol: Protocol,
): boolean {
  const applying = policies.filter((p) => policyAppliesTo(p, to, 'Ingress'));
  if (applying.length === 0) return true;
  const peer = targetOf(from, namespaces);
  return applying.some((p) => (p.ingress ?? []).some((r) => peersMatch(r.from, p.namespace, peer) && portsMatch(r.ports, port, protocol, to)));
}

/** Whether the source pod's egress policies admit the connection (true when no policy
 * isolates it for egress). */
export function egressAllowed(
  policies: readonly NetworkPolicy[],
  namespaces: readonly PolicyNamespace[],
  from: PolicyPod,
  to: Endpoint,
  port: number,
  protocol: Protocol,
): boolean {
  const applying = policies.filter((p) => policyAppliesTo(p, from, 'Egress'));
  if (applying.length === 0) return true;
  const peer = targetOf(to, namespaces);
  return applying.some((p) => (p.egress ?? []).some((r) => peersMatch(r.to, p.namespace, peer) && portsMatch(r.ports, port, protocol, to.pod)));
}

/** The reference semantics: may a new connection from `from` to `to` on port/protocol (the
 * destination after any service DNAT) be opened? */
export function allowed(
  policies: readonly NetworkPolicy[],
  namespaces: readonly PolicyNamespace[],
  from: Endpoint,
  to: Endpoint,
  port: number,
  protocol: Protocol,
): boolean {
  if (from.pod && !egressAllowed(policies, namespaces, from.pod, to, port, protocol)) return false;
  if (to.pod && !ingressAllowed(policies, namespaces, from, to.pod, port, protocol)) return false;
  return true;
}
