// The real agnhost (k8s.io/kubernetes test/images/agnhost, built by scripts/build-kubernetes.sh
// from the same pinned Kubernetes version) as a pod's container: its subcommands, the flags
// that say where it listens (and so when it is ready), and what it refuses to start with.
// agnhost answers with os.Hostname(); a pod's hostname is its name, so the container runs in a
// UTS namespace of its own named after the pod (as the pod's UTS namespace would be).
import type { Container } from '../../model/types.js';
import { KUBE_BIN } from './programs.js';

/** agnhost's subcommands (test/images/agnhost/agnhost.go, v1.34.2). */
export const AGNHOST_SUBCOMMANDS = [
  'audit-proxy',
  'connect',
  'crd-conversion-webhook',
  'dns-suffix',
  'dns-server-list',
  'etc-hosts',
  'entrypoint-tester',
  'fake-gitserver',
  'guestbook',
  'inclusterclient',
  'liveness',
  'logs-generator',
  'mounttest',
  'net',
  'netexec',
  'nettest',
  'no-snat-test',
  'no-snat-test-proxy',
  'pause',
  'porter',
  'port-forward-tester',
  'resource-consumer-controller',
  'serve-hostname',
  'test-webserver',
  'tcp-reset',
  'webhook',
  'test-service-account-issuer-discovery',
  'grpc-health-checking',
  'stress',
  'pod-certificate-signer',
];

/** A cobra flag's value: --name=value or --name value; booleans may stand alone. */
export function agnhostFlag(args: readonly string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === `--${name}` || a === `-${name}`) return args[i + 1] !== undefined && !args[i + 1].startsWith('-') ? args[i + 1] : 'true';
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}

const bool = (v: string | undefined, dflt: boolean) => (v === undefined ? dflt : v !== 'false');
const int = (v: string | undefined, dflt: number) => (v === undefined ? dflt : Number(v));

export type Readiness = { tcp?: number; udp?: number } | 'started';

/** When the container is up: listening where its flags say (serve-hostname: --port, default
 * 9376; netexec: --http-port 8080 and --udp-port 8081), else as soon as it runs. */
export function agnhostReadiness(args: readonly string[]): Readiness {
  const [cmd, ...rest] = args;
  if (cmd === 'serve-hostname') {
    const port = int(agnhostFlag(rest, 'port'), 9376);
    const http = bool(agnhostFlag(rest, 'http'), true);
    const tcp = bool(agnhostFlag(rest, 'tcp'), false);
    const udp = bool(agnhostFlag(rest, 'udp'), false);
    return { ...(http || tcp ? { tcp: port } : {}), ...(udp ? { udp: port } : {}) };
  }
  if (cmd === 'netexec') {
    const udp = int(agnhostFlag(rest, 'udp-port'), 8081);
    return { tcp: int(agnhostFlag(rest, 'http-port'), 8080), ...(udp > 0 ? { udp } : {}) };
  }
  return 'started';
}

/** What agnhost itself would refuse, said before anything starts. */
export function agnhostProblem(args: readonly string[]): { message: string; fix: string } | undefined {
  const [cmd, ...rest] = args;
  if (!AGNHOST_SUBCOMMANDS.includes(cmd ?? ''))
    return { message: `agnhost has no subcommand "${cmd ?? ''}"`, fix: 'use serve-hostname, netexec, porter, connect, ... (see agnhost --help)' };
  if (cmd === 'serve-hostname' && bool(agnhostFlag(rest, 'http'), true) && (bool(agnhostFlag(rest, 'tcp'), false) || bool(agnhostFlag(rest, 'udp'), false)))
    return { message: 'agnhost serve-hostname cannot serve TCP/UDP and HTTP at the same time', fix: 'add --http=false' };
  return undefined;
}

/** agnhost's own arguments: the image's entrypoint is /agnhost, so a `command` replaces it
 * ([/agnhost, netexec, ...]) and `args` follow. */
export function agnhostArgs(c: Pick<Container, 'command' | 'args'>): string[] {
  return c.command ? [...c.command.slice(1), ...c.args] : c.args;
}

/** The container's command line: agnhost with its args, its hostname the pod's name. */
export function agnhostArgv(c: Pick<Container, 'command' | 'args'>, hostname: string): string[] {
  return ['unshare', '--uts', '--', 'sh', '-c', 'hostname "$0" && exec "$@"', hostname, KUBE_BIN.agnhost, ...agnhostArgs(c)];
}
