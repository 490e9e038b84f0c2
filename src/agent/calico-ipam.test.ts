// Calico IPAM as the node agents run it against the API (libcalico-go lib/ipam, with the
// deterministic choices of model/calico-ipam.ts): block claims and addresses.
import { describe, expect, it } from 'vitest';
import type { K8sObject } from '../api/client.js';
import { blockAffinityObject, blockObjectName, blocksFromApi, chooseAddress, ipamBlockObject } from './calico-ipam.js';

const pool = { cidr: '10.8.0.0/16', blockSize: 26 };

describe('chooseAddress', () => {
  it("claims the pool's first block when the node has none, then hands out from it lowest first", () => {
    expect(chooseAddress(pool, [], 'w1', new Set())).toEqual({ claim: '10.8.0.0/26' });
    const blocks = [{ cidr: '10.8.0.0/26', node: 'w1' }];
    expect(chooseAddress(pool, blocks, 'w1', new Set())).toEqual({ ip: '10.8.0.0' });
    expect(chooseAddress(pool, blocks, 'w1', new Set(['10.8.0.0', '10.8.0.1']))).toEqual({ ip: '10.8.0.2' });
  });

  it("skips blocks other nodes own, and claims the next block when the node's are full", () => {
    const blocks = [
      { cidr: '10.8.0.0/26', node: 'w1' },
      { cidr: '10.8.0.64/26', node: 'w2' },
    ];
    expect(chooseAddress(pool, blocks, 'w2', new Set())).toEqual({ ip: '10.8.0.64' });
    const full = new Set(Array.from({ length: 64 }, (_, i) => `10.8.0.${i}`));
    expect(chooseAddress(pool, blocks, 'w1', full)).toEqual({ claim: '10.8.0.128/26' });
  });

  it("a pinned address: in its own block, claiming that block if free, refused in another node's", () => {
    expect(chooseAddress(pool, [], 'w1', new Set(), '10.8.0.70')).toEqual({ claim: '10.8.0.64/26' });
    expect(chooseAddress(pool, [{ cidr: '10.8.0.64/26', node: 'w1' }], 'w1', new Set(), '10.8.0.70')).toEqual({ ip: '10.8.0.70' });
    expect(chooseAddress(pool, [{ cidr: '10.8.0.64/26', node: 'w2' }], 'w1', new Set(), '10.8.0.70')).toEqual({
      error: '10.8.0.70 is in block 10.8.0.64/26, which is affine to node w2, not w1',
    });
    expect(chooseAddress(pool, [], 'w1', new Set(), '10.9.0.1')).toEqual({ error: '10.9.0.1 is not in the IP pool 10.8.0.0/16' });
  });

  it('says so when every block is claimed', () => {
    const small = { cidr: '10.8.0.0/25', blockSize: 26 };
    const blocks = [
      { cidr: '10.8.0.0/26', node: 'w2' },
      { cidr: '10.8.0.64/26', node: 'w3' },
    ];
    expect(chooseAddress(small, blocks, 'w1', new Set())).toEqual({ error: 'IP pool 10.8.0.0/25 has no free /26 block left for node w1' });
  });
});

describe('the IPAM objects (libcalico-go lib/backend/k8s/resources names)', () => {
  it('names a block by its CIDR and an affinity by node and CIDR; reads them back', () => {
    expect(blockObjectName('10.8.0.64/26')).toBe('10-8-0-64-26');
    expect((blockAffinityObject('10.8.0.64/26', 'w1').metadata as { name: string }).name).toBe('w1-10-8-0-64-26');
    const objs = [ipamBlockObject('10.8.0.64/26', 'w2'), ipamBlockObject('10.8.0.0/26', 'w1')] as unknown as K8sObject[];
    expect(blocksFromApi(objs)).toEqual([
      { cidr: '10.8.0.0/26', node: 'w1' },
      { cidr: '10.8.0.64/26', node: 'w2' },
    ]);
  });
});

describe('chooseAddress and released addresses (ipam_block.go: released ordinals go to the back)', () => {
  it('hands out released addresses last, the oldest first', () => {
    const blocks = [{ cidr: '10.8.0.0/30', node: 'w1' }];
    const small = { cidr: '10.8.0.0/16', blockSize: 30 };
    expect(chooseAddress(small, blocks, 'w1', new Set(['10.8.0.1']), undefined, ['10.8.0.0'])).toEqual({ ip: '10.8.0.2' });
    const full = new Set(['10.8.0.1', '10.8.0.2', '10.8.0.3']);
    expect(chooseAddress(small, blocks, 'w1', full, undefined, ['10.8.0.0'])).toEqual({ ip: '10.8.0.0' });
  });
});
