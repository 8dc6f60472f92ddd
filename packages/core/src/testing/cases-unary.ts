/**
 * Unary elementwise ops: forward values against UNARY_SCALAR in float64,
 * IEEE special values, integer/bool inputs, logicalNot, and every gradient.
 */
import { expect } from 'vitest';
import {
  type DType,
  type Tensor,
  type UnaryOp,
  UNARY_OPS,
  UNARY_SCALAR,
  abs,
  ceil,
  cos,
  elu,
  erf,
  exp,
  expm1,
  floor,
  gelu,
  leakyRelu,
  log,
  log1p,
  logicalNot,
  neg,
  reciprocal,
  relu,
  round,
  rsqrt,
  selu,
  sigmoid,
  sign,
  silu,
  sin,
  softplus,
  sqrt,
  square,
  tanh,
} from '../index.js';
import { TOL, type Tol, T, check, expectClose, expectGrad, integers, nearGrid, run1, uniform } from './harness.js';
import { type HostArray, host, map1 } from './reference.js';

type FloatUnary = Exclude<UnaryOp, 'logicalNot'>;

interface UnaryCase {
  readonly name: string;
  readonly op: FloatUnary;
  readonly fn: (x: Tensor) => Tensor;
  /** The op's parameter as the reference sees it. */
  readonly param?: number;
  /** Domain of the random inputs (also used for the gradient check). */
  readonly lo: number;
  readonly hi: number;
  /** Inputs to redraw: kinks and jumps, so finite differences are meaningful. */
  readonly avoid?: (v: number) => boolean;
  readonly tol: Tol;
  /** Piecewise constant: the gradient must be exactly zero. */
  readonly zeroGrad?: boolean;
  /** IEEE edge inputs: infinities, NaN, overflow, values near 0. */
  readonly special?: readonly number[];
}

const nearZero = (v: number) => Math.abs(v) < 0.05;
const t = TOL.tight;
const tr = TOL.transcendental;

