/**
 * Elementwise unary ops, declared once as a table: which dtypes an op keeps,
 * and its gradient written with other ops. Kernels come from the backend's
 * `unary` primitive; the scalar semantics live in scalar-math.ts. Also
 * `clamp`, which selects with comparisons.
 */
import type { UnaryOp } from '../backend.js';
import { SELU_CONSTANTS } from '../scalar-math.js';
import { composite, noGrad, optionalKernel, tidy } from '../engine.js';
import { NerveError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { add, div, ge, gt, le, logicalAnd, lt, mul, sub } from './binary.js';
import { cast, contiguousCopy, zerosLike } from './creation.js';
import { unaryKernel } from './elementwise-kernels.js';
import { backendOf, contiguousData, record, wrap } from './util.js';
import { where } from './where.js';

/**
 * where(le(x, 0), 0, dy), as the backend's one-pass `reluBackward` kernel
 * when it has one and both are float32 of one shape (same results: the
 * kernel's contract is this expression's, NaN and −0 included).
 */
function reluGrad(x: Tensor, dy: Tensor): Tensor {
  const backend = backendOf('relu', x, dy);
  const kernel = optionalKernel(backend, 'reluBackward');
  const same = x.shape.length === dy.shape.length && x.shape.every((d, i) => d === dy.shape[i]);
  if (!kernel || !same || x.dtype !== 'float32' || dy.dtype !== 'float32') {
    return where(le(x, 0), 0, dy);
  }
  const xc = contiguousData(x);
  const dyc = contiguousData(dy);
  const id = kernel(xc.id, dyc.id, x.size);
  xc.release();
  dyc.release();
  const dx = wrap(backend, id, x.shape, 'float32');
  return record(dx, 'reluBackward', [dy], (g) => [reluGrad(x, g)]);
}

/** Gradient of y = f(x; p) given dy; x and y are the op's input and output. */
type UnaryGrad = (x: Tensor, y: Tensor, dy: Tensor, p: number) => Tensor;

interface UnaryDef {
  /** Keeps int32 inputs as int32 (others compute in float32). */
  readonly intOk?: boolean;
  /** null: piecewise constant, the gradient is zero. */
  readonly grad: UnaryGrad | null;
}

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * The scalar definition of each unary op: whether it accepts int32 input, and its gradient (null:
 * none). Backends and the conformance references read it.
 */
export const UNARY_OPS: Record<Exclude<UnaryOp, 'logicalNot'>, UnaryDef> = {
  neg: { intOk: true, grad: (_x, _y, dy) => neg(dy) },
  abs: { intOk: true, grad: (x, _y, dy) => mul(dy, sign(x)) },
  sign: { intOk: true, grad: null },
  exp: { grad: (_x, y, dy) => mul(dy, y) },
  expm1: { grad: (_x, y, dy) => mul(dy, add(y, 1)) },
  log: { grad: (x, _y, dy) => div(dy, x) },
  log1p: { grad: (x, _y, dy) => div(dy, add(x, 1)) },
  sqrt: { grad: (_x, y, dy) => div(dy, mul(y, 2)) },
  rsqrt: { grad: (_x, y, dy) => mul(dy, mul(mul(y, square(y)), -0.5)) },
  reciprocal: { grad: (_x, y, dy) => neg(mul(dy, square(y))) },
  square: { intOk: true, grad: (x, _y, dy) => mul(dy, mul(x, 2)) },
  sin: { grad: (x, _y, dy) => mul(dy, cos(x)) },
  cos: { grad: (x, _y, dy) => neg(mul(dy, sin(x))) },
  tanh: { grad: (_x, y, dy) => mul(dy, sub(1, square(y))) },
  sigmoid: { grad: (_x, y, dy) => mul(dy, mul(y, sub(1, y))) },
  // The derivative at exactly 0 is taken as 0, as PyTorch does. The mask is
  // x ≤ 0 (PyTorch's threshold_backward), so at NaN the gradient passes.
  relu: { intOk: true, grad: (x, _y, dy) => reluGrad(x, dy) },
  leakyRelu: { grad: (x, _y, dy, p) => where(gt(x, 0), dy, mul(dy, p)) },
  // For x ≤ 0, y = α(eˣ − 1), so dy/dx = y + α. At NaN the positive branch
  // is taken, as PyTorch's elu_backward does (its test is x ≤ 0).
  elu: { grad: (x, y, dy, p) => where(le(x, 0), mul(dy, add(y, p)), dy) },
  selu: {
    grad: (x, y, dy) =>
      where(
        le(x, 0),
        mul(dy, add(y, SELU_CONSTANTS.scale * SELU_CONSTANTS.alpha)),
        mul(dy, SELU_CONSTANTS.scale),
      ),
  },
  // d/dx [x Φ(x)] = Φ(x) + x φ(x).
  gelu: {
    grad: (x, _y, dy) => {
      const cdf = mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5);
      const pdf = mul(exp(mul(square(x), -0.5)), INV_SQRT_2PI);
      return mul(dy, add(cdf, mul(x, pdf)));
    },
  },
  // d/dx [x σ(x)] = σ(x) (1 + x (1 − σ(x))).
  silu: {
    grad: (x, _y, dy) => {
      const s = sigmoid(x);
      return mul(dy, mul(s, add(mul(x, sub(1, s)), 1)));
    },
  },
  softplus: { grad: (x, _y, dy) => where(gt(x, 20), dy, mul(dy, sigmoid(x))) },
  // d/dx erf(x) = (2/√π) e^(−x²).
  erf: { grad: (x, _y, dy) => mul(dy, mul(exp(neg(square(x))), TWO_OVER_SQRT_PI)) },
  floor: { intOk: true, grad: null },
  ceil: { intOk: true, grad: null },
  round: { intOk: true, grad: null },
};

