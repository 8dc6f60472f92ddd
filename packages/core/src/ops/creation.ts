/**
 * Creating tensors from host values and constants, and dtype conversion.
 */
import { type DType, type TypedArray, isDType, typedArrayFor } from '../dtype.js';
import { NerveError } from '../errors.js';
import { getBackend } from '../registry.js';
import { checkElementCount, sizeOf, validateNewShape, validateShape } from '../shape.js';
import type { NestedArray, Tensor } from '../tensor.js';
import { backendOf, describeValue, record, wrap } from './util.js';
import { ready } from '../registry.js';

/** Options of the creation functions (zeros, ones, full, arange, …). */
export interface CreateOptions {
  /** Element type (default 'float32'). */
  dtype?: DType;
  /** Make the new tensor a leaf that autograd tracks (float32 only). */
  requiresGrad?: boolean;
}

/** Options of `tensor()`: a dtype, autograd tracking and a shape for flat values. */
export interface TensorOptions extends CreateOptions {
  /** Shape for flat values (a TypedArray or flat number array). */
  shape?: readonly number[];
}

function checkDType(op: string, dtype: unknown): DType {
  if (!isDType(dtype)) {
    throw new NerveError(op, "a dtype of 'float32', 'int32' or 'bool'", describeValue(dtype));
  }
  return dtype;
}

function finish(t: Tensor, opts?: CreateOptions): Tensor {
  if (opts?.requiresGrad) t.requiresGrad = true;
  return t;
}

/** Walks a nested array, checking it is rectangular; returns shape and flat values. */
function flatten(values: NestedArray): { shape: number[]; flat: (number | boolean)[] } {
  const shape: number[] = [];
  let probe: NestedArray = values;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  const flat: (number | boolean)[] = [];
  const walk = (v: NestedArray, dim: number, path: number[]): void => {
    if (dim === shape.length) {
      if (Array.isArray(v)) {
        throw NerveError.raw(
          'tensor',
          `ragged nested array: expected a number at [${path.join(',')}], received an array`,
        );
      }
      if (typeof v !== 'number' && typeof v !== 'boolean') {
        throw new NerveError(
          'tensor',
          `a number or boolean at [${path.join(',')}]`,
          describeValue(v),
        );
      }
      flat.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      const got = Array.isArray(v) ? `length ${v.length}` : describeValue(v);
      throw NerveError.raw(
        'tensor',
        `ragged nested array: expected length ${shape[dim]} at [${path.join(',')}], received ${got}`,
      );
    }
    for (let i = 0; i < v.length; i++) walk(v[i], dim + 1, [...path, i]);
  };
  walk(values, 0, []);
  return { shape, flat };
}

/**
 * A tensor from nested arrays, a number, or flat values with `shape`.
 * Numbers default to float32, booleans to bool; typed arrays keep their type.
 */
export function tensor(values: NestedArray | TypedArray, opts: TensorOptions = {}): Tensor {
  let shape: number[];
  let host: TypedArray;
  let dtype: DType;
  const isTyped = ArrayBuffer.isView(values);
  if (isTyped || (opts.shape && Array.isArray(values))) {
    const flat = values as TypedArray | number[];
    shape = opts.shape ? validateShape('tensor', opts.shape) : [flat.length];
    if (sizeOf(shape) !== flat.length) {
      throw NerveError.raw(
        'tensor',
        `shape [${shape.join(',')}] needs ${sizeOf(shape)} values, received ${flat.length}`,
      );
    }
    dtype =
      opts.dtype !== undefined
        ? checkDType('tensor', opts.dtype)
        : values instanceof Int32Array
          ? 'int32'
          : values instanceof Uint8Array
            ? 'bool'
            : 'float32';
    if (
      !isTyped &&
      (flat as unknown[]).some((v) => typeof v !== 'number' && typeof v !== 'boolean')
    ) {
      throw new NerveError('tensor', 'numbers or booleans', 'other values');
    }
    host = typedArrayFor(dtype, flat.length);
    if (isTyped && dtype !== 'bool' && host.constructor === flat.constructor) {
      host.set(flat as TypedArray);
    } else {
      for (let i = 0; i < flat.length; i++) host[i] = Number(flat[i]);
    }
  } else {
    if (typeof values !== 'number' && typeof values !== 'boolean' && !Array.isArray(values)) {
      throw new NerveError(
        'tensor',
        'a number, boolean, nested array or typed array',
        describeValue(values),
      );
    }
    const f = flatten(values);
    shape = f.shape;
    if (opts.shape) {
      throw NerveError.raw('tensor', 'the shape option applies only to flat values');
    }
    const allBool = f.flat.length > 0 && f.flat.every((v) => typeof v === 'boolean');
    dtype =
      opts.dtype !== undefined ? checkDType('tensor', opts.dtype) : allBool ? 'bool' : 'float32';
    host = typedArrayFor(dtype, f.flat.length);
    for (let i = 0; i < f.flat.length; i++) host[i] = Number(f.flat[i]);
  }
  if (dtype === 'bool') for (let i = 0; i < host.length; i++) host[i] = host[i] !== 0 ? 1 : 0;
  const backend = getBackend();
  return finish(wrap(backend, backend.upload(host, dtype), shape, dtype), opts);
}

/** A tensor of `shape` filled with `value` (dtype: bool for booleans, else float32). */
export function full(
  shape: readonly number[],
  value: number | boolean,
  opts: CreateOptions = {},
): Tensor {
  return filled('full', shape, value, opts);
}

