import { describe, expect, it } from 'vitest';
import { readyPods } from './ready-pods.js';

describe('readyPods', () => {
  it('keeps Ready pods that are not being deleted', () => {
    const out = ['web-a 10.244.1.3 True ', 'web-b  False ', 'web-c 10.244.2.3 False ', 'web-d 10.244.2.4 True 2026-12-02T05:00:00Z', ''].join('\n');
    expect(readyPods(out)).toEqual(new Map([['web-a', '10.244.1.3']]));
  });
});
