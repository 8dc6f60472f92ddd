import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/cpu-backend.js';
import { expectClose, randomF32 } from './helpers.js';

/** Float64 reference; exact log-sum-exp via the row max. */
function reference(
  x: ArrayLike<number>,
  outer: number,
  n: number,
): { sm: number[]; lsm: number[] } {
  const sm: number[] = [];
  const lsm: number[] = [];
  for (let r = 0; r < outer; r++) {
    const row = Array.from({ length: n }, (_, j) => x[r * n + j]);
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
    for (const v of row) {
      sm.push(Math.exp(v - lse));
      lsm.push(v - lse);
    }
  }
  return { sm, lsm };
}

describe('softmax / logSoftmax', () => {
  for (const [outer, n] of [
    [1, 1],
    [3, 5],
    [4, 100],
    [1, 1000],
    [0, 5],
    [5, 0],
  ] as const) {
    it(`match the float64 reference over [${outer}, ${n}]`, () => {
      const b = new CpuBackend();
      const hx = randomF32(outer * n, outer + n, -10, 10);
      const x = b.upload(hx, 'float32');
      const { sm, lsm } = reference(hx, outer, n);
      expectClose(
        b.readSync(b.softmax(x, { outer, size: n }), 'float32', outer * n),
        sm,
        1e-6,
        1e-9,
        'softmax',
      );
      expectClose(
        b.readSync(b.logSoftmax(x, { outer, size: n }), 'float32', outer * n),
        lsm,
        1e-6,
        1e-6,
        'logSoftmax',
      );
    });
  }

  it('is stable for large logits (no overflow to Infinity/NaN)', () => {
    const b = new CpuBackend();
    const x = b.upload(new Float32Array([1000, 1001, 1002, -1000, -1001, -1002]), 'float32');
    const { sm, lsm } = reference([1000, 1001, 1002, -1000, -1001, -1002], 2, 3);
    expectClose(
      b.readSync(b.softmax(x, { outer: 2, size: 3 }), 'float32', 6),
      sm,
      1e-6,
      1e-9,
      'softmax',
    );
    expectClose(
      b.readSync(b.logSoftmax(x, { outer: 2, size: 3 }), 'float32', 6),
      lsm,
      1e-6,
      1e-6,
      'logSoftmax',
    );
  });

  it('rows sum to 1 and -∞ logits get probability 0', () => {
    const b = new CpuBackend();
    const x = b.upload(new Float32Array([0, Number.NEGATIVE_INFINITY, 2, 5]), 'float32');
    const got = Array.from(b.readSync(b.softmax(x, { outer: 1, size: 4 }), 'float32', 4));
    expect(got[1]).toBe(0);
    expect(Math.abs(got.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-6);
    expect(b.readSync(b.logSoftmax(x, { outer: 1, size: 4 }), 'float32', 4)[1]).toBe(
      Number.NEGATIVE_INFINITY,
    );
  });

  it('turns a row containing NaN into NaN and leaves other rows alone', () => {
    const b = new CpuBackend();
    const x = b.upload(new Float32Array([1, Number.NaN, 3, 1, 2, 3]), 'float32');
    const got = b.readSync(b.softmax(x, { outer: 2, size: 3 }), 'float32', 6);
    expect(Array.from(got.subarray(0, 3)).every(Number.isNaN)).toBe(true);
    expectClose(got.subarray(3), reference([1, 2, 3], 1, 3).sm, 1e-6, 1e-9);
  });
});
