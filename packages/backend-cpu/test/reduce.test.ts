import type { DType, ReduceOp } from '@nerve/core/backend';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/cpu-backend.js';
import { expectClose, expectSame, randomF32, randomInts, rng } from './helpers.js';

/** Float64 reference for one op over [outer, size, inner], walking each column directly. */
function reference(
  op: ReduceOp,
  x: ArrayLike<number>,
  outer: number,
  size: number,
  inner: number,
): number[] {
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const col: number[] = [];
      for (let j = 0; j < size; j++) col.push(x[(o * size + j) * inner + i]);
      out.push(reduceColumn(op, col));
    }
  }
  return out;
}

function reduceColumn(op: ReduceOp, col: number[]): number {
  switch (op) {
    case 'sum':
      return col.reduce((a, b) => a + b, 0);
    case 'prod':
      return col.reduce((a, b) => a * b, 1);
    case 'max':
      return col.some(Number.isNaN) ? Number.NaN : Math.max(...col);
    case 'min':
      return col.some(Number.isNaN) ? Number.NaN : Math.min(...col);
    case 'argmax':
    case 'argmin': {
      const nan = col.findIndex(Number.isNaN);
      if (nan >= 0) return nan;
      const best = op === 'argmax' ? Math.max(...col) : Math.min(...col);
      return col.indexOf(best);
    }
  }
}

const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 17, 1],
  [4, 7, 1],
  [3, 1, 4],
  [2, 5, 3],
  [1, 9, 33],
  [6, 300, 1],
  [0, 4, 3],
  [3, 4, 0],
];

