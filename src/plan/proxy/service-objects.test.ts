// Partial syncs cost what changed: the objects the last sync did not see are found by identity,
// and an unchanged object is not even read. Both proxiers keep their state's maps in place from
// sync to sync; a retry from the state before a failed transaction rolls them back first.
import { describe, expect, it } from 'vitest';
import type { EndpointSlice } from '../../model/types.js';
import { endpoint, makeService, makeSlice, tcpPort } from '../../model/testing/services.js';
import { changedSince, ownersOf } from './service-objects.js';
import { syncNftables } from './nftables.js';
import { syncIptables } from './iptables-sync.js';
import { transactionText } from './nft-objects.js';
import { nodeInput } from './testing/nft-input.js';

const service = (i: number, eps = 2) => ({
  svc: makeService('ns', `svc${i}`, (s) => {
    s.clusterIP = `172.30.1.${i + 1}`;
    s.ports = [tcpPort('p80', 80)];
  }),
  slice: makeSlice(
    'ns',
    `svc${i}`,
    Array.from({ length: eps }, (_, k) => endpoint(`10.0.${i}.${k + 1}`, k === 0 ? 'node' : 'other')),
    [{ name: 'p80', port: 80 }],
  ),
});
type Objects = ReturnType<typeof service>;

const input = nodeInput;

/** The objects wrapped so that reading any field throws once `sealed.on` is set. */
function sealable(objs: Objects[]): { objs: Objects[]; sealed: { on: boolean } } {
  const sealed = { on: false };
  const guard = <T extends object>(o: T): T =>
    new Proxy(o, {
      get(target, key, receiver) {
        if (sealed.on) throw new Error(`read ${String(key)} of an unchanged object`);
        return Reflect.get(target, key, receiver);
      },
    });
  return { objs: objs.map((o) => ({ svc: guard(o.svc), slice: guard(o.slice) })), sealed };
}

describe('changedSince', () => {
  const objs = [0, 1, 2].map((i) => service(i));
  const owners = ownersOf(input(objs));

  it('finds nothing when every object is the one the last sync saw', () => {
    expect(changedSince(input(objs), owners).groups.size).toBe(0);
  });

  it('names the services with an object added or removed, with their objects now', () => {
    const moved = { ...objs[1], slice: makeSlice('ns', 'svc1', [endpoint('10.0.1.9', 'node')], [{ name: 'p80', port: 80 }]) };
    const changes = changedSince(input([objs[0], moved, service(3)]), owners);
    expect([...changes.groups.keys()].sort()).toEqual(['ns/svc1', 'ns/svc2', 'ns/svc3']);
    expect(changes.groups.get('ns/svc1')).toEqual({ services: [objs[1].svc], slices: [moved.slice] });
    expect(changes.groups.get('ns/svc2')).toBeUndefined();
    expect(new Set(changes.removed.map(([o]) => o))).toEqual(new Set([objs[1].slice, objs[2].svc, objs[2].slice]));
  });

  it('groups a slice whose Service is gone under no service, as groupByService does', () => {
    const orphan: EndpointSlice = objs[2].slice;
    const changes = changedSince({ services: [objs[0].svc, objs[1].svc], endpointSlices: [objs[0].slice, objs[1].slice, orphan] }, owners);
    expect([...changes.groups]).toEqual([['ns/svc2', undefined]]);
  });
});

describe('partial syncs read only what changed', () => {
  const many = Array.from({ length: 50 }, (_, i) => service(i));

  it('the guard used below throws on a read once sealed, and only then', () => {
    const { objs, sealed } = sealable(many);
    expect(objs[0].svc.clusterIP).toBe('172.30.1.1');
    sealed.on = true;
    expect(() => objs[0].svc.clusterIP).toThrow(/unchanged object/);
  });

  it('nftables: one more service, and no unchanged object is read', () => {
    const { objs, sealed } = sealable(many);
    const first = syncNftables(input(objs));
    sealed.on = true;
    const sync = syncNftables(input([...objs, service(50)]), first.state);
    expect(transactionText(sync.ops)).toContain('172.30.1.51');
  });

  it('iptables: one more service, and no unchanged object is read', () => {
    const { objs, sealed } = sealable(many);
    const first = syncIptables(input(objs))!;
    sealed.on = true;
    const sync = syncIptables(input([...objs, service(50)]), first.state)!;
    expect(sync.full).toBe(false);
    expect(sync.text).toContain('172.30.1.51');
  });
});

describe('state kept in place', () => {
  const objs = (n: number, eps = 2) => Array.from({ length: n }, (_, i) => service(i, eps));

  it('nftables: a retry from the state before a failed sync sees the same changes', () => {
    const before = syncNftables(input(objs(10)), undefined, { now: 0 }).state;
    const failed = syncNftables(input(objs(12)), before, { now: 0 });
    expect(failed.state.services).toBe(before.services);
    expect(before.services.size).toBe(12);
    const retried = syncNftables(input(objs(12)), before, { now: 0 });
    expect(transactionText(retried.ops)).toBe(transactionText(failed.ops));
    // Rolled back, the maps hold what they held: the same services, claims and objects.
    before.table.rollBackTo(before.tableVersion);
    const fresh = syncNftables(input(objs(10)), undefined, { now: 0 }).state;
    expect([...before.services.keys()]).toEqual([...fresh.services.keys()]);
    expect(new Map([...before.claims].sort())).toEqual(new Map([...fresh.claims].sort()));
    expect(before.owners.size).toBe(fresh.owners.size);
  });

  it('iptables: a retry from the state before a failed restore writes the same text', () => {
    const start = objs(10);
    const before = syncIptables(input(start))!.state;
    const grown = [...start, service(10), service(11)];
    const failed = syncIptables(input(grown), before)!;
    const retried = syncIptables(input(grown), before)!;
    expect(retried.text).toBe(failed.text);
    expect(retried.text).toContain('172.30.1.12');
    // Only the last sync is undone.
    syncIptables(input([...grown, service(12)]), retried.state);
    expect(() => syncIptables(input(grown), before)).toThrow(/cannot go back/);
  });
});
