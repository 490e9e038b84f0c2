// What a node agent decides, as pure functions of what the API wants and what the node has:
// which peers to add or drop, which pods to start or stop, what a Node and a pod's status say.
// The agent's effects (kernel commands, API writes) follow these decisions.
import type { Node } from '../model/types.js';

export interface AppliedPeer {
  name: string;
  podCIDR: string;
  ip: string;
}

/** flanneld's subnet events: a node that appears (or whose range or address changed) is added,
 * one that is gone is removed. */
export function peerChanges(applied: ReadonlyMap<string, AppliedPeer>, desired: Node[], self: string): { add: Node[]; remove: AppliedPeer[] } {
  const want = desired.filter((n) => n.name !== self && n.podCIDR !== '');
  const add: Node[] = [];
  const remove: AppliedPeer[] = [];
  for (const n of want) {
    const have = applied.get(n.name);
    if (have && (have.podCIDR !== n.podCIDR || have.ip !== n.ip)) remove.push(have);
    if (!have || have.podCIDR !== n.podCIDR || have.ip !== n.ip) add.push(n);
  }
  for (const [name, have] of applied) if (!want.some((n) => n.name === name)) remove.push(have);
  return { add, remove };
}

export interface PodRef {
  key: string;
  uid: string;
  deleting: boolean;
}

/** kubelet's sync: pods bound here and not being deleted run; running pods that are gone, being
 * deleted, or replaced by a new pod of the same name (another uid) stop. */
export function podActions(desired: PodRef[], running: ReadonlyMap<string, { uid: string }>): { start: string[]; stop: string[] } {
  const start: string[] = [];
  const stop: string[] = [];
  const want = new Map(desired.filter((p) => !p.deleting).map((p) => [p.key, p]));
  for (const [key, r] of running) {
    const w = want.get(key);
    if (!w || w.uid !== r.uid) stop.push(key);
  }
  for (const [key, w] of want) {
    const r = running.get(key);
    if (!r || r.uid !== w.uid) start.push(key);
  }
  return { start: start.sort(), stop: stop.sort() };
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** The Node object a kubelet registers: labels kubeadm and kubelet set, the control-plane taint
 * kubeadm adds, the pinned pod range if the lab file names one. */
export function nodeObject(o: {
  name: string;
  role: 'control-plane' | 'worker';
  podCIDR?: string;
  annotations?: Record<string, string>;
}): Record<string, unknown> {
  const cp = o.role === 'control-plane';
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: o.name,
      labels: {
        'kubernetes.io/hostname': o.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        ...(cp ? { 'node-role.kubernetes.io/control-plane': '' } : {}),
      },
      annotations: o.annotations ?? {},
    },
    spec: {
      ...(o.podCIDR ? { podCIDR: o.podCIDR, podCIDRs: [o.podCIDR] } : {}),
      ...(cp ? { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] } : {}),
    },
  };
}

/** A Ready node's status: its address, what it runs, what it holds. */
export function nodeStatus(o: { name: string; ip: string; version: string }): Record<string, unknown> {
  const t = now();
  const cond = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: t,
    lastTransitionTime: t,
  });
  return {
    status: {
      addresses: [
        { type: 'InternalIP', address: o.ip },
        { type: 'Hostname', address: o.name },
      ],
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        cond('Ready', 'True', 'KubeletReady', 'wirelab node agent is posting ready status'),
      ],
      capacity: { cpu: '2', memory: '4Gi', pods: '110' },
      allocatable: { cpu: '2', memory: '4Gi', pods: '110' },
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: '',
        systemUUID: '',
        bootID: '',
        kernelVersion: '',
        osImage: 'wirelab lab node',
        containerRuntimeVersion: 'wirelab://1',
        kubeletVersion: o.version,
        kubeProxyVersion: o.version,
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

export interface ContainerState {
  name: string;
  image: string;
  /** Running since; or waiting with a reason (ErrImagePull). */
  running?: { startedAt: string };
  waiting?: { reason: string; message: string };
  /** Exited for good (restartPolicy Never, or OnFailure with exit code 0). */
  terminated?: { exitCode: number; reason: string; startedAt: string; finishedAt: string };
  /** How often kubelet restarted it, and how it ended last time. */
  restartCount?: number;
  lastTerminated?: { exitCode: number; reason: string; finishedAt: string };
  /** false: running, but its readiness probe has not passed (absent: ready when the pod is). */
  ready?: boolean;
}

/** kubelet's crash-loop back-off before restart n+1: 10 s, doubling, at most 5 minutes
 * (pkg/kubelet/kubelet.go: backOffPeriod 10s, MaxContainerBackOff 300s). */
export function restartBackoffMs(restarts: number): number {
  return Math.min(10_000 * 2 ** restarts, 300_000);
}

/** A pod's status as kubelet reports it: Running with its address and Ready when every container
 * runs and nothing holds its readiness back; Pending with each waiting container's reason;
 * Succeeded (every container exited 0) or Failed once every container has terminated for good. */
export function podStatus(o: { podIP?: string; hostIP: string; ready: boolean; startTime: string; containers: ContainerState[] }): Record<string, unknown> {
  const running = o.containers.every((c) => c.running);
  // A pod whose containers all ran once stays Running while one of them waits to restart.
  const started = o.containers.every((c) => c.running || c.lastTerminated || c.terminated);
  const done = o.containers.length > 0 && o.containers.every((c) => c.terminated);
  const phase = done ? (o.containers.every((c) => c.terminated!.exitCode === 0) ? 'Succeeded' : 'Failed') : started ? 'Running' : 'Pending';
  const t = now();
  const cond = (type: string, ok: boolean) => ({ type, status: ok ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: t });
  return {
    status: {
      phase,
      hostIP: o.hostIP,
      hostIPs: [{ ip: o.hostIP }],
      ...(o.podIP ? { podIP: o.podIP, podIPs: [{ ip: o.podIP }] } : {}),
      startTime: o.startTime,
      conditions: [
        cond('PodReadyToStartContainers', !!o.podIP),
        cond('Initialized', true),
        cond('Ready', running && o.ready),
        cond('ContainersReady', running && o.ready),
        cond('PodScheduled', true),
      ],
      containerStatuses: o.containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: '',
        ready: !!c.running && (c.ready ?? o.ready),
        started: !!c.running,
        restartCount: c.restartCount ?? 0,
        ...(c.running ? { containerID: `wirelab://${c.name}` } : {}),
        state: c.running ? { running: c.running } : c.terminated ? { terminated: c.terminated } : { waiting: c.waiting },
        ...(c.lastTerminated ? { lastState: { terminated: c.lastTerminated } } : {}),
      })),
    },
  };
}
