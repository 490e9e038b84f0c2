// scripts/build.mjs decides whether dist/ is stale from build-meta.json's builtAt and the source
// files' mtimes. A stamp on the wrong clock made every build stale at once: each `lab` rebuilt
// dist/ and swapped it under the `lab` commands already running (CI: "Cannot find module
// dist/chunks/chunk-….js"). These tests use a throwaway root, never the checkout's dist/.
import { mkdtempSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildStamp, isStale } from '../scripts/build.mjs';

let root = '';
afterEach(() => rmSync(root, { recursive: true, force: true }));

function fakeBuild(inputs: string[], builtAt: number): void {
  mkdirSync(join(root, 'dist'), { recursive: true });
  writeFileSync(join(root, 'dist', 'build-meta.json'), JSON.stringify({ builtAt, inputs }));
}

describe('build staleness (scripts/build.mjs)', () => {
  it('a build stamped after its sources were written is fresh; touching, removing a source or the meta makes it stale', () => {
    root = mkdtempSync(join(tmpdir(), 'wirelab-build-'));
    mkdirSync(join(root, 'src'));
    writeFileSync(join(root, 'src', 'a.ts'), 'export const a = 1;\n');
    writeFileSync(join(root, 'src', 'b.ts'), 'export const b = 1;\n');
    // The file system's clock can run a little behind Date.now() (coarse mtime granularity):
    // set the sources' mtimes a second back, as a build a second after the last edit would see.
    const before = new Date(Date.now() - 1000);
    for (const f of ['a.ts', 'b.ts']) utimesSync(join(root, 'src', f), before, before);
    fakeBuild(['src/a.ts', 'src/b.ts'], buildStamp());
    expect(isStale(root)).toBe(false);

    const later = new Date(Date.now() + 60_000);
    utimesSync(join(root, 'src', 'a.ts'), later, later);
    expect(isStale(root)).toBe(true);

    utimesSync(join(root, 'src', 'a.ts'), before, before);
    expect(isStale(root)).toBe(false);
    rmSync(join(root, 'src', 'b.ts'));
    expect(isStale(root)).toBe(true);

    rmSync(join(root, 'dist'), { recursive: true });
    expect(isStale(root)).toBe(true);
  });
});
