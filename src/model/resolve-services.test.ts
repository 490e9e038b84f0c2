// Services in a lab file: the API server's rules located at their line, node ports allocated,
// and a selector that matches nothing reported without failing the lab.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseLabSource } from '../labfile/load.js';
import { SpecError } from '../labfile/errors.js';
import { resolveModel } from './resolve.js';

const ROOT = join(import.meta.dirname, '../..');
const NODEPORT = readFileSync(join(ROOT, 'labs/nodeport.yaml'), 'utf8');

function problems(source: string) {
  try {
    parseLabSource(source, 'np.yaml');
  } catch (e) {
    if (e instanceof SpecError) return e.problems;
    throw e;
  }
  return [];
}

describe('Services in a lab file', () => {
  it('names the file, line and field of a NodePort out of range', () => {
    const source = NODEPORT.replace('nodePort: 30080', 'nodePort: 80');
    const [p] = problems(source);
    expect(p).toMatchObject({ file: 'np.yaml', field: 'manifests[2].spec.ports[0].nodePort', message: 'must be within the node port range 30000-32767' });
    expect(p.line).toBe(source.split('\n').findIndex((l) => l.includes('nodePort: 80')) + 1);
  });

  it('rejects a node port used by two services', () => {
    const [p] = problems(NODEPORT.replace('nodePort: 30081', 'nodePort: 30080'));
    expect(p).toMatchObject({ field: 'manifests[3].spec.ports[0].nodePort', message: 'node port 30080 is already used by service web-nodeport' });
  });

  it('rejects a ClusterIP outside the service network', () => {
    const [p] = problems(NODEPORT.replace('clusterIP: 10.96.10.50', 'clusterIP: 10.8.10.50'));
    expect(p).toMatchObject({ field: 'manifests[2].spec.clusterIP', message: '10.8.10.50 is outside the service network 10.96.0.0/12' });
  });

  it('warns (without failing) about a selector that matches no pod', () => {
    const lab = parseLabSource(
      NODEPORT.replace(
        'selector: { app: web }\n      ports: [{ port: 80, targetPort: http, nodePort: 30081 }]',
        'selector: { app: wbe }\n      ports: [{ port: 80, targetPort: http, nodePort: 30081 }]',
      ),
      'np.yaml',
    );
    const model = resolveModel(lab);
    expect(model.warnings).toEqual([
      expect.objectContaining({
        path: ['manifests', 3, 'spec', 'selector'],
        message: expect.stringContaining('the selector of service "default/web-local" matches no pod'),
      }),
    ]);
    expect(model.endpointSlices.find((s) => s.serviceName === 'web-local')?.endpoints).toEqual([]);
  });

  it("resolves a named targetPort to the pods' container port", () => {
    const model = resolveModel(parseLabSource(NODEPORT, 'np.yaml'));
    const slice = model.endpointSlices.find((s) => s.serviceName === 'web-nodeport')!;
    expect(slice.ports).toEqual([{ name: '', protocol: 'TCP', port: 80 }]);
    expect(slice.endpoints.map((e) => [e.ip, e.nodeName, e.ready])).toEqual([
      ['10.8.0.5', 'w1', true],
      ['10.8.1.10', 'w2', true],
    ]);
  });
});
