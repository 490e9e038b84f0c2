// NetworkPolicy as iptables rules on one node, the way policy-capable CNIs enforce it with
// iptables (kube-router's KUBE-POD-FW-*/KUBE-NWPLCY-* chains, Calico's cali-tw-/cali-fw-*):
// pure text for `iptables-restore --noflush`, filter table.
//
//   FORWARD  -I 1 -> WL-POLICY   (first: before kube-proxy's KUBE-FORWARD, whose masquerade-mark
//                                 ACCEPT would otherwise let service traffic skip the policy,
//                                 and before flannel's pod-CIDR ACCEPTs; apply after kube-proxy)
//   WL-POLICY  ctstate RELATED,ESTABLISHED -> ACCEPT          (replies, connections already let in)
//              -s <local pod>/32 -> WL-E-<hash>              (pods isolated for egress)
//              -d <local pod>/32 -> WL-I-<hash>              (pods isolated for ingress)
//   WL-E-/WL-I-<hash>  one rule per (peer, port) an allowing rule admits: -j RETURN
//              (= allowed: back in WL-POLICY, the next check runs: for two pods on one node the
//               egress check of the source and then the ingress check of the destination)
//              ...then NFLOG (group 100, prefix "WL-DENY I|E ns/pod") and DROP.
//   WL-B-<hash>  an ipBlock with except: -s|-d <except> -j RETURN (not this peer), then
//              -s|-d <cidr> -j MARK 0x10000; the per-pod chain RETURNs on that mark right after
//              the jump, and clears the bit first thing so no earlier chain's mark leaks in.
//
// Where the checks happen: egress on the source pod's node, ingress on the destination pod's
// node, both in FORWARD (pod traffic is always forwarded: routed off cni0/cali*, or bridged on
// cni0, which br_netfilter sends through FORWARD too). Traffic from the node itself (OUTPUT:
// kubelet probes) is never checked, as the API docs allow. kube-proxy's DNAT happens in
// PREROUTING/OUTPUT nat, before FORWARD, so a connection to a ClusterIP/NodePort is checked
// against the backend pod's address and container port: nothing service-specific is needed.
// (A NodePort connection forwarded to another node and masqueraded there arrives with the
// first node's address as its source, as in a real cluster with externalTrafficPolicy Cluster.)
//
// Peers are expanded to addresses here: pod selectors to the /32 of every matching pod in the
// input (all nodes), named ports to each destination pod's container port of that name.
import { hash16 } from '../chain-hash.js';
import type { Pod } from '../../model/types.js';
import { ipBlockMatches, namespaceLabels, peerMatches, policyAppliesTo, resolveNamedPort } from './selectors.js';
import type {
  IPBlock,
  NetworkPolicy,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  PolicyNamespace,
  PolicyPod,
  PolicyType,
  Protocol,
} from '../../k8s/network-policy-types.js';

export const POLICY_CHAIN = 'WL-POLICY';
export const INGRESS_CHAIN_PREFIX = 'WL-I-';
export const EGRESS_CHAIN_PREFIX = 'WL-E-';
export const IPBLOCK_CHAIN_PREFIX = 'WL-B-';
/** The bit an ipBlock sub-chain sets when the address is in cidr and in no except. Outside
 * kube-proxy's 0x4000 (masquerade) and 0x8000 (drop); kube-router uses the same bit. */
export const POLICY_MARK = '0x10000';
export const NFLOG_GROUP = 100;
/** xt_NFLOG keeps 64 bytes of prefix including the NUL. */
export const NFLOG_PREFIX_MAX = 63;
export const IPTABLES_COMMENT_MAX = 256;

export interface RenderPod extends PolicyPod {
  ip: string;
  nodeName: string;
  /** The pod's host-side interface (podVethName for bridge CNIs, calicoVethName for Calico);
   * named in the jump comments. Matching is by address: with a bridge CNI, -i would see cni0. */
  hostVeth: string;
}

export interface RenderPolicyInput {
  node: string;
  /** Every pod of the cluster: local ones get chains, all of them can be peers. */
  pods: RenderPod[];
  namespaces: PolicyNamespace[];
  policies: NetworkPolicy[];
  /** Chains an earlier render created that may no longer exist (flushed and deleted here). */
  staleChains?: string[];
  /** Include the `-I FORWARD 1 ... -j WL-POLICY` line (default true). A caller that re-applies
   * should check for the jump (`iptables -C FORWARD <policyJumpArgs()>`) and pass false when it
   * is there, as kube-proxy's EnsureRule does, or FORWARD collects duplicate jumps. */
  includeJump?: boolean;
}

