// The node agent's pods, as kubelet keeps them: started (sandbox, then containers, with their
// status reported), watched (a container that exits is reported terminated, the pod not ready,
// and restarted after kubelet's crash-loop back-off), and stopped.
import type { ApiClient, K8sObject } from '../api/client.js';
import { keyOf } from '../api/informer.js';
import { podOf } from '../model/from-api.js';
import type { ClusterModel, Node, Pod } from '../model/types.js';
import { parsePodSpec, POD_READY_ANNOTATION } from '../k8s/pod.js';
import type { DynamicCni } from '../plan/cni/types.js';
import { planPodProcesses } from '../plan/workloads/processes.js';
import { startProcesses } from '../kernel/staging.js';
import { isAlive } from '../kernel/processes.js';
import { processLogFile } from '../kernel/commands.js';
import { labStateDir } from '../model/names.js';
import { rename } from 'node:fs/promises';
import { podStatus, restartBackoffMs, type ContainerState } from './decide.js';
import { blockedContainers, createSandbox, startContainers, startPause, stopPod } from './kubelet.js';
import { patchPodStatus, recordEvent } from './api-writes.js';
import { previousLogFile } from './kubelet-api/logs.js';
import { Console } from './kubelet-api/console.js';
import { execInPod } from '../kernel/pod-exec.js';
import { netnsName } from '../model/names.js';
import { newProbeWorker, record, tick, type ProbeWorker } from './probe-worker.js';
import { runProbe } from './prober.js';

export interface RunningPod {
  /** The lab it runs in (its namespace's prefix). */
  lab: string;
  uid: string;
  namespace: string;
  name: string;
  ip: string;
  hostVeth: string;
  startedAt: string;
  /** The pod as it was started (what a restart runs again). */
  pod?: Pod;
  containers: ContainerState[];
  /** Ready as far as its own readiness goes (wirelab.io/ready), whatever its containers do. */
  wantsReady: boolean;
  /** Container name -> the pid of its process. */
  pids: Map<string, number>;
  /** Container name -> when its back-off ends. */
  restartAt: Map<string, number>;
  /** spec.restartPolicy: whether an exited container starts again. */
  restartPolicy: RestartPolicy;
  /** Containers whose stdin stays open (stdin: true), with a terminal or not. */
  interactive: Map<string, { tty: boolean; stdinOnce: boolean }>;
  /** Their stdio, kept for attach. */
  consoles: Map<string, Console>;
  /** Container name -> its readiness prober (containers with a readinessProbe). */
  probes: Map<string, ProbeWorker>;
}

type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

function restartPolicyOf(spec: Record<string, unknown> | undefined): RestartPolicy {
  const p = spec?.restartPolicy;
  return p === 'OnFailure' || p === 'Never' ? p : 'Always';
}

