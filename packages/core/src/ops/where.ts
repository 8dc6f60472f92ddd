/**
 * Selection: `where(cond, a, b)`. Below the elementwise ops, whose gradients
 * use it; `clamp` (which uses comparisons) is in unary.ts.
 */
import { promoteTypes } from '../dtype.js';
import { composite } from '../engine.js';
import { NerveError } from '../errors.js';
import { broadcastShapes, broadcastStrides } from '../shape.js';
import { Tensor } from '../tensor.js';
import { cast } from './creation.js';
import { sumToShape } from './sum-expand.js';
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
    const out = wrap(backend, backend.where(v(cond), v(x), v(y), { shape, dtype }), shape, dtype);
    return record(out, 'where', [x, y], (dy) => [
      x.requiresGrad ? sumToShape(where(cond, dy, 0), x.shape) : null,
      y.requiresGrad ? sumToShape(where(cond, 0, dy), y.shape) : null,
    ]);
  });
}
