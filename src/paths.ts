// Where the repository's own files are: the lab files, the programs setup builds, the programs
// containers run. Found by walking up from this module to the repository's package.json, so the
// same code works from src/ (tests run the TypeScript) and from dist/ (the built CLI).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'wirelab') return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find the wirelab repository above ${from}`);
  }
}

export const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
/** labs/<name>.yaml: the labs `lab list` shows. */
export const LABS_DIR = join(REPO_ROOT, 'labs');
/** Programs built from source by scripts/ (CoreDNS, later the Kubernetes components). */
export const TOOLS_BIN_DIR = join(REPO_ROOT, '.wirelab', 'bin');
/** The programs lab containers run, one folder per image (images/agnhost, ...). */
export const IMAGES_DIR = join(REPO_ROOT, 'images');
/** The Node entry of the `lab` command (what a VM's guest runs). */
export const LAB_CLI = join(REPO_ROOT, 'bin', 'lab.js');
/** exercises/<name>.yaml: the training exercises `lab exercise list` shows. */
export const EXERCISES_DIR = join(REPO_ROOT, 'exercises');
