// What a group or device says about itself, shared by every renderer: the name first, then its
// addresses (a few: kube-ipvs0 holds every ClusterIP), then one line of detail.
import type { TopoDevice, TopoGroup, Topology } from './types.js';

const MAX_ADDRESSES = 3;

export function deviceLines(d: TopoDevice): string[] {
  const shown = d.addresses.slice(0, MAX_ADDRESSES);
  const more = d.addresses.length - shown.length;
  return [d.name, ...shown, ...(more > 0 ? [`+${more} more`] : []), ...(d.detail ? [d.detail] : [])];
}

export function groupLines(g: TopoGroup): string[] {
  return [g.label, ...g.detail];
}

/** Groups in drawing order, each with the groups nested in it: callers recurse from the roots. */
export function childrenOf(t: Topology, parent: string | undefined): TopoGroup[] {
  return t.groups.filter((g) => g.parent === parent || (parent === undefined && g.parent !== undefined && !t.groups.some((x) => x.id === g.parent)));
}

/** Identifiers safe in Mermaid and DOT alike ([A-Za-z0-9_]), unique per key, stable per topology. */
export function idMaker(prefix: string): (key: string) => string {
  const given = new Map<string, string>();
  const used = new Set<string>();
  return (key) => {
    let id = given.get(key);
    if (id) return id;
    const base = `${prefix}${key.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '')}`;
    id = base;
    for (let n = 2; used.has(id); n++) id = `${base}_${n}`;
    used.add(id);
    given.set(key, id);
    return id;
  };
}