/** The container fields kubelet reads for attach (k8s.io/api/core/v1 Container: stdin, stdinOnce, tty). */
function interactiveContainers(spec: Record<string, unknown> | undefined): Map<string, { tty: boolean; stdinOnce: boolean }> {
  const cs = Array.isArray(spec?.containers) ? (spec.containers as { name?: unknown; stdin?: unknown; tty?: unknown; stdinOnce?: unknown }[]) : [];
  return new Map(
    cs.filter((c) => c.stdin === true && typeof c.name === 'string').map((c) => [c.name as string, { tty: c.tty === true, stdinOnce: c.stdinOnce === true }]),
  );
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
/** A running container's readiness: no probe, or its prober's verdict on this very run (a
 * restarted container starts not ready again). */
function containerReady(r: RunningPod, c: ContainerState): boolean {
  if (!c.running) return false;
  if (!r.pod?.containers.find((x) => x.name === c.name)?.readinessProbe) return true;
  const w = r.probes.get(c.name);
  return !!w && w.startedAtMs === Date.parse(c.running.startedAt) && w.ready;
}

const isReady = (r: RunningPod) => r.wantsReady && r.containers.every((c) => containerReady(r, c));

export class Pods {
  readonly running = new Map<string, RunningPod>();

  constructor(
    private readonly client: ApiClient,
    private readonly cni: DynamicCni,
    private readonly log: (msg: string) => void,
  ) {}

  private async report(r: RunningPod, self: Node): Promise<void> {
    await patchPodStatus(
      this.client,
      r.namespace,
      r.name,
      podStatus({
        ...(r.ip ? { podIP: r.ip } : {}),
        hostIP: self.ip,
        ready: isReady(r),
        startTime: r.startedAt,
        containers: r.containers.map((c) => ({ ...c, ready: r.wantsReady && containerReady(r, c) })),
      }),
    );
  }

  private event(r: Pick<RunningPod, 'namespace' | 'name' | 'uid'>, type: 'Normal' | 'Warning', reason: string, message: string, self: Node): Promise<void> {
    return recordEvent(this.client, { kind: 'Pod', namespace: r.namespace, name: r.name, uid: r.uid }, type, reason, message, self.name);
  }

  /** kubelet's SyncPod for a new pod: sandbox, containers, status. */
  async start(live: ClusterModel, self: Node, obj: K8sObject, ip: string | undefined, ipError: string | undefined): Promise<void> {
    const r: RunningPod = {
      lab: live.lab,
      uid: obj.metadata.uid ?? '',
      namespace: obj.metadata.namespace ?? 'default',
      name: obj.metadata.name,
      ip: '',
      hostVeth: '',
      startedAt: now(),
      containers: [],
      wantsReady: obj.metadata.annotations?.[POD_READY_ANNOTATION] !== 'false',
      pids: new Map(),
      restartAt: new Map(),
      restartPolicy: restartPolicyOf(obj.spec as Record<string, unknown> | undefined),
      interactive: interactiveContainers(obj.spec as Record<string, unknown> | undefined),
      consoles: new Map(),
      probes: new Map(),
    };
    this.running.set(keyOf(obj), r);
    const pod = ip ? podOf(obj, live, ip, r.wantsReady) : undefined;
    let failure = ipError;
    if (pod) {
      try {
        r.hostVeth = await createSandbox(live, self, this.cni, pod);
        r.ip = ip!;
        r.pod = pod;
      } catch (e) {
        // kubelet reports a failed sandbox and tries again later; here the pod stays failed
        // (the message says why) until it is deleted, rather than retrying in a loop.
        await stopPod(live.lab, pod.name);
        failure = (e as Error).message.split('\n').slice(0, 3).join(' ');
      }
    }
    if (!r.pod) {
      const message = `failed to set up the sandbox: ${failure}`;
      r.containers = parsePodSpec((obj.spec ?? {}) as Record<string, unknown>).containers.map((c) => ({
        name: c.name,
        image: c.image,
        waiting: { reason: 'ContainerCreating', message },
      }));
      await this.event(r, 'Warning', 'FailedCreatePodSandBox', message, self);
      await this.report(r, self);
      this.log(`pod ${keyOf(obj)}: ${message}`);
      return;
    }
    const blocked = blockedContainers(live, r.pod);
    if (blocked.length > 0) {
      await startPause(live, r.pod);
      r.containers = r.pod.containers.map(
        (c) => blocked.find((b) => b.name === c.name) ?? { name: c.name, image: c.image, waiting: { reason: 'PodInitializing', message: '' } },
      );
      for (const b of blocked) await this.event(r, 'Warning', 'Failed', `Error: ${b.waiting!.reason}: ${b.waiting!.message}`, self);
    } else {
      try {
        await startContainers(
          live,
          r.pod,
          (started) => {
            for (const s of started) r.pids.set(s.name.slice(r.pod!.name.length + 1), s.pid);
          },
          (name) => !r.interactive.has(name),
        );
        for (const name of r.interactive.keys()) this.startConsole(live, r, name);
        r.containers = r.pod.containers.map((c) => ({ name: c.name, image: c.image, running: { startedAt: r.startedAt } }));
        await this.event(
          r,
          'Normal',
          'Started',
          `Started container${r.pod.containers.length > 1 ? 's' : ''} ${r.pod.containers.map((c) => c.name).join(', ')}`,
          self,
        );
        // kubelet's prober worker probes as soon as it starts: the first status already says
        // whether the pod passed, so a lab does not settle on a pod about to become ready.
        await this.probe(r, self, Date.now());
      } catch (e) {
        const message = (e as Error).message;
        r.containers = r.pod.containers.map((c) => ({ name: c.name, image: c.image, waiting: { reason: 'CrashLoopBackOff', message } }));
        await this.event(r, 'Warning', 'BackOff', message, self);
      }
    }
    await this.report(r, self);
    this.log(`started pod ${keyOf(obj)} at ${r.ip}${isReady(r) ? '' : ' (not ready)'}`);
  }

  /** A container with stdin open, started here so its stdio stays with the agent (attach). */
  private startConsole(live: ClusterModel, r: RunningPod, name: string): void {
    const spec = planPodProcesses(live, r.pod!).find((p) => p.name === `${r.pod!.name}/${name}`)!;
    const how = r.interactive.get(name)!;
    const proc = execInPod({ lab: live.lab, netns: spec.netns, hostname: r.pod!.name, argv: spec.argv, tty: how.tty });
    r.consoles.set(name, new Console(proc, processLogFile(labStateDir(live.lab), spec.name), how.stdinOnce));
    r.pids.set(name, proc.pid);
  }

  async stop(lab: string, key: string): Promise<void> {
    const r = this.running.get(key);
    await stopPod(lab, r?.name ?? key.split('/')[1]);
    this.running.delete(key);
    this.log(`stopped pod ${key}`);
  }

  /** The readiness probes due at `nowMs` for one pod, run side by side; a change of readiness is
   * reported. Returns whether one changed. */
  private async probe(r: RunningPod, self: Node, nowMs: number): Promise<boolean> {
    const runs: Promise<boolean>[] = [];
    for (const spec of r.pod?.containers ?? []) {
      const c = r.containers.find((x) => x.name === spec.name);
      if (!spec.readinessProbe || !c?.running) continue;
      const startedAtMs = Date.parse(c.running.startedAt);
      let w = r.probes.get(spec.name);
      if (!w || w.startedAtMs !== startedAtMs) w = newProbeWorker(spec.readinessProbe, startedAtMs);
      const t = tick(w, nowMs);
      r.probes.set(spec.name, t?.worker ?? w);
      if (!t?.probe) continue;
      runs.push(
        (async () => {
          const outcome = await runProbe({ lab: r.lab, netns: netnsName(r.lab, r.name), pod: r.name, podIP: r.ip, container: spec }, spec.readinessProbe!);
          const current = r.probes.get(spec.name);
          if (!current || current.startedAtMs !== startedAtMs) return false; // restarted meanwhile: a new run
          const { worker, changed } = record(current, outcome);
          r.probes.set(spec.name, worker);
          // kubelet records an Unhealthy event for every failed probe; here the first of a run and
          // the one that reaches the threshold, so a probe failing every period does not flood the API.
          if (outcome.result === 'failure' && (worker.resultRun === 1 || worker.resultRun === spec.readinessProbe!.failureThreshold))
            await this.event(r, 'Warning', 'Unhealthy', `Readiness probe failed: ${outcome.output}`, self).catch((e: Error) => this.log(`event: ${e.message}`));
          if (changed)
            this.log(
              `pod ${r.namespace}/${r.name}: container ${spec.name} ${worker.ready ? 'ready' : `not ready (${outcome.result === 'success' ? '' : outcome.output})`}`,
            );
          return changed;
        })(),
      );
    }
    const changed = (await Promise.all(runs)).some(Boolean);
    // A pod deleted while it was probed is gone from the API: nothing to report.
    if (changed) await this.report(r, self).catch((e: Error) => this.log(`pod ${r.namespace}/${r.name}: status: ${e.message}`));
    return changed;
  }

  /** Containers that exited are reported (the pod leaves its Services' endpoints) and restarted
   * once their back-off is over. Returns whether anything changed. */
  async check(live: ClusterModel | undefined, self: Node): Promise<boolean> {
    let changed = false;
    for (const r of this.running.values()) {
      if (!r.pod) continue;
      for (const c of r.containers) {
        const pid = r.pids.get(c.name);
        const console = r.consoles.get(c.name);
        if (c.running && pid !== undefined && (console ? console.code !== undefined : !isAlive(pid))) {
          const code = console?.code ?? 1;
          if (r.restartPolicy === 'Never' || (r.restartPolicy === 'OnFailure' && code === 0)) {
            c.terminated = { exitCode: code, reason: code === 0 ? 'Completed' : 'Error', startedAt: c.running.startedAt, finishedAt: now() };
            c.running = undefined;
            await this.report(r, self);
            this.log(`pod ${r.namespace}/${r.name}: container ${c.name} exited with ${code}; restartPolicy ${r.restartPolicy}: not restarted`);
            changed = true;
            continue;
          }
          const restarts = c.restartCount ?? 0;
          const backoff = restartBackoffMs(restarts);
          c.lastTerminated = { exitCode: code, reason: code === 0 ? 'Completed' : 'Error', finishedAt: now() };
          c.running = undefined;
          c.waiting = { reason: 'CrashLoopBackOff', message: `back-off ${backoff / 1000}s restarting failed container=${c.name} pod=${r.name}` };
          r.restartAt.set(c.name, Date.now() + backoff);
          await this.event(r, 'Warning', 'BackOff', c.waiting.message, self);
          await this.report(r, self);
          this.log(`pod ${r.namespace}/${r.name}: container ${c.name} exited; restarting in ${backoff / 1000}s`);
          changed = true;
        } else if (c.waiting && live && (r.restartAt.get(c.name) ?? Infinity) <= Date.now()) {
          r.restartAt.delete(c.name);
          const spec = planPodProcesses(live, r.pod).find((p) => p.name === `${r.pod!.name}/${c.name}`);
          if (!spec) continue;
          // The last run's output becomes the previous run's (`kubectl logs --previous`); until
          // now it was the current one (`kubectl logs` of a container in back-off shows it).
          const file = processLogFile(labStateDir(live.lab), spec.name);
          await rename(file, previousLogFile(file)).catch(() => undefined);
          try {
            if (r.interactive.has(c.name)) this.startConsole(live, r, c.name);
            else
              await startProcesses(live.lab, [spec], {
                timeoutMs: 20_000,
                onStarted: async (started) => {
                  for (const s of started) r.pids.set(c.name, s.pid);
                },
              });
            c.running = { startedAt: now() };
            c.waiting = undefined;
            c.restartCount = (c.restartCount ?? 0) + 1;
            await this.event(r, 'Normal', 'Started', `Started container ${c.name}`, self);
          } catch (e) {
            r.restartAt.set(c.name, Date.now() + restartBackoffMs(c.restartCount ?? 0));
            c.restartCount = (c.restartCount ?? 0) + 1;
            this.log(`pod ${r.namespace}/${r.name}: restarting ${c.name} failed: ${(e as Error).message}`);
          }
          await this.report(r, self);
          changed = true;
        }
      }
    }
    const t = Date.now();
    const probed = await Promise.all([...this.running.values()].map((r) => this.probe(r, self, t)));
    return probed.some(Boolean) || changed;
  }
}
