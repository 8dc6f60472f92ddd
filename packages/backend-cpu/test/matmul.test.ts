import type { MatmulParams } from '@nerve/core/backend';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/cpu-backend.js';
import { gemm, GemmScratch } from '../src/kernels/gemm-blocked.js';
import { expectClose, randomF32 } from './helpers.js';

/**
 * Float64 reference straight from the definition. Also returns Σ|a||b| per
 * output, the natural scale for the rounding error of a float32 result.
 */
function reference(
  a: Float32Array,
  b: Float32Array,
  p: MatmulParams,
): { c: Float64Array; scale: Float64Array } {
  const { batch, m, k, n } = p;
  const c = new Float64Array(batch * m * n);
  const scale = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        let abs = 0;
        for (let q = 0; q < k; q++) {
          const av = a[t * p.aBatchStride + (p.transA ? q * m + i : i * k + q)];
          const bv = b[t * p.bBatchStride + (p.transB ? j * k + q : q * n + j)];
          s += av * bv;
          abs += Math.abs(av * bv);
        }
        c[(t * m + i) * n + j] = s;
        scale[(t * m + i) * n + j] = abs;
      }
    }
  }
  return { c, scale };
}

function check(b: CpuBackend, p: MatmulParams, seed: number): void {
  const aSize = Math.max(0, (p.batch - 1) * p.aBatchStride) + p.m * p.k;
  const bSize = Math.max(0, (p.batch - 1) * p.bBatchStride) + p.k * p.n;
  const ha = randomF32(aSize, seed);
  const hb = randomF32(bSize, seed + 1);
  const id = b.matmul(b.upload(ha, 'float32'), b.upload(hb, 'float32'), p);
  const got = b.readSync(id, 'float32', p.batch * p.m * p.n);
  const { c, scale } = reference(ha, hb, p);
  expectClose(got, c, 1e-6, 1e-7, JSON.stringify(p), scale);
}

function params(
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
  batch = 1,
): MatmulParams {
  return { batch, m, k, n, transA, transB, aBatchStride: m * k, bBatchStride: k * n };
}

const TRANS: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

// Sizes straddle the 4×4 micro-tile and the 128/256/512 block edges (m, k, n respectively).
const SIZES: [number, number, number][] = [
  [1, 1, 1],
  [1, 7, 1],
  [7, 1, 7],
  [7, 7, 7],
  [1, 65, 130],
  [130, 65, 1],
  [33, 33, 33],
  [65, 7, 33],
  [130, 130, 65],
  [33, 300, 17],
  [5, 3, 530],
  [131, 257, 13],
];

describe('matmul', () => {
  for (const [transA, transB] of TRANS) {
    it(`matches the float64 reference, transA=${transA} transB=${transB}`, () => {
      const b = new CpuBackend();
      SIZES.forEach(([m, k, n], i) => {
        check(b, params(m, k, n, transA, transB), i * 7);
      });
    });
  }

  it('broadcasts A or B over the batch with a batch stride of 0', () => {
    const b = new CpuBackend();
    for (const [transA, transB] of TRANS) {
      for (const [m, k, n] of [
        [3, 5, 4],
        [33, 20, 65],
      ] as const) {
        check(b, { ...params(m, k, n, transA, transB, 3), bBatchStride: 0 }, 1);
        check(b, { ...params(m, k, n, transA, transB, 3), aBatchStride: 0 }, 2);
        check(b, { ...params(m, k, n, transA, transB, 2), aBatchStride: 0, bBatchStride: 0 }, 3);
      }
    }
  });

  it('honours batch strides larger than one matrix (gaps between matrices)', () => {
    const b = new CpuBackend();
    check(
      b,
      { ...params(9, 11, 6, false, true, 3), aBatchStride: 9 * 11 + 5, bBatchStride: 66 + 3 },
      4,
    );
    check(
      b,
      { ...params(40, 30, 20, false, false, 2), aBatchStride: 40 * 30 + 1, bBatchStride: 0 },
      5,
    );
  });

  it('returns empty or zero outputs for size-0 dimensions', () => {
    const b = new CpuBackend();
    const e = b.upload(new Float32Array(0), 'float32');
    expect(b.readSync(b.matmul(e, e, params(0, 3, 4, false, false)), 'float32', 0).length).toBe(0);
    expect(b.readSync(b.matmul(e, e, params(2, 3, 4, false, false, 0)), 'float32', 0).length).toBe(
      0,
    );
    // k = 0: an empty sum is 0 for every output.
    const z = b.readSync(b.matmul(e, e, params(2, 0, 3, true, false)), 'float32', 6);
    expect(Array.from(z)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('rejects operands shorter than the params require', () => {
    const b = new CpuBackend();
    const a = b.upload(new Float32Array(5), 'float32');
    expect(() => b.matmul(a, a, params(2, 3, 1, false, false))).toThrow(/matmul/);
  });

  it('gives the same results for a reused scratch across shapes', () => {
    const b = new CpuBackend();
    check(b, params(200, 300, 100, false, false), 10);
    check(b, params(9, 5, 3, true, true), 11);
    check(b, params(200, 300, 100, true, false), 12);
  });
});

describe('gemm (the blocked kernel directly)', () => {
  it('accumulates into C and writes at an offset without touching the rest', () => {
    const scratch = new GemmScratch();
    const [m, k, n] = [37, 41, 43];
    const a = randomF32(m * k, 1);
    const b = randomF32(k * n, 2);
    const c = randomF32(m * n + 10, 3);
    const before = Float32Array.from(c);
    gemm(
      {
        m,
        n,
        k,
        a,
        aOff: 0,
        transA: false,
        b,
        bOff: 0,
        transB: false,
        c,
        cOff: 5,
        accumulate: true,
      },
      scratch,
    );
    const { c: ref, scale } = reference(a, b, params(m, k, n, false, false));
    const want = Array.from(ref, (v, i) => v + before[5 + i]);
    expectClose(c.subarray(5, 5 + m * n), want, 1e-6, 1e-6, 'accumulate', scale);
    expect(Array.from(c.subarray(0, 5))).toEqual(Array.from(before.subarray(0, 5)));
    expect(Array.from(c.subarray(5 + m * n))).toEqual(Array.from(before.subarray(5 + m * n)));
  });
});
