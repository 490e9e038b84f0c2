// The objects of one nftables table and the operations of an `nft -f` transaction on them, as
// kube-proxy's nftables mode writes them through sigs.k8s.io/knftables v0.0.17 (the version
// kubernetes v1.34.2's go.mod pins): objects.go's writeOperation decides the exact text, so
// `nft -f` reads the same lines the real kube-proxy feeds it.

export type NftVerb = 'add' | 'flush' | 'delete';

export interface NftBaseChain {
  type: 'filter' | 'nat';
  hook: 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';
  /** Numeric, as knftables writes it (ParsePriority turns "dstnat" into -100). */
  priority: number;
}

export type NftObject =
  | { kind: 'table'; comment?: string }
  | { kind: 'chain'; name: string; base?: NftBaseChain; comment?: string }
  | { kind: 'rule'; chain: string; rule: string; comment?: string }
  | { kind: 'set' | 'map'; name: string; type: string; flags?: string[]; timeoutSeconds?: number; comment?: string }
  | { kind: 'element'; container: 'set' | 'map'; name: string; key: string[]; value?: string[]; comment?: string };

export interface NftOp {
  verb: NftVerb;
  obj: NftObject;
}

export interface NftTableRef {
  family: 'ip';
  table: string;
}

export const KUBE_PROXY_TABLE: NftTableRef = { family: 'ip', table: 'kube-proxy' };

/** Go's %q for the ASCII strings kube-proxy uses (comments): quotes and backslashes escaped. */
const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** One line of the transaction (knftables writeOperation), without the newline. */
export function writeOp(op: NftOp, ref: NftTableRef = KUBE_PROXY_TABLE): string {
  const { verb, obj } = op;
  const head = `${verb} ${obj.kind} ${ref.family} ${ref.table}`;
  const adding = verb === 'add';
  switch (obj.kind) {
    case 'table':
      return `${verb} table ${ref.family} ${ref.table}` + (adding && obj.comment !== undefined ? ` { comment ${q(obj.comment)} ; }` : '');
    case 'chain': {
      let line = `${head} ${obj.name}`;
      if (adding && (obj.base || obj.comment !== undefined)) {
        line += ' {';
        if (obj.base) line += ` type ${obj.base.type} hook ${obj.base.hook} priority ${obj.base.priority} ;`;
        if (obj.comment !== undefined) line += ` comment ${q(obj.comment)} ;`;
        line += ' }';
      }
      return line;
    }
    case 'rule':
      return `${head} ${obj.chain} ${obj.rule}` + (obj.comment !== undefined ? ` comment ${q(obj.comment)}` : '');
    case 'set':
    case 'map': {
      let line = `${head} ${obj.name}`;
      if (adding) {
        line += ` { type ${obj.type} ;`;
        if (obj.flags?.length) line += ` flags ${obj.flags.join(',')} ;`;
        if (obj.timeoutSeconds !== undefined) line += ` timeout ${obj.timeoutSeconds}s ;`;
        if (obj.comment !== undefined) line += ` comment ${q(obj.comment)} ;`;
        line += ' }';
      }
      return line;
    }
    case 'element': {
      let line = `${verb} element ${ref.family} ${ref.table} ${obj.name} { ${obj.key.join(' . ')}`;
      if (adding) {
        if (obj.comment !== undefined) line += ` comment ${q(obj.comment)}`;
        if (obj.value?.length) line += ` : ${obj.value.join(' . ')}`;
      }
      return line + ' }';
    }
  }
}

/** The `nft -f` input of a transaction. */
export function transactionText(ops: NftOp[], ref: NftTableRef = KUBE_PROXY_TABLE): string {
  // One array joined once: a line with its newline appended first is one more string per line.
  const lines = ops.map((op) => writeOp(op, ref));
  lines.push('');
  return lines.join('\n');
}
