// The kubelet API's view of the node's pods: the node agent's running pods (what kubelet's pod
// manager and runtime cache hold), and the commands kernel/ runs inside them.
import { labStateDir, netnsName } from '../../model/names.js';
import { processLogFile } from '../../kernel/commands.js';
import { connectInPod, execInPod } from '../../kernel/pod-exec.js';
import type { Pods } from '../pods.js';
import type { KubeletBackend, PodView } from './types.js';

export function podsBackend(lab: string, pods: Pods): KubeletBackend {
  const state = labStateDir(lab);
  return {
    pod: (namespace, name): PodView | undefined => {
      const r = pods.running.get(`${namespace}/${name}`);
      if (!r) return undefined;
      return {
        namespace,
        name,
        uid: r.uid,
        containers: new Map(
          r.containers.map((c) => [
            c.name,
            { running: !!c.running && !!r.pod, ...(c.waiting ? { waiting: c.waiting.reason } : {}), log: processLogFile(state, `${name}/${c.name}`) },
          ]),
        ),
      };
    },
    exec: (pod, _container, argv, tty) => execInPod({ lab, netns: netnsName(lab, pod.name), hostname: pod.name, argv, tty }),
    connect: (pod, port) => connectInPod({ lab, netns: netnsName(lab, pod.name), port }),
    console: (pod, container) => pods.running.get(`${pod.namespace}/${pod.name}`)?.consoles.get(container),
  };
}
