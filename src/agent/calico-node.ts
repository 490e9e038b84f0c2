// The Calico half of a node agent (calico-node and the CNI plugin's IPAM, Kubernetes datastore):
// the IPAM objects' CRDs, the pool's blocks as the API has them, addresses for pods (claiming a
// block through the API when the node's are full), the tunnel address in IP-in-IP mode, BIRD's
// configuration as blocks and nodes change, and whether BGP has brought every other node's
// blocks into this node's routing table.
import { ApiError, type ApiClient } from '../api/client.js';
import { Informer } from '../api/informer.js';
import type { CalicoBlock, CalicoPool } from '../model/calico-ipam.js';
import type { ClusterModel, Node } from '../model/types.js';
import { netnsName } from '../model/names.js';
import type { DynamicCni } from '../plan/cni/types.js';
import { CRDS, crdManifest } from '../plan/control-plane/crds.js';
import { routeDestinations } from '../kernel/readiness.js';
import { blockAffinityObject, blocksFromApi, chooseAddress, ipamBlockObject } from './calico-ipam.js';
import { applyOps } from './kubelet.js';

const IPAM_KINDS = ['IPAMBlock', 'BlockAffinity'];

export class CalicoNode {
  readonly blocks: Informer;
  /** Blocks this node claimed that the informer may not have seen yet. */
  private claimed: CalicoBlock[] = [];
  private applied = '';
  tunnelIp: string | undefined;
  /** Addresses pods gave back, oldest first: handed out again last (Calico's FIFO). */
  private readonly releasedIps: string[] = [];

  constructor(
    private readonly client: ApiClient,
    private readonly pool: CalicoPool,
    private readonly node: string,
    private readonly cni: DynamicCni,
  ) {
    this.blocks = new Informer(client, '/apis/crd.projectcalico.org/v1/ipamblocks');
  }

  /** Calico's install creates its CRDs before calico-node starts; every agent makes sure. */
  async ensureCrds(): Promise<void> {
    for (const c of CRDS.filter((x) => IPAM_KINDS.includes(x.kind))) {
      try {
        await this.client.create('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crdManifest(c));
      } catch (e) {
        if (!(e instanceof ApiError) || e.status !== 409) throw e;
      }
    }
    const deadline = performance.now() + 30_000;
    for (;;) {
      try {
        await this.client.list('/apis/crd.projectcalico.org/v1/ipamblocks');
        await this.client.list('/apis/crd.projectcalico.org/v1/blockaffinities');
        return;
      } catch (e) {
        if (!(e instanceof ApiError) || e.status !== 404 || performance.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  all(): CalicoBlock[] {
    const seen = blocksFromApi(this.blocks.list());
    return [...seen, ...this.claimed.filter((c) => !seen.some((b) => b.cidr === c.cidr))];
  }

  released(ip: string): void {
    this.releasedIps.push(ip);
    if (this.releasedIps.length > 256) this.releasedIps.shift();
  }

  /** An address for a pod (or the tunnel): claims blocks as Calico IPAM would. */
  async address(used: ReadonlySet<string>, pinned?: string): Promise<{ ip: string } | { error: string }> {
    for (let attempt = 0; attempt < 64; attempt++) {
      const c = chooseAddress(this.pool, this.all(), this.node, used, pinned, this.releasedIps);
      if (!('claim' in c)) return c;
      try {
        await this.client.create('/apis/crd.projectcalico.org/v1/ipamblocks', ipamBlockObject(c.claim, this.node));
        await this.client.create('/apis/crd.projectcalico.org/v1/blockaffinities', blockAffinityObject(c.claim, this.node));
        this.claimed.push({ cidr: c.claim, node: this.node });
      } catch (e) {
        if (!(e instanceof ApiError) || e.status !== 409) throw e;
        // Another node claimed it first: read the blocks again and choose again.
        const { items } = await this.client.list('/apis/crd.projectcalico.org/v1/ipamblocks');
        for (const b of blocksFromApi(items)) if (!this.claimed.some((x) => x.cidr === b.cidr)) this.claimed.push(b);
      }
    }
    return { error: 'could not claim a block of the IP pool (too many conflicts)' };
  }

  /** calico-node at start in IP-in-IP mode: the node's tunnel address on tunl0. */
  async ensureTunnel(live: ClusterModel, self: Node, used: ReadonlySet<string>): Promise<void> {
    if (!this.cni.tunnelAddressOps || this.tunnelIp) return;
    const r = await this.address(used);
    if ('error' in r) throw new Error(`no tunnel address for ${self.name}: ${r.error}`);
    this.tunnelIp = r.ip;
    await applyOps(live.lab, `tunnel address of ${self.name}`, this.cni.tunnelAddressOps(live, self, r.ip));
  }

  /** confd: BIRD's configuration (and IP-in-IP routes) when blocks or nodes changed. */
  async syncRouting(live: ClusterModel, self: Node): Promise<void> {
    const blocks = this.all();
    const key = JSON.stringify([blocks, live.nodes.map((n) => [n.name, n.ip])]);
    if (key === this.applied || !this.cni.blocksChanged) return;
    await applyOps(live.lab, `routing of ${self.name}`, this.cni.blocksChanged(live, self, blocks));
    this.applied = key;
  }

  /** The other nodes' blocks this node has no route to yet (BGP still converging). */
  async missingRoutes(live: ClusterModel, self: Node): Promise<string[]> {
    const remote = this.all().filter((b) => b.node !== self.name && live.nodes.some((n) => n.name === b.node));
    if (remote.length === 0) return [];
    const have = await routeDestinations(netnsName(live.lab, self.name));
    return remote.filter((b) => !have.has(b.cidr)).map((b) => `${b.cidr} (${b.node})`);
  }
}