/** Every float unary op of the core, with domains that suit it. */
export const UNARY_CASES: readonly UnaryCase[] = [
  { name: 'neg', op: 'neg', fn: neg, lo: -3, hi: 3, tol: t, special: [0, Infinity, -Infinity, NaN] },
  { name: 'abs', op: 'abs', fn: abs, lo: -3, hi: 3, avoid: nearZero, tol: t, special: [-0, -Infinity, NaN] },
  { name: 'sign', op: 'sign', fn: sign, lo: -3, hi: 3, avoid: nearZero, tol: t, zeroGrad: true, special: [0, -Infinity, 1e-30, -1e-30] },
  { name: 'exp', op: 'exp', fn: exp, lo: -3, hi: 3, tol: tr, special: [0, -Infinity, Infinity, 100, -100] },
  { name: 'expm1', op: 'expm1', fn: expm1, lo: -2, hi: 2, tol: tr, special: [0, 1e-5, -1e-5, -Infinity] },
  { name: 'log', op: 'log', fn: log, lo: 0.5, hi: 4, tol: tr, special: [0, 1, Infinity, -1] },
  { name: 'log1p', op: 'log1p', fn: log1p, lo: -0.5, hi: 3, tol: tr, special: [0, 1e-6, -1, -2] },
  { name: 'sqrt', op: 'sqrt', fn: sqrt, lo: 0.3, hi: 4, tol: tr, special: [0, Infinity, -1] },
  { name: 'rsqrt', op: 'rsqrt', fn: rsqrt, lo: 0.3, hi: 4, tol: tr, special: [0, Infinity, -1] },
  { name: 'reciprocal', op: 'reciprocal', fn: reciprocal, lo: -3, hi: 3, avoid: (v) => Math.abs(v) < 0.5, tol: tr, special: [0, -0, Infinity] },
  { name: 'square', op: 'square', fn: square, lo: -3, hi: 3, tol: t, special: [1e20, -Infinity, NaN] },
  { name: 'sin', op: 'sin', fn: sin, lo: -3, hi: 3, tol: tr, special: [0, Math.fround(Math.PI)] },
  { name: 'cos', op: 'cos', fn: cos, lo: -3, hi: 3, tol: tr, special: [0, Math.fround(Math.PI)] },
  { name: 'tanh', op: 'tanh', fn: tanh, lo: -3, hi: 3, tol: tr, special: [0, 50, -50, Infinity, -Infinity] },
  { name: 'sigmoid', op: 'sigmoid', fn: sigmoid, lo: -5, hi: 5, tol: tr, special: [0, 100, -100, Infinity, -Infinity] },
  { name: 'relu', op: 'relu', fn: relu, lo: -3, hi: 3, avoid: nearZero, tol: t, special: [0, -0, Infinity, -Infinity] },
  { name: 'leakyRelu(0.1)', op: 'leakyRelu', fn: (x) => leakyRelu(x, 0.1), param: 0.1, lo: -3, hi: 3, avoid: nearZero, tol: t, special: [0, -Infinity] },
  { name: 'leakyRelu (default slope 0.01)', op: 'leakyRelu', fn: (x) => leakyRelu(x), param: 0.01, lo: -3, hi: 3, avoid: nearZero, tol: t },
  { name: 'elu (default alpha 1)', op: 'elu', fn: (x) => elu(x), param: 1, lo: -3, hi: 3, avoid: nearZero, tol: tr, special: [0, -50, -Infinity] },
  { name: 'elu(0.5)', op: 'elu', fn: (x) => elu(x, 0.5), param: 0.5, lo: -3, hi: 3, avoid: nearZero, tol: tr },
  { name: 'selu', op: 'selu', fn: selu, lo: -3, hi: 3, avoid: nearZero, tol: tr, special: [0, -50] },
  { name: 'gelu', op: 'gelu', fn: gelu, lo: -3, hi: 3, tol: tr, special: [0, 10, -10] },
  { name: 'silu', op: 'silu', fn: silu, lo: -4, hi: 4, tol: tr, special: [0, 100, -100] },
  { name: 'softplus', op: 'softplus', fn: softplus, lo: -5, hi: 5, tol: tr, special: [0, 19.5, 20.5, 30, -30] },
  { name: 'erf', op: 'erf', fn: erf, lo: -2, hi: 2, tol: tr, special: [0, 5, -5, Infinity] },
  { name: 'floor', op: 'floor', fn: floor, lo: -3, hi: 3, avoid: nearGrid(0.05), tol: t, zeroGrad: true, special: [-2.5, -0.5, 2, Infinity] },
  { name: 'ceil', op: 'ceil', fn: ceil, lo: -3, hi: 3, avoid: nearGrid(0.05), tol: t, zeroGrad: true, special: [-2.5, -0.5, 2, Infinity] },
  {
    name: 'round',
    op: 'round',
    fn: round,
    lo: -3,
    hi: 3,
    avoid: (v) => nearGrid(0.05)(v) || nearGrid(0.05, 0.5)(v),
    tol: t,
    zeroGrad: true,
    // Half to even, as PyTorch.
    special: [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49, -0.51, 3.5],
  },
];

const ref = (c: UnaryCase, x: HostArray) => map1(x, (v) => UNARY_SCALAR[c.op](v, c.param ?? 0));

