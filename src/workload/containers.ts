// Which container images the harness can run, and the process each becomes. There is no image
// runtime on these machines: a "container" is a process started inside the pod's network
// namespace, next to the pod's pause process.
import { fileURLToPath } from 'node:url';
import type { ClusterModel, Container, Pod } from '../model/types.js';
import { labStateDir, netnsName, PROCESS_MARKER } from '../model/names.js';
import type { ProcessSpec } from '../plan/types.js';
import type { PathProblem } from '../spec/validate.js';

export const AGNHOST_SCRIPT = fileURLToPath(new URL('./agnhost.mjs', import.meta.url));

interface ImageKind {
  /** How the image is recognised (repository, without tag). */
  matches: (image: string) => boolean;
  label: string;
  commands: string[];
  argv: (c: Container) => string[];
}

const IMAGES: ImageKind[] = [
  {
    label: 'registry.k8s.io/e2e-test-images/agnhost',
    matches: (image) => /(^|\/)agnhost(:|@|$)/.test(image),
    commands: ['serve-hostname'],
    argv: (c) => [process.execPath, AGNHOST_SCRIPT, ...c.args],
  },
];

export function checkContainers(model: ClusterModel, manifestIndex: (pod: Pod) => number): PathProblem[] {
  const problems: PathProblem[] = [];
  for (const pod of model.pods) {
    pod.containers.forEach((c, i) => {
      const path = ['manifests', manifestIndex(pod), 'spec', 'containers', i];
      const kind = IMAGES.find((k) => k.matches(c.image));
      if (!kind) {
        problems.push({ path: [...path, 'image'], message: `image "${c.image}" cannot be run here: there is no container runtime, and the harness only knows how to run ${IMAGES.map((k) => k.label).join(', ')}`, fix: `use ${IMAGES[0].label}:2.53 with args [serve-hostname, --port=80]` });
      } else if (!kind.commands.includes(c.args[0] ?? '')) {
        problems.push({ path: [...path, 'args'], message: `${kind.label} command "${c.args[0] ?? ''}" is not implemented`, fix: `use one of: ${kind.commands.join(', ')}` });
      }
    });
  }
  return problems;
}

export const L2_SPEAKER_SCRIPT = fileURLToPath(new URL('./l2-speaker.py', import.meta.url));
/** Debian's interpreter, not a user's pyenv shim: the speaker needs only the standard library. */
export const PYTHON = '/usr/bin/python3';

export function planWorkloads(model: ClusterModel): ProcessSpec[] {
  const state = labStateDir(model.lab);
  const out: ProcessSpec[] = [];
  // Hosts of the lab's "internet" answer HTTP with their name, like the pods do.
  for (const h of model.externals.filter((x) => x.kind === 'internet')) {
    const readyFile = `ready/${h.name}_web`;
    out.push({
      netns: netnsName(model.lab, h.name),
      name: `${h.name}/web`,
      argv: [process.execPath, AGNHOST_SCRIPT, 'serve-hostname', '--port=80'],
      env: { [PROCESS_MARKER]: model.lab, WIRELAB_HOSTNAME: h.name, WIRELAB_READY_FILE: `${state}/${readyFile}` },
      readyFile,
    });
  }
  // MetalLB's speaker (a hostNetwork DaemonSet pod) on each node that won an election.
  const byNode = new Map<string, string[]>();
  for (const a of model.announcements) byNode.set(a.node, [...(byNode.get(a.node) ?? []), a.ip]);
  for (const [node, ips] of [...byNode.entries()].sort()) {
    const readyFile = `ready/${node}_speaker`;
    out.push({
      netns: netnsName(model.lab, node),
      name: `${node}/metallb-speaker`,
      argv: [PYTHON, L2_SPEAKER_SCRIPT, '--interface', 'eth0', ...ips.flatMap((ip) => ['--ip', ip]), '--ready-file', `${state}/${readyFile}`],
      env: { [PROCESS_MARKER]: model.lab },
      readyFile,
    });
  }
  for (const pod of model.pods) {
    const netns = netnsName(model.lab, pod.name);
    const env = { [PROCESS_MARKER]: model.lab, WIRELAB_HOSTNAME: pod.name };
    // The pause process: owns nothing the bind-mounted namespace does not already hold, but it
    // is what a pod looks like on a node (and what `lab exec` users expect to see in `ps`).
    out.push({ netns, name: `${pod.name}/pause`, argv: ['sleep', 'infinity'], env });
    for (const c of pod.containers) {
      const kind = IMAGES.find((k) => k.matches(c.image))!;
      const readyFile = `ready/${pod.name}_${c.name}`;
      out.push({ netns, name: `${pod.name}/${c.name}`, argv: kind.argv(c), env: { ...env, WIRELAB_READY_FILE: `${state}/${readyFile}` }, readyFile });
    }
  }
  return out;
}
