// kube-proxy's nfacct counters (iptables mode's metrics, pkg/proxy/util/nfacct v1.34.2): on a
// full sync it ensures each counter (get it; add it when it is not there) in the node's network
// namespace (nfnetlink_acct objects are per namespace), and writes the `-m nfacct` matches only
// for counters that exist (proxier.go:810-820, 1126-1134, 1437-1439). Without the kernel's
// nfnetlink_acct or the `nfacct` tool no counter exists, and the rules go without them, as
// upstream's do when Ensure fails.
import { run } from './exec.js';

/** The counters of `names` that exist in the namespace after ensuring them. */
export async function ensureNfacctCounters(netns: string, names: readonly string[]): Promise<string[]> {
  const exists: string[] = [];
  for (const name of names) {
    const get = await run(['nfacct', 'get', name], { netns, netOnly: true, allowFailure: true }).catch(() => undefined);
    if (get?.exitCode === 0) {
      exists.push(name);
      continue;
    }
    const add = await run(['nfacct', 'add', name], { netns, netOnly: true, allowFailure: true }).catch(() => undefined);
    if (add?.exitCode === 0) exists.push(name);
  }
  return exists;
}
