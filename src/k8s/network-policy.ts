// networking.k8s.io/v1 NetworkPolicy from a manifest, checked as the API server checks it and
// defaulted as it defaults it. Upstream (kubernetes/kubernetes):
// - pkg/apis/networking/validation/validation.go: ValidateNetworkPolicySpec,
//   ValidateNetworkPolicyPort, ValidateNetworkPolicyPeer, ValidateIPBlock;
// - pkg/apis/networking/v1/defaults.go: protocol defaults to TCP; policyTypes defaults to
//   [Ingress] plus Egress when len(spec.egress) != 0.
// Label selectors are checked in labels.ts (ValidateLabelSelector), names in names.ts.
// Unknown fields are refused as kubectl's default strict field validation refuses them.
// Problems carry paths relative to the manifest, like src/k8s/manifest.ts.
import { containsCidr, formatCidr, intToIp, ipToInt, isValidIpv4, maskOf } from '../net/cidr.js';
import { parseLabelSelector } from './labels.js';
import { DNS1123_LABEL_RE, DNS1123_SUBDOMAIN_RE, portNameError } from './names.js';
import {
  PROTOCOLS,
  type IPBlock,
  type NetworkPolicy,
  type NetworkPolicyEgressRule,
  type NetworkPolicyIngressRule,
  type NetworkPolicyPeer,
  type NetworkPolicyPort,
  type PolicyProblem,
  type PolicyType,
  type Protocol,
} from './network-policy-types.js';
import { isObj, WalkCtx, type Path } from './walk.js';

export const NETWORK_POLICY_API_VERSION = 'networking.k8s.io/v1';
export const NETWORK_POLICY_KIND = 'NetworkPolicy';

// ---- strict CIDRs (ValidateIPBlock) -------------------------------------------------------------

/** Parses an IPv4 CIDR as the API server does with strict CIDR validation: the address must
 * be the network address ("10.0.0.0/8", not "10.1.2.3/8"). */
export function parseStrictCidr(text: string): { cidr?: string; error?: string; fix?: string } {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text);
  if (m && m[1].split('.').some((o) => o.length > 1 && o.startsWith('0')))
    return { error: `"${text}" has an octet with a leading zero`, fix: 'leading zeros are ambiguous (octal); drop them' };
  if (!m || !isValidIpv4(m[1]) || Number(m[2]) > 32 || /^0\d/.test(m[2]))
    return { error: `"${text}" is not a valid IPv4 CIDR`, fix: 'write it as address/prefix, e.g. 10.10.0.0/16' };
  const prefix = Number(m[2]);
  const base = (ipToInt(m[1]) & maskOf(prefix)) >>> 0;
  const canonical = `${intToIp(base)}/${prefix}`;
  if (canonical !== text) return { error: `"${text}" has host bits set`, fix: `write the network address: ${canonical}` };
  return { cidr: canonical };
}

function cidrOf(text: string): { base: number; prefix: number } {
  const [ip, len] = text.split('/');
  return { base: ipToInt(ip), prefix: Number(len) };
}

// ---- walking the manifest -------------------------------------------------------------------

function parseIpBlock(raw: unknown, path: Path, ctx: WalkCtx): IPBlock | undefined {
  if (!isObj(raw)) {
    ctx.problem(path, 'ipBlock must be a mapping with cidr (and optionally except)');
    return undefined;
  }
  ctx.known(raw, path, ['cidr', 'except']);
  if (typeof raw.cidr !== 'string' || raw.cidr === '') {
    ctx.problem([...path, 'cidr'], 'ipBlock.cidr is required', 'e.g. cidr: 10.10.0.0/16');
    return undefined;
  }
  const outer = parseStrictCidr(raw.cidr);
  if (outer.error) {
    ctx.problem([...path, 'cidr'], outer.error, outer.fix);
    return undefined;
  }
  const block: IPBlock = { cidr: outer.cidr!, except: [] };
  const exceptRaw = ctx.list(raw.except, [...path, 'except']) ?? [];
  exceptRaw.forEach((x, i) => {
    const xp = [...path, 'except', i];
    if (typeof x !== 'string') {
      ctx.problem(xp, 'except entries must be CIDR strings');
      return;
    }
    const inner = parseStrictCidr(x);
    if (inner.error) {
      ctx.problem(xp, inner.error, inner.fix);
      return;
    }
    const o = cidrOf(block.cidr);
    const n = cidrOf(inner.cidr!);
    // ValidateIPBlock: "must be a strict subset of `cidr`" (contained, and a longer prefix).
    if (!containsCidr(o, n) || n.prefix <= o.prefix) {
      ctx.problem(
        xp,
        `except ${inner.cidr} must be a strict subset of cidr ${block.cidr}`,
        `pick a range inside ${formatCidr(o)} with a prefix longer than /${o.prefix}`,
      );
      return;
    }
    block.except.push(inner.cidr!);
  });
  return block;
}

