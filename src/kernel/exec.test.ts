// run() with a streamed input: the chunks reach the command in order as they are rendered, and a
// renderer that throws half-way kills the command before its input ends and is the error the
// caller sees (a tool such as iptables-restore must not apply half a text).
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './exec.js';
import { StreamedText } from '../plan/streamed-text.js';

describe('run with a streamed input', () => {
  it('writes every chunk, in order', async () => {
    const text = new StreamedText(function* () {
      for (let i = 0; i < 200; i++) yield `${i}\n`.repeat(100);
    });
    const r = await run(['cat'], { input: text });
    expect(r.stdout).toBe(String(text));
    expect(r.stdout.split('\n')).toHaveLength(200 * 100 + 1);
  });

  it('kills the command and throws the renderer error when the render fails half-way', async () => {
    const text = new StreamedText(function* () {
      yield 'first\n';
      throw new Error('renderer bug');
    });
    // The command leaves a file behind only if its input ends normally.
    const dir = mkdtempSync(join(tmpdir(), 'wirelab-exec-'));
    const ended = join(dir, 'ended');
    try {
      const failed = await run(['sh', '-c', `cat >/dev/null; sleep 0.2; touch ${ended}`], { input: text }).then(
        (r) => r,
        (e: unknown) => e as Error,
      );
      expect(failed).toBeInstanceOf(Error);
      expect(String(failed)).toMatch(/rendering the input of sh -c .* failed, so the command was killed before its input ended: renderer bug/);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(existsSync(ended)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
