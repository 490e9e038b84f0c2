// What Calico's CNI plugin names and configures around a pod, pure data so that plans, tests and
// `lab clean` agree on it:
// - the host-side veth name (libcalico-go/lib/backend/k8s/conversion/workload_endpoint_default.go
//   VethNameForWorkload, called from cni-plugin/pkg/k8s/k8s.go CmdAddK8s);
// - the pod's side: its address as a /32, a link-scope route to the fake gateway 169.254.1.1 and
//   a default route via it (cni-plugin/pkg/dataplane/linux/dataplane_linux.go
//   DoWorkloadNetnsSetUp; the default /0 is DefaultRoutes in cni-plugin/internal/pkg/utils/network.go,
//   used by cni-plugin/pkg/k8s/k8s.go when the CNI config lists no routes);
// - the host's side: the fixed MAC ee:ee:ee:ee:ee:ee, proxy ARP and the per-interface sysctls
//   (configureSysctls), and a <pod IP>/32 scope link route to the veth (SetupRoutes).
//
// There is no static ARP entry anywhere in this path (upstream never adds a neighbour for
// 169.254.1.1 - `git log -S NeighAdd -- cni-plugin/` is empty): the pod ARPs for 169.254.1.1 and
// the host answers with its own MAC because proxy_arp is on for the cali interface. Linux only
// proxies when it has a route to the target out of another interface, so a node with no
// default route (nothing covering 169.254.1.1) leaves pods without a working gateway.
import { createHash } from 'node:crypto';

/** FELIX_INTERFACEPREFIX default: every workload interface starts with this. */
export const CALICO_IFACE_PREFIX = 'cali';

/** The next hop every Calico pod routes through; no interface owns it (proxy ARP answers). */
export const CALICO_GATEWAY_IP = '169.254.1.1';

/** dataplane_linux.go hostSideMAC: the same MAC on every host-side veth, so a pod's neighbour
 * entry for the gateway never changes (live migration, veth re-creation). */
export const CALICO_HOST_SIDE_MAC = 'ee:ee:ee:ee:ee:ee';

/** Interface inside the pod (the CNI_IFNAME kubelet passes). */
export const CALICO_POD_IFACE = 'eth0';

/** Linux interface names hold 15 characters (IFNAMSIZ 16 with the NUL): "cali" + 11 hex. */
export const CALICO_VETH_HASH_CHARS = 11;

/** VethNameForWorkload: prefix + the first 11 hex digits of sha1("<namespace>.<pod>").
 * `prefix` mirrors FELIX_INTERFACEPREFIX, of which upstream takes the first comma-separated
 * entry. */
export function calicoVethName(namespace: string, pod: string, prefix = CALICO_IFACE_PREFIX): string {
  const first = prefix.split(',')[0] || CALICO_IFACE_PREFIX;
  const h = createHash('sha1').update(`${namespace}.${pod}`).digest('hex');
  return `${first}${h.slice(0, CALICO_VETH_HASH_CHARS)}`;
}

/** The address CNI puts on the pod's eth0: DoWorkloadNetnsSetUp rewrites every IPv4 mask to
 * /32, so the pod has no on-link subnet and sends everything to the gateway. */
export function calicoPodAddress(ip: string): string {
  return `${ip}/32`;
}

/** Routes inside the pod, in the order DoWorkloadNetnsSetUp adds them, as `ip route` args:
 * first the gateway as a link-scope /32 ("a connected route to a dummy next hop so that a
 * default route can be set"), then each configured route via it (default 0.0.0.0/0). */
export function calicoPodRoutes(routes: readonly string[] = ['0.0.0.0/0'], dev = CALICO_POD_IFACE): string[][] {
  return [
    [`${CALICO_GATEWAY_IP}/32`, 'dev', dev, 'scope', 'link'],
    ...routes.map((r) => [r === '0.0.0.0/0' ? 'default' : r, 'via', CALICO_GATEWAY_IP, 'dev', dev]),
  ];
}

/** SetupRoutes: the host reaches the pod with a /32 scope link route on the host-side veth.
 * (Felix later owns this route; without Felix the CNI route is the only one.) */
export function calicoHostRoute(ip: string, hostVeth: string): string[] {
  return [`${ip}/32`, 'dev', hostVeth, 'scope', 'link'];
}

/** configureSysctls for an IPv4 workload, in upstream's order, as [key, value] for
 * `sysctl -w key=value` in the node's namespace. proxy_delay and accept_ra only log a
 * warning upstream when they fail; the others abort the CNI ADD. */
export function calicoHostVethSysctls(hostVeth: string): [string, string][] {
  return [
    // "Enable routing to localhost. This is required to allow for NAT to the local host."
    [`net.ipv4.conf.${hostVeth}.route_localnet`, '1'],
    // Answer the pod's ARP for 169.254.1.1 at once instead of after the proxy ARP delay.
    [`net.ipv4.neigh.${hostVeth}.proxy_delay`, '0'],
    // The host answers every ARP request from the pod with its own MAC: no address needed on
    // the host side, "one fewer thing we may clash over".
    [`net.ipv4.conf.${hostVeth}.proxy_arp`, '1'],
    // Forward packets coming from the pod (the fabric side needs it too, or the global default).
    [`net.ipv4.conf.${hostVeth}.forwarding`, '1'],
    [`net.ipv6.conf.${hostVeth}.accept_ra`, '0'],
  ];
}

/** configureContainerSysctls: inside the pod, IPv4 forwarding follows the CNI config's
 * container_settings.allow_ip_forwarding, false by default. */
export function calicoPodSysctls(allowIPForwarding = false): [string, string][] {
  return [['net.ipv4.ip_forward', allowIPForwarding ? '1' : '0']];
}
