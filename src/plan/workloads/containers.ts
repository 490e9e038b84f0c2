// Which container images the harness can run, and the process each becomes. There is no image
// runtime on these machines: a "container" is a process started inside the pod's network
// namespace, next to the pod's pause process.
import { join } from 'node:path';
import { IMAGES_DIR, REPO_ROOT } from '../../paths.js';
import type { ClusterModel, Container, Pod } from '../../model/types.js';
import { labStateDir, netnsName, PROCESS_MARKER } from '../../model/names.js';
import type { ProcessSpec } from '../types.js';
import type { PathProblem } from '../../labfile/validate.js';
import { COREDNS_BIN, internetCorefile, withKubeconfig } from '../dns/coredns.js';
import { KUBECONFIG_CONTEXT } from '../../../images/kube-apiserver/kubeconfig.js';
import { controllerKind, nginxConfFor } from '../ingress/controller.js';

export const AGNHOST_SCRIPT = join(IMAGES_DIR, 'agnhost/agnhost.mjs');
const RUN_TS = join(REPO_ROOT, 'bin/run-ts.js');
const APISERVER_MAIN = join(IMAGES_DIR, 'kube-apiserver/main.ts');
const INGRESS_CONTROLLER_MAIN = join(IMAGES_DIR, 'ingress-controller/main.ts');

interface ImageKind {
  /** How the image is recognised (repository, without tag). */
  matches: (image: string) => boolean;
  label: string;
  /** What is wrong with this container for the harness, if anything. */
  check: (c: Container, pod: Pod, model: ClusterModel) => { field: string; message: string; fix: string } | undefined;
  argv: (c: Container, pod: Pod, model: ClusterModel) => string[];
  /** Files the container needs (relative to the state dir), e.g. its mounted ConfigMap keys. */
  files?: (c: Container, pod: Pod, model: ClusterModel) => { path: string; content: string }[];
  /** Ready once it listens on this UDP port (for programs that write no ready file). */
  readyUdpPort?: number;
  /** ... or on this TCP port. */
  readyTcpPort?: number;
}

const AGNHOST_COMMANDS = ['serve-hostname'];

/** Where kubelet would put a ConfigMap key that a container reads at `path`: the volume mount
 * whose mountPath contains it, the ConfigMap of that volume, the key named by the file. */
export function configMapFile(c: Container, pod: Pod, model: ClusterModel, path: string): { content?: string; problem?: string } {
  const mount = c.volumeMounts.find((m) => path.startsWith(m.mountPath.replace(/\/?$/, '/')));
  if (!mount) return { problem: `no volumeMount contains ${path}` };
  const volume = pod.volumes.find((v) => v.name === mount.name);
  if (!volume?.configMap) return { problem: `volume "${mount.name}" is not a ConfigMap volume` };
  const cm = model.configMaps.find((x) => x.name === volume.configMap && x.namespace === pod.namespace);
  if (!cm) return { problem: `ConfigMap ${pod.namespace}/${volume.configMap} is not in the lab file` };
  const key = path.slice(mount.mountPath.replace(/\/?$/, '/').length);
  if (cm.data[key] === undefined) return { problem: `ConfigMap ${pod.namespace}/${cm.name} has no key "${key}"` };
  return { content: cm.data[key] };
}

const corefileArg = (c: Container) => c.args[c.args.indexOf('-conf') + 1];
export const podFilesDir = (pod: Pod) => `pods/${pod.namespace}/${pod.name}`;

const IMAGES: ImageKind[] = [
  {
    label: 'registry.k8s.io/e2e-test-images/agnhost',
    matches: (image) => /(^|\/)agnhost(:|@|$)/.test(image),
    check: (c) => (AGNHOST_COMMANDS.includes(c.args[0] ?? '') ? undefined : { field: 'args', message: `agnhost command "${c.args[0] ?? ''}" is not implemented`, fix: `use one of: ${AGNHOST_COMMANDS.join(', ')}` }),
    argv: (c) => [process.execPath, AGNHOST_SCRIPT, ...c.args],
  },
  {
    // CoreDNS as kubeadm deploys it: args [-conf, /etc/coredns/Corefile], the Corefile from the
    // "coredns" ConfigMap mounted at /etc/coredns. Real CoreDNS, built from source.
    label: 'registry.k8s.io/coredns/coredns',
    matches: (image) => /(^|\/)coredns\/coredns(:|@|$)/.test(image),
    check: (c, pod, model) => {
      if (!c.args.includes('-conf') || !corefileArg(c)) return { field: 'args', message: 'CoreDNS needs -conf <path to the Corefile>', fix: 'args: [-conf, /etc/coredns/Corefile]' };
      const f = configMapFile(c, pod, model, corefileArg(c));
      return f.problem ? { field: 'volumeMounts', message: `the Corefile ${corefileArg(c)}: ${f.problem}`, fix: 'mount the coredns ConfigMap (key Corefile) at /etc/coredns, as kubeadm does' } : undefined;
    },
    files: (c, pod, model) => [
      { path: `${podFilesDir(pod)}/Corefile`, content: withKubeconfig(configMapFile(c, pod, model, corefileArg(c)).content!, `${labStateDir(model.lab)}/${KUBECONFIG_FILE}`, KUBECONFIG_CONTEXT) },
    ],
    argv: (c, pod, model) => {
      const args = [...c.args];
      args[args.indexOf('-conf') + 1] = `${labStateDir(model.lab)}/${podFilesDir(pod)}/Corefile`;
      return [COREDNS_BIN, ...args];
    },
    readyUdpPort: 53,
  },
  {
    // An ingress controller pod: real nginx (Debian's package) with the configuration the
    // controller would generate from the lab's Ingress / Gateway API objects (src/ingress).
    label: 'registry.k8s.io/ingress-nginx/controller',
    matches: (image) => controllerKind(image) !== undefined,
    check: () => undefined,
    // The pod directory (and nginx.conf, rendered once more by the controller at start).
    files: (c, pod, model) => [{ path: `${podFilesDir(pod)}/nginx.conf`, content: nginxConfFor(model, pod, c, `${labStateDir(model.lab)}/${podFilesDir(pod)}`) }],
    argv: (c, pod, model) => [
      process.execPath, RUN_TS, INGRESS_CONTROLLER_MAIN,
      '--model', `${labStateDir(model.lab)}/${MODEL_FILE}`, '--pod', `${pod.namespace}/${pod.name}`, '--container', c.name, '--dir', `${labStateDir(model.lab)}/${podFilesDir(pod)}`,
    ],
    readyTcpPort: 80,
  },
];

