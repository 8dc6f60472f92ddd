/**
 * NaN and ±∞ through every comparison-based op, forward and backward, with
 * PyTorch's semantics: NaN propagates through relu and the other piecewise
 * activations, maximum/minimum, clamp, max/min/argmax reductions, max
 * pooling and softmax; comparisons with NaN are false except `ne`. A NaN
 * that an op turns into a finite number hides a broken input or a diverged
 * run, so each backend must keep it. The PyTorch values quoted below were
 * measured with torch 1.13 (Debian's python3-torch) on the same inputs.
 * Pooling, softmax, matmul and cross-entropy are in cases-nonfinite-nn.ts.
 */
import {
  type Tensor,
  type TensorLike,
  UNARY_OPS,
  UNARY_SCALAR,
  abs,
  clamp,
  elu,
  eq,
  ge,
  gt,
  le,
  leakyRelu,
  lt,
  maximum,
  minimum,
  ne,
  relu,
  selu,
  sum,
  tensor,
  unary,
  where,
} from '../index.js';
import { TOL, T, check, expectClose, run1 } from './harness.js';
import { registerNonFiniteNn } from './cases-nonfinite-nn.js';
import { type HostArray, host, map1, mapN } from './reference.js';
import { expect } from 'vitest';

const nan = Number.NaN;
const inf = Number.POSITIVE_INFINITY;
/** The inputs of the PyTorch measurements: NaN, a negative, zero, a positive, ±∞. */
const SPECIAL = host([nan, -1, 0, 2, -inf, inf], [6]);

type FloatUnary = keyof typeof UNARY_OPS;

/** The gradient of sum(fn(x)) with respect to x, read back. */
async function gradAt(fn: (x: Tensor) => Tensor, h: HostArray) {
  const x = T(h);
  x.requiresGrad = true;
  try {
    return await run1(() => {
      sum(fn(x)).backward();
      return x.grad!;
    });
  } finally {
    x.dispose();
  }
}

/** Gradients of sum(fn(a, b)) with respect to both inputs. */
async function grad2At(fn: (a: Tensor, b: Tensor) => Tensor, ha: HostArray, hb: HostArray) {
  const a = T(ha);
  const b = T(hb);
  a.requiresGrad = true;
  b.requiresGrad = true;
  try {
    const ga = await run1(() => {
      sum(fn(a, b)).backward();
      return a.grad!;
    });
    return [ga, await run1(() => b.grad!)];
  } finally {
    a.dispose();
    b.dispose();
  }
}