/** Kernel features the rendered rules use, as CONFIG_ names (for the pre-flight check; the
 * descriptions for the new ones belong in src/kernel/features.ts). SCTP ports need xt_sctp. */
export function policyRequires(policies: readonly NetworkPolicy[]): string[] {
  const sctp = policies.some((p) => [...(p.ingress ?? []), ...(p.egress ?? [])].some((r) => (r.ports ?? []).some((x) => x.protocol === 'SCTP')));
  return [
    'CONFIG_BRIDGE_NETFILTER',
    'CONFIG_NF_CONNTRACK',
    'CONFIG_NETFILTER_XT_MATCH_CONNTRACK',
    'CONFIG_NETFILTER_XT_MATCH_COMMENT',
    'CONFIG_NETFILTER_XT_MARK',
    'CONFIG_NETFILTER_XT_TARGET_NFLOG',
    ...(sctp ? ['CONFIG_NETFILTER_XT_MATCH_SCTP'] : []),
  ];
}

/** The jump from FORWARD, as argv after `iptables -t filter -I|-C FORWARD`. */
export function policyJumpArgs(): string[] {
  return ['-m', 'comment', '--comment', 'wirelab network policy', '-j', POLICY_CHAIN];
}

/** WL-I-/WL-E- + the first 16 characters of base32(sha256("ns/pod")), as kube-proxy names its
 * chains: 21 characters, within iptables' 28. */
export function podChainName(type: PolicyType, namespace: string, pod: string): string {
  return `${type === 'Ingress' ? INGRESS_CHAIN_PREFIX : EGRESS_CHAIN_PREFIX}${hash16(`${namespace}/${pod}`)}`;
}

export function ipBlockChainName(direction: 'src' | 'dst', block: IPBlock): string {
  return `${IPBLOCK_CHAIN_PREFIX}${hash16(`${direction} ${block.cidr} except ${block.except.join(',')}`)}`;
}

export function isPolicyChainName(chain: string): boolean {
  return chain === POLICY_CHAIN || [INGRESS_CHAIN_PREFIX, EGRESS_CHAIN_PREFIX, IPBLOCK_CHAIN_PREFIX].some((p) => chain.startsWith(p));
}

/** "WL-DENY I ns/pod", shortened with a hash when a long name would pass 63 characters. */
export function nflogPrefix(type: PolicyType, namespace: string, pod: string): string {
  const full = `WL-DENY ${type === 'Ingress' ? 'I' : 'E'} ${namespace}/${pod}`;
  if (full.length <= NFLOG_PREFIX_MAX) return full;
  const tail = `~${hash16(`${namespace}/${pod}`).slice(0, 8)}`;
  return full.slice(0, NFLOG_PREFIX_MAX - tail.length) + tail;
}

function quote(s: string): string {
  const clipped = s.length >= IPTABLES_COMMENT_MAX ? s.slice(0, IPTABLES_COMMENT_MAX - 1) : s;
  return `"${clipped.replace(/["\\]/g, '')}"`;
}

function comment(text: string): string {
  return `-m comment --comment ${quote(text)}`;
}

/** A port match: protocol alone, or protocol and a destination port or range. */
interface PortSpec {
  protocol: Protocol;
  from?: number;
  to?: number;
}

function portArgs(p: PortSpec | undefined): string {
  if (!p) return '';
  const proto = p.protocol.toLowerCase();
  if (p.from === undefined) return ` -p ${proto}`;
  const range = p.to !== undefined && p.to !== p.from ? `${p.from}:${p.to}` : `${p.from}`;
  return ` -p ${proto} -m ${proto} --dport ${range}`;
}

const byName = (a: { namespace: string; name: string }, b: { namespace: string; name: string }) =>
  a.namespace === b.namespace ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.namespace < b.namespace ? -1 : 1;

interface Ctx {
  pods: RenderPod[];
  namespaces: PolicyNamespace[];
  /** Sub-chains by name, with their rule lines. */
  blockChains: Map<string, string[]>;
}

function peerPods(ctx: Ctx, peer: NetworkPolicyPeer | undefined, policyNamespace: string): RenderPod[] {
  if (!peer) return ctx.pods;
  return ctx.pods.filter((q) => peerMatches(peer, policyNamespace, { ip: q.ip, pod: q, namespaceLabels: namespaceLabels(ctx.namespaces, q.namespace) }));
}

