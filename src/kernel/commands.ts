// The one table from plan operations to what runs: every operation becomes exact commands
// (argv, standard input, whether a non-zero exit is tolerated) or a file the harness writes.
// The executor (apply.ts) runs these and nothing else; `lab up --dry-run` prints these; a kernel
// test checks that the two agree. Pure: nothing here runs anything.
import { dirname } from 'node:path';
import { labStateDir, PROCESS_MARKER } from '../model/names.js';
import type { Op, Plan, ProcessSpec, Step } from '../plan/types.js';
import type { ToolInput } from '../plan/streamed-text.js';
import { shellQuote } from '../shell-quote.js';

/** One thing the executor does, exactly as it does it. */
export type Command =
  /** Run argv (already wrapped for its network namespace); `tolerate`: a non-zero exit is fine. */
  | { kind: 'exec'; argv: string[]; input?: ToolInput; tolerate?: string }
  /** Write a file (parent directories created). */
  | { kind: 'write'; path: string; content: string }
  /** Create a directory and its parents. */
  | { kind: 'mkdir'; path: string };

/** Commands that run one after the other; the groups of a step run in parallel. */
export interface CommandGroup {
  /** The namespace the group works in; null for namespace creation and files. */
  netns: string | null;
  commands: Command[];
}

/** A token of an -batch line. Names and addresses come from validated input; anything that
 * could split or quote a line is refused rather than escaped. */
export function batchToken(t: string): string {
  if (t === '' || /[\s"'\\#]/.test(t)) throw new Error(`refusing to put ${JSON.stringify(t)} in a batch line`);
  return t;
}

export function batchLine(args: string[]): string {
  return args.map(batchToken).join(' ');
}

/** `ip netns exec` gives a program the namespace's /etc/netns files (a pod's resolv.conf) in a
 * private mount namespace; nsenter --net only switches the network namespace, which is enough
 * for sysctl (/proc/sys/net follows the opener's namespace) and netfilter tools (netlink), and
 * much cheaper when many run in parallel (mount namespace set-up serialises on a kernel lock). */
export function inNetns(netns: string | undefined, argv: string[], netOnly = false): string[] {
  if (!netns) return argv;
  return netOnly ? ['nsenter', `--net=/run/netns/${netns}`, '--', ...argv] : ['ip', 'netns', 'exec', netns, ...argv];
}

export type ToolRun =
  | { tool: 'ip' | 'bridge' | 'tc'; netns: string; lines: string[] }
  | { tool: 'sysctl'; netns: string; settings: { key: string; value: string; optional: boolean }[] }
  | { tool: 'iptables-restore'; netns: string; rules: ToolInput }
  | { tool: 'ipset' | 'ipvsadm' | 'nft'; netns: string; input: string }
  | { tool: 'netns'; names: string[] }
  | { tool: 'file'; path: string; content: string }
  | { tool: 'netns-file'; netns: string; name: string; content: string }
  | { tool: 'tls-cert'; path: string; hosts: string[] }
  | { tool: 'pki'; op: Extract<Op, { kind: 'x509-ca' | 'x509-cert' | 'key-pair' }> }
  | { tool: 'birdc'; socket: string };

/** Groups a step's operations: per namespace, consecutive operations of one tool form a run,
 * so that a step costs one process per namespace per tool, not one per operation. */
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
      case 'tc':
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
      case 'nft':
        runs.push({ tool: 'nft', netns: op.netns, input: op.input });
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
      case 'x509-ca':
      case 'x509-cert':
      case 'key-pair':
        runs.push({ tool: 'pki', op });
        return;
      case 'bird-configure':
        runs.push({ tool: 'birdc', socket: op.socket });
        return;
    }
  };
  for (const op of step.ops) {
    // Namespace creation and files are not inside any namespace: one group each.
    push('netns' in op && op.kind !== 'netns' && op.kind !== 'netns-file' ? op.netns : null, op);
  }
  return [...byNs.entries()].map(([netns, runs]) => ({ netns, runs }));
}

/** A self-signed certificate whose subjectAltName lists every host (browsers and curl check the
 * SAN, not the CN). */
export function opensslArgv(stateDir: string, path: string, hosts: string[]): string[] {
  return [
    'openssl',
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '30',
    '-subj',
    `/CN=${hosts[0]}`,
    '-addext',
    `subjectAltName=${hosts.map((h) => `DNS:${h}`).join(',')}`,
    '-keyout',
    `${stateDir}/${path}.key`,
    '-out',
    `${stateDir}/${path}.crt`,
  ];
}

const lines = (xs: string[]) => xs.join('\n') + '\n';

