// kube-proxy's iptables mode as a sequence of syncs, the way the node agent runs it: a full sync
// the first time (and whenever the node's settings or large-cluster mode change, or after the
// tables were flushed), then partial syncs as upstream's (iptables-partial.ts): the top-level
// chains again, and only the chains of the services whose objects changed. Upstream learns what
// changed from its change trackers; here the objects the last sync did not see are found by
// identity and their services compared with the last sync's (service-objects.ts). The state's
// maps are kept in place from sync to sync, the last sync's changes undoable (undo-log.ts).
import { renderKubeProxyRuleset, type KubeProxyIptablesInput } from './iptables.js';
import type { RestoreAdditions } from './iptables-restore.js';
import { streamFullSync } from './iptables-stream.js';
import type { ToolInput } from '../streamed-text.js';
import { LARGE_CLUSTER_ENDPOINTS_THRESHOLD } from './iptables-chains.js';
import { renderPartialSync, topLevelOf, type TopLevelRules } from './iptables-partial.js';
import { servicePortsWithEndpoints } from './service-ports.js';
import { changedSince, groupByService, ownersOf, sameObjects, settingsOf, type ObjectOwners, type ServiceObjects } from './service-objects.js';
import { UndoLog } from './undo-log.js';

export interface IptablesSyncState {
  /** The last sync's input: a changed service's old rules are rendered from it. */
  input: KubeProxyIptablesInput;
  /** The input without its Services and EndpointSlices: when it changes, the next sync is full. */
  settings: string;
  /** The endpoints kube-proxy counted (proxier.go: largeClusterMode above 1000). */
  totalEndpoints: number;
  largeClusterMode: boolean;
  /** Each service's objects as the last sync saw them. This and `owners` belong to the newest
   * state: a partial sync changes them in place, recorded in `log`. */
  services: Map<string, ServiceObjects>;
  /** The last input's Services and EndpointSlices, each with its service. */
  owners: ObjectOwners;
  log: UndoLog;
  /** The log's version this state describes: a sync from an older state rolls the maps back. */
  logVersion: number;
  /** The top-level chains' rules as the last sync wrote them. */
  topLevel: TopLevelRules;
}

export interface IptablesSync {
  /** The iptables-restore --noflush input; empty when the changed objects change no rule. A full
   * sync's is rendered as it is read. */
  text: ToolInput;
  /** A full sync (the first one also needs kube-proxy's jump rules and canary chains). */
  full: boolean;
  state: IptablesSyncState;
}

/** A service's ports with their endpoints as kube-proxy derives them: its rules follow from these. */
const portsOf = (input: KubeProxyIptablesInput, objects: ServiceObjects | undefined) =>
  objects ? servicePortsWithEndpoints(objects.services, objects.slices, input.hostname) : [];

const endpointCount = (ports: ReturnType<typeof portsOf>) => ports.reduce((n, sp) => n + sp.endpoints.length, 0);

/** The input with only the named services' objects. */
const narrowed = (input: KubeProxyIptablesInput, groups: Map<string, ServiceObjects | undefined>, names: string[]): KubeProxyIptablesInput => ({
  ...input,
  services: names.flatMap((n) => groups.get(n)?.services ?? []),
  endpointSlices: names.flatMap((n) => groups.get(n)?.slices ?? []),
});

const isLarge = (input: KubeProxyIptablesInput, total: number) => input.largeClusterMode ?? total > LARGE_CLUSTER_ENDPOINTS_THRESHOLD;

/** One sync; undefined when no Service or EndpointSlice changed and the settings are the same.
 * `fullSync`: every service, whatever changed (upstream's forceSyncProxyRules, after its canary
 * found the tables flushed). `additions`: lines a full sync adds (the first one's canary chains
 * and jump rules). */
export function syncIptables(
  input: KubeProxyIptablesInput,
  previous?: IptablesSyncState,
  opts: { fullSync?: boolean; additions?: RestoreAdditions } = {},
): IptablesSync | undefined {
  const settings = settingsOf(input);
  if (previous && previous.settings === settings && !opts.fullSync) {
    const partial = partialSync(input, settings, previous);
    if (partial !== 'full') return partial;
  }
  // A full sync: every service written, and the service chains the last sync had and this one
  // has not deleted in the same restore. Its text is rendered while iptables-restore reads it
  // (iptables-stream.ts); what the next sync needs of it is read when the next sync asks.
  const stale = previous ? [...renderKubeProxyRuleset(previous.input).tables.nat.keys()] : [];
  const full = streamFullSync(input, { deleteChains: stale, additions: opts.additions });
  let topLevel: TopLevelRules | undefined;
  return {
    text: full.text,
    full: true,
    state: {
      input,
      settings,
      totalEndpoints: full.totalEndpoints,
      largeClusterMode: full.largeClusterMode,
      services: groupByService(input),
      owners: ownersOf(input),
      log: new UndoLog(),
      logVersion: 0,
      get topLevel() {
        return (topLevel ??= topLevelOf(full.ruleset().tables));
      },
    },
  };
}

/** A partial sync, or undefined when no service changed, or 'full' when the node crossed the
 * large-cluster threshold. Costs what changed: one map lookup per object finds the new ones. */
function partialSync(input: KubeProxyIptablesInput, settings: string, previous: IptablesSyncState): IptablesSync | undefined | 'full' {
  const { log, services, owners } = previous;
  log.rollBackTo(previous.logVersion);
  const changes = changedSince(input, owners);
  const changed: [string, ServiceObjects][] = [];
  const gone: string[] = [];
  for (const [name, group] of changes.groups) {
    const old = services.get(name);
    if (!group) {
      if (old) gone.push(name);
    } else if (!old || !sameObjects(old, group)) changed.push([name, group]);
  }
  // A model rebuilt with equal objects: nothing to do (the next sync compares them again).
  if (changed.length + gone.length === 0) return undefined;
  // Objects that changed in a way kube-proxy does not see (a label, say) change no rule.
  const rewrite: string[] = [];
  let totalEndpoints = previous.totalEndpoints;
  for (const [name, group] of changed) {
    const before = portsOf(previous.input, services.get(name));
    const after = portsOf(input, group);
    if (services.has(name) && JSON.stringify(before) === JSON.stringify(after)) continue;
    rewrite.push(name);
    totalEndpoints += endpointCount(after) - endpointCount(before);
  }
  for (const name of gone) totalEndpoints -= endpointCount(portsOf(previous.input, services.get(name)));
  const largeClusterMode = isLarge(input, totalEndpoints);
  if (largeClusterMode !== previous.largeClusterMode) return 'full';
  const removed = [...rewrite.filter((n) => services.has(n)), ...gone];
  // The inputs narrowed to the services that changed here, so the render does not filter the
  // node's every service again; the old objects are read before the maps change.
  const rendered =
    rewrite.length + gone.length === 0
      ? undefined
      : renderPartialSync(previous.topLevel, narrowed(previous.input, services, removed), narrowed(input, changes.groups, rewrite), largeClusterMode);
  log.begin();
  for (const [obj] of changes.removed) log.put(owners, obj, undefined);
  for (const [obj, name] of changes.added) log.put(owners, obj, name);
  for (const [name, group] of changes.groups) log.put(services, name, group);
  const state = {
    input,
    settings,
    totalEndpoints,
    largeClusterMode,
    services,
    owners,
    log,
    logVersion: log.version,
    topLevel: rendered?.topLevel ?? previous.topLevel,
  };
  return { text: rendered?.text ?? '', full: false, state };
}
