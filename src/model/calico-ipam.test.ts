// Calico IPAM blocks, checked against libcalico-go/lib/ipam (ipam.go autoAssign /
// findOrClaimBlock / AssignIP, ipam_block.go newBlock / autoAssign,
// ipam_block_reader_writer.go findUsableBlock) and the IPPool defaults
// (libcalico-go/lib/clientv3/ippool.go, api/pkg/apis/projectcalico/v3/ippool.go).
import { describe, expect, it } from 'vitest';
import {
  CALICO_DEFAULT_BLOCK_SIZE,
  CALICO_DEFAULT_MAX_BLOCKS_PER_HOST,
  allocateCalicoIPs,
  blocksOfNode,
  calicoBlockCount,
  calicoBlockOf,
  isCalicoBlock,
  type CalicoAllocation,
  type CalicoIpRequest,
} from './calico-ipam.js';

const POOL = { cidr: '10.8.0.0/16', blockSize: CALICO_DEFAULT_BLOCK_SIZE };

const pods = (node: string, n: number, prefix = node): CalicoIpRequest[] => Array.from({ length: n }, (_, i) => ({ node, pod: `default/${prefix}-${i}` }));

function ok(r: CalicoAllocation): Extract<CalicoAllocation, { ok: true }> {
  if (!r.ok) throw new Error(r.message);
  return r;
}

describe('Calico IPAM: pool and block geometry', () => {
  it('defaults to /26 blocks: a /16 pool holds 1024 blocks of 64 addresses', () => {
    expect(CALICO_DEFAULT_BLOCK_SIZE).toBe(26);
    expect(calicoBlockCount(POOL)).toBe(1024);
    expect(calicoBlockOf(POOL, '10.8.0.63')).toBe('10.8.0.0/26');
    expect(calicoBlockOf(POOL, '10.8.0.64')).toBe('10.8.0.64/26');
    expect(calicoBlockOf(POOL, '10.8.3.200')).toBe('10.8.3.192/26');
    expect(isCalicoBlock(POOL, '10.8.0.64/26')).toBe(true);
    expect(isCalicoBlock(POOL, '10.8.0.0/24')).toBe(false);
    expect(isCalicoBlock(POOL, '10.9.0.0/26')).toBe(false);
  });

  it('rejects block sizes outside 20..32 and pools smaller than a block, as IPPool validation does', () => {
    expect(allocateCalicoIPs({ cidr: '10.8.0.0/16', blockSize: 19 }, []).ok).toBe(false);
    expect(allocateCalicoIPs({ cidr: '10.8.0.0/16', blockSize: 33 }, []).ok).toBe(false);
    const small = allocateCalicoIPs({ cidr: '10.8.0.0/27', blockSize: 26 }, []);
    expect(small.ok).toBe(false);
    if (!small.ok) expect(small.message).toContain('smaller than its /26 block size');
    expect(allocateCalicoIPs({ cidr: '10.8.0.1/16', blockSize: 26 }, []).ok).toBe(false);
  });
});

describe('Calico IPAM: one node', () => {
  it('gives 3 pods on a node one /26, addresses from the start of the block, .0 included', () => {
    const r = ok(allocateCalicoIPs(POOL, pods('w1', 3)));
    expect(r.blocks).toEqual([{ cidr: '10.8.0.0/26', node: 'w1' }]);
    // newBlock fills Unallocated with 0..63 and reserves nothing; autoAssign takes from the front.
    expect([...r.ips.entries()]).toEqual([
      ['default/w1-0', '10.8.0.0'],
      ['default/w1-1', '10.8.0.1'],
      ['default/w1-2', '10.8.0.2'],
    ]);
  });

  it('hands out all 64 addresses of a /26 (.0 and .63 too) before claiming a second block', () => {
    const r = ok(allocateCalicoIPs(POOL, pods('w1', 70)));
    expect(r.blocks).toEqual([
      { cidr: '10.8.0.0/26', node: 'w1' },
      { cidr: '10.8.0.64/26', node: 'w1' },
    ]);
    expect(r.ips.get('default/w1-0')).toBe('10.8.0.0');
    expect(r.ips.get('default/w1-63')).toBe('10.8.0.63');
    expect(r.ips.get('default/w1-64')).toBe('10.8.0.64');
    expect(r.ips.get('default/w1-69')).toBe('10.8.0.69');
    expect(new Set(r.ips.values()).size).toBe(70);
  });

  it('uses the blockSize of the pool: /28 blocks hold 16', () => {
    const r = ok(allocateCalicoIPs({ cidr: '10.8.0.0/24', blockSize: 28 }, pods('w1', 17)));
    expect(r.blocks.map((b) => b.cidr)).toEqual(['10.8.0.0/28', '10.8.0.16/28']);
    expect(r.ips.get('default/w1-16')).toBe('10.8.0.16');
  });

  it('stops at 20 blocks per node, the default maxBlocksPerHost safeguard', () => {
    expect(CALICO_DEFAULT_MAX_BLOCKS_PER_HOST).toBe(20);
    const r = allocateCalicoIPs({ cidr: '10.8.0.0/16', blockSize: 30 }, pods('w1', 81));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain('limit of 20 blocks reached for this node');
    expect(ok(allocateCalicoIPs({ cidr: '10.8.0.0/16', blockSize: 30 }, pods('w1', 80))).blocks).toHaveLength(20);
  });
});

