// kube-proxy's nftables mode, as pure code: Proxier.syncProxyRules() of kubernetes v1.34.2
// pkg/proxy/nftables/proxier.go for the IPv4 proxier. A sync takes the node's Services and
// EndpointSlices and what the previous sync left in the kernel (NftSyncState, the mirror of the
// table upstream reads with `nft list`), and returns the transactions to run with `nft -f`:
// a full sync (the first, or when asked) sets up the table and rewrites every service; a
// partial sync rewrites only the chains of services whose objects changed, and adds or deletes
// only the map and set elements that differ (nftElementStorage.ensureElem /
// cleanupLeftoverKeys), exactly as upstream. Golden-tested against proxier_test.go.
import type { EndpointSlice } from '../../model/types.js';
import { isValidIpv4 } from '../../net/cidr.js';
import type { NftOp } from './nft-objects.js';
import { NftTable } from './nft-table.js';
import { NFT_CONTAINERS, setupNFTables } from './nftables-setup.js';
import { writeNftServicePort, type NftSyncContext } from './nftables-service.js';
import { cidrContains, normalizeCidr, servicePortsWithEndpoints, type IptablesService } from './service-ports.js';
import { isAffinitySetName, isNftServiceChainName } from './nftables-names.js';
import { ElementStore, splitClaim } from './nft-elements.js';
import { changedSince, groupByService, ownersOf, sameObjects, settingsOf, type ObjectOwners, type ServiceObjects } from './service-objects.js';

export interface KubeProxyNftablesInput {
  /** --hostname-override: endpoints with this nodeName are local. */
  hostname: string;
  /** The node's IPv4 addresses; the first is proxier.nodeIP. */
  nodeIPs: string[];
  /** --cluster-cidr (the ClusterCIDR local-traffic detector); "" = no detector. */
  clusterCIDR: string;
  /** The ServiceCIDR objects' ranges (OnServiceCIDRsChanged); empty = none known yet. */
  serviceCIDRs: string[];
  services: IptablesService[];
  endpointSlices: EndpointSlice[];
  /** --masquerade-bit (default 14): the mark is fmt.Sprintf("%#08x", 1<<bit). */
  masqueradeBit?: number;
  /** Overrides the mark (upstream's NewFakeProxier uses "0x4000"). */
  masqueradeMark?: string;
  masqueradeAll?: boolean;
  /** --nodeport-addresses; nftables mode defaults it to ["primary"] (server_linux.go). */
  nodePortAddresses?: string[];
}

type ServicePorts = ReturnType<typeof servicePortsWithEndpoints>;

/** What a sync made of one service and what it wrote for it. */
export interface ServiceRecord extends ServiceObjects {
  ports: ServicePorts;
  /** Its ports and endpoints as kube-proxy derives them: the service changed when this did. */
  fingerprint: string;
  chains: string[];
  affinitySets: string[];
  /** The map and set elements it wrote ("name key"). */
  elements: string[];
}

export interface NftSyncState {
  /** The table as the last successful transaction left it (changed in place by the next sync). */
  table: NftTable;
  /** The mirror's version this state describes (NftTable.rollBackTo). */
  tableVersion: number;
  /** The base chains were recreated once (proxier.flushed). */
  flushed: boolean;
  /** A sync ran before (proxier.syncedOnce: endpoint chains are skipped only on the first). */
  syncedOnce: boolean;
  /** The input without its Services and EndpointSlices: when it changes, every service is looked at. */
  settings: string;
  /** What the last sync made of each service (upstream's change trackers, plus what it wrote).
   * This and the two maps below belong to the newest state, as the mirror does: a partial sync
   * changes them in place and rollBackTo takes the change back. */
  services: Map<string, ServiceRecord>;
  /** How many services wrote each map or set element ("name key"). */
  claims: Map<string, number>;
  /** The last input's Services and EndpointSlices, each with its service: the next partial sync
   * finds the objects it has not seen by identity. */
  owners: ObjectOwners;
  /** Elements more than one service writes (two Services sharing an external IP and port): then
   * every sync visits every service, as upstream's does, so the last writer wins as there. */
  shared: number;
  /** Chains flushed because they went unused, and when (deleted a second later). */
  staleChains: Map<string, number>;
}

