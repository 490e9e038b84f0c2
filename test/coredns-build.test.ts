import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import { queryUdp, type DnsReply } from './dns-client.js';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The CoreDNS binary built by scripts/build-coredns.sh from tools/coredns.
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const coredns = join(root, '.wirelab', 'bin', 'coredns');
const LOCALHOST = '127.0.0.1';

const goMod = readFileSync(join(root, 'tools', 'coredns', 'go.mod'), 'utf8');
const versionMatch = /github\.com\/coredns\/coredns\s+v(\d+\.\d+\.\d+)/.exec(goMod);
const corednsVersion = versionMatch?.[1] ?? '';

// Directive name as CoreDNS registers it (the "prometheus" directive is package plugin/metrics).
const PLUGINS = [
  'errors',
  'health',
  'ready',
  'kubernetes',
  'prometheus',
  'forward',
  'cache',
  'loop',
  'reload',
  'loadbalance',
  'log',
  'hosts',
  'file',
  'whoami',
  'chaos',
  'bind',
];

function run(args: string[]): string {
  return execFileSync(coredns, args, {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 10_000,
  });
}

/** A port that is free on 127.0.0.1 for TCP (and, checked next, UDP): CoreDNS binds both. */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, LOCALHOST, () => {
        const addr = srv.address();
        const p = typeof addr === 'object' && addr ? addr.port : 0;
        srv.close(() => resolve(p));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const sock = createSocket('udp4');
      sock.once('error', () => {
        sock.close();
        resolve(false);
      });
      sock.bind(port, LOCALHOST, () => sock.close(() => resolve(true)));
    });
    if (port > 0 && udpFree) return port;
  }
  throw new Error('no free port on 127.0.0.1');
}

const children: ChildProcess[] = [];
const tmpDirs: string[] = [];

afterEach(() => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
  for (const d of tmpDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('CoreDNS build (tools/coredns -> .wirelab/bin/coredns)', () => {
  beforeAll(() => {
    if (!existsSync(coredns)) {
      throw new Error(`${coredns} is missing: run \`bash scripts/build-coredns.sh\` first`);
    }
    expect(corednsVersion, 'CoreDNS version in tools/coredns/go.mod').toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('reports the CoreDNS version pinned in go.mod', () => {
    const out = run(['-version']);
    expect(out).toContain('CoreDNS-');
    expect(out).toContain(`CoreDNS-${corednsVersion}`);
  });

  it('includes every plugin the labs use', () => {
    // Caddy registers them as "dns.<name>"; coredns/caddy >= 1.1.4 prints them without
    // the "dns." prefix (one per line), older releases with it. Accept both.
    const out = run(['-plugins']);
    const listed = new Set(
      out
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '')
        .map((l) => `dns.${l.replace(/^dns\./, '')}`),
    );
    for (const p of PLUGINS) expect(listed, `plugin dns.${p}`).toContain(`dns.${p}`);
  });

  it('answers version.bind CH TXT over UDP on 127.0.0.1 (chaos runs before whoami)', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'wirelab-coredns-'));
    tmpDirs.push(dir);
    const corefile = join(dir, 'Corefile');
    // whoami is written first on purpose: execution order comes from dnsserver.Directives
    // (chaos before whoami, as upstream), not from the Corefile, so chaos must answer.
    writeFileSync(corefile, `.:${port} {\n  bind ${LOCALHOST}\n  whoami\n  chaos CoreDNS-test\n}\n`);

    const child = spawn(coredns, ['-conf', corefile], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));

    let answer: DnsReply | null = null;
    const deadline = performance.now() + 10_000;
    while (!answer && performance.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`coredns exited (${child.exitCode}):\n${output}`);
      answer = await queryUdp(port, 'version.bind', 'TXT', 'CH', 300);
    }
    expect(answer, `no DNS answer from coredns on ${LOCALHOST}:${port}\n${output}`).not.toBeNull();
    expect(answer!.response).toBe(true);
    expect(answer!.rcode).toBe('NOERROR');
    expect(answer!.txt).toContain('CoreDNS-test');

    child.kill('SIGTERM');
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
  });
});
