/**
 * Gradient clipping, as torch.nn.utils.clip_grad_norm_ and clip_grad_value_:
 * the gradients are scaled or clamped in place (their tensors keep their
 * identity, so anything holding `p.grad` sees the clipped values).
 */
import {
  NerveError,
  Tensor,
  abs,
  add,
  clamp,
  div,
  keep,
  max,
  mul,
  noGrad,
  pow,
  sqrt,
  square,
  stack,
  sum,
  tidy,
  describeValue,
} from '@nerve/core';
import { checkBool, checkNumber, checkOptions } from './validate.js';

/** The parameters that have a gradient. */
function withGrads(op: string, params: Tensor | Iterable<Tensor>): Tensor[] {
  const list = params instanceof Tensor ? [params] : params;
  if (list === null || typeof list !== 'object' || !(Symbol.iterator in list)) {
    throw new NerveError(op, 'a tensor or an iterable of tensors', describeValue(params));
  }
  const out: Tensor[] = [];
  for (const p of list) {
    if (!(p instanceof Tensor))
      throw new NerveError(op, 'parameters to be tensors', describeValue(p));
    if (p.grad) {
      p.grad.assertAlive(op);
      out.push(p);
    }
  }
  return out;
}

/** Writes `value` into p.grad in place, or replaces a gradient that is a strided view. */
function setGrad(p: Tensor, value: Tensor): void {
  const g = p.grad!;
  if (g.isContiguous && g.offset === 0) {
    g.assign(value);
  } else {
    p.grad = keep(value);
    g.dispose();
  }
}

/** The p-norm of all elements of `g` (p > 0 or Infinity). */
function norm(g: Tensor, p: number): Tensor {
  if (p === Infinity) return max(abs(g));
  if (p === 2) return sqrt(sum(square(g)));
  if (p === 1) return sum(abs(g));
  return pow(sum(pow(abs(g), p)), 1 / p);
}

/** Options of clipGradNorm beyond PyTorch's positional arguments. */
export interface ClipGradNormOptions {
  /** Throw when the total norm is NaN or infinite (nothing is clipped then). Default false. */
  errorIfNonfinite?: boolean;
}

/**
 * Scales all gradients by min(1, maxNorm / (total + 1e-6)), where total is
 * the normType-norm of the norms of every gradient (the norm of all of them
 * concatenated). Returns the total norm before clipping; 0 when no parameter
 * has a gradient. Reads the norm back synchronously (a backend with
 * synchronous reads, such as cpu).
 */
export function clipGradNorm(
  params: Tensor | Iterable<Tensor>,
  maxNorm: number,
  normType = 2,
  opts: ClipGradNormOptions = {},
): number {
  const op = 'clipGradNorm';
  checkNumber(op, 'maxNorm', maxNorm);
  if (typeof normType !== 'number' || !(normType > 0)) {
    throw new NerveError(
      op,
      'normType to be a positive number or Infinity',
      describeValue(normType),
    );
  }
  const o = checkOptions(op, opts, ['errorIfNonfinite']);
  const errorIfNonfinite = checkBool(op, 'errorIfNonfinite', o.errorIfNonfinite ?? false);
  const ps = withGrads(op, params);
  if (ps.length === 0) return 0;
  return noGrad(() =>
    tidy(() => {
      const norms = ps.map((p) => norm(p.grad!, normType));
      const total = norms.length === 1 ? norms[0] : norm(stack(norms), normType);
      const value = total.itemSync();
      if (errorIfNonfinite && !Number.isFinite(value)) {
        throw NerveError.raw(
          op,
          `the total norm of order ${normType} of the gradients is ${value}; nothing was clipped`,
        );
      }
      // Computed on the device in float32, as PyTorch does, so clipped values match bit for bit.
      const coef = clamp(div(maxNorm, add(total, 1e-6)), undefined, 1);
      for (const p of ps) setGrad(p, mul(p.grad!, coef));
      return value;
    }),
  );
}

/** Clamps every gradient element into [−clipValue, clipValue]. */
export function clipGradValue(params: Tensor | Iterable<Tensor>, clipValue: number): void {
  const op = 'clipGradValue';
  checkNumber(op, 'clipValue', clipValue);
  const ps = withGrads(op, params);
  noGrad(() =>
    tidy(() => {
      for (const p of ps) setGrad(p, clamp(p.grad!, -clipValue, clipValue));
    }),
  );
}
