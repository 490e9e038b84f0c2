// Reading a kubeconfig file (its current context's cluster and user, with certificate files or
// inline data), as client-go's clientcmd does for the fields wirelab writes.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { ApiEndpoint } from './client.js';

interface Kubeconfig {
  'current-context'?: string;
  contexts?: { name: string; context: { cluster: string; user: string } }[];
  clusters?: { name: string; cluster: { server: string; 'certificate-authority'?: string; 'certificate-authority-data'?: string } }[];
  users?: { name: string; user: { 'client-certificate'?: string; 'client-key'?: string; 'client-certificate-data'?: string; 'client-key-data'?: string } }[];
}

const fileOrData = (file: string | undefined, data: string | undefined, what: string) => {
  if (data) return Buffer.from(data, 'base64').toString('utf8');
  if (file) return readFileSync(file, 'utf8');
  throw new Error(`the kubeconfig has no ${what}`);
};

export function endpointFromKubeconfig(path: string): ApiEndpoint {
  const k = parse(readFileSync(path, 'utf8')) as Kubeconfig;
  const ctx = k.contexts?.find((c) => c.name === k['current-context'])?.context;
  const cluster = k.clusters?.find((c) => c.name === ctx?.cluster)?.cluster;
  const user = k.users?.find((u) => u.name === ctx?.user)?.user;
  if (!ctx || !cluster || !user) throw new Error(`${path}: no cluster and user for the current context "${k['current-context'] ?? ''}"`);
  return {
    server: cluster.server,
    ca: fileOrData(cluster['certificate-authority'], cluster['certificate-authority-data'], 'certificate authority'),
    cert: fileOrData(user['client-certificate'], user['client-certificate-data'], 'client certificate'),
    key: fileOrData(user['client-key'], user['client-key-data'], 'client key'),
  };
}