function parsePeer(raw: unknown, path: Path, ctx: WalkCtx): NetworkPolicyPeer | undefined {
  if (!isObj(raw)) {
    ctx.problem(path, 'a peer must be a mapping with podSelector, namespaceSelector or ipBlock');
    return undefined;
  }
  ctx.known(raw, path, ['podSelector', 'namespaceSelector', 'ipBlock']);
  const present = (k: string) => raw[k] !== undefined && raw[k] !== null;
  const peer: NetworkPolicyPeer = {};
  if (present('podSelector')) peer.podSelector = parseLabelSelector(raw.podSelector, [...path, 'podSelector'], ctx);
  if (present('namespaceSelector')) peer.namespaceSelector = parseLabelSelector(raw.namespaceSelector, [...path, 'namespaceSelector'], ctx);
  if (present('ipBlock')) peer.ipBlock = parseIpBlock(raw.ipBlock, [...path, 'ipBlock'], ctx);
  const n = ['podSelector', 'namespaceSelector', 'ipBlock'].filter(present).length;
  if (n === 0) {
    ctx.problem(path, 'must specify a peer', 'set podSelector, namespaceSelector or ipBlock (an empty list of peers, or no from/to at all, means every peer)');
    return undefined;
  }
  if (n > 1 && present('ipBlock')) {
    ctx.problem(path, 'may not specify both ipBlock and another peer', 'put the ipBlock in its own list entry (separate entries are ORed)');
    return undefined;
  }
  return peer;
}

function parsePort(raw: unknown, path: Path, ctx: WalkCtx): NetworkPolicyPort | undefined {
  if (!isObj(raw)) {
    ctx.problem(path, 'a port must be a mapping with protocol, port and endPort');
    return undefined;
  }
  ctx.known(raw, path, ['protocol', 'port', 'endPort']);
  let ok = true;
  let protocol: Protocol = 'TCP';
  if (raw.protocol !== undefined && raw.protocol !== null) {
    if (typeof raw.protocol !== 'string' || !PROTOCOLS.includes(raw.protocol as Protocol)) {
      const upper = typeof raw.protocol === 'string' ? raw.protocol.toUpperCase() : '';
      ctx.problem(
        [...path, 'protocol'],
        `unsupported protocol "${String(raw.protocol)}"`,
        PROTOCOLS.includes(upper as Protocol) ? `protocols are upper case: ${upper}` : `use one of: ${PROTOCOLS.join(', ')}`,
      );
      ok = false;
    } else protocol = raw.protocol as Protocol;
  }
  const out: NetworkPolicyPort = { protocol };
  const hasPort = raw.port !== undefined && raw.port !== null;
  const hasEnd = raw.endPort !== undefined && raw.endPort !== null;
  if (hasPort) {
    if (typeof raw.port === 'number') {
      if (!Number.isInteger(raw.port) || raw.port < 1 || raw.port > 65535) {
        ctx.problem([...path, 'port'], `port ${raw.port} must be between 1 and 65535, inclusive`);
        ok = false;
      } else out.port = raw.port;
      if (hasEnd) {
        if (typeof raw.endPort !== 'number' || !Number.isInteger(raw.endPort) || raw.endPort < 1 || raw.endPort > 65535) {
          ctx.problem([...path, 'endPort'], `endPort ${String(raw.endPort)} must be a number between 1 and 65535, inclusive`);
          ok = false;
        } else if (raw.endPort < raw.port) {
          ctx.problem([...path, 'endPort'], `endPort ${raw.endPort} must be greater than or equal to port ${raw.port}`);
          ok = false;
        } else out.endPort = raw.endPort;
      }
    } else if (typeof raw.port === 'string') {
      const err = portNameError(raw.port);
      if (err) {
        ctx.problem(
          [...path, 'port'],
          `invalid port name "${raw.port}": ${err}`,
          /^\d+$/.test(raw.port) ? `a quoted number is a port name; write port: ${raw.port} unquoted` : 'name a container port (containers[].ports[].name)',
        );
        ok = false;
      } else out.port = raw.port;
      if (hasEnd) {
        ctx.problem([...path, 'endPort'], 'endPort may not be specified when port is non-numeric', 'ranges need numeric ports');
        ok = false;
      }
    } else {
      ctx.problem([...path, 'port'], 'port must be a number or a container port name');
      ok = false;
    }
  } else if (hasEnd) {
    ctx.problem([...path, 'endPort'], 'endPort may not be specified when port is not specified', 'set port to the start of the range');
    ok = false;
  }
  return ok ? out : undefined;
}

