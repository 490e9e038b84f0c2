// Kernel tests build real namespaces: they need root and fail loudly without it (never skip).
// Before and after the whole run, nothing of any lab may be on the machine.
import { readdirSync } from 'node:fs';

function leftovers(): string[] {
  try {
    return readdirSync('/run/netns').filter((n) => n.startsWith('wl-'));
  } catch {
    return [];
  }
}

export default function setup(): () => void {
  if (process.getuid?.() !== 0) {
    throw new Error('the kernel tests build real network namespaces and need root: run `sudo npm test`');
  }
  const before = leftovers();
  if (before.length > 0) {
    throw new Error(`namespaces of an earlier run are still here (${before.join(', ')}): run \`sudo npm run lab -- clean\` first`);
  }
  return () => {
    const after = leftovers();
    if (after.length > 0) throw new Error(`the kernel tests left namespaces behind: ${after.join(', ')}`);
  };
}
