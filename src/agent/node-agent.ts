// One node's agent: kubelet, flanneld, kube-proxy (iptables or nftables mode), the policy engine and the
// MetalLB speaker of one node, fed by the real API server. Informers keep the objects; every
// change schedules a reconcile (one at a time; changes during one schedule the next), which
// compares what the API wants with what this node has and applies the difference: the node's
// pod network once its range is known, peers as nodes come and go, pods bound here started or
// stopped (with their status reported), then kube-proxy's and the policy engine's rules and the
// speaker's announcements, rendered by the same renderers the static path uses.
import { readFile, writeFile, rename, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ApiClient, ApiError, endpointFromFiles, type K8sObject } from '../api/client.js';
import { Informer, keyOf } from '../api/informer.js';
import { modelFromApi } from '../model/from-api.js';
import { nextPodIp } from '../model/ipam.js';
import type { ClusterModel, Node } from '../model/types.js';
import { labStateDir, netnsName } from '../model/names.js';
import { ensureNfacctCounters } from '../kernel/nfacct.js';
import { chainExists, ensureIptables, type IptablesTable } from '../kernel/iptables-ensure.js';
import { KUBELET_CANARY_MONITOR, KUBELET_ENSURES } from '../plan/kubelet-iptables.js';
import { kubeProxyCanaryMonitor, kubeProxyJumpEnsures } from '../plan/proxy/registry.js';
import { monitorCanary, type CanaryMonitor } from './canary-monitor.js';
import { NFACCT_COUNTERS } from '../plan/proxy/iptables-chains.js';
import { POD_IP_ANNOTATION } from '../k8s/pod.js';
import { cniBackend } from '../plan/cni/registry.js';
import type { DynamicCni } from '../plan/cni/types.js';
import type { AgentConfig } from '../plan/control-plane/plan.js';
import { planSpeaker } from '../plan/workloads/processes.js';
import { startProcesses } from '../kernel/staging.js';
import { stopProcesses } from '../kernel/processes.js';
import { nodeObject, nodeStatus, peerChanges, podActions, type AppliedPeer } from './decide.js';
import { applyOps } from './kubelet.js';
import { kubeProxyNftSync, kubeProxySync, policySync, type RulesState } from './rules.js';
import type { IptablesSyncState } from '../plan/proxy/iptables-sync.js';
import type { NftSyncState } from '../plan/proxy/nftables.js';
import { finalDelete, patchNode, patchServiceStatus, patchNodeStatus, registerNode, renewLease } from './api-writes.js';
import { loadBalancerChanges, poolsFromApi } from './metallb-controller.js';
import { CalicoNode } from './calico-node.js';
import { Pods } from './pods.js';
import { digestOf, WATCHED, type AgentStatus, type WatchedKind } from './watched.js';
import { KubeletServer } from './kubelet-api/server.js';
import { KubeletAuthorizer } from './kubelet-api/authz.js';
import { podsBackend } from './kubelet-api/backend.js';

/** The Kubernetes version the components are built from (tools/kubernetes/go.mod). */
export const KUBE_VERSION = 'v1.34.2';
const LEASE_SECONDS = 40;
const RENEW_MS = 10_000;
/** Pods started at once (each is a handful of short commands and a process or two). */
const POD_PARALLELISM = 8;

/** WIRELAB_AGENT_DEBUG=1: every event and reconcile in the agent's log. */
const DEBUG = process.env.WIRELAB_AGENT_DEBUG === '1';
const log = (msg: string) => process.stderr.write(`${new Date().toISOString()} ${msg}\n`);

export class NodeAgent {
  private readonly client: ApiClient;
  private readonly informers: Record<WatchedKind, Informer>;
  private readonly abort = new AbortController();
  private readonly cni: DynamicCni;
  private readonly pools: Informer | undefined;
  private readonly calico: CalicoNode | undefined;
  private readonly pods: Pods;
  private kubeletApi: KubeletServer | undefined;
  /** host-local's last handed-out address: the next search starts after it. */
  private lastReserved: string | undefined;
  /** The model of the last reconcile (what a container restart runs with). */
  private lastLive: ClusterModel | undefined;
  private readonly peers = new Map<string, AppliedPeer>();
  private networkFor = '';
  private proxy?: IptablesSyncState;
  private nftProxy?: NftSyncState;
  /** Whether kube-proxy's nfacct counters exist in this node's namespace. */
  private nfacct = false;
  /** kube-proxy's canary found the tables flushed: the next sync is full (forceSyncProxyRules). */
  private proxyFullSync = false;
  /** The iptables Monitors running (kubelet's; kube-proxy's after its first sync). */
  private readonly monitors: Promise<void>[] = [];
  private policy?: RulesState;
  private speaker: { ips: string; pids: number[] } = { ips: '', pids: [] };
  private nodeUid?: string;
  private registered = false;
  private readyWritten = false;
  private pending = false;
  private loop: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** What the reconcile in progress is doing (debug log). */
  private step = '';