export interface NftSync {
  /** Deletes chains stale for over a second (upstream's separate transaction); may be empty. */
  cleanup: NftOp[];
  /** The sync's transaction. */
  ops: NftOp[];
  /** The state after both ran. */
  state: NftSyncState;
}

/** Go's fmt.Sprintf("%#08x", v): the width includes "0x". */
export function nftMasqueradeMark(bit: number): string {
  return '0x' + (1 << bit).toString(16).padStart(6, '0');
}

/** NodePortAddresses for IPv4: undefined = match all; else the node IPs inside the CIDRs. */
function nodePortIPs(input: KubeProxyNftablesInput): string[] | undefined {
  const nodeIPs = input.nodeIPs.filter(isValidIpv4);
  const addresses = input.nodePortAddresses ?? ['primary'];
  const expanded = addresses.flatMap((a) => (a === 'primary' ? nodeIPs.slice(0, 1).map((ip) => `${ip}/32`) : [a]));
  const cidrs = expanded.map(normalizeCidr).filter((c): c is string => c !== undefined);
  if (cidrs.length === 0 || cidrs.some((c) => c.endsWith('/0'))) return undefined;
  return [...new Set([...nodeIPs, '127.0.0.1'])].filter((ip) => cidrs.some((c) => cidrContains(c, ip)));
}

export function emptyNftState(): NftSyncState {
  return {
    table: new NftTable(),
    tableVersion: 0,
    flushed: false,
    syncedOnce: false,
    settings: '',
    services: new Map(),
    claims: new Map(),
    owners: new Map(),
    shared: 0,
    staleChains: new Map(),
  };
}

/** One syncProxyRules(). `fullSync` forces a full sync (upstream: needFullSync, hourly).
 *
 * A partial sync costs what changed, not what the node has: upstream's change trackers hand it
 * the services whose objects changed; here the objects the last sync did not see are found by
 * identity (service-objects.ts changedSince), only their services are compared with what the
 * last sync saw and derived again, and what a changed or deleted service no longer uses (chains,
 * affinity sets, elements) comes from what the last sync recorded it wrote. A full sync, a
 * change of the node's settings, or an element two services share visits every service and
 * reads the mirror, as upstream's does. */
