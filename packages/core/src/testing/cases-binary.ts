/**
 * Binary elementwise ops (arithmetic, comparisons, logical) with broadcasting,
 * dtype promotion and IEEE special values; forward values and gradients.
 */
import { expect } from 'vitest';
import {
  type BinaryOp,
  BINARY_SCALAR,
  type DType,
  type Tensor,
  type TensorLike,
  add,
  div,
  eq,
  ge,
  gt,
  le,
  logicalAnd,
  logicalOr,
  lt,
  maximum,
  minimum,
  mul,
  ne,
  pow,
  sub,
  tensor,
} from '../index.js';
import {
  TOL,
  T,
  check,
  choice,
  expectClose,
  expectGrad,
  integers,
  run1,
  uniform,
} from './harness.js';
import { type HostArray, host, map1, mapN } from './reference.js';

type Gen = (shape: readonly number[], seed: string) => HostArray;

interface BinaryCase {
  readonly op: BinaryOp;
  readonly fn: (a: TensorLike, b: TensorLike) => Tensor;
  readonly a: Gen;
  readonly b: Gen;
  /** A JS number operand for the scalar cases. */
  readonly scalar: number;
  readonly out: DType;
  /** Differentiable (arithmetic) ops. */
  readonly grad?: boolean;
}

const u =
  (lo: number, hi: number, avoid?: (v: number) => boolean): Gen =>
  (s, seed) =>
    uniform(s, lo, hi, seed, avoid);
/** A grid with ties, zeros and equal magnitudes: comparisons get every outcome. */
const grid: Gen = (s, seed) => choice(s, [-1, -0.5, 0, 0.5, 1], seed);
/** Two grids 0.1 apart: maximum/minimum never tie, so their gradients are well defined. */
const gridA: Gen = (s, seed) => choice(s, [-1, -0.6, -0.2, 0.2, 0.6, 1], seed);
const gridB: Gen = (s, seed) => choice(s, [-0.9, -0.5, -0.1, 0.3, 0.7, 1.1], seed);

/** A row: op, function, operand generators, the JS-number operand, the result dtype. */
const bc = (
  op: BinaryOp,
  fn: BinaryCase['fn'],
  a: Gen,
  b: Gen,
  scalar: number,
  out: DType,
): BinaryCase => ({ op, fn, a, b, scalar, out, grad: out === 'float32' });
const f32 = 'float32';
const wide = u(-3, 3);
const nonZero = u(-3, 3, (v) => Math.abs(v) < 0.5);

export const BINARY_CASES: readonly BinaryCase[] = [
  bc('add', add, wide, wide, 1.5, f32),
  bc('sub', sub, wide, wide, 1.5, f32),
  bc('mul', mul, wide, wide, -2.5, f32),
  bc('div', div, wide, nonZero, 1.5, f32),
  bc('pow', pow, u(0.5, 2), u(-1.5, 1.5), 1.5, f32),
  bc('maximum', maximum, gridA, gridB, 0.4, f32),
  bc('minimum', minimum, gridA, gridB, 0.4, f32),
  bc('eq', eq, grid, grid, 0.5, 'bool'),
  bc('ne', ne, grid, grid, 0.5, 'bool'),
  bc('lt', lt, grid, grid, 0.5, 'bool'),
  bc('le', le, grid, grid, 0.5, 'bool'),
  bc('gt', gt, grid, grid, 0.5, 'bool'),
  bc('ge', ge, grid, grid, 0.5, 'bool'),
  bc('logicalAnd', logicalAnd, grid, grid, 0.5, 'bool'),
  bc('logicalOr', logicalOr, grid, grid, 0, 'bool'),
];

/** Operand shapes: equal, rank-extending, both-sided size-1, 0-d. */
const SHAPES: readonly [readonly number[], readonly number[]][] = [
  [
    [3, 4],
    [3, 4],
  ],
  [[2, 3, 1], [4]],
  [
    [3, 1],
    [1, 4],
  ],
  [[2, 3], []],
  [[], [2, 3]],
];

