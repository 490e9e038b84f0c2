// What the executor runs for labs/flannel-vxlan.yaml, against a reviewed golden dry run, plus
// the grouping and quoting rules the executor relies on.
// Regenerate the golden after an intended change with:
//   WIRELAB_UPDATE_GOLDEN=1 npx vitest run --project unit src/kernel/commands.test.ts
// and read the diff before committing it.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseLabSource } from '../labfile/load.js';
import { resolveModel } from '../model/resolve.js';
import { labStateDir } from '../model/names.js';
import type { ClusterModel } from '../model/types.js';
import { planLab } from '../plan/plan-lab.js';
import type { Step } from '../plan/types.js';
import { REPO_ROOT } from '../paths.js';
import { batchLine, batchToken, groupStep, renderCommand, renderDryRun, stepCommands } from './commands.js';
import { shellQuote } from '../shell-quote.js';

const here = dirname(fileURLToPath(import.meta.url));
const GOLDEN = join(here, '__golden__/flannel-vxlan.dry-run.txt');

function flannelModel(): ClusterModel {
  return resolveModel(parseLabSource(readFileSync(join(REPO_ROOT, 'labs/flannel-vxlan.yaml'), 'utf8'), 'flannel-vxlan.yaml'));
}

/** The dry run names this machine's node binary, checkout and state directory: make them portable. */
function normalise(text: string): string {
  return text.split(process.execPath).join('$NODE').split(REPO_ROOT).join('$REPO').split(labStateDir('flannel-vxlan')).join('$STATE');
}

describe('dry run golden: labs/flannel-vxlan.yaml', () => {
  it('renders exactly the reviewed commands', () => {
    const actual = normalise(renderDryRun(planLab(flannelModel())));
    expect(actual).not.toContain(REPO_ROOT); // nothing machine-specific is left
    if (process.env.WIRELAB_UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, actual);
    expect(actual).toBe(readFileSync(GOLDEN, 'utf8'));
  });

  it('is deterministic: two models, two plans, one text', () => {
    const a = renderDryRun(planLab(flannelModel()));
    const b = renderDryRun(planLab(flannelModel()));
    expect(b).toBe(a);
  });
});

describe('groupStep', () => {
  const step: Step = {
    name: 't',
    ops: [
      { kind: 'netns', netns: 'wl-t.a' },
      { kind: 'netns', netns: 'wl-t.b' },
      { kind: 'ip', netns: 'wl-t.a', args: ['link', 'set', 'lo', 'up'] },
      { kind: 'ip', netns: 'wl-t.a', args: ['link', 'add', 'cni0', 'type', 'bridge'] },
      { kind: 'bridge', netns: 'wl-t.a', args: ['fdb', 'replace', '02:00:00:00:00:01', 'dev', 'flannel.1'] },
      { kind: 'ip', netns: 'wl-t.a', args: ['route', 'replace', '10.8.1.0/24', 'via', '10.8.1.0', 'dev', 'flannel.1', 'onlink'] },
      { kind: 'sysctl', netns: 'wl-t.b', key: 'net.ipv4.ip_forward', value: '1' },
      { kind: 'sysctl', netns: 'wl-t.b', key: 'net.bridge.bridge-nf-call-iptables', value: '0', optional: true },
      { kind: 'ip', netns: 'wl-t.b', args: ['link', 'set', 'lo', 'up'] },
      { kind: 'file', path: 'nodes/b/x', content: 'y\n' },
    ],
  };

  it('merges consecutive ops of one tool in one namespace into one run, keeping order', () => {
    expect(groupStep(step)).toEqual([
      {
        netns: null,
        runs: [
          { tool: 'netns', names: ['wl-t.a', 'wl-t.b'] },
          { tool: 'file', path: 'nodes/b/x', content: 'y\n' },
        ],
      },
      {
        netns: 'wl-t.a',
        runs: [
          { tool: 'ip', netns: 'wl-t.a', lines: ['link set lo up', 'link add cni0 type bridge'] },
          { tool: 'bridge', netns: 'wl-t.a', lines: ['fdb replace 02:00:00:00:00:01 dev flannel.1'] },
          { tool: 'ip', netns: 'wl-t.a', lines: ['route replace 10.8.1.0/24 via 10.8.1.0 dev flannel.1 onlink'] },
        ],
      },
      {
        netns: 'wl-t.b',
        runs: [
          {
            tool: 'sysctl',
            netns: 'wl-t.b',
            settings: [
              { key: 'net.ipv4.ip_forward', value: '1', optional: false },
              { key: 'net.bridge.bridge-nf-call-iptables', value: '0', optional: true },
            ],
          },
          { tool: 'ip', netns: 'wl-t.b', lines: ['link set lo up'] },
        ],
      },
    ]);
  });

  it('keeps a namespace in one group even when other namespaces come between its ops', () => {
    const groups = groupStep({
      name: 'interleaved',
      ops: [
        { kind: 'ip', netns: 'wl-t.a', args: ['link', 'set', 'lo', 'up'] },
        { kind: 'ip', netns: 'wl-t.b', args: ['link', 'set', 'lo', 'up'] },
        { kind: 'ip', netns: 'wl-t.a', args: ['link', 'set', 'eth0', 'up'] },
      ],
    });
    expect(groups.map((g) => g.netns)).toEqual(['wl-t.a', 'wl-t.b']);
    expect(groups[0].runs).toEqual([{ tool: 'ip', netns: 'wl-t.a', lines: ['link set lo up', 'link set eth0 up'] }]);
  });
});

