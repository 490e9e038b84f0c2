// Which services changed between two syncs of kube-proxy (iptables or nftables mode). Upstream's
// change trackers (pkg/proxy/servicechangetracker.go, endpointschangetracker.go) learn it from
// informer events; the node agent rebuilds its model from the API before each sync, keeping an
// unchanged API object as the same model object. So a sync first finds the objects it has not
// seen by identity (changedSince: one map lookup an object, no map of every service built), then
// compares the services those belong to with what the last sync saw, field by field, without
// serialising (about 3 µs a service; JSON or util.isDeepStrictEqual cost 3-4x): a rebuilt but
// equal object changes nothing.
import type { EndpointSlice } from '../../model/types.js';
import type { IptablesService } from './service-ports.js';

/** A service's objects: the Services named "ns/name" (one, unless the input repeats the name)
 * and the EndpointSlices of that service. */
export interface ServiceObjects {
  services: IptablesService[];
  slices: EndpointSlice[];
}

export function groupByService(input: { services: IptablesService[]; endpointSlices: EndpointSlice[] }): Map<string, ServiceObjects> {
  const groups = new Map<string, ServiceObjects>();
  for (const svc of input.services) {
    const name = serviceNameOf(svc, svc.name);
    const group = groups.get(name);
    if (group) group.services.push(svc);
    else groups.set(name, { services: [svc], slices: [] });
  }
  for (const slice of input.endpointSlices) groups.get(serviceNameOf(slice, slice.serviceName))?.slices.push(slice);
  return groups;
}

/** "ns/name" of the service an object belongs to, kept per object: a new string each sync costs
 * its hashing in every map lookup, and the model keeps unchanged objects from sync to sync. */
const serviceNames = new WeakMap<object, string>();

function serviceNameOf(obj: IptablesService | EndpointSlice, service: string): string {
  let name = serviceNames.get(obj);
  if (name === undefined) serviceNames.set(obj, (name = `${obj.namespace}/${service}`));
  return name;
}

/** Equal JSON-like values (plain objects, arrays, primitives); undefined fields count as set. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  // for-in, not Object.keys: no arrays allocated per object (the model's objects are plain).
  let fields = 0;
  for (const k in a) {
    if (!Object.hasOwn(b, k) || !sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
    fields++;
  }
  for (const k in b) if (Object.hasOwn(b, k)) fields--;
  return fields === 0;
}

export const sameObjects = (a: ServiceObjects, b: ServiceObjects): boolean => sameValue(a.services, b.services) && sameValue(a.slices, b.slices);

/** The input without its Services and EndpointSlices: when this changes, every service is visited. */
export const settingsOf = (input: { services: unknown; endpointSlices: unknown }): string =>
  JSON.stringify({ ...input, services: undefined, endpointSlices: undefined });

/** Every object of a sync's input, with the service ("ns/name") it belongs to. */
export type ObjectOwners = Map<IptablesService | EndpointSlice, string>;

export function ownersOf(input: { services: IptablesService[]; endpointSlices: EndpointSlice[] }): ObjectOwners {
  const owners: ObjectOwners = new Map();
  for (const svc of input.services) owners.set(svc, serviceNameOf(svc, svc.name));
  for (const slice of input.endpointSlices) owners.set(slice, serviceNameOf(slice, slice.serviceName));
  return owners;
}

export interface ObjectChanges {
  /** The services with an object added or removed since the last input, and their objects now
   * (undefined: no Service object of that name is left), as groupByService groups them. */
  groups: Map<string, ServiceObjects | undefined>;
  added: [IptablesService | EndpointSlice, string][];
  removed: [IptablesService | EndpointSlice, string][];
}

/** What changed since the input whose objects are `owners`, by object identity (the model holds
 * each object once). Costs one map lookup per object; the objects of the services that changed
 * are gathered in a second pass only when something did. */
export function changedSince(input: { services: IptablesService[]; endpointSlices: EndpointSlice[] }, owners: ObjectOwners): ObjectChanges {
  const added: ObjectChanges['added'] = [];
  let kept = 0;
  for (const svc of input.services) {
    if (owners.has(svc)) kept++;
    else added.push([svc, serviceNameOf(svc, svc.name)]);
  }
  for (const slice of input.endpointSlices) {
    if (owners.has(slice)) kept++;
    else added.push([slice, serviceNameOf(slice, slice.serviceName)]);
  }
  const removed: ObjectChanges['removed'] = [];
  if (kept < owners.size) {
    const present = new Set<object>(input.services);
    for (const slice of input.endpointSlices) present.add(slice);
    for (const [obj, name] of owners) if (!present.has(obj)) removed.push([obj, name]);
  }
  const groups = new Map<string, ServiceObjects | undefined>();
  for (const [, name] of [...added, ...removed]) groups.set(name, undefined);
  if (groups.size === 0) return { groups, added, removed };
  for (const svc of input.services) {
    const name = owners.get(svc) ?? serviceNameOf(svc, svc.name);
    if (!groups.has(name)) continue;
    const group = groups.get(name);
    if (group) group.services.push(svc);
    else groups.set(name, { services: [svc], slices: [] });
  }
  for (const slice of input.endpointSlices) {
    const name = owners.get(slice) ?? serviceNameOf(slice, slice.serviceName);
    if (groups.has(name)) groups.get(name)?.slices.push(slice);
  }
  return { groups, added, removed };
}
