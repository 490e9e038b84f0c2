// The control plane's processes as kubeadm runs them on a control-plane node (static pods with
// the host network; here processes in the node's namespace), with the flags that matter for a
// lab: etcd on the node's loopback, the API server on the node's address (6443) with the lab's
// service range and node-port range, RBAC and the Node authorizer, the controllers (node IPAM
// when the lab does not pin node ranges, as seed 004 describes) and the scheduler. Leader election
// is off: there is one of each, and waiting for a lease would only slow the lab down.
export interface ControlPlaneConfig {
  stateDir: string;
  bin: { etcd: string; apiserver: string; controllerManager: string; scheduler: string };
  nodeIp: string;
  serviceCIDR: string;
  podCIDR: string;
  nodeCIDRMaskSize: number;
  /** Whether kube-controller-manager allocates node pod ranges (no node of the lab pins one). */
  allocateNodeCIDRs: boolean;
  clusterDomain: string;
}

export const API_PORT = 6443;
export const ETCD_CLIENT = 'http://127.0.0.1:2379';

export function etcdArgv(c: ControlPlaneConfig): string[] {
  return [
    c.bin.etcd,
    '--name=wirelab',
    `--data-dir=${c.stateDir}/etcd`,
    `--listen-client-urls=${ETCD_CLIENT}`,
    `--advertise-client-urls=${ETCD_CLIENT}`,
    '--listen-peer-urls=http://127.0.0.1:2380',
    '--initial-advertise-peer-urls=http://127.0.0.1:2380',
    '--initial-cluster=wirelab=http://127.0.0.1:2380',
    // A lab's etcd lives in RAM (the state directory is tmpfs) for a few minutes.
    '--unsafe-no-fsync=true',
    '--quota-backend-bytes=268435456',
    '--log-level=warn',
  ];
}

export function apiserverArgv(c: ControlPlaneConfig): string[] {
  const pki = `${c.stateDir}/pki`;
  return [
    c.bin.apiserver,
    `--advertise-address=${c.nodeIp}`,
    '--bind-address=0.0.0.0',
    `--secure-port=${API_PORT}`,
    `--etcd-servers=${ETCD_CLIENT}`,
    `--service-cluster-ip-range=${c.serviceCIDR}`,
    '--service-node-port-range=30000-32767',
    `--client-ca-file=${pki}/ca.crt`,
    `--tls-cert-file=${pki}/apiserver.crt`,
    `--tls-private-key-file=${pki}/apiserver.key`,
    `--kubelet-client-certificate=${pki}/apiserver-kubelet-client.crt`,
    `--kubelet-client-key=${pki}/apiserver-kubelet-client.key`,
    `--kubelet-certificate-authority=${pki}/ca.crt`,
    '--kubelet-preferred-address-types=InternalIP',
    `--service-account-issuer=https://kubernetes.default.svc.${c.clusterDomain}`,
    `--service-account-key-file=${pki}/sa.pub`,
    `--service-account-signing-key-file=${pki}/sa.key`,
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    '--allow-privileged=true',
    '--profiling=false',
    '--v=1',
  ];
}

export function controllerManagerArgv(c: ControlPlaneConfig): string[] {
  const pki = `${c.stateDir}/pki`;
  return [
    c.bin.controllerManager,
    `--kubeconfig=${c.stateDir}/kubeconfigs/controller-manager.conf`,
    '--bind-address=127.0.0.1',
    '--leader-elect=false',
    // kubeadm gives every controller its own service account; each one's token costs ~150 ms of
    // start-up here, 4 s for them all before node IPAM runs. The controllers share the manager's
    // own credentials instead (pki.ts puts them in system:masters).
    '--use-service-account-credentials=false',
    `--root-ca-file=${pki}/ca.crt`,
    `--service-account-private-key-file=${pki}/sa.key`,
    `--cluster-signing-cert-file=${pki}/ca.crt`,
    `--cluster-signing-key-file=${pki}/ca.key`,
    `--service-cluster-ip-range=${c.serviceCIDR}`,
    `--cluster-cidr=${c.podCIDR}`,
    `--allocate-node-cidrs=${c.allocateNodeCIDRs}`,
    `--node-cidr-mask-size=${c.nodeCIDRMaskSize}`,
    '--profiling=false',
    '--v=1',
  ];
}

export function schedulerArgv(c: ControlPlaneConfig): string[] {
  return [
    c.bin.scheduler,
    `--kubeconfig=${c.stateDir}/kubeconfigs/scheduler.conf`,
    '--bind-address=127.0.0.1',
    '--leader-elect=false',
    '--profiling=false',
    '--v=1',
  ];
}
