import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync(cmd, args, {
    cwd: root,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

// setup.sh runs `npm ci` (which wipes node_modules) when the stamp is missing or
// older than package-lock.json; never let that happen under a running vitest.
function npmStampFresh(): boolean {
  const stamp = join(root, 'node_modules', '.wirelab-setup-stamp');
  const lock = join(root, 'package-lock.json');
  if (!existsSync(stamp) || !existsSync(lock)) return false;
  return statSync(lock, { bigint: true }).mtimeNs <= statSync(stamp, { bigint: true }).mtimeNs;
}

describe('Vagrantfile', () => {
  it('is valid Ruby', () => {
    expect(run('ruby', ['-c', 'Vagrantfile'])).toContain('Syntax OK');
  });

  it('syncs the repo at /vagrant and provisions with scripts/setup.sh', () => {
    const text = readFileSync(join(root, 'Vagrantfile'), 'utf8');
    expect(text).toContain('/vagrant');
    expect(text).toMatch(/provision\s+"shell"/);
    expect(text).toContain('bash /vagrant/scripts/setup.sh');
  });
});

describe('setup scripts', () => {
  it('scripts/setup.sh and .ci/run parse with bash -n', () => {
    run('bash', ['-n', 'scripts/setup.sh']);
    run('bash', ['-n', '.ci/run']);
  });

  it.skipIf(!isRoot || !npmStampFresh())(
    'scripts/setup.sh is idempotent: a second run installs nothing',
    () => {
      const env = { ...process.env };
      delete env.WIRELAB_SETUP_SKIP;
      run('bash', ['scripts/setup.sh'], env);
      const second = run('bash', ['scripts/setup.sh'], env); // throws on non-zero exit
      expect(second).not.toMatch(/installing/);
      expect(second).not.toMatch(/npm ci/);
    },
    600_000,
  );
});
