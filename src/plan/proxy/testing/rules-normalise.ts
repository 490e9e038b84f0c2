// Normal forms of kube-proxy's rules as the kernel lists them, for the differential test against
// the real kube-proxy: only ordering and counters are taken away. `nft list table` prints set and
// map elements in hash order and chains in creation order, so elements are sorted within their
// set and the blocks by name; rules keep their order inside a chain. iptables-save lines are
// sorted within each table (upstream writes KUBE-SERVICES in Go map order) and lose their
// packet counters; only kube-proxy's own chains and the jumps into them are kept, since flanneld
// (the node agent) writes other chains into the same tables.

/** `nft list table ...` in normal form: one line per property, rule or element. */
export function normaliseNftList(text: string): string[] {
  const blocks: { head: string; lines: string[] }[] = [];
  let cur: { head: string; lines: string[] } | undefined;
  let elements: string[] | undefined;
  const addElements = (parts: string[]) => {
    const inner = parts
      .join(' ')
      .replace(/^elements = \{/, '')
      .replace(/\}$/, '');
    for (const e of inner.split(/,\s*/)) if (e.trim()) cur?.lines.push(`element ${e.trim()}`);
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (!elements && line.startsWith('elements = {')) elements = [];
    if (elements) {
      elements.push(line);
      if (line.endsWith('}')) {
        addElements(elements);
        elements = undefined;
      }
      continue;
    }
    if (/^(set|map|chain) \S+ \{$/.test(line)) {
      cur = { head: line.replace(/ \{$/, ''), lines: [] };
      blocks.push(cur);
    } else if (line === '}') cur = undefined;
    else if (!line.startsWith('table ')) {
      const rule = line.replace(/\s*counter packets \d+ bytes \d+/, '');
      if (cur) cur.lines.push(rule);
      else blocks.push({ head: `table ${rule}`, lines: [] });
    }
  }
  const out: string[] = [];
  for (const b of blocks.sort((a, b2) => (a.head < b2.head ? -1 : a.head > b2.head ? 1 : 0))) {
    const elems = b.lines.filter((l) => l.startsWith('element ')).sort();
    const rest = b.lines.filter((l) => !l.startsWith('element '));
    out.push(b.head, ...rest.map((l) => `${b.head}: ${l}`), ...elems.map((l) => `${b.head}: ${l}`));
  }
  return out;
}

const isKubeChain = (c: string) => c.startsWith('KUBE-');

/** `iptables-save` in normal form: kube-proxy's chains and the jumps into them, per table,
 * sorted, without counters. */
export function normaliseIptablesSave(text: string): string[] {
  const out: string[] = [];
  let table = '';
  const lines: string[] = [];
  const flush = () => out.push(...lines.sort().map((l) => `${table} ${l}`));
  for (const raw of text.split('\n')) {
    const line = raw.trim().replace(/\s+/g, ' ');
    if (line.startsWith('*')) {
      table = line.slice(1);
      lines.length = 0;
    } else if (line === 'COMMIT') flush();
    else if (line.startsWith(':')) {
      const chain = line.slice(1).split(' ')[0];
      if (isKubeChain(chain)) lines.push(`:${chain}`);
    } else if (line.startsWith('-A ')) {
      const chain = line.split(' ')[1];
      if (isKubeChain(chain) || / -j KUBE-\S+/.test(line)) lines.push(line);
    }
  }
  return out;
}

/** Lines only in `a`, lines only in `b` (as multisets). */
export function lineDiff(a: string[], b: string[]): { onlyA: string[]; onlyB: string[] } {
  const count = new Map<string, number>();
  for (const l of b) count.set(l, (count.get(l) ?? 0) + 1);
  const onlyA: string[] = [];
  for (const l of a) {
    const n = count.get(l) ?? 0;
    if (n > 0) count.set(l, n - 1);
    else onlyA.push(l);
  }
  const onlyB = [...count].flatMap(([l, n]) => Array<string>(n).fill(l));
  return { onlyA, onlyB };
}
