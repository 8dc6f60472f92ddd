/**
 * Binary elementwise ops (arithmetic, comparisons, logical) with broadcasting
 * and dtype promotion, where, clamp and cast; forward values and gradients.
 */
import {
  type BinaryOp,
  BINARY_SCALAR,
  type DType,
  type Tensor,
  type TensorLike,
  add,
  cast,
  clamp,
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
  where,
} from '../index.js';
import { TOL, T, check, choice, expectClose, expectGrad, integers, run1, uniform } from './harness.js';
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

const u = (lo: number, hi: number, avoid?: (v: number) => boolean): Gen => (s, seed) => uniform(s, lo, hi, seed, avoid);
/** A grid with ties, zeros and equal magnitudes: comparisons get every outcome. */
const grid: Gen = (s, seed) => choice(s, [-1, -0.5, 0, 0.5, 1], seed);
/** Two grids 0.1 apart: maximum/minimum never tie, so their gradients are well defined. */
const gridA: Gen = (s, seed) => choice(s, [-1, -0.6, -0.2, 0.2, 0.6, 1], seed);
const gridB: Gen = (s, seed) => choice(s, [-0.9, -0.5, -0.1, 0.3, 0.7, 1.1], seed);

export const BINARY_CASES: readonly BinaryCase[] = [
  { op: 'add', fn: add, a: u(-3, 3), b: u(-3, 3), scalar: 1.5, out: 'float32', grad: true },
  { op: 'sub', fn: sub, a: u(-3, 3), b: u(-3, 3), scalar: 1.5, out: 'float32', grad: true },
  { op: 'mul', fn: mul, a: u(-3, 3), b: u(-3, 3), scalar: -2.5, out: 'float32', grad: true },
  { op: 'div', fn: div, a: u(-3, 3), b: u(-3, 3, (v) => Math.abs(v) < 0.5), scalar: 1.5, out: 'float32', grad: true },
  { op: 'pow', fn: pow, a: u(0.5, 2), b: u(-1.5, 1.5), scalar: 1.5, out: 'float32', grad: true },
  { op: 'maximum', fn: maximum, a: gridA, b: gridB, scalar: 0.4, out: 'float32', grad: true },
  { op: 'minimum', fn: minimum, a: gridA, b: gridB, scalar: 0.4, out: 'float32', grad: true },
  { op: 'eq', fn: eq, a: grid, b: grid, scalar: 0.5, out: 'bool' },
  { op: 'ne', fn: ne, a: grid, b: grid, scalar: 0.5, out: 'bool' },
  { op: 'lt', fn: lt, a: grid, b: grid, scalar: 0.5, out: 'bool' },
  { op: 'le', fn: le, a: grid, b: grid, scalar: 0.5, out: 'bool' },
  { op: 'gt', fn: gt, a: grid, b: grid, scalar: 0.5, out: 'bool' },
  { op: 'ge', fn: ge, a: grid, b: grid, scalar: 0.5, out: 'bool' },
  { op: 'logicalAnd', fn: logicalAnd, a: grid, b: grid, scalar: 0.5, out: 'bool' },
  { op: 'logicalOr', fn: logicalOr, a: grid, b: grid, scalar: 0, out: 'bool' },
];

/** Operand shapes: equal, rank-extending, both-sided size-1, 0-d. */
const SHAPES: readonly [readonly number[], readonly number[]][] = [
  [[3, 4], [3, 4]],
  [[2, 3, 1], [4]],
  [[3, 1], [1, 4]],
  [[2, 3], []],
  [[], [2, 3]],
];

