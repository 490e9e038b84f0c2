// NetworkPolicy as plan operations: one iptables-restore per node with the rules of the pods on
// that node, when the pod network enforces policies (Calico-style, Canal). A pod network that
// does not (flannel alone) accepts the objects and changes nothing, as in a real cluster.
import type { ClusterModel } from '../../model/types.js';
import { netnsName, podVethName } from '../../model/names.js';
import type { Op } from '../types.js';
import { calicoVethName } from '../cni/calico-names.js';
import { parseNetworkPolicy } from '../../k8s/network-policy.js';
import { renderPodsFromModel, renderPolicyRules } from './render.js';
import type { NetworkPolicy } from '../../k8s/network-policy-types.js';

export function modelPolicies(model: ClusterModel): NetworkPolicy[] {
  return model.networkPolicies.map((m) => parseNetworkPolicy(m).policy).filter((p): p is NetworkPolicy => p !== undefined);
}

export function planPolicies(model: ClusterModel, enforce: boolean): Op[] {
  const policies = modelPolicies(model);
  if (!enforce || policies.length === 0) return [];
  const hostVeth = model.network.cni.startsWith('calico') ? calicoVethName : podVethName;
  const pods = renderPodsFromModel(model.pods, hostVeth);
  return model.nodes.map((n): Op => ({
    kind: 'iptables-restore',
    netns: netnsName(model.lab, n.name),
    rules: renderPolicyRules({ node: n.name, pods, namespaces: model.namespaces, policies }),
  }));
}
