import { describe, expect, it } from 'vitest';
import { gather, scatterAdd } from '../src/kernels/gather.js';
import { available, ctx, expectClose, randomInts, randoms, read, upload } from './kernels-util.js';

interface View {
  idx: Int32Array;
  strides: [number, number, number];
  offset: number;
}

const at = (v: View, o: number, j: number, i: number) =>
  v.idx[v.offset + o * v.strides[0] + j * v.strides[1] + i * v.strides[2]];

function refGather(
  x: ArrayLike<number>,
  v: View,
  outer: number,
  n: number,
  m: number,
  inner: number,
) {
  const out: number[] = [];
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < m; j++)
      for (let i = 0; i < inner; i++) out.push(x[(o * n + at(v, o, j, i)) * inner + i]);
  return out;
}

function refScatter(
  src: ArrayLike<number>,
  v: View,
  outer: number,
  m: number,
  n: number,
  inner: number,
) {
  const out = new Float64Array(outer * n * inner);
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < m; j++)
      for (let i = 0; i < inner; i++) {
        const k = at(v, o, j, i);
        if (k >= 0 && k < n) out[(o * n + k) * inner + i] += src[(o * m + j) * inner + i];
      }
  return out;
}

/** A contiguous index view, plus variants read through a transpose and a broadcast. */
function views(outer: number, m: number, inner: number, n: number, seed: number): View[] {
  const c = randomInts(outer * m * inner, n, seed);
  // The same logical [outer, m, inner] stored as [outer, inner, m].
  const t = new Int32Array(c.length);
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < m; j++)
      for (let i = 0; i < inner; i++) t[(o * inner + i) * m + j] = c[(o * m + j) * inner + i];
  // One [m] row broadcast over outer and inner, behind an offset of 3.
  const b = Int32Array.from([9, 9, 9, ...randomInts(m, n, seed + 1)]);
  return [
    { idx: c, strides: [m * inner, inner, 1], offset: 0 },
    { idx: t, strides: [m * inner, 1, m], offset: 0 },
    { idx: b, strides: [0, 1, 0], offset: 3 },
  ];
}

const SHAPES: [number, number, number, number][] = [
  // outer, n, m, inner
  [1, 1, 1, 1],
  [2, 7, 5, 3],
  [3, 33, 65, 1],
  [1, 130, 7, 33],
  [2, 5, 300, 2],
];

describe.runIf(available)('webgpu gather / scatterAdd', () => {
  it('gather float32, int32 and bool through strided index views', async () => {
    for (const [outer, n, m, inner] of SHAPES) {
      for (const v of views(outer, m, inner, n, outer + n)) {
        const iv = { data: upload(v.idx, 'int32'), strides: v.strides, offset: v.offset };
        const xf = randoms(outer * n * inner, 4);
        expectClose(
          await read(
            gather(ctx!, upload(xf, 'float32'), iv, {
              dtype: 'float32',
              outer,
              axisSize: n,
              indexSize: m,
              inner,
            }),
          ),
          refGather(xf, v, outer, n, m, inner),
          0,
          0,
        );
        const xi = randomInts(outer * n * inner, 1000, 5);
        const gi = await read(
          gather(ctx!, upload(xi, 'int32'), iv, {
            dtype: 'int32',
            outer,
            axisSize: n,
            indexSize: m,
            inner,
          }),
        );
        expect(gi).toBeInstanceOf(Int32Array);
        expect(Array.from(gi)).toEqual(refGather(xi, v, outer, n, m, inner));
        const xb = randomInts(outer * n * inner, 2, 6);
        const gb = await read(
          gather(ctx!, upload(xb, 'bool'), iv, {
            dtype: 'bool',
            outer,
            axisSize: n,
            indexSize: m,
            inner,
          }),
        );
        expect(Array.from(gb)).toEqual(refGather(xb, v, outer, n, m, inner));
        ctx!.release(iv.data);
      }
    }
  });

  for (const deterministic of [true, false]) {
    it(`scatterAdd with repeated indices (${deterministic ? 'per-output' : 'atomic'} kernel)`, async () => {
      for (const [outer, n, m, inner] of SHAPES) {
        for (const v of views(outer, m, inner, n, 2 * outer + n)) {
          const iv = { data: upload(v.idx, 'int32'), strides: v.strides, offset: v.offset };
          const src = randoms(outer * m * inner, 8);
          const got = await read(
            scatterAdd(
              ctx!,
              iv,
              upload(src, 'float32'),
              { dtype: 'float32', outer, axisSize: n, indexSize: m, inner },
              deterministic,
            ),
          );
          expectClose(got, refScatter(src, v, outer, m, n, inner), 1e-5, 1e-5);
          const si = randomInts(outer * m * inner, 100, 9);
          const gi = await read(
            scatterAdd(
              ctx!,
              iv,
              upload(si, 'int32'),
              { dtype: 'int32', outer, axisSize: n, indexSize: m, inner },
              deterministic,
            ),
          );
          expect(gi).toBeInstanceOf(Int32Array);
          expect(Array.from(gi)).toEqual(Array.from(refScatter(si, v, outer, m, n, inner)));
          ctx!.release(iv.data);
        }
      }
    });
  }

  it('scatterAdd: every entry onto one index, out-of-range indices skipped', async () => {
    const m = 5000;
    const idx = new Int32Array(m).fill(2);
    idx[10] = -1;
    idx[11] = 3;
    const src = new Float32Array(m).fill(0.5);
    for (const det of [true, false]) {
      const iv = { data: upload(idx, 'int32'), strides: [0, 1, 0], offset: 0 };
      const got = await read(
        scatterAdd(
          ctx!,
          iv,
          upload(src, 'float32'),
          { dtype: 'float32', outer: 1, axisSize: 3, indexSize: m, inner: 1 },
          det,
        ),
      );
      expect(Array.from(got)).toEqual([0, 0, 0.5 * (m - 2)]);
    }
    // The automatic choice for a long index list is the atomic kernel; it must agree.
    const iv = { data: upload(randomInts(200000, 50, 3), 'int32'), strides: [0, 1, 0], offset: 0 };
    const s = randoms(200000, 2);
    const got = await read(
      scatterAdd(ctx!, iv, upload(s, 'float32'), {
        dtype: 'float32',
        outer: 1,
        axisSize: 50,
        indexSize: 200000,
        inner: 1,
      }),
    );
    const v: View = { idx: randomInts(200000, 50, 3), strides: [0, 1, 0], offset: 0 };
    expectClose(got, refScatter(s, v, 1, 200000, 50, 1), 1e-4, 1e-3);
  });

  it('empty sizes', async () => {
    const iv = { data: upload([], 'int32'), strides: [0, 1, 0], offset: 0 };
    expect(
      (
        await read(
          gather(ctx!, upload([1], 'float32'), iv, {
            dtype: 'float32',
            outer: 1,
            axisSize: 1,
            indexSize: 0,
            inner: 1,
          }),
        )
      ).length,
    ).toBe(0);
    const z = await read(
      scatterAdd(ctx!, iv, upload([], 'float32'), {
        dtype: 'float32',
        outer: 2,
        axisSize: 3,
        indexSize: 0,
        inner: 1,
      }),
    );
    expect(Array.from(z)).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
