import { describe, it, expect, beforeAll, afterEach } from 'vitest';
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

const QTYPE_TXT = 16;
const QCLASS_CH = 3;

/** A DNS query: 12-byte header, QNAME as labels, QTYPE, QCLASS (30 bytes for version.bind). */
function buildQuery(id: number, name: string, qtype: number, qclass: number): Buffer {
  const labels = name.replace(/\.$/, '').split('.');
  const qname = Buffer.concat([
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])),
    Buffer.from([0]),
  ]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4); // QDCOUNT
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(qtype, 0);
  tail.writeUInt16BE(qclass, 2);
  return Buffer.concat([header, qname, tail]);
}

/** Offset just past a (possibly compressed) domain name starting at off. */
function skipName(msg: Buffer, off: number): number {
  for (;;) {
    const len = msg[off];
    if (len === undefined) throw new Error('truncated name');
    if (len === 0) return off + 1;
    if ((len & 0xc0) === 0xc0) return off + 2; // compression pointer ends the name
    off += 1 + len;
  }
}

interface Answer {
  id: number;
  rcode: number;
  qr: boolean;
  txt: string[]; // character-strings of every TXT record in the answer section
}

function parseResponse(msg: Buffer): Answer {
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  const qdcount = msg.readUInt16BE(4);
  const ancount = msg.readUInt16BE(6);
  let off = 12;
  for (let i = 0; i < qdcount; i++) off = skipName(msg, off) + 4;
  const txt: string[] = [];
  for (let i = 0; i < ancount; i++) {
    off = skipName(msg, off);
    const type = msg.readUInt16BE(off);
    const rdlength = msg.readUInt16BE(off + 8);
    const rdata = off + 10;
    if (type === QTYPE_TXT) {
      for (let p = rdata; p < rdata + rdlength; ) {
        const l = msg[p]!;
        txt.push(msg.subarray(p + 1, p + 1 + l).toString('utf8'));
        p += 1 + l;
      }
    }
    off = rdata + rdlength;
  }
  return { id, rcode: flags & 0x0f, qr: (flags & 0x8000) !== 0, txt };
}

/** One UDP query to 127.0.0.1:port; resolves with the response or null after timeoutMs. */
function queryOnce(port: number, query: Buffer, timeoutMs: number): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    const done = (v: Buffer | null) => {
      clearTimeout(timer);
      sock.removeAllListeners();
      try {
        sock.close();
      } catch {
        /* already closed */
      }
      resolve(v);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    sock.on('error', () => done(null));
    sock.on('message', (msg) => done(msg));
    sock.send(query, port, LOCALHOST, (err) => {
      if (err) done(null);
    });
  });
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
    const out = run(['-plugins']);
    const listed = new Set(
      out
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l.startsWith('dns.')),
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

    const query = buildQuery(0x5742, 'version.bind', QTYPE_TXT, QCLASS_CH);
    expect(query.length).toBe(30);

    let response: Buffer | null = null;
    const deadline = Date.now() + 10_000;
    while (!response && Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`coredns exited (${child.exitCode}):\n${output}`);
      response = await queryOnce(port, query, 300);
    }
    expect(response, `no DNS answer from coredns on ${LOCALHOST}:${port}\n${output}`).not.toBeNull();

    const answer = parseResponse(response!);
    expect(answer.id).toBe(0x5742);
    expect(answer.qr).toBe(true);
    expect(answer.rcode).toBe(0);
    expect(answer.txt).toContain('CoreDNS-test');

    child.kill('SIGTERM');
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
  });
});