/** Applies a unary op from the table, recording its gradient. */
export function unary(op: Exclude<UnaryOp, 'logicalNot'>, x: Tensor, param = 0): Tensor {
  backendOf(op, x);
  const def = UNARY_OPS[op];
  if (x.dtype === 'bool' || (x.dtype === 'int32' && !def.intOk)) {
    // Integer inputs of float ops compute in float32; the cast is not differentiable.
    return tidy(() => unary(op, cast(x, 'float32'), param));
  }
  const y = unaryKernel(op, x, param);
  const grad = def.grad;
  return record(y, op, [x], (dy) => [grad ? grad(x, y, dy, param) : zerosLike(x)]);
}

/** Elementwise logical not; the result is bool. */
export function logicalNot(x: Tensor): Tensor {
  backendOf('logicalNot', x);
  return unaryKernel('logicalNot', x);
}

/** Elementwise `-x`; int32 stays int32. */
export const neg = (x: Tensor): Tensor => unary('neg', x);
/** Elementwise `|x|`; gradient sign(x). */
export const abs = (x: Tensor): Tensor => unary('abs', x);
/** Elementwise sign: -1, 0 or 1; no gradient. */
export const sign = (x: Tensor): Tensor => unary('sign', x);
/** Elementwise `e^x`. */
export const exp = (x: Tensor): Tensor => unary('exp', x);
/** Elementwise `e^x − 1`, accurate near 0. */
export const expm1 = (x: Tensor): Tensor => unary('expm1', x);
/** Elementwise natural logarithm (−Infinity at 0, NaN below). */
export const log = (x: Tensor): Tensor => unary('log', x);
/** Elementwise `log(1 + x)`, accurate near 0. */
export const log1p = (x: Tensor): Tensor => unary('log1p', x);
/** Elementwise square root (NaN below 0). */
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
/** Elementwise `1 / sqrt(x)`. */
export const rsqrt = (x: Tensor): Tensor => unary('rsqrt', x);
/** Elementwise `1 / x`. */
export const reciprocal = (x: Tensor): Tensor => unary('reciprocal', x);
/** Elementwise `x²`. */
export const square = (x: Tensor): Tensor => unary('square', x);
/** Elementwise sine, x in radians. */
export const sin = (x: Tensor): Tensor => unary('sin', x);
/** Elementwise cosine, x in radians. */
export const cos = (x: Tensor): Tensor => unary('cos', x);
/** Elementwise hyperbolic tangent, in (−1, 1). */
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
/** Elementwise logistic sigmoid `1 / (1 + e^−x)`, in (0, 1). */
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
/** Elementwise `max(x, 0)`; gradient 1 where x > 0, else 0. */
export const relu = (x: Tensor): Tensor => unary('relu', x);
/** Elementwise Gauss error function. */
export const erf = (x: Tensor): Tensor => unary('erf', x);
/** Elementwise rounding down; no gradient. */
export const floor = (x: Tensor): Tensor => unary('floor', x);
/** Elementwise rounding up; no gradient. */
export const ceil = (x: Tensor): Tensor => unary('ceil', x);
/** Elementwise rounding to the nearest integer; no gradient. */
export const round = (x: Tensor): Tensor => unary('round', x);
/** max(0, x) + slope · min(0, x) (Maas et al. 2013); PyTorch's default slope 0.01. */
export const leakyRelu = (x: Tensor, negativeSlope = 0.01): Tensor =>
  unary('leakyRelu', x, negativeSlope);
/** x for x > 0, α(eˣ − 1) otherwise (Clevert et al. 2015). */
export const elu = (x: Tensor, alpha = 1): Tensor => unary('elu', x, alpha);
/** Scaled ELU with the self-normalising constants (Klambauer et al. 2017). */
export const selu = (x: Tensor): Tensor => unary('selu', x);
/** x Φ(x), the exact Gaussian error linear unit (Hendrycks & Gimpel 2016). */
export const gelu = (x: Tensor): Tensor => unary('gelu', x);
/** x σ(x), a.k.a. swish (Ramachandran et al. 2017). */
export const silu = (x: Tensor): Tensor => unary('silu', x);
/** log(1 + eˣ), linear above 20 as in PyTorch. */
export const softplus = (x: Tensor): Tensor => unary('softplus', x);

/**
 * Limits values to [min, max] (either bound may be omitted). The gradient
 * passes where min ≤ x ≤ max, as in PyTorch.
 */
export function clamp(x: Tensor, min?: number, max?: number): Tensor {
  backendOf('clamp', x);
  if (min === undefined && max === undefined) {
    throw new NerveError('clamp', 'at least one of min and max', 'neither');
  }
  if ((min !== undefined && Number.isNaN(min)) || (max !== undefined && Number.isNaN(max))) {
    throw new NerveError('clamp', 'numeric bounds', `min ${min}, max ${max}`);
  }
  if (min !== undefined && max !== undefined && min > max) {
    throw new NerveError('clamp', 'min ≤ max', `min ${min} > max ${max}`);
  }
  const out = noGrad(() =>
    composite([], () => {
      let y = x;
      if (min !== undefined) y = where(lt(y, min), min, y);
      if (max !== undefined) y = where(gt(y, max), max, y);
      return y === x ? contiguousCopy(x) : y;
    }),
  );
  return record(out, 'clamp', [x], (dy) => {
    let inside = min !== undefined ? ge(x, min) : null;
    if (max !== undefined) inside = inside ? logicalAnd(inside, le(x, max)) : le(x, max);
    return [where(inside!, dy, 0)];
  });
}
