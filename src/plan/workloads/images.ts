// Which container images the harness can run, and the process each becomes. There is no image
// runtime on these machines: a "container" is a process started inside the pod's network
// namespace, next to the pod's pause process, running the program of images/ (or CoreDNS) that
// the image stands for. An image the harness cannot run is refused with the list it can.
import type { ClusterModel, Container, Pod } from '../../model/types.js';
import { labStateDir } from '../../model/names.js';
import type { PathProblem } from '../../labfile/validate.js';
import { withKubeconfig } from '../dns/coredns.js';
import { controllerKind, nginxConfFor } from '../ingress/controller.js';
import { COREDNS_BIN, imageProgram, MODEL_FILE } from './programs.js';
import { agnhostArgs, agnhostArgv, agnhostProblem, agnhostReadiness, type Readiness } from './agnhost.js';
import { KUBECONFIG_CONTEXT, POD_KUBECONFIG } from '../control-plane/paths.js';

const COREDNS_IMAGE = 'registry.k8s.io/coredns/coredns';

export interface ImageKind {
  /** How the image is recognised (repository, without tag). */
  matches: (image: string) => boolean;
  label: string;
  /** What is wrong with this container for the harness, if anything. */
  check: (c: Container, pod: Pod, model: ClusterModel) => { field: string; message: string; fix: string } | undefined;
  argv: (c: Container, pod: Pod, model: ClusterModel) => string[];
  /** Files the container needs (relative to the state dir), e.g. its mounted ConfigMap keys. */
  files?: (c: Container, pod: Pod, model: ClusterModel) => { path: string; content: string }[];
  /** Ready once it listens on these ports, or as soon as it runs (a shell, a sleep). */
  ready: (c: Container) => Readiness;
}

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

export const IMAGES: ImageKind[] = [
  {
    // The real agnhost, built from the pinned Kubernetes version (see agnhost.ts).
    label: 'registry.k8s.io/e2e-test-images/agnhost',
    matches: (image) => /(^|\/)agnhost(:|@|$)/.test(image),
    check: (c) => {
      const p = agnhostProblem(agnhostArgs(c));
      return p ? { field: 'args', ...p } : undefined;
    },
    argv: (c, pod) => agnhostArgv(c, pod.name),
    ready: (c) => agnhostReadiness(agnhostArgs(c)),
  },
  {
    // CoreDNS as kubeadm deploys it: args [-conf, /etc/coredns/Corefile], the Corefile from the
    // "coredns" ConfigMap mounted at /etc/coredns. Real CoreDNS, built from source.
    label: COREDNS_IMAGE,
    matches: (image) => /(^|\/)coredns\/coredns(:|@|$)/.test(image),
    check: (c, pod, model) => {
      if (!c.args.includes('-conf') || !corefileArg(c))
        return { field: 'args', message: 'CoreDNS needs -conf <path to the Corefile>', fix: 'args: [-conf, /etc/coredns/Corefile]' };
      const f = configMapFile(c, pod, model, corefileArg(c));
      return f.problem
        ? {
            field: 'volumeMounts',
            message: `the Corefile ${corefileArg(c)}: ${f.problem}`,
            fix: 'mount the coredns ConfigMap (key Corefile) at /etc/coredns, as kubeadm does',
          }
        : undefined;
    },
    files: (c, pod, model) => [
      {
        path: `${podFilesDir(pod)}/Corefile`,
        content: withKubeconfig(configMapFile(c, pod, model, corefileArg(c)).content!, `${labStateDir(model.lab)}/${POD_KUBECONFIG}`, KUBECONFIG_CONTEXT),
      },
    ],
    argv: (c, pod, model) => {
      const args = [...c.args];
      args[args.indexOf('-conf') + 1] = `${labStateDir(model.lab)}/${podFilesDir(pod)}/Corefile`;
      return [COREDNS_BIN, ...args];
    },
    ready: () => ({ udp: 53 }),
  },
  {
    // An ingress controller pod: real nginx (Debian's package) with the configuration the
    // controller would generate from the lab's Ingress / Gateway API objects (src/ingress).
    label: 'registry.k8s.io/ingress-nginx/controller',
    matches: (image) => controllerKind(image) !== undefined,
    check: () => undefined,
    // The pod directory (and nginx.conf, rendered once more by the controller at start).
    files: (c, pod, model) => [{ path: `${podFilesDir(pod)}/nginx.conf`, content: nginxConfFor(model, c, `${labStateDir(model.lab)}/${podFilesDir(pod)}`) }],
    argv: (c, pod, model) => [
      ...imageProgram('ingress-controller'),
      '--model',
      `${labStateDir(model.lab)}/${MODEL_FILE}`,
      '--pod',
      `${pod.namespace}/${pod.name}`,
      '--container',
      c.name,
      '--dir',
      `${labStateDir(model.lab)}/${podFilesDir(pod)}`,
      // With a control plane, the objects come from the API server, watched from the pod.
      ...(model.controlPlane === 'kubernetes' ? ['--kubeconfig', `${labStateDir(model.lab)}/${POD_KUBECONFIG}`] : []),
    ],
    ready: () => ({ tcp: 80 }),
  },
  {
    // nginx as Docker Hub's image runs it: the welcome page on port 80 (Debian's nginx, with a
    // configuration of the pod's own, so each pod is its own server).
    label: 'nginx',
    matches: (image) => /^(docker\.io\/)?(library\/)?nginx(:|@|$)/.test(image),
    check: (c) =>
      c.command || c.args.length > 0
        ? { field: 'args', message: 'nginx runs as its image does, without a command or args', fix: 'remove command and args' }
        : undefined,
    files: (_c, pod, model) => [{ path: `${podFilesDir(pod)}/nginx-web.conf`, content: welcomeNginxConf(`${labStateDir(model.lab)}/${podFilesDir(pod)}`) }],
    argv: (_c, pod, model) => ['nginx', '-c', `${labStateDir(model.lab)}/${podFilesDir(pod)}/nginx-web.conf`, '-g', 'daemon off;'],
    ready: () => ({ tcp: 80 }),
  },
  {
    // Images people open a shell in (netshoot, busybox, dnsutils, a distribution): the pod gets
    // this machine's network tools (`lab exec <lab> <pod> -- dig ...`), the container runs its
    // command (default: it sleeps, as `kubectl run ... -- sleep infinity` would).
    label: 'nicolaka/netshoot (and busybox, dnsutils, alpine, debian, ubuntu: a shell with network tools)',
    matches: (image) => /(^|\/)(netshoot|busybox|dnsutils|jessie-dnsutils|alpine|debian|ubuntu)(:|@|$)/.test(image),
    check: () => undefined,
    argv: (c) => (c.command || c.args.length > 0 ? [...(c.command ?? []), ...c.args] : ['sleep', 'infinity']),
    ready: () => 'started',
  },
];

