/**
 * softmax and logSoftmax: several axes, rank 0 and 1, permuted inputs, large
 * values and −∞ entries (stability), and gradients.
 */
import { expect } from 'vitest';
import { logSoftmax, softmax } from '../index.js';
import { TOL, T, check, expectClose, expectGrad, run1, uniform } from './harness.js';
import { map1, permuteRef } from './reference.js';
import { softmaxRef } from './reference-nn.js';

export function registerSoftmax(): void {
  const kinds = [
    { name: 'softmax', fn: softmax, log: false },
    { name: 'logSoftmax', fn: logSoftmax, log: true },
  ] as const;
  for (const k of kinds) {
    check(`${k.name}: forward on several axes, rank 1 and 0`, async () => {
      const x = uniform([2, 3, 4], -3, 3, `${k.name} fwd`);
      for (const axis of [-1, 0, 1, 2, -2]) {
        expectClose(
          await run1(() => k.fn(T(x), axis)),
          softmaxRef(x, axis, k.log),
          TOL.transcendental,
          `${k.name} axis ${axis}`,
          'float32',
        );
      }
      expectClose(
        await run1(() => k.fn(T(x))),
        softmaxRef(x, -1, k.log),
        TOL.transcendental,
        `${k.name} default axis`,
      );
      const v = uniform([7], -3, 3, `${k.name} rank1`);
      expectClose(
        await run1(() => k.fn(T(v), 0)),
        softmaxRef(v, 0, k.log),
        TOL.transcendental,
        `${k.name} rank 1`,
      );
      const s = uniform([], -3, 3, `${k.name} rank0`);
      expectClose(
        await run1(() => k.fn(T(s))),
        softmaxRef(s, 0, k.log),
        TOL.transcendental,
        `${k.name} rank 0`,
      );
      const xp = permuteRef(x, [1, 2, 0]);
      expectClose(
        await run1(() => k.fn(T(x).permute([1, 2, 0]), 1)),
        softmaxRef(xp, 1, k.log),
        TOL.transcendental,
        `${k.name} of a permuted view`,
      );
    });

    check(`${k.name}: stable for large values (1000, ±1000 spreads) and −∞ entries`, async () => {
      const big = map1(uniform([3, 5], -3, 3, `${k.name} big`), (v) => v + 1000);
      const spread = {
        shape: [2, 3],
        data: Float64Array.from([1000, 0, -1000, -1000, -1000, -1000]),
      };
      // −∞ entries (masks) get probability 0 and log-probability −∞.
      const masked = {
        shape: [2, 3],
        data: Float64Array.from([0, Number.NEGATIVE_INFINITY, 1, -5, 2, Number.NEGATIVE_INFINITY]),
      };
      for (const [label, x] of [
        ['x + 1000', big],
        ['[1000, 0, -1000] rows', spread],
        ['rows with −∞', masked],
      ] as const) {
        for (const axis of [-1, 0]) {
          const got = await run1(() => k.fn(T(x), axis));
          expect(
            got.data.every((v) => !Number.isNaN(v)),
            `${k.name}(${label}) axis ${axis} has NaN`,
          ).toBe(true);
          expectClose(
            got,
            softmaxRef(x, axis, k.log),
            TOL.transcendental,
            `${k.name}(${label}) axis ${axis}`,
          );
        }
      }
    });

    check(`${k.name}: gradient on the last and a middle axis`, async () => {
      for (const axis of [-1, 1, 0]) {
        const x = uniform([2, 3, 4], -2, 2, `g ${k.name} ${axis}`);
        await expectGrad(`${k.name} axis ${axis}`, (t) => k.fn(t, axis), [x]);
      }
    });
  }
}
