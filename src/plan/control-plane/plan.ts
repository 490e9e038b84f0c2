// The control plane of a lab with `controlPlane: kubernetes`, as plan data: its PKI, kubeconfig
// files, the node agents' configuration, and its processes stage by stage: etcd, then the API
// server (ready when /readyz answers), then side by side the controllers, the scheduler, the
// loopback relay `lab kubectl` uses and one node agent per node (an agent needs only the API
// server; it waits for its node's pod range from the controllers by itself). All of it runs in the control-plane node's
// namespace (kubeadm's static pods use the host network there) except the relay and the agents.
import { createHash } from 'node:crypto';
import type { ClusterModel } from '../../model/types.js';
import { labStateDir, netnsName, PROCESS_MARKER } from '../../model/names.js';
import type { Op, ProcessSpec } from '../types.js';
import { agentProgram, ETCD_BIN, KUBE_BIN, MODEL_FILE } from '../workloads/programs.js';
import { clientCert, kubeletServingCert, kubernetesServiceIp, planPki } from './pki.js';
import { renderKubeconfig } from './kubeconfig.js';
import { ADMIN_KUBECONFIG, API_SOCKET, KUBECONFIGS, KUBE_PROXY_KUBECONFIG, POD_KUBECONFIG, agentConfigPath, agentReadyFile, agentStatusPath } from './paths.js';
import { API_PORT, apiserverArgv, controllerManagerArgv, etcdArgv, schedulerArgv, type ControlPlaneConfig } from './components.js';

export { ADMIN_KUBECONFIG, API_SOCKET, KUBE_PROXY_KUBECONFIG, POD_KUBECONFIG, agentConfigPath, agentReadyFile, agentStatusPath } from './paths.js';

/** Where the API server is: the first control-plane node (where kubeadm runs it), port 6443. */
export function apiServerNode(model: Pick<ClusterModel, 'nodes'>): { name: string; ip: string } {
  const n = model.nodes.find((x) => x.role === 'control-plane') ?? model.nodes[0];
  return { name: n.name, ip: n.ip };
}

/** The loopback port of a lab's API relay: derived from its name, so two labs rarely meet. */
export function apiLoopbackPort(lab: string): number {
  return 16443 + (createHash('sha256').update(lab).digest().readUInt16BE(0) % 4000);
}

/** What a node agent is told (agents/<node>.json). */
export interface AgentConfig {
  lab: string;
  node: string;
  server: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  /** The kubelet API's serving certificate and key (port KUBELET_PORT on the node's address);
   * clients (the API server) must show a certificate signed by caFile. */
  servingCertFile: string;
  servingKeyFile: string;
  /** The lab file's model without its objects: the underlay, networks, nodes, machines outside. */
  model: ClusterModel;
  statusFile: string;
  readyFile: string;
  /** The pod range the agent registers its Node with (the lab pins the nodes' ranges);
   * absent: kube-controller-manager's node IPAM allocates it. */
  podCIDR?: string;
  /** Nodes that register before this one (the lab file's order, as kubeadm joins them one by
   * one), so node IPAM hands out ranges in the same order every time. */
  registerAfter: string[];
  /** This node's agent also runs the cluster-wide controllers wirelab provides (MetalLB's
   * controller): the API server's node. */
  clusterControllers: boolean;
}

export function staticModel(model: ClusterModel): ClusterModel {
  return {
    ...model,
    pods: [],
    services: [],
    endpointSlices: [],
    networkPolicies: [],
    announcements: [],
    configMaps: [],
    ingress: { ingresses: [], gatewayClasses: [], gateways: [], httpRoutes: [] },
  };
}

export interface ControlPlanePlan {
  ops: Op[];
  processes: ProcessSpec[];
}

