/**
 * Elementwise binary ops with NumPy broadcasting; BINARY_OPS holds each
 * one's dtype rule and gradient.
 * Gradients of broadcast inputs are summed back to the input's shape.
 */
import type { BinaryOp } from '../backend.js';
import { type DType, promoteTypes } from '../dtype.js';
import { composite, tidy } from '../engine.js';
import { Tensor as TensorClass, type Tensor } from '../tensor.js';
import { cast } from './creation.js';
import { binaryKernel, unaryKernel } from './elementwise-kernels.js';
import { sumToShape } from './sum-expand.js';
import { type TensorLike, backendOf, record, toTensor } from './util.js';
import { where } from './where.js';

// Gradients run with recording off, so the unary ones they need (−, x², log)
// are the plain kernels: binary.ts stays below unary.ts, whose gradients use
// binary ops.
const neg = (x: Tensor): Tensor => unaryKernel('neg', x);
const square = (x: Tensor): Tensor => unaryKernel('square', x);
const log = (x: Tensor): Tensor => unaryKernel('log', x);

/** Resolves operands: tensors or scalars, same backend, promoted dtype. */
export function operands(op: string, a: TensorLike, b: TensorLike): [Tensor, Tensor, DType] {
  const ta = a instanceof TensorClass ? a : null;
  const tb = b instanceof TensorClass ? b : null;
  const backend = backendOf(op, ...[ta, tb].filter((t): t is Tensor => t !== null));
  const x = toTensor(op, a, tb, backend);
  const y = toTensor(op, b, ta, backend);
  return [x, y, promoteTypes(x.dtype, y.dtype)];
}

/** Gradients of z = f(x, y) given dz; `out` is z. null: that input gets none. */
type BinaryGrad = (x: Tensor, y: Tensor, out: Tensor, dy: Tensor) => [Tensor | null, Tensor | null];

interface BinaryDef {
  /** Computes in float32 whatever the inputs (true division). */
  readonly float?: boolean;
  /** The gradient, written with other ops; null: a comparison (bool output, no gradient). */
  readonly grad: BinaryGrad | null;
}

/**
 * Every binary op, declared once as a table (as UNARY_OPS in unary.ts): its
 * dtype rule and its gradient. Kernels come from the backend's `binary`
 * primitive; the scalar semantics live in scalar-math.ts (BINARY_SCALAR).
 */
export const BINARY_OPS: Record<BinaryOp, BinaryDef> = {
  add: { grad: (_x, _y, _o, dy) => [dy, dy] },
  sub: { grad: (_x, _y, _o, dy) => [dy, neg(dy)] },
  mul: { grad: (x, y, _o, dy) => [mul(dy, y), mul(dy, x)] },
  div: { float: true, grad: (x, y, _o, dy) => [div(dy, y), neg(div(mul(dy, x), square(y)))] },
  // The gradient with respect to the exponent is taken as 0 where the base is ≤ 0.
  pow: {
    grad: (x, y, out, dy) => [
      mul(dy, mul(y, pow(x, sub(y, 1)))),
      y.requiresGrad ? where(gtRaw(x, 0), mul(dy, mul(out, log(x))), 0) : null,
    ],
  },
  maximum: { grad: (x, y, _o, dy) => splitTies(x, y, dy, 'lt') },
  minimum: { grad: (x, y, _o, dy) => splitTies(x, y, dy, 'gt') },
  eq: { grad: null },
  ne: { grad: null },
  lt: { grad: null },
  le: { grad: null },
  gt: { grad: null },
  ge: { grad: null },
  logicalAnd: { grad: null },
  logicalOr: { grad: null },
};