function parseRule(raw: unknown, path: Path, ctx: WalkCtx, peersKey: 'from' | 'to'): { peers?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] } | undefined {
  if (raw === null) return {};
  if (!isObj(raw)) {
    ctx.problem(path, `a rule must be a mapping with ${peersKey} and ports ({} allows everything)`);
    return undefined;
  }
  ctx.known(raw, path, [peersKey, 'ports']);
  const rule: { peers?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] } = {};
  const portsRaw = ctx.list(raw.ports, [...path, 'ports']);
  if (portsRaw) rule.ports = portsRaw.map((p, i) => parsePort(p, [...path, 'ports', i], ctx)).filter((p): p is NetworkPolicyPort => p !== undefined);
  const peersRaw = ctx.list(raw[peersKey], [...path, peersKey]);
  if (peersRaw) rule.peers = peersRaw.map((p, i) => parsePeer(p, [...path, peersKey, i], ctx)).filter((p): p is NetworkPolicyPeer => p !== undefined);
  return rule;
}

export interface ParseResult {
  policy?: NetworkPolicy;
  problems: PolicyProblem[];
  /** Accepted by the API server but probably not what was meant. */
  warnings: PolicyProblem[];
}

/** A NetworkPolicy manifest (parsed YAML/JSON) to a defaulted NetworkPolicy, or problems. */
export function parseNetworkPolicy(manifest: unknown): ParseResult {
  const ctx = new WalkCtx();
  if (!isObj(manifest)) {
    ctx.problem([], 'a NetworkPolicy manifest must be a mapping');
    return { problems: ctx.problems, warnings: ctx.warnings };
  }
  if (manifest.apiVersion !== NETWORK_POLICY_API_VERSION) {
    const fix =
      manifest.apiVersion === 'extensions/v1beta1' || manifest.apiVersion === 'networking.k8s.io/v1beta1'
        ? 'that version was removed; use networking.k8s.io/v1'
        : `use apiVersion: ${NETWORK_POLICY_API_VERSION}`;
    ctx.problem(['apiVersion'], `apiVersion "${String(manifest.apiVersion)}" is not ${NETWORK_POLICY_API_VERSION}`, fix);
  }
  if (manifest.kind !== NETWORK_POLICY_KIND) ctx.problem(['kind'], `kind "${String(manifest.kind)}" is not ${NETWORK_POLICY_KIND}`);

  const meta = isObj(manifest.metadata) ? manifest.metadata : undefined;
  let name = '';
  let namespace = 'default';
  if (!meta) ctx.problem(['metadata'], 'metadata with a name is required');
  else {
    if (typeof meta.name !== 'string' || meta.name === '') ctx.problem(['metadata', 'name'], 'metadata.name is required');
    else if (meta.name.length > 253 || !DNS1123_SUBDOMAIN_RE.test(meta.name))
      ctx.problem(
        ['metadata', 'name'],
        `"${meta.name}" is not a DNS subdomain`,
        'lowercase letters, digits, "-" and ".", starting and ending with a letter or digit',
      );
    else name = meta.name;
    if (meta.namespace !== undefined && meta.namespace !== null) {
      if (typeof meta.namespace !== 'string' || meta.namespace.length > 63 || !DNS1123_LABEL_RE.test(meta.namespace))
        ctx.problem(
          ['metadata', 'namespace'],
          `"${String(meta.namespace)}" is not a valid namespace name`,
          'lowercase letters, digits and "-", at most 63 characters',
        );
      else namespace = meta.namespace;
    }
  }

  const specRaw = manifest.spec;
  if (specRaw !== undefined && specRaw !== null && !isObj(specRaw)) {
    ctx.problem(['spec'], 'spec must be a mapping');
    return { problems: ctx.problems, warnings: ctx.warnings };
  }
  const spec: Record<string, unknown> = isObj(specRaw) ? specRaw : {};
  if (!isObj(specRaw))
    ctx.warn(
      ['spec'],
      'no spec: the policy selects every pod of the namespace and denies all their ingress',
      'add spec.podSelector and rules, or delete the policy',
    );
  ctx.known(spec, ['spec'], ['podSelector', 'policyTypes', 'ingress', 'egress']);

  const podSelector = parseLabelSelector(spec.podSelector, ['spec', 'podSelector'], ctx);

  let ingress: NetworkPolicyIngressRule[] | undefined;
  const ingressRaw = ctx.list(spec.ingress, ['spec', 'ingress']);
  if (ingressRaw) {
    ingress = [];
    ingressRaw.forEach((r, i) => {
      const rule = parseRule(r, ['spec', 'ingress', i], ctx, 'from');
      if (!rule) return;
      const out: NetworkPolicyIngressRule = {};
      if (rule.peers) out.from = rule.peers;
      if (rule.ports) out.ports = rule.ports;
      ingress!.push(out);
    });
  }
  let egress: NetworkPolicyEgressRule[] | undefined;
  const egressRaw = ctx.list(spec.egress, ['spec', 'egress']);
  if (egressRaw) {
    egress = [];
    egressRaw.forEach((r, i) => {
      const rule = parseRule(r, ['spec', 'egress', i], ctx, 'to');
      if (!rule) return;
      const out: NetworkPolicyEgressRule = {};
      if (rule.peers) out.to = rule.peers;
      if (rule.ports) out.ports = rule.ports;
      egress!.push(out);
    });
  }

  let policyTypes: PolicyType[] = [];
  const typesRaw = ctx.list(spec.policyTypes, ['spec', 'policyTypes']);
  if (typesRaw && typesRaw.length > 2)
    ctx.problem(['spec', 'policyTypes'], 'may not specify more than two policyTypes', 'use [Ingress], [Egress] or [Ingress, Egress]');
  else if (typesRaw) {
    typesRaw.forEach((t, i) => {
      if (t !== 'Ingress' && t !== 'Egress') {
        const fixed = typeof t === 'string' ? (['Ingress', 'Egress'] as const).find((x) => x.toLowerCase() === t.toLowerCase()) : undefined;
        ctx.problem(['spec', 'policyTypes', i], `unsupported policy type "${String(t)}"`, fixed ? `write ${fixed}` : 'use Ingress or Egress');
      } else if (!policyTypes.includes(t)) policyTypes.push(t);
    });
  }
  if (policyTypes.length === 0 && !(typesRaw && typesRaw.length > 0)) {
    // SetDefaults_NetworkPolicy: Ingress always; Egress only when there are egress rules.
    policyTypes = ['Ingress'];
    if ((egressRaw?.length ?? 0) !== 0) policyTypes.push('Egress');
    else if (egressRaw)
      ctx.warn(
        ['spec', 'egress'],
        'egress: [] without policyTypes does not restrict egress (the API defaults policyTypes to [Ingress] when there are no egress rules)',
        'add policyTypes: [Ingress, Egress] to deny all egress',
      );
  }
  if (!policyTypes.includes('Ingress') && ingress && ingress.length > 0)
    ctx.warn(['spec', 'ingress'], 'ingress rules are ignored: policyTypes does not include Ingress', 'add Ingress to policyTypes');
  if (!policyTypes.includes('Egress') && egress && egress.length > 0)
    ctx.warn(['spec', 'egress'], 'egress rules are ignored: policyTypes does not include Egress', 'add Egress to policyTypes');

  if (ctx.problems.length > 0) return { problems: ctx.problems, warnings: ctx.warnings };
  const policy: NetworkPolicy = { name, namespace, podSelector, policyTypes };
  if (ingress) policy.ingress = ingress;
  if (egress) policy.egress = egress;
  return { policy, problems: [], warnings: ctx.warnings };
}
