// What the kubelet API sees of the node's pods, and what it asks the node to do (the node agent
// answers: agent/kubelet-api/backend.ts).
import type { Connection } from './port-forward.js';
import type { Console, ExecProcess } from './console.js';

export interface ContainerView {
  running: boolean;
  /** Why it is not running (kubelet's waiting reason), when it is not. */
  waiting?: string;
  /** Its output (the current run's). */
  log: string;
}

export interface PodView {
  namespace: string;
  name: string;
  uid: string;
  containers: Map<string, ContainerView>;
}

/** What the API needs of the node's pods (the agent's Pods, and kernel/ to run things). */
export interface KubeletBackend {
  pod(namespace: string, name: string): PodView | undefined;
  exec(pod: PodView, container: string, argv: string[], tty: boolean): ExecProcess;
  connect(pod: PodView, port: number): Connection;
  /** The stdio of a container started with stdin open (kubectl run -it), for attach. */
  console(pod: PodView, container: string): Console | undefined;
}
