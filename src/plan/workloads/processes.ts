// The lab's long-running processes and the files they read: every pod's pause process and
// containers, the hosts of the lab's "internet", its read-only API server, the internet DNS
// server and the MetalLB speakers, each with how the executor knows it is ready.
import type { ClusterModel, Pod } from '../../model/types.js';
import { labStateDir, netnsName, PROCESS_MARKER } from '../../model/names.js';
import type { ProcessSpec } from '../types.js';
import { internetCorefile } from '../dns/coredns.js';
import { controllerKind } from '../ingress/controller.js';
import { COREDNS_BIN, L2_SPEAKER_SCRIPT, MODEL_FILE, PYTHON } from './programs.js';
import { agnhostArgv } from './agnhost.js';
import { imageKind } from './images.js';

/** Files the lab's processes read, in the state directory. */
export function planWorkloadFiles(model: ClusterModel): { path: string; content: string }[] {
  const files: { path: string; content: string }[] = [];
  for (const pod of model.pods) files.push(...planPodFiles(model, pod));
  for (const h of model.externals.filter((x) => x.kind === 'dns'))
    files.push({ path: `outside/${h.name}/Corefile`, content: internetCorefile(h.records ?? {}) });
  // The lab's objects, which the ingress controllers render from (without a control plane).
  if (model.pods.some((p) => p.containers.some((c) => controllerKind(c.image))))
    files.push({ path: MODEL_FILE, content: JSON.stringify(model, null, 1) + '\n' });
  return files;
}

/** The machines of the lab's "internet": web hosts answering with their name, its DNS server. */
export function planOutsideProcesses(model: ClusterModel): ProcessSpec[] {
  const state = labStateDir(model.lab);
  const out: ProcessSpec[] = [];
  // Hosts of the lab's "internet" answer HTTP with their name, like the pods do (agnhost).
  for (const h of model.externals.filter((x) => x.kind === 'internet')) {
    out.push({
      netns: netnsName(model.lab, h.name),
      name: `${h.name}/web`,
      argv: agnhostArgv({ args: ['serve-hostname', '--port=80'] }, h.name),
      env: { [PROCESS_MARKER]: model.lab },
      readyTcpPort: 80,
    });
  }
  // The internet DNS server (real CoreDNS, hosts plugin).
  for (const h of model.externals.filter((x) => x.kind === 'dns')) {
    out.push({
      netns: netnsName(model.lab, h.name),
      name: `${h.name}/coredns`,
      argv: [COREDNS_BIN, '-conf', `${state}/outside/${h.name}/Corefile`],
      env: { [PROCESS_MARKER]: model.lab },
      readyUdpPort: 53,
      stage: 0,
    });
  }
  return out;
}

/** MetalLB's speaker (a hostNetwork DaemonSet pod) on a node that won the election for these
 * addresses. */
export function planSpeaker(model: ClusterModel, node: string, ips: string[]): ProcessSpec {
  const readyFile = `ready/${node}_speaker`;
  return {
    netns: netnsName(model.lab, node),
    name: `${node}/metallb-speaker`,
    argv: [PYTHON, L2_SPEAKER_SCRIPT, '--interface', 'eth0', ...ips.flatMap((ip) => ['--ip', ip]), '--ready-file', `${labStateDir(model.lab)}/${readyFile}`],
    env: { [PROCESS_MARKER]: model.lab },
    readyFile,
  };
}

/** A pod's processes: its pause process and one per container, each with how it shows it is ready. */
export function planPodProcesses(model: ClusterModel, pod: Pod): ProcessSpec[] {
  const netns = netnsName(model.lab, pod.name);
  const env = { [PROCESS_MARKER]: model.lab };
  // The pause process: owns nothing the bind-mounted namespace does not already hold, but it
  // is what a pod looks like on a node (and what `lab exec` users expect to see in `ps`).
  const out: ProcessSpec[] = [{ netns, name: `${pod.name}/pause`, argv: ['sleep', 'infinity'], env }];
  for (const c of pod.containers) {
    const kind = imageKind(c.image)!;
    const ready = kind.ready(c);
    out.push({
      netns,
      name: `${pod.name}/${c.name}`,
      argv: kind.argv(c, pod, model),
      env,
      ...(ready === 'started' ? {} : { readyTcpPort: ready.tcp, readyUdpPort: ready.udp }),
    });
  }
  return out;
}

/** Files a pod's containers read (a CoreDNS pod's Corefile), in the state directory. */
export function planPodFiles(model: ClusterModel, pod: Pod): { path: string; content: string }[] {
  return pod.containers.flatMap((c) => imageKind(c.image)?.files?.(c, pod, model) ?? []);
}

export function planWorkloads(model: ClusterModel): ProcessSpec[] {
  const out: ProcessSpec[] = [...planOutsideProcesses(model)];
  const byNode = new Map<string, string[]>();
  for (const a of model.announcements) byNode.set(a.node, [...(byNode.get(a.node) ?? []), a.ip]);
  for (const [node, ips] of [...byNode.entries()].sort()) out.push(planSpeaker(model, node, ips));
  for (const pod of model.pods) out.push(...planPodProcesses(model, pod));
  return out;
}