/** An arithmetic op of the table: promotes, runs the kernel and records the gradient. */
function arith(op: BinaryOp, a: TensorLike, b: TensorLike): Tensor {
  const { grad, float = false } = BINARY_OPS[op];
  if (grad === null) return compare(op, a, b);
  const inputs = [a, b].filter((t): t is Tensor => t instanceof TensorClass);
  return composite(inputs, () => {
    let [x, y, dtype] = operands(op, a, b);
    if (dtype === 'bool' || float) dtype = float ? 'float32' : 'int32';
    if (x.dtype !== dtype) x = cast(x, dtype);
    if (y.dtype !== dtype) y = cast(y, dtype);
    const out = binaryKernel(op, x, y, dtype);
    return record(out, op, [x, y], (dy) => {
      const [gx, gy] = grad(x, y, out, dy);
      return [gx && sumToShape(gx, x.shape), gy && sumToShape(gy, y.shape)];
    });
  });
}

/** a + b */
export function add(a: TensorLike, b: TensorLike): Tensor {
  return arith('add', a, b);
}

/** a − b */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  return arith('sub', a, b);
}

/** a · b */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return arith('mul', a, b);
}

/** a / b, always true (float32) division, as in PyTorch. */
export function div(a: TensorLike, b: TensorLike): Tensor {
  return arith('div', a, b);
}

/** aᵇ. The gradient with respect to b is taken as 0 where a ≤ 0. */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  return arith('pow', a, b);
}

/** Elementwise maximum (NaN if either is NaN); on ties each input receives half the gradient (as PyTorch). */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return arith('maximum', a, b);
}

/** Elementwise minimum (NaN if either is NaN); on ties each input receives half the gradient (as PyTorch). */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return arith('minimum', a, b);
}

/**
 * PyTorch's rule: an input gets dy, half of it on a tie, and nothing where it
 * loses (`loses` compares it with the other input). Where either is NaN no
 * comparison holds, so both get the whole dy, as in PyTorch.
 */
function splitTies(x: Tensor, y: Tensor, dy: Tensor, loses: 'gt' | 'lt'): [Tensor, Tensor] {
  const shared = where(eq(x, y), mul(dy, 0.5), dy);
  const xLoses = loses === 'gt' ? gt(x, y) : lt(x, y);
  const yLoses = loses === 'gt' ? lt(x, y) : gt(x, y);
  return [where(xLoses, 0, shared), where(yLoses, 0, shared)];
}

function compare(op: BinaryOp, a: TensorLike, b: TensorLike): Tensor {
  return tidy(() => {
    let [x, y, dtype] = operands(op, a, b);
    if (x.dtype !== dtype) x = cast(x, dtype);
    if (y.dtype !== dtype) y = cast(y, dtype);
    return binaryKernel(op, x, y, 'bool');
  });
}

function gtRaw(a: Tensor, b: number): Tensor {
  return compare('gt', a, b);
}

/** 1 where `a == b`, else 0, as a bool tensor; broadcasts, no gradient. */
export const eq = (a: TensorLike, b: TensorLike): Tensor => compare('eq', a, b);
/** 1 where `a != b`, else 0, as a bool tensor; broadcasts, no gradient. */
export const ne = (a: TensorLike, b: TensorLike): Tensor => compare('ne', a, b);
/** 1 where `a < b`, else 0, as a bool tensor; broadcasts, no gradient. */
export const lt = (a: TensorLike, b: TensorLike): Tensor => compare('lt', a, b);
/** 1 where `a <= b`, else 0, as a bool tensor; broadcasts, no gradient. */
export const le = (a: TensorLike, b: TensorLike): Tensor => compare('le', a, b);
/** 1 where `a > b`, else 0, as a bool tensor; broadcasts, no gradient. */
export const gt = (a: TensorLike, b: TensorLike): Tensor => compare('gt', a, b);
/** 1 where `a >= b`, else 0, as a bool tensor; broadcasts, no gradient. */
export const ge = (a: TensorLike, b: TensorLike): Tensor => compare('ge', a, b);
/** 1 where both `a` and `b` are non-zero, else 0, as a bool tensor. */
export const logicalAnd = (a: TensorLike, b: TensorLike): Tensor => compare('logicalAnd', a, b);
/** 1 where `a` or `b` is non-zero, else 0, as a bool tensor. */
export const logicalOr = (a: TensorLike, b: TensorLike): Tensor => compare('logicalOr', a, b);
