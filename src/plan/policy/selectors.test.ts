// Reference semantics of NetworkPolicy. Scenarios cite kubernetes/kubernetes
// test/e2e/network/netpol/network_policy.go (test names quoted), whose pods are x/a, x/b, ...
// labelled pod=<name> in namespaces x, y, z (model.go), with a truth table of every ordered
// pair (truthtable.go, reachability.go; loopback pairs are ignored there and here).
import { describe, expect, it } from 'vitest';
import { parseNetworkPolicy } from '../../k8s/network-policy.js';
import { allowed, egressAllowed, ingressAllowed, labelSelectorMatches, namespaceLabels, peerMatches, policySelectsPod, portMatches } from './selectors.js';
import type { Endpoint, LabelSelector, NetworkPolicy, PolicyNamespace, PolicyPod, Protocol } from '../../k8s/network-policy-types.js';

function pol(namespace: string, name: string, spec: Record<string, unknown>): NetworkPolicy {
  const r = parseNetworkPolicy({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec });
  if (!r.policy) throw new Error(JSON.stringify(r.problems));
  return r.policy;
}

const sel = (matchLabels: Record<string, string> = {}, matchExpressions: LabelSelector['matchExpressions'] = []): LabelSelector => ({
  matchLabels,
  matchExpressions,
});

// The e2e model: namespaces x, y, z (labelled ns=<name>), pods labelled pod=<name>, each pod
// serving 80 and 81 on TCP, UDP and SCTP under the names serve-<port>-<proto> (model.go).
const NAMESPACES: PolicyNamespace[] = ['x', 'y', 'z'].map((n) => ({ name: n, labels: { ns: n } }));
let nextIp = 1;
function e2ePod(s: string): Endpoint & { pod: PolicyPod; id: string } {
  const [namespace, name] = s.split('/');
  const containerPorts = [80, 81].flatMap((port) =>
    (['TCP', 'UDP', 'SCTP'] as const).map((protocol) => ({ name: `serve-${port}-${protocol.toLowerCase()}`, port, protocol })),
  );
  return { id: s, ip: `10.244.0.${nextIp++}`, pod: { name, namespace, labels: { pod: name }, containerPorts } };
}

type Cell = [string, string];
/** The truth table for a port/protocol: every allowed ordered pair, loopback excluded. */
function reachable(pods: string[], policies: NetworkPolicy[], port: number, protocol: Protocol = 'TCP'): Cell[] {
  const eps = pods.map(e2ePod);
  const out: Cell[] = [];
  for (const a of eps) for (const b of eps) if (a.id !== b.id && allowed(policies, NAMESPACES, a, b, port, protocol)) out.push([a.id, b.id]);
  return out;
}
function allPairs(pods: string[]): Cell[] {
  return pods.flatMap((a) => pods.filter((b) => b !== a).map((b): Cell => [a, b]));
}
const without = (cells: Cell[], drop: (from: string, to: string) => boolean) => cells.filter(([f, t]) => !drop(f, t));

