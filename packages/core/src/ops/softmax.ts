/**
 * softmax and logSoftmax along an axis, with one kernel where the backend
 * has them and stable compositions (subtract the maximum) where it does not.
 */
import { composite, noGrad, optionalKernel } from '../engine.js';
import { normalizeAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { mul, sub } from './binary.js';
import { div } from './binary.js';
import { max, sum } from './reduce.js';
import { exp, log } from './unary.js';
import { contiguousCopy } from './creation.js';
import { backendOf, contiguousData, record, requireFloat, wrap } from './util.js';
import { transpose } from './views.js';

type Kind = 'softmax' | 'logSoftmax';

function lastAxis(kind: Kind, x: Tensor): Tensor {
  const backend = x.backend;
  const kernel = optionalKernel(backend, kind);
  const n = x.shape[x.rank - 1] ?? 1;
  if (kernel && x.size > 0) {
    const c = contiguousData(x);
    const id = kernel(c.id, { outer: x.size / n, size: n });
    c.release();
    const y = wrap(backend, id, x.shape, 'float32');
    return record(y, kind, [x], (dy) =>
      kind === 'softmax'
        ? [mul(y, sub(dy, sum(mul(dy, y), -1, { keepDims: true })))]
        : [sub(dy, mul(exp(y), sum(dy, -1, { keepDims: true })))],
    );
  }
  // Nothing to normalise over an empty axis; the result is empty too.
  if (x.size === 0) return contiguousCopy(x);
  // The shift is a constant for the gradient. logSoftmax is written as
  // (x − m) − log Σ exp(x − m): adding m back (x − logSumExp) would round away
  // digits when |x| is large.
  const m = noGrad(() => max(x, -1, { keepDims: true }));
  const shifted = sub(x, m);
  const e = exp(shifted);
  if (kind === 'logSoftmax') return sub(shifted, log(sum(e, -1, { keepDims: true })));
  return div(e, sum(e, -1, { keepDims: true }));
}

function along(kind: Kind, x: Tensor, axis: number): Tensor {
  backendOf(kind, x);
  requireFloat(kind, x);
  if (x.rank === 0) return composite([x], () => along(kind, x.reshape([1]), 0).reshape([]));
  const a = normalizeAxis(kind, axis, x.rank);
  return composite([x], () => {
    if (a === x.rank - 1) return lastAxis(kind, x);
    return transpose(lastAxis(kind, transpose(x, a, -1)), a, -1);
  });
}

/** exp(x) / Σ exp(x) along `axis` (the last by default). */
export const softmax = (x: Tensor, axis = -1): Tensor => along('softmax', x, axis);
/** x − log Σ exp(x) along `axis`, without forming the softmax first. */
export const logSoftmax = (x: Tensor, axis = -1): Tensor => along('logSoftmax', x, axis);
