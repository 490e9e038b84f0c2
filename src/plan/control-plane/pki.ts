// The control plane's PKI, as kubeadm lays it out (cmd/kubeadm/app/phases/certs: a cluster CA,
// the API server's serving certificate with the kubernetes service's names and addresses, client
// certificates whose CN/O are the user and groups RBAC sees, and a service-account key pair).
// Pure: which files, which subjects, which names; kernel/commands.ts turns them into openssl.
import { intToIp, parseCidr } from '../../net/cidr.js';
import { KUBEADM_CLUSTER_ADMINS } from './addons.js';

export const PKI_DIR = 'pki';

export interface CertSpec {
  /** Path (relative to the lab's state directory) without extension: <path>.crt and <path>.key. */
  path: string;
  /** "/O=group/CN=name" as openssl takes it. */
  subject: string;
  /** Server certificates: the names (DNS:...) and addresses (IP:...) clients may use. */
  sans?: string[];
  usage: 'server' | 'client';
}

export interface Pki {
  ca: string;
  certs: CertSpec[];
  /** The service-account signing key (<path>.key, public half <path>.pub). */
  serviceAccountKey: string;
}

/** A client certificate's path for a user of the API (admin, the controllers, node agents). */
export const clientCert = (name: string) => `${PKI_DIR}/${name}`;

/** A node's kubelet serving certificate (kubelet's own self-signed one would not do: the API
 * server checks it against --kubelet-certificate-authority). */
export const kubeletServingCert = (node: string) => `${PKI_DIR}/kubelet-${node}`;

/** The first address of the service network: the `kubernetes` service's ClusterIP. */
export function kubernetesServiceIp(serviceCIDR: string): string {
  return intToIp(parseCidr(serviceCIDR).base + 1);
}

export function planPki(o: { apiServerIp: string; serviceCIDR: string; clusterDomain: string; nodes: { name: string; ip: string }[] }): Pki {
  const sans = [
    'DNS:kubernetes',
    'DNS:kubernetes.default',
    'DNS:kubernetes.default.svc',
    `DNS:kubernetes.default.svc.${o.clusterDomain}`,
    'DNS:localhost',
    `IP:${o.apiServerIp}`,
    `IP:${kubernetesServiceIp(o.serviceCIDR)}`,
    'IP:127.0.0.1',
  ];
  const client = (name: string, subject: string): CertSpec => ({ path: clientCert(name), subject, usage: 'client' });
  return {
    ca: `${PKI_DIR}/ca`,
    serviceAccountKey: `${PKI_DIR}/sa`,
    certs: [
      { path: `${PKI_DIR}/apiserver`, subject: '/CN=kube-apiserver', sans, usage: 'server' },
      // kubectl, and the harness applying the lab file: cluster-admin through system:masters.
      client('admin', '/O=system:masters/CN=kubernetes-admin'),
      // The bootstrap RBAC roles of the scheduler (and the controller manager) bind these names.
      // kube-controller-manager runs without per-controller service accounts (components.ts), so
      // its own user needs every controller's rights.
      client('controller-manager', '/O=system:masters/CN=system:kube-controller-manager'),
      client('scheduler', '/CN=system:kube-scheduler'),
      // The API server calling kubelets (exec, logs): kubeadm's apiserver-kubelet-client.
      client('apiserver-kubelet-client', `/O=${KUBEADM_CLUSTER_ADMINS}/CN=kube-apiserver-kubelet-client`),
      // wirelab's node agent is kubelet, kube-proxy and the policy agent in one; it acts for the
      // whole node, so it gets system:masters rather than the Node authorizer's narrower rights.
      // The real kube-proxy, as kubeadm's kube-proxy add-on is bound (system:node-proxier).
      client('kube-proxy', '/CN=system:kube-proxy'),
      ...o.nodes.map((n) => client(`node-${n.name}`, `/O=system:masters/CN=wirelab:node-agent:${n.name}`)),
      // Each node's kubelet API (exec, logs, port-forward) on its InternalIP, port 10250, with the
      // subject a kubelet's certificate signing request asks for (system:node:<name>).
      ...o.nodes.map((n): CertSpec => ({
        path: kubeletServingCert(n.name),
        subject: `/O=system:nodes/CN=system:node:${n.name}`,
        sans: [`DNS:${n.name}`, `IP:${n.ip}`],
        usage: 'server',
      })),
    ],
  };
}