function ensureBlockChain(ctx: Ctx, direction: 'src' | 'dst', block: IPBlock): string {
  const name = ipBlockChainName(direction, block);
  if (!ctx.blockChains.has(name)) {
    const flag = direction === 'src' ? '-s' : '-d';
    ctx.blockChains.set(name, [
      ...block.except.map((x) => `-A ${name} ${flag} ${x} -j RETURN`),
      `-A ${name} ${flag} ${block.cidr} -j MARK --set-xmark ${POLICY_MARK}/${POLICY_MARK}`,
    ]);
  }
  return name;
}

/** The allow lines (without "-A chain") one rule contributes to a pod's chain, and whether a
 * mark-setting sub-chain was used. */
function ruleLines(
  ctx: Ctx,
  type: PolicyType,
  subject: RenderPod,
  policy: NetworkPolicy,
  peers: NetworkPolicyPeer[] | undefined,
  ports: NetworkPolicyPort[] | undefined,
  label: string,
): { lines: string[]; usesMark: boolean } {
  const c = comment(label);
  const lines: string[] = [];
  let usesMark = false;
  const peerList: (NetworkPolicyPeer | undefined)[] = peers && peers.length > 0 ? peers : [undefined];
  const portList: (NetworkPolicyPort | undefined)[] = ports && ports.length > 0 ? ports : [undefined];
  const addrFlag = type === 'Ingress' ? '-s' : '-d';

  for (const peer of peerList) {
    for (const port of portList) {
      const named = port !== undefined && typeof port.port === 'string';
      if (type === 'Ingress') {
        // The destination is the subject pod: a named port resolves once, against it.
        let spec: PortSpec | undefined;
        if (port) {
          if (named) {
            const n = resolveNamedPort(port.port as string, port.protocol, subject.containerPorts);
            if (n === undefined) continue; // the pod has no such port: this entry admits nothing
            spec = { protocol: port.protocol, from: n };
          } else spec = { protocol: port.protocol, from: port.port as number | undefined, to: port.endPort };
        }
        const pa = portArgs(spec);
        if (!peer) lines.push(`${c}${pa} -j RETURN`);
        else if (peer.ipBlock) {
          if (peer.ipBlock.except.length === 0) lines.push(`${c} -s ${peer.ipBlock.cidr}${pa} -j RETURN`);
          else {
            const sub = ensureBlockChain(ctx, 'src', peer.ipBlock);
            lines.push(`${c}${pa} -j ${sub}`, `${c}${pa} -m mark --mark ${POLICY_MARK}/${POLICY_MARK} -j RETURN`);
            usesMark = true;
          }
        } else for (const q of peerPods(ctx, peer, policy.namespace)) lines.push(`${c} -s ${q.ip}/32${pa} -j RETURN`);
        continue;
      }
      // Egress: the destination is the peer.
      if (named) {
        // Resolved per destination pod: only pods (with that port) can match a named port.
        const candidates = !peer
          ? ctx.pods
          : peer.ipBlock
            ? ctx.pods.filter((q) => ipBlockMatches(peer.ipBlock!, q.ip))
            : peerPods(ctx, peer, policy.namespace);
        for (const q of candidates) {
          const n = resolveNamedPort(port!.port as string, port!.protocol, q.containerPorts);
          if (n !== undefined) lines.push(`${c} ${addrFlag} ${q.ip}/32${portArgs({ protocol: port!.protocol, from: n })} -j RETURN`);
        }
        continue;
      }
      const pa = portArgs(port ? { protocol: port.protocol, from: port.port as number | undefined, to: port.endPort } : undefined);
      if (!peer) lines.push(`${c}${pa} -j RETURN`);
      else if (peer.ipBlock) {
        if (peer.ipBlock.except.length === 0) lines.push(`${c} -d ${peer.ipBlock.cidr}${pa} -j RETURN`);
        else {
          const sub = ensureBlockChain(ctx, 'dst', peer.ipBlock);
          lines.push(`${c}${pa} -j ${sub}`, `${c}${pa} -m mark --mark ${POLICY_MARK}/${POLICY_MARK} -j RETURN`);
          usesMark = true;
        }
      } else for (const q of peerPods(ctx, peer, policy.namespace)) lines.push(`${c} -d ${q.ip}/32${pa} -j RETURN`);
    }
  }
  return { lines, usesMark };
}