export function syncNftables(input: KubeProxyNftablesInput, previous?: NftSyncState, opts: { now?: number; fullSync?: boolean } = {}): NftSync {
  const now = opts.now ?? Date.now();
  const prev = previous ?? emptyNftState();
  // The mirror belongs to the newest state: a retry from an older one takes its last transaction back.
  const table = previous ? prev.table : new NftTable();
  table.rollBackTo(prev.tableVersion);
  table.begin(previous !== undefined);
  const staleChains = new Map(prev.staleChains);
  const doFullSync = previous === undefined || opts.fullSync === true;

  // Chains stale for over a second go first, in a transaction of their own.
  const cleanup: NftOp[] = [];
  for (const [chain, since] of staleChains) {
    if (since >= now - 1000) continue;
    if (table.chains.has(chain)) cleanup.push({ verb: 'delete', obj: { kind: 'chain', name: chain } });
    staleChains.delete(chain);
  }
  table.apply(cleanup);

  const masqueradeMark = input.masqueradeMark ?? nftMasqueradeMark(input.masqueradeBit ?? 14);
  const ops: NftOp[] = doFullSync
    ? setupNFTables({ masqueradeMark, serviceCIDRs: input.serviceCIDRs.join(','), nodePortIPs: nodePortIPs(input), firstSync: !prev.flushed })
    : [];
  const settings = settingsOf(input);
  const everyService = doFullSync || settings !== prev.settings || prev.shared > 0;
  // What the kernel has is read from the mirror as it is before this sync's operations (after
  // setup, which only adds), as upstream lists it before writing.
  const ctx: NftSyncContext = {
    ops,
    activeChains: new Set(),
    activeAffinitySets: new Set(),
    elements: new ElementStore(table),
    existingChains: table.chains,
    existingAffinitySets: table.sets,
    syncedOnce: prev.syncedOnce,
    masqueradeAll: input.masqueradeAll ?? false,
    clusterCIDR: input.clusterCIDR,
    nodeIP: input.nodeIPs.find(isValidIpv4) ?? '',
  };
  const replaced: ServiceRecord[] = [];
  let state: Pick<NftSyncState, 'services' | 'claims' | 'owners' | 'shared'>;
  if (everyService) {
    // Every service written anew: the state's maps are built anew too (the last state keeps its own).
    const services = new Map<string, ServiceRecord>();
    const claims = new Map<string, number>();
    for (const [name, group] of [...groupByService(input)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const old = prev.services.get(name);
      const reuse = settings === prev.settings && old !== undefined && sameObjects(old, group);
      const ports = reuse ? old.ports : servicePortsWithEndpoints(group.services, group.slices, input.hostname);
      const fingerprint = reuse ? old.fingerprint : ports.map(fingerprintOf).join('');
      const record = writeService(ctx, group, ports, fingerprint, !doFullSync && old?.fingerprint === fingerprint);
      services.set(name, record);
      for (const key of record.elements) claims.set(key, (claims.get(key) ?? 0) + 1);
    }
    let shared = 0;
    for (const n of claims.values()) if (n > 1) shared++;
    state = { services, claims, owners: ownersOf(input), shared };
  } else {
    state = partialSync(input, prev, ctx, table, replaced);
  }

  if (everyService) removeUnusedFromMirror(ctx, table, staleChains, now);
  else removeUnusedOf(ctx, table, replaced, state.claims, staleChains, now);
  table.apply(ops);
  return {
    cleanup,
    ops,
    state: { table, tableVersion: table.version, flushed: true, syncedOnce: true, settings, staleChains, ...state },
  };
}

/** A partial sync's visit of the services whose objects changed. The last state's maps are
 * changed in place, each change recorded in the mirror's undo log: copying maps of every service
 * (and every element's claim count) cost more than rendering the change, and a retry from the
 * last state rolls them back with the table. */
function partialSync(
  input: KubeProxyNftablesInput,
  prev: NftSyncState,
  ctx: NftSyncContext,
  table: NftTable,
  replaced: ServiceRecord[],
): Pick<NftSyncState, 'services' | 'claims' | 'owners' | 'shared'> {
  const { services, claims, owners } = prev;
  let shared = prev.shared;
  const put = <K, V>(map: Map<K, V>, key: K, value: V | undefined) => table.log.put(map, key, value);
  const count = (key: string, by: number) => {
    const n = (claims.get(key) ?? 0) + by;
    put(claims, key, n > 0 ? n : undefined);
    if ((by > 0 && n === 2) || (by < 0 && n === 1)) shared += by;
  };
  const changes = changedSince(input, owners);
  for (const [obj] of changes.removed) put(owners, obj, undefined);
  for (const [obj, name] of changes.added) put(owners, obj, name);
  for (const name of [...changes.groups.keys()].sort()) {
    const group = changes.groups.get(name);
    const old = services.get(name);
    if (!group) {
      // No Service of that name is left: what it wrote goes.
      if (!old) continue;
      replaced.push(old);
      for (const key of old.elements) count(key, -1);
      put(services, name, undefined);
      continue;
    }
    // New objects equal to the old ones (a rebuilt model) derive nothing anew.
    const reuse = old !== undefined && sameObjects(old, group);
    const ports = reuse ? old.ports : servicePortsWithEndpoints(group.services, group.slices, input.hostname);
    const fingerprint = reuse ? old.fingerprint : ports.map(fingerprintOf).join('');
    if (old?.fingerprint === fingerprint) {
      put(services, name, { ...old, ...group });
      continue;
    }
    const record = writeService(ctx, group, ports, fingerprint, false);
    put(services, name, record);
    if (old) replaced.push(old);
    for (const key of old?.elements ?? []) count(key, -1);
    for (const key of record.elements) count(key, 1);
  }
  return { services, claims, owners, shared };
}

/** What a service port's rules follow from, as text; kept per port info and its endpoints (both
 * kept per model object), so a sync serialises only what it has not seen. */
const fingerprints = new WeakMap<ServicePorts[number]['spi'], { endpoints: ServicePorts[number]['endpoints']; text: string }>();

function fingerprintOf(sp: ServicePorts[number]): string {
  const memo = fingerprints.get(sp.spi);
  if (memo && memo.endpoints === sp.endpoints) return memo.text;
  const text = JSON.stringify(sp);
  fingerprints.set(sp.spi, { endpoints: sp.endpoints, text });
  return text;
}

/** Writes one service's ports and records what it wrote. */
function writeService(ctx: NftSyncContext, group: ServiceObjects, ports: ServicePorts, fingerprint: string, skipServiceUpdate: boolean): ServiceRecord {
  const all = { chains: ctx.activeChains, sets: ctx.activeAffinitySets };
  ctx.activeChains = new Set();
  ctx.activeAffinitySets = new Set();
  const elements = ctx.elements.startRecording();
  for (const { spi, endpoints } of ports) writeNftServicePort(ctx, spi, endpoints, skipServiceUpdate);
  const record: ServiceRecord = {
    ...group,
    ports,
    fingerprint,
    chains: [...ctx.activeChains],
    affinitySets: [...ctx.activeAffinitySets],
    elements: [...elements],
  };
  for (const c of ctx.activeChains) all.chains.add(c);
  for (const s of ctx.activeAffinitySets) all.sets.add(s);
  ctx.activeChains = all.chains;
  ctx.activeAffinitySets = all.sets;
  return record;
}

/** After visiting every service: what the mirror has that no service used. Unused service and
 * endpoint chains are flushed now and deleted a second later (kernels before 6.2 notice a chain
 * is unreferenced only some time after its map element goes). */
function removeUnusedFromMirror(ctx: NftSyncContext, table: NftTable, staleChains: Map<string, number>, now: number): void {
  for (const chain of table.chains.keys()) {
    if (!isNftServiceChainName(chain)) continue;
    if (!ctx.activeChains.has(chain)) {
      ctx.ops.push({ verb: 'flush', obj: { kind: 'chain', name: chain } });
      staleChains.set(chain, now);
    } else staleChains.delete(chain);
  }
  for (const set of table.sets.keys()) {
    if (isAffinitySetName(set) && !ctx.activeAffinitySets.has(set)) ctx.ops.push({ verb: 'delete', obj: { kind: 'set', name: set, type: 'ipv4_addr' } });
  }
  for (const { container, name } of NFT_CONTAINERS) {
    const have = (container === 'set' ? table.sets : table.maps).get(name);
    for (const key of have?.elements.keys() ?? []) {
      if (!ctx.elements.claimed(name, key)) ctx.ops.push({ verb: 'delete', obj: { kind: 'element', container, name, key: key.split(' . ') } });
    }
  }
}

/** After visiting the changed services: what they (and deleted ones) wrote last time and nobody
 * uses now, and the chains still stale from before. The same operations as the scan above. */
function removeUnusedOf(
  ctx: NftSyncContext,
  table: NftTable,
  replaced: ServiceRecord[],
  claims: Map<string, number>,
  staleChains: Map<string, number>,
  now: number,
): void {
  for (const chain of ctx.activeChains) staleChains.delete(chain);
  const unused = new Set([...staleChains.keys(), ...replaced.flatMap((r) => r.chains)]);
  for (const chain of unused) {
    if (ctx.activeChains.has(chain) || !table.chains.has(chain)) continue;
    ctx.ops.push({ verb: 'flush', obj: { kind: 'chain', name: chain } });
    staleChains.set(chain, now);
  }
  for (const set of new Set(replaced.flatMap((r) => r.affinitySets))) {
    if (!ctx.activeAffinitySets.has(set) && table.sets.has(set)) ctx.ops.push({ verb: 'delete', obj: { kind: 'set', name: set, type: 'ipv4_addr' } });
  }
  for (const claim of new Set(replaced.flatMap((r) => r.elements))) {
    if (claims.has(claim)) continue;
    const [name, key] = splitClaim(claim);
    const container = name === 'cluster-ips' ? 'set' : 'map';
    if ((container === 'set' ? table.sets : table.maps).get(name)?.elements.has(key)) {
      ctx.ops.push({ verb: 'delete', obj: { kind: 'element', container, name, key: key.split(' . ') } });
    }
  }
}
