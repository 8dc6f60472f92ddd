/**
 * The WGSL expression of every elementwise op, in one table, matching
 * core's scalar-math.ts (the float64 definitions) within float32 tolerance.
 *
 * WGSL leaves NaN, infinities and out-of-domain inputs of builtins
 * indeterminate, so every op whose reference result at such inputs is fixed
 * (NaN through max/min, log of a negative, pow of a negative base, tanh at
 * ±∞) tests for them explicitly, on the bit pattern where a compiler could
 * fold `x != x` away. NaN and ∞ are made by bitcasts of `let` values: the
 * constant evaluator rejects a NaN constant. Comparisons produce bool as u32 0/1.
 */
import type { BinaryOp, UnaryOp } from '@nerve/core/backend';

/** Helper functions an expression may call; each is emitted once per shader. */
export const HELPERS: Record<string, string> = {
  consts: `
const NAN_BITS: u32 = 0x7fc00000u;
const INF_BITS: u32 = 0x7f800000u;
fn nan_f() -> f32 { let bits = NAN_BITS; return bitcast<f32>(bits); }
fn inf_f() -> f32 { let bits = INF_BITS; return bitcast<f32>(bits); }
fn isnan_f(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > INF_BITS; }
fn isinf_f(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == INF_BITS; }
fn signbit_f(x: f32) -> bool { return (bitcast<u32>(x) & 0x80000000u) != 0u; }
`,
  // Taylor series below |x| = 0.5 (relative error < 1e-9) where exp(x) − 1 cancels.
  expm1: `
fn expm1_f(x: f32) -> f32 {
  if (abs(x) < 0.5) {
    return x * (1.0 + x * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0
      + x * (1.0 / 720.0 + x * (1.0 / 5040.0 + x * (1.0 / 40320.0 + x / 362880.0))))))));
  }
  return exp(x) - 1.0;
}
`,
  log: `
fn log_f(x: f32) -> f32 {
  if (x < 0.0) { return nan_f(); }
  if (x == 0.0) { return -inf_f(); }
  return log(x);
}
`,
  // log1p(x) = 2 atanh(x / (2 + x)), a series in s² with |s| ≤ 1/3 near 0.
  log1p: `
fn log1p_f(x: f32) -> f32 {
  if (abs(x) < 0.5) {
    let s = x / (2.0 + x);
    let s2 = s * s;
    return 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0
      + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0 + s2 * (1.0 / 13.0 + s2 / 15.0)))))));
  }
  return log_f(1.0 + x);
}
`,
  sqrt: `
fn sqrt_f(x: f32) -> f32 {
  if (x < 0.0) { return nan_f(); }
  return sqrt(x);
}
`,
  // sin and cos by reduction to |r| ≤ π/4 around the nearest multiple of π/2
  // (π/2 split in three parts, Cody & Waite, exact products for |k| < 2^13)
  // and short odd/even polynomials on r. The builtins are only promised to
  // 2^-11 absolute accuracy on [−π, π] (SwiftShader is ~2e-4 off); this is
  // within a few ulp there. Non-finite inputs give NaN, as in the reference.
  trig: `
fn trig_reduce(x: f32) -> vec2<f32> {
  let k = round(x * 0.6366197723675814);
  let r = ((x - k * 1.5703125) - k * 4.837512969970703e-4) - k * 7.549789948768648e-8;
  return vec2<f32>(r, k);
}
fn sin_poly(r: f32) -> f32 {
  let z = r * r;
  return r + r * z * ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1);
}
fn cos_poly(r: f32) -> f32 {
  let z = r * r;
  return 1.0 - 0.5 * z + z * z * ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2);
}
fn sin_f(x: f32) -> f32 {
  if (isnan_f(x) || isinf_f(x)) { return nan_f(); }
  let rk = trig_reduce(x);
  let q = i32(rk.y) & 3;
  let s = sin_poly(rk.x);
  let c = cos_poly(rk.x);
  return select(select(select(-c, -s, q == 2), c, q == 1), s, q == 0);
}
fn cos_f(x: f32) -> f32 {
  if (isnan_f(x) || isinf_f(x)) { return nan_f(); }
  let rk = trig_reduce(x);
  let q = i32(rk.y) & 3;
  let s = sin_poly(rk.x);
  let c = cos_poly(rk.x);
  return select(select(select(s, -c, q == 2), -s, q == 1), c, q == 0);
}
`,
  // tanh(|x|) = −m / (2 + m) with m = expm1(−2|x|): no overflow at ±∞, no cancellation near 0.
  tanh: `
fn tanh_f(x: f32) -> f32 {
  let m = expm1_f(-2.0 * abs(x));
  let t = -m / (2.0 + m);
  return select(t, -t, x < 0.0);
}
`,
  sigmoid: `
fn sigmoid_f(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}
`,
  // The Chebyshev fit of Numerical Recipes §6.2, as scalar-math.ts computes it.
  erf: `
fn erfc_f(x: f32) -> f32 {
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.5 * z);
  let r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
    + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
    + t * (-0.82215223 + t * 0.17087277)))))))));
  return select(2.0 - r, r, x >= 0.0);
}
fn erf_f(x: f32) -> f32 { return 1.0 - erfc_f(x); }
`,
  // JavaScript's a ** b (ECMA-262 Number::exponentiate), including its NaN rules.
  pow: `
fn pow_f(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (isnan_f(a) || isnan_f(b)) { return nan_f(); }
  let aa = abs(a);
  if (isinf_f(b)) {
    if (aa == 1.0) { return nan_f(); }
    return select(0.0, inf_f(), (aa > 1.0) == (b > 0.0));
  }
  var r = exp2(b * log2(aa));
  if (aa == 0.0) { r = select(inf_f(), 0.0, b > 0.0); }
  if (isinf_f(aa)) { r = select(0.0, inf_f(), b > 0.0); }
  if (signbit_f(a)) {
    let integral = floor(b) == b;
    if (!integral) { return select(r, nan_f(), aa != 0.0 && !isinf_f(aa)); }
    if (floor(b * 0.5) != b * 0.5) { r = -r; }
  }
  return r;
}
`,
  // int32 power as ToInt32(a ** b): wrapping products for b ≥ 0, truncation of 1/aᵇ otherwise.
  ipow: `
fn ipow_i(a: i32, b: i32) -> i32 {
  if (b < 0) {
    if (a == 1) { return 1; }
    if (a == -1) { return select(1, -1, (b & 1) != 0); }
    return 0;
  }
  var base = a;
  var e = u32(b);
  var r = 1;
  loop {
    if (e == 0u) { break; }
    if ((e & 1u) != 0u) { r = r * base; }
    base = base * base;
    e = e >> 1u;
  }
  return r;
}
`,
  // ECMA-262 ToInt32 of a float: truncate, wrap modulo 2³², NaN and ±∞ give 0.
  toInt32: `
fn to_i32(x: f32) -> i32 {
  if (isnan_f(x) || isinf_f(x)) { return 0; }
  let t = trunc(x);
  if (abs(t) < 2147483648.0) { return i32(t); }
  let m = t - 4294967296.0 * floor(t / 4294967296.0);
  return bitcast<i32>(u32(m));
}
`,
};

