/**
 * Reductions over every kind of axis set, arg-reductions with ties, integer
 * reductions, softmax/logSoftmax (stability included), and their gradients.
 */
import { expect } from 'vitest';
import {
  type DType,
  type Tensor,
  argmax,
  argmin,
  logSoftmax,
  logSumExp,
  max,
  mean,
  min,
  prod,
  softmax,
  std,
  sum,
  variance,
} from '../index.js';
import { TOL, type Tol, T, check, choice, distinct, expectClose, expectGrad, integers, run1, uniform } from './harness.js';
import { REDUCERS, type Reducer, type HostArray, map1, permuteRef, reduceRef } from './reference.js';
import { softmaxRef } from './reference-nn.js';

type Axes = number | number[] | undefined;

interface ReduceCase {
  readonly name: string;
  readonly fn: (x: Tensor, axes: Axes, keepDims: boolean) => Tensor;
  readonly ref: Reducer;
  readonly lo: number;
  readonly hi: number;
  readonly tol: Tol;
  /** Needs distinct values for a well-defined gradient (max/min). */
  readonly distinct?: boolean;
}

export const REDUCE_CASES: readonly ReduceCase[] = [
  { name: 'sum', fn: (x, a, k) => sum(x, a, { keepDims: k }), ref: REDUCERS.sum, lo: -2, hi: 2, tol: TOL.sums },
  { name: 'mean', fn: (x, a, k) => mean(x, a, { keepDims: k }), ref: REDUCERS.mean, lo: -2, hi: 2, tol: TOL.sums },
  { name: 'prod', fn: (x, a, k) => prod(x, a, { keepDims: k }), ref: REDUCERS.prod, lo: 0.6, hi: 1.4, tol: TOL.sums },
  { name: 'max', fn: (x, a, k) => max(x, a, { keepDims: k }), ref: REDUCERS.max, lo: -2, hi: 2, tol: TOL.exact, distinct: true },
  { name: 'min', fn: (x, a, k) => min(x, a, { keepDims: k }), ref: REDUCERS.min, lo: -2, hi: 2, tol: TOL.exact, distinct: true },
  { name: 'variance (correction 1)', fn: (x, a, k) => variance(x, a, { keepDims: k }), ref: REDUCERS.variance(1), lo: -2, hi: 2, tol: TOL.sums },
  { name: 'variance (correction 0)', fn: (x, a, k) => variance(x, a, { keepDims: k, correction: 0 }), ref: REDUCERS.variance(0), lo: -2, hi: 2, tol: TOL.sums },
  { name: 'std (correction 1)', fn: (x, a, k) => std(x, a, { keepDims: k }), ref: REDUCERS.std(1), lo: -2, hi: 2, tol: TOL.sums },
  { name: 'std (correction 0)', fn: (x, a, k) => std(x, a, { keepDims: k, correction: 0 }), ref: REDUCERS.std(0), lo: -2, hi: 2, tol: TOL.sums },
  { name: 'logSumExp', fn: (x, a, k) => logSumExp(x, a, { keepDims: k }), ref: REDUCERS.logSumExp, lo: -3, hi: 3, tol: TOL.sums },
];

/** Axis sets on a [2,3,4] input: all, single (negative too), adjacent, non-adjacent, unordered. */
export const AXES: readonly { axes: Axes; keepDims: boolean }[] = [
  { axes: undefined, keepDims: false },
  { axes: undefined, keepDims: true },
  { axes: 0, keepDims: false },
  { axes: 1, keepDims: true },
  { axes: -1, keepDims: false },
  { axes: -2, keepDims: true },
  { axes: [0, 2], keepDims: false },
  { axes: [0, 2], keepDims: true },
  { axes: [2, 0], keepDims: false },
  { axes: [1, 2], keepDims: true },
  { axes: [-1, -3], keepDims: true },
  { axes: [0, 1, 2], keepDims: false },
];

