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
 * Optional fused kernels (conv2d, pooling, softmax, softmax cross-entropy,
 * batch-norm statistics, optimizer updates) have reference fallbacks
 * composed from primitives in core; a backend without them still trains,
 * only slower. The conformance suite (`@nerve/core/testing`) checks both.
 * On a GPU, small-model training is bound by dispatches, not FLOPs: each of
 * these replaces a chain of primitive kernels (and the scalar fills their
 * constants need) with one or two dispatches.
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
import type {
  AdamUpdateParams,
  AdamUpdateResult,
  BatchNormBackwardResult,
  BatchNormParams,
  BatchNormStatsParams,
  BatchNormStatsResult,
  Conv2dParams,
  DataId,
  GatherParams,
  MatmulParams,
  MaxPoolResult,
  ReduceParams,
  RunningStatsUpdate,
  SgdUpdateParams,
  SgdUpdateBuffers,
  SoftmaxCrossEntropyParams,
  SoftmaxParams,
} from './kernel-params.js';

export type * from './kernel-params.js';

/** A read of a buffer through explicit strides (the core's view of a tensor). */
export interface StridedView {
  readonly id: DataId;
  readonly strides: readonly number[];
  readonly offset: number;
}

/** Elementwise unary ops; the core's table (ops/unary-table.ts) defines each one. */
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
  readonly buffers: number;
  readonly bytes: number;
}

/** Optional fused kernels. The core falls back to compositions of primitives when absent. */
export interface FusedKernels {
  /** x [N,C,H,W] float32, w [O,C,KH,KW] → y [N,O,OH,OW]. */
  conv2d?(x: DataId, w: DataId, p: Conv2dParams): DataId;
  /** dy [N,O,OH,OW], w [O,C,KH,KW] → dx [N,C,H,W]. */
  conv2dBackwardInput?(dy: DataId, w: DataId, p: Conv2dParams): DataId;
  /** x [N,C,H,W], dy [N,O,OH,OW] → dw [O,C,KH,KW]. */
  conv2dBackwardFilter?(x: DataId, dy: DataId, p: Conv2dParams): DataId;
  /**
   * Max pooling with implicit -∞ padding. Returns the output [N,C,OH,OW] and,
   * per output, the int32 index of the winning input element within its
   * [H*W] plane (first maximum in window order on ties).
   */
  maxPool2d?(x: DataId, p: Conv2dParams): MaxPoolResult;
  /** Average pooling; padded elements count in the divisor (PyTorch's default). */
  avgPool2d?(x: DataId, p: Conv2dParams): DataId;
  /** Gradient of avgPool2d: dy [N,C,OH,OW] → dx [N,C,H,W]. */
  avgPool2dBackward?(dy: DataId, p: Conv2dParams): DataId;
  /** Softmax over the last axis of a contiguous [outer, n] float32 buffer. */
  softmax?(x: DataId, p: SoftmaxParams): DataId;
  /** Log-softmax over the last axis of a contiguous [outer, n] float32 buffer. */
  logSoftmax?(x: DataId, p: SoftmaxParams): DataId;
  /**
   * Softmax cross-entropy per row, −(1 − ε)·log p[y] − (ε/C)·Σ_c log p[c]
   * with p = softmax(logits row): [rows] for reduction 'none', else one
   * element (sum, or sum / rows). A label outside [0, classes) gives NaN.
   */
  softmaxCrossEntropy?(logits: DataId, labels: DataId, p: SoftmaxCrossEntropyParams): DataId;
  /**
   * Its gradient with respect to the logits, [rows, classes]:
   * g_i·(softmax(x_i) − q_i) with q = (1 − ε)·onehot + ε/C and g_i = dy[i]
   * ('none'), dy[0] ('sum') or dy[0] / rows ('mean').
   */
  softmaxCrossEntropyBackward?(
    logits: DataId,
    labels: DataId,
    dy: DataId,
    p: SoftmaxCrossEntropyParams,
  ): DataId;
  /**
   * Per-channel mean and variance of contiguous [outer, channels, inner]
   * float32 (batch norm's statistics over N and H·W): both [channels] (see
   * BatchNormStatsParams). With `running`, also the updated running averages
   * (see RunningStatsUpdate).
   */
  batchNormStats?(
    x: DataId,
    p: BatchNormStatsParams,
    running?: RunningStatsUpdate | null,
  ): BatchNormStatsResult;
  /**
   * Batch normalization with given statistics, [outer, channels, inner]:
   * y = (x − mean[c])·rsqrt(variance[c] + eps)·weight[c] + bias[c]
   * (weight and bias may be null: 1 and 0).
   */
  batchNormForward?(
    x: DataId,
    mean: DataId,
    variance: DataId,
    weight: DataId | null,
    bias: DataId | null,
    p: BatchNormParams,
  ): DataId;
  /**
   * The gradient of training-mode batch normalization, whose mean and biased
   * variance are the batch's own (Ioffe & Szegedy 2015, section 3):
   * dx = w·σ⁻¹/M·(M·dy − Σdy − x̂·Σ(dy·x̂)), dweight = Σ(dy·x̂), dbias = Σdy,
   * with x̂ = (x − mean)·σ⁻¹, σ⁻¹ = rsqrt(variance + eps), sums per channel.
   */
  batchNormBackward?(
    x: DataId,
    dy: DataId,
    mean: DataId,
    variance: DataId,
    weight: DataId | null,
    p: BatchNormParams,
  ): BatchNormBackwardResult;
  /**
   * One SGD update (see SgdUpdateParams): new param and, when momentum ≠ 0,
   * the new momentum buffer (`momentumBuffer` null on the first step).
   */
  sgdUpdate?(
    param: DataId,
    grad: DataId,
    momentumBuffer: DataId | null,
    p: SgdUpdateParams,
  ): SgdUpdateBuffers;
  /** One Adam/AdamW update (see AdamUpdateParams); maxExpAvgSq only with amsgrad. */
  adamUpdate?(
    param: DataId,
    grad: DataId,
    expAvg: DataId,
    expAvgSq: DataId,
    maxExpAvgSq: DataId | null,
    p: AdamUpdateParams,
  ): AdamUpdateResult;
}

