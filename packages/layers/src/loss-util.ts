/**
 * Shared checks of the loss functions: reductions, dtypes, shapes and class
 * targets, each failing with an error that names the loss.
 */
import { NerveError, type Tensor } from '@nerve/core';

/** How per-element losses are combined: averaged, summed, or returned as they are. */
export type Reduction = 'mean' | 'sum' | 'none';

export function checkReduction(op: string, r: unknown): Reduction {
  const v = r ?? 'mean';
  if (v !== 'mean' && v !== 'sum' && v !== 'none') {
    throw new NerveError(op, "reduction 'mean', 'sum' or 'none'", JSON.stringify(r));
  }
  return v;
}

/** Applies the reduction to per-sample (or per-element) losses. */
export function reduce(loss: Tensor, r: Reduction): Tensor {
  return r === 'mean' ? loss.mean() : r === 'sum' ? loss.sum() : loss;
}

const shapeStr = (t: Tensor) => `[${t.shape.join(',')}]`;

export function tensorArg(op: string, name: string, t: unknown): Tensor {
  const x = t as Tensor;
  if (x?.isTensor !== true) throw new NerveError(op, `a Tensor ${name}`, String(t));
  x.assertAlive(op);
  return x;
}

/** A float32 [N, C] tensor (C ≥ 1). */
export function scores(op: string, name: string, t: unknown): Tensor {
  const x = tensorArg(op, name, t);
  if (x.dtype !== 'float32' || x.rank !== 2 || x.shape[1] < 1) {
    throw new NerveError(
      op,
      `${name} as a float32 [N, C] tensor`,
      `a ${x.dtype} tensor ${shapeStr(x)}`,
    );
  }
  return x;
}

/** int32 class indices [N] in [0, C), checked where the backend reads synchronously. */
export function classTarget(op: string, t: unknown, n: number, c: number): Tensor {
  const y = tensorArg(op, 'target', t);
  if (y.dtype !== 'int32' || y.rank !== 1 || y.shape[0] !== n) {
    throw new NerveError(
      op,
      `target as int32 class indices [${n}]`,
      `a ${y.dtype} tensor ${shapeStr(y)}`,
    );
  }
  if (y.backend.readSync && y.size > 0) {
    const v = y.dataSync();
    for (let i = 0; i < v.length; i++) {
      if (v[i] < 0 || v[i] >= c) {
        throw new NerveError(op, `class indices in [0, ${c})`, `${v[i]} at position ${i}`);
      }
    }
  }
  return y;
}

/** A float32 target with exactly the input's shape. */
export function sameShapeTarget(op: string, input: Tensor, t: unknown): Tensor {
  const y = tensorArg(op, 'target', t);
  if (y.dtype !== 'float32' || y.shape.join() !== input.shape.join()) {
    throw new NerveError(
      op,
      `a float32 target of the input's shape ${shapeStr(input)}`,
      `a ${y.dtype} tensor ${shapeStr(y)}`,
    );
  }
  return y;
}

/** A finite number in [lo, hi] (or [lo, hi) with `openHigh`). */
export function numberIn(op: string, name: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) {
    throw new NerveError(op, `${name} in [${lo}, ${hi}]`, String(v));
  }
  return v;
}