export const KUBECONFIG_FILE = 'kubeconfig';
export const MODEL_FILE = 'model.json';

/** Whether the lab runs a pod that needs the Kubernetes API (CoreDNS's kubernetes plugin). */
export function needsApiServer(model: ClusterModel): boolean {
  return model.pods.some((p) => p.containers.some((c) => IMAGES[1].matches(c.image)));
}

/** Where the API server runs: the first control-plane node (a kubeadm cluster's kube-apiserver
 * is a static pod with the host network there), port 6443. */
export function apiServerEndpoint(model: ClusterModel): { node: string; ip: string; port: number } {
  const node = model.nodes.find((n) => n.role === 'control-plane') ?? model.nodes[0];
  return { node: node.name, ip: node.ip, port: 6443 };
}

export function checkContainers(model: ClusterModel, manifestIndex: (pod: Pod) => number): PathProblem[] {
  const problems: PathProblem[] = [];
  for (const pod of model.pods) {
    pod.containers.forEach((c, i) => {
      const path = ['manifests', manifestIndex(pod), 'spec', 'containers', i];
      const kind = IMAGES.find((k) => k.matches(c.image));
      if (!kind) {
        problems.push({ path: [...path, 'image'], message: `image "${c.image}" cannot be run here: there is no container runtime, and the harness only knows how to run ${IMAGES.map((k) => k.label).join(', ')}`, fix: `use ${IMAGES[0].label}:2.53 with args [serve-hostname, --port=80]` });
        return;
      }
      const problem = kind.check(c, pod, model);
      if (problem) problems.push({ path: [...path, problem.field], message: problem.message, fix: problem.fix });
    });
  }
  return problems;
}

/** Files the lab's processes read, in the state directory. */
export function planWorkloadFiles(model: ClusterModel): { path: string; content: string }[] {
  const files: { path: string; content: string }[] = [];
  for (const pod of model.pods) for (const c of pod.containers) files.push(...(IMAGES.find((k) => k.matches(c.image))?.files?.(c, pod, model) ?? []));
  for (const h of model.externals.filter((x) => x.kind === 'dns')) files.push({ path: `outside/${h.name}/Corefile`, content: internetCorefile(h.records ?? {}) });
  // The lab's objects, which the API server serves and the ingress controllers render from.
  if (needsApiServer(model) || model.pods.some((p) => p.containers.some((c) => controllerKind(c.image)))) files.push({ path: MODEL_FILE, content: JSON.stringify(model, null, 1) + '\n' });
  return files;
}

export const L2_SPEAKER_SCRIPT = join(IMAGES_DIR, 'metallb-speaker/l2-speaker.py');
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
  // The lab's read-only Kubernetes API, started (and ready) before anything that watches it.
  if (needsApiServer(model)) {
    const api = apiServerEndpoint(model);
    const readyFile = 'ready/kube-apiserver';
    out.push({
      netns: netnsName(model.lab, api.node),
      name: `${api.node}/kube-apiserver`,
      argv: [process.execPath, RUN_TS, APISERVER_MAIN, '--model', `${state}/${MODEL_FILE}`, '--listen', `${api.ip}:${api.port}`, '--kubeconfig', `${state}/${KUBECONFIG_FILE}`, '--ready-file', `${state}/${readyFile}`],
      env: { [PROCESS_MARKER]: model.lab },
      readyFile,
      stage: 0,
    });
  }
  // The internet DNS server (real CoreDNS, hosts plugin).
  for (const h of model.externals.filter((x) => x.kind === 'dns')) {
    out.push({ netns: netnsName(model.lab, h.name), name: `${h.name}/coredns`, argv: [COREDNS_BIN, '-conf', `${state}/outside/${h.name}/Corefile`], env: { [PROCESS_MARKER]: model.lab }, readyUdpPort: 53, stage: 0 });
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
      const name = `${pod.name}/${c.name}`;
      if (kind.readyUdpPort !== undefined || kind.readyTcpPort !== undefined) {
        out.push({ netns, name, argv: kind.argv(c, pod, model), env, readyUdpPort: kind.readyUdpPort, readyTcpPort: kind.readyTcpPort });
        continue;
      }
      const readyFile = `ready/${pod.name}_${c.name}`;
      out.push({ netns, name, argv: kind.argv(c, pod, model), env: { ...env, WIRELAB_READY_FILE: `${state}/${readyFile}` }, readyFile });
    }
  }
  return out;
}
