/**
 * The webgpu backend against the CPU backend: the same seed gives the same
 * random numbers (core draws them on the host), and the same training steps
 * give the same losses and weights within float32 tolerance.
 */
import '@nerve/backend-cpu';
import { type Tensor, manualSeed, rand, randint, randn, ready, setBackend } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import { available, useWebGpu } from './gpu.js';
import { disposeMlp, makeMlp, step } from './mlp.js';

async function on<T>(name: 'cpu' | 'webgpu', fn: () => Promise<T>): Promise<T> {
  if (name === 'webgpu') await useWebGpu();
  else {
    await ready('cpu');
    setBackend('cpu');
  }
  return fn();
}

async function take(t: Tensor): Promise<number[]> {
  const v = Array.from(await t.data());
  t.dispose();
  return v;
}

describe.runIf(available)('webgpu agrees with cpu', () => {
  it('the same seed gives the same random numbers on both backends', async () => {
    const draw = async () => {
      manualSeed(1234);
      return [
        await take(rand([1000], { seed: 42 })),
        await take(randn([1001], { seed: 42, mean: 1, std: 2 })),
        await take(randint(-5, 17, [999], { seed: 9 })),
        await take(rand([7, 13])),
        await take(randn([64])),
      ];
    };
    const cpu = await on('cpu', draw);
    const gpu = await on('webgpu', draw);
    expect(gpu).toEqual(cpu);
  });

  it('20 SGD steps of an MLP give the same losses and weights (float32 tolerance)', async () => {
    const train = async () => {
      const m = makeMlp(11);
      const losses: number[] = [];
      for (let i = 0; i < 20; i++) losses.push(...(await take(step(m, 0.2))));
      const weights = await Promise.all(m.params.map(async (p) => Array.from(await p.data())));
      disposeMlp(m);
      return { losses, weights };
    };
    const cpu = await on('cpu', train);
    const gpu = await on('webgpu', train);
    const close = (a: number, b: number) => Math.abs(a - b) <= 1e-5 + 1e-4 * Math.abs(b);
    gpu.losses.forEach((l, i) => {
      expect(close(l, cpu.losses[i]), `loss ${i}: ${l} vs ${cpu.losses[i]}`).toBe(true);
    });
    for (const [j, w] of gpu.weights.entries()) {
      for (const [i, v] of w.entries()) {
        const want = cpu.weights[j][i];
        expect(close(v, want), `param ${j}[${i}]: ${v} vs ${want}`).toBe(true);
      }
    }
    expect(cpu.losses[19]).toBeLessThan(cpu.losses[0]);
  });
});
