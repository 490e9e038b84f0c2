// Commands run inside a pod for the kubelet API: `kubectl exec` (with the container's view: the
// pod's network namespace and resolv.conf through `ip netns exec`, the pod's name as hostname in
// a UTS namespace of its own, as the pod's containers run; a pseudo-terminal for -t, resized from
// the resize stream) and `kubectl port-forward` (a connection to a port on the pod's loopback,
// as kubelet's dockershim made it with socat).
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { PROCESS_MARKER } from '../model/names.js';
import { CONTAINER_EXEC_SCRIPT, CONTAINER_EXEC_SH, PYTHON } from '../plan/workloads/programs.js';

export interface PodProcess {
  stdin: Writable;
  stdout: Readable;
  /** Absent with a TTY: the terminal carries both. */
  stderr?: Readable;
  resize(cols: number, rows: number): void;
  /** The exit code (128+n for signal n; 127/126 for a command that cannot be found or run). */
  exited: Promise<number>;
  kill(): void;
  pid: number;
}

/** What a container's environment has: a PATH, HOME, its hostname, TERM with a terminal (kubelet
 * sets TERM=xterm for a TTY), and the lab's marker so teardown finds anything left running. */
function podEnv(lab: string, hostname: string, tty: boolean): Record<string, string> {
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: '/root',
    HOSTNAME: hostname,
    ...(tty ? { TERM: 'xterm' } : {}),
    [PROCESS_MARKER]: lab,
  };
}

export function podExecArgv(netns: string, hostname: string, argv: string[], tty: boolean): string[] {
  const inPod = ['ip', 'netns', 'exec', netns, 'unshare', '--uts', '--'];
  return tty ? [...inPod, PYTHON, CONTAINER_EXEC_SCRIPT, '--tty', hostname, ...argv] : [...inPod, 'sh', CONTAINER_EXEC_SH, hostname, ...argv];
}

function exitCode(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.on('error', () => resolve(127));
    child.on('close', (code, signal) => resolve(code ?? 128 + (signal ? osSignal(signal) : 0)));
  });
}

const osSignal = (s: NodeJS.Signals) => ({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 })[s as string] ?? 0;

/** Runs a command in a pod (kubectl exec), or a container whose stdin stays open (stdin: true,
 * on a terminal with tty: true, as `kubectl run -it` makes it): the agent keeps its stdio for
 * `kubectl attach`. */
export function execInPod(o: { lab: string; netns: string; hostname: string; argv: string[]; tty: boolean }): PodProcess {
  const argv = podExecArgv(o.netns, o.hostname, o.argv, o.tty);
  const child = spawn(argv[0], argv.slice(1), {
    stdio: o.tty ? ['pipe', 'pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe'],
    env: podEnv(o.lab, o.hostname, o.tty),
  });
  const resizeFd = o.tty ? (child.stdio[3] as Writable) : undefined;
  resizeFd?.on('error', () => undefined);
  child.stdin!.on('error', () => undefined);
  return {
    stdin: child.stdin!,
    stdout: child.stdout!,
    ...(o.tty ? {} : { stderr: child.stderr! }),
    resize: (cols, rows) => {
      if (resizeFd?.writable && cols > 0 && rows > 0) resizeFd.write(`${Math.floor(cols)} ${Math.floor(rows)}\n`);
    },
    exited: exitCode(child),
    kill: () => child.kill('SIGKILL'),
    pid: child.pid ?? -1,
  };
}

/** A connection to 127.0.0.1:<port> inside the pod's network namespace, as a child's stdio. */
export function connectInPod(o: { lab: string; netns: string; port: number }): {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  exited: Promise<number>;
  kill(): void;
} {
  const child = spawn('nsenter', [`--net=/run/netns/${o.netns}`, '--', 'socat', 'STDIO', `TCP4:127.0.0.1:${o.port}`], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', [PROCESS_MARKER]: o.lab },
  });
  child.stdin.on('error', () => undefined);
  return { stdin: child.stdin, stdout: child.stdout, stderr: child.stderr, exited: exitCode(child), kill: () => child.kill('SIGKILL') };
}
