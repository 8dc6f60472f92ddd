/**
 * Plumbing shared by every op: input checks, output wrapping, scalar
 * promotion and recording the autograd node.
 */
import type { Backend, DataId } from '../backend.js';
import type { DType } from '../dtype.js';
import { engine } from '../engine.js';
import { NerveError } from '../errors.js';
import { getBackend } from '../registry.js';
import { Tensor } from '../tensor.js';

/** A tensor, or a plain number/boolean that an op turns into a scalar tensor. */
export type TensorLike = Tensor | number | boolean;

/** Checks every input is a live tensor on one backend; returns that backend. */
export function backendOf(op: string, ...ts: Tensor[]): Backend {
  let b: Backend | null = null;
  for (const t of ts) {
    if (!(t instanceof Tensor)) {
      throw new NerveError(op, 'a Tensor', describeValue(t));
    }
    t.assertAlive(op);
    if (b === null) b = t.backend;
    else if (t.backend !== b) {
      throw NerveError.raw(
        op,
        `all tensors must be on one backend, received '${b.name}' and '${t.backend.name}'`,
      );
    }
  }
  return b ?? getBackend();
}

/**
 * A short description of any value for error messages, so every package's
 * errors read alike: `null`, `undefined`, `number NaN`, `"adam"` (a string,
 * quoted, so an empty or padded one shows; cut after 40 characters),
 * `an array of length 3`, `a Float32Array of length 4`, `a Map`, `an object`
 * (a plain one), `a function`, `/re/`, or a tensor's `toString()` (its shape
 * and dtype; also for a tensor of another copy of core).
 */
export function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (x === undefined) return 'undefined';
  if (x instanceof Tensor || (x as { isTensor?: unknown })?.isTensor === true) return String(x);
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (ArrayBuffer.isView(x)) {
    const n = (x as { length?: number }).length;
    return `a ${x.constructor.name}${n === undefined ? '' : ` of length ${n}`}`;
  }
  if (typeof x === 'string') return JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}…` : x);
  if (x instanceof RegExp) return String(x);
  if (typeof x === 'function') return 'a function';
  if (typeof x === 'object') {
    const name = (x as object).constructor?.name;
    return name && name !== 'Object' ? `a ${name}` : 'an object';
  }
  return `${typeof x} ${String(x)}`;
}

/** The file-type questions of Node's `fs.Stats`, which describeFileKind asks (core itself imports no `node:` module). */
export interface FileKindLike {
  /** A regular file. */
  isFile(): boolean;
  /** A directory. */
  isDirectory(): boolean;
  /** A named pipe. */
  isFIFO(): boolean;
  /** A character device. */
  isCharacterDevice(): boolean;
  /** A block device. */
  isBlockDevice(): boolean;
  /** A socket. */
  isSocket(): boolean;
}

/**
 * What a stat says a path is, for loaders that read only regular files:
 * null for a regular file, else `a directory`, `a FIFO (named pipe)`,
 * `a character device`, `a block device`, `a socket` or `not a regular file`.
 */
export function describeFileKind(st: FileKindLike): string | null {
  if (st.isFile()) return null;
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Wraps a buffer a kernel returned as a new contiguous tensor. */
export function wrap(backend: Backend, id: DataId, shape: readonly number[], dtype: DType): Tensor {
  return Tensor.fromData(backend, id, shape, dtype);
}

/** The dtype a bare number or boolean takes next to a tensor of `other` dtype. */
export function scalarDType(v: number | boolean, other: DType): DType {
  if (typeof v === 'boolean') return 'bool';
  if (!Number.isInteger(v)) return 'float32';
  return other === 'float32' ? 'float32' : 'int32';
}

/** A 0-d tensor holding `v`. */
export function scalar(v: number | boolean, dtype: DType, backend: Backend): Tensor {
  return wrap(backend, backend.fill(1, dtype, Number(v)), [], dtype);
}

/** Turns a TensorLike into a tensor, numbers taking a dtype compatible with `like`. */
export function toTensor(op: string, x: TensorLike, like: Tensor | null, backend: Backend): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x === 'number' || typeof x === 'boolean') {
    return scalar(x, scalarDType(x, like?.dtype ?? 'float32'), backend);
  }
  throw new NerveError(op, 'a Tensor, number or boolean', describeValue(x));
}

/**
 * Makes `out` part of the autograd graph when gradients are enabled and any
 * input requires them. `backward` receives the output gradient and returns
 * one gradient per input, shaped like that input (null: none needed).
 */
export function record(
  out: Tensor,
  name: string,
  inputs: readonly Tensor[],
  backward: (dy: Tensor) => (Tensor | null)[],
): Tensor {
  if (!engine.gradEnabled) return out;
  let needed = false;
  for (const t of inputs) if (t.requiresGrad) needed = true;
  if (needed) out.setGradFn({ name, inputs, backward });
  return out;
}

/** Asserts a float32 tensor for ops that only exist in floating point. */
export function requireFloat(op: string, t: Tensor): void {
  if (t.dtype !== 'float32') {
    throw new NerveError(op, 'a float32 tensor', `a ${t.dtype} tensor`);
  }
}

/**
 * The buffer of `x` laid out contiguously from element 0, copying only when
 * it is a strided or offset view. Call `release()` when the kernel is done.
 */
export function contiguousData(x: Tensor): { id: DataId; release: () => void } {
  if (x.isContiguous && x.offset === 0) return { id: x.storage.id, release: () => {} };
  const b = x.backend;
  const id = b.copy(x.view(), { shape: x.shape, inDtype: x.dtype, outDtype: x.dtype });
  return { id, release: () => b.free(id) };
}
