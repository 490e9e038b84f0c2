// The node agent as kubelet for one pod: the sandbox (the pod's namespace, the pod network's
// ADD with the address host-local IPAM gave it, its resolv.conf), then its containers (the
// images registry decides what each runs; an image or configuration it cannot run leaves the
// container waiting with kubelet's reason), then readiness. Stopping undoes it: processes,
// then the namespace (which takes the pod's end of the veth, and with it the host's end).
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { ClusterModel, Node, Pod } from '../model/types.js';
import { netnsName } from '../model/names.js';
import type { DynamicCni } from '../plan/cni/types.js';
import type { Op } from '../plan/types.js';
import { renderResolvConf } from '../plan/dns/resolv-conf.js';
import { planPodFiles, planPodProcesses } from '../plan/workloads/processes.js';
import { imageKind, IMAGES } from '../plan/workloads/images.js';
import { applyPlan } from '../kernel/apply.js';
import { startProcesses, type StartedProcess } from '../kernel/staging.js';
import { findLabProcesses, stopProcesses } from '../kernel/processes.js';
import { run } from '../kernel/exec.js';
import type { ContainerState } from './decide.js';

/** Applies ops as one plan step (the executor groups them per namespace, as for `lab up`). */
export async function applyOps(lab: string, name: string, ops: Op[]): Promise<void> {
  if (ops.length > 0) await applyPlan({ lab, namespaces: [], steps: [{ name, ops }], processes: [] });
}

/** Containers kubelet could not start, with its reason: an image there is no program for
 * (ErrImagePull, with the images that can run), or a configuration the container cannot use
 * (CreateContainerConfigError: a missing ConfigMap key, an agnhost command not built in). */
export function blockedContainers(model: ClusterModel, pod: Pod): ContainerState[] {
  const known = IMAGES.map((k) => k.label).join(', ');
  return pod.containers.flatMap((c): ContainerState[] => {
    const kind = imageKind(c.image);
    if (!kind)
      return [{ name: c.name, image: c.image, waiting: { reason: 'ErrImagePull', message: `image "${c.image}" cannot be run here: wirelab runs ${known}` } }];
    const problem = kind.check(c, pod, model);
    return problem
      ? [{ name: c.name, image: c.image, waiting: { reason: 'CreateContainerConfigError', message: `${problem.message} (${problem.fix ?? problem.field})` } }]
      : [];
  });
}

/** The sandbox: namespace, network, resolv.conf. Returns the host side of the pod's veth. */
export async function createSandbox(model: ClusterModel, node: Node, cni: DynamicCni, pod: Pod): Promise<string> {
  const netns = netnsName(model.lab, pod.name);
  const net = cni.podSetup(model, node, pod);
  // The namespace, then the node's side (which makes the veth and moves its end into the
  // pod), then the pod's side: the executor runs a step's namespaces side by side.
  const inPod = (o: Op) => 'netns' in o && o.netns === netns;
  await applyPlan({
    lab: model.lab,
    namespaces: [],
    processes: [],
    steps: [
      { name: `sandbox of ${pod.namespace}/${pod.name}`, ops: [{ kind: 'netns', netns }] },
      { name: `network of ${pod.namespace}/${pod.name} (node)`, ops: net.ops.filter((o) => !inPod(o)) },
      {
        name: `network of ${pod.namespace}/${pod.name} (pod)`,
        ops: [...net.ops.filter(inPod), { kind: 'netns-file', netns, name: 'resolv.conf', content: renderResolvConf(pod.resolver) }],
      },
    ],
  });
  return net.hostVeth;
}

/** The pause process and the containers, each ready (listening, or its ready file written);
 * the containers `detached` leaves out are the caller's to start (consoles: stdin kept open). */
export async function startContainers(
  model: ClusterModel,
  pod: Pod,
  onStarted?: (started: StartedProcess[]) => void,
  detached: (container: string) => boolean = () => true,
): Promise<void> {
  await applyOps(
    model.lab,
    `files of ${pod.namespace}/${pod.name}`,
    planPodFiles(model, pod).map((f): Op => ({ kind: 'file', path: f.path, content: f.content })),
  );
  const procs = planPodProcesses(model, pod).filter((p) => p.name === `${pod.name}/pause` || detached(p.name.slice(pod.name.length + 1)));
  await startProcesses(model.lab, procs, {
    timeoutMs: 20_000,
    onStarted: async (started) => onStarted?.(started),
  });
}

/** Only the pause process (a pod whose containers cannot start still has its sandbox). */
export async function startPause(model: ClusterModel, pod: Pod): Promise<void> {
  await startProcesses(model.lab, planPodProcesses({ ...model }, { ...pod, containers: [] }), { timeoutMs: 20_000 });
}

export async function stopPod(lab: string, podName: string): Promise<void> {
  const netns = netnsName(lab, podName);
  if (!existsSync(`/run/netns/${netns}`)) return;
  await stopProcesses(await findLabProcesses([netns], lab, false));
  await run(['ip', 'netns', 'del', netns], { allowFailure: true });
  await rm(`/etc/netns/${netns}`, { recursive: true, force: true });
}