  constructor(private readonly cfg: AgentConfig) {
    this.client = new ApiClient(endpointFromFiles({ server: cfg.server, caFile: cfg.caFile, certFile: cfg.certFile, keyFile: cfg.keyFile }));
    const backend = cniBackend(cfg.model.network.cni);
    if (!backend.dynamic) throw new Error(`the pod network ${backend.kind} has no node agent yet`);
    this.cni = backend.dynamic;
    this.pods = new Pods(this.client, this.cni, log);
    this.calico = this.cni.ipam === 'calico' ? new CalicoNode(this.client, cfg.model.calicoPool!, cfg.node, this.cni) : undefined;
    this.calico?.blocks.onChange(() => this.schedule());
    this.informers = Object.fromEntries(Object.entries(WATCHED).map(([k, path]) => [k, new Informer(this.client, path)])) as Record<WatchedKind, Informer>;
    // MetalLB's pools, watched where its controller runs (their CRD exists when the lab has any).
    this.pools = cfg.clusterControllers && cfg.model.addressPools.length > 0 ? new Informer(this.client, '/apis/metallb.io/v1beta1/ipaddresspools') : undefined;
    this.pools?.onChange(() => this.schedule());
    for (const [kind, inf] of Object.entries(this.informers))
      inf.onChange((c) => {
        if (DEBUG) log(`event ${kind} ${c.type} ${keyOf(c.object)} ${c.object.metadata.resourceVersion}`);
        this.schedule();
      });
  }

  private get self(): Node {
    return this.cfg.model.nodes.find((n) => n.name === this.cfg.node)!;
  }

  async run(): Promise<void> {
    const signal = this.abort.signal;
    await this.calico?.ensureCrds();
    const watching = Object.entries(this.informers).map(([k, inf]) => inf.run(signal, (e) => log(`watch ${k}: ${(e as Error).message}`)));
    if (this.calico) watching.push(this.calico.blocks.run(signal, (e) => log(`watch ipamblocks: ${(e as Error).message}`)));
    // The pools' CRD is installed with the lab's objects, after the agents are up: until then
    // the list answers 404, and the informer tries again.
    if (this.pools)
      watching.push(
        this.pools.run(signal, (e) => (e instanceof ApiError && e.status === 404 ? undefined : log(`watch ipaddresspools: ${(e as Error).message}`))),
      );
    await Promise.all([...Object.values(this.informers), ...(this.calico ? [this.calico.blocks] : [])].map((i) => i.synced));
    await this.serveKubeletApi();
    await this.register();
    const renew = setInterval(
      () => void renewLease(this.client, this.cfg.node, this.nodeUid, LEASE_SECONDS).catch((e) => log(`lease: ${(e as Error).message}`)),
      RENEW_MS,
    );
    this.schedule();
    // kubelet's iptables Monitor: its rules again when its canary goes (someone flushed the tables).
    this.monitor(KUBELET_CANARY_MONITOR, () => ensureIptables(this.netns, KUBELET_ENSURES));
    // kubelet's PLEG: containers that exited, and restarts whose back-off is over.
    let checking = false;
    const watch = setInterval(() => {
      if (checking) return;
      checking = true;
      void this.pods
        .check(this.lastLive, this.self)
        .then((changed) => changed && this.schedule())
        .catch((e) => log(`containers: ${(e as Error).message}`))
        .finally(() => (checking = false));
    }, 500);
    const pulse = DEBUG
      ? setInterval(() => log(`state: loop=${!!this.loop} timer=${!!this.timer} pending=${this.pending} step=${this.step}`), 5000)
      : undefined;
    await Promise.all(watching);
    await Promise.all(this.monitors);
    clearInterval(pulse);
    clearInterval(watch);
    clearInterval(renew);
    await this.loop;
  }

  private get netns(): string {
    return netnsName(this.cfg.model.lab, this.cfg.node);
  }

