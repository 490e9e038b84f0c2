// Which URL serves a kind: the API's discovery documents (/api/v1, /apis/<group>/<version>),
// read once per group version, as kubectl's RESTMapper does.
import { ApiError, type ApiClient } from './client.js';

export interface ResourceInfo {
  /** The collection's URL in a namespace (or cluster-wide). */
  collection(namespace?: string): string;
  namespaced: boolean;
  plural: string;
}

interface DiscoveryDoc {
  resources?: { name: string; kind: string; namespaced: boolean }[];
}

export class Discovery {
  private readonly docs = new Map<string, Promise<DiscoveryDoc | undefined>>();

  constructor(private readonly client: ApiClient) {}

  private doc(apiVersion: string): Promise<DiscoveryDoc | undefined> {
    let d = this.docs.get(apiVersion);
    if (!d) {
      const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      d = this.client.get<DiscoveryDoc>(base).catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 404) return undefined;
        throw e;
      });
      this.docs.set(apiVersion, d);
    }
    return d;
  }

  /** Forgets what was read (after installing CRDs, their group appears). */
  reset(): void {
    this.docs.clear();
  }

  async resource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    const d = await this.doc(apiVersion);
    const r = d?.resources?.find((x) => x.kind === kind && !x.name.includes('/'));
    if (!r) return undefined;
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    return {
      namespaced: r.namespaced,
      plural: r.name,
      collection: (ns) => (r.namespaced ? `${base}/namespaces/${encodeURIComponent(ns ?? 'default')}/${r.name}` : `${base}/${r.name}`),
    };
  }
}