/** openssl for the control plane's PKI: P-256 keys (fast to make), 30 days. A certificate is a
 * request with its extensions, then signed by the CA copying them (openssl 3's -copy_extensions). */
export function pkiCommands(state: string, op: Extract<Op, { kind: 'x509-ca' | 'x509-cert' | 'key-pair' }>): Command[] {
  const p = `${state}/${op.path}`;
  const dir: Command = { kind: 'mkdir', path: dirname(p) };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  switch (op.kind) {
    case 'x509-ca':
      return [
        dir,
        {
          kind: 'exec',
          argv: [
            'openssl',
            'req',
            '-x509',
            ...ec,
            '-days',
            '30',
            '-subj',
            op.subject,
            '-addext',
            'basicConstraints=critical,CA:TRUE',
            '-addext',
            'keyUsage=critical,keyCertSign,cRLSign',
            '-keyout',
            `${p}.key`,
            '-out',
            `${p}.crt`,
          ],
        },
      ];
    case 'x509-cert': {
      const ext = [
        '-addext',
        `extendedKeyUsage=${op.usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
        ...(op.sans?.length ? ['-addext', `subjectAltName=${op.sans.join(',')}`] : []),
      ];
      const ca = `${state}/${op.ca}`;
      return [
        dir,
        { kind: 'exec', argv: ['openssl', 'req', '-new', ...ec, '-subj', op.subject, ...ext, '-keyout', `${p}.key`, '-out', `${p}.csr`] },
        {
          kind: 'exec',
          argv: [
            'openssl',
            'x509',
            '-req',
            '-in',
            `${p}.csr`,
            '-CA',
            `${ca}.crt`,
            '-CAkey',
            `${ca}.key`,
            '-CAcreateserial',
            '-days',
            '30',
            '-copy_extensions',
            'copyall',
            '-out',
            `${p}.crt`,
          ],
        },
      ];
    }
    case 'key-pair':
      return [
        dir,
        { kind: 'exec', argv: ['openssl', 'ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${p}.key`] },
        { kind: 'exec', argv: ['openssl', 'ec', '-in', `${p}.key`, '-pubout', '-out', `${p}.pub`] },
      ];
  }
}

/** The commands of one run of a tool. */
export function runCommands(lab: string, r: ToolRun): Command[] {
  switch (r.tool) {
    case 'netns':
      // `ip netns add` in batch mode restores the original namespace after each line.
      return [{ kind: 'exec', argv: ['ip', '-batch', '-'], input: lines(r.names.map((n) => `netns add ${n}`)) }];
    case 'ip':
    case 'bridge':
    case 'tc':
      return [{ kind: 'exec', argv: [r.tool, '-n', r.netns, '-batch', '-'], input: lines(r.lines) }];
    case 'sysctl': {
      const required = r.settings.filter((s) => !s.optional);
      const optional = r.settings.filter((s) => s.optional);
      const set = (xs: typeof r.settings) => xs.map((s) => `${s.key}=${s.value}`);
      return [
        ...(required.length > 0 ? [{ kind: 'exec' as const, argv: inNetns(r.netns, ['sysctl', '-q', '-w', ...set(required)], true) }] : []),
        // -e: a key this kernel does not have (its module is not loaded) is ignored.
        ...(optional.length > 0
          ? [
              {
                kind: 'exec' as const,
                argv: inNetns(r.netns, ['sysctl', '-q', '-e', '-w', ...set(optional)], true),
                tolerate: 'the setting may be missing from this kernel',
              },
            ]
          : []),
      ];
    }
    case 'iptables-restore':
      return [{ kind: 'exec', argv: inNetns(r.netns, ['iptables-restore', '--noflush'], true), input: r.rules }];
    case 'ipset':
      return [{ kind: 'exec', argv: inNetns(r.netns, ['ipset', 'restore', '-exist'], true), input: r.input }];
    case 'ipvsadm':
      return [{ kind: 'exec', argv: inNetns(r.netns, ['ipvsadm-restore'], true), input: r.input }];
    case 'nft':
      return [{ kind: 'exec', argv: inNetns(r.netns, ['nft', '-f', '-'], true), input: r.input }];
    case 'file':
      return [{ kind: 'write', path: `${labStateDir(lab)}/${r.path}`, content: r.content }];
    case 'netns-file':
      // `ip netns exec` bind-mounts /etc/netns/<netns>/<name> over /etc/<name>.
      return [{ kind: 'write', path: `/etc/netns/${r.netns}/${r.name}`, content: r.content }];
    case 'pki':
      return pkiCommands(labStateDir(lab), r.op);
    case 'birdc':
      return [{ kind: 'exec', argv: ['birdc', '-s', `${labStateDir(lab)}/${r.socket}`, 'configure'] }];
    case 'tls-cert':
      return [
        { kind: 'mkdir', path: dirname(`${labStateDir(lab)}/${r.path}`) },
        { kind: 'exec', argv: opensslArgv(labStateDir(lab), r.path, r.hosts) },
      ];
  }
}

