/**
 * Softmax / log-softmax rows as wasm SIMD with a polynomial exp
 * (src/kernels/softmax-simd.ts) against softmax.ts's scalar loop (Math.exp):
 * within the bound derived there, element by element.
 */
import { describe, expect, it } from 'vitest';
import { wasmHeap } from '../src/heap.js';
import { softmax } from '../src/kernels/softmax.js';
import { MIN_ROW } from '../src/kernels/softmax-simd.js';
import { randomF32 } from './helpers.js';

function onHeap(v: Float32Array): Float32Array {
  const h = wasmHeap()!.allocF32(v.length);
  h.set(v);
  return h;
}

/** One float32 ulp at |v| (the spacing above |v|; 2⁻¹⁴⁹ for subnormals and 0). */
function ulp(v: number): number {
  const a = Math.abs(v);
  if (a < 2 ** -126) return 2 ** -149;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

function compare(x: Float32Array, outer: number, n: number, log: boolean): number {
  const scalar = softmax(x, outer, n, log); // x is a plain array: the scalar loop
  const simd = softmax(onHeap(x), outer, n, log);
  let same = 0;
  for (let i = 0; i < outer * n; i++) {
    const a = simd[i];
    const b = scalar[i];
    if (Number.isNaN(b)) {
      expect(a).toBeNaN();
      same++;
      continue;
    }
    if (Object.is(a, b)) {
      same++;
      continue;
    }
    // softmax-simd.ts: ≤ 1 ulp (softmax), ≤ 1 ulp + (2n + 16)·2⁻⁵³ (log-softmax).
    const bound = Math.max(ulp(a), ulp(b)) + (log ? (2 * n + 16) * 2 ** -53 : 0);
    expect(Math.abs(a - b), `element ${i}: simd ${a}, scalar ${b}`).toBeLessThanOrEqual(bound);
  }
  return same / (outer * n);
}

describe('softmax rows as SIMD', () => {
  for (const [outer, n, lo, hi] of [
    [4, MIN_ROW, -10, 10],
    [3, 33, -5, 5],
    [8, 1000, -20, 20],
    [2, 4097, -3, 3],
    [16, 100, -700, 700], // terms below exp(−708) (clamped) and far ranges
  ] as const) {
    for (const log of [false, true]) {
      it(`${log ? 'log-softmax' : 'softmax'} [${outer}, ${n}] in [${lo}, ${hi}): within the bound of the scalar loop`, () => {
        const x = randomF32(outer * n, outer * 7 + n, lo, hi);
        const same = compare(x, outer, n, log);
        // Informational: the fraction of bit-identical elements.
        console.log(
          `${log ? 'logSoftmax' : 'softmax'} [${outer}, ${n}]: ${(100 * same).toFixed(2)}% bit-identical`,
        );
      });
    }
  }

  it('gives its scratch back: the heap holds only the outputs afterwards', () => {
    const heap = wasmHeap()!;
    const x = onHeap(randomF32(8 * 64, 5));
    const before = heap.allocatedBytes;
    for (let i = 0; i < 50; i++) {
      for (const log of [false, true]) heap.freeF32(softmax(x, 8, 64, log));
    }
    // The outputs come from the buffer pool, which may keep one block per size.
    expect(heap.allocatedBytes - before).toBeLessThanOrEqual(2 * 8 * 64 * 4);
    heap.freeF32(x);
  });

  it('NaN, ±Infinity and large logits behave as in the scalar loop', () => {
    const n = 40;
    const x = randomF32(5 * n, 9, -2, 2);
    x[3] = Number.NaN; // row 0: all NaN
    x[n + 5] = Number.POSITIVE_INFINITY; // row 1: ∞ − ∞ = NaN, as in the scalar loop
    for (let j = 0; j < n; j++) x[2 * n + j] = j % 2 ? Number.NEGATIVE_INFINITY : 1000 + j; // row 2
    x[3 * n + 7] = 3e38; // row 3: one huge logit
    for (let j = 0; j < n; j++) x[4 * n + j] = Number.NEGATIVE_INFINITY; // row 4: all −∞ (NaN)
    for (const log of [false, true]) compare(x, 5, n, log);
  });
});
