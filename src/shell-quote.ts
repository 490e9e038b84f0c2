// A word as a POSIX shell reads it back (as Python's shlex.quote): for printing commands that a
// person can paste, and for the scripts the harness writes for a VM's guest. Never for building
// a command the harness runs itself (those are argv arrays).
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
