/**
 * Joining: concat and stack. Each allocates the output once and copies every
 * input into its region with the backend's `copyInto`. (`pad`, whose
 * gradient is a slice and which is a slice's gradient, lives in views.ts.)
 */
import { promoteTypes } from '../dtype.js';
import { composite } from '../engine.js';
import { NerveError, fmtShape } from '../errors.js';
import { contiguousStrides, normalizeAxis, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { cast } from './creation.js';
import { backendOf, record, wrap } from './util.js';
import { slice, unsqueeze } from './views.js';

/** Joins tensors along an existing axis; other dimensions must match. */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw new NerveError(
      'concat',
      'a non-empty array of tensors',
      Array.isArray(tensors) ? 'an empty array' : String(tensors),
    );
  }
  const backend = backendOf('concat', ...tensors);
  const first = tensors[0];
  const a = normalizeAxis('concat', axis, first.rank);
  for (const t of tensors) {
    const ok =
      t.rank === first.rank &&
      t.shape.every((d: number, i: number) => i === a || d === first.shape[i]);
    if (!ok) {
      throw NerveError.raw(
        'concat',
        `shapes ${tensors.map((x) => fmtShape(x.shape)).join(', ')} differ outside axis ${a}`,
      );
    }
  }
  const dtype = tensors.map((t) => t.dtype).reduce(promoteTypes);
  return composite(tensors, () => {
    const inputs = tensors.map((t) => cast(t, dtype));
    const shape = [...first.shape];
    shape[a] = inputs.reduce((s, t) => s + t.shape[a], 0);
    const strides = contiguousStrides(shape);
    const id = backend.fill(sizeOf(shape), dtype, 0);
    let start = 0;
    const starts: number[] = [];
    for (const t of inputs) {
      starts.push(start);
      if (t.size > 0)
        backend.copyInto({ id, strides, offset: start * strides[a] }, t.view(), {
          shape: t.shape,
          dtype,
        });
      start += t.shape[a];
    }
    const out = wrap(backend, id, shape, dtype);
    return record(out, 'concat', inputs, (dy) =>
      inputs.map((t, i) => {
        if (!t.requiresGrad) return null;
        const begin = shape.map(() => 0);
        const end = [...shape];
        begin[a] = starts[i];
        end[a] = starts[i] + t.shape[a];
        return slice(dy, begin, end);
      }),
    );
  });
}

/** Stacks tensors of one shape along a new axis. */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw new NerveError(
      'stack',
      'a non-empty array of tensors',
      Array.isArray(tensors) ? 'an empty array' : String(tensors),
    );
  }
  backendOf('stack', ...tensors);
  const s0 = tensors[0].shape;
  for (const t of tensors) {
    if (t.shape.join() !== s0.join()) {
      throw NerveError.raw(
        'stack',
        `all tensors must have one shape, received ${tensors.map((x) => fmtShape(x.shape)).join(', ')}`,
      );
    }
  }
  const a = normalizeAxis('stack', axis, s0.length + 1);
  return composite(tensors, () =>
    concat(
      tensors.map((t) => unsqueeze(t, a)),
      a,
    ),
  );
}
