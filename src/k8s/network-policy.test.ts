// Parsing, defaulting and validation of networking.k8s.io/v1 NetworkPolicy, after
// kubernetes/kubernetes pkg/apis/networking/validation/validation.go (ValidateNetworkPolicySpec,
// ValidateNetworkPolicyPort, ValidateNetworkPolicyPeer, ValidateIPBlock),
// pkg/apis/networking/v1/defaults.go, and test/e2e/network/netpol/network_policy_api.go
// ("should support creating NetworkPolicy API with endport field").
import { describe, expect, it } from 'vitest';
import { qualifiedNameError } from './labels.js';
import { portNameError } from './names.js';
import { parseNetworkPolicy, parseStrictCidr } from './network-policy.js';

function manifest(spec: unknown, metadata: Record<string, unknown> = { name: 'p', namespace: 'x' }) {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata, spec };
}
function ok(spec: unknown) {
  const r = parseNetworkPolicy(manifest(spec));
  expect(r.problems).toEqual([]);
  return r.policy!;
}
function problems(spec: unknown) {
  const r = parseNetworkPolicy(manifest(spec));
  expect(r.policy).toBeUndefined();
  return r.problems;
}

describe('parseNetworkPolicy: defaults', () => {
  it('namespace defaults to "default"; empty podSelector selects every pod; policyTypes [Ingress]', () => {
    const r = parseNetworkPolicy(manifest({ podSelector: {} }, { name: 'deny' }));
    expect(r.policy).toEqual({ name: 'deny', namespace: 'default', podSelector: { matchLabels: {}, matchExpressions: [] }, policyTypes: ['Ingress'] });
  });

  it('policyTypes gets Egress only when spec.egress has rules', () => {
    expect(ok({ podSelector: {}, egress: [{}] }).policyTypes).toEqual(['Ingress', 'Egress']);
    const r = parseNetworkPolicy(manifest({ podSelector: {}, egress: [] }));
    expect(r.policy!.policyTypes).toEqual(['Ingress']);
    expect(r.warnings.map((w) => w.path)).toEqual([['spec', 'egress']]);
    expect(ok({ podSelector: {}, policyTypes: ['Egress'] }).policyTypes).toEqual(['Egress']);
    expect(ok({ podSelector: {}, policyTypes: [] }).policyTypes).toEqual(['Ingress']);
  });

  it('keeps absent, empty and allow-all rules apart', () => {
    expect(ok({ podSelector: {} }).ingress).toBeUndefined();
    expect(ok({ podSelector: {}, ingress: [] }).ingress).toEqual([]);
    expect(ok({ podSelector: {}, ingress: [{}] }).ingress).toEqual([{}]);
    expect(ok({ podSelector: {}, ingress: [{ from: [] }] }).ingress).toEqual([{ from: [] }]);
    expect(ok({ podSelector: {}, ingress: [{ ports: [] }] }).ingress).toEqual([{ ports: [] }]);
  });

  it('port protocol defaults to TCP; named and numeric ports and ranges are kept', () => {
    const p = ok({
      podSelector: {},
      ingress: [{ ports: [{ port: 80 }, { protocol: 'UDP', port: 53 }, { port: 'http' }, { protocol: 'SCTP' }, { port: 32000, endPort: 32768 }] }],
    });
    expect(p.ingress![0].ports).toEqual([
      { protocol: 'TCP', port: 80 },
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 'http' },
      { protocol: 'SCTP' },
      { protocol: 'TCP', port: 32000, endPort: 32768 },
    ]);
  });

  it('podSelector and namespaceSelector in one peer stay one peer (AND); two peers stay two (OR)', () => {
    const and = ok({
      podSelector: {},
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } }, namespaceSelector: { matchLabels: { team: 'a' } } }] }],
    });
    expect(and.ingress![0].from).toHaveLength(1);
    expect(and.ingress![0].from![0]).toEqual({
      podSelector: { matchLabels: { app: 'web' }, matchExpressions: [] },
      namespaceSelector: { matchLabels: { team: 'a' }, matchExpressions: [] },
    });
    const or = ok({
      podSelector: {},
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }, { namespaceSelector: { matchLabels: { team: 'a' } } }] }],
    });
    expect(or.ingress![0].from).toHaveLength(2);
  });

  it('matchExpressions with every operator', () => {
    const p = ok({
      podSelector: {
        matchExpressions: [
          { key: 'app', operator: 'In', values: ['a', 'b'] },
          { key: 'tier', operator: 'NotIn', values: ['db'] },
          { key: 'example.com/owner', operator: 'Exists' },
          { key: 'legacy', operator: 'DoesNotExist' },
        ],
      },
    });
    expect(p.podSelector.matchExpressions.map((e) => e.operator)).toEqual(['In', 'NotIn', 'Exists', 'DoesNotExist']);
    expect(p.podSelector.matchExpressions[2]).toEqual({ key: 'example.com/owner', operator: 'Exists', values: [] });
  });

  it('ipBlock with except', () => {
    const p = ok({ podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16', '10.2.3.4/32'] } }] }] });
    expect(p.egress![0].to![0].ipBlock).toEqual({ cidr: '10.0.0.0/8', except: ['10.1.0.0/16', '10.2.3.4/32'] });
  });
});

