// Where the control plane's files are in a lab's state directory: shared by the plan of the
// control plane, the pods that use the API (CoreDNS, the ingress controller) and `lab kubectl`.

/** The unix socket that reaches the API server from outside the lab's network: the harness's
 * own client uses it, and so does the loopback relay. */
export const API_SOCKET = 'api.sock';
export const KUBECONFIGS = 'kubeconfigs';
/** kubeconfig for users on this machine (`lab kubectl`, `lab env`): the loopback relay. */
export const ADMIN_KUBECONFIG = `${KUBECONFIGS}/admin.conf`;
/** kubeconfig for pods that use the API (CoreDNS, the ingress controller): the `kubernetes`
 * service, through kube-proxy like any pod. Its context is KUBECONFIG_CONTEXT. */
export const POD_KUBECONFIG = `${KUBECONFIGS}/pods.conf`;
/** For the real kube-proxy (the differential test): user system:kube-proxy, which the bootstrap
 * RBAC binds to system:node-proxier, against the API server's address from any node. */
export const KUBE_PROXY_KUBECONFIG = `${KUBECONFIGS}/kube-proxy.conf`;
export const KUBECONFIG_CONTEXT = 'wirelab';
export const agentConfigPath = (node: string) => `agents/${node}.json`;
export const agentStatusPath = (node: string) => `agents/${node}.status.json`;
export const agentReadyFile = (node: string) => `ready/agent-${node}`;
