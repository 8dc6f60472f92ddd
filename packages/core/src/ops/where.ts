/**
 * Selection: `where(cond, a, b)` and `clamp`.
 */
import { promoteTypes } from '../dtype.js';
import { composite, noGrad } from '../engine.js';
import { NerveError } from '../errors.js';
import { broadcastShapes, broadcastStrides } from '../shape.js';
import { Tensor } from '../tensor.js';
import { ge, gt, le, logicalAnd, lt } from './binary.js';
import { cast, contiguousCopy } from './creation.js';
import { sumToShape } from './reduce.js';
import { type TensorLike, backendOf, record, toTensor, wrap } from './util.js';

/** Picks a where `cond` is true and b elsewhere, broadcasting all three. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const tensors = [cond, a, b].filter((t): t is Tensor => t instanceof Tensor);
  const backend = backendOf('where', ...tensors);
  if (cond.dtype !== 'bool') {
    throw new NerveError('where', 'a bool condition', `a ${cond.dtype} tensor`);
  }
  return composite(tensors, () => {
    let x = toTensor('where', a, b instanceof Tensor ? b : null, backend);
    let y = toTensor('where', b, x, backend);
    const dtype = promoteTypes(x.dtype, y.dtype);
    if (x.dtype !== dtype) x = cast(x, dtype);
    if (y.dtype !== dtype) y = cast(y, dtype);
    const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, x.shape), y.shape);
    const v = (t: Tensor) => ({
      ...t.view(),
      strides: broadcastStrides(t.shape, t.strides, shape),
    });
    const out = wrap(backend, backend.where(v(cond), v(x), v(y), shape, dtype), shape, dtype);
    return record(out, 'where', [x, y], (dy) => [
      x.requiresGrad ? sumToShape(where(cond, dy, 0), x.shape) : null,
      y.requiresGrad ? sumToShape(where(cond, 0, dy), y.shape) : null,
    ]);
  });
}

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