const desc = (a: Axes, k: boolean) => `axes ${JSON.stringify(a) ?? 'all'} keepDims ${k}`;

function input(c: ReduceCase, shape: readonly number[], seed: string): HostArray {
  return c.distinct ? distinct(shape, seed) : uniform(shape, c.lo, c.hi, seed);
}

export function registerReduce(): void {
  for (const c of REDUCE_CASES) {
    check(`${c.name}: forward over every axis set, keepDims true/false`, async () => {
      const x = input(c, [2, 3, 4], `reduce ${c.name}`);
      for (const { axes, keepDims } of AXES) {
        const got = await run1(() => c.fn(T(x), axes, keepDims));
        expectClose(got, reduceRef(x, axes, keepDims, c.ref), c.tol, `${c.name} ${desc(axes, keepDims)}`, 'float32');
      }
      // A non-contiguous (permuted) input takes the copy path of the core.
      const xp = permuteRef(x, [2, 0, 1]);
      for (const axes of [1, [0, 2], undefined] as Axes[]) {
        const got = await run1(() => c.fn(T(x).permute([2, 0, 1]), axes, false));
        expectClose(got, reduceRef(xp, axes, false, c.ref), c.tol, `${c.name} of a permuted view, ${desc(axes, false)}`);
      }
    });
  }

  check('argmax/argmin: int32 indices of the first extreme (ties), every axis, keepDims', async () => {
    const x = choice([3, 4, 5], [-1, 0, 1, 2], 'argmax ties');
    for (const [name, fn, ref] of [
      ['argmax', argmax, REDUCERS.argmax],
      ['argmin', argmin, REDUCERS.argmin],
    ] as const) {
      for (const axis of [undefined, 0, 1, 2, -1, -3]) {
        for (const keepDims of [false, true]) {
          if (axis === undefined && keepDims) continue;
          const want = reduceRef(x, axis, keepDims, ref);
          const got = await run1(() => fn(T(x), axis, { keepDims }));
          expectClose(got, want, TOL.exact, `${name} axis ${axis} keepDims ${keepDims}`, 'int32');
        }
      }
      const got = await run1(() => fn(T(x).permute([1, 2, 0]), 1));
      expectClose(got, reduceRef(permuteRef(x, [1, 2, 0]), 1, false, ref), TOL.exact, `${name} of a permuted view`, 'int32');
      const gi = await run1(() => fn(T(x, 'int32'), 2));
      expectClose(gi, reduceRef(x, 2, false, ref), TOL.exact, `${name} of int32`, 'int32');
    }
  });

  check('integer reductions: sum/prod/max/min keep int32, bool sums to int32, mean is float32', async () => {
    const x = integers([2, 3, 4], -3, 4, 'int reduce');
    const b = choice([2, 3, 4], [0, 1], 'bool reduce');
    const cases: [string, () => Tensor, HostArray, DType][] = [
      ['sum int32', () => sum(T(x, 'int32'), 1), reduceRef(x, 1, false, REDUCERS.sum), 'int32'],
      ['sum int32 all', () => sum(T(x, 'int32')), reduceRef(x, undefined, false, REDUCERS.sum), 'int32'],
      ['prod int32', () => prod(T(x, 'int32'), [0, 2]), reduceRef(x, [0, 2], false, REDUCERS.prod), 'int32'],
      ['max int32', () => max(T(x, 'int32'), -1), reduceRef(x, -1, false, REDUCERS.max), 'int32'],
      ['min int32', () => min(T(x, 'int32'), 0, { keepDims: true }), reduceRef(x, 0, true, REDUCERS.min), 'int32'],
      ['sum bool', () => sum(T(b, 'bool'), [1, 2]), reduceRef(b, [1, 2], false, REDUCERS.sum), 'int32'],
      ['mean int32', () => mean(T(x, 'int32'), 2), reduceRef(x, 2, false, REDUCERS.mean), 'float32'],
    ];
    for (const [label, fn, want, dtype] of cases) {
      expectClose(await run1(fn), want, dtype === 'float32' ? TOL.tight : TOL.exact, label, dtype);
    }
  });

  check('logSumExp is stable for large inputs', async () => {
    const x = map1(uniform([3, 4], -3, 3, 'lse large'), (v) => v + 1000);
    expectClose(await run1(() => logSumExp(T(x), 1)), reduceRef(x, 1, false, REDUCERS.logSumExp), TOL.sums, 'logSumExp(x + 1000)');
  });

  for (const c of REDUCE_CASES) {
    check(`${c.name}: gradient (all axes, one axis, non-adjacent axes)`, async () => {
      const configs: { axes: Axes; keepDims: boolean }[] = [
        { axes: undefined, keepDims: false },
        { axes: 1, keepDims: false },
        { axes: [0, 2], keepDims: true },
        { axes: -1, keepDims: true },
      ];
      for (const { axes, keepDims } of configs) {
        const x = input(c, [2, 3, 4], `g reduce ${c.name} ${desc(axes, keepDims)}`);
        await expectGrad(`${c.name} ${desc(axes, keepDims)}`, (t) => c.fn(t, axes, keepDims), [x]);
      }
      const xp = input(c, [3, 2, 2], `g reduce ${c.name} permuted`);
      await expectGrad(`${c.name} of a permuted view`, (t) => c.fn(t.permute([2, 0, 1]), [0, 2], false), [xp]);
    });
  }

  registerSoftmax();
}