export function registerUnary(): void {
  check('the table covers every op in UNARY_OPS', () => {
    const covered = new Set(UNARY_CASES.map((c) => c.op));
    expect(Object.keys(UNARY_OPS).filter((op) => !covered.has(op as FloatUnary))).toEqual([]);
  });

  for (const c of UNARY_CASES) {
    check(`${c.name}: forward on [3,4,5] in [${c.lo}, ${c.hi})`, async () => {
      const x = uniform([3, 4, 5], c.lo, c.hi, `unary ${c.name}`, c.avoid);
      expectClose(await run1(() => c.fn(T(x))), ref(c, x), c.tol, c.name, 'float32');
    });
  }

  for (const c of UNARY_CASES) {
    if (!c.special) continue;
    check(`${c.name}: IEEE special values [${c.special.join(', ')}]`, async () => {
      const x = host(c.special!.map(Math.fround), [c.special!.length]);
      expectClose(await run1(() => c.fn(T(x))), ref(c, x), c.tol, `${c.name} special`, 'float32');
    });
  }

  check('int32 inputs: int-preserving ops stay int32, the rest compute in float32', async () => {
    for (const c of UNARY_CASES) {
      // Domain-limited ops get positive integers.
      const positive = ['log', 'sqrt', 'rsqrt', 'reciprocal', 'log1p'].includes(c.op);
      const x = integers([2, 5], positive ? 1 : -4, 5, `int ${c.name}`);
      const dtype: DType = UNARY_OPS[c.op].intOk ? 'int32' : 'float32';
      const tol = dtype === 'int32' ? TOL.exact : c.tol;
      expectClose(await run1(() => c.fn(T(x, 'int32'))), ref(c, x), tol, `${c.name}(int32)`, dtype);
    }
  });

  check('bool inputs compute in float32', async () => {
    const x = host([1, 0, 1, 1, 0, 0], [2, 3]);
    for (const c of UNARY_CASES) {
      expectClose(await run1(() => c.fn(T(x, 'bool'))), ref(c, x), c.tol, `${c.name}(bool)`, 'float32');
    }
  });

  check('logicalNot of float32, int32 and bool (non-contiguous too) is bool x == 0', async () => {
    const f = host([0, -0, 1.5, -2, NaN, Infinity], [2, 3]);
    const want = map1(f, (v) => UNARY_SCALAR.logicalNot(v, 0));
    expectClose(await run1(() => logicalNot(T(f))), want, TOL.exact, 'logicalNot(float32)', 'bool');
    const i = host([0, 3, -1, 0, 7, 0], [2, 3]);
    const wantI = map1(i, (v) => (v === 0 ? 1 : 0));
    expectClose(await run1(() => logicalNot(T(i, 'int32'))), wantI, TOL.exact, 'logicalNot(int32)', 'bool');
    expectClose(await run1(() => logicalNot(T(i, 'bool'))), wantI, TOL.exact, 'logicalNot(bool)', 'bool');
    const wantT = host([1, 0, 0, 0, 0, 1], [3, 2]);
    expectClose(await run1(() => logicalNot(T(i, 'int32').mT)), wantT, TOL.exact, 'logicalNot(view)', 'bool');
  });

  check('unary ops read non-contiguous and offset views', async () => {
    const x = uniform([4, 6], -2, 2, 'unary view');
    const xt: HostArray = host(
      Array.from({ length: 24 }, (_, k) => x.data[(k % 4) * 6 + Math.floor(k / 4)]),
      [6, 4],
    );
    for (const c of UNARY_CASES.filter((u) => ['exp', 'tanh', 'relu', 'neg', 'gelu'].includes(u.op))) {
      expectClose(await run1(() => c.fn(T(x).mT)), ref(c, xt), c.tol, `${c.name}(transposed)`, 'float32');
      const sliced = host(x.data.slice(6), [3, 6]);
      expectClose(await run1(() => c.fn(T(x).slice([1]))), ref(c, sliced), c.tol, `${c.name}(offset)`, 'float32');
    }
  });

  for (const c of UNARY_CASES) {
    check(`${c.name}: gradient${c.zeroGrad ? ' (piecewise constant: zero)' : ''}`, async () => {
      const x = uniform([2, 3], c.lo, c.hi, `grad ${c.name}`, c.avoid);
      await expectGrad(c.name, c.fn, [x], { zero: c.zeroGrad });
    });
  }
}
