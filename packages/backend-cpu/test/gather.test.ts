import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/cpu-backend.js';
import { expectClose, expectSame, randomF32, randomInts, readView } from './helpers.js';

describe('gather', () => {
  it('gathers along the middle axis through a strided index view', () => {
    const b = new CpuBackend();
    const [outer, n, m, inner] = [3, 5, 4, 2];
    const hx = randomF32(outer * n * inner, 1);
    // The index is stored transposed ([inner, m, outer]) and read through strides.
    const store = randomInts(outer * m * inner, 2, 0, n);
    const strides = [1, outer, outer * m];
    const idx = readView(store, { strides, offset: 0 }, [outer, m, inner]);
    const want: number[] = [];
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < m; j++)
        for (let i = 0; i < inner; i++)
          want.push(hx[(o * n + idx[(o * m + j) * inner + i]) * inner + i]);
    const id = b.gather(
      b.upload(hx, 'float32'),
      { id: b.upload(store, 'int32'), strides, offset: 0 },
      { dtype: 'float32', outer, axisSize: n, indexSize: m, inner },
    );
    expectSame(b.readSync(id, 'float32', outer * m * inner), want);
  });

  it('supports broadcast index views, repeated indices and int32/bool data', () => {
    const b = new CpuBackend();
    // index [1, 3, 2] broadcast from a single row of 3 (inner stride 0).
    const index = {
      id: b.upload(new Int32Array([9, 2, 2, 0]), 'int32'),
      strides: [0, 1, 0],
      offset: 1,
    };
    const xi = b.upload(new Int32Array([10, 11, 20, 21, 30, 31]), 'int32');
    expect(
      Array.from(
        b.readSync(
          b.gather(xi, index, { dtype: 'int32', outer: 1, axisSize: 3, indexSize: 3, inner: 2 }),
          'int32',
          6,
        ),
      ),
    ).toEqual([30, 31, 30, 31, 10, 11]);
    const xb = b.upload(new Uint8Array([1, 0, 0, 1, 1, 1]), 'bool');
    expect(
      Array.from(
        b.readSync(
          b.gather(xb, index, { dtype: 'bool', outer: 1, axisSize: 3, indexSize: 3, inner: 2 }),
          'bool',
          6,
        ),
      ),
    ).toEqual([1, 1, 1, 1, 1, 0]);
  });

  it('rejects out-of-range indices with the index and valid range in the message', () => {
    const b = new CpuBackend();
    const x = b.upload(new Float32Array(6), 'float32');
    const bad = (v: number) => ({
      id: b.upload(new Int32Array([0, v]), 'int32'),
      strides: [2, 1, 0],
      offset: 0,
    });
    expect(() =>
      b.gather(x, bad(3), { dtype: 'float32', outer: 1, axisSize: 3, indexSize: 2, inner: 1 }),
    ).toThrow(/gather.*3.*\[0, 3\)/);
    expect(() =>
      b.gather(x, bad(-1), { dtype: 'float32', outer: 1, axisSize: 3, indexSize: 2, inner: 1 }),
    ).toThrow(/gather.*-1.*\[0, 3\)/);
  });

  it('returns an empty buffer for empty shapes', () => {
    const b = new CpuBackend();
    const e = b.upload(new Int32Array(0), 'int32');
    const x = b.upload(new Float32Array(6), 'float32');
    expect(
      b.readSync(
        b.gather(
          x,
          { id: e, strides: [0, 1, 1], offset: 0 },
          { dtype: 'float32', outer: 2, axisSize: 3, indexSize: 0, inner: 1 },
        ),
        'float32',
        0,
      ).length,
    ).toBe(0);
  });
});

describe('scatterAdd', () => {
  it('is the adjoint of gather and accumulates repeated indices', () => {
    const b = new CpuBackend();
    const [outer, n, m, inner] = [2, 4, 7, 3];
    // m > n forces repeats.
    const store = randomInts(outer * m * inner, 3, 0, n);
    const hsrc = randomF32(outer * m * inner, 4);
    const want = new Float64Array(outer * n * inner);
    let s = 0;
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < m; j++)
        for (let i = 0; i < inner; i++, s++) want[(o * n + store[s]) * inner + i] += hsrc[s];
    const index = { id: b.upload(store, 'int32'), strides: [m * inner, inner, 1], offset: 0 };
    const got = b.readSync(
      b.scatterAdd(index, b.upload(hsrc, 'float32'), {
        dtype: 'float32',
        outer,
        axisSize: n,
        indexSize: m,
        inner,
      }),
      'float32',
      want.length,
    );
    expectClose(got, want, 1e-6, 1e-7);
    // Adjoint identity: <gather(x), src> = <x, scatterAdd(src)>.
    const hx = randomF32(outer * n * inner, 5);
    const g = Array.from(
      b.readSync(
        b.gather(b.upload(hx, 'float32'), index, {
          dtype: 'float32',
          outer,
          axisSize: n,
          indexSize: m,
          inner,
        }),
        'float32',
        hsrc.length,
      ),
    );
    const lhs = g.reduce((acc, v, i) => acc + v * hsrc[i], 0);
    const rhs = hx.reduce((acc, v, i) => acc + v * got[i], 0);
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-5);
  });

  it('sums many repeats in float64 and keeps int32 exact', () => {
    const b = new CpuBackend();
    const m = 10_000;
    const index = { id: b.upload(new Int32Array(1), 'int32'), strides: [0, 0, 0], offset: 0 };
    const src = b.upload(new Float32Array(m).fill(0.1), 'float32');
    const got = b.readSync(
      b.scatterAdd(index, src, { dtype: 'float32', outer: 1, axisSize: 2, indexSize: m, inner: 1 }),
      'float32',
      2,
    );
    expect(got[0]).toBe(Math.fround(Math.fround(0.1) * m));
    expect(got[1]).toBe(0);
    const srcI = b.upload(new Int32Array([5, -7, 1 << 20]), 'int32');
    const idxI = {
      id: b.upload(new Int32Array([1, 1, 0]), 'int32'),
      strides: [3, 1, 1],
      offset: 0,
    };
    expect(
      Array.from(
        b.readSync(
          b.scatterAdd(idxI, srcI, {
            dtype: 'int32',
            outer: 1,
            axisSize: 2,
            indexSize: 3,
            inner: 1,
          }),
          'int32',
          2,
        ),
      ),
    ).toEqual([1 << 20, -2]);
  });

  it('rejects out-of-range indices naming scatterAdd', () => {
    const b = new CpuBackend();
    const index = { id: b.upload(new Int32Array([4]), 'int32'), strides: [1, 1, 1], offset: 0 };
    expect(() =>
      b.scatterAdd(index, b.upload(new Float32Array(1), 'float32'), {
        dtype: 'float32',
        outer: 1,
        axisSize: 4,
        indexSize: 1,
        inner: 1,
      }),
    ).toThrow(/scatterAdd.*4.*\[0, 4\)/);
  });

  it('returns zeros when there is nothing to scatter', () => {
    const b = new CpuBackend();
    const e = b.upload(new Int32Array(0), 'int32');
    const got = b.scatterAdd(
      { id: e, strides: [0, 1, 1], offset: 0 },
      b.upload(new Float32Array(0), 'float32'),
      { dtype: 'float32', outer: 2, axisSize: 3, indexSize: 0, inner: 1 },
    );
    expect(Array.from(b.readSync(got, 'float32', 6))).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