describe('reduce', () => {
  for (const [outer, size, inner] of SHAPES) {
    it(`sum/prod/max/min/argmax/argmin over float32 [${outer},${size},${inner}]`, () => {
      const b = new CpuBackend();
      const n = outer * size * inner;
      // Values in [0.5, 1.5) keep long products finite; ties come from rounding to 1/8.
      const host = randomF32(n, outer * 100 + size * 10 + inner, 0.5, 1.5).map(
        (v) => Math.round(v * 8) / 8,
      );
      const x = b.upload(host, 'float32');
      for (const op of ['sum', 'prod', 'max', 'min', 'argmax', 'argmin'] as ReduceOp[]) {
        const outDtype: DType = op.startsWith('arg') ? 'int32' : 'float32';
        const got = b.readSync(
          b.reduce(op, x, { dtype: 'float32', outer, size, inner }),
          outDtype,
          outer * inner,
        );
        const want = reference(op, host, outer, size, inner);
        if (op === 'sum' || op === 'prod') expectClose(got, want, 1e-6, 0, op);
        else expectSame(got, outDtype === 'float32' ? want.map(Math.fround) : want, op);
        expect(got).toBeInstanceOf(outDtype === 'int32' ? Int32Array : Float32Array);
      }
    });
  }

  it('sums float32 in float64 (no float32 drift over many terms)', () => {
    const b = new CpuBackend();
    const n = 100_000;
    const host = new Float32Array(n).fill(0.1);
    const got = b.readSync(
      b.reduce('sum', b.upload(host, 'float32'), { dtype: 'float32', outer: 1, size: n, inner: 1 }),
      'float32',
      1,
    );
    expect(got[0]).toBe(Math.fround(Math.fround(0.1) * n));
  });

  it('keeps int32 sums and products integral and exact', () => {
    const b = new CpuBackend();
    const host = randomInts(2 * 50 * 3, 3, -1_000_000, 1_000_000);
    const x = b.upload(host, 'int32');
    const sum = b.readSync(
      b.reduce('sum', x, { dtype: 'int32', outer: 2, size: 50, inner: 3 }),
      'int32',
      6,
    );
    expect(sum).toBeInstanceOf(Int32Array);
    expectSame(sum, reference('sum', host, 2, 50, 3));
    const max = b.readSync(
      b.reduce('max', x, { dtype: 'int32', outer: 2, size: 50, inner: 3 }),
      'int32',
      6,
    );
    expectSame(max, reference('max', host, 2, 50, 3));
    // Products wrap modulo 2^32 like int32 arithmetic: 65536^2 = 2^32 → 0, 3 * 65536^2 + ... stays exact.
    const p = b.upload(new Int32Array([65536, 65536, 3, 7, -5, 11]), 'int32');
    expect(
      Array.from(
        b.readSync(
          b.reduce('prod', p, { dtype: 'int32', outer: 3, size: 2, inner: 1 }),
          'int32',
          3,
        ),
      ),
    ).toEqual([0, 21, -55]);
  });

  it('propagates NaN through max/min and argmax/argmin return the first NaN', () => {
    const b = new CpuBackend();
    const nan = Number.NaN;
    // Two rows along inner=1 and the same data with inner=2 (interleaved columns).
    const rows = [
      [1, nan, 5, nan],
      [3, 9, 9, 2],
    ];
    const x = b.upload(Float32Array.from(rows.flat()), 'float32');
    const r = (op: ReduceOp, dtype: DType) =>
      Array.from(
        b.readSync(b.reduce(op, x, { dtype: 'float32', outer: 2, size: 4, inner: 1 }), dtype, 2),
      );
    expect(r('max', 'float32')).toEqual([nan, 9]);
    expect(r('min', 'float32')).toEqual([nan, 2]);
    expect(r('argmax', 'int32')).toEqual([1, 1]);
    expect(r('argmin', 'int32')).toEqual([1, 3]);
    const cols = b.upload(Float32Array.from([1, 3, nan, 9, 5, 9, nan, 2]), 'float32');
    const c = (op: ReduceOp, dtype: DType) =>
      Array.from(
        b.readSync(b.reduce(op, cols, { dtype: 'float32', outer: 1, size: 4, inner: 2 }), dtype, 2),
      );
    expect(c('max', 'float32')).toEqual([nan, 9]);
    expect(c('argmax', 'int32')).toEqual([1, 1]);
    expect(c('argmin', 'int32')).toEqual([1, 3]);
  });

  it('handles infinities and signed zeros like the reference', () => {
    const b = new CpuBackend();
    const r = rng(5);
    const pool = [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, 0, -0, 1, -1];
    const host = Float32Array.from(
      { length: 5 * 6 * 2 },
      () => pool[Math.floor(r() * pool.length)],
    );
    const x = b.upload(host, 'float32');
    for (const op of ['max', 'min', 'argmax', 'argmin'] as ReduceOp[]) {
      const dtype: DType = op.startsWith('arg') ? 'int32' : 'float32';
      const got = b.readSync(
        b.reduce(op, x, { dtype: 'float32', outer: 5, size: 6, inner: 2 }),
        dtype,
        10,
      );
      const want = reference(op, host, 5, 6, 2);
      // Math.max(-0, 0) is 0 while the first-wins kernel may keep -0; compare by value.
      expect(Array.from(got).map((v) => v + 0)).toEqual(want.map((v) => v + 0));
    }
  });

  it('reduces a size-0 axis: sum → 0, prod → 1, others throw naming the op', () => {
    const b = new CpuBackend();
    const x = b.upload(new Float32Array(0), 'float32');
    expect(
      Array.from(
        b.readSync(
          b.reduce('sum', x, { dtype: 'float32', outer: 2, size: 0, inner: 3 }),
          'float32',
          6,
        ),
      ),
    ).toEqual([0, 0, 0, 0, 0, 0]);
    expect(
      Array.from(
        b.readSync(
          b.reduce('prod', x, { dtype: 'float32', outer: 2, size: 0, inner: 3 }),
          'float32',
          6,
        ),
      ),
    ).toEqual([1, 1, 1, 1, 1, 1]);
    const xi = b.upload(new Int32Array(0), 'int32');
    expect(
      Array.from(
        b.readSync(
          b.reduce('sum', xi, { dtype: 'int32', outer: 1, size: 0, inner: 2 }),
          'int32',
          2,
        ),
      ),
    ).toEqual([0, 0]);
    for (const op of ['max', 'min', 'argmax', 'argmin'] as ReduceOp[]) {
      expect(() => b.reduce(op, x, { dtype: 'float32', outer: 2, size: 0, inner: 3 })).toThrow(op);
      // An empty output has nothing to reduce, so it is not an error.
      expect(
        b.readSync(b.reduce(op, x, { dtype: 'float32', outer: 0, size: 0, inner: 3 }), 'float32', 0)
          .length,
      ).toBe(0);
    }
  });
});
