// An exercise's faults and solution steps as data: kernel operations (the same Op the lab's plan
// is made of, so the executor and the dry run treat them alike), kubectl calls, or a process of
// the lab to stop or start. A route or forwarding entry is found in the lab's own plan, so
// "delete the route to 10.8.1.0/24 on w1" deletes exactly what the pod network installed and
// putting it back replays that operation. Pure: nothing here runs anything.
import type { ExerciseAction } from '../labfile/exercise.js';
import type { Op, Plan, ProcessSpec } from './types.js';
import { shellQuote, splitWords } from '../shell-quote.js';
import { certPath } from './ingress/controller.js';

export type FaultStep = { says: string } & (
  | { kind: 'ops'; ops: Op[] }
  | { kind: 'kubectl'; args: string[]; stdin?: string }
  | { kind: 'stop'; process: string }
  | { kind: 'start'; process: ProcessSpec }
  /** A certificate made (`ops`), then put into the Secret: its files are read when it runs. */
  | { kind: 'tls'; ops: Op[]; secret: { namespace: string; name: string }; path: string }
);

export interface ActionProblem {
  /** Index of the action in its list. */
  index: number;
  message: string;
  fix: string;
}

const execSays = (lab: string, on: string, argv: string[]) => `lab exec ${lab} ${on} -- ${argv.map(shellQuote).join(' ')}`;

function netnsOf(plan: Plan, on: string): string | { message: string; fix: string } {
  const ns = plan.namespaces.find((n) => n.name === on);
  if (ns) return ns.netns;
  return { message: `the lab has no node, pod or switch named "${on}"`, fix: `use one of: ${plan.namespaces.map((n) => n.name).join(', ')}` };
}

function hasDevice(plan: Plan, on: string, dev: string): boolean {
  return plan.namespaces.find((n) => n.name === on)?.interfaces.includes(dev) ?? false;
}

/** The plan's `ip route` operation toward `to` in that namespace. */
function plannedRoute(plan: Plan, netns: string, to: string): Op | undefined {
  return plan.steps.flatMap((s) => s.ops).find((o) => o.kind === 'ip' && o.netns === netns && o.args[0] === 'route' && o.args[2] === to);
}

/** The plan's `bridge fdb` operation toward the peer's address in that namespace. */
function plannedFdb(plan: Plan, netns: string, peerIp: string): Op | undefined {
  return plan.steps
    .flatMap((s) => s.ops)
    .find((o) => o.kind === 'bridge' && o.netns === netns && o.args[0] === 'fdb' && o.args[o.args.indexOf('dst') + 1] === peerIp);
}