describe('Calico IPAM: several nodes', () => {
  it('gives two nodes different blocks, claimed in pool order as they first need one', () => {
    const r = ok(allocateCalicoIPs(POOL, [...pods('w2', 2), ...pods('w1', 2), { node: 'w2', pod: 'default/late' }]));
    expect(r.blocks).toEqual([
      { cidr: '10.8.0.0/26', node: 'w2' },
      { cidr: '10.8.0.64/26', node: 'w1' },
    ]);
    expect(r.ips.get('default/w2-0')).toBe('10.8.0.0');
    expect(r.ips.get('default/w1-0')).toBe('10.8.0.64');
    // A node reuses its own block before anything else: w2's third pod stays in 10.8.0.0/26.
    expect(r.ips.get('default/late')).toBe('10.8.0.2');
    expect(blocksOfNode(r.blocks, 'w1')).toEqual(['10.8.0.64/26']);
  });

  it('interleaves blocks when nodes outgrow them in turn', () => {
    const r = ok(allocateCalicoIPs(POOL, [...pods('a', 64), ...pods('b', 1), ...pods('a', 1, 'a2')]));
    expect(r.blocks).toEqual([
      { cidr: '10.8.0.0/26', node: 'a' },
      { cidr: '10.8.0.64/26', node: 'b' },
      { cidr: '10.8.0.128/26', node: 'a' },
    ]);
    expect(r.ips.get('default/a2-0')).toBe('10.8.0.128');
    expect(blocksOfNode(r.blocks, 'a')).toEqual(['10.8.0.0/26', '10.8.0.128/26']);
  });

  it('is deterministic: the same requests give the same answer', () => {
    const reqs = [...pods('w1', 5), ...pods('w2', 70), ...pods('cp1', 1)];
    const a = ok(allocateCalicoIPs(POOL, reqs));
    const b = ok(allocateCalicoIPs(POOL, reqs));
    expect(b.blocks).toEqual(a.blocks);
    expect([...b.ips]).toEqual([...a.ips]);
  });

  it('reports pool exhaustion instead of borrowing from another node', () => {
    // A /25 pool of /26 blocks: two blocks, three nodes.
    const r = allocateCalicoIPs({ cidr: '10.8.0.0/25', blockSize: 26 }, [...pods('w1', 1), ...pods('w2', 1), ...pods('w3', 1)]);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toContain('pod default/w3-0');
      expect(r.message).toContain('IP pool 10.8.0.0/25 has no free /26 block left for node w3');
      expect(r.message).toContain('borrow');
    }
  });

  it('fails when the last block of the pool is full', () => {
    const r = allocateCalicoIPs({ cidr: '10.8.0.0/26', blockSize: 26 }, pods('w1', 65));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain('pod default/w1-64');
  });
});

describe('Calico IPAM: pinned addresses (cni.projectcalico.org/ipAddrs -> AssignIP)', () => {
  it("claims the block holding a pinned address for the pod's node, and keeps others out of it", () => {
    const r = ok(allocateCalicoIPs(POOL, [...pods('w1', 2), { node: 'w2', pod: 'default/pinned', pinned: '10.8.0.10' }, ...pods('w2', 1)]));
    // The pin is assigned first, so its block (10.8.0.0/26) belongs to w2 before w1 asks.
    expect(r.blocks).toEqual([
      { cidr: '10.8.0.0/26', node: 'w2' },
      { cidr: '10.8.0.64/26', node: 'w1' },
    ]);
    expect(r.ips.get('default/pinned')).toBe('10.8.0.10');
    expect(r.ips.get('default/w2-0')).toBe('10.8.0.0');
    expect(r.ips.get('default/w1-0')).toBe('10.8.0.64');
  });

  it('skips a pinned ordinal when allocating in the same block', () => {
    const r = ok(allocateCalicoIPs(POOL, [...pods('w1', 3), { node: 'w1', pod: 'default/p', pinned: '10.8.0.1' }]));
    expect(r.ips.get('default/w1-0')).toBe('10.8.0.0');
    expect(r.ips.get('default/w1-1')).toBe('10.8.0.2');
    expect(r.ips.get('default/w1-2')).toBe('10.8.0.3');
  });

  it("refuses a pin outside the pool, a duplicate, and one in another node's block", () => {
    const outside = allocateCalicoIPs(POOL, [{ node: 'w1', pod: 'default/x', pinned: '10.9.0.1' }]);
    expect(outside.ok || outside.message).toContain('not in the IP pool');
    const dup = allocateCalicoIPs(POOL, [
      { node: 'w1', pod: 'default/x', pinned: '10.8.0.5' },
      { node: 'w1', pod: 'default/y', pinned: '10.8.0.5' },
    ]);
    expect(dup.ok || dup.message).toContain('already assigned');
    const foreign = allocateCalicoIPs(POOL, [
      { node: 'w1', pod: 'default/x', pinned: '10.8.0.5' },
      { node: 'w2', pod: 'default/y', pinned: '10.8.0.6' },
    ]);
    expect(foreign.ok || foreign.message).toContain('affine to node w1');
  });
});
