/**
 * Scalar definitions of every elementwise op, in float64.
 *
 * These are the semantics: the CPU backend applies them element by element,
 * the conformance suite uses them as the host reference, and a GPU backend
 * must agree with them within float32 tolerance.
 */
import type { BinaryOp, UnaryOp } from './backend.js';

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/**
 * The complementary error function, to about 1.2e-7 relative error: the
 * Chebyshev fit of Numerical Recipes (Press et al., 3rd ed., §6.2), enough
 * for float32. Computed directly, not as 1 − erf, so the tails keep precision.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t *
                              (-1.13520398 +
                                t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** The error function, as 1 − erfc(x). */
export function erf(x: number): number {
  return 1 - erfc(x);
}

/** Logistic sigmoid, written so neither branch overflows. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** Round half to even, as PyTorch and NumPy do. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Unary ops: `p` is the op's parameter (leakyRelu slope, elu alpha), ignored by the rest. */
export const UNARY_SCALAR: Record<UnaryOp, (x: number, p: number) => number> = {
  neg: (x) => -x,
  abs: (x) => Math.abs(x),
  // sign(NaN) is 0 in PyTorch ((0 < x) − (x < 0)), not NaN as in NumPy.
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0),
  exp: (x) => Math.exp(x),
  expm1: (x) => Math.expm1(x),
  log: (x) => Math.log(x),
  log1p: (x) => Math.log1p(x),
  sqrt: (x) => Math.sqrt(x),
  rsqrt: (x) => 1 / Math.sqrt(x),
  reciprocal: (x) => 1 / x,
  square: (x) => x * x,
  sin: (x) => Math.sin(x),
  cos: (x) => Math.cos(x),
  tanh: (x) => Math.tanh(x),
  sigmoid,
  // NaN passes through every activation, as in PyTorch: relu(NaN) = NaN,
  // never 0, so a NaN input cannot hide behind a dead unit.
  relu: (x) => (x > 0 || Number.isNaN(x) ? x : 0),
  leakyRelu: (x, p) => (x > 0 ? x : p * x),
  elu: (x, p) => (x > 0 ? x : p * Math.expm1(x)),
  selu: (x) => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x)),
  // Exact GELU (Hendrycks & Gimpel 2016), PyTorch's default approximate='none'.
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  silu: (x) => x * sigmoid(x),
  // PyTorch's softplus with beta=1, threshold=20: linear above the threshold.
  softplus: (x) => (x > 20 ? x : Math.log1p(Math.exp(x))),
  erf,
  floor: (x) => Math.floor(x),
  ceil: (x) => Math.ceil(x),
  round: roundHalfEven,
  logicalNot: (x) => (x === 0 ? 1 : 0),
};

/** Binary ops; comparisons and logical ops return 1 or 0. NaN propagates through max/min. */
export const BINARY_SCALAR: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => a ** b,
  maximum: (a, b) => Math.max(a, b),
  minimum: (a, b) => Math.min(a, b),
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  logicalAnd: (a, b) => (a !== 0 && b !== 0 ? 1 : 0),
  logicalOr: (a, b) => (a !== 0 || b !== 0 ? 1 : 0),
};

/** SELU's α and scale (Klambauer et al. 2017), for kernels that inline them. */
export const SELU_CONSTANTS = {
  /** α ≈ 1.6733: the negative branch is α·(eˣ − 1). */
  alpha: SELU_ALPHA,
  /** λ ≈ 1.0507: the factor on both branches. */
  scale: SELU_SCALE,
} as const;