/** One action as a step, or why it cannot be done on this lab. */
export function planAction(a: ExerciseAction, plan: Plan, nodeIps: Record<string, string>): FaultStep | { message: string; fix: string } {
  const lab = plan.lab;
  if ('kubectl' in a) {
    const split = splitWords(a.kubectl);
    if ('error' in split)
      return { message: `kubectl: ${split.error}`, fix: 'write the command as you would type it after `kubectl`, quoting JSON in single quotes' };
    return { kind: 'kubectl', args: split.words, stdin: a.stdin, says: `lab kubectl ${lab} -- ${split.words.map(shellQuote).join(' ')}` };
  }
  if ('tls' in a) {
    const { secret, namespace, hosts } = a.tls;
    const path = certPath(namespace, secret);
    const generated = plan.steps.flatMap((s) => s.ops).some((o) => o.kind === 'tls-cert' && o.path === path);
    if (!generated)
      return {
        message: `the lab generates no TLS Secret ${namespace}/${secret}`,
        fix: 'name a kubernetes.io/tls Secret of the lab with the annotation wirelab.io/generate-certificate: "true"',
      };
    // Named after the hosts, so the fault's certificate and the solution's are different files.
    const leaf = `${path}-${hosts.join('-').replace(/[^A-Za-z0-9.-]/g, '_')}`;
    return {
      kind: 'tls',
      ops: [{ kind: 'x509-cert', path: leaf, ca: path, subject: `/CN=${hosts[0]}`, usage: 'server', sans: hosts.map((h) => `DNS:${h}`) }],
      secret: { namespace, name: secret },
      path: leaf,
      says: `a certificate for ${hosts.join(', ')} into Secret ${namespace}/${secret} (lab kubectl ${lab} -- create secret tls ${secret} -n ${namespace} --cert=... --key=... --dry-run=client -o yaml | kubectl apply -f -)`,
    };
  }
  if ('stop' in a || 'start' in a) {
    const name = 'stop' in a ? a.stop : a.start;
    const p = plan.processes.find((x) => x.name === name);
    if (!p) return { message: `the lab starts no process named "${name}"`, fix: `use one of: ${plan.processes.map((x) => x.name).join(', ')}` };
    return 'stop' in a ? { kind: 'stop', process: name, says: `stop ${name}` } : { kind: 'start', process: p, says: `start ${name} again` };
  }
  const on = 'route' in a ? a.route.on : 'fdb' in a ? a.fdb.on : 'link' in a ? a.link.on : 'mtu' in a ? a.mtu.on : 'iptables' in a ? a.iptables.on : a.netem.on;
  const netns = netnsOf(plan, on);
  if (typeof netns !== 'string') return netns;
  const ops = (kind: 'ip' | 'bridge' | 'tc', args: string[]): FaultStep => ({
    kind: 'ops',
    ops: [{ kind, netns, args }],
    says: execSays(lab, on, [kind, ...args]),
  });
  if ('route' in a) {
    const op = plannedRoute(plan, netns, a.route.to);
    if (!op || op.kind !== 'ip')
      return { message: `the pod network installs no route to ${a.route.to} on ${on}`, fix: `run \`lab up --dry-run\` to see ${on}'s routes` };
    return a.route.delete ? ops('ip', ['route', 'del', a.route.to]) : ops('ip', op.args);
  }
  if ('fdb' in a) {
    const ip = nodeIps[a.fdb.peer];
    if (!ip) return { message: `"${a.fdb.peer}" is not a node of the lab`, fix: `use one of: ${Object.keys(nodeIps).join(', ')}` };
    const op = plannedFdb(plan, netns, ip);
    if (!op || op.kind !== 'bridge')
      return { message: `${on} has no VXLAN forwarding entry toward ${a.fdb.peer}`, fix: 'use a lab with cni: flannel-vxlan or canal' };
    const [, , mac, , dev] = op.args;
    return a.fdb.delete ? ops('bridge', ['fdb', 'del', mac, 'dev', dev, 'dst', ip, 'self']) : ops('bridge', op.args);
  }
  const dev = 'link' in a ? a.link.dev : 'mtu' in a ? a.mtu.dev : 'netem' in a ? a.netem.dev : undefined;
  if (dev !== undefined && !hasDevice(plan, on, dev))
    return { message: `${on} has no device "${dev}"`, fix: `use one of: ${plan.namespaces.find((n) => n.name === on)!.interfaces.join(', ')}` };
  if ('link' in a) return ops('ip', ['link', 'set', a.link.dev, a.link.state]);
  if ('mtu' in a) return ops('ip', ['link', 'set', a.mtu.dev, 'mtu', String(a.mtu.mtu)]);
  if ('netem' in a) {
    if (a.netem.remove) return ops('tc', ['qdisc', 'del', 'dev', a.netem.dev, 'root']);
    const spec = [
      ...(a.netem.delayMs !== undefined ? ['delay', `${a.netem.delayMs}ms`] : []),
      ...(a.netem.lossPercent !== undefined ? ['loss', `${a.netem.lossPercent}%`] : []),
    ];
    return ops('tc', ['qdisc', 'replace', 'dev', a.netem.dev, 'root', 'netem', ...spec]);
  }
  const flag = a.iptables.delete ? '-D' : '-A';
  return {
    kind: 'ops',
    ops: [{ kind: 'iptables-restore', netns, rules: `*${a.iptables.table}\n${flag} ${a.iptables.rule}\nCOMMIT\n` }],
    says: execSays(lab, on, ['iptables', '-t', a.iptables.table, flag, a.iptables.rule]),
  };
}

/** Every action of a list as steps; the problems name the index of the action. */
export function planActions(actions: ExerciseAction[], plan: Plan, nodeIps: Record<string, string>): { steps: FaultStep[]; problems: ActionProblem[] } {
  const steps: FaultStep[] = [];
  const problems: ActionProblem[] = [];
  actions.forEach((a, index) => {
    const r = planAction(a, plan, nodeIps);
    if ('kind' in r) steps.push(r);
    else problems.push({ index, ...r });
  });
  return { steps, problems };
}

/** Kernel faults need a kernel feature this one may lack (netem). */
export function actionRequires(actions: ExerciseAction[]): string[] {
  return actions.some((a) => 'netem' in a) ? ['CONFIG_NET_SCH_NETEM'] : [];
}
