import '@nerve/backend-cpu';
import { arange, memory } from '@nerve/core';
import { TensorDataset } from '@nerve/data';
import { describe, expect, it } from 'vitest';
import { crossValidate } from '../src/index.js';

describe('crossValidate', () => {
  it('scores every fold once, with each sample held out exactly once', async () => {
    const x = arange(0, 10);
    const ds = new TensorDataset(x);
    const tensors = memory().numTensors;
    const held: number[] = [];
    const r = await crossValidate(
      ds,
      async ({ train, val, index }) => {
        const v = Array.from(await val.tensors[0].data());
        const t = Array.from(await train.tensors[0].data());
        expect(v.length + t.length).toBe(10);
        expect(v.some((s) => t.includes(s))).toBe(false);
        held.push(...v);
        return index * 2;
      },
      { k: 5, seed: 1 },
    );
    expect(held.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(r.scores).toEqual([0, 2, 4, 6, 8]);
    expect(r.mean).toBe(4);
    // Sample standard deviation of 0, 2, 4, 6, 8: √10.
    expect(r.std).toBeCloseTo(Math.sqrt(10), 12);
    expect(memory().numTensors).toBe(tensors);
    x.dispose();
  });
});
