// A versioned object store with the API server's resourceVersion semantics, in memory and
// without I/O. Every change (an object added, changed or deleted) bumps one global
// resourceVersion, like etcd's revision; the changed object carries it as
// metadata.resourceVersion. Watchers get the events after a given resourceVersion replayed
// from a bounded history, then new ones as they happen (synchronously, in order).
import type { K8sObject, K8sObjects } from './objects.js';

export type ResourceKind = keyof K8sObjects;
export const RESOURCE_KINDS: readonly ResourceKind[] = ['namespaces', 'nodes', 'pods', 'services', 'endpointSlices', 'endpoints'];

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  kind: ResourceKind;
  type: WatchEventType;
  /** The object after the change (for DELETED: its last state, stamped with the deletion's resourceVersion). */
  object: K8sObject;
  /** For MODIFIED and DELETED: the object before the change (selectors need both sides). */
  previous?: K8sObject;
  resourceVersion: number;
}

export interface ListResult {
  items: K8sObject[];
  resourceVersion: string;
}

/** The requested resourceVersion is older than the history kept, or newer than the store's (410 Gone). */
export class ResourceVersionExpiredError extends Error {
  readonly code = 410;
  constructor(
    readonly requested: string,
    readonly oldest: number,
    readonly current: number,
  ) {
    super(`too old resource version: ${requested} (${oldest})`);
    this.name = 'ResourceVersionExpiredError';
  }
}

/** The resourceVersion is not a resourceVersion at all (400). */
export class InvalidResourceVersionError extends Error {
  readonly code = 400;
  constructor(readonly requested: string) {
    super(`invalid resource version: ${JSON.stringify(requested)}`);
    this.name = 'InvalidResourceVersionError';
  }
}

export interface StoreOptions {
  /** How many events are kept for watches that resume from an older resourceVersion. */
  historyLimit?: number;
  /** The resourceVersion of the empty store (the first change gets this + 1). */
  initialResourceVersion?: number;
}

export function objectKey(o: K8sObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

/** JSON with object keys sorted and metadata.resourceVersion left out: equal iff no real change. */
function contentOf(o: K8sObject): string {
  const { resourceVersion: _rv, ...metadata } = o.metadata;
  return canonicalJson({ ...o, metadata });
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

function withResourceVersion(o: K8sObject, rv: number): K8sObject {
  const copy = structuredClone(o);
  copy.metadata.resourceVersion = String(rv);
  return copy;
}

/** Parses a resourceVersion parameter: undefined for "" (most recent), a number otherwise. */
export function parseResourceVersion(rv: string | undefined): number | undefined {
  if (rv === undefined || rv === '') return undefined;
  if (!/^\d+$/.test(rv)) throw new InvalidResourceVersionError(rv);
  return Number(rv);
}

type Listener = (event: StoreEvent) => void;

export class VersionedStore {
  private rv: number;
  private readonly objects = new Map<ResourceKind, Map<string, { content: string; object: K8sObject }>>();
  private readonly history: StoreEvent[] = [];
  private readonly historyLimit: number;
  /** Events with resourceVersion <= this have been dropped from the history. */
  private compactedThrough: number;
  private readonly listeners = new Map<ResourceKind, Set<Listener>>();

  constructor(opts: StoreOptions = {}) {
    this.rv = opts.initialResourceVersion ?? 0;
    this.compactedThrough = this.rv;
    this.historyLimit = opts.historyLimit ?? 10_000;
    for (const k of RESOURCE_KINDS) {
      this.objects.set(k, new Map());
      this.listeners.set(k, new Set());
    }
  }

  /** The store's current (global) resourceVersion. */
  get resourceVersion(): number {
    return this.rv;
  }

  /** Replaces every object of one kind; returns the events this caused (in key order). */
  setObjects(kind: ResourceKind, objects: readonly K8sObject[]): StoreEvent[] {
    const current = this.objectsOf(kind);
    const next = new Map<string, K8sObject>();
    for (const o of objects) {
      const key = objectKey(o);
      if (next.has(key)) throw new Error(`duplicate ${kind} ${key}`);
      next.set(key, o);
    }
    const keys = [...new Set([...current.keys(), ...next.keys()])].sort();
    const events: StoreEvent[] = [];
    for (const key of keys) {
      const before = current.get(key);
      const after = next.get(key);
      if (after) {
        const content = contentOf(after);
        if (before && before.content === content) continue;
        const rv = ++this.rv;
        const object = withResourceVersion(after, rv);
        current.set(key, { content, object });
        events.push(this.record({ kind, type: before ? 'MODIFIED' : 'ADDED', object, ...(before ? { previous: before.object } : {}), resourceVersion: rv }));
      } else if (before) {
        const rv = ++this.rv;
        current.delete(key);
        events.push(this.record({ kind, type: 'DELETED', object: withResourceVersion(before.object, rv), previous: before.object, resourceVersion: rv }));
      }
    }
    return events;
  }

  /** setObjects for each kind given (kinds left out are not touched). */
  setAll(objects: Partial<K8sObjects>): StoreEvent[] {
    const events: StoreEvent[] = [];
    for (const kind of RESOURCE_KINDS) {
      const list = objects[kind];
      if (list) events.push(...this.setObjects(kind, list));
    }
    return events;
  }

  list(kind: ResourceKind): ListResult {
    const items = [...this.objectsOf(kind).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => structuredClone(v.object));
    return { items, resourceVersion: String(this.rv) };
  }

  get(kind: ResourceKind, namespace: string | undefined, name: string): K8sObject | undefined {
    const v = this.objectsOf(kind).get(`${namespace ?? ''}/${name}`);
    return v ? structuredClone(v.object) : undefined;
  }

  /**
   * Calls onEvent for every event of `kind` after fromRV (replayed from the history), then
   * for every new one. fromRV "" or undefined means "from now" (no replay). Throws
   * ResourceVersionExpiredError when the history no longer reaches back to fromRV, or when
   * fromRV is newer than the store (a client that saw an earlier incarnation of the server).
   * Returns the unsubscribe function.
   */
  watch(kind: ResourceKind, fromRV: string | number | undefined, onEvent: (event: StoreEvent) => void): () => void {
    const from = typeof fromRV === 'number' ? fromRV : parseResourceVersion(fromRV);
    if (from !== undefined) {
      if (from < this.compactedThrough || from > this.rv) {
        throw new ResourceVersionExpiredError(String(fromRV), this.compactedThrough, this.rv);
      }
      for (const e of this.history) if (e.kind === kind && e.resourceVersion > from) onEvent(e);
    }
    const set = this.listeners.get(kind)!;
    // Wrap so that the same function can watch twice and each unsubscribe removes only its own.
    const listener: Listener = (e) => onEvent(e);
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /** Number of active watchers of a kind (for tests and diagnostics). */
  watcherCount(kind: ResourceKind): number {
    return this.listeners.get(kind)!.size;
  }

  private objectsOf(kind: ResourceKind) {
    const m = this.objects.get(kind);
    if (!m) throw new Error(`unknown resource kind ${String(kind)}`);
    return m;
  }

  private record(e: StoreEvent): StoreEvent {
    this.history.push(e);
    while (this.history.length > this.historyLimit) {
      const dropped = this.history.shift()!;
      this.compactedThrough = dropped.resourceVersion;
    }
    for (const l of [...this.listeners.get(e.kind)!]) l(e);
    return e;
  }
}
