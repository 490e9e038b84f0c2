// upstream's sortNFTablesTransaction (kubernetes v1.34.2 pkg/proxy/nftables/helpers_test.go):
// blank lines and comments dropped, lines ordered by object type (table, chain, rule, set, map,
// element), then object name, rules keeping their order within a chain, other lines sorted
// whole. assertNFTablesTransactionEqual compares two dumps in this form.
const OBJECT_ORDER: Record<string, number> = { table: 10, chain: 9, rule: 8, set: 7, map: 6, element: 5 };

export function sortNFTablesTransaction(tx: string): string {
  const lines = tx.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  return lines
    .map((line, i) => ({ line, i, w: line.split(' ') }))
    .sort((a, b) => {
      if (a.w.length < 5 || b.w.length < 5) return a.i - b.i;
      if (a.w[1] !== b.w[1]) return (OBJECT_ORDER[b.w[1]] ?? 0) - (OBJECT_ORDER[a.w[1]] ?? 0);
      if (a.w[4] !== b.w[4]) return a.w[4] < b.w[4] ? -1 : 1;
      if (a.w[1] === 'rule') return a.i - b.i;
      return a.line < b.line ? -1 : a.line > b.line ? 1 : 0;
    })
    .map((x) => x.line)
    .join('\n');
}
