/**
 * The parameters of each backend kernel, one named object per kernel: the
 * buffers a kernel reads are its positional arguments, everything else
 * (geometry, dtype, hyperparameters) travels in its params object. Backends
 * and core both import these, so a signature is stated once.
 */
import type { DType } from './dtype.js';

/** Opaque handle to a buffer that a backend owns. */
export type DataId = object;

/**
 * An elementwise unary op (UnaryOp; UNARY_OPS in core's ops/unary.ts) read
 * through a strided view over `shape`.
 */
export interface UnaryParams {
  /** The logical shape the view is read over, and the output's shape. */
  readonly shape: readonly number[];
  /** The input's dtype. */
  readonly inDtype: DType;
  /** The output's dtype: inDtype, except bool for logicalNot. */
  readonly outDtype: DType;
  /** The op's scalar parameter (leakyRelu's slope, elu's alpha); absent or 0 for the others. */
  readonly param?: number;
}

/** An elementwise binary op (BinaryOp) of two strided views broadcast over `shape`. */
export interface BinaryParams {
  /** The broadcast shape both views are read over, and the output's shape. */
  readonly shape: readonly number[];
  /** The dtype of both inputs (core promotes them first). */
  readonly inDtype: DType;
  /** The output's dtype: inDtype, except bool for comparisons and logical ops. */
  readonly outDtype: DType;
}

/** Selection `cond ? a : b` of three strided views broadcast over `shape`. */
export interface WhereParams {
  /** The broadcast shape all three views are read over, and the output's shape. */
  readonly shape: readonly number[];
  /** The dtype of a, b and the output (cond is bool). */
  readonly dtype: DType;
}

/** A strided view made contiguous, converting its dtype (a cast when they differ). */
export interface CopyParams {
  /** The logical shape the view is read over, and the output's shape. */
  readonly shape: readonly number[];
  /** The source view's dtype. */
  readonly inDtype: DType;
  /** The output's dtype. */
  readonly outDtype: DType;
}

/** A strided source written into a strided region of an existing buffer, same dtype. */
export interface CopyIntoParams {
  /** The logical shape both views describe. */
  readonly shape: readonly number[];
  /** The dtype of both views. */
  readonly dtype: DType;
}

/** Batched matrix product `C[b] = op(A[b]) · op(B[b])`, float32. */
export interface MatmulParams {
  /** Number of output matrices. */
  readonly batch: number;
  /** Rows of op(A) and of C. */
  readonly m: number;
  /** Columns of op(A), rows of op(B): the summed dimension. */
  readonly k: number;
  /** Columns of op(B) and of C. */
  readonly n: number;
  /** A is stored as [k, m] per batch (read transposed) instead of [m, k]. */
  readonly transA: boolean;
  /** B is stored as [n, k] per batch (read transposed) instead of [k, n]. */
  readonly transB: boolean;
  /** Elements between consecutive A matrices; 0 broadcasts one matrix over the batch. */
  readonly aBatchStride: number;
  /** Elements between consecutive B matrices; 0 broadcasts one matrix over the batch. */
  readonly bBatchStride: number;
}

/**
 * Geometry of a 2-D convolution or pooling window, NCHW layout.
 * Output size: `oh = floor((h + 2*padH - dilationH*(kh-1) - 1) / strideH) + 1`.
 */