describe('batchToken', () => {
  it('passes names, addresses and MACs through unchanged', () => {
    for (const t of ['flannel.1', '10.8.0.0/24', '02:00:00:00:00:01', 'wl-flannel-vxlan.pod-a', '0x4000/0x4000']) expect(batchToken(t)).toBe(t);
    expect(batchLine(['addr', 'add', '10.8.0.5/24', 'dev', 'eth0'])).toBe('addr add 10.8.0.5/24 dev eth0');
  });

  it('refuses tokens that could split or quote a batch line', () => {
    for (const t of ['', 'a b', 'a\tb', 'a\nb', 'a"b', "a'b", 'a\\b', 'a#b']) {
      expect(() => batchToken(t), JSON.stringify(t)).toThrow(`refusing to put ${JSON.stringify(t)} in a batch line`);
    }
    expect(() => batchLine(['link', 'set', 'eth0 up'])).toThrow(/refusing/);
  });
});

describe('commands of a step', () => {
  it('wraps sysctls and restores with nsenter --net, tolerates only optional sysctls, and writes files under the state directory', () => {
    const groups = stepCommands('t', {
      name: 's',
      ops: [
        { kind: 'sysctl', netns: 'wl-t.b', key: 'net.ipv4.ip_forward', value: '1' },
        { kind: 'sysctl', netns: 'wl-t.b', key: 'net.bridge.bridge-nf-call-iptables', value: '0', optional: true },
        { kind: 'iptables-restore', netns: 'wl-t.b', rules: '*nat\nCOMMIT\n' },
        { kind: 'file', path: 'nodes/b/x', content: 'y\n' },
      ],
    });
    expect(groups).toEqual([
      {
        netns: 'wl-t.b',
        commands: [
          { kind: 'exec', argv: ['nsenter', '--net=/run/netns/wl-t.b', '--', 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'] },
          {
            kind: 'exec',
            argv: ['nsenter', '--net=/run/netns/wl-t.b', '--', 'sysctl', '-q', '-e', '-w', 'net.bridge.bridge-nf-call-iptables=0'],
            tolerate: 'the setting may be missing from this kernel',
          },
          { kind: 'exec', argv: ['nsenter', '--net=/run/netns/wl-t.b', '--', 'iptables-restore', '--noflush'], input: '*nat\nCOMMIT\n' },
        ],
      },
      { netns: null, commands: [{ kind: 'write', path: `${labStateDir('t')}/nodes/b/x`, content: 'y\n' }] },
    ]);
  });

  it('renders a command as shell text that reads back the same words and input', () => {
    expect(renderCommand({ kind: 'exec', argv: ['ip', '-n', 'wl-t.a', '-batch', '-'], input: 'link set lo up\n' })).toEqual([
      "ip -n wl-t.a -batch - <<'EOF'",
      'link set lo up',
      'EOF',
    ]);
    expect(renderCommand({ kind: 'exec', argv: ['a', 'b c', "it's"], tolerate: 'why' })).toEqual([`a 'b c' 'it'\\''s' || true   # why`]);
    expect(renderCommand({ kind: 'write', path: '/x/y', content: 'EOF\nz\n' })).toEqual(["mkdir -p /x && cat > /x/y <<'EOF1'", 'EOF', 'z', 'EOF1']);
    expect(shellQuote('')).toBe("''");
  });
});