describe('parseNetworkPolicy: validation', () => {
  it('refuses other kinds and versions', () => {
    const r = parseNetworkPolicy({ apiVersion: 'extensions/v1beta1', kind: 'NetworkPolicy', metadata: { name: 'p' }, spec: {} });
    expect(r.problems[0]).toMatchObject({ path: ['apiVersion'], fix: expect.stringContaining('networking.k8s.io/v1') });
    expect(parseNetworkPolicy({ apiVersion: 'networking.k8s.io/v1', kind: 'Policy', metadata: { name: 'p' } }).problems[0].path).toEqual(['kind']);
    expect(parseNetworkPolicy({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: {} }).problems[0].path).toEqual(['metadata', 'name']);
  });

  it('a peer needs exactly one kind, and ipBlock goes alone', () => {
    expect(problems({ podSelector: {}, ingress: [{ from: [{}] }] })).toEqual([
      expect.objectContaining({ path: ['spec', 'ingress', 0, 'from', 0], message: 'must specify a peer' }),
    ]);
    expect(problems({ podSelector: {}, ingress: [{ from: [{ podSelector: {}, ipBlock: { cidr: '10.0.0.0/8' } }] }] })).toEqual([
      expect.objectContaining({ path: ['spec', 'ingress', 0, 'from', 0], message: 'may not specify both ipBlock and another peer' }),
    ]);
  });

  it('ipBlock: cidr required and valid, except a strict subset', () => {
    const at = (ipBlock: unknown) => problems({ podSelector: {}, ingress: [{ from: [{ ipBlock }] }] });
    expect(at({})[0].path).toEqual(['spec', 'ingress', 0, 'from', 0, 'ipBlock', 'cidr']);
    expect(at({ cidr: '10.0.0.0/33' })[0].message).toMatch(/not a valid IPv4 CIDR/);
    expect(at({ cidr: '300.0.0.0/8' })[0].message).toMatch(/not a valid IPv4 CIDR/);
    expect(at({ cidr: '10.1.2.3/8' })[0]).toMatchObject({ message: expect.stringMatching(/host bits/), fix: 'write the network address: 10.0.0.0/8' });
    expect(at({ cidr: '10.0.0.0/8', except: ['11.0.0.0/16'] })[0]).toMatchObject({
      path: ['spec', 'ingress', 0, 'from', 0, 'ipBlock', 'except', 0],
      message: expect.stringMatching(/strict subset/),
    });
    expect(at({ cidr: '10.0.0.0/8', except: ['10.0.0.0/8'] })[0].message).toMatch(/strict subset/);
    expect(at({ cidr: '10.0.0.0/16', except: ['10.0.0.0/8'] })[0].message).toMatch(/strict subset/);
  });

  it('ports: protocol names, port range, endPort rules', () => {
    const at = (port: unknown) => problems({ podSelector: {}, ingress: [{ ports: [port] }] });
    expect(at({ protocol: 'tcp', port: 80 })[0]).toMatchObject({ path: ['spec', 'ingress', 0, 'ports', 0, 'protocol'], fix: 'protocols are upper case: TCP' });
    expect(at({ protocol: 'ICMP' })[0].message).toMatch(/unsupported protocol/);
    expect(at({ port: 0 })[0].message).toMatch(/between 1 and 65535/);
    expect(at({ port: 70000 })[0].message).toMatch(/between 1 and 65535/);
    expect(at({ port: 100, endPort: 99 })[0]).toMatchObject({
      path: ['spec', 'ingress', 0, 'ports', 0, 'endPort'],
      message: expect.stringMatching(/greater than or equal to port/),
    });
    expect(at({ port: 'http', endPort: 100 })[0].message).toMatch(/non-numeric/);
    expect(at({ endPort: 20000 })[0].message).toMatch(/port is not specified/);
    expect(at({ port: '80' })[0]).toMatchObject({ message: expect.stringMatching(/invalid port name/), fix: expect.stringMatching(/unquoted/) });
    expect(at({ port: 'Http' })[0].message).toMatch(/invalid port name/);
  });

  it('selectors: operator names, values required or forbidden, label syntax', () => {
    const at = (podSelector: unknown) => problems({ podSelector });
    expect(at({ matchExpressions: [{ key: 'app', operator: 'in', values: ['a'] }] })[0]).toMatchObject({
      path: ['spec', 'podSelector', 'matchExpressions', 0, 'operator'],
      fix: 'operators are case-sensitive: write In',
    });
    expect(at({ matchExpressions: [{ key: 'app', operator: 'Equals', values: ['a'] }] })[0].message).toMatch(/not a valid selector operator/);
    expect(at({ matchExpressions: [{ key: 'app', operator: 'In', values: [] }] })[0].message).toMatch(/non-empty when operator is In/);
    expect(at({ matchExpressions: [{ key: 'app', operator: 'NotIn' }] })[0].message).toMatch(/non-empty when operator is NotIn/);
    expect(at({ matchExpressions: [{ key: 'app', operator: 'Exists', values: ['a'] }] })[0].message).toMatch(/empty when operator is Exists/);
    expect(at({ matchLabels: { 'bad key!': 'a' } })[0].message).toMatch(/invalid label key/);
    expect(at({ matchLabels: { app: 'has space' } })[0].message).toMatch(/invalid label value/);
    expect(at({ matchLabels: { version: 2 } })[0].fix).toBe('quote it: "2"');
  });

  it('policyTypes: at most two, Ingress or Egress', () => {
    expect(problems({ podSelector: {}, policyTypes: ['Ingress', 'Egress', 'Ingress'] })[0].message).toMatch(/more than two/);
    expect(problems({ podSelector: {}, policyTypes: ['ingress'] })[0]).toMatchObject({ path: ['spec', 'policyTypes', 0], fix: 'write Ingress' });
  });

  it('unknown fields are refused (strict field validation), e.g. a misspelt "from"', () => {
    expect(problems({ podSelector: {}, ingress: [{ form: [] }] })[0]).toMatchObject({ path: ['spec', 'ingress', 0, 'form'], message: 'unknown field "form"' });
    expect(problems({ podSelector: {}, egress: [{ from: [] }] })[0].path).toEqual(['spec', 'egress', 0, 'from']);
  });

  it('collects every problem at once', () => {
    const r = problems({ podSelector: {}, ingress: [{ from: [{}], ports: [{ port: 0 }] }], egress: [{ to: [{ ipBlock: { cidr: 'x' } }] }] });
    expect(r.map((p) => p.path.join('.'))).toEqual(['spec.ingress.0.ports.0.port', 'spec.ingress.0.from.0', 'spec.egress.0.to.0.ipBlock.cidr']);
  });

  it('warns when rules are ignored because policyTypes leaves their direction out', () => {
    const r = parseNetworkPolicy(manifest({ podSelector: {}, policyTypes: ['Egress'], ingress: [{}] }));
    expect(r.problems).toEqual([]);
    expect(r.warnings[0].path).toEqual(['spec', 'ingress']);
  });
});

describe('syntax helpers', () => {
  it('qualified names, port names, strict CIDRs', () => {
    expect(qualifiedNameError('kubernetes.io/metadata.name')).toBeUndefined();
    expect(qualifiedNameError('a/b/c')).toBeDefined();
    expect(portNameError('serve-80-tcp')).toBeUndefined();
    expect(portNameError('a--b')).toBeDefined();
    expect(portNameError('sixteen-chars-xx')).toBeDefined();
    expect(parseStrictCidr('0.0.0.0/0')).toEqual({ cidr: '0.0.0.0/0' });
    expect(parseStrictCidr('10.01.0.0/16').error).toMatch(/leading zero/);
  });
});
