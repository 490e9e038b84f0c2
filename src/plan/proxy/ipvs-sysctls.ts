// The sysctls IPVS mode's NewProxier sets (kubernetes/kubernetes pkg/proxy/ipvs/proxier.go), with
// the conn_reuse_mode kernel versions of pkg/util/kernel/constants.go.

// ---- sysctls (NewProxier) ---------------------------------------------------------------------

/** pkg/util/kernel/constants.go */
export const IPVS_CONN_REUSE_MODE_MIN_SUPPORTED_KERNEL = '4.1';
export const IPVS_CONN_REUSE_MODE_FIXED_KERNEL = '5.9';

export interface IpvsSysctlOptions {
  /** --ipvs-strict-arp (KubeProxyConfiguration ipvs.strictARP; kube-proxy's default is false). */
  strictARP: boolean;
  /** `uname -r` of the kernel; unset = a kernel >= 5.9 (conn_reuse_mode is left as it is). */
  kernelVersion?: string;
}

/** Compares dotted versions numerically ("5.10.0-28-amd64" > "5.9"), like version.ParseGeneric. */
function versionAtLeast(version: string, min: string): boolean {
  const parse = (v: string): number[] => (/^\d+(\.\d+)*/.exec(v)?.[0] ?? '0').split('.').map(Number);
  const a = parse(version);
  const b = parse(min);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/**
 * The sysctls NewProxier ensures, in its order (keys with dots, as sysctl(8) takes them):
 * vs/conntrack=1; vs/conn_reuse_mode=0 only on kernels in [4.1, 5.9) (older ones lack it, newer
 * ones fixed it: "Left as-is", issue 93297); vs/expire_nodest_conn=1;
 * vs/expire_quiescent_template=1; ip_forward=1; with strictARP, conf/all/arp_ignore=1 and
 * conf/all/arp_announce=2.
 */
export function ipvsSysctls(opts: IpvsSysctlOptions): { key: string; value: string }[] {
  const out = [{ key: 'net.ipv4.vs.conntrack', value: '1' }];
  const kernel = opts.kernelVersion;
  if (kernel !== undefined && versionAtLeast(kernel, IPVS_CONN_REUSE_MODE_MIN_SUPPORTED_KERNEL) && !versionAtLeast(kernel, IPVS_CONN_REUSE_MODE_FIXED_KERNEL)) {
    out.push({ key: 'net.ipv4.vs.conn_reuse_mode', value: '0' });
  }
  out.push(
    { key: 'net.ipv4.vs.expire_nodest_conn', value: '1' },
    { key: 'net.ipv4.vs.expire_quiescent_template', value: '1' },
    { key: 'net.ipv4.ip_forward', value: '1' },
  );
  if (opts.strictARP) {
    out.push({ key: 'net.ipv4.conf.all.arp_ignore', value: '1' }, { key: 'net.ipv4.conf.all.arp_announce', value: '2' });
  }
  return out;
}
