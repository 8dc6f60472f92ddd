/** Element types. float32 is the default; int32 holds labels and indices; bool holds masks. */
export type DType = 'float32' | 'int32' | 'bool';

/**
 * The host arrays of the dtypes: Float32Array (float32), Int32Array (int32), Uint8Array (bool, 0 or
 * 1).
 */
export type TypedArray = Float32Array | Int32Array | Uint8Array;

/** Every dtype, in a fixed order. */
export const DTYPES: readonly DType[] = ['float32', 'int32', 'bool'];

/** Bytes per element of each dtype (bool is one byte). */
export const BYTES_PER_ELEMENT: Record<DType, number> = { float32: 4, int32: 4, bool: 1 };

/** The typed array that holds `dtype` on the host. */
export function typedArrayFor(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'bool':
      return new Uint8Array(size);
  }
}

export function isDType(x: unknown): x is DType {
  return x === 'float32' || x === 'int32' || x === 'bool';
}

/** Result dtype of combining two dtypes arithmetically: bool < int32 < float32. */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === 'float32' || b === 'float32') return 'float32';
  if (a === 'int32' || b === 'int32') return 'int32';
  return 'bool';
}
