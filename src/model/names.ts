// Names and link-layer addresses derived from the model: pure functions, so planning, teardown
// and `lab clean` agree on them without any shared state.
import { createHash } from 'node:crypto';

/** Every namespace, process marker and state directory of the harness starts with this. */
export const HARNESS_PREFIX = 'wl-';

/** The network namespace of a lab object: "wl-<lab>.<name>". The dot cannot appear in lab
 * names, so "wl-flannel." never matches a namespace of a lab called "flannel-vxlan". */
export function netnsName(lab: string, name: string): string {
  return `${HARNESS_PREFIX}${lab}.${name}`;
}

export function labNetnsPrefix(lab: string): string {
  return `${HARNESS_PREFIX}${lab}.`;
}

/** The lab that owns a namespace, or undefined when the harness does not own it. */
export function labOfNetns(netns: string): string | undefined {
  const m = /^wl-([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9-]+)$/.exec(netns);
  return m?.[1];
}

export const UNDERLAY = 'underlay';
export const UNDERLAY_BRIDGE = 'br0';

function hex(input: string, n: number): string {
  return createHash('sha256').update(input).digest('hex').slice(0, n);
}

/** Host side of a pod's veth. The CNI bridge plugin picks "veth" + 8 random hex digits; we
 * derive the digits from the pod's identity so that plans are reproducible. */
export function podVethName(namespace: string, pod: string): string {
  return `veth${hex(`${namespace}/${pod}`, 8)}`;
}

/** The switch port that connects a node to the underlay bridge. */
export function underlayPortName(node: string): string {
  const n = `p-${node}`;
  return n.length <= 15 ? n : `p-${hex(node, 8)}`;
}

/** A locally administered unicast MAC derived from a name (first octet 0x02-style). */
export function macFor(key: string): string {
  const h = createHash('sha256').update(key).digest();
  const b = [...h.subarray(0, 6)];
  b[0] = (b[0] & 0xfe) | 0x02;
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** Where the harness keeps a lab's state (tmpfs: gone after a reboot, like the namespaces). */
export const STATE_ROOT = process.env.WIRELAB_STATE_ROOT ?? '/run/wirelab';

export function labStateDir(lab: string): string {
  return `${STATE_ROOT}/${lab}`;
}

/** Environment marker on every process the harness starts, so `lab clean` can find them even
 * when their namespace is already gone. */
export const PROCESS_MARKER = 'WIRELAB_LAB';
