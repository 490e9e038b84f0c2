// An incremental sync must leave a node with the ruleset a full sync would write (compared per
// chain, ignoring the order of rules in the top-level chains, whose per-service rules match
// disjoint destinations). A small model of iptables-restore --noflush applies the texts
// (testing/restore-model.ts).
import { describe, expect, it } from 'vitest';
import { renderIncrementalSync } from './incremental.js';
import { endpoint, makeService, makeSlice, tcpPort } from '../../model/testing/services.js';
import { applyRestore, fullState, normalized } from './testing/restore-model.js';

const web = makeService('default', 'web', (s) => {
  s.clusterIP = '10.96.0.20';
  s.ports = [tcpPort('', 80)];
});
const webSlice = makeSlice('default', 'web', [endpoint('10.8.0.5', 'node'), endpoint('10.8.1.10', 'other')], [{ name: '', port: 80 }]);
const np = makeService('default', 'np', (s) => {
  s.type = 'NodePort';
  s.clusterIP = '10.96.0.30';
  s.ports = [tcpPort('', 80, 30080)];
  s.externalTrafficPolicy = 'Local';
});
const npSlice = makeSlice('default', 'np', [endpoint('10.8.0.6', 'node')], [{ name: '', port: 80 }]);
const empty = makeService('default', 'empty', (s) => {
  s.clusterIP = '10.96.0.40';
  s.ports = [tcpPort('', 80)];
});
const base = { hostname: 'node', nodeIPs: ['10.10.20.4'], clusterCIDR: '10.8.0.0/16' };

describe('renderIncrementalSync', () => {
  it('adding a NodePort service and a service without endpoints reaches the full-sync ruleset', () => {
    const before = { ...base, services: [web], endpointSlices: [webSlice] };
    const after = { ...base, services: [web, np, empty], endpointSlices: [webSlice, npSlice] };
    const state = fullState(before);
    const text = renderIncrementalSync(before, after, { added: ['default/np', 'default/empty'], removed: [] });
    expect(text).not.toContain('KUBE-SVC-' + 'X'); // sanity: text is small and specific
    expect(text).toContain('-I KUBE-SERVICES 1 ');
    applyRestore(state, text);
    expect(normalized(state)).toEqual(normalized(fullState(after)));
  });

  it('removing a service deletes its rules and chains', () => {
    const before = { ...base, services: [web, np], endpointSlices: [webSlice, npSlice] };
    const after = { ...base, services: [web], endpointSlices: [webSlice] };
    const state = fullState(before);
    const text = renderIncrementalSync(before, after, { added: [], removed: ['default/np'] });
    expect(text).toMatch(/^-X KUBE-SVC-/m);
    expect(text).toMatch(/^-D KUBE-NODEPORTS /m);
    applyRestore(state, text);
    expect(normalized(state)).toEqual(normalized(fullState(after)));
  });

  it('a service whose endpoints changed is rewritten (removed + added)', () => {
    const moved = makeSlice('default', 'web', [endpoint('10.8.0.7', 'node')], [{ name: '', port: 80 }]);
    const before = { ...base, services: [web, np], endpointSlices: [webSlice, npSlice] };
    const after = { ...base, services: [web, np], endpointSlices: [moved, npSlice] };
    const state = fullState(before);
    applyRestore(state, renderIncrementalSync(before, after, { added: ['default/web'], removed: ['default/web'] }));
    expect(normalized(state)).toEqual(normalized(fullState(after)));
  });

  it('is empty when nothing changed', () => {
    const input = { ...base, services: [web], endpointSlices: [webSlice] };
    expect(renderIncrementalSync(input, input, { added: [], removed: [] })).toBe('');
  });
});