const refOf = (c: BinaryCase, a: HostArray, b: HostArray) => mapN([a, b], BINARY_SCALAR[c.op]);
const tolOf = (c: BinaryCase) =>
  c.out === 'bool' ? TOL.exact : c.op === 'pow' ? TOL.transcendental : TOL.tight;

export function registerBinary(): void {
  for (const c of BINARY_CASES) {
    check(`${c.op}: forward, broadcasting and JS-number operands`, async () => {
      for (const [sa, sb] of SHAPES) {
        const a = c.a(sa, `${c.op} a ${sa}`);
        const b = c.b(sb, `${c.op} b ${sb}`);
        const label = `${c.op} [${sa}] ∘ [${sb}]`;
        expectClose(await run1(() => c.fn(T(a), T(b))), refOf(c, a, b), tolOf(c), label, c.out);
      }
      const a = c.a([2, 3], `${c.op} scalar`);
      const s = host([Math.fround(c.scalar)], []);
      expectClose(
        await run1(() => c.fn(T(a), c.scalar)),
        refOf(c, a, s),
        tolOf(c),
        `${c.op}(x, ${c.scalar})`,
        c.out,
      );
      expectClose(
        await run1(() => c.fn(c.scalar, T(a))),
        refOf(c, s, a),
        tolOf(c),
        `${c.op}(${c.scalar}, x)`,
        c.out,
      );
    });
  }

  check(
    'int32 operands: arithmetic stays int32, div is true division, comparisons are bool',
    async () => {
      for (const c of BINARY_CASES) {
        const a = integers([3, 4], c.op === 'pow' ? 1 : -4, 5, `int ${c.op} a`);
        const b =
          c.op === 'pow'
            ? integers([4], 0, 4, 'int pow b')
            : choice([4], [-3, -2, -1, 1, 2, 3], `int ${c.op}`);
        const want: DType = c.out === 'bool' ? 'bool' : c.op === 'div' ? 'float32' : 'int32';
        const got = await run1(() => c.fn(T(a, 'int32'), T(b, 'int32')));
        expectClose(
          got,
          refOf(c, a, b),
          want === 'float32' ? TOL.tight : TOL.exact,
          `${c.op}(int32, int32)`,
          want,
        );
      }
    },
  );

  check('dtype promotion: bool < int32 < float32, JS numbers adapt to the tensor', async () => {
    const i = integers([2, 3], -3, 4, 'promo i');
    const f = uniform([2, 3], -2, 2, 'promo f');
    const b = choice([2, 3], [0, 1], 'promo b');
    const cases: [string, () => Tensor, HostArray, DType][] = [
      ['int32 + float32', () => add(T(i, 'int32'), T(f)), mapN([i, f], (x, y) => x + y), 'float32'],
      ['bool + float32', () => add(T(b, 'bool'), T(f)), mapN([b, f], (x, y) => x + y), 'float32'],
      [
        'bool + bool',
        () => add(T(b, 'bool'), T(b, 'bool')),
        mapN([b, b], (x, y) => x + y),
        'int32',
      ],
      [
        'bool * int32',
        () => mul(T(b, 'bool'), T(i, 'int32')),
        mapN([b, i], (x, y) => x * y),
        'int32',
      ],
      ['int32 + 2', () => add(T(i, 'int32'), 2), map1(i, (x) => x + 2), 'int32'],
      ['int32 + 2.5', () => add(T(i, 'int32'), 2.5), map1(i, (x) => x + 2.5), 'float32'],
      [
        'int32 * float 0-d',
        () => mul(T(i, 'int32'), tensor(0.5)),
        map1(i, (x) => x * 0.5),
        'float32',
      ],
      ['float32 + true', () => add(T(f), true), map1(f, (x) => x + 1), 'float32'],
      ['bool && bool', () => logicalAnd(T(b, 'bool'), T(b, 'bool').mT.mT), b, 'bool'],
      ['int32 == 2', () => eq(T(i, 'int32'), 2), map1(i, (x) => (x === 2 ? 1 : 0)), 'bool'],
      [
        'int32 < float32',
        () => lt(T(i, 'int32'), T(f)),
        mapN([i, f], (x, y) => (x < y ? 1 : 0)),
        'bool',
      ],
    ];
    for (const [label, fn, want, dtype] of cases) {
      expectClose(await run1(fn), want, dtype === 'float32' ? TOL.tight : TOL.exact, label, dtype);
    }
  });

  check(
    'IEEE special values: division by zero, NaN through max/min and comparisons, pow',
    async () => {
      const nan = Number.NaN;
      const rows: [BinaryOp, (a: TensorLike, b: TensorLike) => Tensor, number[], number[]][] = [
        ['div', div, [1, -1, 0, 3], [0, 0, 0, Infinity]],
        ['maximum', maximum, [nan, 1, -Infinity, 2], [1, nan, 3, Infinity]],
        ['minimum', minimum, [nan, 1, Infinity, 2], [1, nan, 3, -Infinity]],
        ['pow', pow, [0, -2, -8, 2, 0, 4], [0, 3, 1 / 3, -1, -1, 0.5]],
        ['eq', eq, [nan, 0, -0], [nan, -0, 0]],
        ['ne', ne, [nan, 0], [nan, -0]],
        ['lt', lt, [nan, -Infinity], [1, Infinity]],
        ['ge', ge, [nan, Infinity], [nan, Infinity]],
        ['logicalAnd', logicalAnd, [nan, 0], [1, nan]],
        ['logicalOr', logicalOr, [nan, 0], [0, -0]],
      ];
      for (const [op, fn, av, bv] of rows) {
        const a = host(av.map(Math.fround), [av.length]);
        const b = host(bv.map(Math.fround), [bv.length]);
        const want = mapN([a, b], BINARY_SCALAR[op]);
        const got = await run1(() => fn(T(a), T(b)));
        expectClose(got, want, TOL.transcendental, `${op}([${av}], [${bv}])`);
      }
    },
  );

  for (const c of BINARY_CASES.filter((x) => x.grad)) {
    check(`${c.op}: gradient (equal shapes, broadcast, 0-d, JS numbers)`, async () => {
      const pairs: [readonly number[], readonly number[]][] = [
        [
          [2, 3],
          [2, 3],
        ],
        [[2, 3], [3]],
        [
          [2, 1],
          [1, 3],
        ],
        [[2, 3], []],
      ];
      for (const [sa, sb] of pairs) {
        const a = c.a(sa, `g ${c.op} a ${sa}`);
        const b = c.b(sb, `g ${c.op} b ${sb}`);
        await expectGrad(`${c.op} [${sa}] ∘ [${sb}]`, (x, y) => c.fn(x, y), [a, b]);
      }
      const a = c.a([2, 3], `g ${c.op} s`);
      await expectGrad(`${c.op}(x, ${c.scalar})`, (x) => c.fn(x, c.scalar), [a]);
      // The right operand's generator keeps div away from 0 and pow's exponent in range.
      const b = c.b([2, 3], `g ${c.op} s2`);
      await expectGrad(`${c.op}(${c.scalar}, x)`, (x) => c.fn(c.scalar, x), [b]);
    });
  }

  check('maximum/minimum: tied inputs split the gradient in half (as PyTorch)', async () => {
    const a = choice([2, 3], [-1, 0, 0.5, 2], 'ties');
    for (const [name, fn] of [
      ['maximum', maximum],
      ['minimum', minimum],
    ] as const) {
      // Central differences at a tie give exactly 1/2 for each input.
      const res = await expectGrad(`${name} at ties`, (x, y) => fn(x, y), [a, a]);
      const [ga, gb] = res.analytic;
      expect(
        ga && gb && ga.every((v, i) => Math.abs(v - gb[i]) < 1e-6),
        `${name}: tied inputs get unequal gradients`,
      ).toBe(true);
    }
  });
}
