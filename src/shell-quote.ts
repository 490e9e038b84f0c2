// A word as a POSIX shell reads it back (as Python's shlex.quote): for printing commands that a
// person can paste, and for the scripts the harness writes for a VM's guest. Never for building
// a command the harness runs itself (those are argv arrays).
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A line of words as a POSIX shell splits it, for the kubectl lines of a lab file (written the
 * way they are typed): blanks separate words, single quotes keep everything, double quotes keep
 * everything but \" and \\, a backslash outside quotes keeps the next character. No expansion of
 * any kind ($, globs, ~) and no operators: the words are argv, never given to a shell. */
export function splitWords(line: string): { words: string[] } | { error: string } {
  const words: string[] = [];
  let word: string | undefined;
  let i = 0;
  const add = (s: string) => (word = (word ?? '') + s);
  while (i < line.length) {
    const c = line[i];
    if (c === ' ' || c === '\t' || c === '\n') {
      if (word !== undefined) words.push(word);
      word = undefined;
      i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return { error: `unterminated ' at column ${i + 1}` };
      add(line.slice(i + 1, end));
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      let s = '';
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && (line[j + 1] === '"' || line[j + 1] === '\\')) j++;
        s += line[j];
      }
      if (j >= line.length) return { error: `unterminated " at column ${i + 1}` };
      add(s);
      i = j + 1;
    } else if (c === '\\' && i + 1 < line.length) {
      add(line[i + 1]);
      i += 2;
    } else {
      add(c);
      i++;
    }
  }
  if (word !== undefined) words.push(word);
  return { words };
}