/** Which helpers each helper needs (emitted first). */
const HELPER_DEPS: Record<string, string[]> = {
  expm1: [],
  log: ['consts'],
  log1p: ['log'],
  sqrt: ['consts'],
  tanh: ['expm1'],
  trig: ['consts'],
  sigmoid: [],
  erf: [],
  pow: ['consts'],
  ipow: [],
  toInt32: ['consts'],
  consts: [],
};

/** The WGSL source of the named helpers and everything they depend on, each once. */
export function helperSource(names: readonly string[]): string {
  const seen = new Set<string>();
  const out: string[] = [];
  const visit = (n: string) => {
    if (seen.has(n)) return;
    seen.add(n);
    for (const d of HELPER_DEPS[n] ?? []) visit(d);
    out.push(HELPERS[n]);
  };
  for (const n of names) visit(n);
  return out.join('');
}

/** An op's WGSL expression over `x` (or `a`, `b`) and the parameter `p`, and its helpers. */
export interface OpExpr {
  readonly expr: string;
  readonly helpers?: readonly string[];
}

const e = (expr: string, ...helpers: string[]): OpExpr => ({ expr, helpers });
// SELU's self-normalising constants (Klambauer et al. 2017), as in core's scalar-math.ts.
const SCALE = 1.0507009873554805;
const ALPHA = 1.6732632423543772;