describe('labelSelectorMatches', () => {
  const labels = { app: 'web', tier: 'frontend' };
  it('matchLabels needs every pair', () => {
    expect(labelSelectorMatches(sel({ app: 'web' }), labels)).toBe(true);
    expect(labelSelectorMatches(sel({ app: 'web', tier: 'backend' }), labels)).toBe(false);
    expect(labelSelectorMatches(sel({ missing: '' }), labels)).toBe(false);
  });
  it('the empty selector matches everything, including no labels', () => {
    expect(labelSelectorMatches(sel(), {})).toBe(true);
  });
  it('In: key present with one of the values', () => {
    expect(labelSelectorMatches(sel({}, [{ key: 'app', operator: 'In', values: ['web', 'api'] }]), labels)).toBe(true);
    expect(labelSelectorMatches(sel({}, [{ key: 'app', operator: 'In', values: ['db'] }]), labels)).toBe(false);
    expect(labelSelectorMatches(sel({}, [{ key: 'zone', operator: 'In', values: ['a'] }]), labels)).toBe(false);
  });
  it('NotIn: key absent, or present with none of the values', () => {
    expect(labelSelectorMatches(sel({}, [{ key: 'app', operator: 'NotIn', values: ['db'] }]), labels)).toBe(true);
    expect(labelSelectorMatches(sel({}, [{ key: 'app', operator: 'NotIn', values: ['web'] }]), labels)).toBe(false);
    expect(labelSelectorMatches(sel({}, [{ key: 'zone', operator: 'NotIn', values: ['a'] }]), labels)).toBe(true);
  });
  it('Exists and DoesNotExist look at the key only', () => {
    expect(labelSelectorMatches(sel({}, [{ key: 'tier', operator: 'Exists', values: [] }]), labels)).toBe(true);
    expect(labelSelectorMatches(sel({}, [{ key: 'zone', operator: 'Exists', values: [] }]), labels)).toBe(false);
    expect(labelSelectorMatches(sel({}, [{ key: 'zone', operator: 'DoesNotExist', values: [] }]), labels)).toBe(true);
    expect(labelSelectorMatches(sel({}, [{ key: 'tier', operator: 'DoesNotExist', values: [] }]), labels)).toBe(false);
  });
  it('matchLabels and matchExpressions are ANDed', () => {
    const s = sel({ app: 'web' }, [{ key: 'tier', operator: 'In', values: ['frontend'] }]);
    expect(labelSelectorMatches(s, labels)).toBe(true);
    expect(labelSelectorMatches(s, { app: 'web', tier: 'backend' })).toBe(false);
    expect(labelSelectorMatches(s, { tier: 'frontend' })).toBe(false);
  });
});

