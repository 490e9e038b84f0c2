// The programs lab processes run, and how each is started: the ones in images/ (what containers
// run: agnhost, the ingress controller, the MetalLB speaker) and the ones setup builds (CoreDNS,
// the Kubernetes components). TypeScript programs run from their build in dist/images (setup and
// `lab` rebuild it when a source changed), so a container starts in milliseconds.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGES_DIR, REPO_ROOT, TOOLS_BIN_DIR } from '../../paths.js';

/** MetalLB's layer-2 speaker (Python, standard library only). */
export const L2_SPEAKER_SCRIPT = join(IMAGES_DIR, 'metallb-speaker/l2-speaker.py');
/** A command started inside a pod as the container runtime starts `kubectl exec`'s: on a
 * pseudo-terminal of its own (-t), or without (a shell script: it starts in a millisecond). */
export const CONTAINER_EXEC_SCRIPT = join(IMAGES_DIR, 'container-exec/container-exec.py');
export const CONTAINER_EXEC_SH = join(IMAGES_DIR, 'container-exec/exec.sh');
/** Debian's interpreter, not a user's pyenv shim: the speaker needs only the standard library. */
export const PYTHON = '/usr/bin/python3';
/** Real CoreDNS, built from source by scripts/build-coredns.sh. */
export const COREDNS_BIN = join(TOOLS_BIN_DIR, 'coredns');
/** The Kubernetes components built from source (scripts/build-kubernetes.sh). */
export const KUBE_BIN = {
  apiserver: join(TOOLS_BIN_DIR, 'kube-apiserver'),
  controllerManager: join(TOOLS_BIN_DIR, 'kube-controller-manager'),
  scheduler: join(TOOLS_BIN_DIR, 'kube-scheduler'),
  proxy: join(TOOLS_BIN_DIR, 'kube-proxy'),
  agnhost: join(TOOLS_BIN_DIR, 'agnhost'),
};
/** Debian's etcd-server. */
export const ETCD_BIN = '/usr/bin/etcd';

/** kubectl: the one built with the components, or the system's when it was recent enough that
 * the build left it out. */
export function kubectlBin(): string {
  return existsSync(join(TOOLS_BIN_DIR, 'kubectl')) ? join(TOOLS_BIN_DIR, 'kubectl') : 'kubectl';
}

/** V8 flags the harness passes on to the Node programs it starts when it runs with them itself.
 * In a TCG guest the VM runner starts the harness with these (vm/qemu.ts TCG_NODE_FLAGS), and the
 * node agents and the ingress controller it starts there run under the same emulated CPUs. */
export const INHERITED_NODE_FLAGS = ['--no-wasm-tier-up'];

/** argv that runs a built Node program with the harness's own Node and its inherited flags. */
function nodeProgram(script: string, execArgv: readonly string[] = process.execArgv): string[] {
  return [process.execPath, ...execArgv.filter((f) => INHERITED_NODE_FLAGS.includes(f)), script];
}

/** The node agent (kubelet, kube-proxy and the policy agent of a node), built to dist/. */
export function agentProgram(execArgv?: readonly string[]): string[] {
  return nodeProgram(join(REPO_ROOT, 'dist', 'agent', 'main.js'), execArgv);
}

/** Where the TypeScript programs of images/ are built (scripts/build.mjs). */
export const IMAGES_BUILD_DIR = join(REPO_ROOT, 'dist', 'images');

/** argv prefix that runs a TypeScript program of images/<name>/main.ts from its build. */
export function imageProgram(name: 'ingress-controller', execArgv?: readonly string[]): string[] {
  return nodeProgram(join(IMAGES_BUILD_DIR, `${name}.js`), execArgv);
}

/** The lab's model, for the ingress controller (a state-directory file). */
export const MODEL_FILE = 'model.json';

/** The built programs a lab runs (what `lab up` checks before it creates anything). */
export function programsOf(o: {
  controlPlane: 'kubernetes' | 'none';
  images: string[];
  internetHosts: boolean;
  kubectlSteps: boolean;
}): { what: string; path: string }[] {
  const out: { what: string; path: string }[] = [];
  if (o.internetHosts || o.images.some((i) => /(^|\/)agnhost(:|@|$)/.test(i))) out.push({ what: 'agnhost', path: KUBE_BIN.agnhost });
  if (o.controlPlane === 'kubernetes' || o.images.some((i) => /(^|\/)coredns\/coredns(:|@|$)/.test(i))) out.push({ what: 'CoreDNS', path: COREDNS_BIN });
  if (o.controlPlane === 'kubernetes')
    out.push(
      { what: 'etcd', path: ETCD_BIN },
      { what: 'kube-apiserver', path: KUBE_BIN.apiserver },
      { what: 'kube-controller-manager', path: KUBE_BIN.controllerManager },
      { what: 'kube-scheduler', path: KUBE_BIN.scheduler },
    );
  if (o.kubectlSteps) out.push({ what: 'kubectl', path: kubectlBin() });
  return out;
}
