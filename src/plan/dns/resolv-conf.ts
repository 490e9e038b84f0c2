// A pod's /etc/resolv.conf as text, the way containerd formats it (containerd
// internal/cri/server/sandbox_run.go parseDNSOptions: search, then nameserver lines, then
// options). What it says is resolved in the model (model/pod-dns.ts, kubelet's GetPodDNS).
import type { ResolverConfig } from '../../model/types.js';

export function renderResolvConf(r: ResolverConfig): string {
  let out = '';
  if (r.searches.length > 0) out += `search ${r.searches.join(' ')}\n`;
  for (const ns of r.nameservers) out += `nameserver ${ns}\n`;
  if (r.options.length > 0) out += `options ${r.options.join(' ')}\n`;
  return out;
}
