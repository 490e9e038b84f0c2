// `lab exec <lab> <node-or-pod> -- <cmd...>`: a command in that namespace with the user's
// terminal, like `kubectl exec` (a pod's own /etc/resolv.conf included). Kept light: it loads
// no lab file, no YAML parser and no schema, so it starts about as fast as Node does.
import { netnsName } from '../model/names.js';
import { ownedNetns } from '../kernel/netns.js';
import { execInNetns, isPodNetns } from '../kernel/interactive.js';

function requireRoot(): boolean {
  if (process.getuid?.() === 0) return true;
  console.error('wirelab needs root to enter network namespaces: run it with sudo');
  return false;
}

/** A lab name (not a path): what the fast path takes without reading the lab file. */
export const LAB_NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export async function cmdExec(lab: string, target: string, cmd: string[]): Promise<number> {
  if (!requireRoot()) return 1;
  const ns = netnsName(lab, target);
  const present = await ownedNetns(lab);
  if (!present.includes(ns)) {
    const names = present.map((n) => n.slice(n.indexOf('.') + 1));
    console.error(
      names.length === 0 ? `lab "${lab}" is not up: run \`lab up ${lab}\` first` : `lab "${lab}" has no node or pod "${target}"; it has: ${names.join(', ')}`,
    );
    return 2;
  }
  // In a pod, what kubectl exec does there (its hostname, runc's errors, exit codes).
  return execInNetns(ns, cmd.length > 0 ? cmd : ['bash'], isPodNetns(ns) ? target : undefined);
}
