// A kubeconfig for clients of wirelab's API server: one cluster (plain http, so no CA and no
// TLS settings), one user without credentials, one context. CoreDNS reads it with
// `kubernetes <zones> { kubeconfig <path> <context> }` (clientcmd's ExplicitPath loading
// rules, the context as CurrentContext override); kubectl with --kubeconfig.
import { stringify } from 'yaml';

import { KUBECONFIG_CONTEXT } from '../../src/plan/workloads/programs.js';

export { KUBECONFIG_CONTEXT };

export interface KubeconfigOptions {
  /** Cluster, user and context name (default "wirelab"). */
  name?: string;
  /** Default namespace of the context. */
  namespace?: string;
}

export function renderKubeconfig(serverUrl: string, opts: KubeconfigOptions = {}): string {
  const name = opts.name ?? KUBECONFIG_CONTEXT;
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [{ name, cluster: { server: serverUrl } }],
    users: [{ name, user: {} }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: opts.namespace ?? 'default' } }],
    'current-context': name,
  };
  return `# wirelab's read-only Kubernetes API (plain http, no authentication)\n${stringify(config)}`;
}