export interface Conv2dParams {
  /** N: images in the batch. */
  readonly batch: number;
  /** C: input channels. */
  readonly inChannels: number;
  /** H: input height in pixels. */
  readonly inHeight: number;
  /** W: input width in pixels. */
  readonly inWidth: number;
  /** Output channels (equals inChannels for pooling). */
  readonly outChannels: number;
  /** kh: window height. */
  readonly kernelHeight: number;
  /** kw: window width. */
  readonly kernelWidth: number;
  /** oh: output height. */
  readonly outHeight: number;
  /** ow: output width. */
  readonly outWidth: number;
  /** Vertical step of the window. */
  readonly strideH: number;
  /** Horizontal step of the window. */
  readonly strideW: number;
  /** Zero padding added above and below. */
  readonly padH: number;
  /** Zero padding added left and right. */
  readonly padW: number;
  /** Vertical spacing between window taps (1: dense). */
  readonly dilationH: number;
  /** Horizontal spacing between window taps (1: dense). */
  readonly dilationW: number;
  /**
   * Channel groups of a convolution (absent: 1). Only the grouped conv
   * kernels (groupedConv2d and its gradients) receive groups > 1: input
   * channels [g·C/groups, (g+1)·C/groups) meet only output channels
   * [g·O/groups, (g+1)·O/groups), and the weight is [O, C/groups, KH, KW].
   * groups = C is a depthwise convolution.
   */
  readonly groups?: number;
}

/** How per-row losses are combined: kept ([rows]), summed or averaged (one element). */
export type LossReduction = 'none' | 'sum' | 'mean';

/** Softmax cross-entropy of float32 logits [rows, classes] against int32 labels [rows]. */
export interface SoftmaxCrossEntropyParams {
  /** Rows (examples) of the logits. */
  readonly rows: number;
  /** Classes: the length of each row. */
  readonly classes: number;
  /** ε in [0, 1]: the target is (1 − ε)·onehot + ε/classes. */
  readonly labelSmoothing: number;
  /** How the per-row losses are combined. */
  readonly reduction: LossReduction;
}

/** Geometry of batch normalization over contiguous [outer, channels, inner]. */
export interface BatchNormParams {
  /** Product of the axes before the channel axis. */
  readonly outer: number;
  /** Channels (the normalised axis). */
  readonly channels: number;
  /** Product of the axes after the channel axis. */
  readonly inner: number;
  /** Added to the variance before the square root. */
  readonly eps: number;
}

/**
 * Running averages that batchNormStats updates in the same pass (PyTorch's
 * rule): runningMean·(1 − m) + mean·m and
 * runningVariance·(1 − m) + (variance·count/(count − 1))·m, with the
 * variance of this batch (correction 0) made unbiased.
 */
export interface RunningStatsUpdate {
  /** Running mean buffer [channels], updated in place. */
  readonly mean: DataId;
  /** Running variance buffer [channels], updated in place. */
  readonly variance: DataId;
  /** Weight m of the new batch statistic in the running average. */
  readonly momentum: number;
}

/**
 * SGD hyperparameters of one update of `size` elements (torch.optim.SGD):
 * d = g + wd·p; b = μ·b + (1 − dampening)·d (b = d on the first step);
 * d = d + μ·b (Nesterov) or b; p = p − lr·d. momentum 0: no buffer.
 */
export interface SgdUpdateParams {
  /** Number of parameter elements. */
  readonly size: number;
  /** Learning rate. */
  readonly lr: number;
  /** Momentum μ (0: plain SGD, no buffer). */
  readonly momentum: number;
  /** Dampening of the gradient added to the momentum buffer. */
  readonly dampening: number;
  /** L2 weight decay wd, added to the gradient as wd·p. */
  readonly weightDecay: number;
  /** Nesterov momentum. */
  readonly nesterov: boolean;
}

/**
 * Adam hyperparameters of one update of `size` elements (torch.optim.Adam and
 * AdamW): step is the 1-based step count after this update, used for the
 * bias corrections 1 − β₁ᵗ and 1 − β₂ᵗ.
 */
export interface AdamUpdateParams {
  /** Number of parameter elements. */
  readonly size: number;
  /** Learning rate. */
  readonly lr: number;
  /** β₁: decay of the first-moment (mean) average. */
  readonly beta1: number;
  /** β₂: decay of the second-moment (uncentred variance) average. */
  readonly beta2: number;
  /** ε added to the denominator. */
  readonly eps: number;
  /** Weight decay wd (L2, or decoupled for AdamW). */
  readonly weightDecay: number;
  /** AdamW: p ← p·(1 − lr·wd) first, instead of adding wd·p to the gradient. */
  readonly decoupledWeightDecay: boolean;
  /** AMSGrad: divide by the running maximum of the second moment. */
  readonly amsgrad: boolean;
  /** The 1-based step count after this update. */
  readonly step: number;
}

