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

export interface NftSyncState {
  /** The table as the last successful transaction left it. */
  table: NftTable;
  /** The base chains were recreated once (proxier.flushed). */
  flushed: boolean;
  /** A sync ran before (proxier.syncedOnce: endpoint chains are skipped only on the first). */
  syncedOnce: boolean;
  /** Each service's objects as the last sync saw them (upstream's change trackers). */
  fingerprints: Map<string, string>;
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
  return { table: new NftTable(), flushed: false, syncedOnce: false, fingerprints: new Map(), staleChains: new Map() };
}

/** One syncProxyRules(). `fullSync` forces a full sync (upstream: needFullSync, hourly). */
export function syncNftables(input: KubeProxyNftablesInput, previous?: NftSyncState, opts: { now?: number; fullSync?: boolean } = {}): NftSync {
  const now = opts.now ?? Date.now();
  const prev = previous ?? emptyNftState();
  const table = prev.table.clone();
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
  // What the kernel has, as upstream lists it before writing (after setup, which only adds).
  const existingChains = new Set(table.chains.keys());
  const existingAffinitySets = new Set([...table.sets.keys()].filter(isAffinitySetName));
  const elements = new Map(
    NFT_CONTAINERS.map(({ container, name }) => {
      const have = (container === 'set' ? table.sets : table.maps).get(name);
      return [name, new Map([...(have?.elements ?? [])].map(([k, e]) => [k, e.value?.join(' . ') ?? '']))];
    }),
  );

  const servicePorts = servicePortsWithEndpoints(input.services, input.endpointSlices, input.hostname);
  const fingerprints = new Map<string, string>();
  for (const sp of servicePorts) fingerprints.set(sp.spi.serviceName, (fingerprints.get(sp.spi.serviceName) ?? '') + JSON.stringify(sp));
  const changed = (name: string) => prev.fingerprints.get(name) !== fingerprints.get(name);

  const ctx: NftSyncContext = {
    ops,
    activeChains: new Set(),
    activeAffinitySets: new Set(),
    elements,
    leftover: new Map([...elements].map(([name, m]) => [name, new Set(m.keys())])),
    existingChains,
    existingAffinitySets,
    syncedOnce: prev.syncedOnce,
    masqueradeAll: input.masqueradeAll ?? false,
    clusterCIDR: input.clusterCIDR,
    nodeIP: input.nodeIPs.find(isValidIpv4) ?? '',
  };
  for (const { spi, endpoints } of servicePorts) writeNftServicePort(ctx, spi, endpoints, !doFullSync && !changed(spi.serviceName));

  // Unused service and endpoint chains are flushed now and deleted a second later (kernels
  // before 6.2 notice a chain is unreferenced only some time after its map element goes).
  for (const chain of existingChains) {
    if (!isNftServiceChainName(chain)) continue;
    if (!ctx.activeChains.has(chain)) {
      ops.push({ verb: 'flush', obj: { kind: 'chain', name: chain } });
      staleChains.set(chain, now);
    } else staleChains.delete(chain);
  }
  for (const set of existingAffinitySets) {
    if (!ctx.activeAffinitySets.has(set)) ops.push({ verb: 'delete', obj: { kind: 'set', name: set, type: 'ipv4_addr' } });
  }
  for (const [name, keys] of ctx.leftover) {
    const container = name === 'cluster-ips' ? 'set' : 'map';
    for (const key of keys) ops.push({ verb: 'delete', obj: { kind: 'element', container, name, key: key.split(' . ') } });
  }
  table.apply(ops);
  return { cleanup, ops, state: { table, flushed: true, syncedOnce: true, fingerprints, staleChains } };
}
