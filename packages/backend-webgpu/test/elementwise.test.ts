/**
 * Elementwise kernels through the Backend methods, on what the conformance
 * suite does not reach: dtype casts at the edges of int32, integer pow,
 * negative strides, rank-7 broadcasting and copyInto.
 */
import type { DataId, DType, StridedView, TypedArray } from '@nerve/core/backend';
import { BINARY_SCALAR, UNARY_SCALAR } from '@nerve/core/backend';
import { describe, expect, it } from 'vitest';
import { contiguousStrides } from '@nerve/core/backend';
import type { WebGpuBackend } from '../src/index.js';
import { available, useWebGpu } from './gpu.js';

describe.runIf(available)('webgpu elementwise kernels', async () => {
  const b = available ? await useWebGpu() : (null as unknown as WebGpuBackend);
  const view = (id: DataId, shape: readonly number[], offset = 0): StridedView => ({
    id,
    strides: contiguousStrides(shape),
    offset,
  });
  async function readFree(id: DataId, dtype: DType, n: number): Promise<TypedArray> {
    const v = await b.read(id, dtype, n);
    b.free(id);
    return v;
  }

  it('float32 → int32 copies truncate toward zero with ToInt32 wrapping, as the CPU does', async () => {
    const values = [
      1.7,
      -1.7,
      0.5,
      -0.5,
      Number.NaN,
      Infinity,
      -Infinity,
      3e9,
      -3e9,
      2147483520,
      -2147483648,
      1e20,
    ];
    const x = b.upload(Float32Array.from(values), 'float32');
    const got = await readFree(
      b.copy(view(x, [values.length]), {
        shape: [values.length],
        inDtype: 'float32',
        outDtype: 'int32',
      }),
      'int32',
      values.length,
    );
    expect(Array.from(got)).toEqual(Array.from(Int32Array.from(Float32Array.from(values))));
    b.free(x);
  });

  it('casts to bool are x ≠ 0 (NaN is true), from bool are 0/1, int32 → float32 rounds', async () => {
    const f = b.upload(Float32Array.from([0, -0, 0.1, Number.NaN, -3]), 'float32');
    expect(
      Array.from(
        await readFree(
          b.copy(view(f, [5]), { shape: [5], inDtype: 'float32', outDtype: 'bool' }),
          'bool',
          5,
        ),
      ),
    ).toEqual([0, 0, 1, 1, 1]);
    const i = b.upload(Int32Array.from([0, 5, -1, 16777217, 2147483647]), 'int32');
    expect(
      Array.from(
        await readFree(
          b.copy(view(i, [5]), { shape: [5], inDtype: 'int32', outDtype: 'bool' }),
          'bool',
          5,
        ),
      ),
    ).toEqual([0, 1, 1, 1, 1]);
    expect(
      Array.from(
        await readFree(
          b.copy(view(i, [5]), { shape: [5], inDtype: 'int32', outDtype: 'float32' }),
          'float32',
          5,
        ),
      ),
    ).toEqual(Array.from(Float32Array.from([0, 5, -1, 16777217, 2147483647])));
    const m = b.upload(Uint8Array.from([1, 0, 1]), 'bool');
    expect(
      Array.from(
        await readFree(
          b.copy(view(m, [3]), { shape: [3], inDtype: 'bool', outDtype: 'int32' }),
          'int32',
          3,
        ),
      ),
    ).toEqual([1, 0, 1]);
    expect(
      Array.from(
        await readFree(
          b.copy(view(m, [3]), { shape: [3], inDtype: 'bool', outDtype: 'float32' }),
          'float32',
          3,
        ),
      ),
    ).toEqual([1, 0, 1]);
    for (const id of [f, i, m]) b.free(id);
  });

  it('int32 pow is ToInt32(a ** b), negative exponents included; int32 products wrap', async () => {
    const as = [2, -3, 1, -1, -1, 0, 5, 7, 0, 2];
    const bs = [10, 3, -4, -3, -2, -1, -1, 0, 0, 31];
    const a = b.upload(Int32Array.from(as), 'int32');
    const e = b.upload(Int32Array.from(bs), 'int32');
    const n = as.length;
    const got = await readFree(
      b.binary('pow', view(a, [n]), view(e, [n]), {
        shape: [n],
        inDtype: 'int32',
        outDtype: 'int32',
      }),
      'int32',
      n,
    );
    expect(Array.from(got)).toEqual(
      Array.from(Int32Array.from(as.map((v, k) => BINARY_SCALAR.pow(v, bs[k])))),
    );
    const big = b.upload(Int32Array.from([65536, 2147483647]), 'int32');
    const sq = await readFree(
      b.binary('mul', view(big, [2]), view(big, [2]), {
        shape: [2],
        inDtype: 'int32',
        outDtype: 'int32',
      }),
      'int32',
      2,
    );
    expect(Array.from(sq)).toEqual([Math.imul(65536, 65536), Math.imul(2147483647, 2147483647)]);
    for (const id of [a, e, big]) b.free(id);
  });

  it('reads through negative strides and offsets (a reversed, strided view)', async () => {
    const host = Float32Array.from({ length: 12 }, (_, k) => k - 5.5);
    const x = b.upload(host, 'float32');
    // Rows reversed, every other column: [3, 2] at offset 8 with strides [-4, 2].
    const v: StridedView = { id: x, strides: [-4, 2], offset: 8 };
    const got = await readFree(
      b.unary('neg', v, { shape: [3, 2], inDtype: 'float32', outDtype: 'float32' }),
      'float32',
      6,
    );
    const want = [8, 10, 4, 6, 0, 2].map((k) => -host[k]);
    expect(Array.from(got)).toEqual(want);
    b.free(x);
  });

  it('broadcasts over rank 7 with size-1 and stride-0 dims', async () => {
    const shape = [2, 1, 3, 2, 1, 2, 3];
    const n = shape.reduce((p, q) => p * q, 1);
    const aHost = Float32Array.from({ length: n }, (_, k) => Math.fround(Math.sin(k)));
    const bHost = Float32Array.from({ length: 6 }, (_, k) => k + 0.25);
    const a = b.upload(aHost, 'float32');
    const c = b.upload(bHost, 'float32');
    // b is [2, 3] broadcast along dims 5 and 6.
    const bv: StridedView = { id: c, strides: [0, 0, 0, 0, 0, 3, 1], offset: 0 };
    const got = await readFree(
      b.binary('sub', view(a, shape), bv, { shape, inDtype: 'float32', outDtype: 'float32' }),
      'float32',
      n,
    );
    const want = Array.from(aHost, (v, k) => Math.fround(v - bHost[k % 6]));
    expect(Array.from(got)).toEqual(want);
    const cmp = await readFree(
      b.binary('gt', view(a, shape), bv, { shape, inDtype: 'float32', outDtype: 'bool' }),
      'bool',
      n,
    );
    expect(Array.from(cmp)).toEqual(Array.from(aHost, (v, k) => (v > bHost[k % 6] ? 1 : 0)));
    b.free(a);
    b.free(c);
  });

  it('where selects per element with broadcast operands of every dtype', async () => {
    const cond = b.upload(Uint8Array.from([1, 0, 0, 1, 1, 0]), 'bool');
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      const a = b.upload(Int32Array.from([1, 2, 3]), dtype);
      const z = b.upload(Int32Array.from([0]), dtype);
      const got = await readFree(
        b.where(
          view(cond, [2, 3]),
          { id: a, strides: [0, 1], offset: 0 },
          { id: z, strides: [0, 0], offset: 0 },
          { shape: [2, 3], dtype },
        ),
        dtype,
        6,
      );
      const one = dtype === 'bool' ? [1, 1, 1] : [1, 2, 3];
      expect(Array.from(got), dtype).toEqual([one[0], 0, 0, one[0], one[1], 0]);
      b.free(a);
      b.free(z);
    }
    b.free(cond);
  });

  it('copyInto writes a strided region and leaves the rest', async () => {
    const dst = b.fill(20, 'float32', -1);
    const src = b.upload(Float32Array.from([1, 2, 3, 4, 5, 6]), 'float32');
    // dst is [4, 5]; write src^T ([2,3] read transposed as [3,2]) into rows 1..3, columns 2..3.
    b.copyInto(
      { id: dst, strides: [5, 1], offset: 7 },
      { id: src, strides: [1, 3], offset: 0 },
      { shape: [3, 2], dtype: 'float32' },
    );
    const got = Array.from(await readFree(dst, 'float32', 20));
    const want = new Array(20).fill(-1);
    [
      [1, 4],
      [2, 5],
      [3, 6],
    ].forEach(([p, q], r) => {
      want[7 + r * 5] = p;
      want[8 + r * 5] = q;
    });
    expect(got).toEqual(want);
    b.free(src);
  });

  it('unary ops agree with the float64 table over a wide sweep (no extra NaN/∞)', async () => {
    const xs = Float32Array.from({ length: 4001 }, (_, k) => (k - 2000) / 100);
    const x = b.upload(xs, 'float32');
    // |got − want| ≤ atol + rtol·|want|; sin and cos are the GPU's own, accurate to ~1e-6.
    const atolOf: Record<string, number> = { sin: 2e-6, cos: 2e-6 };
    const rtol = 2e-5;
    for (const op of Object.keys(UNARY_SCALAR) as (keyof typeof UNARY_SCALAR)[]) {
      if (op === 'logicalNot') continue;
      const got = await readFree(
        b.unary(op, view(x, [xs.length]), {
          shape: [xs.length],
          inDtype: 'float32',
          outDtype: 'float32',
          param: 0.2,
        }),
        'float32',
        xs.length,
      );
      const atol = atolOf[op] ?? 1e-7;
      let worst = 0;
      let at = 0;
      for (let k = 0; k < xs.length; k++) {
        const want = Math.fround(UNARY_SCALAR[op](xs[k], 0.2));
        if (!Number.isFinite(want) || Number.isNaN(want)) {
          expect(
            Object.is(got[k], want) || (Number.isNaN(want) && Number.isNaN(got[k])),
            `${op}(${xs[k]})`,
          ).toBe(true);
          continue;
        }
        const ratio = Math.abs(got[k] - want) / (atol + rtol * Math.abs(want));
        if (ratio > worst) [worst, at] = [ratio, xs[k]];
      }
      expect(worst, `${op}: error / tolerance at x = ${at}`).toBeLessThanOrEqual(1);
    }
    b.free(x);
  });
});
