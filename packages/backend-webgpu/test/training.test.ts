/**
 * Training-like use: 1,000 forward/backward/SGD steps of a tiny MLP inside
 * tidy keep the live tensors and the buffer pool flat, and the loss falls.
 */
import { memory } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import { available, useWebGpu } from './gpu.js';
import { disposeMlp, makeMlp, step } from './mlp.js';

describe.runIf(available)('webgpu training steps', () => {
  it('1,000 steps keep tensors, live buffers and the pool flat', async () => {
    const b = await useWebGpu();
    const m = makeMlp(7);
    const losses: number[] = [];
    let atWarm = { tensors: 0, live: 0, total: 0, created: 0 };
    for (let i = 0; i < 1000; i++) {
      const loss = step(m, 0.1);
      losses.push(await loss.item());
      loss.dispose();
      if (i === 99) {
        const s = b.poolStats();
        atWarm = { tensors: memory().numTensors, live: s.live, total: s.total, created: s.created };
      }
    }
    const s = b.poolStats();
    expect(memory().numTensors, 'live tensors').toBe(atWarm.tensors);
    expect(s.live, 'live buffers').toBe(atWarm.live);
    expect(s.total, 'pooled buffers').toBe(atWarm.total);
    expect(s.created, 'buffers created after warm-up').toBe(atWarm.created);
    expect(losses[999]).toBeLessThan(losses[0] * 0.5);
    disposeMlp(m);
    expect(b.poolStats().live).toBe(atWarm.live - 6);
  });
});
