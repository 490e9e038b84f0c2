// A full sync streamed (iptables-stream.ts) builds exactly the tables of upstream's layout
// (toRestoreText), chain by chain and rule by rule, declares every chain before a rule uses it,
// and is rendered as it is read: the first chunk exists before most services are written.
import { describe, expect, it } from 'vitest';
import { renderKubeProxyRuleset, type KubeProxyIptablesInput } from './iptables.js';
import { toRestoreText } from './iptables-restore.js';
import { streamFullSync } from './iptables-stream.js';
import { TableWriter } from './iptables-writer.js';
import { applyRestore, type Tables } from './testing/restore-model.js';
import { overallServices, overallSlices } from './testing/upstream-fixtures.js';
import { manyServices } from './testing/iptables-input.js';
import { firstSyncAdditions } from './registry.js';

const base = { hostname: 'node', nodeIPs: ['10.10.20.4'], clusterCIDR: '10.8.0.0/16' };
const many = manyServices;

const upstreamTables = (input: KubeProxyIptablesInput, text = toRestoreText(renderKubeProxyRuleset(input))) => {
  const t: Tables = new Map();
  applyRestore(t, text);
  return t;
};

describe('streamFullSync', () => {
  const inputs: [string, KubeProxyIptablesInput][] = [
    ['upstream TestOverallIPTablesRules', { ...base, services: overallServices(), endpointSlices: overallSlices() }],
    ['200 services of every kind', many(200)],
    ['no services', { ...base, services: [], endpointSlices: [] }],
  ];

  it.each(inputs)('builds the same tables as upstream layout: %s', (_, input) => {
    const streamed = streamFullSync(input);
    const tables: Tables = new Map();
    // applyRestore refuses a rule for, or a jump to, a chain not declared before it.
    applyRestore(tables, String(streamed.text));
    expect(tables).toEqual(upstreamTables(input));
    expect(streamed.ruleset().tables).toEqual(renderKubeProxyRuleset(input).tables);
  });

  it('writes the same lines as upstream layout, and the first sync additions in their places', () => {
    const input = many(60);
    const additions = firstSyncAdditions();
    const streamed = String(streamFullSync(input, { additions }).text);
    const upstream = toRestoreText(renderKubeProxyRuleset(input), { additions });
    expect(streamed.split('\n').sort()).toEqual(upstream.split('\n').sort());
    expect(upstreamTables(input, streamed)).toEqual(upstreamTables(input, upstream));
  });

  it('deletes the stale service chains of the last sync at the end of the nat table', () => {
    const before = many(30);
    const after = { ...before, services: before.services.slice(0, 20) };
    const stale = [...renderKubeProxyRuleset(before).tables.nat.keys()];
    const tables = upstreamTables(before);
    applyRestore(tables, String(streamFullSync(after, { deleteChains: stale }).text));
    expect(tables).toEqual(upstreamTables(after));
  });

  it('is rendered as it is read, a few services per chunk', () => {
    const { text, totalEndpoints, largeClusterMode } = streamFullSync(many(200));
    // Known before anything is rendered: the next sync's threshold decision needs them.
    expect(totalEndpoints).toBe(300);
    expect(largeClusterMode).toBe(false);
    const chunks = text.chunks();
    chunks.next();
    const second = chunks.next();
    expect(second.value).toMatch(/^\*nat\n/);
    expect(text.complete).toBe(false);
    const all = [...text.chunks()];
    expect(text.complete).toBe(true);
    expect(all.length).toBeGreaterThan(200 / 24);
    expect(all.join('')).toBe(String(text));
  });
});

describe('TableWriter journal', () => {
  it('hands out each step declarations before its rules, and refuses a rule to a chain not yet declared', () => {
    const w = new TableWriter('nat', true);
    w.write('KUBE-SVC-A', '-j', 'KUBE-MARK-MASQ');
    expect(() => w.drain()).toThrow(/KUBE-SVC-A before its declaration/);
    w.declare('KUBE-SVC-A');
    expect(w.drain()).toEqual([':KUBE-SVC-A - [0:0]', '-A KUBE-SVC-A -j KUBE-MARK-MASQ']);
    expect(w.drain()).toEqual([]);
  });
});