/** nginx's welcome page, served from a pod's own configuration (its pid and temp files in the
 * pod's directory). */
function welcomeNginxConf(dir: string): string {
  return `pid ${dir}/nginx-web.pid;
error_log stderr notice;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp-body;
  proxy_temp_path ${dir}/tmp-proxy;
  fastcgi_temp_path ${dir}/tmp-fastcgi;
  uwsgi_temp_path ${dir}/tmp-uwsgi;
  scgi_temp_path ${dir}/tmp-scgi;
  include /etc/nginx/mime.types;
  server {
    listen 80 default_server;
    root /usr/share/nginx/html;
    index index.html;
  }
}
`;
}

/** The kind of image a container runs (undefined: the harness cannot run it). */
export function imageKind(image: string): ImageKind | undefined {
  return IMAGES.find((k) => k.matches(image));
}

export function checkContainers(model: ClusterModel, manifestIndex: (pod: Pod) => number): PathProblem[] {
  const problems: PathProblem[] = [];
  for (const pod of model.pods) {
    pod.containers.forEach((c, i) => {
      const path = ['manifests', manifestIndex(pod), 'spec', 'containers', i];
      const kind = IMAGES.find((k) => k.matches(c.image));
      if (!kind) {
        problems.push({
          path: [...path, 'image'],
          message: `image "${c.image}" cannot be run here: there is no container runtime, and the harness only knows how to run ${IMAGES.map((k) => k.label).join(', ')}`,
          fix: `use ${IMAGES[0].label}:2.53 with args [serve-hostname, --port=80]`,
        });
        return;
      }
      const problem = kind.check(c, pod, model);
      if (problem) problems.push({ path: [...path, problem.field], message: problem.message, fix: problem.fix });
    });
  }
  return problems;
}
