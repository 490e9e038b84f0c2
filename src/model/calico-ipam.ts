// Calico IPAM (libcalico-go/lib/ipam), pure and deterministic.
//
// An IPPool is cut into blocks of 2^(32 - blockSize) addresses (blockSize defaults to 26:
// libcalico-go/lib/clientv3/ippool.go; the API allows 20..32 for IPv4 and a pool no smaller
// than a block: api/pkg/apis/projectcalico/v3/ippool.go). A node owns the blocks that are
// affine to it; a pod gets an address from one of its node's blocks, and a node claims a new
// block only when none of its blocks has a free address:
// - ipam.go autoAssign -> blockAssignState.findOrClaimBlock: try the node's affine blocks
//   first (the first one with >= 1 free address wins), else findUsableBlock
//   (ipam_block_reader_writer.go) walks the pool's blocks and claims the first one that does
//   not exist yet (claimAffineBlock -> newBlock);
// - ipam_block.go newBlock: Unallocated = [0, 1, ..., n-1], no address reserved (no network,
//   gateway or broadcast address, unlike host-local: a /26 hands out all 64, .0 and .63
//   included; only Windows nodes reserve some, via HostReservedAttr);
// - ipam_block.go autoAssign: takes ordinals from the front of Unallocated. Released ordinals go
//   to the back (garbageCollect), so upstream is FIFO rather than "lowest free"; with no releases,
//   as here, that is the lowest free ordinal;
// - ipam.go AssignIP (the cni.projectcalico.org/ipAddrs annotation): the block that holds the
//   address is claimed for the pod's node if nobody has it yet, and the ordinal is taken out of
//   Unallocated.
//
// Where upstream is random or racy this picks one deterministic answer:
// - findUsableBlock walks the pool from a start index drawn from Go's math/rand seeded with
//   fnv32(hostname) (randomBlockGenerator / determineSeed), so a real node gets e.g.
//   10.8.143.64/26. We start the walk at block 0, so blocks are claimed in pool order: the first
//   node to need one gets the pool's first block, and so on;
// - the node's affine blocks are tried in address order (upstream: datastore list order);
// - upstream handles pods as their CNI ADDs arrive; here requests are taken in the order given
//   (the caller sorts), except that pinned addresses are assigned first, as if those pods
//   had started first, so that an allocated pod never takes an address a later pin names
//   (upstream would fail that pod with "Address already assigned in block").
//
// Not modelled: with StrictAffinity false (the default, ipam.go GetIPAMConfig) a node that
// cannot claim a block borrows a free address from another node's block (the "non-affine"
// pass at the end of autoAssign), and Felix/BIRD then route it as a /32. A lab that would need
// that is refused instead, with a message saying so.
import { type Cidr, containsCidr, containsIp, formatCidr, intToIp, ipToInt, isValidIpv4, nthSubnet, parseCidr, size } from '../net/cidr.js';

/** IPPool.spec.blockSize default for IPv4 (clientv3/ippool.go). */
export const CALICO_DEFAULT_BLOCK_SIZE = 26;
/** Smallest and largest IPv4 blockSize the IPPool validation accepts (v3/ippool.go). */
export const CALICO_MIN_BLOCK_SIZE = 20;
export const CALICO_MAX_BLOCK_SIZE = 32;
/** autoAssign's safeguard when IPAMConfig.maxBlocksPerHost is 0 (the default): "Default to a
 * reasonable limit to act as a safeguard against runaway block allocation". */
export const CALICO_DEFAULT_MAX_BLOCKS_PER_HOST = 20;

export interface CalicoPool {
  cidr: string;
  blockSize: number;
}

export interface CalicoIpRequest {
  node: string;
  /** Used as the key of the result and in messages (e.g. "namespace/name"). */
  pod: string;
  /** cni.projectcalico.org/ipAddrs: this exact address. */
  pinned?: string;
}

export interface CalicoBlock {
  cidr: string;
  /** The node the block is affine to ("host:<node>" upstream). */
  node: string;
}

export type CalicoAllocation = { ok: true; blocks: CalicoBlock[]; ips: Map<string, string> } | { ok: false; message: string };

interface BlockState {
  index: number;
  node: string;
  /** Ordinals still free, in the order autoAssign takes them. */
  unallocated: number[];
}

/** How many blocks the pool is cut into. */
export function calicoBlockCount(pool: CalicoPool): number {
  return 2 ** (pool.blockSize - parseCidr(pool.cidr).prefix);
}

/** The block of `pool` that holds `ip` (ipam.go getBlockCIDRForAddress); `ip` must be in the pool. */
export function calicoBlockOf(pool: CalicoPool, ip: string): string {
  const p = parseCidr(pool.cidr);
  const blockLen = 2 ** (32 - pool.blockSize);
  return formatCidr(nthSubnet(p, pool.blockSize, Math.floor((ipToInt(ip) - p.base) / blockLen)));
}

function checkPool(pool: CalicoPool): { cidr: Cidr } | { message: string } {
  let cidr: Cidr;
  try {
    cidr = parseCidr(pool.cidr);
  } catch (e) {
    return { message: `IP pool ${(e as Error).message}` };
  }
  if (!Number.isInteger(pool.blockSize) || pool.blockSize < CALICO_MIN_BLOCK_SIZE || pool.blockSize > CALICO_MAX_BLOCK_SIZE) {
    return {
      message: `IP pool ${pool.cidr}: blockSize must be between ${CALICO_MIN_BLOCK_SIZE} and ${CALICO_MAX_BLOCK_SIZE} for IPv4 pools, not ${pool.blockSize}`,
    };
  }
  if (cidr.prefix > pool.blockSize) {
    return { message: `IP pool ${pool.cidr} is smaller than its /${pool.blockSize} block size; Calico IPAM needs the pool to be at least one block` };
  }
  return { cidr };
}