export function planControlPlane(model: ClusterModel): ControlPlanePlan {
  const state = labStateDir(model.lab);
  const api = apiServerNode(model);
  const cpNs = netnsName(model.lab, api.name);
  const pki = planPki({
    apiServerIp: api.ip,
    serviceCIDR: model.network.serviceCIDR,
    clusterDomain: model.network.clusterDomain,
    nodes: model.nodes.map((n) => ({ name: n.name, ip: n.ip })),
  });
  const ca = `${state}/${pki.ca}.crt`;
  const kubeconfig = (name: string, server: string, cert: string) =>
    renderKubeconfig({ server, caFile: ca, certFile: `${state}/${cert}.crt`, keyFile: `${state}/${cert}.key` });
  const port = apiLoopbackPort(model.lab);
  const allocate = model.nodes.every((n) => n.podCIDRSource !== 'pinned');
  const ops: Op[] = [
    { kind: 'x509-ca', path: pki.ca, subject: '/CN=wirelab-kubernetes-ca' },
    { kind: 'key-pair', path: pki.serviceAccountKey },
    ...pki.certs.map((c): Op => ({ kind: 'x509-cert', path: c.path, ca: pki.ca, subject: c.subject, usage: c.usage, ...(c.sans ? { sans: c.sans } : {}) })),
    { kind: 'x509-cert', path: clientCert('pods'), ca: pki.ca, subject: '/O=system:masters/CN=wirelab:pods', usage: 'client' },
    { kind: 'file', path: ADMIN_KUBECONFIG, content: kubeconfig('admin', `https://127.0.0.1:${port}`, clientCert('admin')) },
    {
      kind: 'file',
      path: `${KUBECONFIGS}/controller-manager.conf`,
      content: kubeconfig('cm', `https://127.0.0.1:${API_PORT}`, clientCert('controller-manager')),
    },
    { kind: 'file', path: `${KUBECONFIGS}/scheduler.conf`, content: kubeconfig('scheduler', `https://127.0.0.1:${API_PORT}`, clientCert('scheduler')) },
    { kind: 'file', path: KUBE_PROXY_KUBECONFIG, content: kubeconfig('kube-proxy', `https://${api.ip}:${API_PORT}`, clientCert('kube-proxy')) },
    { kind: 'file', path: POD_KUBECONFIG, content: kubeconfig('pods', `https://${kubernetesServiceIp(model.network.serviceCIDR)}:443`, clientCert('pods')) },
    // The lab file's model without its objects, for programs that add the API's objects to it
    // (the ingress controller).
    { kind: 'file', path: MODEL_FILE, content: JSON.stringify(staticModel(model), null, 1) + '\n' },
    ...model.nodes.map((n, i): Op => {
      const config: AgentConfig = {
        lab: model.lab,
        node: n.name,
        server: `https://${api.ip}:${API_PORT}`,
        caFile: ca,
        certFile: `${state}/${clientCert(`node-${n.name}`)}.crt`,
        keyFile: `${state}/${clientCert(`node-${n.name}`)}.key`,
        servingCertFile: `${state}/${kubeletServingCert(n.name)}.crt`,
        servingKeyFile: `${state}/${kubeletServingCert(n.name)}.key`,
        model: staticModel(model),
        statusFile: `${state}/${agentStatusPath(n.name)}`,
        readyFile: `${state}/${agentReadyFile(n.name)}`,
        ...(allocate ? {} : { podCIDR: n.podCIDR }),
        registerAfter: model.nodes.slice(0, i).map((x) => x.name),
        clusterControllers: n.name === api.name,
      };
      return { kind: 'file', path: agentConfigPath(n.name), content: JSON.stringify(config, null, 1) + '\n' };
    }),
  ];
  const config: ControlPlaneConfig = {
    stateDir: state,
    bin: { etcd: ETCD_BIN, apiserver: KUBE_BIN.apiserver, controllerManager: KUBE_BIN.controllerManager, scheduler: KUBE_BIN.scheduler },
    nodeIp: api.ip,
    serviceCIDR: model.network.serviceCIDR,
    podCIDR: model.network.podCIDR,
    nodeCIDRMaskSize: model.network.nodeCIDRMaskSize,
    allocateNodeCIDRs: allocate,
    clusterDomain: model.network.clusterDomain,
  };
  const env = { [PROCESS_MARKER]: model.lab };
  const proc = (name: string, netns: string, argv: string[], stage: number, ready: Partial<ProcessSpec>): ProcessSpec => ({
    netns,
    name,
    argv,
    env,
    stage,
    ...ready,
  });
  const socket = `${state}/${API_SOCKET}`;
  // socat listens with a backlog of 5 by default: a burst of connections (the harness settling
  // while kubectl and the agents talk) got EAGAIN on the unix socket.
  return {
    ops,
    processes: [
      proc(`${api.name}/etcd`, cpNs, etcdArgv(config), 0, { readyTcpPort: 2379 }),
      proc(`${api.name}/api-relay`, cpNs, ['socat', `UNIX-LISTEN:${socket},fork,mode=600,unlink-early,backlog=128`, `TCP:127.0.0.1:${API_PORT}`], 0, {
        readyFile: API_SOCKET,
      }),
      proc(`${api.name}/kube-apiserver`, cpNs, apiserverArgv(config), 1, {
        readyHttps: {
          socketPath: socket,
          path: '/readyz',
          servername: 'kubernetes',
          caFile: ca,
          certFile: `${state}/${clientCert('admin')}.crt`,
          keyFile: `${state}/${clientCert('admin')}.key`,
        },
      }),
      proc(`${api.name}/kube-controller-manager`, cpNs, controllerManagerArgv(config), 2, { readyTcpPort: 10257 }),
      proc(`${api.name}/kube-scheduler`, cpNs, schedulerArgv(config), 2, { readyTcpPort: 10259 }),
      proc('host/api-loopback', '', ['socat', `TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr,backlog=128`, `UNIX-CONNECT:${socket}`], 2, {
        readyTcpPort: port,
      }),
      ...model.nodes.map((n) =>
        proc(`${n.name}/node-agent`, netnsName(model.lab, n.name), [...agentProgram(), '--config', `${state}/${agentConfigPath(n.name)}`], 2, {
          readyFile: agentReadyFile(n.name),
          hostMounts: true,
        }),
      ),
    ],
  };
}
