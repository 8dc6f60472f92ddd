/**
 * Buffer handles and dtype conversion shared by every kernel file.
 */
import type { DataId, DType, TypedArray } from '@nerve/core/backend';
import { NerveError } from '@nerve/core/backend';
import { alloc } from './alloc.js';

/** What a CPU `DataId` really is: a typed array the backend owns. */
export interface CpuData {
  values: TypedArray;
  /** Set by free(); kept on the handle so a double free is detectable. */
  freed: boolean;
  /** Registered for finalization (cpu-backend.ts, `unfreed`): free() unregisters it. */
  watched: boolean;
}

export function wrap(values: TypedArray): CpuData {
  return { values, freed: false, watched: false };
}

/** The typed array behind an id; fails loudly on a freed or foreign handle. */
export function valuesOf(id: DataId, op: string): TypedArray {
  const d = id as Partial<CpuData>;
  if (d.values === undefined) {
    throw new NerveError(op, 'a buffer created by the cpu backend', 'a foreign handle');
  }
  if (d.freed) throw new NerveError(op, 'a live buffer', 'a buffer that was already freed');
  return d.values;
}

/** Whether `v` is already the array type that holds `dtype`. */
export function holds(v: TypedArray, dtype: DType): boolean {
  if (dtype === 'float32') return v instanceof Float32Array;
  if (dtype === 'int32') return v instanceof Int32Array;
  return v instanceof Uint8Array;
}

/** Float32 inputs of float-only kernels (matmul, conv, pool, softmax). */
export function f32Of(id: DataId, op: string): Float32Array {
  const v = valuesOf(id, op);
  if (!(v instanceof Float32Array)) {
    throw new NerveError(op, 'a float32 buffer', v.constructor.name);
  }
  return v;
}

/**
 * Copies host values into a fresh array of `dtype`. Typed-array conversion
 * already rounds to float32 and truncates to int32 (ToInt32); bool needs an
 * explicit test because a Uint8Array would keep 2 and wrap 256 to 0.
 */
export function convertArray(src: ArrayLike<number>, dtype: DType): TypedArray {
  const n = src.length;
  const out = alloc(dtype, n, true);
  if (dtype === 'bool') {
    for (let i = 0; i < n; i++) out[i] = src[i] !== 0 ? 1 : 0;
  } else if (ArrayBuffer.isView(src)) {
    out.set(src as TypedArray);
  } else {
    for (let i = 0; i < n; i++) out[i] = src[i];
  }
  return out;
}