/** A step as the executor runs it: one group per namespace, in the order the plan names them. */
export function stepCommands(lab: string, step: Step): CommandGroup[] {
  return groupStep(step).map((g) => ({ netns: g.netns, commands: g.runs.flatMap((r) => runCommands(lab, r)) }));
}

/** How a long-running process of the lab is started: detached, inside its namespace, its
 * output appended to its log file, marked with the lab so `lab clean` finds it. */
export interface ProcessCommand {
  name: string;
  argv: string[];
  env: Record<string, string>;
  log: string;
  /** How the executor knows it is ready, in words (for the dry run). */
  ready?: string;
  stage: number;
}

export function processLogFile(stateDir: string, name: string): string {
  return `${stateDir}/logs/${name.replace(/\//g, '_')}.log`;
}

export function processCommand(lab: string, p: ProcessSpec): ProcessCommand {
  const state = labStateDir(lab);
  const ready = p.readyFile
    ? `${state}/${p.readyFile} exists`
    : p.readyUdpPort !== undefined
      ? `it listens on UDP ${p.readyUdpPort}`
      : p.readyTcpPort !== undefined
        ? `it listens on TCP ${p.readyTcpPort}`
        : undefined;
  return {
    name: p.name,
    argv: inNetns(p.netns, p.argv, p.hostMounts),
    env: { [PROCESS_MARKER]: lab, ...p.env },
    log: processLogFile(state, p.name),
    ready,
    stage: p.stage ?? 1,
  };
}

// ---- rendering ----------------------------------------------------------------------------------

function heredoc(text: string): { open: string; body: string[] } {
  let tag = 'EOF';
  const body = text.replace(/\n$/, '').split('\n');
  for (let i = 1; body.includes(tag); i++) tag = `EOF${i}`;
  return { open: `<<'${tag}'`, body: [...body, tag] };
}

/** A command as shell text: what the executor runs, readable and runnable. */
export function renderCommand(c: Command): string[] {
  switch (c.kind) {
    case 'mkdir':
      return [`mkdir -p ${shellQuote(c.path)}`];
    case 'write': {
      const h = heredoc(c.content);
      return [`mkdir -p ${shellQuote(dirname(c.path))} && cat > ${shellQuote(c.path)} ${h.open}`, ...h.body];
    }
    case 'exec': {
      const cmd = c.argv.map(shellQuote).join(' ') + (c.tolerate ? ' || true' : '');
      if (c.input === undefined) return [cmd + (c.tolerate ? `   # ${c.tolerate}` : '')];
      const h = heredoc(String(c.input));
      return [`${c.argv.map(shellQuote).join(' ')} ${h.open}${c.tolerate ? ' || true' : ''}`, ...h.body];
    }
  }
}

export function renderProcess(p: ProcessCommand): string {
  const env = Object.entries(p.env).map(([k, v]) => `${k}=${shellQuote(v)}`);
  return `${[...env, ...p.argv.map(shellQuote)].join(' ')} >>${shellQuote(p.log)} 2>&1 &   # ${p.name}${p.ready ? `, ready when ${p.ready}` : ''}`;
}

/** `lab up --dry-run`: every command of every step, then the processes stage by stage. */
export function renderDryRun(plan: Plan): string {
  const out: string[] = [`# lab up ${plan.lab}: what runs, in order (groups of a step run in parallel)`];
  plan.steps.forEach((step, i) => {
    out.push('', `## step ${i + 1}: ${step.name}`);
    for (const g of stepCommands(plan.lab, step)) for (const c of g.commands) out.push(...renderCommand(c));
  });
  const procs = plan.processes.map((p) => processCommand(plan.lab, p));
  for (const stage of [...new Set(procs.map((p) => p.stage))].sort((a, b) => a - b)) {
    out.push('', `## processes, stage ${stage} (each ready before the next stage starts)`);
    for (const p of procs.filter((x) => x.stage === stage)) out.push(renderProcess(p));
  }
  if (plan.converged?.some((c) => c.routes.length > 0)) {
    out.push('', '## then wait until the routing daemons have taught every node these routes');
    for (const c of plan.converged) if (c.routes.length > 0) out.push(`# ${c.netns}: ${c.routes.join(' ')}`);
  }
  return out.join('\n') + '\n';
}