export function registerNonFinite(): void {
  check('the reference maps NaN as PyTorch does: NaN for every float op but sign (0)', () => {
    for (const op of Object.keys(UNARY_OPS) as FloatUnary[]) {
      const got = UNARY_SCALAR[op](nan, op === 'elu' ? 1 : 0.01);
      if (op === 'sign') expect(got, 'torch.sign(nan)').toBe(0);
      else expect(got, `torch.${op}(nan)`).toBeNaN();
    }
    // torch.relu([nan, -1, 0, 2, -inf, inf]) = [nan, 0, 0, 2, 0, inf].
    expect(Array.from(SPECIAL.data, (v) => UNARY_SCALAR.relu(v, 0))).toEqual([
      nan,
      0,
      0,
      2,
      0,
      inf,
    ]);
  });

  check('every float unary op at NaN, ±0, ±1 and ±∞ matches the reference', async () => {
    for (const op of Object.keys(UNARY_OPS) as FloatUnary[]) {
      const p = op === 'leakyRelu' ? 0.1 : op === 'elu' ? 1 : 0;
      const want = map1(SPECIAL, (v) => UNARY_SCALAR[op](v, p));
      expectClose(await run1(() => unary(op, T(SPECIAL), p)), want, TOL.transcendental, op);
    }
  });

  check(
    'relu keeps NaN of either sign, contiguous and strided (the float32 bit path)',
    async () => {
      // Quiet and signalling NaN payloads with the sign bit set and clear, among ordinary values.
      const bits = Uint32Array.from([
        0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001, 0x3f800000, 0xbf800000, 0x80000000, 0,
        0x7f800000, 0xff800000, 0xffffffff, 0x7fffffff,
      ]);
      const values = new Float32Array(bits.buffer);
      // PyTorch's relu, written out: x where x > 0 or x is NaN, else 0.
      const want = Array.from(values, (v) => (v > 0 || Number.isNaN(v) ? v : 0));
      const got = await run1(() => relu(tensor(values, { shape: [3, 4] })));
      expectClose(got, host(want, [3, 4]), TOL.exact, 'relu(bit patterns)', 'float32');
      const gotT = await run1(() => relu(tensor(values, { shape: [3, 4] }).mT));
      const wantT = Array.from({ length: 12 }, (_, k) => want[(k % 3) * 4 + Math.floor(k / 3)]);
      expectClose(gotT, host(wantT, [4, 3]), TOL.exact, 'relu(transposed bit patterns)', 'float32');
    },
  );

  check('maximum and minimum propagate NaN: contiguous, broadcast scalar, strided', async () => {
    const a = host([nan, 1, nan, -inf, 2, 0], [2, 3]);
    const b = host([1, nan, nan, 3, inf, -0], [2, 3]);
    for (const [name, fn] of [
      ['maximum', maximum],
      ['minimum', minimum],
    ] as const) {
      const f = name === 'maximum' ? Math.max : Math.min;
      expectClose(await run1(() => fn(T(a), T(b))), mapN([a, b], f), TOL.exact, name);
      const s = host([nan], []);
      const allNan = map1(a, () => nan);
      expectClose(await run1(() => fn(T(a), T(s))), allNan, TOL.exact, `${name}(x, NaN scalar)`);
      expectClose(await run1(() => fn(T(s), T(a))), allNan, TOL.exact, `${name}(NaN scalar, x)`);
      expectClose(await run1(() => fn(T(a), nan)), allNan, TOL.exact, `${name}(x, NaN number)`);
      expectClose(
        await run1(() => fn(T(a), 0.5)),
        map1(a, (v) => f(v, 0.5)),
        TOL.exact,
        name,
      );
      const at = host([nan, 2, 1, 0, nan, -inf], [3, 2]);
      const want = mapN([a, host([nan, 1, nan, 2, 0, -inf], [2, 3])], f);
      expectClose(await run1(() => fn(T(a), T(at).mT)), want, TOL.exact, `${name}(x, view)`);
    }
  });

  check('comparisons with NaN are false, except ne; broadcast scalars too', async () => {
    const a = host([nan, 1, nan, -inf, inf, 0], [6]);
    const b = host([1, nan, nan, -inf, nan, -0], [6]);
    const ops: [
      string,
      (x: TensorLike, y: TensorLike) => Tensor,
      (x: number, y: number) => boolean,
    ][] = [
      ['eq', eq, (x, y) => x === y],
      ['ne', ne, (x, y) => x !== y],
      ['lt', lt, (x, y) => x < y],
      ['le', le, (x, y) => x <= y],
      ['gt', gt, (x, y) => x > y],
      ['ge', ge, (x, y) => x >= y],
    ];
    for (const [name, fn, f] of ops) {
      const want = mapN([a, b], (x, y) => +f(x, y));
      expectClose(await run1(() => fn(T(a), T(b))), want, TOL.exact, name, 'bool');
      const toNan = map1(a, (x) => +f(x, nan));
      expectClose(await run1(() => fn(T(a), nan)), toNan, TOL.exact, `${name}(x, NaN)`, 'bool');
      const s = host([nan], []);
      expectClose(await run1(() => fn(T(a), T(s))), toNan, TOL.exact, `${name}(x, [NaN])`, 'bool');
    }
  });

  check('where passes NaN from the chosen branch only', async () => {
    const cond = host([1, 0, 1, 0], [4]);
    const a = host([nan, nan, 1, 2], [4]);
    const b = host([3, 4, nan, inf], [4]);
    const want = host([nan, 4, 1, inf], [4]);
    expectClose(await run1(() => where(T(cond, 'bool'), T(a), T(b))), want, TOL.exact, 'where');
    const wantS = host([nan, nan, 1, nan], [4]);
    expectClose(await run1(() => where(T(cond, 'bool'), T(a), nan)), wantS, TOL.exact, 'where');
  });

  check('clamp(NaN) is NaN with both bounds or one; its gradient there is 0', async () => {
    // torch.clamp([nan, -1, 0, 2, -inf, inf], -0.5, 0.5) = [nan, -0.5, 0, 0.5, -0.5, 0.5].
    const want = host([nan, -0.5, 0, 0.5, -0.5, 0.5], [6]);
    expectClose(await run1(() => clamp(T(SPECIAL), -0.5, 0.5)), want, TOL.exact, 'clamp');
    const lo = map1(SPECIAL, (v) => (v < 0 ? 0 : v));
    expectClose(await run1(() => clamp(T(SPECIAL), 0)), lo, TOL.exact, 'clamp(min 0)');
    const hi = map1(SPECIAL, (v) => (v > 0 ? 0 : v));
    expectClose(await run1(() => clamp(T(SPECIAL), undefined, 0)), hi, TOL.exact, 'clamp(max 0)');
    const g = await gradAt((x) => clamp(x, -0.5, 0.5), SPECIAL);
    expectClose(g, host([0, 0, 1, 0, 0, 0], [6]), TOL.exact, 'clamp gradient');
  });

  check('activation gradients at NaN and ±∞ are PyTorch’s', async () => {
    const e1 = Math.exp(-1);
    const rows: [string, (x: Tensor) => Tensor, number[]][] = [
      // threshold_backward masks x ≤ 0, so NaN passes the gradient.
      ['relu', relu, [1, 0, 0, 1, 0, 1]],
      ['leakyRelu(0.1)', (x) => leakyRelu(x, 0.1), [0.1, 0.1, 0.1, 1, 0.1, 1]],
      // elu_backward also tests x ≤ 0: the positive branch at NaN.
      ['elu', (x) => elu(x), [1, e1, 1, 1, 0, 1]],
      [
        'selu',
        selu,
        [
          1.0507009873554805,
          1.7580993408473766 * e1,
          1.7580993408473766,
          1.0507009873554805,
          0,
          1.0507009873554805,
        ],
      ],
      // abs' gradient is sign(x)·dy and torch.sign(nan) = 0.
      ['abs', abs, [0, -1, 0, 1, -1, 1]],
    ];
    for (const [name, fn, want] of rows) {
      expectClose(await gradAt(fn, SPECIAL), host(want, [6]), TOL.tight, `${name} gradient`);
    }
  });

  check('maximum/minimum gradients at NaN reach both inputs (PyTorch)', async () => {
    const a = host([nan, 1, nan, 3, 2], [5]);
    const b = host([1, nan, nan, 2, 2], [5]);
    const [ga, gb] = await grad2At((x, y) => maximum(x, y), a, b);
    expectClose(ga, host([1, 1, 1, 1, 0.5], [5]), TOL.exact, 'maximum d/da');
    expectClose(gb, host([1, 1, 1, 0, 0.5], [5]), TOL.exact, 'maximum d/db');
    const [ma, mb] = await grad2At((x, y) => minimum(x, y), a, b);
    expectClose(ma, host([1, 1, 1, 0, 0.5], [5]), TOL.exact, 'minimum d/da');
    expectClose(mb, host([1, 1, 1, 1, 0.5], [5]), TOL.exact, 'minimum d/db');
  });

  registerNonFiniteNn();
}
