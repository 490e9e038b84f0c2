import { describe, expect, it } from 'vitest';
import type { K8sObject } from './objects.js';
import { ResourceVersionExpiredError, VersionedStore, type StoreEvent } from './store.js';

function svc(name: string, ip: string, namespace = 'default'): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, uid: `uid-${name}`, resourceVersion: '1', creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: { clusterIP: ip },
  };
}

const brief = (events: StoreEvent[]) => events.map((e) => `${e.type} ${e.object.metadata.name}@${e.object.metadata.resourceVersion}`);

describe('VersionedStore', () => {
  it('computes ADDED, MODIFIED, DELETED against the previous set and bumps the resourceVersion per change', () => {
    const store = new VersionedStore();
    expect(brief(store.setObjects('services', [svc('b', '10.0.0.2'), svc('a', '10.0.0.1')]))).toEqual(['ADDED a@1', 'ADDED b@2']);
    expect(store.resourceVersion).toBe(2);
    // Unchanged content (even with another resourceVersion in the input): no event.
    expect(
      store.setObjects('services', [{ ...svc('a', '10.0.0.1'), metadata: { ...svc('a', '').metadata, resourceVersion: '99' } }, svc('b', '10.0.0.2')]),
    ).toEqual([]);
    const events = store.setObjects('services', [svc('a', '10.0.0.9'), svc('c', '10.0.0.3')]);
    expect(brief(events)).toEqual(['MODIFIED a@3', 'DELETED b@4', 'ADDED c@5']);
    expect(events[0].previous?.spec).toEqual({ clusterIP: '10.0.0.1' });
    expect(events[1].object.spec).toEqual({ clusterIP: '10.0.0.2' });
    expect(store.resourceVersion).toBe(5);
  });

  it('list returns the items sorted with their own resourceVersions and the store resourceVersion', () => {
    const store = new VersionedStore({ initialResourceVersion: 100 });
    store.setObjects('services', [svc('b', '2'), svc('a', '1', 'other')]);
    store.setObjects('pods', []);
    const l = store.list('services');
    expect(l.resourceVersion).toBe('102');
    expect(l.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}@${o.metadata.resourceVersion}`)).toEqual(['default/b@101', 'other/a@102']);
    expect(store.list('pods')).toEqual({ items: [], resourceVersion: '102' });
    // Copies: callers cannot change the store.
    l.items[0].metadata.name = 'x';
    expect(store.get('services', 'default', 'b')?.metadata.name).toBe('b');
    expect(store.get('services', 'default', 'nope')).toBeUndefined();
  });

  it('watch replays events after fromRV, then streams new ones, per kind; unsubscribe stops them', () => {
    const store = new VersionedStore();
    store.setObjects('services', [svc('a', '1')]); // rv 1
    store.setObjects('services', [svc('a', '1'), svc('b', '2')]); // rv 2
    store.setObjects('pods', [{ ...svc('p', '3'), kind: 'Pod' }]); // rv 3
    const got: StoreEvent[] = [];
    const stop = store.watch('services', '1', (e) => got.push(e));
    expect(brief(got)).toEqual(['ADDED b@2']);
    store.setObjects('services', [svc('a', '9'), svc('b', '2')]); // rv 4
    store.setObjects('pods', []); // rv 5, other kind
    expect(brief(got)).toEqual(['ADDED b@2', 'MODIFIED a@4']);
    expect(store.watcherCount('services')).toBe(1);
    stop();
    expect(store.watcherCount('services')).toBe(0);
    store.setObjects('services', []);
    expect(got).toHaveLength(2);
  });

  it('watch from "" starts now; from the current resourceVersion replays nothing', () => {
    const store = new VersionedStore();
    store.setObjects('services', [svc('a', '1')]);
    const fromNow: StoreEvent[] = [];
    const fromCurrent: StoreEvent[] = [];
    store.watch('services', '', (e) => fromNow.push(e));
    store.watch('services', String(store.resourceVersion), (e) => fromCurrent.push(e));
    expect(fromNow).toEqual([]);
    expect(fromCurrent).toEqual([]);
    store.setObjects('services', []);
    expect(brief(fromNow)).toEqual(['DELETED a@2']);
    expect(brief(fromCurrent)).toEqual(['DELETED a@2']);
  });

  it('a resourceVersion older than the history, or newer than the store, is expired (410)', () => {
    const store = new VersionedStore({ historyLimit: 2 });
    for (let i = 1; i <= 4; i++) store.setObjects('services', [svc('a', String(i))]);
    expect(() => store.watch('services', '1', () => {})).toThrow(ResourceVersionExpiredError);
    const got: StoreEvent[] = [];
    store.watch('services', '2', (e) => got.push(e));
    expect(brief(got)).toEqual(['MODIFIED a@3', 'MODIFIED a@4']);
    expect(() => store.watch('services', '5', () => {})).toThrow(ResourceVersionExpiredError);
    expect(() => store.watch('services', 'abc', () => {})).toThrow(/invalid resource version/);
  });

  it('setAll touches only the kinds given', () => {
    const store = new VersionedStore();
    store.setAll({ services: [svc('a', '1')], pods: [] });
    store.setAll({ pods: [] });
    expect(store.list('services').items).toHaveLength(1);
    expect(() => store.setObjects('services', [svc('a', '1'), svc('a', '2')])).toThrow(/duplicate/);
  });
});
