/**
 * One-element fills are shared constants on webgpu (no dispatch per scalar):
 * they cost no dispatch after the first, stay out of the pool's live count,
 * and a write into one (copyInto, which pad and concat use) goes to a private
 * copy, never to the constant that other tensors share.
 */
import { concat, full, mul, pad, tensor, tidy, zeros } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import { available, useWebGpu } from './gpu.js';

describe.runIf(available)('webgpu shared scalar constants', () => {
  it('a repeated scalar costs no dispatch and no live buffer', async () => {
    const b = await useWebGpu();
    const x = tensor([1, 2, 3]);
    tidy(() => mul(x, 0.375)); // first use writes the constant
    const before = b.stats().dispatches;
    const live = b.poolStats().live;
    const y = tidy(() => mul(x, 0.375));
    expect(b.stats().dispatches - before, 'dispatches of mul(x, 0.375)').toBe(1);
    expect(Array.from(await y.data())).toEqual([0.375, 0.75, 1.125]);
    y.dispose();
    x.dispose();
    expect(b.poolStats().live).toBe(live - 1);
  });

  it('writes into a one-element buffer never change the shared constant', async () => {
    await useWebGpu();
    const before = zeros([1]);
    // pad and concat fill their output (here one element, value 0 or 7) and copyInto it.
    const a = concat([zeros([0]), tensor([5])]);
    const p = pad(tensor([9]), [[0, 0]], 7);
    const s = full([1], 7);
    const after = zeros([1]);
    expect(Array.from(await a.data())).toEqual([5]);
    expect(Array.from(await p.data())).toEqual([9]);
    expect(Array.from(await before.data()), 'zeros([1]) made before').toEqual([0]);
    expect(Array.from(await after.data()), 'zeros([1]) made after').toEqual([0]);
    expect(Array.from(await s.data()), 'full([1], 7)').toEqual([7]);
    for (const t of [before, a, p, s, after]) t.dispose();
  });
});