function filled(
  op: string,
  shape: readonly number[],
  value: number | boolean,
  opts: CreateOptions,
): Tensor {
  const s = validateNewShape(op, shape);
  if (typeof value !== 'number' && typeof value !== 'boolean') {
    throw new NerveError(op, 'a number or boolean fill value', describeValue(value));
  }
  const dtype =
    opts.dtype !== undefined
      ? checkDType(op, opts.dtype)
      : typeof value === 'boolean'
        ? 'bool'
        : 'float32';
  const backend = getBackend();
  const v = dtype === 'bool' ? (value ? 1 : 0) : Number(value);
  return finish(wrap(backend, backend.fill(sizeOf(s), dtype, v), s, dtype), opts);
}

/** A tensor of zeros. */
export const zeros = (shape: readonly number[], opts: CreateOptions = {}): Tensor =>
  filled('zeros', shape, 0, opts);

/** A tensor of ones. */
export const ones = (shape: readonly number[], opts: CreateOptions = {}): Tensor =>
  filled('ones', shape, 1, opts);

/** A tensor like `t` (shape, dtype, backend) filled with `value`. */
export function fullLike(t: Tensor, value: number, dtype: DType = t.dtype): Tensor {
  const backend = backendOf('fullLike', t);
  return wrap(backend, backend.fill(t.size, dtype, value), t.shape, dtype);
}

/** Zeros with the shape and dtype of `t`. */
export const zerosLike = (t: Tensor): Tensor => fullLike(t, 0);
/** Ones with the shape and dtype of `t`. */
export const onesLike = (t: Tensor): Tensor => fullLike(t, 1);

/** Evenly spaced values in [start, stop) with `step`; int32 when all arguments are integers. */
export function arange(start: number, stop?: number, step = 1, opts: CreateOptions = {}): Tensor {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  for (const [name, v] of [
    ['start', start],
    ['stop', stop],
    ['step', step],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new NerveError('arange', `a finite ${name}`, describeValue(v));
    }
  }
  if (step === 0) throw new NerveError('arange', 'a non-zero step', '0');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  checkElementCount('arange', [n]);
  const isInt = Number.isInteger(start) && Number.isInteger(stop) && Number.isInteger(step);
  const dtype = opts.dtype ?? (isInt ? 'int32' : 'float32');
  const host = typedArrayFor(checkDType('arange', dtype), n);
  for (let i = 0; i < n; i++) host[i] = start + i * step;
  const backend = getBackend();
  return finish(wrap(backend, backend.upload(host, dtype), [n], dtype), opts);
}

/** `num` evenly spaced float32 values from start to stop inclusive. */
export function linspace(
  start: number,
  stop: number,
  num: number,
  opts: CreateOptions = {},
): Tensor {
  if (!Number.isFinite(start) || !Number.isFinite(stop)) {
    throw new NerveError('linspace', 'finite start and stop', `${start}, ${stop}`);
  }
  if (!Number.isInteger(num) || num < 0) {
    throw new NerveError('linspace', 'a non-negative integer count', String(num));
  }
  checkElementCount('linspace', [num]);
  const host = new Float32Array(num);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  for (let i = 0; i < num; i++) host[i] = i === num - 1 && num > 1 ? stop : start + i * step;
  const backend = getBackend();
  return finish(wrap(backend, backend.upload(host, 'float32'), [num], 'float32'), opts);
}

/** The n×m identity matrix (m defaults to n). */
export function eye(n: number, m = n, opts: CreateOptions = {}): Tensor {
  validateNewShape('eye', [n, m]);
  const dtype = checkDType('eye', opts.dtype ?? 'float32');
  const host = typedArrayFor(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) host[i * m + i] = 1;
  const backend = getBackend();
  return finish(wrap(backend, backend.upload(host, dtype), [n, m], dtype), opts);
}

/**
 * Converts to `dtype` (float → int truncates toward zero; → bool is x ≠ 0).
 * Returns `x` itself when the dtype already matches, as PyTorch's `.to()` does.
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  const backend = backendOf('cast', x);
  checkDType('cast', dtype);
  if (x.dtype === dtype) return x;
  const out = wrap(
    backend,
    backend.copy(x.view(), { shape: x.shape, inDtype: x.dtype, outDtype: dtype }),
    x.shape,
    dtype,
  );
  // Only float → float would carry a gradient, and that is the identity case above.
  return out;
}

/** A contiguous copy of `x` that autograd passes through. */
export function contiguousCopy(x: Tensor): Tensor {
  const backend = backendOf('contiguous', x);
  const out = wrap(
    backend,
    backend.copy(x.view(), { shape: x.shape, inDtype: x.dtype, outDtype: x.dtype }),
    x.shape,
    x.dtype,
  );
  return record(out, 'contiguous', [x], (dy) => [dy]);
}

/** A copy of `x` with its own buffer (PyTorch's `clone`). */
export const clone = contiguousCopy;

/**
 * A copy of `t` on the backend `name` (PyTorch's `t.to(device)`): the values
 * are read once (the only wait) and uploaded there. Gradients do not flow
 * across the move; the copy is a new leaf. Ops refuse tensors of two
 * backends, so this is the explicit way between them.
 */
export async function toBackend(t: Tensor, name: string): Promise<Tensor> {
  backendOf('toBackend', t);
  const target = await ready(name);
  const values = await t.data();
  return wrap(target, target.upload(values, t.dtype), t.shape, t.dtype);
}
