// Kernel and routing-daemon state an expectation reads after its probe: a node's routes
// (`ip route`) or BIRD's BGP sessions (`birdc show protocols`). Fixed argv, no user input in it.
import { labStateDir, netnsName } from '../model/names.js';
import { birdSocketPath } from '../plan/cni/calico-bgp.js';
import { run } from '../kernel/exec.js';

export function stateArgv(lab: string, node: string, show: 'routes' | 'bgp'): string[] {
  if (show === 'routes') return ['ip', '-n', netnsName(lab, node), 'route', 'show'];
  return ['birdc', '-s', `${labStateDir(lab)}/${birdSocketPath(node)}`, 'show', 'protocols'];
}

/** What each check printed, or why it could not run. */
export async function readStates(lab: string, checks: { node: string; show: 'routes' | 'bgp' }[]): Promise<string[]> {
  const out: string[] = [];
  for (const c of checks) {
    const r = await run(stateArgv(lab, c.node, c.show), { allowFailure: true, timeoutMs: 5000 });
    out.push(r.exitCode === 0 ? r.stdout : `(failed: ${r.stderr.trim() || r.stdout.trim()})`);
  }
  return out;
}
