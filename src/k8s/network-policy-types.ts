// networking.k8s.io/v1 NetworkPolicy as the policy engine reads it: every API default filled
// in (policyTypes, port protocol), selectors in one shape. Plain data, no I/O.
//
// Absent and empty are kept apart where the API keeps them apart in the manifest:
// - `ingress`/`egress` undefined (absent) vs [] (empty): both select nothing, so a policy whose
//   policyTypes include that direction denies all of it. They differ only for defaulting:
//   policyTypes gets Egress only when spec.egress has at least one rule
//   (pkg/apis/networking/v1/defaults.go SetDefaults_NetworkPolicy: len(Egress) != 0).
// - a rule's `from`/`to` undefined vs []: both mean "every peer" (API docs: "If this field is
//   empty or missing, this rule matches all sources/destinations").
// - a rule's `ports` undefined vs []: both mean every port and protocol.
// - `ingress: [{}]`: one rule with every peer and port: allow all.

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];

export type PolicyType = 'Ingress' | 'Egress';

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
export const SELECTOR_OPERATORS: readonly SelectorOperator[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

export interface LabelSelectorRequirement {
  key: string;
  operator: SelectorOperator;
  /** Non-empty for In/NotIn, empty for Exists/DoesNotExist (validated). */
  values: string[];
}

/** metav1.LabelSelector. An empty selector ({}) matches everything. */
export interface LabelSelector {
  matchLabels: Record<string, string>;
  matchExpressions: LabelSelectorRequirement[];
}

export interface IPBlock {
  /** Canonical IPv4 CIDR (network address, no host bits). */
  cidr: string;
  /** Each a strict subset of cidr. */
  except: string[];
}

/** One of: podSelector, namespaceSelector, both (AND), or ipBlock alone. */
export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: IPBlock;
}

export interface NetworkPolicyPort {
  /** Defaulted to TCP (SetDefaults_NetworkPolicyPort). */
  protocol: Protocol;
  /** Number, or the name of a container port on the destination pod; absent = every port. */
  port?: number | string;
  /** Only with a numeric port; >= port. */
  endPort?: number;
}

export interface NetworkPolicyIngressRule {
  from?: NetworkPolicyPeer[];
  ports?: NetworkPolicyPort[];
}

export interface NetworkPolicyEgressRule {
  to?: NetworkPolicyPeer[];
  ports?: NetworkPolicyPort[];
}

export interface NetworkPolicy {
  name: string;
  namespace: string;
  /** Empty selector = every pod of the namespace. */
  podSelector: LabelSelector;
  /** As written, or the API default: Ingress, plus Egress when spec.egress has rules. */
  policyTypes: PolicyType[];
  ingress?: NetworkPolicyIngressRule[];
  egress?: NetworkPolicyEgressRule[];
}

export interface PolicyProblem {
  path: (string | number)[];
  message: string;
  fix?: string;
}

/** A container port of a pod, as named ports resolve against it. */
export interface PolicyContainerPort {
  name?: string;
  port: number;
  protocol: Protocol;
}

/** What the engine needs to know about a pod. */
export interface PolicyPod {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  containerPorts: PolicyContainerPort[];
}

export interface PolicyNamespace {
  name: string;
  labels: Record<string, string>;
}

/** One end of a connection: a pod (with its address) or any other address. */
export interface Endpoint {
  ip: string;
  pod?: PolicyPod;
}

/** kubernetes.io/metadata.name: set on every Namespace by the API server (immutable). */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
