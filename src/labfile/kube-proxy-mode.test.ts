// `--kube-proxy <mode>`: the lab file read in another kube-proxy mode, with the chain and state
// checks written for other modes left out, and every problem the mode causes saying it came from
// the flag. The communication matrix (labs/communication-matrix.yaml) is the lab that uses it.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseLabSource, type LabOverrides } from './load.js';
import { SpecError, type SpecProblem } from './errors.js';
import { controlPlaneOf } from './validate.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const lab = (name: string) => readFileSync(join(root, 'labs', `${name}.yaml`), 'utf8');
const SMALL = readFileSync(join(root, 'test/fixtures/labs/small.yaml'), 'utf8');
const MATRIX = lab('communication-matrix');

function problemsOf(source: string, overrides: LabOverrides = {}): SpecProblem[] {
  try {
    parseLabSource(source, 'test.yaml', overrides);
  } catch (e) {
    expect(e).toBeInstanceOf(SpecError);
    return (e as SpecError).problems;
  }
  throw new Error('expected a SpecError, the lab parsed');
}

/** Per expectation of the matrix: the tables its chain checks trace and the views its state checks show. */
function checksOf(overrides: LabOverrides) {
  const { spec } = parseLabSource(MATRIX, 'matrix.yaml', overrides);
  return {
    spec,
    rows: spec.expectations.map((e) => ({ name: e.name, chains: e.chains.map((c) => `${c.node} ${c.table} ${c.path[0]}`), state: e.state.map((s) => s.show) })),
  };
}

const row = (rows: ReturnType<typeof checksOf>['rows'], start: string) => rows.find((r) => r.name.startsWith(start))!;

describe('--kube-proxy <mode> on the communication matrix', () => {
  it("runs the lab file's mode (iptables) with only the iptables chain checks", () => {
    const { spec, rows } = checksOf({});
    expect(spec.cluster.kubeProxy.mode).toBe('iptables');
    expect(row(rows, 'pod -> service').chains).toEqual(['w1 nat PREROUTING']);
    expect(row(rows, 'pod -> service').state).toEqual([]);
    expect(row(rows, 'external -> NodePort').chains).toEqual(['w2 nat PREROUTING']);
    expect(row(rows, 'external -> LoadBalancer').chains).toEqual(['w2 nat PREROUTING']);
    expect(rows.flatMap((r) => r.chains)).toHaveLength(3);
  });

  it('in nftables mode checks the kube-proxy table and its state, with the control plane', () => {
    const { spec, rows } = checksOf({ kubeProxy: 'nftables' });
    expect(spec.cluster.kubeProxy.mode).toBe('nftables');
    expect(row(rows, 'pod -> service').chains).toEqual(['w1 kube-proxy nat-prerouting']);
    expect(row(rows, 'pod -> service').state).toEqual(['nftables']);
    expect(row(rows, 'external -> NodePort').chains).toEqual(['w2 kube-proxy nat-prerouting']);
    expect(row(rows, 'external -> LoadBalancer').chains).toEqual(['w2 kube-proxy nat-prerouting']);
    const parsed = parseLabSource(MATRIX, 'matrix.yaml', { kubeProxy: 'nftables' });
    expect(controlPlaneOf(parsed.spec, parsed.objects)).toBe('kubernetes');
  });

  it("in ipvs mode checks IPVS's chains and virtual server, without a control plane (the node agents have no IPVS mode)", () => {
    const { spec, rows } = checksOf({ kubeProxy: 'ipvs' });
    expect(row(rows, 'pod -> service').state).toEqual(['ipvs']);
    expect(row(rows, 'external -> NodePort').chains).toEqual(['w2 nat PREROUTING']);
    const np = spec.expectations.find((e) => e.name.startsWith('external -> NodePort'))!;
    expect(np.chains[0].path).toContain('KUBE-NODE-PORT');
    const parsed = parseLabSource(MATRIX, 'matrix.yaml', { kubeProxy: 'ipvs' });
    expect(controlPlaneOf(parsed.spec, parsed.objects)).toBe('none');
  });

  it('leaves the lab file itself alone: every mode reads the same rows, hops and sends', () => {
    const names = (o: LabOverrides) => checksOf(o).spec.expectations.map((e) => [e.name, e.hops.length, e.send?.to]);
    expect(names({ kubeProxy: 'nftables' })).toEqual(names({}));
    expect(names({ kubeProxy: 'ipvs' })).toEqual(names({}));
  });
});

describe('--kube-proxy <mode>: problems it causes are located and say so', () => {
  it("refuses a lab's nftables-only checks in iptables mode, at each check's line, naming the flag", () => {
    const source = lab('clusterip-nftables');
    const problems = problemsOf(source, { kubeProxy: 'iptables' });
    const chain = problems.filter((p) => p.field.endsWith('.table'));
    expect(chain.length).toBeGreaterThan(0);
    for (const p of chain) {
      expect(p.message).toContain("the table kube-proxy exists only in kube-proxy's nftables mode");
      expect(p.message).toContain('(kube-proxy mode iptables from --kube-proxy)');
      expect(source.split('\n')[p.line! - 1]).toContain('table: kube-proxy');
      expect(p.fix).toContain('kubeProxy: nftables');
    }
    expect(problems.some((p) => p.field.endsWith('.show') && p.message.includes('show: nftables'))).toBe(true);
    // Read as written, the same file is fine.
    expect(() => parseLabSource(source, 'test.yaml')).not.toThrow();
  });

  it('refuses ipvs mode for a lab that asks for the control plane by name', () => {
    const source = SMALL.replace('  cni: flannel-vxlan\n', '  cni: flannel-vxlan\n  controlPlane: kubernetes\n');
    expect(() => parseLabSource(source, 'test.yaml')).not.toThrow();
    const [p] = problemsOf(source, { kubeProxy: 'ipvs' });
    expect(p.field).toBe('cluster.controlPlane');
    expect(p.message).toMatch(/IPVS mode runs only without a control plane.*\(kube-proxy mode ipvs from --kube-proxy\)/);
  });

  it('refuses a check marked for a mode whose table or state it cannot have, at its kubeProxy field', () => {
    const bad = SMALL.replace(
      '    expect: { reply: true }\n',
      '    expect: { reply: true }\n    chains: [{ node: w1, kubeProxy: iptables, table: kube-proxy, path: [services] }]\n    state: [{ node: w1, kubeProxy: nftables, show: ipvs }]\n',
    );
    expect(bad).not.toBe(SMALL);
    const problems = problemsOf(bad);
    expect(problems.map((p) => p.field).sort()).toEqual(['expectations[0].chains[0].kubeProxy', 'expectations[0].state[0].kubeProxy']);
    expect(problems.find((p) => p.field.includes('chains'))!.fix).toBe('use kubeProxy: nftables');
    expect(problems.find((p) => p.field.includes('state'))!.fix).toBe('use kubeProxy: ipvs');
  });

  it('a check for another mode is still validated (a typo in the nftables rows fails an iptables run)', () => {
    const bad = MATRIX.replace('{ node: w1, kubeProxy: nftables, table: kube-proxy', '{ node: w9, kubeProxy: nftables, table: kube-proxy');
    expect(bad).not.toBe(MATRIX);
    const problems = problemsOf(bad);
    expect(problems).toHaveLength(1);
    expect(problems[0].message).toBe('unknown node "w9"');
  });
});
