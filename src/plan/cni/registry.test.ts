import { describe, expect, it } from 'vitest';
import { cniBackends } from './registry.js';
import { NODE_AGENT_NETWORKS } from '../../labfile/validate.js';

describe('pod networks the node agents run', () => {
  it('are exactly the backends with a dynamic form (the lab file validation lists them too)', () => {
    const dynamic = cniBackends()
      .filter((b) => b.dynamic)
      .map((b) => b.kind)
      .sort();
    expect(dynamic).toEqual([...NODE_AGENT_NETWORKS].sort());
  });
});
