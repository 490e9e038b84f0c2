// Renders plan operations into the text the tools read: `ip -batch` and `bridge -batch` lines,
// sysctl argv, iptables-restore input. Also the dry-run listing.
import type { Op, Plan, Step } from '../plan/types.js';

/** A token of an -batch line. Names and addresses come from validated input; anything that
 * could split or quote a line is refused rather than escaped. */
export function batchToken(t: string): string {
  if (t === '' || /[\s"'\\#]/.test(t)) throw new Error(`refusing to put ${JSON.stringify(t)} in a batch line`);
  return t;
}

export function batchLine(args: string[]): string {
  return args.map(batchToken).join(' ');
}

export type ToolRun =
  | { tool: 'ip' | 'bridge'; netns: string; lines: string[] }
  | { tool: 'sysctl'; netns: string; settings: { key: string; value: string; optional: boolean }[] }
  | { tool: 'iptables-restore'; netns: string; rules: string }
  | { tool: 'ipset' | 'ipvsadm'; netns: string; input: string }
  | { tool: 'netns'; names: string[] }
  | { tool: 'file'; path: string; content: string }
  | { tool: 'netns-file'; netns: string; name: string; content: string }
  | { tool: 'tls-cert'; path: string; hosts: string[] };

/** Groups a step's operations: per namespace, consecutive operations of one tool form a run. */
export function groupStep(step: Step): { netns: string | null; runs: ToolRun[] }[] {
  const byNs = new Map<string | null, ToolRun[]>();
  const push = (ns: string | null, op: Op) => {
    if (!byNs.has(ns)) byNs.set(ns, []);
    const runs = byNs.get(ns)!;
    const last = runs[runs.length - 1];
    switch (op.kind) {
      case 'netns':
        if (last?.tool === 'netns') last.names.push(op.netns);
        else runs.push({ tool: 'netns', names: [op.netns] });
        return;
      case 'ip':
      case 'bridge':
        if (last && last.tool === op.kind && last.netns === op.netns) last.lines.push(batchLine(op.args));
        else runs.push({ tool: op.kind, netns: op.netns, lines: [batchLine(op.args)] });
        return;
      case 'sysctl':
        if (last?.tool === 'sysctl') last.settings.push({ key: op.key, value: op.value, optional: !!op.optional });
        else runs.push({ tool: 'sysctl', netns: op.netns, settings: [{ key: op.key, value: op.value, optional: !!op.optional }] });
        return;
      case 'iptables-restore':
        runs.push({ tool: 'iptables-restore', netns: op.netns, rules: op.rules });
        return;
      case 'restore':
        runs.push({ tool: op.tool, netns: op.netns, input: op.input });
        return;
      case 'file':
        runs.push({ tool: 'file', path: op.path, content: op.content });
        return;
      case 'netns-file':
        runs.push({ tool: 'netns-file', netns: op.netns, name: op.name, content: op.content });
        return;
      case 'tls-cert':
        runs.push({ tool: 'tls-cert', path: op.path, hosts: op.hosts });
        return;
    }
  };
  for (const op of step.ops) {
    // Namespace creation and files are not inside any namespace: one group each.
    push(op.kind === 'netns' || op.kind === 'file' || op.kind === 'netns-file' || op.kind === 'tls-cert' ? null : op.netns, op);
  }
  return [...byNs.entries()].map(([netns, runs]) => ({ netns, runs }));
}

/** A shell-like listing of the plan, for `lab up --dry-run` and golden tests. */
export function renderPlan(plan: Plan): string {
  const out: string[] = [`# plan for lab "${plan.lab}"`];
  for (const step of plan.steps) {
    out.push('', `## ${step.name}`);
    for (const group of groupStep(step)) {
      for (const run of group.runs) {
        switch (run.tool) {
          case 'netns':
            out.push('ip -batch - <<EOF', ...run.names.map((n) => `netns add ${n}`), 'EOF');
            break;
          case 'ip':
          case 'bridge':
            out.push(`${run.tool} -n ${run.netns} -batch - <<EOF`, ...run.lines, 'EOF');
            break;
          case 'sysctl':
            out.push(`nsenter --net=/run/netns/${run.netns} sysctl -w ${run.settings.map((s) => `${s.key}=${s.value}`).join(' ')}`);
            break;
          case 'iptables-restore':
            out.push(`nsenter --net=/run/netns/${run.netns} iptables-restore --noflush <<EOF`, run.rules.trimEnd(), 'EOF');
            break;
          case 'ipset':
            out.push(`nsenter --net=/run/netns/${run.netns} ipset restore -exist <<EOF`, run.input.trimEnd(), 'EOF');
            break;
          case 'ipvsadm':
            out.push(`nsenter --net=/run/netns/${run.netns} ipvsadm-restore <<EOF`, run.input.trimEnd(), 'EOF');
            break;
          case 'file':
            out.push(`cat > $STATE/${run.path} <<EOF`, run.content.trimEnd(), 'EOF');
            break;
          case 'netns-file':
            out.push(`cat > /etc/netns/${run.netns}/${run.name} <<EOF`, run.content.trimEnd(), 'EOF');
            break;
          case 'tls-cert':
            out.push(opensslArgv('$STATE', run.path, run.hosts).join(' '));
            break;
        }
      }
    }
  }
  out.push('', '## processes');
  for (const p of plan.processes) out.push(`ip netns exec ${p.netns} ${p.argv.join(' ')}   # ${p.name}`);
  return out.join('\n') + '\n';
}

/** A self-signed certificate whose subjectAltName lists every host (browsers and curl check the
 * SAN, not the CN). */
export function opensslArgv(stateDir: string, path: string, hosts: string[]): string[] {
  return ['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', `/CN=${hosts[0]}`, '-addext', `subjectAltName=${hosts.map((h) => `DNS:${h}`).join(',')}`, '-keyout', `${stateDir}/${path}.key`, '-out', `${stateDir}/${path}.crt`];
}
