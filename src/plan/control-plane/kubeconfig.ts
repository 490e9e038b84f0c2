// kubeconfig files for the API's users (kubectl, the controllers, the node agents, CoreDNS): one
// cluster (the API server's URL and the cluster CA), one user (a client certificate), one
// context. Paths are absolute, so a file works from any directory and any namespace.
import { stringify } from 'yaml';

export interface KubeconfigSpec {
  server: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  /** Context and cluster name. */
  name?: string;
  user?: string;
  namespace?: string;
}

export function renderKubeconfig(k: KubeconfigSpec): string {
  const name = k.name ?? 'wirelab';
  const user = k.user ?? name;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [{ name, cluster: { server: k.server, 'certificate-authority': k.caFile } }],
    users: [{ name: user, user: { 'client-certificate': k.certFile, 'client-key': k.keyFile } }],
    contexts: [{ name, context: { cluster: name, user, namespace: k.namespace ?? 'default' } }],
    'current-context': name,
  });
}
