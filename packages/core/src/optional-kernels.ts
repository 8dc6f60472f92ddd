/**
 * The optional kernels of the Backend contract and the fallback core runs for
 * each when a backend lacks it.
 */
import type {
  AdamUpdateParams,
  AdamUpdateResult,
  BatchNormBackwardResult,
  BatchNormParams,
  BatchNormStatsParams,
  BatchNormStatsResult,
  Conv2dParams,
  DataId,
  MaxPoolResult,
  RunningStatsUpdate,
  SgdUpdateBuffers,
  SgdUpdateParams,
  SoftmaxCrossEntropyParams,
  SoftmaxParams,
} from './kernel-params.js';

/**
 * Optional kernels: one dispatch for what core can otherwise compose from the
 * required primitives. Each names its fallback, the core function that runs
 * when a backend lacks the kernel (or inside `withoutOptionalKernels`);
 * OPTIONAL_KERNEL_FALLBACKS below must list every one, so the compiler
 * refuses a new optional kernel without one.
 */
export interface OptionalKernels {
  /**
   * x [N,C,H,W] float32, w [O,C,KH,KW] → y [N,O,OH,OW].
   * Fallback: conv2dByIm2col in ops/conv.ts (im2col windows via indexSelect, then matmul).
   */
  conv2d?(x: DataId, w: DataId, p: Conv2dParams): DataId;
  /**
   * conv2d with the bias added in the same pass: x [N,C,H,W], w [O,C,KH,KW],
   * bias [O] float32 → y[n,o] = conv2d(x, w)[n,o] + bias[o], bit-identical
   * to the conv2d kernel's result plus bias by one float32 add per element.
   * Fallback: the conv2d kernel, then add(y, bias reshaped to [1,O,1,1]) (ops/conv.ts); used only with the conv2d trio.
   */
  conv2dBias?(x: DataId, w: DataId, bias: DataId, p: Conv2dParams): DataId;
  /**
   * dy [N,O,OH,OW], w [O,C,KH,KW] → dx [N,C,H,W].
   * Fallback: autograd through conv2dByIm2col (ops/conv.ts); used only with conv2d and conv2dBackwardFilter.
   */
  conv2dBackwardInput?(dy: DataId, w: DataId, p: Conv2dParams): DataId;
  /**
   * x [N,C,H,W], dy [N,O,OH,OW] → dw [O,C,KH,KW].
   * Fallback: autograd through conv2dByIm2col (ops/conv.ts); used only with conv2d and conv2dBackwardInput.
   */
  conv2dBackwardFilter?(x: DataId, dy: DataId, p: Conv2dParams): DataId;
  /**
   * A grouped convolution (p.groups > 1, see Conv2dParams.groups):
   * x [N,C,H,W], w [O,C/groups,KH,KW] → y [N,O,OH,OW] in one call.
   * Fallback: groupedConv2dBySlices in ops/conv.ts (one conv2d per group on channel slices, joined by concat).
   */
  groupedConv2d?(x: DataId, w: DataId, p: Conv2dParams): DataId;
  /**
   * Its input gradient: dy [N,O,OH,OW], w [O,C/groups,KH,KW] → dx [N,C,H,W].
   * Fallback: autograd through groupedConv2dBySlices (ops/conv.ts); used only with groupedConv2d and groupedConv2dBackwardFilter.
   */
  groupedConv2dBackwardInput?(dy: DataId, w: DataId, p: Conv2dParams): DataId;
  /**
   * Its weight gradient: x [N,C,H,W], dy [N,O,OH,OW] → dw [O,C/groups,KH,KW].
   * Fallback: autograd through groupedConv2dBySlices (ops/conv.ts); used only with groupedConv2d and groupedConv2dBackwardInput.
   */
  groupedConv2dBackwardFilter?(x: DataId, dy: DataId, p: Conv2dParams): DataId;
  /**
   * Max pooling with implicit -∞ padding. Returns the output [N,C,OH,OW] and,
   * per output, the int32 index of the winning input element within its
   * [H*W] plane (first maximum in window order on ties).
   * Fallback: max over windows() in ops/pooling.ts.
   */
  maxPool2d?(x: DataId, p: Conv2dParams): MaxPoolResult;
  /**
   * Gradient of maxPool2d in one pass: dy [N,C,OH,OW] and the int32 indices
   * maxPool2d returned → dx [N,C,H,W], each dy added (in float64, rounded
   * once) at its window's winning element, zeros elsewhere.
   * Fallback: scatterAdd of dy at the indices in ops/pooling.ts; used only with maxPool2d.
   */
  maxPool2dBackward?(dy: DataId, indices: DataId, p: Conv2dParams): DataId;
  /**
   * Average pooling; padded elements count in the divisor (PyTorch's default).
   * Fallback: mean over windows() in ops/pooling.ts; used only with avgPool2dBackward.
   */
  avgPool2d?(x: DataId, p: Conv2dParams): DataId;
  /**
   * Gradient of avgPool2d: dy [N,C,OH,OW] → dx [N,C,H,W].
   * Fallback: autograd through mean over windows() (ops/pooling.ts); used only with avgPool2d.
   */
  avgPool2dBackward?(dy: DataId, p: Conv2dParams): DataId;
  /**
   * Softmax over the last axis of a contiguous [outer, n] float32 buffer.
   * Fallback: lastAxis() in ops/softmax.ts: exp(x − max) / Σ exp(x − max).
   */
  softmax?(x: DataId, p: SoftmaxParams): DataId;
  /**
   * Log-softmax over the last axis of a contiguous [outer, n] float32 buffer.
   * Fallback: lastAxis() in ops/softmax.ts: (x − max) − log Σ exp(x − max).
   */
  logSoftmax?(x: DataId, p: SoftmaxParams): DataId;
  /**
   * Softmax cross-entropy per row, −(1 − ε)·log p[y] − (ε/C)·Σ_c log p[c]
   * with p = softmax(logits row): [rows] for reduction 'none', else one
   * element (sum, or sum / rows). A label outside [0, classes) gives NaN.
   * Fallback: composedCrossEntropy in ops/cross-entropy.ts (logSoftmax, gather); used only with its backward.
   */
  softmaxCrossEntropy?(logits: DataId, labels: DataId, p: SoftmaxCrossEntropyParams): DataId;
  /**
   * Its gradient with respect to the logits, [rows, classes]:
   * g_i·(softmax(x_i) − q_i) with q = (1 − ε)·onehot + ε/C and g_i = dy[i]
   * ('none'), dy[0] ('sum') or dy[0] / rows ('mean').
   * Fallback: autograd through composedCrossEntropy (ops/cross-entropy.ts).
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
   * Fallback: composedStats in ops/batchnorm-stats.ts (mean and variance over axes 0, 2..).
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
   * Fallback: composedBatchNorm in ops/batchnorm.ts; used only with batchNormStats and batchNormBackward.
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
   * Fallback: autograd through composedBatchNorm (ops/batchnorm.ts).
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
   * Fallback: the elementwise formula in sgdUpdate, ops/optim-update.ts.
   */
  sgdUpdate?(
    param: DataId,
    grad: DataId,
    momentumBuffer: DataId | null,
    p: SgdUpdateParams,
  ): SgdUpdateBuffers;
  /**
   * The ReLU gradient in one pass: x and dy contiguous float32 of `size`
   * elements → dx[i] = x[i] ≤ 0 ? +0 : dy[i] (a NaN x passes dy, −0 gives +0).
   * Fallback: where(le(x, 0), 0, dy) in ops/unary.ts (UNARY_OPS.relu.grad).
   */
  reluBackward?(x: DataId, dy: DataId, size: number): DataId;
  /**
   * A float32 sum over the first and last axes of a contiguous [outer, size,
   * inner] buffer → [size] (a conv bias gradient: [N, C, H·W] → [C]), without
   * the permuted copy: the same result as the backend's `reduce('sum')` over
   * the copy [size, outer·inner], whose rows list the terms in (outer, inner) order.
   * Fallback: permute the kept axis first, copy, and reduce (reduceKernel in ops/sum-expand.ts).
   */
  sumOuterInner?(x: DataId, p: { outer: number; size: number; inner: number }): DataId;
  /**
   * One Adam/AdamW update (see AdamUpdateParams); maxExpAvgSq only with amsgrad.
   * Fallback: the elementwise formula in adamUpdate, ops/optim-update.ts.
   */
  adamUpdate?(
    param: DataId,
    grad: DataId,
    expAvg: DataId,
    expAvgSq: DataId,
    maxExpAvgSq: DataId | null,
    p: AdamUpdateParams,
  ): AdamUpdateResult;
}