/** Float unary ops (x: f32, p: f32 → f32). logicalNot is in UNARY_ANY. */
export const UNARY_F32: Record<Exclude<UnaryOp, 'logicalNot'>, OpExpr> = {
  neg: e('-x'),
  abs: e('abs(x)'),
  // NaN > 0 and NaN < 0 are both false: sign(NaN) = 0, as in PyTorch.
  sign: e('select(select(0.0, -1.0, x < 0.0), 1.0, x > 0.0)'),
  exp: e('exp(x)'),
  expm1: e('expm1_f(x)', 'expm1'),
  log: e('log_f(x)', 'log'),
  log1p: e('log1p_f(x)', 'log1p'),
  sqrt: e('sqrt_f(x)', 'sqrt'),
  rsqrt: e('1.0 / sqrt_f(x)', 'sqrt'),
  reciprocal: e('1.0 / x'),
  square: e('x * x'),
  sin: e('sin_f(x)', 'trig'),
  cos: e('cos_f(x)', 'trig'),
  tanh: e('tanh_f(x)', 'tanh'),
  sigmoid: e('sigmoid_f(x)', 'sigmoid'),
  // The piecewise activations pass NaN through (PyTorch's relu(NaN) is NaN),
  // chosen on the bit pattern rather than left to NaN arithmetic, which WGSL
  // does not promise.
  relu: e('select(0.0, x, x > 0.0 || isnan_f(x))', 'consts'),
  leakyRelu: e('select(p * x, x, x > 0.0 || isnan_f(x))', 'consts'),
  elu: e('select(p * expm1_f(x), x, x > 0.0 || isnan_f(x))', 'expm1', 'consts'),
  selu: e(
    `select(${SCALE} * select(${ALPHA} * expm1_f(x), x, x > 0.0), x, isnan_f(x))`,
    'expm1',
    'consts',
  ),
  // 1 + erf(x/√2) = erfc(−x/√2), without the cancellation for x ≪ 0.
  gelu: e('select(0.5 * x * erfc_f(x * -0.7071067811865476), x, isnan_f(x))', 'erf', 'consts'),
  silu: e('select(x * sigmoid_f(x), x, isnan_f(x))', 'sigmoid', 'consts'),
  softplus: e('select(log1p_f(exp(x)), x, x > 20.0 || isnan_f(x))', 'log1p', 'consts'),
  erf: e('erf_f(x)', 'erf'),
  floor: e('floor(x)'),
  ceil: e('ceil(x)'),
  // WGSL's round() is round-half-to-even, as the reference.
  round: e('round(x)'),
};

/** int32 unary ops (the intOk ones of core's table): x: i32 → i32. */
export const UNARY_I32: Partial<Record<UnaryOp, OpExpr>> = {
  neg: e('-x'),
  abs: e('abs(x)'),
  sign: e('sign(x)'),
  square: e('x * x'),
  relu: e('max(x, 0)'),
  floor: e('x'),
  ceil: e('x'),
  round: e('x'),
};

/** logicalNot of any dtype → bool (u32); `zero` is the input type's zero literal. */
export const logicalNotExpr = (zero: string): OpExpr => e(`select(0u, 1u, x == ${zero})`);

/** Float binary ops (a, b: f32 → f32); comparisons are in COMPARE. */
export const BINARY_F32: Partial<Record<BinaryOp, OpExpr>> = {
  add: e('a + b'),
  sub: e('a - b'),
  mul: e('a * b'),
  div: e('a / b'),
  pow: e('pow_f(a, b)', 'pow'),
  // Math.max/min: NaN if either is NaN.
  maximum: e('select(max(a, b), nan_f(), isnan_f(a) || isnan_f(b))', 'consts'),
  minimum: e('select(min(a, b), nan_f(), isnan_f(a) || isnan_f(b))', 'consts'),
};

/** int32 binary ops (a, b: i32 → i32); products and sums wrap as Math.imul does. */
export const BINARY_I32: Partial<Record<BinaryOp, OpExpr>> = {
  add: e('a + b'),
  sub: e('a - b'),
  mul: e('a * b'),
  pow: e('ipow_i(a, b)', 'ipow'),
  maximum: e('max(a, b)'),
  minimum: e('min(a, b)'),
};

/**
 * Comparisons and logical ops of any input type → bool as a WGSL bool
 * expression. `ne` is written as !(a == b) and `!= 0` as !(x == 0) so NaN
 * behaves as in JavaScript whichever comparison the compiler emits.
 */
export const COMPARE: Partial<Record<BinaryOp, (zero: string) => string>> = {
  eq: () => 'a == b',
  ne: () => '!(a == b)',
  lt: () => 'a < b',
  le: () => 'a <= b',
  gt: () => 'a > b',
  ge: () => 'a >= b',
  logicalAnd: (z) => `!(a == ${z}) && !(b == ${z})`,
  logicalOr: (z) => `!(a == ${z}) || !(b == ${z})`,
};