/** Names of the optional fused kernels, for tests that switch them off. */
export const FUSED_KERNEL_NAMES = [
  'conv2d',
  'conv2dBackwardInput',
  'conv2dBackwardFilter',
  'maxPool2d',
  'avgPool2d',
  'avgPool2dBackward',
  'softmax',
  'logSoftmax',
  'softmaxCrossEntropy',
  'softmaxCrossEntropyBackward',
  'batchNormStats',
  'batchNormForward',
  'batchNormBackward',
  'sgdUpdate',
  'adamUpdate',
] as const satisfies readonly (keyof FusedKernels)[];

export interface Backend extends FusedKernels {
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
  /**
   * out[i] = op(x[i]) over `shape`. `inDtype` is the input's dtype; the output
   * is `outDtype` (equal to inDtype except for logicalNot → bool). `param` is
   * the op's scalar parameter (leakyRelu slope, elu alpha).
   */
  unary(
    op: UnaryOp,
    x: StridedView,
    shape: readonly number[],
    inDtype: DType,
    outDtype: DType,
    param?: number,
  ): DataId;
  /** out[i] = op(a[i], b[i]) over `shape`; both inputs share `inDtype`. */
  binary(
    op: BinaryOp,
    a: StridedView,
    b: StridedView,
    shape: readonly number[],
    inDtype: DType,
    outDtype: DType,
  ): DataId;
  /** out[i] = cond[i] ? a[i] : b[i]; cond is bool, a and b share `dtype`. */
  where(
    cond: StridedView,
    a: StridedView,
    b: StridedView,
    shape: readonly number[],
    dtype: DType,
  ): DataId;
  /** Materialises a strided view as a new contiguous buffer, converting dtype. */
  copy(x: StridedView, shape: readonly number[], inDtype: DType, outDtype: DType): DataId;
  /**
   * Writes `src` (read through its strides over `shape`) into the region of an
   * existing buffer described by `dst`. Used only on buffers the core has just
   * created (pad, concat), never on a buffer a user can see.
   */
  copyInto(dst: StridedView, src: StridedView, shape: readonly number[], dtype: DType): void;
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