describe('namespaces and pods', () => {
  it('every namespace carries kubernetes.io/metadata.name, even without a Namespace object', () => {
    expect(namespaceLabels(NAMESPACES, 'y')).toEqual({ ns: 'y', 'kubernetes.io/metadata.name': 'y' });
    expect(namespaceLabels(NAMESPACES, 'default')).toEqual({ 'kubernetes.io/metadata.name': 'default' });
  });
  it('a policy selects pods of its own namespace only', () => {
    const p = pol('x', 'p', { podSelector: {} });
    expect(policySelectsPod(p, { namespace: 'x', labels: {} })).toBe(true);
    expect(policySelectsPod(p, { namespace: 'y', labels: {} })).toBe(false);
  });
  it('podSelector without namespaceSelector means the policy namespace; namespaceSelector matches namespace labels', () => {
    const target = { ip: '10.0.0.1', pod: { namespace: 'y', labels: { pod: 'a' } }, namespaceLabels: { ns: 'y' } };
    expect(peerMatches({ podSelector: sel({ pod: 'a' }) }, 'x', target)).toBe(false);
    expect(peerMatches({ podSelector: sel({ pod: 'a' }) }, 'y', target)).toBe(true);
    expect(peerMatches({ namespaceSelector: sel({ 'kubernetes.io/metadata.name': 'y' }) }, 'x', target)).toBe(true);
    // the metadata.name label is there even if the caller passed no namespace labels
    expect(peerMatches({ namespaceSelector: sel({ 'kubernetes.io/metadata.name': 'y' }) }, 'x', { ip: '10.0.0.1', pod: target.pod })).toBe(true);
    expect(peerMatches({ namespaceSelector: sel({ ns: 'z' }) }, 'x', target)).toBe(false);
    // selectors never match an address that is not a pod
    expect(peerMatches({ namespaceSelector: sel() }, 'x', { ip: '10.0.0.1' })).toBe(false);
  });
  it('ipBlock matches cidr minus except, pods and non-pods alike', () => {
    const peer = { ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.5.0/24'] } };
    expect(peerMatches(peer, 'x', { ip: '10.0.4.255' })).toBe(true);
    expect(peerMatches(peer, 'x', { ip: '10.0.5.1' })).toBe(false);
    expect(peerMatches(peer, 'x', { ip: '10.1.0.1' })).toBe(false);
    expect(peerMatches(peer, 'x', { ip: '10.0.0.9', pod: { namespace: 'y', labels: {} } })).toBe(true);
  });
});

describe('ports', () => {
  const web: PolicyPod = {
    name: 'web',
    namespace: 'x',
    labels: {},
    containerPorts: [
      { name: 'http', port: 8080, protocol: 'TCP' },
      { name: 'dns', port: 53, protocol: 'UDP' },
    ],
  };
  const other: PolicyPod = { ...web, name: 'other', containerPorts: [{ name: 'http', port: 9090, protocol: 'TCP' }] };
  it('protocol must match; no port = every port of that protocol', () => {
    expect(portMatches({ protocol: 'TCP' }, 1234, 'TCP')).toBe(true);
    expect(portMatches({ protocol: 'TCP' }, 1234, 'UDP')).toBe(false);
    expect(portMatches({ protocol: 'SCTP', port: 81 }, 81, 'TCP')).toBe(false);
  });
  it('endPort makes an inclusive range', () => {
    const p = { protocol: 'TCP' as const, port: 32000, endPort: 32768 };
    expect([31999, 32000, 32500, 32768, 32769].map((n) => portMatches(p, n, 'TCP'))).toEqual([false, true, true, true, false]);
  });
  it('named ports resolve against each destination pod, with the same protocol', () => {
    const p = { protocol: 'TCP' as const, port: 'http' };
    expect(portMatches(p, 8080, 'TCP', web)).toBe(true);
    expect(portMatches(p, 9090, 'TCP', web)).toBe(false);
    expect(portMatches(p, 9090, 'TCP', other)).toBe(true);
    expect(portMatches(p, 8080, 'TCP')).toBe(false); // not a pod: nothing to resolve
    expect(portMatches({ protocol: 'TCP', port: 'dns' }, 53, 'TCP', web)).toBe(false); // dns is UDP
    expect(portMatches({ protocol: 'UDP', port: 'dns' }, 53, 'UDP', web)).toBe(true);
  });
});

describe('policy semantics (e2e netpol scenarios)', () => {
  it("should support a 'default-deny-ingress' policy", () => {
    const pods = ['x/a', 'x/b', 'y/a', 'y/b'];
    const deny = pol('x', 'deny-ingress', { podSelector: {}, ingress: [] });
    expect(reachable(pods, [deny], 80)).toEqual(without(allPairs(pods), (_f, t) => t.startsWith('x/')));
  });

  it('absent ingress with policyTypes [Ingress] also denies all ingress; [{}] allows all', () => {
    const pods = ['x/a', 'x/b', 'y/a'];
    const absent = pol('x', 'absent', { podSelector: {}, policyTypes: ['Ingress'] });
    expect(reachable(pods, [absent], 80)).toEqual(without(allPairs(pods), (_f, t) => t.startsWith('x/')));
    // "should support allow-all policy"
    const allowAll = pol('x', 'allow-all', { podSelector: {}, ingress: [{}] });
    expect(reachable(pods, [allowAll], 80)).toEqual(allPairs(pods));
    // from: [] and absent from mean every source too
    expect(reachable(pods, [pol('x', 'from-empty', { podSelector: {}, ingress: [{ from: [] }] })], 80)).toEqual(allPairs(pods));
    // "should enforce multiple ingress policies with ingress allow-all policy taking precedence"
    expect(reachable(pods, [absent, allowAll], 81)).toEqual(allPairs(pods));
  });

  it("should support a 'default-deny-all' policy", () => {
    const pods = ['x/a', 'x/b', 'y/a'];
    const p = pol('x', 'deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    expect(reachable(pods, [p], 80)).toEqual(without(allPairs(pods), (f, t) => f.startsWith('x/') || t.startsWith('x/')));
  });

  it('an egress-only policy leaves ingress open (policyTypes defaults)', () => {
    const pods = ['x/a', 'x/b', 'y/a'];
    // "should deny egress from pods based on PodSelector": SetSpecEgressRules() = policyTypes [Egress], no rules
    const p = pol('x', 'deny-egress-pod-a', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'] });
    expect(p.policyTypes).toEqual(['Egress']);
    expect(reachable(pods, [p], 80)).toEqual(without(allPairs(pods), (f) => f === 'x/a'));
    // with egress rules and no policyTypes the default is [Ingress, Egress]: a's ingress closes too
    const q = pol('x', 'egress-rules', { podSelector: { matchLabels: { pod: 'a' } }, egress: [{}] });
    expect(q.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(reachable(pods, [q], 80)).toEqual(without(allPairs(pods), (_f, t) => t === 'x/a'));
    // egress: [] with no policyTypes defaults to [Ingress] only: egress stays open
    const r = pol('x', 'egress-empty', { podSelector: { matchLabels: { pod: 'a' } }, egress: [] });
    expect(r.policyTypes).toEqual(['Ingress']);
    const a = e2ePod('x/a');
    expect(egressAllowed([r], NAMESPACES, a.pod, e2ePod('y/a'), 80, 'TCP')).toBe(true);
  });

  it('should enforce policy based on PodSelector and NamespaceSelector (one peer: AND)', () => {
    const pods = ['x/a', 'x/b', 'y/a', 'y/b', 'z/b'];
    const p = pol('x', 'allow-ns-y-podselector-and-nsselector', {
      podSelector: { matchLabels: { pod: 'a' } },
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['x'] }] },
              podSelector: { matchLabels: { pod: 'b' } },
            },
          ],
        },
      ],
    });
    const expected = without(allPairs(pods), (f, t) => t === 'x/a' && f !== 'y/b' && f !== 'z/b');
    expect(reachable(pods, [p], 80)).toEqual(expected);
  });

  it('should enforce policy based on PodSelector or NamespaceSelector (two peers: OR)', () => {
    const pods = ['x/a', 'x/b', 'x/c', 'y/a'];
    const p = pol('x', 'allow-ns-y-match-selector', {
      podSelector: { matchLabels: { pod: 'a' } },
      ingress: [
        {
          from: [
            { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['x'] }] } },
            { podSelector: { matchLabels: { pod: 'b' } } },
          ],
        },
      ],
    });
    expect(reachable(pods, [p], 80)).toEqual(without(allPairs(pods), (f, t) => t === 'x/a' && f === 'x/c'));
  });

  it('should enforce policy to allow traffic only from a different namespace, based on NamespaceSelector', () => {
    const pods = ['x/a', 'x/b', 'y/a', 'z/a'];
    const p = pol('x', 'allow-client-a-via-ns-selector', {
      podSelector: { matchLabels: { pod: 'a' } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'y' } } }] }],
    });
    expect(reachable(pods, [p], 80)).toEqual(without(allPairs(pods), (f, t) => t === 'x/a' && !f.startsWith('y/')));
  });

  it('should deny ingress from pods on other namespaces (podSelector {} = own namespace)', () => {
    const pods = ['x/a', 'x/b', 'y/a', 'z/a'];
    const p = pol('x', 'deny-empty-policy', { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] });
    expect(reachable(pods, [p], 80)).toEqual(without(allPairs(pods), (f, t) => t.startsWith('x/') && !f.startsWith('x/')));
  });

  it('should enforce policy based on Ports / should not allow access by TCP when a policy specifies only UDP', () => {
    const pods = ['x/a', 'x/b', 'y/a', 'y/b', 'z/a'];
    const p = pol('x', 'allow-port-81', {
      podSelector: { matchLabels: { pod: 'a' } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'y' } } }], ports: [{ port: 81, protocol: 'TCP' }] }],
    });
    expect(reachable(pods, [p], 81)).toEqual(without(allPairs(pods), (f, t) => t === 'x/a' && !f.startsWith('y/')));
    expect(reachable(pods, [p], 80)).toEqual(without(allPairs(pods), (_f, t) => t === 'x/a'));
    const udp = pol('x', 'udp-only', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ port: 81, protocol: 'UDP' }] }] });
    expect(reachable(pods, [udp], 81, 'TCP')).toEqual(without(allPairs(pods), (_f, t) => t === 'x/a'));
    expect(reachable(pods, [udp], 81, 'UDP')).toEqual(allPairs(pods));
    // "should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP'"
    const sctp = pol('x', 'sctp-only', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ port: 81, protocol: 'SCTP' }] }] });
    expect(reachable(pods, [sctp], 81, 'TCP')).toEqual(without(allPairs(pods), (_f, t) => t === 'x/a'));
  });

  it('should allow ingress access on one named port / should allow egress access on one named port', () => {
    const pods = ['x/a', 'x/b', 'y/a'];
    const ing = pol('x', 'allow-all', { podSelector: {}, ingress: [{ ports: [{ port: 'serve-81-tcp' }] }] });
    expect(reachable(pods, [ing], 81)).toEqual(allPairs(pods));
    expect(reachable(pods, [ing], 80)).toEqual(without(allPairs(pods), (_f, t) => t.startsWith('x/')));
    // SetSpecEgressRules sets policyTypes [Egress] (test_helper.go), so ingress stays open
    const eg = pol('x', 'allow-egress', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 'serve-80-tcp' }] }] });
    expect(reachable(['x/a', 'y/a'], [eg], 80)).toEqual(allPairs(['x/a', 'y/a']));
    expect(reachable(['x/a', 'y/a'], [eg], 81)).toEqual([['y/a', 'x/a']]);
  });

  it('endPort ranges', () => {
    const pods = ['x/a', 'y/a'];
    const p = pol('x', 'range', { podSelector: {}, ingress: [{ ports: [{ port: 80, endPort: 90 }] }] });
    expect(reachable(pods, [p], 85)).toEqual(allPairs(pods));
    expect(reachable(pods, [p], 91)).toEqual([['x/a', 'y/a']]);
  });

  it('should enforce except clause while egress access to server in CIDR block', () => {
    const [a, b, c] = ['x/a', 'x/b', 'x/c'].map(e2ePod);
    const p = pol('x', 'allow-client-a-via-cidr-egress-rule', {
      podSelector: { matchLabels: { pod: 'a' } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: '10.244.0.0/16', except: [`${b.ip}/32`] } }] }],
    });
    expect(allowed([p], NAMESPACES, a, b, 80, 'TCP')).toBe(false);
    expect(allowed([p], NAMESPACES, a, c, 80, 'TCP')).toBe(true);
    expect(allowed([p], NAMESPACES, a, { ip: '10.245.0.1' }, 80, 'TCP')).toBe(false);
    // "should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed" by another policy
    const q = pol('x', 'allow-b', {
      podSelector: { matchLabels: { pod: 'a' } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: `${b.ip}/32` } }] }],
    });
    expect(allowed([p, q], NAMESPACES, a, b, 80, 'TCP')).toBe(true);
  });

  it('should support denying of egress traffic on the client side (even if the server explicitly allows this traffic)', () => {
    const pods = ['x/a', 'y/a', 'y/b'];
    const eg = pol('x', 'allow-to-ns-y-pod-a', {
      podSelector: { matchLabels: { pod: 'a' } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'y' } }, podSelector: { matchLabels: { pod: 'a' } } }] }],
    });
    const from = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'x' } }, podSelector: { matchLabels: { pod: 'a' } } };
    const ia = pol('y', 'allow-from-xa-on-ya', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Ingress'], ingress: [{ from: [from] }] });
    const ib = pol('y', 'allow-from-xa-on-yb', { podSelector: { matchLabels: { pod: 'b' } }, policyTypes: ['Ingress'], ingress: [{ from: [from] }] });
    // x/a reaches only y/a; y/a and y/b accept x/a only; y/* -> x/a stays open (egress-only policy)
    expect(reachable(pods, [eg, ia, ib], 80)).toEqual([
      ['x/a', 'y/a'],
      ['y/a', 'x/a'],
      ['y/b', 'x/a'],
    ]);
  });

  it('ingress from a non-pod address: only ipBlock peers or "every source" admit it', () => {
    const a = e2ePod('x/a');
    const outside: Endpoint = { ip: '192.0.2.10' };
    const bySelector = pol('x', 'sel', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }] }] });
    const byBlock = pol('x', 'blk', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '192.0.2.0/24' } }] }] });
    expect(ingressAllowed([bySelector], NAMESPACES, outside, a.pod, 80, 'TCP')).toBe(false);
    expect(ingressAllowed([byBlock], NAMESPACES, outside, a.pod, 80, 'TCP')).toBe(true);
    expect(allowed([bySelector], NAMESPACES, a, outside, 80, 'TCP')).toBe(true); // no egress isolation
  });
});
