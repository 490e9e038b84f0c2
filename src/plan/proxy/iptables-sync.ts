// kube-proxy's iptables mode as a sequence of syncs, the way the node agent runs it: a full sync
// the first time (and whenever the node's settings or large-cluster mode change, or after the
// tables were flushed), then partial syncs as upstream's (iptables-partial.ts): the top-level
// chains again, and only the chains of the services whose objects changed. Upstream learns what
// changed from its change trackers; here each service's objects are compared with the last
// sync's (service-objects.ts).
import { isServiceChainName } from './iptables-names.js';
import { renderKubeProxyRuleset, type KubeProxyIptablesInput } from './iptables.js';
import { toRestoreText, type RestoreAdditions } from './iptables-restore.js';
import { LARGE_CLUSTER_ENDPOINTS_THRESHOLD } from './iptables-chains.js';
import { renderPartialSync, topLevelOf, type TopLevelRules } from './iptables-partial.js';
import { servicePortsWithEndpoints } from './service-ports.js';
import { groupByService, sameObjects, settingsOf, type ServiceObjects } from './service-objects.js';

export interface IptablesSyncState {
  /** The last sync's input: a changed service's old rules are rendered from it. */
  input: KubeProxyIptablesInput;
  /** The input without its Services and EndpointSlices: when it changes, the next sync is full. */
  settings: string;
  /** The endpoints kube-proxy counted (proxier.go: largeClusterMode above 1000). */
  totalEndpoints: number;
  largeClusterMode: boolean;
  /** Each service's objects as the last sync saw them. */
  services: Map<string, ServiceObjects>;
  /** The top-level chains' rules as the last sync wrote them. */
  topLevel: TopLevelRules;
}

export interface IptablesSync {
  /** The iptables-restore --noflush input; empty when the changed objects change no rule. */
  text: string;
  /** A full sync (the first one also needs kube-proxy's jump rules and canary chains). */
  full: boolean;
  state: IptablesSyncState;
}

/** A service's ports with their endpoints as kube-proxy derives them: its rules follow from these. */
const portsOf = (input: KubeProxyIptablesInput, objects: ServiceObjects | undefined) =>
  objects ? servicePortsWithEndpoints(objects.services, objects.slices, input.hostname) : [];

const endpointCount = (ports: ReturnType<typeof portsOf>) => ports.reduce((n, sp) => n + sp.endpoints.length, 0);

/** The input with only the named services' objects. */
const narrowed = (input: KubeProxyIptablesInput, groups: Map<string, ServiceObjects>, names: string[]): KubeProxyIptablesInput => ({
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
  const services = groupByService(input);
  if (previous && previous.settings === settings && !opts.fullSync) {
    // Loops, not spreads of every service into arrays: this runs over the node's every service.
    const changed: [string, ServiceObjects][] = [];
    for (const [name, group] of services) {
      const old = previous.services.get(name);
      if (!old || !sameObjects(old, group)) changed.push([name, group]);
    }
    // When every service of the last sync is among the unchanged ones, none is gone.
    const gone: string[] = [];
    if (services.size - changed.length !== previous.services.size) for (const name of previous.services.keys()) if (!services.has(name)) gone.push(name);
    if (changed.length + gone.length === 0) return undefined;
    // Objects that changed in a way kube-proxy does not see (a label, say) change no rule.
    const rewrite: string[] = [];
    let totalEndpoints = previous.totalEndpoints;
    for (const [name, group] of changed) {
      const before = portsOf(previous.input, previous.services.get(name));
      const after = portsOf(input, group);
      if (previous.services.has(name) && JSON.stringify(before) === JSON.stringify(after)) continue;
      rewrite.push(name);
      totalEndpoints += endpointCount(after) - endpointCount(before);
    }
    for (const name of gone) totalEndpoints -= endpointCount(portsOf(previous.input, previous.services.get(name)));
    const largeClusterMode = isLarge(input, totalEndpoints);
    if (largeClusterMode === previous.largeClusterMode) {
      const removed = [...rewrite.filter((n) => previous.services.has(n)), ...gone];
      if (rewrite.length + gone.length === 0) return { text: '', full: false, state: { ...previous, input, services } };
      // The inputs narrowed to the services that changed here, from their groups, so the render
      // does not filter the node's every service again.
      const { text, topLevel } = renderPartialSync(
        previous.topLevel,
        narrowed(previous.input, previous.services, removed),
        narrowed(input, services, rewrite),
        largeClusterMode,
      );
      return { text, full: false, state: { input, settings, totalEndpoints, largeClusterMode, services, topLevel } };
    }
  }
  // A full sync: every service written, and the service chains the last sync had and this one
  // has not deleted in the same restore.
  const ruleset = renderKubeProxyRuleset(input);
  const stale = previous
    ? [...renderKubeProxyRuleset(previous.input).tables.nat.keys()].filter((c) => isServiceChainName(c) && !ruleset.tables.nat.has(c))
    : [];
  return {
    text: toRestoreText(ruleset, { deleteChains: stale, additions: opts.additions }),
    full: true,
    state: {
      input,
      settings,
      totalEndpoints: ruleset.totalEndpoints,
      largeClusterMode: ruleset.largeClusterMode,
      services,
      topLevel: topLevelOf(ruleset.tables),
    },
  };
}
