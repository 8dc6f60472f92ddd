import type { MatmulParams } from '@nerve/core/backend';
import { describe, expect, it } from 'vitest';
import { matmul, matmulOperands } from '../src/kernels/matmul.js';
import { gemm, TILINGS } from '../src/kernels/matmul-gemm.js';
import { available, ctx, expectClose, randoms, read, upload } from './kernels-util.js';

/** float64 reference straight from the MatmulParams definition. */
function refMatmul(a: Float32Array, b: Float32Array, p: MatmulParams): Float64Array {
  const { batch, m, n, k } = p;
  const c = new Float64Array(batch * m * n);
  for (let bi = 0; bi < batch; bi++) {
    const ao = bi * p.aBatchStride;
    const bo = bi * p.bBatchStride;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) {
          const av = a[ao + (p.transA ? q * m + i : i * k + q)];
          const bv = b[bo + (p.transB ? j * k + q : q * n + j)];
          s += av * bv;
        }
        c[(bi * m + i) * n + j] = s;
      }
    }
  }
  return c;
}

function params(
  batch: number,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
  bcastA = false,
  bcastB = false,
): MatmulParams {
  return {
    batch,
    m,
    k,
    n,
    transA,
    transB,
    aBatchStride: bcastA ? 0 : m * k,
    bBatchStride: bcastB ? 0 : k * n,
  };
}

function operands(p: MatmulParams, seed: number) {
  const aLen = p.aBatchStride === 0 ? p.m * p.k : p.batch * p.m * p.k;
  const bLen = p.bBatchStride === 0 ? p.k * p.n : p.batch * p.k * p.n;
  return { a: randoms(aLen, seed), b: randoms(bLen, seed + 1) };
}

async function check(p: MatmulParams, seed = 3, force?: Parameters<typeof gemm>[2]) {
  const { a, b } = operands(p, seed);
  const ga = upload(a, 'float32');
  const gb = upload(b, 'float32');
  const out = force ? gemm(ctx!, matmulOperands(ga, gb, p), force) : matmul(ctx!, ga, gb, p);
  const got = await read(out);
  ctx!.release(ga);
  ctx!.release(gb);
  // float32 dot products of k terms in [-1, 1]: error grows like sqrt(k)·eps.
  expectClose(got, refMatmul(a, b, p), 1e-4, 1e-5 * (1 + Math.sqrt(p.k)) * 4);
}

const TF = [false, true];

describe.runIf(available)('webgpu matmul', () => {
  it('odd sizes crossing tile edges, every transpose combination', async () => {
    const sizes = [1, 7, 33, 65, 130];
    for (const transA of TF) {
      for (const transB of TF) {
        for (const [m, k, n] of [
          [7, 33, 65],
          [65, 7, 130],
          [130, 65, 33],
          [33, 130, 7],
          [1, 65, 130],
          [130, 1, 65],
          [65, 130, 1],
          [5, 7, 9],
          ...sizes.map((s) => [s, s, s]),
        ]) {
          await check(params(1, m, k, n, transA, transB), m + k + n);
        }
      }
    }
  });

  it('batches with broadcast operands (stride 0), every transpose combination', async () => {
    for (const transA of TF) {
      for (const transB of TF) {
        for (const [ba, bb] of [
          [false, false],
          [true, false],
          [false, true],
          [true, true],
        ]) {
          await check(params(3, 33, 17, 65, transA, transB, ba, bb), 11);
          await check(params(3, 2, 17, 65, transA, transB, ba, bb), 12);
          await check(params(2, 65, 17, 3, transA, transB, ba, bb), 13);
        }
      }
    }
  });

  it('the small-side kernel (m or n ≤ 4) for every layout and long K', async () => {
    for (const transA of TF) {
      for (const transB of TF) {
        for (const [m, k, n] of [
          [1, 1000, 130],
          [4, 333, 257],
          [130, 513, 1],
          [300, 64, 3],
          [1, 4097, 1],
          [2, 9, 2],
        ]) {
          await check(params(2, m, k, n, transA, transB), m * 7 + n);
        }
      }
    }
  });

  it('every tiling, and split-k, give the same products', async () => {
    for (const tiling of Object.values(TILINGS)) {
      for (const splits of [1, 3]) {
        for (const transA of TF) {
          for (const transB of TF) {
            await check(params(2, 130, 67, 259, transA, transB), 5, { tiling, splits });
          }
        }
      }
    }
  });

  it('k = 0 gives zeros, empty outputs give empty buffers', async () => {
    const z = await read(
      matmul(ctx!, upload([], 'float32'), upload([], 'float32'), params(2, 3, 0, 70, false, false)),
    );
    expect(Array.from(z)).toEqual(new Array(2 * 3 * 70).fill(0));
    const z2 = await read(
      matmul(ctx!, upload([], 'float32'), upload([], 'float32'), params(1, 70, 0, 70, true, true)),
    );
    expect(z2.every((v) => v === 0)).toBe(true);
    const e = await read(
      matmul(
        ctx!,
        upload([], 'float32'),
        upload([1, 2], 'float32'),
        params(1, 0, 2, 1, false, false),
      ),
    );
    expect(e.length).toBe(0);
  });

  it('long K with split-k chosen automatically', async () => {
    await check(params(1, 40, 5000, 36, false, true), 9);
    await check(params(1, 64, 3000, 64, true, false), 10);
  });

  it('rejects operands smaller than the params read', () => {
    expect(() =>
      matmul(
        ctx!,
        upload([1, 2, 3], 'float32'),
        upload([1, 2], 'float32'),
        params(1, 2, 2, 1, false, false),
      ),
    ).toThrow(/operand a/);
  });
});
