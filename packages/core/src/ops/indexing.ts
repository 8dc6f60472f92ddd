/**
 * Indexing: gather (PyTorch's torch.gather), indexSelect and oneHot.
 */
import { composite } from '../engine.js';
import { NerveError, fmtShape } from '../errors.js';
import { normalizeAxis, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { eq } from './binary.js';
import { arange, cast } from './creation.js';
import { backendOf, contiguousData, record, wrap } from './util.js';
import { slice, unsqueeze } from './views.js';

function requireInt(op: string, index: Tensor): void {
  if (index.dtype !== 'int32') {
    throw new NerveError(op, 'an int32 index tensor', `a ${index.dtype} tensor`);
  }
}

/**
 * out[…, j, …] = x[…, index[…, j, …], …] along `axis`; index has x's rank
 * and its other dimensions may not exceed x's (PyTorch's torch.gather).
 */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  const backend = backendOf('gather', x, index);
  requireInt('gather', index);
  const a = normalizeAxis('gather', axis, x.rank);
  if (index.rank !== x.rank || index.shape.some((d, i) => i !== a && d > x.shape[i])) {
    throw NerveError.raw(
      'gather',
      `index ${fmtShape(index.shape)} must have the rank of input ${fmtShape(x.shape)} and no larger dimension outside axis ${a}`,
    );
  }
  return composite([x], () => {
    // Only the part of x that the index covers outside `axis` takes part.
    const begin = x.shape.map(() => 0);
    const end = x.shape.map((d, i) => (i === a ? d : index.shape[i]));
    const xs = end.every((e, i) => e === x.shape[i]) ? x : slice(x, begin, end);
    const outer = sizeOf(index.shape.slice(0, a));
    const inner = sizeOf(index.shape.slice(a + 1));
    const m = index.shape[a];
    const n = x.shape[a];
    const xc = contiguousData(xs);
    const ic = contiguousData(index);
    const iv = { id: ic.id, strides: [m * inner, inner, 1], offset: 0 };
    let id: object;
    try {
      id = backend.gather(xc.id, iv, { dtype: x.dtype, outer, axisSize: n, indexSize: m, inner });
    } finally {
      xc.release();
    }
    const out = wrap(backend, id, index.shape, x.dtype);
    ic.release();
    return record(out, 'gather', [xs], (dy) => {
      const ic2 = contiguousData(index);
      const dyc = contiguousData(dy);
      const iv2 = { id: ic2.id, strides: [m * inner, inner, 1], offset: 0 };
      const g = backend.scatterAdd(iv2, dyc.id, {
        dtype: dy.dtype,
        outer,
        axisSize: n,
        indexSize: m,
        inner,
      });
      ic2.release();
      dyc.release();
      return [wrap(backend, g, xs.shape, dy.dtype)];
    });
  });
}

/** Selects entries of a 1-D int32 `index` along `axis` (PyTorch's index_select). */
export function indexSelect(x: Tensor, axis: number, index: Tensor): Tensor {
  const backend = backendOf('indexSelect', x, index);
  requireInt('indexSelect', index);
  if (index.rank !== 1) {
    throw new NerveError('indexSelect', 'a 1-D index', `shape ${fmtShape(index.shape)}`);
  }
  const a = normalizeAxis('indexSelect', axis, x.rank);
  const outer = sizeOf(x.shape.slice(0, a));
  const inner = sizeOf(x.shape.slice(a + 1));
  const n = x.shape[a];
  const m = index.shape[0];
  const shape = [...x.shape];
  shape[a] = m;
  // The one index row is broadcast over outer and inner with zero strides.
  const iv = { id: index.storage.id, strides: [0, index.strides[0], 0], offset: index.offset };
  const xc = contiguousData(x);
  let id: object;
  try {
    id = backend.gather(xc.id, iv, { dtype: x.dtype, outer, axisSize: n, indexSize: m, inner });
  } finally {
    xc.release();
  }
  const out = wrap(backend, id, shape, x.dtype);
  return record(out, 'indexSelect', [x], (dy) => {
    index.assertAlive('indexSelect backward');
    const dyc = contiguousData(dy);
    const g = backend.scatterAdd(iv, dyc.id, {
      dtype: dy.dtype,
      outer,
      axisSize: n,
      indexSize: m,
      inner,
    });
    dyc.release();
    return [wrap(backend, g, x.shape, dy.dtype)];
  });
}

/**
 * One-hot encoding of int32 class indices: shape [...indices.shape, numClasses],
 * float32 by default. Indices outside [0, numClasses) are an error where the
 * backend can read synchronously (cpu) and give all-zero rows elsewhere.
 */
export function oneHot(
  indices: Tensor,
  numClasses: number,
  opts: { dtype?: 'float32' | 'int32' | 'bool' } = {},
): Tensor {
  const backend = backendOf('oneHot', indices);
  requireInt('oneHot', indices);
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new NerveError('oneHot', 'a positive integer number of classes', String(numClasses));
  }
  if (backend.readSync && indices.size > 0) {
    const v = indices.dataSync();
    for (let i = 0; i < v.length; i++) {
      if (v[i] < 0 || v[i] >= numClasses) {
        throw new NerveError(
          'oneHot',
          `class indices in [0, ${numClasses})`,
          `${v[i]} at position ${i}`,
        );
      }
    }
  }
  return composite([], () => {
    const classes = arange(numClasses);
    const hot = eq(unsqueeze(indices, -1), classes);
    return cast(hot, opts.dtype ?? 'float32');
  });
}
