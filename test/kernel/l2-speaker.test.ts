// The MetalLB-style L2 speaker (images/metallb-speaker/l2-speaker.py) makes a client on the same L2
// segment resolve a LoadBalancer IP that no interface owns to the elected node's eth0 MAC;
// with the speaker stopped, the same IP does not resolve at all.
import { describe, it, expect, afterAll } from 'vitest';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, labNamespaces, waitFor } from './helpers.js';

const SW = 'wl-l2test.sw';
const NODE = 'wl-l2test.node';
const CLIENT = 'wl-l2test.client';
const VIP = '10.10.20.201';
// The distribution interpreter: a pyenv shim would work too but adds a shell hop and depends on
// the caller's pyenv state; the speaker needs only the standard library.
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const SPEAKER = join(ROOT, 'images/metallb-speaker/l2-speaker.py');

const tmp = mkdtempSync(join(tmpdir(), 'wirelab-l2-'));
const readyFile = join(tmp, 'speaker.ready');
let speaker: ChildProcess | undefined;
let speakerOut = '';

function run(argv: string[]): string {
  return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8' });
}

/** Pings once and ignores the outcome: only the ARP exchange that precedes it matters. */
function pingOnce(ip: string): void {
  spawnSync('ip', ['netns', 'exec', CLIENT, 'ping', '-c1', '-W1', ip], { encoding: 'utf8' });
}

function clientNeigh(ip: string): string {
  return run(['ip', '-n', CLIENT, 'neigh', 'show', ip]).trim();
}

function speakerPids(): number[] {
  const pids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.endsWith('l2-speaker.py')) && argv.some((a) => /python/.test(a))) pids.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return pids;
}

async function stopSpeaker(): Promise<void> {
  const child = speaker;
  speaker = undefined;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  // `ip netns exec` execs the command in place, so the child pid is the python process; the
  // ready file names it too, in case an iproute2 version forks instead.
  let pid = child.pid!;
  try {
    pid = Number(readFileSync(readyFile, 'utf8').trim()) || pid;
  } catch {
    /* not ready yet */
  }
  process.kill(pid, 'SIGTERM');
  if (pid !== child.pid) child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

function build(): void {
  for (const ns of [SW, NODE, CLIENT]) run(['ip', 'netns', 'add', ns]);
  run(['ip', '-n', SW, 'link', 'add', 'br0', 'type', 'bridge']);
  run(['ip', '-n', SW, 'link', 'set', 'br0', 'up']);
  for (const [ns, port, addr] of [
    [NODE, 'p-node', '10.10.20.4/22'],
    [CLIENT, 'p-client', '10.10.20.100/22'],
  ]) {
    run(['ip', '-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', port, 'netns', SW]);
    run(['ip', '-n', SW, 'link', 'set', port, 'master', 'br0', 'up']);
    run(['ip', '-n', ns, 'addr', 'add', addr, 'dev', 'eth0']);
    run(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
    run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  }
}

afterAll(async () => {
  await stopSpeaker();
  for (const ns of [SW, NODE, CLIENT]) spawnSync('ip', ['netns', 'del', ns]);
  rmSync(tmp, { recursive: true, force: true });
  expect(labNamespaces('wl-l2test.')).toEqual([]);
  expect(speakerPids(), 'no l2-speaker process may survive the test').toEqual([]);
});

describe('l2 speaker (MetalLB layer-2 mode)', () => {
  it('answers ARP for the announced IP with the node MAC, and only while it runs', async () => {
    build();
    const nodeMac = JSON.parse(run(['ip', '-j', '-n', NODE, 'link', 'show', 'eth0']))[0].address as string;
    // The whole point of L2 mode: the VIP is on no interface of the node.
    expect(run(['ip', '-n', NODE, '-o', 'addr', 'show'])).not.toContain(VIP);

    speaker = spawn('ip', ['netns', 'exec', NODE, PYTHON, SPEAKER, '--interface', 'eth0', '--ip', VIP, '--ready-file', readyFile], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    speaker.stdout!.on('data', (d) => (speakerOut += d));
    speaker.stderr!.on('data', (d) => (speakerOut += d));
    await waitFor(() => existsSync(readyFile) || speaker?.exitCode !== null, 10_000, 'the speaker ready file');
    expect(existsSync(readyFile), speakerOut).toBe(true);

    pingOnce(VIP);
    expect(clientNeigh(VIP)).toMatch(new RegExp(`^${VIP} dev eth0 lladdr ${nodeMac} (REACHABLE|STALE|DELAY)`));
    // The entry came from a reply to the client's own request, not from a gratuitous ARP.
    await waitFor(() => speakerOut.includes(`reply ${VIP} is-at ${nodeMac} to 10.10.20.100`), 2_000, 'the reply log line');

    // An IP on the same subnet that is not announced is left alone.
    pingOnce('10.10.20.202');
    expect(clientNeigh('10.10.20.202')).toMatch(/^10\.10\.20\.202 dev eth0 +(INCOMPLETE|FAILED)/);
    expect(speakerOut).not.toContain('reply 10.10.20.202');

    // Without the speaker nothing answers for the VIP: the reply really came from it.
    await stopSpeaker();
    expect(speakerOut).toContain('l2-speaker: stopping');
    expect(existsSync(readyFile)).toBe(false);
    run(['ip', '-n', CLIENT, 'neigh', 'flush', 'dev', 'eth0']);
    pingOnce(VIP);
    const neigh = clientNeigh(VIP);
    expect(neigh).toMatch(new RegExp(`^${VIP} dev eth0 +(INCOMPLETE|FAILED)`));
    expect(neigh).not.toContain('lladdr');
  });
});