/** New buffers of one Adam update (null where the setting keeps no such state). */
export interface AdamUpdateResult {
  /** The updated parameter. */
  param: DataId;
  /** The updated first-moment average. */
  expAvg: DataId;
  /** The updated second-moment average. */
  expAvgSq: DataId;
  /** The updated running maximum of the second moment (AMSGrad), else null. */
  maxExpAvgSq: DataId | null;
}

/** Reduction of the middle axis of contiguous [outer, size, inner] → [outer, inner]. */
export interface ReduceParams {
  /** The input's dtype (arg* reductions produce int32, the others keep it). */
  readonly dtype: DType;
  /** Product of the axes before the reduced axis. */
  readonly outer: number;
  /** Length of the reduced axis. */
  readonly size: number;
  /** Product of the axes after the reduced axis. */
  readonly inner: number;
}

/**
 * Geometry shared by gather and its adjoint scatterAdd, along the middle axis:
 * the data side is [outer, axisSize, inner] (gather's input, scatterAdd's
 * output) and the index side is [outer, indexSize, inner] (the index, gather's
 * output, scatterAdd's source). One type for both, so the two cannot disagree
 * on which length is which.
 */
export interface GatherParams {
  /** dtype of the data (the index is always int32). */
  readonly dtype: DType;
  /** Product of the axes before the gathered axis. */
  readonly outer: number;
  /** Length of the data axis; index values lie in [0, axisSize). */
  readonly axisSize: number;
  /** Length of the index axis. */
  readonly indexSize: number;
  /** Product of the axes after the gathered axis. */
  readonly inner: number;
}

/** (Log-)softmax over the last axis of a contiguous float32 [outer, size] buffer. */
export interface SoftmaxParams {
  /** Number of rows. */
  readonly outer: number;
  /** Length of the normalised (last) axis. */
  readonly size: number;
}

/**
 * Per-channel batch statistics of contiguous float32 [outer, channels, inner]:
 * the variance divides by count − correction (0: biased, 1: unbiased).
 */
export interface BatchNormStatsParams {
  /** Product of the axes before the channel axis. */
  readonly outer: number;
  /** Channels: one statistic each. */
  readonly channels: number;
  /** Product of the axes after the channel axis. */
  readonly inner: number;
  /** Subtracted from the count in the variance's divisor. */
  readonly correction: number;
}

/** Result of batchNormStats: [channels] each; the running averages only when asked for. */
export interface BatchNormStatsResult {
  /** Per-channel mean [channels]. */
  mean: DataId;
  /** Per-channel variance [channels] (divided by count − correction). */
  variance: DataId;
  /** Updated running mean, when a RunningStatsUpdate was given. */
  runningMean?: DataId;
  /** Updated running variance, when a RunningStatsUpdate was given. */
  runningVariance?: DataId;
}

/** Result of maxPool2d: the output and, per output, the int32 winner index in its plane. */
export interface MaxPoolResult {
  /** The pooled output. */
  out: DataId;
  /** Per output, the int32 index of the winning input within its H·W plane. */
  indices: DataId;
}

/** Result of batchNormBackward: the gradients of input, weight and bias. */
export interface BatchNormBackwardResult {
  /** Gradient of the input. */
  dx: DataId;
  /** Gradient of the weight (gamma) [channels]. */
  dweight: DataId;
  /** Gradient of the bias (beta) [channels]. */
  dbias: DataId;
}

/** Result of sgdUpdate: new param and momentum buffer (null when momentum is 0). */
export interface SgdUpdateBuffers {
  /** The updated parameter. */
  param: DataId;
  /** The updated momentum buffer, or null when momentum is 0. */
  momentumBuffer: DataId | null;
}