function registerSoftmax(): void {
  const kinds = [
    { name: 'softmax', fn: softmax, log: false },
    { name: 'logSoftmax', fn: logSoftmax, log: true },
  ] as const;
  for (const k of kinds) {
    check(`${k.name}: forward on several axes, rank 1 and 0`, async () => {
      const x = uniform([2, 3, 4], -3, 3, `${k.name} fwd`);
      for (const axis of [-1, 0, 1, 2, -2]) {
        expectClose(await run1(() => k.fn(T(x), axis)), softmaxRef(x, axis, k.log), TOL.transcendental, `${k.name} axis ${axis}`, 'float32');
      }
      expectClose(await run1(() => k.fn(T(x))), softmaxRef(x, -1, k.log), TOL.transcendental, `${k.name} default axis`);
      const v = uniform([7], -3, 3, `${k.name} rank1`);
      expectClose(await run1(() => k.fn(T(v), 0)), softmaxRef(v, 0, k.log), TOL.transcendental, `${k.name} rank 1`);
      const s = uniform([], -3, 3, `${k.name} rank0`);
      expectClose(await run1(() => k.fn(T(s))), softmaxRef(s, 0, k.log), TOL.transcendental, `${k.name} rank 0`);
      const xp = permuteRef(x, [1, 2, 0]);
      expectClose(await run1(() => k.fn(T(x).permute([1, 2, 0]), 1)), softmaxRef(xp, 1, k.log), TOL.transcendental, `${k.name} of a permuted view`);
    });

    check(`${k.name}: stable for large values (1000, ±1000 spreads)`, async () => {
      const big = map1(uniform([3, 5], -3, 3, `${k.name} big`), (v) => v + 1000);
      const spread = { shape: [2, 3], data: Float64Array.from([1000, 0, -1000, -1000, -1000, -1000]) };
      for (const [label, x] of [['x + 1000', big], ['[1000, 0, -1000] rows', spread]] as const) {
        for (const axis of [-1, 0]) {
          const got = await run1(() => k.fn(T(x), axis));
          expect(got.data.every((v) => !Number.isNaN(v)), `${k.name}(${label}) axis ${axis} has NaN`).toBe(true);
          expectClose(got, softmaxRef(x, axis, k.log), TOL.transcendental, `${k.name}(${label}) axis ${axis}`);
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
