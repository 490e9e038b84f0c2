// Kernel tests build real namespaces: they need root and fail loudly without it (never skip).
// Before and after the whole run, nothing of any lab may be on the machine. Two runs on one
// machine (two checkouts) would see each other's labs as leftovers: a lock makes the second
// wait for the first.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const LOCK = '/run/wirelab-kernel-tests.lock';

function leftovers(): string[] {
  try {
    return readdirSync('/run/netns').filter((n) => n.startsWith('wl-'));
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function acquireLock(): Promise<void> {
  let said = false;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(`${LOCK}/pid`, String(process.pid));
      return;
    } catch {
      const holder = Number(readFileSync(`${LOCK}/pid`, 'utf8').trim() || 0);
      if (holder && !alive(holder)) {
        rmSync(LOCK, { recursive: true, force: true });
        continue;
      }
      if (!said) console.error(`another kernel test run (pid ${holder}) holds ${LOCK}: waiting for it`);
      said = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

export default async function setup(): Promise<() => void> {
  if (process.getuid?.() !== 0) {
    throw new Error('the kernel tests build real network namespaces and need root: run `sudo npm test`');
  }
  await acquireLock();
  const before = leftovers();
  if (before.length > 0) {
    rmSync(LOCK, { recursive: true, force: true });
    throw new Error(`namespaces of an earlier run are still here (${before.join(', ')}): run \`sudo npm run lab -- clean\` first`);
  }
  return () => {
    rmSync(LOCK, { recursive: true, force: true });
    const after = leftovers();
    if (after.length > 0) throw new Error(`the kernel tests left namespaces behind: ${after.join(', ')}`);
  };
}
