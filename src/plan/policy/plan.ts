// NetworkPolicy as plan operations: one iptables-restore per node with the rules of the pods on
// that node, when the pod network enforces policies (Calico-style, Canal). A pod network that
// does not (flannel alone) accepts the objects and changes nothing, as in a real cluster.
import type { ClusterModel } from '../../model/types.js';
import { netnsName } from '../../model/names.js';
import type { Op } from '../types.js';
import { renderPodsFromModel, renderPolicyRules } from './render.js';

/** What the pod network's plan says about the nodes it programmed. */
export interface PolicyDataplane {
  enforcesPolicy: boolean;
  /** Host side of each pod's veth, by "namespace/name". */
  hostVeths: Record<string, string>;
}

export function planPolicies(model: ClusterModel, dataplane: PolicyDataplane): Op[] {
  if (!dataplane.enforcesPolicy || model.networkPolicies.length === 0) return [];
  const pods = renderPodsFromModel(model.pods, (namespace, pod) => dataplane.hostVeths[`${namespace}/${pod}`]);
  return model.nodes.map((n): Op => ({
    kind: 'iptables-restore',
    netns: netnsName(model.lab, n.name),
    rules: renderPolicyRules({ node: n.name, pods, namespaces: model.namespaces, policies: model.networkPolicies }),
  }));
}
