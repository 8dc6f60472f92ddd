import {
  type DType,
  type Tensor,
  argmax,
  argmin,
  logSumExp,
  max,
  mean,
  min,
  prod,
  std,
  sum,
  variance,
} from '../index.js';
import {
  TOL,
  type Tol,
  T,
  check,
  choice,
  distinct,
  expectClose,
  expectGrad,
  integers,
  run1,
  uniform,
} from './harness.js';
import {
  REDUCERS,
  type Reducer,
  type HostArray,
  map1,
  permuteRef,
  reduceRef,
} from './reference.js';

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

/** A row: name, the op with its options, the float64 reducer, the input range and tolerance. */
const rc = (
  name: string,
  fn: ReduceCase['fn'],
  ref: Reducer,
  lo: number,
  hi: number,
  tol: Tol,
): ReduceCase => ({ name, fn, ref, lo, hi, tol, distinct: name === 'max' || name === 'min' });
const S = TOL.sums;

export const REDUCE_CASES: readonly ReduceCase[] = [
  rc('sum', (x, a, k) => sum(x, a, { keepDims: k }), REDUCERS.sum, -2, 2, S),
  rc('mean', (x, a, k) => mean(x, a, { keepDims: k }), REDUCERS.mean, -2, 2, S),
  rc('prod', (x, a, k) => prod(x, a, { keepDims: k }), REDUCERS.prod, 0.6, 1.4, S),
  rc('max', (x, a, k) => max(x, a, { keepDims: k }), REDUCERS.max, -2, 2, TOL.exact),
  rc('min', (x, a, k) => min(x, a, { keepDims: k }), REDUCERS.min, -2, 2, TOL.exact),
  rc(
    'variance (correction 1)',
    (x, a, k) => variance(x, a, { keepDims: k }),
    REDUCERS.variance(1),
    -2,
    2,
    S,
  ),
  rc(
    'variance (correction 0)',
    (x, a, k) => variance(x, a, { keepDims: k, correction: 0 }),
    REDUCERS.variance(0),
    -2,
    2,
    S,
  ),
  rc('std (correction 1)', (x, a, k) => std(x, a, { keepDims: k }), REDUCERS.std(1), -2, 2, S),
  rc(
    'std (correction 0)',
    (x, a, k) => std(x, a, { keepDims: k, correction: 0 }),
    REDUCERS.std(0),
    -2,
    2,
    S,
  ),
  rc('logSumExp', (x, a, k) => logSumExp(x, a, { keepDims: k }), REDUCERS.logSumExp, -3, 3, S),
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
        expectClose(
          got,
          reduceRef(x, axes, keepDims, c.ref),
          c.tol,
          `${c.name} ${desc(axes, keepDims)}`,
          'float32',
        );
      }
      // A non-contiguous (permuted) input takes the copy path of the core.
      const xp = permuteRef(x, [2, 0, 1]);
      for (const axes of [1, [0, 2], undefined] as Axes[]) {
        const got = await run1(() => c.fn(T(x).permute([2, 0, 1]), axes, false));
        expectClose(
          got,
          reduceRef(xp, axes, false, c.ref),
          c.tol,
          `${c.name} of a permuted view, ${desc(axes, false)}`,
        );
      }
    });
  }

  check(
    'argmax/argmin: int32 indices of the first extreme (ties), every axis, keepDims',
    async () => {
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
        expectClose(
          got,
          reduceRef(permuteRef(x, [1, 2, 0]), 1, false, ref),
          TOL.exact,
          `${name} of a permuted view`,
          'int32',
        );
        const gi = await run1(() => fn(T(x, 'int32'), 2));
        expectClose(gi, reduceRef(x, 2, false, ref), TOL.exact, `${name} of int32`, 'int32');
      }
    },
  );

  check(
    'integer reductions: sum/prod/max/min keep int32, bool sums to int32, mean is float32',
    async () => {
      const x = integers([2, 3, 4], -3, 4, 'int reduce');
      const b = choice([2, 3, 4], [0, 1], 'bool reduce');
      const cases: [string, () => Tensor, HostArray, DType][] = [
        ['sum int32', () => sum(T(x, 'int32'), 1), reduceRef(x, 1, false, REDUCERS.sum), 'int32'],
        [
          'sum int32 all',
          () => sum(T(x, 'int32')),
          reduceRef(x, undefined, false, REDUCERS.sum),
          'int32',
        ],
        [
          'prod int32',
          () => prod(T(x, 'int32'), [0, 2]),
          reduceRef(x, [0, 2], false, REDUCERS.prod),
          'int32',
        ],
        ['max int32', () => max(T(x, 'int32'), -1), reduceRef(x, -1, false, REDUCERS.max), 'int32'],
        [
          'min int32',
          () => min(T(x, 'int32'), 0, { keepDims: true }),
          reduceRef(x, 0, true, REDUCERS.min),
          'int32',
        ],
        [
          'sum bool',
          () => sum(T(b, 'bool'), [1, 2]),
          reduceRef(b, [1, 2], false, REDUCERS.sum),
          'int32',
        ],
        [
          'mean int32',
          () => mean(T(x, 'int32'), 2),
          reduceRef(x, 2, false, REDUCERS.mean),
          'float32',
        ],
      ];
      for (const [label, fn, want, dtype] of cases) {
        expectClose(
          await run1(fn),
          want,
          dtype === 'float32' ? TOL.tight : TOL.exact,
          label,
          dtype,
        );
      }
    },
  );

  check('logSumExp is stable for large inputs', async () => {
    const x = map1(uniform([3, 4], -3, 3, 'lse large'), (v) => v + 1000);
    expectClose(
      await run1(() => logSumExp(T(x), 1)),
      reduceRef(x, 1, false, REDUCERS.logSumExp),
      TOL.sums,
      'logSumExp(x + 1000)',
    );
  });

  // BUG: core's logSumExp (ops/reduce.ts) subtracts the row maximum even when it is infinite, so
  // an all −∞ row gives NaN (PyTorch: −∞) and a row containing +∞ gives NaN (PyTorch: +∞).
  check('logSumExp with infinite entries: all −∞ → −∞, a +∞ entry → +∞ (as PyTorch)', async () => {
    const inf = Number.POSITIVE_INFINITY;
    const x = {
      shape: [4, 3],
      data: Float64Array.from([-inf, -inf, -inf, 0, -inf, 1, inf, 0, -2, -inf, inf, 3]),
    };
    expectClose(
      await run1(() => logSumExp(T(x), 1)),
      reduceRef(x, 1, false, REDUCERS.logSumExp),
      TOL.sums,
      'logSumExp with ±∞',
    );
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
      await expectGrad(
        `${c.name} of a permuted view`,
        (t) => c.fn(t.permute([2, 0, 1]), [0, 2], false),
        [xp],
      );
    });
  }
}
