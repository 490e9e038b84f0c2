// Kernel feature detection from the running kernel's build configuration, so a lab that needs
// something this kernel lacks is reported as skipped (never faked, never silently passed).
import { readFileSync, existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { release } from 'node:os';

export type FeatureState = 'built-in' | 'module' | 'missing' | 'unknown';

export interface KernelConfig {
  source: string | undefined;
  values: Map<string, string>;
}

export function parseKernelConfig(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const set = /^(CONFIG_[A-Z0-9_]+)=(.*)$/.exec(line);
    if (set) values.set(set[1], set[2]);
    const unset = /^# (CONFIG_[A-Z0-9_]+) is not set$/.exec(line);
    if (unset) values.set(unset[1], 'n');
  }
  return values;
}

let cached: KernelConfig | undefined;

export function readKernelConfig(): KernelConfig {
  if (cached) return cached;
  const candidates = ['/proc/config.gz', `/boot/config-${release()}`, `/lib/modules/${release()}/config`];
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    try {
      const raw = readFileSync(path);
      const text = path.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
      cached = { source: path, values: parseKernelConfig(text) };
      return cached;
    } catch {
      // unreadable: try the next one
    }
  }
  cached = { source: undefined, values: new Map() };
  return cached;
}

/** Another kernel's configuration (a `--kernel` image's config file). */
export function readKernelConfigFile(path: string): KernelConfig {
  return { source: path, values: parseKernelConfig(readFileSync(path, 'utf8')) };
}

export function featureState(config: KernelConfig, name: string): FeatureState {
  if (!config.source) return 'unknown';
  const v = config.values.get(name);
  if (v === 'y') return 'built-in';
  if (v === 'm') return 'module';
  return 'missing';
}

/** What each feature is for, and the fix when it is missing. */
export const FEATURES: Record<string, { what: string; fix: string }> = {
  CONFIG_NET_NS: { what: 'network namespaces (every node and pod)', fix: 'use a kernel built with CONFIG_NET_NS (every distribution kernel is)' },
  CONFIG_VETH: { what: 'veth pairs (pod and node links)', fix: 'modprobe veth, or use a distribution kernel' },
  CONFIG_BRIDGE: { what: 'Linux bridge (cni0, the underlay switch)', fix: 'modprobe bridge' },
  CONFIG_BRIDGE_NETFILTER: { what: 'br_netfilter (bridged traffic through iptables, as kubeadm requires)', fix: 'modprobe br_netfilter' },
  CONFIG_VXLAN: { what: 'VXLAN devices (flannel.1)', fix: 'modprobe vxlan' },
  CONFIG_NF_TABLES: { what: 'nftables (iptables-nft backend, nft trace)', fix: 'use a kernel with CONFIG_NF_TABLES' },
  CONFIG_NF_CONNTRACK: { what: 'connection tracking (NAT, return traffic)', fix: 'modprobe nf_conntrack' },
  CONFIG_NETFILTER_XT_MATCH_COMMENT: { what: 'iptables comment match (flannel, kube-proxy rules)', fix: 'modprobe xt_comment' },
  CONFIG_NETFILTER_XT_MATCH_CONNTRACK: { what: "iptables conntrack match (kubelet's KUBE-FIREWALL, kube-proxy, policies)", fix: 'modprobe xt_conntrack' },
  CONFIG_NETFILTER_XT_TARGET_MASQUERADE: { what: 'MASQUERADE target (flanneld masq, pod -> internet SNAT)', fix: 'modprobe xt_MASQUERADE' },
  CONFIG_IP_VS: { what: 'IPVS (kube-proxy ipvs mode)', fix: 'use a kernel with CONFIG_IP_VS, e.g. the stock Debian/Ubuntu kernel of the Vagrant VM' },
  CONFIG_NET_IPIP: { what: 'IP-in-IP tunnels (Calico IPIP)', fix: 'use a kernel with CONFIG_NET_IPIP (modprobe ipip)' },
  CONFIG_GENEVE: { what: 'Geneve tunnels', fix: 'use a kernel with CONFIG_GENEVE (modprobe geneve)' },
  CONFIG_DUMMY: { what: 'dummy devices (kube-ipvs0)', fix: 'use a kernel with CONFIG_DUMMY (modprobe dummy)' },
  CONFIG_NFT_NAT: { what: 'nftables NAT (kube-proxy nftables mode: dnat, masquerade)', fix: 'use a kernel with CONFIG_NFT_NAT (modprobe nft_nat)' },
  CONFIG_NFT_NUMGEN: { what: 'nftables numgen (kube-proxy nftables mode load balancing)', fix: 'use a kernel with CONFIG_NFT_NUMGEN (modprobe nft_numgen)' },
  CONFIG_NFT_FIB_IPV4: {
    what: 'nftables fib (kube-proxy nftables mode: local addresses)',
    fix: 'use a kernel with CONFIG_NFT_FIB_IPV4 (modprobe nft_fib_ipv4)',
  },
  CONFIG_NFT_REJECT: {
    what: 'nftables reject (kube-proxy nftables mode: services without endpoints)',
    fix: 'use a kernel with CONFIG_NFT_REJECT (modprobe nft_reject)',
  },
  CONFIG_NET_SCH_NETEM: { what: 'netem (delay and loss)', fix: 'use a kernel with CONFIG_NET_SCH_NETEM' },
};

/** Features from the list that the kernel lacks (unknown counts as present: we cannot tell). */
export function missingFeatures(names: readonly string[], config = readKernelConfig()): string[] {
  return names.filter((n) => featureState(config, n) === 'missing');
}
