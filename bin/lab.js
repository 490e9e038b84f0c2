#!/usr/bin/env node
// Entry point of the `lab` command. It runs the build in dist/ (plain JavaScript, made by
// scripts/build.mjs); when a source file changed since that build, it rebuilds first (about
// a second), so editing a module and running `lab` never runs stale code.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const builder = await import('../scripts/build.mjs');
// WIRELAB_NO_BUILD=1: run dist/ as it is (a VM's guest, which sees the host's checkout
// read-only: the host built it before the VM started).
if (process.env.WIRELAB_NO_BUILD !== '1' && builder.isStale()) {
  if (!existsSync(`${root}node_modules/esbuild`)) {
    console.error('wirelab: dist/ is missing or stale and esbuild is not installed: run `sudo bash scripts/setup.sh` (or `npm ci`)');
    process.exit(1);
  }
  try {
    await builder.buildAll();
  } catch (e) {
    const detail = (e.errors ?? [])
      .slice(0, 5)
      .map((x) => `  ${x.location?.file ?? ''}:${x.location?.line ?? ''}: ${x.text}`)
      .join('\n');
    console.error(
      `wirelab: a source file changed and the harness does not build:\n${detail || e.message}\nfix it (npm run typecheck shows the details), then run lab again`,
    );
    process.exit(1);
  }
}
const { main } = await import('../dist/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