  /** Starts an iptables Monitor (canary-monitor.ts) in this node's namespace until the agent stops. */
  private monitor(m: CanaryMonitor, reload: () => Promise<void>): void {
    const kernel = {
      chainExists: (table: IptablesTable, chain: string) => chainExists(this.netns, table, chain),
      ensureChain: (table: IptablesTable, chain: string) => ensureIptables(this.netns, [{ table, chain }]),
    };
    this.monitors.push(monitorCanary(m, kernel, reload, this.abort.signal, log));
  }

  stop(): void {
    this.kubeletApi?.close();
    this.abort.abort();
    this.client.close();
  }

  /** The kubelet API (exec, logs, attach, port-forward) on the node's address, before the Node
   * is registered with its port (as kubelet listens before it registers). */
  private async serveKubeletApi(): Promise<void> {
    const [cert, key, ca] = await Promise.all([this.cfg.servingCertFile, this.cfg.servingKeyFile, this.cfg.caFile].map((f) => readFile(f, 'utf8')));
    // kubelet's webhook authorizer: the API server reviews each caller (authz.ts).
    const authorizer = new KubeletAuthorizer(
      async (sar) =>
        (await this.client.request<{ status?: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', sar)).status?.allowed ===
        true,
    );
    this.kubeletApi = new KubeletServer({ address: this.self.ip, cert, key, ca, node: this.self.name, authorizer }, podsBackend(this.cfg.lab, this.pods), log);
    await this.kubeletApi.listen();
  }

  /** Registers the Node once the nodes before it are there (see AgentConfig.registerAfter). */
  private async register(): Promise<void> {
    while (!this.cfg.registerAfter.every((n) => this.informers.nodes.cache.has(n))) {
      if (this.abort.signal.aborted) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    const self = this.self;
    const node = await registerNode(this.client, nodeObject({ name: self.name, role: self.role, podCIDR: this.cfg.podCIDR }));
    this.nodeUid = node.metadata.uid;
    await patchNodeStatus(this.client, self.name, nodeStatus({ name: self.name, ip: self.ip, version: KUBE_VERSION }));
    await renewLease(this.client, self.name, this.nodeUid, LEASE_SECONDS);
    this.registered = true;
    log(`registered node ${self.name}`);
  }

  /** Debounced: a burst of events (a Deployment's pods, their slices) is one reconcile. */
  private schedule(): void {
    this.pending = true;
    if (this.timer || !this.registered || this.loop) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.loop ??= this.drain().finally(() => {
        this.loop = undefined;
        // An event that came while the last reconcile was finishing.
        if (this.pending) this.schedule();
      });
    }, 10);
  }

  /** Reconciles until no change is pending (changes during a reconcile schedule the next). */
  private async drain(): Promise<void> {
    while (this.pending && !this.abort.signal.aborted) {
      this.pending = false;
      await this.reconcile().catch((e) => log(`reconcile: ${(e as Error).stack ?? e}`));
      if (DEBUG) log('reconciled');
    }
  }

  private objects(): Record<WatchedKind, K8sObject[]> {
    return Object.fromEntries(Object.entries(this.informers).map(([k, inf]) => [k, inf.list()])) as Record<WatchedKind, K8sObject[]>;
  }

  private async reconcile(): Promise<void> {
    if (DEBUG) log('reconcile');
    const objects = this.objects();
    const digest = digestOf(objects);
    const live = modelFromApi(this.cfg.model, objects);
    this.lastLive = live;
    const self = live.nodes.find((n) => n.name === this.cfg.node);
    if (!self) return this.writeStatus(digest, `waiting for node ${this.cfg.node} to be registered`);
    if (this.cni.ipam === 'host-local' && !self.podCIDR) return this.writeStatus(digest, `waiting for node ${this.cfg.node}'s pod range (spec.podCIDR)`);
    this.step = 'ensureNetwork';
    await this.ensureNetwork(live, self);
    this.step = 'syncPeers';
    await this.syncPeers(live, self);
    this.step = 'syncPods';
    await this.syncPods(live, self, objects.pods);
    if (this.cfg.clusterControllers) {
      this.step = 'loadBalancers';
      await this.assignLoadBalancers(objects.services);
    }
    this.step = 'syncRules';
    await this.syncRules(live, self);
    this.step = 'syncSpeaker';
    await this.syncSpeaker(live);
    let waiting: string | undefined;
    if (this.calico) {
      this.step = 'routing';
      await this.calico.syncRouting(live, self);
      const missing = await this.calico.missingRoutes(live, self);
      if (missing.length > 0) {
        waiting = `waiting for BGP routes to ${missing.join(', ')}`;
        // BIRD learns them without any API event: look again shortly.
        setTimeout(() => this.schedule(), 250).unref();
      }
    }
    this.step = 'status';
    await this.writeStatus(digest, waiting);
    this.step = '';
    if (!this.readyWritten) {
      await writeFile(this.cfg.readyFile, '');
      this.readyWritten = true;
    }
  }

  /** flanneld's start: the node's devices and rules for its range, its annotations. */
  private async ensureNetwork(live: ClusterModel, self: Node): Promise<void> {
    const key = this.cni.ipam === 'calico' ? 'calico' : self.podCIDR;
    if (this.networkFor === key) return;
    if (this.networkFor) throw new Error(`node ${self.name}'s pod range changed from ${this.networkFor} to ${self.podCIDR}; recreate the lab`);
    const setup = this.cni.nodeSetup(live, self);
    await applyOps(live.lab, `pod network of ${self.name}`, setup.ops);
    if (setup.processes?.length) await startProcesses(live.lab, setup.processes);
    await this.calico?.ensureTunnel(live, self, this.usedAddresses());
    this.networkFor = key;
    const annotations = this.cni.nodeAnnotations?.(live, self);
    if (annotations) await patchNode(this.client, self.name, { metadata: { annotations } });
    log(`pod network up${self.podCIDR ? ` for ${self.podCIDR}` : ''}`);
  }

  private usedAddresses(): Set<string> {
    return new Set([...[...this.pods.running.values()].map((r) => r.ip), ...(this.calico?.tunnelIp ? [this.calico.tunnelIp] : [])].filter(Boolean));
  }

  private async syncPeers(live: ClusterModel, self: Node): Promise<void> {
    const { add, remove } = peerChanges(this.peers, live.nodes, self.name);
    for (const p of remove) {
      const node: Node = { name: p.name, ip: p.ip, podCIDR: p.podCIDR, role: 'worker', podCIDRSource: 'allocated' };
      await applyOps(live.lab, `peer ${p.name} gone`, this.cni.peerRemoveOps(live, self, node));
      this.peers.delete(p.name);
    }
    if (add.length > 0) {
      await applyOps(
        live.lab,
        'peers',
        add.flatMap((p) => this.cni.peerOps(live, self, p)),
      );
      for (const p of add) this.peers.set(p.name, { name: p.name, ip: p.ip, podCIDR: p.podCIDR });
    }
  }

  private async syncPods(live: ClusterModel, self: Node, all: K8sObject[]): Promise<void> {
    const mine = all.filter((p) => (p.spec as { nodeName?: string } | undefined)?.nodeName === self.name);
    const byKey = new Map(mine.map((p) => [keyOf(p), p]));
    const { start, stop } = podActions(
      mine.map((p) => ({ key: keyOf(p), uid: p.metadata.uid ?? '', deleting: !!p.metadata.deletionTimestamp })),
      this.pods.running,
    );
    await Promise.all(
      stop.map(async (key) => {
        const ip = this.pods.running.get(key)?.ip;
        await this.pods.stop(live.lab, key);
        if (ip) this.calico?.released(ip);
      }),
    );
    // Pods being deleted whose containers are gone: the final delete lets the object go.
    for (const p of mine)
      if (p.metadata.deletionTimestamp && !this.pods.running.has(keyOf(p)))
        await finalDelete(this.client, p.metadata.namespace ?? 'default', p.metadata.name, p.metadata.uid ?? '');
    // Addresses first, in order (pinned ones reserved before any is handed out), then the pods
    // start side by side.
    const used = this.usedAddresses();
    const pinnedOf = (key: string) => byKey.get(key)!.metadata.annotations?.[POD_IP_ANNOTATION];
    for (const key of start) {
      const pinned = pinnedOf(key);
      if (pinned) used.add(pinned);
    }
    const planned: { key: string; ip?: string; error?: string }[] = [];
    for (const key of start) {
      const pinned = pinnedOf(key);
      const free = pinned ? new Set([...used].filter((x) => x !== pinned)) : used;
      const r = this.calico ? await this.calico.address(free, pinned) : nextPodIp(self.podCIDR, free, pinned, this.lastReserved);
      if ('error' in r) planned.push({ key, error: r.error });
      else {
        used.add(r.ip);
        if (!pinned) this.lastReserved = r.ip;
        planned.push({ key, ip: r.ip });
      }
    }
    for (let i = 0; i < planned.length; i += POD_PARALLELISM) {
      await Promise.all(planned.slice(i, i + POD_PARALLELISM).map((p) => this.pods.start(live, self, byKey.get(p.key)!, p.ip, p.error)));
    }
  }

  private async syncRules(live: ClusterModel, self: Node): Promise<void> {
    if (live.kubeProxy === 'iptables') {
      // Full syncs ensure the nfacct counters, and after the first the jump rules, as upstream's do.
      const full = !this.proxy || this.proxyFullSync;
      if (full) this.nfacct = (await ensureNfacctCounters(this.netns, NFACCT_COUNTERS)).length === NFACCT_COUNTERS.length;
      if (this.proxy && this.proxyFullSync) await ensureIptables(this.netns, kubeProxyJumpEnsures());
      const sync = kubeProxySync(live, self, this.proxy, this.nfacct, this.proxyFullSync);
      if (sync) {
        if (sync.ops.length > 0) await applyOps(live.lab, 'kube-proxy sync', sync.ops);
        this.proxyFullSync = false;
        // kube-proxy's Monitor (NewProxier starts it; its first check is one sync period later).
        if (!this.proxy)
          this.monitor(kubeProxyCanaryMonitor(live.kubeProxySyncPeriodMs ?? 30_000), async () => {
            this.proxyFullSync = true;
            this.schedule();
          });
        this.proxy = sync.state;
      }
    }
    if (live.kubeProxy === 'nftables') {
      const sync = kubeProxyNftSync(live, self, this.nftProxy);
      if (sync) {
        await applyOps(live.lab, 'kube-proxy sync', sync.ops);
        this.nftProxy = sync.state;
        // Chains flushed now are deleted by a sync over a second later (upstream's staleChains).
        if (sync.state.staleChains.size > 0) setTimeout(() => this.schedule(), 1100).unref();
      }
    }
    if (cniBackend(live.network.cni).enforcesPolicy) {
      const veths = Object.fromEntries([...this.pods.running].filter(([, r]) => r.hostVeth).map(([k, r]) => [k, r.hostVeth]));
      const sync = policySync(live, self, veths, this.policy);
      if (sync) {
        await applyOps(live.lab, 'policy sync', [sync.op]);
        this.policy = sync.state;
      }
    }
  }

  /** MetalLB's controller: load-balancer addresses into the Services' status. */
  private async assignLoadBalancers(services: K8sObject[]): Promise<void> {
    for (const c of loadBalancerChanges(services, poolsFromApi(this.pools?.list() ?? []))) {
      await patchServiceStatus(this.client, c.namespace, c.name, { status: { loadBalancer: { ingress: c.ips.map((ip) => ({ ip, ipMode: 'VIP' })) } } });
      log(`service ${c.namespace}/${c.name}: load-balancer address ${c.ips.join(', ') || '<pending>'}`);
    }
  }

  /** MetalLB's speaker on this node, announcing what the election gave it. */
  private async syncSpeaker(live: ClusterModel): Promise<void> {
    const ips = live.announcements.filter((a) => a.node === this.cfg.node).map((a) => a.ip);
    const key = ips.join(',');
    if (key === this.speaker.ips) return;
    if (this.speaker.pids.length > 0) await stopProcesses(this.speaker.pids);
    this.speaker = { ips: key, pids: [] };
    if (ips.length === 0) return;
    const speaker = planSpeaker(live, this.cfg.node, ips);
    // The last speaker's ready file would make the new one look ready before it is.
    if (speaker.readyFile) await rm(join(labStateDir(live.lab), speaker.readyFile), { force: true });
    await startProcesses(live.lab, [speaker], {
      onStarted: async (started) => {
        this.speaker.pids.push(...started.map((s) => s.pid));
      },
    });
  }

  private async writeStatus(digest: string, error?: string): Promise<void> {
    const status: AgentStatus = {
      node: this.cfg.node,
      digest,
      syncedAt: new Date().toISOString(),
      pods: Object.fromEntries([...this.pods.running].map(([k, r]) => [k, r.ip])),
      ...(error ? { error } : {}),
    };
    await mkdir(dirname(this.cfg.statusFile), { recursive: true });
    await writeFile(`${this.cfg.statusFile}.tmp`, JSON.stringify(status) + '\n');
    await rename(`${this.cfg.statusFile}.tmp`, this.cfg.statusFile);
  }
}
