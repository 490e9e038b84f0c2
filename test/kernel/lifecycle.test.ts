// Teardown always runs and only touches what the harness owns: on SIGINT during `lab run`,
// with two labs up at once, and when the lab file is rejected before anything is created.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { guardLeftovers, lab, labNamespaces, spawnLab, waitFor, ROOT } from './helpers.js';

const tmp = guardLeftovers('wirelab-lc-');

function copyLab(name: string): string {
  const text = readFileSync(join(ROOT, 'labs/flannel-vxlan.yaml'), 'utf8').replace(/^name: flannel-vxlan$/m, `name: ${name}`);
  const file = join(tmp(), `${name}.yaml`);
  writeFileSync(file, text);
  return file;
}

async function interruptWhen(ready: (out: string) => boolean): Promise<{ code: number | null; out: string }> {
  const child = spawnLab(['run', 'flannel-vxlan']);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  await waitFor(() => ready(out), 60_000, 'the lab to reach the point of interruption');
  child.kill('SIGINT');
  return { code: await exited, out };
}

describe('teardown', () => {
  it('SIGINT while the lab is being built leaves nothing behind', async () => {
    const r = await interruptWhen(() => labNamespaces('wl-flannel-vxlan.').length > 0);
    expect(r.code, r.out).toBe(130);
    expect(r.out).toContain('tearing the lab down');
  });

  it('SIGINT while expectations run leaves nothing behind', async () => {
    const r = await interruptWhen((out) => /2\/6 cross-node/.test(out));
    expect(r.code, r.out).toBe(130);
  });

  it('two labs can be up at once; taking one down leaves the other intact', async () => {
    const a = copyLab('twin-a');
    const b = copyLab('twin-b');
    expect((await lab(['up', a])).code).toBe(0);
    try {
      expect((await lab(['up', b])).code).toBe(0);
      expect((await lab(['test', b])).code).toBe(0);
      expect((await lab(['down', b])).code).toBe(0);
      expect(labNamespaces('wl-twin-b.')).toEqual([]);
      expect(labNamespaces('wl-twin-a.').length).toBe(7);
      const t = await lab(['test', a]);
      expect(t.code, t.stdout + t.stderr).toBe(0);
    } finally {
      await lab(['down', b]);
      await lab(['down', a]);
    }
  });

  it('a rejected lab file creates nothing and names file, line, field and fix', async () => {
    const file = join(tmp(), 'bad.yaml');
    writeFileSync(file, readFileSync(join(ROOT, 'labs/flannel-vxlan.yaml'), 'utf8').replace('serviceCIDR: 10.96.0.0/12', 'serviceCIDR: 10.8.128.0/17'));
    const r = await lab(['run', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${file.replace(/[.]/g, '\\.')}:\\d+:\\d+: cluster\\.serviceCIDR: 10\\.8\\.128\\.0/17 overlaps cluster\\.podCIDR`));
    expect(r.stderr).toContain('fix:');
    expect(labNamespaces()).toEqual([]);
    expect(existsSync('/run/wirelab/flannel-vxlan')).toBe(false);
  });

  it('lab clean removes leftovers of a lab whose process died, and only those', async () => {
    expect((await lab(['up', 'flannel-vxlan'])).code).toBe(0);
    // A namespace that is not the harness's must survive `lab clean`.
    const foreign = 'wlx-not-ours';
    const { execFileSync } = await import('node:child_process');
    execFileSync('ip', ['netns', 'add', foreign]);
    try {
      const r = await lab(['clean']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('removed 7 namespaces');
      expect(labNamespaces('wl-')).toEqual([]);
      expect(labNamespaces('wlx-')).toEqual([foreign]);
    } finally {
      execFileSync('ip', ['netns', 'del', foreign]);
    }
  });
});
