/**
 * Issue 16: the plain 2×2 max pool as wasm SIMD (kernels/maxpool-fast.ts,
 * wasm/pool-simd.ts) and the one-pass max-pool gradient (`maxPool2dBackward`)
 * give the same bits as the JavaScript kernel and core's scatterAdd fallback:
 * NaN propagation (the first NaN of a window wins), ties (the first maximum
 * in row-major window order), ±0, ±∞, odd heights and widths (rows and
 * columns no window covers), and row ends that are not a multiple of the
 * four-window SIMD group.
 */
import '@nerve/backend-cpu';
import type { Conv2dParams } from '@nerve/core/backend';
import {
  backward,
  getBackend,
  maxPool2d as corePool,
  mul,
  setBackend,
  sum,
  tensor,
  tidy,
} from '@nerve/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { allocF32 } from '../src/alloc.js';
import { wasmHeap } from '../src/heap.js';
import { backward2x2, maxPool2dFast } from '../src/kernels/maxpool-fast.js';
import { maxPool2d } from '../src/kernels/pooling.js';
import { bits, convParams, randomF32, SPECIAL_F32, withAndWithout } from './helpers.js';

beforeAll(() => setBackend('cpu'));

/** [N, C, H, W]: the bench CNN's two pools, odd sizes, OW mod 4 = 1..3, one window. */
const SHAPES: [number, number, number, number][] = [
  [2, 3, 28, 28],
  [3, 2, 14, 14],
  [1, 3, 7, 9],
  [2, 1, 5, 13],
  [1, 2, 6, 10],
  [1, 1, 2, 2],
  [2, 2, 3, 3],
];

/** Values with many ties (a few integers), specials, and whole NaN or ±∞ windows. */
function input(n: number, seed: number): Float32Array {
  const x = randomF32(n, seed, -3, 3);
  for (let i = 0; i < n; i++) {
    if (i % 3 === 0) x[i] = Math.round(x[i]);
    if (i % 7 === 0) x[i] = SPECIAL_F32[(i / 7) % SPECIAL_F32.length];
  }
  return x;
}

const params = ([n, c, h, w]: [number, number, number, number]): Conv2dParams =>
  convParams(n, c, h, w, c, [2, 2], [2, 2], [0, 0]);

/** A heap copy of `values` (the fast paths run on heap blocks only). */
function onHeap(values: Float32Array): Float32Array {
  const v = allocF32(values.length, true);
  v.set(values);
  return v;
}

describe('maxPool2d, 2×2 as wasm SIMD', () => {
  it('runs on the heap here (else the tests below would test nothing)', () => {
    expect(wasmHeap()).toBeDefined();
    const p = params([1, 1, 8, 8]);
    expect(maxPool2dFast(onHeap(input(64, 1)), p)).not.toBeNull();
  });

  for (const shape of SHAPES) {
    it(`matches the JavaScript kernel bit for bit on ${shape.join('×')}`, () => {
      const p = params(shape);
      const n = shape[0] * shape[1] * shape[2] * shape[3];
      const x = onHeap(input(n, n));
      const fast = maxPool2dFast(x, p);
      expect(fast).not.toBeNull();
      const ref = maxPool2d(new Float32Array(x), p);
      expect(bits(fast!.out)).toEqual(bits(ref.out));
      expect(Array.from(fast!.indices)).toEqual(Array.from(ref.indices));
    });
  }
});

/** x.grad of sum(maxPool2d(x) · dy) on the backend, with the optional gradient kernel or without. */
function poolGrad(shape: number[], x: Float32Array, dy: Float32Array): Float32Array {
  return tidy(() => {
    const xt = tensor(x, { shape, requiresGrad: true });
    const y = corePool(xt, 2);
    backward(sum(mul(y, tensor(dy, { shape: y.shape }))));
    return xt.grad?.dataSync() as Float32Array;
  });
}

describe('maxPool2dBackward', () => {
  for (const shape of SHAPES) {
    it(`matches the scatterAdd fallback bit for bit on ${shape.join('×')}`, () => {
      const n = shape[0] * shape[1] * shape[2] * shape[3];
      const x = input(n, n + 1);
      const m = shape[0] * shape[1] * Math.floor(shape[2] / 2) * Math.floor(shape[3] / 2);
      const dy = randomF32(m, m, -4, 4);
      dy[0] = -0;
      if (m > 2) dy[1] = Number.NaN;
      if (m > 3) dy[3] = Number.NEGATIVE_INFINITY;
      const { fused, reference } = withAndWithout('maxPool2dBackward', () =>
        poolGrad(shape, x, dy),
      );
      expect(bits(fused)).toEqual(bits(reference));
      // −0 in dy comes back as +0 where it lands (0 + −0), as the fallback's sum gives.
      expect(fused.some((v) => Number.isNaN(v))).toBe(m > 2);
    });
  }

  it('the JavaScript path (arrays outside the heap) gives the same bits as the wasm path', () => {
    for (const shape of SHAPES) {
      const p = params(shape);
      const n = shape[0] * shape[1] * shape[2] * shape[3];
      const fwd = maxPool2d(input(n, n + 2), p);
      const dy = randomF32(fwd.out.length, 5, -2, 2);
      const js = new Float32Array(n).fill(7);
      expect(backward2x2(dy, fwd.indices, js, p)).toBe(true);
      const heapDx = poolGrad(shape, input(n, n + 2), dy);
      expect(bits(js)).toEqual(bits(heapDx));
    }
  });

  it('leaves an index outside its window to the general scatter (same result as the fallback)', () => {
    const b = getBackend('cpu') as unknown as {
      upload(v: Float32Array | Int32Array, d: string): unknown;
      maxPool2dBackward(dy: unknown, idx: unknown, p: Conv2dParams): unknown;
      scatterAdd(i: unknown, s: unknown, g: unknown): unknown;
      readSync(id: unknown, d: string, n: number): Float32Array;
      free(id: unknown): void;
    };
    const p = params([1, 1, 4, 4]);
    // Window 0's index points into window 3: a valid plane index, not from maxPool2d.
    const idx = b.upload(new Int32Array([10, 2, 8, 10]), 'int32');
    const dy = b.upload(new Float32Array([1, 2, 3, 4]), 'float32');
    const got = b.readSync(b.maxPool2dBackward(dy, idx, p), 'float32', 16);
    const want = b.readSync(
      b.scatterAdd({ id: idx, strides: [4, 1, 0], offset: 0 }, dy, {
        dtype: 'float32',
        outer: 1,
        axisSize: 16,
        indexSize: 4,
        inner: 1,
      }),
      'float32',
      16,
    );
    expect(Array.from(got)).toEqual(Array.from(want));
    expect(got[10]).toBe(5);
  });
});
