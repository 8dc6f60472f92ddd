/**
 * Views: reshape, permute, transpose, slice, squeeze. Each shares the
 * input's buffer and only changes shape, strides and offset (reshape copies
 * when the input's strides make a view impossible). Also `pad`, which is not
 * a view but is the gradient of `slice` (and `slice` is its gradient), so the
 * two live together. `expand` is in sum-expand.ts beside `sum`, its gradient.
 */
import { NerveError, fmtShape } from '../errors.js';
import {
  contiguousStrides,
  normalizeAxes,
  normalizeAxis,
  shapesEqual,
  sizeOf,
  validateShape,
} from '../shape.js';
import { Tensor } from '../tensor.js';
import { contiguousCopy } from './creation.js';
import { backendOf, record, wrap } from './util.js';

function makeView(
  x: Tensor,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
): Tensor {
  return new Tensor(x.storage, shape, x.dtype, strides, offset);
}

/** `x` itself when contiguous from its offset; a contiguous copy otherwise. */
export function contiguous(x: Tensor, force = false): Tensor {
  backendOf('contiguous', x);
  if (!force && x.isContiguous) return x;
  return contiguousCopy(x);
}

/** Same values, new shape; one dimension may be -1 (inferred). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  backendOf('reshape', x);
  if (!Array.isArray(shape)) throw new NerveError('reshape', 'a shape array', String(shape));
  const inferred = shape.filter((d) => d === -1).length;
  if (inferred > 1) throw new NerveError('reshape', 'at most one -1 dimension', fmtShape(shape));
  let target = shape.map((d) => (d === -1 ? 1 : d));
  validateShape('reshape', target);
  if (inferred === 1) {
    const known = sizeOf(target);
    if (known === 0 || x.size % known !== 0) {
      throw NerveError.raw('reshape', `cannot reshape ${fmtShape(x.shape)} to ${fmtShape(shape)}`);
    }
    target = shape.map((d) => (d === -1 ? x.size / known : d));
  }
  if (sizeOf(target) !== x.size) {
    throw NerveError.raw(
      'reshape',
      `cannot reshape ${fmtShape(x.shape)} (${x.size} elements) to ${fmtShape(target)} (${sizeOf(target)} elements)`,
    );
  }
  if (shapesEqual(target, x.shape)) return aliasOf(x);
  const backend = x.backend;
  const out = x.isContiguous
    ? makeView(x, target, contiguousStrides(target), x.offset)
    : wrap(
        backend,
        backend.copy(x.view(), { shape: x.shape, inDtype: x.dtype, outDtype: x.dtype }),
        target,
        x.dtype,
      );
  return record(out, 'reshape', [x], (dy) => [reshape(dy, x.shape)]);
}

/** A new tensor object over the same buffer, shape and strides. */
function aliasOf(x: Tensor): Tensor {
  const out = makeView(x, x.shape, x.strides, x.offset);
  return record(out, 'alias', [x], (dy) => [dy]);
}

/** Flattens dimensions startDim..endDim (inclusive) into one. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  backendOf('flatten', x);
  if (x.rank === 0) return reshape(x, [1]);
  const s = normalizeAxis('flatten', startDim, x.rank);
  const e = normalizeAxis('flatten', endDim, x.rank);
  if (s > e) throw new NerveError('flatten', 'startDim ≤ endDim', `${startDim} > ${endDim}`);
  const shape = [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

/** Reorders dimensions: output dim i is input dim axes[i]. */
export function permute(x: Tensor, axes: readonly number[]): Tensor {
  backendOf('permute', x);
  const norm = Array.isArray(axes) ? axes.map((a) => normalizeAxis('permute', a, x.rank)) : [];
  if (norm.length !== x.rank || new Set(norm).size !== x.rank) {
    throw new NerveError(
      'permute',
      `a permutation of ${x.rank} axes`,
      Array.isArray(axes) ? `[${axes.join(',')}]` : String(axes),
    );
  }
  const out = makeView(
    x,
    norm.map((a) => x.shape[a]),
    norm.map((a) => x.strides[a]),
    x.offset,
  );
  const inverse = new Array<number>(x.rank);
  norm.forEach((a, i) => {
    inverse[a] = i;
  });
  return record(out, 'permute', [x], (dy) => [permute(dy, inverse)]);
}

/** Swaps two dimensions (the last two by default, i.e. a matrix transpose). */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  backendOf('transpose', x);
  if (x.rank < 2 && dim0 === -2 && dim1 === -1) return aliasOf(x);
  const a = normalizeAxis('transpose', dim0, x.rank);
  const b = normalizeAxis('transpose', dim1, x.rank);
  const axes = x.shape.map((_, i) => i);
  axes[a] = b;
  axes[b] = a;
  return permute(x, axes);
}

/**
 * Elements begin[i] ≤ j < end[i] along each leading dimension i (negative
 * indices count from the end; end is clamped; missing dims are taken whole).
 */
