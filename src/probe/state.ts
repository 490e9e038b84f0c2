// Kernel and routing-daemon state an expectation reads after its probe: a node's routes
// (`ip route`), BIRD's BGP sessions (`birdc show protocols`), IPVS's virtual servers
// (`ipvsadm -Ln`), the ip sets kube-proxy matches (`ipset list`) or kube-proxy's nftables table
// (`nft list table ip kube-proxy`). Fixed argv, no user input.
import { labStateDir, netnsName } from '../model/names.js';
import { birdSocketPath } from '../plan/cni/calico-bgp.js';
import { inNetns, run } from '../kernel/exec.js';
import type { StateView } from '../labfile/schema.js';

export function stateArgv(lab: string, node: string, show: StateView): string[] {
  switch (show) {
    case 'routes':
      return ['ip', '-n', netnsName(lab, node), 'route', 'show'];
    case 'bgp':
      return ['birdc', '-s', `${labStateDir(lab)}/${birdSocketPath(node)}`, 'show', 'protocols'];
    case 'ipvs':
      return inNetns(netnsName(lab, node), ['ipvsadm', '-Ln'], true);
    case 'ipsets':
      return inNetns(netnsName(lab, node), ['ipset', 'list'], true);
    case 'nftables':
      return inNetns(netnsName(lab, node), ['nft', 'list', 'table', 'ip', 'kube-proxy'], true);
  }
}

/** What each check printed, or why it could not run. */
export async function readStates(lab: string, checks: { node: string; show: StateView }[]): Promise<string[]> {
  const out: string[] = [];
  for (const c of checks) {
    const r = await run(stateArgv(lab, c.node, c.show), { allowFailure: true, timeoutMs: 5000 });
    out.push(r.exitCode === 0 ? r.stdout : `(failed: ${r.stderr.trim() || r.stdout.trim()})`);
  }
  return out;
}
