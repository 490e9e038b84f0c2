#!/usr/bin/env node
// Builds the harness into dist/ with esbuild, so that `lab` runs plain JavaScript instead of
// transpiling TypeScript on every start: one bundle for the CLI (each verb its own chunk, loaded
// only when that verb runs) and one per TypeScript program of images/ (what containers run).
// Dependencies stay in node_modules. dist/build-meta.json lists every source file the build
// read, so bin/lab.js can tell in a few stat calls whether the build is stale.
//   node scripts/build.mjs           build if stale (no output when fresh)
//   node scripts/build.mjs --force   build

import { existsSync, readFileSync, renameSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = join(ROOT, 'dist');
export const META = join(DIST, 'build-meta.json');

/** builtAt of build-meta.json: the wall clock when a build starts. It is compared with the mtimes
 * of source files, which are wall-clock times, so it must not be performance.now() (a few seconds
 * since the process started): with that every build was stale at once, every `lab` rebuilt dist/,
 * and a rebuild swapping dist/ under another running `lab` made it fail to load a chunk. */
export const buildStamp = () => Date.now();

const ENTRIES = {
  'cli/main': 'src/cli/main.ts',
  'agent/main': 'src/agent/main.ts',
  'images/ingress-controller': 'images/ingress-controller/main.ts',
  // The benchmarks time the node agent's own functions, so they run as the agent does: built by
  // esbuild like dist/agent, not through tsx (whose keepNames wraps every closure it creates).
  'bench/main': 'bench/main.ts',
};

/** True when dist/ is missing, or any file the last build read changed since (or is gone). */
export function isStale(root = ROOT) {
  const metaFile = join(root, 'dist', 'build-meta.json');
  if (!existsSync(metaFile)) return true;
  let meta;
  try {
    meta = JSON.parse(readFileSync(metaFile, 'utf8'));
  } catch {
    return true;
  }
  for (const f of meta.inputs) {
    try {
      if (statSync(join(root, f)).mtimeMs > meta.builtAt) return true;
    } catch {
      return true;
    }
  }
  return false;
}

export async function buildAll() {
  const builtAt = buildStamp();
  const startedAt = performance.now();
  // Built next to dist/ and swapped in, so a `lab` already running keeps a whole build.
  const tmp = `${DIST}.new-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const { build } = await import('esbuild');
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: ENTRIES,
    outdir: tmp,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    chunkNames: 'chunks/[name]-[hash]',
  });
  const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('node_modules/'));
  // Files read by the build and the build script itself: changing either makes the build stale.
  inputs.push(relative(ROOT, fileURLToPath(import.meta.url)), 'package.json', 'package-lock.json');
  writeFileSync(join(tmp, 'build-meta.json'), JSON.stringify({ builtAt, inputs: [...new Set(inputs)].sort() }, null, 1) + '\n');
  const old = `${DIST}.old-${process.pid}`;
  if (existsSync(DIST)) renameSync(DIST, old);
  renameSync(tmp, DIST);
  rmSync(old, { recursive: true, force: true });
  return { inputs: inputs.length, ms: Math.round(performance.now() - startedAt) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--force') || isStale()) {
    const r = await buildAll();
    console.log(`wirelab build: ${r.inputs} source files -> dist/ in ${r.ms} ms`);
  }
}