const refOf = (c: BinaryCase, a: HostArray, b: HostArray) => mapN([a, b], BINARY_SCALAR[c.op]);
const tolOf = (c: BinaryCase) => (c.out === 'bool' ? TOL.exact : c.op === 'pow' ? TOL.transcendental : TOL.tight);

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
      expectClose(await run1(() => c.fn(T(a), c.scalar)), refOf(c, a, s), tolOf(c), `${c.op}(x, ${c.scalar})`, c.out);
      expectClose(await run1(() => c.fn(c.scalar, T(a))), refOf(c, s, a), tolOf(c), `${c.op}(${c.scalar}, x)`, c.out);
    });
  }

  check('int32 operands: arithmetic stays int32, div is true division, comparisons are bool', async () => {
    for (const c of BINARY_CASES) {
      const a = integers([3, 4], c.op === 'pow' ? 1 : -4, 5, `int ${c.op} a`);
      const b = c.op === 'pow' ? integers([4], 0, 4, 'int pow b') : choice([4], [-3, -2, -1, 1, 2, 3], `int ${c.op}`);
      const want: DType = c.out === 'bool' ? 'bool' : c.op === 'div' ? 'float32' : 'int32';
      const got = await run1(() => c.fn(T(a, 'int32'), T(b, 'int32')));
      expectClose(got, refOf(c, a, b), want === 'float32' ? TOL.tight : TOL.exact, `${c.op}(int32, int32)`, want);
    }
  });

  check('dtype promotion: bool < int32 < float32, JS numbers adapt to the tensor', async () => {
    const i = integers([2, 3], -3, 4, 'promo i');
    const f = uniform([2, 3], -2, 2, 'promo f');
    const b = choice([2, 3], [0, 1], 'promo b');
    const cases: [string, () => Tensor, HostArray, DType][] = [
      ['int32 + float32', () => add(T(i, 'int32'), T(f)), mapN([i, f], (x, y) => x + y), 'float32'],
      ['bool + float32', () => add(T(b, 'bool'), T(f)), mapN([b, f], (x, y) => x + y), 'float32'],
      ['bool + bool', () => add(T(b, 'bool'), T(b, 'bool')), mapN([b, b], (x, y) => x + y), 'int32'],
      ['bool * int32', () => mul(T(b, 'bool'), T(i, 'int32')), mapN([b, i], (x, y) => x * y), 'int32'],
      ['int32 + 2', () => add(T(i, 'int32'), 2), map1(i, (x) => x + 2), 'int32'],
      ['int32 + 2.5', () => add(T(i, 'int32'), 2.5), map1(i, (x) => x + 2.5), 'float32'],
      ['int32 * float 0-d', () => mul(T(i, 'int32'), tensor(0.5)), map1(i, (x) => x * 0.5), 'float32'],
      ['float32 + true', () => add(T(f), true), map1(f, (x) => x + 1), 'float32'],
      ['bool && bool', () => logicalAnd(T(b, 'bool'), T(b, 'bool').mT.mT), b, 'bool'],
      ['int32 == 2', () => eq(T(i, 'int32'), 2), map1(i, (x) => (x === 2 ? 1 : 0)), 'bool'],
      ['int32 < float32', () => lt(T(i, 'int32'), T(f)), mapN([i, f], (x, y) => (x < y ? 1 : 0)), 'bool'],
    ];
    for (const [label, fn, want, dtype] of cases) {
      expectClose(await run1(fn), want, dtype === 'float32' ? TOL.tight : TOL.exact, label, dtype);
    }
  });

  check('IEEE special values: division by zero, NaN through max/min and comparisons, pow', async () => {
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
  });

  for (const c of BINARY_CASES.filter((x) => x.grad)) {
    check(`${c.op}: gradient (equal shapes, broadcast, 0-d, JS numbers)`, async () => {
      const pairs: [readonly number[], readonly number[]][] = [
        [[2, 3], [2, 3]],
        [[2, 3], [3]],
        [[2, 1], [1, 3]],
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

  registerWhereClampCast();
}

function registerWhereClampCast(): void {
  check('where: forward with broadcasting, JS numbers and int32 branches', async () => {
    const cond = choice([2, 3], [0, 1], 'where cond');
    const a = uniform([2, 3], -2, 2, 'where a');
    const b = uniform([3], -2, 2, 'where b');
    const pick = (c: number, x: number, y: number) => (c ? x : y);
    expectClose(await run1(() => where(T(cond, 'bool'), T(a), T(b))), mapN([cond, a, b], pick), TOL.exact, 'where [2,3] [2,3] [3]', 'float32');
    const c1 = choice([3], [0, 1], 'where cond1');
    const a1 = uniform([2, 1], -2, 2, 'where a1');
    expectClose(await run1(() => where(T(c1, 'bool'), T(a1), -7)), mapN([c1, a1, host([-7], [])], pick), TOL.exact, 'where [3] [2,1] scalar', 'float32');
    expectClose(await run1(() => where(T(cond, 'bool'), 1, 0)), cond, TOL.exact, 'where(c, 1, 0)', 'float32');
    const ia = integers([2, 3], -5, 5, 'where ia');
    expectClose(await run1(() => where(T(cond, 'bool'), T(ia, 'int32'), 3)), mapN([cond, ia, host([3], [])], pick), TOL.exact, 'where int32', 'int32');
  });

  check('where: gradient to both branches (broadcast branch summed)', async () => {
    const cond = { h: choice([2, 3], [0, 1], 'gw cond'), dtype: 'bool' as const };
    await expectGrad('where', (c, x, y) => where(c, x, y), [cond, uniform([2, 3], -2, 2, 'gw a'), uniform([3], -2, 2, 'gw b')]);
    await expectGrad('where with a scalar branch', (c, x) => where(c, 0.5, x), [cond, uniform([2, 3], -2, 2, 'gw c')]);
  });

  check('clamp: forward for min/max, min only, max only, int32', async () => {
    const x = uniform([3, 4], -3, 3, 'clamp x');
    const cases: [number | undefined, number | undefined][] = [[-1, 1], [-0.5, undefined], [undefined, 0.5], [0.25, 0.25]];
    for (const [lo, hi] of cases) {
      const want = map1(x, (v) => Math.min(Math.max(v, lo ?? -Infinity), hi ?? Infinity));
      expectClose(await run1(() => clamp(T(x), lo, hi)), want, TOL.exact, `clamp(${lo}, ${hi})`, 'float32');
    }
    const xi = integers([3, 4], -5, 6, 'clamp int');
    expectClose(await run1(() => clamp(T(xi, 'int32'), -2, 3)), map1(xi, (v) => Math.min(Math.max(v, -2), 3)), TOL.exact, 'clamp int32', 'int32');
  });

  check('clamp: gradient passes inside the bounds only', async () => {
    const avoid = (v: number) => Math.abs(v + 1) < 0.05 || Math.abs(v - 1) < 0.05;
    await expectGrad('clamp(-1, 1)', (x) => clamp(x, -1, 1), [uniform([3, 4], -3, 3, 'g clamp', avoid)]);
    await expectGrad('clamp(min -1)', (x) => clamp(x, -1), [uniform([3, 4], -3, 3, 'g clamp lo', avoid)]);
    await expectGrad('clamp(max 1)', (x) => clamp(x, undefined, 1), [uniform([3, 4], -3, 3, 'g clamp hi', avoid)]);
  });

  check('cast between every pair of dtypes (float→int truncates, →bool is x ≠ 0)', async () => {
    const values: Record<DType, HostArray> = {
      float32: host([-2.7, -1.5, -0.5, -0, 0, 0.3, 1.5, 2.9, 100.25, -7, 1e-3, 1e6].map(Math.fround), [3, 4]),
      int32: host([-3, -1, 0, 1, 2, 7, 0, 100, -100, 5, 6, 2147483647], [3, 4]),
      bool: host([1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1], [3, 4]),
    };
    const convert: Record<DType, (v: number) => number> = {
      float32: (v) => v,
      int32: (v) => Math.trunc(v),
      bool: (v) => (v !== 0 ? 1 : 0),
    };
    for (const from of ['float32', 'int32', 'bool'] as const) {
      for (const to of ['float32', 'int32', 'bool'] as const) {
        const x = values[from];
        const want = map1(x, convert[to]);
        expectClose(await run1(() => cast(T(x, from), to)), want, TOL.exact, `cast ${from}→${to}`, to);
        const wantT = host(Array.from({ length: 12 }, (_, k) => want.data[(k % 3) * 4 + Math.floor(k / 3)]), [4, 3]);
        expectClose(await run1(() => cast(T(x, from).mT, to)), wantT, TOL.exact, `cast ${from}→${to} (transposed view)`, to);
      }
    }
  });
}
