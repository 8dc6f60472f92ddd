/**
 * @nerve/core/backend — the entry point for backend authors: the Backend
 * contract, the params object of every kernel, the scalar op table a kernel
 * must agree with, and the geometry helpers conv and pooling kernels share.
 * Users import `@nerve/core`; a backend package imports this.
 *
 * ```ts
 * import { type Backend, type ReduceParams, registerBackend } from '@nerve/core/backend';
 * ```
 *
 * @module @nerve/core/backend
 */

// The contract and the types of its kernels.
export type {
  Backend,
  BackendMemory,
  BinaryOp,
  OptionalKernelName,
  OptionalKernels,
  ReduceOp,
  StridedView,
  UnaryOp,
} from './backend.js';
export { OPTIONAL_KERNEL_FALLBACKS, OPTIONAL_KERNEL_NAMES } from './optional-kernels.js';
export type * from './kernel-params.js';

// dtypes and errors a kernel reports.
export {
  type DType,
  type TypedArray,
  BYTES_PER_ELEMENT,
  DTYPES,
  typedArrayFor,
} from './dtype.js';
export { NerveError } from './errors.js';

// What a kernel computes, element by element (the conformance reference too).
export {
  BINARY_SCALAR,
  SELU_CONSTANTS,
  UNARY_SCALAR,
  erf as erfScalar,
  erfc as erfcScalar,
  roundHalfEven,
  sigmoid as sigmoidScalar,
} from './scalar-math.js';

// Shapes, strides and conv/pool geometry.
export { MAX_ELEMENTS, contiguousStrides, sizeOf } from './shape.js';
export { isPointwiseConv, windowIndex } from './ops/conv-geometry.js';

// Registration (a backend package registers itself on import).
export { registerBackend } from './registry.js';
