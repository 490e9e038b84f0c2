// kube-proxy's full sync streamed into iptables-restore (plan/proxy/iptables-stream.ts; the kernel's
// exec writes each chunk as it is rendered) builds in the kernel exactly the tables that upstream's
// layout, written at once, builds: the same chains and every chain's rules in the same order, with
// iptables-nft and with iptables-legacy. A rule taken out of one node shows as the difference; a
// bad line in the first chunk fails the restore with the line quoted.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { guardLeftovers, sh } from './helpers.js';
import { run, CommandError } from '../../src/kernel/exec.js';
import { renderKubeProxyRuleset } from '../../src/plan/proxy/iptables.js';
import { toRestoreText } from '../../src/plan/proxy/iptables-restore.js';
import { streamFullSync } from '../../src/plan/proxy/iptables-stream.js';
import { firstSyncAdditions } from '../../src/plan/proxy/registry.js';
import { manyServices } from '../../src/plan/proxy/testing/iptables-input.js';
import { StreamedText } from '../../src/plan/streamed-text.js';

guardLeftovers('wirelab-ipt-stream-');
const STREAMED = 'wl-ipt-stream.streamed';
const AT_ONCE = 'wl-ipt-stream.at-once';
const BACKENDS = [
  { name: 'iptables-nft', restore: 'iptables-restore', save: 'iptables-save' },
  { name: 'iptables-legacy', restore: 'iptables-legacy-restore', save: 'iptables-legacy-save' },
];

/** iptables-save per table (tables by name: their listing order is the order they were first
 * used), chain lines sorted and counters dropped, rules in their order. */
function saved(netns: string, save: string): Record<string, { chains: string[]; rules: string[] }> {
  const out: Record<string, { chains: string[]; rules: string[] }> = {};
  let table = '';
  for (const line of sh(['ip', 'netns', 'exec', netns, save]).split('\n')) {
    if (line.startsWith('*')) out[(table = line.slice(1))] = { chains: [], rules: [] };
    else if (line.startsWith(':')) out[table].chains.push(line.replace(/ \[\d+:\d+\]$/, ''));
    else if (line.startsWith('-A ')) out[table].rules.push(line);
  }
  for (const t of Object.values(out)) t.chains.sort();
  return out;
}

afterEach(() => {
  for (const ns of [STREAMED, AT_ONCE]) if (existsSync(`/run/netns/${ns}`)) sh(['ip', 'netns', 'del', ns]);
});

describe("kube-proxy's full sync streamed into iptables-restore", () => {
  it.each(BACKENDS)('builds the tables of the text written at once ($name)', async ({ restore, save }) => {
    for (const ns of [STREAMED, AT_ONCE]) sh(['ip', 'netns', 'add', ns]);
    const input = manyServices(400);
    const additions = firstSyncAdditions();
    const streamed = streamFullSync(input, { additions });
    await run([restore, '--noflush'], { netns: STREAMED, netOnly: true, input: streamed.text });
    // Written while rendered: in many chunks, the nat table's first long before its last.
    expect([...streamed.text.chunks()].length).toBeGreaterThan(10);
    await run([restore, '--noflush'], { netns: AT_ONCE, netOnly: true, input: toRestoreText(renderKubeProxyRuleset(input), { additions }) });
    const tables = saved(STREAMED, save);
    expect(tables.nat.rules.length).toBeGreaterThan(2000);
    expect(tables).toEqual(saved(AT_ONCE, save));

    // The comparison sees a rule missing.
    const dropped = tables.nat.rules.find((r) => r.startsWith('-A KUBE-SEP-'))!;
    const chain = dropped.split(' ')[1];
    const position = tables.nat.rules.filter((r) => r.startsWith(`-A ${chain} `)).indexOf(dropped) + 1;
    sh(['ip', 'netns', 'exec', STREAMED, restore.replace('-restore', ''), '-t', 'nat', '-D', chain, String(position)]);
    const after = saved(STREAMED, save);
    expect(after).not.toEqual(saved(AT_ONCE, save));
    expect(saved(AT_ONCE, save).nat.rules.filter((r) => !after.nat.rules.includes(r))).toEqual([dropped]);
  });

  it.each(BACKENDS)('fails on a bad line of the first chunk with the line quoted, and writes nothing ($name)', async ({ name, restore, save }) => {
    sh(['ip', 'netns', 'add', STREAMED]);
    // The tool stops reading at the bad line while chunks are still being written.
    const text = new StreamedText(function* () {
      yield '*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -j KUBE-NO-SUCH-CHAIN\n';
      for (let i = 0; i < 500; i++) yield `:KUBE-SVC-${String(i).padStart(16, '0')} - [0:0]\n`.repeat(20);
      yield 'COMMIT\n';
    });
    const failed = await run([restore, '--noflush'], { netns: STREAMED, netOnly: true, input: text }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failed).toBeInstanceOf(CommandError);
    // iptables-legacy stops at the line (the rest of the stream goes nowhere); iptables-nft
    // checks jumps when it commits, and names the chain.
    if (name === 'iptables-legacy') expect(String(failed)).toMatch(/>\s+3: -A KUBE-SERVICES -j KUBE-NO-SUCH-CHAIN/);
    else expect(String(failed)).toMatch(/Chain 'KUBE-NO-SUCH-CHAIN' does not exist[\s\S]*>\s+10004: COMMIT/);
    expect(saved(STREAMED, save).nat?.chains ?? []).not.toContainEqual(expect.stringContaining('KUBE-'));
  });
});
