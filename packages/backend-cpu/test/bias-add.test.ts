/**
 * Issue 16: a conv bias add ([N, C, H, W] + [1, C, 1, 1]) runs as one wasm
 * call (kernels/bias-add.ts) and gives each element's float32 sum
 * fround(a + b), as the JavaScript and SIMD rows do: NaN, ±∞, −0 + −0,
 * a plane length that is not a multiple of four, a broadcast axis that is
 * not the second.
 */
import '@nerve/backend-cpu';
import { add, setBackend, tensor, tidy } from '@nerve/core';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { getWasmRuntime } from '../src/wasm/runtime.js';
import { randomF32 } from './helpers.js';

beforeAll(() => setBackend('cpu'));

/** x shape, bias shape (broadcasting against x). */
const CASES: [number[], number[]][] = [
  [
    [4, 16, 28, 28],
    [1, 16, 1, 1],
  ],
  [
    [3, 5, 7, 9],
    [1, 5, 1, 1],
  ],
  [
    [2, 3, 17],
    [3, 1],
  ],
  [
    [6, 2, 5, 4],
    [6, 1, 1, 1],
  ],
];

describe('bias add in one wasm call', () => {
  for (const [xs, bs] of CASES) {
    it(`gives fround(a + b) bit for bit: ${xs.join('×')} + ${bs.join('×')}`, () => {
      const n = xs.reduce((p, d) => p * d, 1);
      const nb = bs.reduce((p, d) => p * d, 1);
      const x = randomF32(n, n, -1e3, 1e3);
      const b = randomF32(nb, nb, -10, 10);
      x[0] = Number.NaN;
      x[1] = Number.POSITIVE_INFINITY;
      x[2] = -0;
      b[0] = -0;
      const rt = getWasmRuntime();
      const spy = rt ? vi.spyOn(rt.runner, 'run') : null;
      const got = tidy(
        () => add(tensor(x, { shape: xs }), tensor(b, { shape: bs })).dataSync() as Float32Array,
      );
      if (spy) {
        expect(spy.mock.calls.map((c) => c[0])).toEqual(['biasAdd']);
        spy.mockRestore();
      }
      // Which bias element each x element meets: its index along the broadcast axis.
      const k = bs.findIndex((d, i) => d !== 1 && i >= 0);
      const axis = k + (xs.length - bs.length);
      const inner = xs.slice(axis + 1).reduce((p, d) => p * d, 1);
      const want = new Float32Array(n);
      for (let i = 0; i < n; i++) want[i] = x[i] + b[Math.floor(i / inner) % xs[axis]];
      expect(Array.from(new Uint32Array(got.buffer, got.byteOffset, n))).toEqual(
        Array.from(new Uint32Array(want.buffer)),
      );
      expect(Object.is(got[2], -0)).toBe(true);
    });
  }
});
