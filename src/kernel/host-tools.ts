// The programs the labs need on the machine, from scripts/tools.txt (the table setup.sh
// installs from), and whether each is there.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../paths.js';
import { run } from './exec.js';

export interface HostTool {
  /** A command on PATH, or an absolute file path. */
  command: string;
  /** The Debian package that provides it. */
  pkg: string;
  /** The argument that makes it print its version; undefined for a file. */
  versionArg?: string;
  what: string;
}

export const TOOLS_TABLE = join(REPO_ROOT, 'scripts', 'tools.txt');
/** What `--kernel` runs need besides (scripts/setup-vm.sh installs them on first use). */
export const VM_TOOLS_TABLE = join(REPO_ROOT, 'scripts', 'tools-vm.txt');

export function parseToolTable(text: string): HostTool[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [command, pkg, version, ...what] = l.split(/\s+/);
      return { command, pkg, versionArg: version === '-' ? undefined : version, what: what.join(' ') };
    });
}

export function hostTools(table = TOOLS_TABLE): HostTool[] {
  return parseToolTable(readFileSync(table, 'utf8'));
}

/** Where a command is on PATH (with the sbin directories npm's environment may lack). */
export function whichCommand(command: string): string | undefined {
  if (command.startsWith('/')) return existsSync(command) ? command : undefined;
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin'].filter(Boolean);
  for (const d of dirs) if (existsSync(join(d, command))) return join(d, command);
  return undefined;
}

/** Whether the tool is there, and the first line it prints about its version. */
export async function checkTool(t: HostTool): Promise<{ ok: boolean; version: string }> {
  const path = whichCommand(t.command);
  if (!path) return { ok: false, version: '' };
  if (t.versionArg === undefined) return { ok: true, version: path };
  const r = await run([path, t.versionArg], { allowFailure: true, timeoutMs: 5000 }).catch(() => undefined);
  // Some tools print their version on stderr; some cannot print it on this kernel (ipvsadm
  // without ip_vs): installed is what matters here, the version is for the reader.
  const text = r ? `${r.stdout}\n${r.stderr}`.trim().split('\n')[0] : '';
  return { ok: true, version: r?.exitCode === 0 ? text : `${path} (no version: ${text || 'it printed nothing'})` };
}