function podChain(ctx: Ctx, type: PolicyType, pod: RenderPod, policies: NetworkPolicy[]): string[] {
  const chain = podChainName(type, pod.namespace, pod.name);
  const dir = type === 'Ingress' ? 'ingress' : 'egress';
  const body: string[] = [];
  let usesMark = false;
  for (const policy of policies) {
    const rules = (type === 'Ingress' ? policy.ingress : policy.egress) ?? [];
    rules.forEach((rule, i) => {
      const peers = type === 'Ingress' ? (rule as { from?: NetworkPolicyPeer[] }).from : (rule as { to?: NetworkPolicyPeer[] }).to;
      const r = ruleLines(ctx, type, pod, policy, peers, rule.ports, `${policy.namespace}/${policy.name} ${dir}[${i}]`);
      body.push(...r.lines);
      usesMark ||= r.usesMark;
    });
  }
  const seen = new Set<string>();
  const lines: string[] = [];
  if (usesMark) lines.push(`-A ${chain} -j MARK --set-xmark 0x0/${POLICY_MARK}`);
  for (const l of body) {
    if (seen.has(l)) continue;
    seen.add(l);
    lines.push(`-A ${chain} ${l}`);
  }
  const deny = comment(`wirelab policy: deny ${dir} ${pod.namespace}/${pod.name}`);
  lines.push(`-A ${chain} ${deny} -j NFLOG --nflog-group ${NFLOG_GROUP} --nflog-prefix ${quote(nflogPrefix(type, pod.namespace, pod.name))}`);
  lines.push(`-A ${chain} ${deny} -j DROP`);
  return lines;
}

/** iptables-restore text (filter table, for --noflush) enforcing the policies for the pods on
 * `input.node`. Deterministic: pods and policies are taken in namespace/name order. */
export function renderPolicyRules(input: RenderPolicyInput): string {
  const pods = [...input.pods].sort(byName);
  const policies = [...input.policies].sort(byName);
  const ctx: Ctx = { pods, namespaces: input.namespaces, blockChains: new Map() };
  const local = pods.filter((p) => p.nodeName === input.node);

  const chains: string[] = [POLICY_CHAIN];
  const jumps: string[] = [`-A ${POLICY_CHAIN} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`];
  const bodies: string[] = [];
  for (const type of ['Egress', 'Ingress'] as const) {
    for (const pod of local) {
      const applying = policies.filter((p) => policyAppliesTo(p, pod, type));
      if (applying.length === 0) continue; // not isolated in this direction: no jump
      const chain = podChainName(type, pod.namespace, pod.name);
      chains.push(chain);
      const dir = type === 'Ingress' ? 'ingress' : 'egress';
      jumps.push(
        `-A ${POLICY_CHAIN} ${type === 'Egress' ? '-s' : '-d'} ${pod.ip}/32 ${comment(`wirelab policy: ${dir} ${pod.namespace}/${pod.name} (${pod.hostVeth})`)} -j ${chain}`,
      );
      bodies.push(...podChain(ctx, type, pod, applying));
    }
  }
  const blockNames = [...ctx.blockChains.keys()].sort();
  chains.push(...blockNames);
  for (const b of blockNames) bodies.push(...ctx.blockChains.get(b)!);
  const stale = [...new Set(input.staleChains ?? [])].filter((c) => isPolicyChainName(c) && !chains.includes(c)).sort();

  const out = ['*filter', ...[...chains, ...stale].map((c) => `:${c} - [0:0]`), ...jumps, ...bodies, ...stale.map((c) => `-X ${c}`)];
  if (input.includeJump ?? true)
    out.push(
      `-I FORWARD 1 ${policyJumpArgs()
        .map((a) => (/\s/.test(a) ? `"${a}"` : a))
        .join(' ')}`,
    );
  out.push('COMMIT');
  return `${out.join('\n')}\n`;
}

/** The chains a render creates (for the next render's staleChains). */
export function renderedChains(text: string): string[] {
  const lines = text.split('\n');
  const deleted = new Set(lines.filter((l) => l.startsWith('-X ')).map((l) => l.slice(3).trim()));
  return lines
    .filter((l) => l.startsWith(':'))
    .map((l) => l.slice(1).split(' ')[0])
    .filter((c) => isPolicyChainName(c) && !deleted.has(c));
}

/** Model pods as the renderer takes them; `hostVeth` names each pod's host-side interface
 * (podVethName for bridge CNIs, calicoVethName for Calico). */
export function renderPodsFromModel(pods: readonly Pod[], hostVeth: (namespace: string, pod: string) => string): RenderPod[] {
  return pods.map((p) => ({
    name: p.name,
    namespace: p.namespace,
    ip: p.ip,
    nodeName: p.nodeName,
    labels: p.labels,
    hostVeth: hostVeth(p.namespace, p.name),
    containerPorts: p.containers.flatMap((c) =>
      c.ports.map((cp) => ({ ...(cp.name ? { name: cp.name } : {}), port: cp.containerPort, protocol: cp.protocol })),
    ),
  }));
}