export function slice(x: Tensor, begin: readonly number[], end?: readonly number[]): Tensor {
  backendOf('slice', x);
  if (!Array.isArray(begin) || begin.length > x.rank || (end && end.length !== begin.length)) {
    throw new NerveError(
      'slice',
      `begin (and end) arrays of equal length ≤ rank ${x.rank}`,
      `begin ${JSON.stringify(begin)}, end ${JSON.stringify(end)}`,
    );
  }
  const starts: number[] = [];
  const sizes: number[] = [];
  x.shape.forEach((n, i) => {
    if (i >= begin.length) {
      starts.push(0);
      sizes.push(n);
      return;
    }
    const b0 = begin[i];
    const e0 = end ? end[i] : n;
    if (!Number.isInteger(b0) || !Number.isInteger(e0)) {
      throw new NerveError('slice', 'integer bounds', `begin ${b0}, end ${e0} at dim ${i}`);
    }
    const b = Math.min(Math.max(b0 < 0 ? b0 + n : b0, 0), n);
    const e = Math.min(Math.max(e0 < 0 ? e0 + n : e0, b), n);
    starts.push(b);
    sizes.push(e - b);
  });
  let offset = x.offset;
  starts.forEach((s, i) => {
    offset += s * x.strides[i];
  });
  const out = makeView(x, sizes, x.strides, offset);
  return record(out, 'slice', [x], (dy) => [
    pad(
      dy,
      starts.map((s, i) => [s, x.shape[i] - s - sizes[i]] as [number, number]),
    ),
  ]);
}

/**
 * Pads every dimension with `value`: paddings[i] = [before, after] for
 * dimension i (one pair per dimension, non-negative).
 */
export function pad(
  x: Tensor,
  paddings: readonly (readonly [number, number])[],
  value = 0,
): Tensor {
  const backend = backendOf('pad', x);
  const valid =
    Array.isArray(paddings) &&
    paddings.length === x.rank &&
    paddings.every(
      (p) => Array.isArray(p) && p.length === 2 && p.every((v) => Number.isInteger(v) && v >= 0),
    );
  if (!valid) {
    throw new NerveError(
      'pad',
      `${x.rank} pairs [before, after] of non-negative integers`,
      JSON.stringify(paddings),
    );
  }
  if (typeof value !== 'number') throw new NerveError('pad', 'a numeric value', typeof value);
  const shape = x.shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
  const strides = contiguousStrides(shape);
  const id = backend.fill(sizeOf(shape), x.dtype, value);
  let offset = 0;
  paddings.forEach(([before], i) => {
    offset += before * strides[i];
  });
  if (x.size > 0)
    backend.copyInto({ id, strides, offset }, x.view(), { shape: x.shape, dtype: x.dtype });
  const out = wrap(backend, id, shape, x.dtype);
  return record(out, 'pad', [x], (dy) => [
    slice(
      dy,
      paddings.map(([b]) => b),
      paddings.map(([b], i) => b + x.shape[i]),
    ),
  ]);
}

/** `length` elements of dimension `axis` from `start` (PyTorch's narrow). */
export function narrow(x: Tensor, axis: number, start: number, length: number): Tensor {
  backendOf('narrow', x);
  const a = normalizeAxis('narrow', axis, x.rank);
  const n = x.shape[a];
  const s = start < 0 ? start + n : start;
  if (!Number.isInteger(s) || !Number.isInteger(length) || s < 0 || length < 0 || s + length > n) {
    throw new NerveError(
      'narrow',
      `a range within [0, ${n}) of dimension ${a}`,
      `start ${start}, length ${length}`,
    );
  }
  const begin = x.shape.map(() => 0);
  const end = [...x.shape];
  begin[a] = s;
  end[a] = s + length;
  return slice(x, begin, end);
}

/** Removes dimensions of size 1 (all of them, or the given axes, which must have size 1). */
export function squeeze(x: Tensor, axes?: number | readonly number[]): Tensor {
  backendOf('squeeze', x);
  const drop =
    axes === undefined
      ? x.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)
      : normalizeAxes('squeeze', axes, x.rank);
  for (const a of drop) {
    if (x.shape[a] !== 1) {
      throw new NerveError(
        'squeeze',
        `dimension ${a} of size 1`,
        `size ${x.shape[a]} in ${fmtShape(x.shape)}`,
      );
    }
  }
  const keepIdx = x.shape.map((_, i) => i).filter((i) => !drop.includes(i));
  const out = makeView(
    x,
    keepIdx.map((i) => x.shape[i]),
    keepIdx.map((i) => x.strides[i]),
    x.offset,
  );
  return record(out, 'squeeze', [x], (dy) => [reshape(dy, x.shape)]);
}

/** Inserts a dimension of size 1 at `axis` (which may be rank, i.e. last). */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  backendOf('unsqueeze', x);
  const a = normalizeAxis('unsqueeze', axis, x.rank + 1);
  const shape = [...x.shape];
  const strides = [...x.strides];
  shape.splice(a, 0, 1);
  strides.splice(a, 0, a < x.rank ? x.strides[a] * x.shape[a] : 1);
  const out = makeView(x, shape, strides, x.offset);
  return record(out, 'unsqueeze', [x], (dy) => [reshape(dy, x.shape)]);
}

/** The same values, cut from the graph: no gradient flows through the result. */
export function detach(x: Tensor): Tensor {
  backendOf('detach', x);
  return makeView(x, x.shape, x.strides, x.offset);
}
