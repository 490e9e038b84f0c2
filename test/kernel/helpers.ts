// Helpers for kernel tests: run the real CLI, and look for anything a lab left behind.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, expect } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { readdirSync, readFileSync, readlinkSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const LAB_BIN = join(ROOT, 'bin/lab.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `lab <args>` as a user would (a separate process, no TTY). */
export function lab(args: string[], timeoutMs = 90_000, env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnLab(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`lab ${args.join(' ')} timed out\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

export function spawnLab(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [LAB_BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', ...env } });
}

export function labNamespaces(prefix = 'wl-'): string[] {
  try {
    return readdirSync('/run/netns').filter((n) => n.startsWith(prefix));
  } catch {
    return [];
  }
}

/** Processes started by the harness (marked) and any tcpdump still running. */
export function labProcesses(): string[] {
  const out: string[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${e}/environ`, 'latin1');
      const comm = readFileSync(`/proc/${e}/comm`, 'utf8').trim();
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') continue;
      if (env.includes('WIRELAB_LAB=') || comm === 'tcpdump') out.push(`${e}:${comm}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Links of the host's own network namespace: a lab must never add any. */
export function hostLinks(): string[] {
  return execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(':')[1].trim().split('@')[0])
    .sort();
}

export function hostNetnsInode(): string {
  return readlinkSync('/proc/self/ns/net');
}

export interface Snapshot {
  links: string[];
}

export function snapshot(): Snapshot {
  return { links: hostLinks() };
}

/** Everything a lab could leave behind, as readable strings; [] when clean. */
export function leftovers(before: Snapshot, lab?: string): string[] {
  const out: string[] = [];
  for (const n of labNamespaces(lab ? `wl-${lab}.` : 'wl-')) out.push(`namespace ${n}`);
  for (const p of labProcesses()) out.push(`process ${p}`);
  const links = hostLinks();
  for (const l of links) if (!before.links.includes(l)) out.push(`host link ${l}`);
  if (lab && existsSync(`/run/wirelab/${lab}`)) out.push(`state dir /run/wirelab/${lab}`);
  return out;
}

export function sh(argv: string[]): string {
  return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8' });
}

/** Polls `cond` until it holds. The deadline is on the monotonic clock, as the timers of what the
 * test waits for are: the wall clock can step (a CI VM paused and resumed, then its clock set
 * right): in CI a 75 s wait on it once timed out inside a test that took 67 s by vitest's
 * monotonic clock. */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await cond())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Registers hooks that fail a test which leaves anything of a lab behind (and clean up so the
 * next test starts from a clean machine). Returns a getter for a fresh temporary directory. */
export function guardLeftovers(prefix: string): () => string {
  let before: Snapshot;
  let dir = '';
  beforeEach(() => {
    before = snapshot();
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    const left = leftovers(before);
    if (left.length > 0) await lab(['clean']);
    rmSync(dir, { recursive: true, force: true });
    expect(left, 'nothing of any lab may be left after a test').toEqual([]);
  });
  return () => dir;
}

/** `lab test <lab>` after a sabotage: it must fail, and the named expectation with it. */
export async function failedExpectation(labName: string, outDir: string, namePrefix: string): Promise<{ passed: boolean; message: string }> {
  const r = await lab(['test', labName, '--out', outDir]);
  expect(r.code, r.stdout + r.stderr).toBe(1);
  const report = JSON.parse(readFileSync(join(outDir, 'report.json'), 'utf8'));
  const e = report.expectations.find((x: { name: string }) => x.name.startsWith(namePrefix));
  expect(e, `an expectation named "${namePrefix}..."`).toBeDefined();
  expect(e.passed).toBe(false);
  return e;
}

/** The ready condition of each endpoint of a Service, as the EndpointSlice controller lists it
 * (`kubectl get endpointslices -l kubernetes.io/service-name=...`). */
export async function endpointReadiness(labName: string, service: string): Promise<string[]> {
  const r = await lab([
    'kubectl',
    labName,
    '--',
    'get',
    'endpointslices',
    '-l',
    `kubernetes.io/service-name=${service}`,
    '-o',
    'jsonpath={.items[*].endpoints[*].conditions.ready}',
  ]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.split(/\s+/).filter(Boolean);
}
