// The state file: what the harness created for a lab, written before it creates anything so a
// crash part-way still leaves a record that `lab down` and `lab clean` can use.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { labStateDir } from '../model/names.js';
import type { KubeProxyMode } from '../labfile/schema.js';

export interface ProcessRecord {
  name: string;
  netns: string;
  pid: number;
}

export interface LabState {
  lab: string;
  /** The lab file it was brought up from. */
  file: string;
  /** sha256 of the lab file's text, to tell `lab test` that the file changed under a running lab. */
  digest: string;
  phase: 'creating' | 'up';
  createdAt: string;
  namespaces: string[];
  processes: ProcessRecord[];
  /** `--kube-proxy <mode>` given to `lab up`: `lab test` runs the lab file in the same mode. */
  kubeProxy?: KubeProxyMode;
}

export function stateFile(lab: string): string {
  return join(labStateDir(lab), 'state.json');
}

export async function writeState(state: LabState): Promise<void> {
  const path = stateFile(state.lab);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(`${path}.tmp`, JSON.stringify(state, null, 2) + '\n');
  await rename(`${path}.tmp`, path);
}

/** Claims a lab for `lab up`: creates its state file only if none exists (O_EXCL), so two
 * concurrent `lab up` of one lab cannot both proceed. False when the lab is already claimed. */
export async function claimState(state: LabState): Promise<boolean> {
  const path = stateFile(state.lab);
  await mkdir(dirname(path), { recursive: true });
  try {
    await writeFile(path, JSON.stringify(state, null, 2) + '\n', { flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

export async function readState(lab: string): Promise<LabState | undefined> {
  const path = stateFile(lab);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

export async function removeStateDir(lab: string): Promise<void> {
  await rm(labStateDir(lab), { recursive: true, force: true });
}

export async function writeStateFile(lab: string, rel: string, content: string): Promise<void> {
  const path = join(labStateDir(lab), rel);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
}
