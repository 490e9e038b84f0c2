// upstream's nftElementStorage (kubernetes v1.34.2 pkg/proxy/nftables/proxier.go) over the
// table mirror: the map and set elements as the kernel has them before a sync, this sync's
// writes on top, and which elements the sync wrote (the others are leftovers it deletes).
import type { NftTable } from './nft-table.js';

/** "container-name key": one element of one of kube-proxy's maps or sets. */
export const claimOf = (name: string, key: string): string => `${name} ${key}`;

export function splitClaim(claim: string): [name: string, key: string] {
  const at = claim.indexOf(' ');
  return [claim.slice(0, at), claim.slice(at + 1)];
}

export class ElementStore {
  /** Elements this sync wrote: claim -> value ("" for set elements). */
  private readonly written = new Map<string, string>();
  private recording = new Set<string>();

  constructor(private readonly table: NftTable) {}

  /** The element's value as the kernel will have it so far, or undefined when it has none. */
  value(name: string, key: string): string | undefined {
    const written = this.written.get(claimOf(name, key));
    if (written !== undefined) return written;
    const element = (name === 'cluster-ips' ? this.table.sets : this.table.maps).get(name)?.elements.get(key);
    return element && (element.value?.join(' . ') ?? '');
  }

  write(name: string, key: string, value: string): void {
    const claim = claimOf(name, key);
    this.written.set(claim, value);
    this.recording.add(claim);
  }

  claimed(name: string, key: string): boolean {
    return this.written.has(claimOf(name, key));
  }

  /** From now on, the claims written go (once each) into the returned set too. */
  startRecording(): Set<string> {
    this.recording = new Set();
    return this.recording;
  }
}
