// list + watch, as client-go's reflector does it: list (remembering the resourceVersion), watch
// from there with bookmarks, watch again from the last version seen when a watch ends, and list
// again when the server says that version is gone (410). The cache holds the current objects;
// handlers hear every change.
import { ApiClient, ApiError, type K8sObject, type WatchEvent } from './client.js';

export type Change<T> = { type: 'added' | 'modified' | 'deleted'; object: T; old?: T };

export const keyOf = (o: K8sObject) => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name);

export class Informer<T extends K8sObject = K8sObject> {
  readonly cache = new Map<string, T>();
  /** The newest resourceVersion seen (of a list, an event or a bookmark). */
  resourceVersion = '';
  private readonly handlers: ((c: Change<T>) => void)[] = [];
  private syncedResolve!: () => void;
  /** Resolves once the first list is in the cache. */
  readonly synced = new Promise<void>((r) => (this.syncedResolve = r));

  /** `path` lists the resource, e.g. /api/v1/pods?fieldSelector=spec.nodeName%3Dw1. */
  constructor(
    private readonly client: ApiClient,
    private readonly path: string,
  ) {}

  onChange(fn: (c: Change<T>) => void): this {
    this.handlers.push(fn);
    return this;
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  private emit(c: Change<T>): void {
    for (const h of this.handlers) h(c);
  }

  private withQuery(extra: string): string {
    return `${this.path}${this.path.includes('?') ? '&' : '?'}${extra}`;
  }

  private async relist(): Promise<void> {
    const { items, resourceVersion } = await this.client.list<T>(this.path);
    const seen = new Set<string>();
    for (const o of items) {
      const k = keyOf(o);
      seen.add(k);
      const old = this.cache.get(k);
      this.cache.set(k, o);
      if (!old) this.emit({ type: 'added', object: o });
      else if (old.metadata.resourceVersion !== o.metadata.resourceVersion) this.emit({ type: 'modified', object: o, old });
    }
    for (const [k, o] of this.cache) {
      if (!seen.has(k)) {
        this.cache.delete(k);
        this.emit({ type: 'deleted', object: o });
      }
    }
    this.resourceVersion = resourceVersion;
  }

  private apply(e: WatchEvent<T>): void {
    const rv = e.object?.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if (e.type === 'BOOKMARK') return;
    if (e.type === 'ERROR') throw new ApiError(Number((e.object as unknown as { code?: number }).code ?? 500), 'WatchError', JSON.stringify(e.object));
    const k = keyOf(e.object);
    const old = this.cache.get(k);
    if (e.type === 'DELETED') {
      this.cache.delete(k);
      this.emit({ type: 'deleted', object: e.object });
    } else {
      this.cache.set(k, e.object);
      this.emit({ type: old ? 'modified' : 'added', object: e.object, old });
    }
  }

  /** Runs until the signal aborts; errors are retried with a short backoff. */
  async run(signal: AbortSignal, onError: (e: unknown) => void = () => {}): Promise<void> {
    let listed = false;
    while (!signal.aborted) {
      try {
        if (!listed) {
          await this.relist();
          listed = true;
          this.syncedResolve();
        }
        await this.client.watch<T>(
          this.withQuery(`watch=1&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion=${this.resourceVersion}`),
          (e) => this.apply(e),
          signal,
        );
      } catch (e) {
        // 410 Gone: the version we watch from was compacted away; list again.
        if (e instanceof ApiError && (e.status === 410 || /too old resource version|Expired/.test(e.message))) listed = false;
        else if (!signal.aborted) {
          onError(e);
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    }
  }
}