export function allocateCalicoIPs(
  pool: CalicoPool,
  requests: readonly CalicoIpRequest[],
  maxBlocksPerHost = CALICO_DEFAULT_MAX_BLOCKS_PER_HOST,
): CalicoAllocation {
  const checked = checkPool(pool);
  if ('message' in checked) return { ok: false, message: checked.message };
  const poolCidr = checked.cidr;
  const blockLen = 2 ** (32 - pool.blockSize);
  const numBlocks = size(poolCidr) / blockLen;

  // Claimed blocks by index in the pool; a block exists once some node claimed it.
  const blocks = new Map<number, BlockState>();
  const ips = new Map<string, string>();
  const owned = (node: string): BlockState[] => [...blocks.values()].filter((b) => b.node === node).sort((a, b) => a.index - b.index);

  // claimAffineBlock -> newBlock: every ordinal free, in order.
  const claim = (index: number, node: string): BlockState => {
    const b: BlockState = { index, node, unallocated: Array.from({ length: blockLen }, (_, i) => i) };
    blocks.set(index, b);
    return b;
  };
  const blockCidr = (index: number): string => formatCidr(nthSubnet(poolCidr, pool.blockSize, index));

  // AssignIP, for pinned addresses.
  for (const r of requests) {
    if (r.pinned === undefined) continue;
    if (ips.has(r.pod)) return { ok: false, message: `pod ${r.pod} is listed twice` };
    if (!isValidIpv4(r.pinned)) return { ok: false, message: `pod ${r.pod}: "${r.pinned}" is not an IPv4 address` };
    if (!containsIp(poolCidr, r.pinned))
      return { ok: false, message: `pod ${r.pod}: ${r.pinned} is not in the IP pool ${pool.cidr} ("The provided IP address is not in a configured pool")` };
    const offset = ipToInt(r.pinned) - poolCidr.base;
    const index = Math.floor(offset / blockLen);
    const ordinal = offset % blockLen;
    let b = blocks.get(index);
    if (!b) {
      if (owned(r.node).length >= maxBlocksPerHost)
        return { ok: false, message: `pod ${r.pod}: node ${r.node} already has ${maxBlocksPerHost} blocks, the per-node block limit` };
      b = claim(index, r.node);
    } else if (b.node !== r.node) {
      // Non-strict affinity would hand the address out anyway (a borrowed IP, routed as a /32).
      return {
        ok: false,
        message: `pod ${r.pod}: ${r.pinned} is in block ${blockCidr(index)}, which is affine to node ${b.node}, not ${r.node}; Calico would lend it (routed as a /32), which this lab does not model - pin an address from a block of ${r.node}`,
      };
    }
    const at = b.unallocated.indexOf(ordinal);
    if (at < 0) return { ok: false, message: `pod ${r.pod}: ${r.pinned} is already assigned ("Address already assigned in block")` };
    b.unallocated.splice(at, 1);
    ips.set(r.pod, r.pinned);
  }

  // autoAssign, one address per pod.
  for (const r of requests) {
    if (r.pinned !== undefined) continue;
    if (ips.has(r.pod)) return { ok: false, message: `pod ${r.pod} is listed twice` };
    const mine = owned(r.node);
    let b = mine.find((x) => x.unallocated.length > 0);
    if (!b) {
      if (mine.length >= maxBlocksPerHost) {
        return {
          ok: false,
          message: `pod ${r.pod}: node ${r.node} needs another block but has ${mine.length}, the per-node block limit ("Need to allocate an IPAM block but could not - limit of ${maxBlocksPerHost} blocks reached for this node")`,
        };
      }
      // findUsableBlock, walked from block 0 (see the note at the top).
      let free = -1;
      for (let i = 0; i < numBlocks; i++) {
        if (!blocks.has(i)) {
          free = i;
          break;
        }
      }
      if (free < 0) {
        const used = blocks.size * blockLen - [...blocks.values()].reduce((n, x) => n + x.unallocated.length, 0);
        return {
          ok: false,
          message: `pod ${r.pod}: IP pool ${pool.cidr} has no free /${pool.blockSize} block left for node ${r.node} (${numBlocks} blocks, all claimed; ${used} of ${size(poolCidr)} addresses in use). Calico would borrow an address from another node's block, which this lab does not model: use a larger pool or a smaller blockSize`,
        };
      }
      b = claim(free, r.node);
    }
    const ordinal = b.unallocated.shift()!;
    ips.set(r.pod, intToIp(poolCidr.base + b.index * blockLen + ordinal));
  }

  const out = [...blocks.values()].sort((a, b) => a.index - b.index).map((b) => ({ cidr: blockCidr(b.index), node: b.node }));
  return { ok: true, blocks: out, ips };
}

/** The blocks affine to one node, in address order (what BIRD announces for it). */
export function blocksOfNode(blocks: readonly CalicoBlock[], node: string): string[] {
  return blocks.filter((b) => b.node === node).map((b) => b.cidr);
}

/** True when `block` is a block of `pool` (aligned, right size, inside it). */
export function isCalicoBlock(pool: CalicoPool, block: string): boolean {
  const c = parseCidr(block);
  return c.prefix === pool.blockSize && containsCidr(parseCidr(pool.cidr), c);
}
