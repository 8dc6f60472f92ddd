/**
 * The Backend contract: the seam between the tensor core and a device.
 *
 * ## Design
 * A backend owns memory and runs kernels. It knows nothing about autograd,
 * views, layers or training: the core turns every view into an explicit
 * stride description and composes every gradient from the primitives below.
 * The required surface is deliberately small (storage plus about a dozen
 * primitives, each parameterised by an op name from a table in core) so a new
 * backend is quick to write and cannot silently lack a gradient.
 *
 * Optional kernels (conv2d, pooling, softmax, softmax cross-entropy,
 * batch-norm statistics, optimizer updates; see optional-kernels.ts) each
 * have a fallback composed from primitives in core, named beside the kernel;
 * a backend without them still trains, only slower. The conformance suite
 * (`@nerve/core/testing`) checks both paths. On a GPU, small-model training
 * is bound by dispatches, not FLOPs: each of these replaces a chain of
 * primitive kernels (and the scalar fills their constants need) with one or
 * two dispatches.
 *
 * Conventions shared by every method:
 * - Sizes, strides and offsets count elements, not bytes.
 * - Every returned `DataId` is a new buffer owned by the caller, laid out
 *   contiguously (row-major) unless stated otherwise.
 * - A `StridedView` reads element `i0..i(r-1)` of a logical shape at
 *   `offset + Σ ik * strides[k]`; a stride of 0 broadcasts.
 * - Inputs passed as a bare `DataId` are contiguous and start at element 0.
 * - Sizes may be 0; a kernel over an empty tensor returns an empty buffer.
 */
import type { DType, TypedArray } from './dtype.js';
import type { OptionalKernels } from './optional-kernels.js';
import type {
  BinaryParams,
  CopyIntoParams,
  CopyParams,
  DataId,
  GatherParams,
  MatmulParams,
  ReduceParams,
  UnaryParams,
  WhereParams,
} from './kernel-params.js';

export type * from './kernel-params.js';
export {
  FUSED_KERNEL_NAMES,
  type FusedKernels,
  OPTIONAL_KERNEL_FALLBACKS,
  OPTIONAL_KERNEL_NAMES,
  type OptionalKernelName,
  type OptionalKernels,
} from './optional-kernels.js';

/** A read of a buffer through explicit strides (the core's view of a tensor). */
export interface StridedView {
  /** The buffer read. */
  readonly id: DataId;
  /** Elements to step per axis (0 broadcasts). */
  readonly strides: readonly number[];
  /** Index of the first element in the buffer. */
  readonly offset: number;
}

/** Elementwise unary ops; UNARY_OPS in core's ops/unary.ts defines each one's gradient, scalar-math.ts its value. */
export type UnaryOp =
  | 'neg'
  | 'abs'
  | 'sign'
  | 'exp'
  | 'expm1'
  | 'log'
  | 'log1p'
  | 'sqrt'
  | 'rsqrt'
  | 'reciprocal'
  | 'square'
  | 'sin'
  | 'cos'
  | 'tanh'
  | 'sigmoid'
  | 'relu'
  | 'leakyRelu'
  | 'elu'
  | 'selu'
  | 'gelu'
  | 'silu'
  | 'softplus'
  | 'erf'
  | 'floor'
  | 'ceil'
  | 'round'
  | 'logicalNot';

/** Elementwise binary ops; comparisons produce `bool`. */
export type BinaryOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'pow'
  | 'maximum'
  | 'minimum'
  | 'eq'
  | 'ne'
  | 'lt'
  | 'le'
  | 'gt'
  | 'ge'
  | 'logicalAnd'
  | 'logicalOr';

/** Reductions over the middle axis of `[outer, size, inner]`. arg* produce int32. */
export type ReduceOp = 'sum' | 'prod' | 'max' | 'min' | 'argmax' | 'argmin';

/** Bytes and buffer counts a backend reports for itself. */
export interface BackendMemory {
  /** Live buffers. */
  readonly buffers: number;
  /** Bytes held by live buffers. */
  readonly bytes: number;
}

/**
 * What a backend implements: storage, the required primitives below, and any
 * of the optional kernels (see OptionalKernels, each with its fallback in core).
 */
export interface Backend extends OptionalKernels {
  /** Registry name, e.g. `cpu` or `webgpu`. */
  readonly name: string;
  /** Async initialisation (adapter and device for GPUs). Called once by `ready()`. */
  init?(): Promise<void>;

  // ---- storage ------------------------------------------------------------
  /** Copies host values into a new buffer of `dtype` (bool is stored as 0/1). */
  upload(values: TypedArray, dtype: DType): DataId;
  /** New buffer of `size` elements, every one equal to `value`. */
  fill(size: number, dtype: DType, value: number): DataId;
  /**
   * Reads `size` elements back to the host into a new array the caller owns
   * (never the backend's own storage); the only point where a GPU waits.
   */
  read(id: DataId, dtype: DType, size: number): Promise<TypedArray>;
  /** Synchronous read (a new array the caller owns), only where the backend can honestly provide it. */
  readSync?(id: DataId, dtype: DType, size: number): TypedArray;
  /** Releases a buffer. The core never uses the id afterwards. */
  free(id: DataId): void;
  /** Live buffers and bytes this backend holds. */
  memory(): BackendMemory;

  // ---- required primitives -----------------------------------------------
  /** out[i] = op(x[i]) over `p.shape` (see UnaryParams). */
  unary(op: UnaryOp, x: StridedView, p: UnaryParams): DataId;
  /** out[i] = op(a[i], b[i]) over `p.shape`, both inputs of `p.inDtype` (see BinaryParams). */
  binary(op: BinaryOp, a: StridedView, b: StridedView, p: BinaryParams): DataId;
  /** out[i] = cond[i] ? a[i] : b[i]; cond is bool, a and b of `p.dtype` (see WhereParams). */
  where(cond: StridedView, a: StridedView, b: StridedView, p: WhereParams): DataId;
  /** Materialises a strided view as a new contiguous buffer, converting dtype (see CopyParams). */
  copy(x: StridedView, p: CopyParams): DataId;
  /**
   * Writes `src` (read through its strides over `p.shape`) into the region of
   * an existing buffer described by `dst`. Used only on buffers the core has
   * just created (pad, concat), never on a buffer a user can see.
   */
  copyInto(dst: StridedView, src: StridedView, p: CopyIntoParams): void;
  /** Reduces the middle axis of contiguous [outer, size, inner] → [outer, inner] (see ReduceParams). */
  reduce(op: ReduceOp, x: DataId, p: ReduceParams): DataId;
  /** Batched float32 matrix product (see MatmulParams). Output [batch, m, n]. */
  matmul(a: DataId, b: DataId, p: MatmulParams): DataId;
  /**
   * Gather along the middle axis (see GatherParams): x is contiguous
   * [outer, axisSize, inner]; index is an int32 view over
   * [outer, indexSize, inner] with values in [0, axisSize);
   * out[o, j, i] = x[o, index[o, j, i], i], shape [outer, indexSize, inner].
   */
  gather(x: DataId, index: StridedView, p: GatherParams): DataId;
  /**
   * The adjoint of gather, with the same params: out is zeros
   * [outer, axisSize, inner]; out[o, index[o, j, i], i] += src[o, j, i] for
   * src contiguous [outer, indexSize, inner].
   */
  scatterAdd(index: StridedView, src: DataId, p: GatherParams): DataId;
}
