import { describe, expect, it } from 'vitest';
import { logSoftmax, softmax } from '../src/kernels/softmax.js';
import { available, ctx, expectClose, randoms, read, upload } from './kernels-util.js';

function refSoftmax(x: ArrayLike<number>, outer: number, n: number, log: boolean): number[] {
  const out: number[] = [];
  for (let r = 0; r < outer; r++) {
    const row = Array.from({ length: n }, (_, j) => x[r * n + j]);
    if (row.some(Number.isNaN)) {
      out.push(...row.map(() => Number.NaN));
      continue;
    }
    const max = Math.max(...row);
    const sum = row.reduce((s, v) => s + Math.exp(v - max), 0);
    out.push(...row.map((v) => (log ? v - max - Math.log(sum) : Math.exp(v - max) / sum)));
  }
  return out;
}

describe.runIf(available)('webgpu softmax', () => {
  for (const log of [false, true]) {
    const name = log ? 'logSoftmax' : 'softmax';
    const fn = log ? logSoftmax : softmax;
    it(`${name} over short and long rows`, async () => {
      for (const [outer, n] of [
        [1, 1],
        [3, 7],
        [5, 32],
        [4, 33],
        [2, 130],
        [3, 1000],
        [1, 5000],
        [70, 65],
      ]) {
        // Scaled up so a naive exp would overflow float32.
        const x = randoms(outer * n, n).map((v) => v * 100);
        expectClose(
          await read(fn(ctx!, upload(x, 'float32'), outer, n)),
          refSoftmax(x, outer, n, log),
          1e-4,
          1e-6,
        );
      }
    });

    it(`${name}: a NaN makes its row NaN, other rows stay finite`, async () => {
      for (const n of [5, 300]) {
        const x = randoms(2 * n, 3);
        x[n + 2] = Number.NaN;
        const got = await read(fn(ctx!, upload(x, 'float32'), 2, n));
        expect(Array.from(got.slice(n)).every(Number.isNaN)).toBe(true);
        expectClose(got.slice(0, n), refSoftmax(x, 1, n, log), 1e-5, 1e-6);
      }
    });
  }

  it('-∞ entries get probability 0', async () => {
    const x = Float32Array.from([0, Number.NEGATIVE_INFINITY, 0, 1]);
    expectClose(
      await read(softmax(ctx!, upload(x, 'float32'), 1, 4)),
      refSoftmax(x, 1, 4, false),
      1e-6,
      1e-7,
    );
    const got = await read(logSoftmax(ctx!, upload(x, 'float32'), 1, 4));
    expect(got[1]).toBe(Number.NEGATIVE_INFINITY);
  });
});
