/**
 * Issue 16: conv2d with a bias runs as one kernel (`conv2dBias`: the bias
 * added while C is copied into y on the implicit path) and gives the same
 * bits as core's fallback, the conv2d kernel then add(y, bias): the output
 * and all three gradients, for a geometry on the wasm threads path, one
 * below its size cut-off (the conv then a JavaScript add) and a strided one.
 */
import '@nerve/backend-cpu';
import { backward, conv2d, memory, mul, setBackend, sum, tensor, tidy } from '@nerve/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { bits, randomF32, withAndWithout } from './helpers.js';

beforeAll(() => setBackend('cpu'));

interface Case {
  name: string;
  x: number[];
  w: number[];
  stride: number;
  padding: number;
}

const CASES: Case[] = [
  {
    name: 'the bench CNN second conv, N6',
    x: [6, 16, 14, 14],
    w: [32, 16, 3, 3],
    stride: 1,
    padding: 1,
  },
  { name: 'tiny (below WASM_MIN)', x: [2, 2, 5, 5], w: [3, 2, 3, 3], stride: 1, padding: 1 },
  { name: 'stride 2, no padding', x: [3, 5, 11, 12], w: [8, 5, 3, 3], stride: 2, padding: 0 },
];

/** y and the gradients of sum(y · g) with respect to x, w and bias. */
function run(c: Case) {
  return tidy(() => {
    const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
    const x = tensor(randomF32(size(c.x), 1), { shape: c.x, requiresGrad: true });
    const w = tensor(randomF32(size(c.w), 2), { shape: c.w, requiresGrad: true });
    const bias = tensor(randomF32(c.w[0], 3), { shape: [c.w[0]], requiresGrad: true });
    const y = conv2d(x, w, { bias, stride: c.stride, padding: c.padding });
    const g = tensor(randomF32(y.size, 4, -2, 2), { shape: y.shape });
    backward(sum(mul(y, g)));
    return {
      y: y.dataSync() as Float32Array,
      dx: x.grad?.dataSync() as Float32Array,
      dw: w.grad?.dataSync() as Float32Array,
      db: bias.grad?.dataSync() as Float32Array,
    };
  });
}

describe('conv2dBias', () => {
  for (const c of CASES) {
    it(`matches conv2d then add bit for bit, output and gradients: ${c.name}`, () => {
      const live = memory().numTensors;
      const { fused, reference } = withAndWithout('conv2dBias', () => run(c));
      // tidy released everything both steps made (no tensor leaks from the fused path).
      expect(memory().numTensors).toBe(live);
      for (const key of ['y', 'dx', 'dw', 'db'] as const) {
        expect(bits(fused[key]), key).toEqual(bits(reference[key]));
      }
    });
  }
});