/** Name of an optional kernel. */
export type OptionalKernelName = keyof OptionalKernels;

/**
 * Each optional kernel's fallback in core (for docs and error messages). The
 * mapped type makes the compiler refuse an optional kernel missing here.
 */
export const OPTIONAL_KERNEL_FALLBACKS: { readonly [K in OptionalKernelName]-?: string } = {
  conv2d: 'conv2dByIm2col in ops/conv.ts (im2col windows via indexSelect, then matmul)',
  conv2dBias:
    'the conv2d kernel, then add(y, bias reshaped to [1,O,1,1]) (ops/conv.ts); used only with the conv2d trio',
  conv2dBackwardInput:
    'autograd through conv2dByIm2col (ops/conv.ts); used only with conv2d and conv2dBackwardFilter',
  conv2dBackwardFilter:
    'autograd through conv2dByIm2col (ops/conv.ts); used only with conv2d and conv2dBackwardInput',
  groupedConv2d:
    'groupedConv2dBySlices in ops/conv.ts (one conv2d per group on channel slices, joined by concat)',
  groupedConv2dBackwardInput:
    'autograd through groupedConv2dBySlices (ops/conv.ts); used only with groupedConv2d and groupedConv2dBackwardFilter',
  groupedConv2dBackwardFilter:
    'autograd through groupedConv2dBySlices (ops/conv.ts); used only with groupedConv2d and groupedConv2dBackwardInput',
  maxPool2d: 'max over windows() in ops/pooling.ts',
  maxPool2dBackward:
    'scatterAdd of dy at the indices of maxPool2d (ops/pooling.ts); used only with maxPool2d',
  avgPool2d: 'mean over windows() in ops/pooling.ts; used only with avgPool2dBackward',
  avgPool2dBackward:
    'autograd through mean over windows() (ops/pooling.ts); used only with avgPool2d',
  softmax: 'lastAxis() in ops/softmax.ts: exp(x − max) / Σ exp(x − max)',
  logSoftmax: 'lastAxis() in ops/softmax.ts: (x − max) − log Σ exp(x − max)',
  softmaxCrossEntropy:
    'composedCrossEntropy in ops/cross-entropy.ts (logSoftmax, gather); used only with its backward',
  softmaxCrossEntropyBackward: 'autograd through composedCrossEntropy (ops/cross-entropy.ts)',
  reluBackward: 'where(le(x, 0), 0, dy) in ops/unary.ts (UNARY_OPS.relu.grad)',
  sumOuterInner: 'permute, copy and reduce in reduceKernel (ops/sum-expand.ts)',
  batchNormStats: 'composedStats in ops/batchnorm-stats.ts (mean and variance over axes 0, 2..)',
  batchNormForward:
    'composedBatchNorm in ops/batchnorm.ts; used only with batchNormStats and batchNormBackward',
  batchNormBackward: 'autograd through composedBatchNorm (ops/batchnorm.ts)',
  sgdUpdate: 'the elementwise formula in sgdUpdate, ops/optim-update.ts',
  adamUpdate: 'the elementwise formula in adamUpdate, ops/optim-update.ts',
};

/** Names of the optional kernels, for tests that switch them off. */
export const OPTIONAL_KERNEL_NAMES = Object.keys(
  OPTIONAL_KERNEL_FALLBACKS,
) as readonly OptionalKernelName[];

/** @deprecated Renamed to OptionalKernels (these kernels are optional, not fusions). */
export type FusedKernels = OptionalKernels;

/** @deprecated Renamed to OPTIONAL_KERNEL_NAMES. */
export const FUSED_KERNEL_NAMES: readonly OptionalKernelName[] = OPTIONAL_KERNEL_NAMES;
