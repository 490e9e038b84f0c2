// planLab: cluster model -> the full plan (namespaces, steps, processes). Pure.
import type { ClusterModel } from '../model/types.js';
import { netnsName, UNDERLAY } from '../model/names.js';
import { cniBackend } from './cni/registry.js';
import { planOutsideProcesses, planWorkloadFiles, planWorkloads } from './workloads/processes.js';
import { planControlPlane } from './control-plane/plan.js';
import { internetCorefile } from './dns/coredns.js';
import { planNodeBase, planNodeSysctls } from './node.js';
import { planUnderlay, underlayInterfaces } from './underlay.js';
import { outsideNamespaces, planNodeDefaultRoutes, planOutsideHosts, planOutsidePorts, planRouterInternet } from './outside.js';
import { planKubeProxy } from './proxy/registry.js';
import { planKubeletIptables } from './kubelet-iptables.js';
import { planPolicies } from './policy/plan.js';
import { certPath } from './ingress/controller.js';
import { underlayPortName } from '../model/names.js';
import type { Op, Plan, PlannedNamespace } from './types.js';
import { renderResolvConf } from './dns/resolv-conf.js';

/** The lab's namespaces: the switch, the nodes (with the interfaces the pod network gives
 * them), the pods (without a control plane; with one, the node agents make them), the machines
 * outside. */
function labNamespaces(model: ClusterModel, interfaces: Record<string, string[]>, pods: boolean): PlannedNamespace[] {
  return [
    {
      name: UNDERLAY,
      netns: netnsName(model.lab, UNDERLAY),
      kind: 'underlay',
      interfaces: [
        ...underlayInterfaces(model),
        ...model.externals.filter((h) => h.kind === 'client' || h.kind === 'router').map((h) => underlayPortName(h.name)),
      ],
    },
    ...model.nodes.map((n): PlannedNamespace => {
      // With a control plane the pods' host veths come later (hops may still name cni0).
      const own = (interfaces[n.name] ?? []).filter((i) => pods || (!i.startsWith('veth') && !i.startsWith('cali')));
      return { name: n.name, netns: netnsName(model.lab, n.name), kind: 'node', interfaces: ['lo', 'eth0', ...own] };
    }),
    ...(pods
      ? model.pods.map((p): PlannedNamespace => ({
          name: p.name,
          netns: netnsName(model.lab, p.name),
          kind: 'pod',
          interfaces: interfaces[p.name] ?? ['lo', 'eth0'],
        }))
      : []),
    ...outsideNamespaces(model),
  ];
}

/** The machines before any pod network: the underlay and its outside ports, the internet router,
 * every node's sysctls, and kubelet's own iptables rules (kubelet starts before the pod
 * network's and kube-proxy's agents write theirs). */
function planMachines(model: ClusterModel): Op[] {
  return [
    ...planUnderlay(model),
    ...planOutsidePorts(model),
    ...planRouterInternet(model),
    ...model.nodes.flatMap((n) => planNodeSysctls(model, n)),
    ...model.nodes.map((n) => planKubeletIptables(model, n)),
  ];
}

export function planLab(model: ClusterModel): Plan {
  if (model.controlPlane === 'kubernetes') return planLabWithControlPlane(model);
  // The pod network first: kube-proxy and the policy engine build on what it reports.
  const net = cniBackend(model.network.cni).plan(model);
  const namespaces = labNamespaces(model, net.interfaces, true);
  const proxy = planKubeProxy(model, net.nodeAddresses);
  return {
    lab: model.lab,
    namespaces,
    steps: [
      { name: 'namespaces', ops: namespaces.map((n) => ({ kind: 'netns', netns: n.netns })) },
      // Sysctls and iptables rules refer to no device: they run in the node namespaces while
      // the switch namespace builds the underlay (steps are barriers; namespaces run in parallel).
      {
        name: 'underlay, sysctls and rules',
        // Policy rules last: their `-I FORWARD 1` jump must end up before flannel's and
        // kube-proxy's ACCEPTs.
        ops: [...planMachines(model), ...net.ruleOps, ...proxy.ruleOps, ...planPolicies(model, net)],
      },
      { name: 'nodes', ops: [...model.nodes.flatMap((n) => planNodeBase(model, n)), ...planNodeDefaultRoutes(model), ...net.nodeOps, ...proxy.nodeOps] },
      {
        name: 'pods',
        ops: [
          ...net.podOps,
          ...planOutsideHosts(model),
          ...net.fileOps,
          ...planPodResolvConfs(model),
          ...planCertificates(model),
          ...planWorkloadFiles(model).map((f): Op => ({ kind: 'file', path: f.path, content: f.content })),
        ],
      },
    ],
    processes: [...(net.processes ?? []).map((p) => ({ ...p, stage: p.stage ?? 0 })), ...planWorkloads(model)],
    ...(net.converged ? { converged: net.converged } : {}),
  };
}

/** Self-signed certificates for the TLS secrets the lab asks the harness to generate. */
export function planCertificates(model: ClusterModel): Op[] {
  return model.secrets.filter((s) => s.generate).map((s): Op => ({ kind: 'tls-cert', path: certPath(s.namespace, s.name), hosts: s.hosts }));
}

/** Every pod's /etc/resolv.conf, as kubelet writes it for the pod's dnsPolicy. */
export function planPodResolvConfs(model: ClusterModel): Op[] {
  return model.pods.map((p): Op => ({ kind: 'netns-file', netns: netnsName(model.lab, p.name), name: 'resolv.conf', content: renderResolvConf(p.resolver) }));
}

/** The plan a lab's picture is drawn from: with a control plane, the node agents build each
 * pod's network from the same pieces the static plan uses, so the static plan of the model (the
 * lab file's, or the live one the API gives) shows what they built. */
export function topologyPlan(model: ClusterModel): Plan {
  return planLab({ ...model, controlPlane: 'none' });
}

export function opCount(plan: Plan): number {
  return plan.steps.reduce((n, s) => n + s.ops.length, 0);
}

/** A lab with the real control plane: the machines and their cables as a plan, the control
 * plane's PKI and processes, and one node agent per node. Pods, their addresses, kube-proxy's
 * and the policy engine's rules come later, from the API, through the agents. */
function planLabWithControlPlane(model: ClusterModel): Plan {
  // The static plan of the lab file's bare pods tells which interfaces nodes get (cni0,
  // flannel.1): hops may name them before any pod exists.
  const net = cniBackend(model.network.cni).plan(model);
  const cp = planControlPlane(model);
  const namespaces = labNamespaces(model, net.interfaces, false);
  return {
    lab: model.lab,
    namespaces,
    steps: [
      { name: 'namespaces', ops: namespaces.map((n) => ({ kind: 'netns', netns: n.netns })) },
      {
        name: 'underlay and sysctls',
        ops: planMachines(model),
      },
      { name: 'nodes', ops: [...model.nodes.flatMap((n) => planNodeBase(model, n)), ...planNodeDefaultRoutes(model)] },
      {
        name: "outside hosts and the control plane's PKI",
        ops: [
          ...planOutsideHosts(model),
          ...cp.ops,
          ...planCertificates(model),
          ...model.externals
            .filter((h) => h.kind === 'dns')
            .map((h): Op => ({ kind: 'file', path: `outside/${h.name}/Corefile`, content: internetCorefile(h.records ?? {}) })),
        ],
      },
    ],
    processes: [...planOutsideProcesses(model), ...cp.processes],
  };
}
