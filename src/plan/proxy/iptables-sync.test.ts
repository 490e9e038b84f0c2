// kube-proxy's iptables syncs as the node agent runs them: after every sync of a sequence, the
// tables (a model of iptables-restore --noflush, testing/restore-model.ts) hold what one full sync
// of the same objects writes; partial syncs write the top-level chains again, as upstream's do,
// and of the services' own chains only those of the services that changed.
import { describe, expect, it } from 'vitest';
import { syncIptables, type IptablesSyncState } from './iptables-sync.js';
import { endpoint, makeService, makeSlice, tcpPort } from '../../model/testing/services.js';
import { applyRestore, fullState, normalized, type Tables } from './testing/restore-model.js';
import type { KubeProxyIptablesInput } from './iptables.js';
import type { EndpointSlice } from '../../model/types.js';
import { intToIp, ipToInt } from '../../net/cidr.js';

const base = { hostname: 'node', nodeIPs: ['10.10.20.4'], clusterCIDR: '10.8.0.0/16' };
const svc = (name: string, ip: string, nodePort?: number) =>
  makeService('default', name, (s) => {
    s.clusterIP = ip;
    if (nodePort) s.type = 'NodePort';
    s.ports = [tcpPort('', 80, nodePort)];
  });
const slice = (name: string, ...ips: string[]) =>
  makeSlice(
    'default',
    name,
    ips.map((ip, i) => endpoint(ip, i === 0 ? 'node' : 'other')),
    [{ name: '', port: 80 }],
  );

/** Applies a sequence of inputs sync by sync; after each, the tables equal a full sync's. */
function replay(inputs: KubeProxyIptablesInput[]): { texts: string[]; full: boolean[]; tables: Tables } {
  const tables: Tables = new Map();
  let state: IptablesSyncState | undefined;
  const texts: string[] = [];
  const full: boolean[] = [];
  for (const input of inputs) {
    const sync = syncIptables(input, state);
    if (!sync) {
      texts.push('(none)');
      continue;
    }
    applyRestore(tables, String(sync.text));
    expect(normalized(tables)).toEqual(normalized(fullState(input)));
    texts.push(String(sync.text));
    full.push(sync.full);
    state = sync.state;
  }
  return { texts, full, tables };
}

describe('syncIptables', () => {
  const web = svc('web', '10.96.0.20');
  const np = svc('np', '10.96.0.30', 30080);
  const one = { ...base, services: [web], endpointSlices: [slice('web', '10.8.0.5', '10.8.1.10')] };
  const two = { ...one, services: [web, np], endpointSlices: [...one.endpointSlices, slice('np', '10.8.0.6')] };

  it('writes every service first, then only the service that was added, changed or deleted', () => {
    const moved = { ...two, endpointSlices: [slice('web', '10.8.0.7'), two.endpointSlices[1]] };
    const { texts, full } = replay([one, two, moved, one]);
    expect(full).toEqual([true, false, false, false]);
    const declared = (text: string) => [...text.matchAll(/^:(\S+) /gm)].map((m) => m[1]);
    const serviceChains = (text: string) => declared(text).filter((c) => /^KUBE-(SVC|SEP|EXT|FW|SVL)-/.test(c));
    expect(texts[0]).toContain(':KUBE-SERVICES - [0:0]');
    // Adding np: the top-level chains again (with web's rule in KUBE-SERVICES), np's own chains,
    // none of web's.
    expect(texts[1]).toContain(':KUBE-SERVICES - [0:0]');
    expect(texts[1]).toMatch(/^-A KUBE-SERVICES .*default\/web cluster IP/m);
    expect(texts[1]).toMatch(/^-A KUBE-NODEPORTS .*default\/np/m);
    expect(serviceChains(texts[1]).length).toBeGreaterThan(0);
    expect(texts[1]).not.toMatch(/^-A KUBE-SVC-\S+ .*default\/web/m);
    // web's endpoints moved: its old endpoint chains go, np's chains are not written.
    expect(texts[2]).toMatch(/^-X KUBE-SEP-/m);
    expect(texts[2]).not.toMatch(/^-A KUBE-(SVC|SEP|EXT)-\S+ .*default\/np/m);
    // np deleted: it is no longer in the top-level chains, its chains are deleted.
    expect(texts[3]).not.toContain('default/np');
    expect(texts[3]).toMatch(/^-X KUBE-SVC-/m);
  });

  it('a partial sync puts back a top-level rule someone deleted, as upstream rewrites those chains', () => {
    const first = syncIptables(one)!;
    const tables: Tables = new Map();
    applyRestore(tables, String(first.text));
    const services = tables.get('nat')!.get('KUBE-SERVICES')!;
    services.splice(
      services.findIndex((r) => r.includes('default/web cluster IP')),
      1,
    );
    const next = syncIptables(two, first.state)!;
    applyRestore(tables, String(next.text));
    expect(normalized(tables)).toEqual(normalized(fullState(two)));
  });

  it('skips a sync when nothing changed, and writes nothing for a change kube-proxy does not see', () => {
    const relabelled = { ...two, services: [{ ...web, labels: { tier: 'front' } }, np] };
    const first = syncIptables(two)!;
    expect(syncIptables({ ...two, services: [...two.services], endpointSlices: two.endpointSlices.map((s) => ({ ...s })) }, first.state)).toBeUndefined();
    const sync = syncIptables(relabelled, first.state)!;
    expect(sync).toMatchObject({ text: '', full: false });
    // The new objects are remembered: the next sync with them is skipped.
    expect(syncIptables(relabelled, sync.state)).toBeUndefined();
  });

  it('a change of the node settings is a full sync, deleting the chains no service has any more', () => {
    const withCounters = { ...one, nfacct: true };
    const { texts, full } = replay([two, withCounters]);
    expect(full).toEqual([true, true]);
    expect(texts[1]).toContain('-m nfacct');
    expect(texts[1]).toMatch(/^-X KUBE-SVC-/m);
  });

  it('crossing the large-cluster threshold (1000 endpoints) is a full sync: every endpoint chain changes shape', () => {
    const many: EndpointSlice = slice('big', ...Array.from({ length: 1001 }, (_, i) => intToIp(ipToInt('10.8.2.0') + i)));
    const large = { ...two, services: [...two.services, svc('big', '10.96.0.40')], endpointSlices: [...two.endpointSlices, many] };
    const { texts, full } = replay([two, large, two]);
    expect(full).toEqual([true, true, true]);
    // Large-cluster mode leaves the comments out of the endpoint chains (proxier.go largeClusterMode).
    expect(texts[1]).toMatch(/^-A KUBE-SEP-\S+ -s 10\.8\.0\.5 -j KUBE-MARK-MASQ$/m);
  });
});
