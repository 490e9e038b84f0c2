// `lab up --dry-run` prints what `lab up` runs: the executor records every command and process
// it starts (WIRELAB_RECORD), and the record, rendered line by line, is the dry run's text.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { guardLeftovers, lab } from './helpers.js';
import { renderCommand, renderProcess, type Command, type ProcessCommand } from '../../src/kernel/commands.js';

const tmp = guardLeftovers('wirelab-dry-');

type Entry = { place: { step: number; group: number; seq: number }; command: Command } | { process: ProcessCommand };

describe('lab up --dry-run', () => {
  it('prints exactly the commands and processes lab up runs, in plan order', async () => {
    const dry = await lab(['up', '--dry-run', 'flannel-vxlan']);
    expect(dry.code, dry.stderr).toBe(0);
    const file = join(tmp(), 'record.jsonl');
    const up = await lab(['up', 'flannel-vxlan'], 90_000, { WIRELAB_RECORD: file });
    try {
      expect(up.code, up.stderr).toBe(0);
    } finally {
      expect((await lab(['down', 'flannel-vxlan'])).code).toBe(0);
    }
    const entries = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Entry);
    const commands = entries
      .flatMap((e) => ('place' in e ? [e] : []))
      .sort((a, b) => a.place.step - b.place.step || a.place.group - b.place.group || a.place.seq - b.place.seq)
      .flatMap((e) => renderCommand(e.command));
    const processes = entries.flatMap((e) => ('process' in e ? [renderProcess(e.process)] : []));
    // The dry run without its headings: "# lab up ..." and "## step ..." / "## processes ...".
    const printed = dry.stdout.split('\n').filter((l) => l !== '' && !/^# lab up /.test(l) && !/^## /.test(l));
    expect(commands.length).toBeGreaterThan(20);
    expect(processes.length).toBe(6);
    expect([...commands, ...processes]).toEqual(printed);
  });
});
