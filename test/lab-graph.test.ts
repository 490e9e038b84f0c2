// `lab graph` as a user runs it (the built CLI, no root): the Mermaid of every lab in labs/ is
// read by the strict checker; DOT and SVG come out for one lab; bad arguments exit 2.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { labNames } from '../src/topology/testing/labs.js';
import { checkMermaid } from '../src/topology/testing/mermaid-check.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const exec = promisify(execFile);
const lab = (args: string[]) => exec(process.execPath, [join(root, 'bin/lab.js'), ...args], { cwd: root, encoding: 'utf8' });

describe('lab graph', () => {
  it('prints Mermaid that parses for every lab', async () => {
    const labs = await labNames();
    // The first one alone: it rebuilds dist/ when a source changed, which must not race.
    const first = await lab(['graph', labs[0]]);
    const outs = [first, ...(await Promise.all(labs.slice(1).map((l) => lab(['graph', l]))))];
    outs.forEach((o, i) => {
      const g = checkMermaid(o.stdout);
      expect(g.nodes.size, labs[i]).toBeGreaterThan(5);
      expect(g.edges.length, labs[i]).toBeGreaterThan(5);
    });
    // One CLI process per lab: on a loaded 2-core machine that is more than the default 20 s.
  }, 90_000);

  it('prints DOT and SVG with --format', async () => {
    const dot = await lab(['graph', 'flannel-vxlan', '--format', 'dot']);
    expect(dot.stdout).toMatch(/^digraph "flannel-vxlan" \{/);
    expect(dot.stdout).toContain('"w1/flannel.1" -> "w1/eth0"');
    const svg = await lab(['graph', 'flannel-vxlan', '--format', 'svg']);
    expect(svg.stdout).toMatch(/^<svg [^>]*viewBox/);
    expect(svg.stdout).toContain('<title>w1/flannel.1</title>');
  });

  it('refuses an unknown format and a comparison, with exit code 2', async () => {
    await expect(lab(['graph', 'flannel-vxlan', '--format', 'png'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('mermaid, dot, svg') });
    await expect(lab(['graph', 'compare-backends'])).rejects.toMatchObject({ code: 2 });
  });
});
