/**
 * Attaches the ops to Tensor as methods (x.add(y).relu().sum()), so both
 * the functional and the chained style work. Declaration merging tells
 * TypeScript about them.
 */
import { type BackwardOptions, backward } from '../autograd.js';
import type { DType } from '../dtype.js';
import { Tensor } from '../tensor.js';
import * as b from './binary.js';
import { expand } from './sum-expand.js';
import { type Conv2dOptions, conv2d } from './conv.js';
import { cast, clone } from './creation.js';
import { gather, indexSelect } from './indexing.js';
import { matmul } from './matmul.js';
import { type Pool2dOptions, avgPool2d, maxPool2d } from './pooling.js';
import * as r from './reduce.js';
import { logSoftmax, softmax } from './softmax.js';
import * as u from './unary.js';
import type { TensorLike } from './util.js';
import * as v from './views.js';
import type { Pair } from './conv-geometry.js';

type Axes = number | readonly number[];

declare module '../tensor.js' {
  interface Tensor {
    /** Elementwise `this + other`, broadcasting shapes (see `add`). */
    add(other: TensorLike): Tensor;
    /** Elementwise `this - other`, broadcasting shapes (see `sub`). */
    sub(other: TensorLike): Tensor;
    /** Elementwise `this * other`, broadcasting shapes (see `mul`). */
    mul(other: TensorLike): Tensor;
    /** Elementwise `this / other`, broadcasting shapes (see `div`). */
    div(other: TensorLike): Tensor;
    /** Elementwise `this ** other`, broadcasting shapes (see `pow`). */
    pow(other: TensorLike): Tensor;
    /** Elementwise larger of `this` and `other` (see `maximum`). */
    maximum(other: TensorLike): Tensor;
    /** Elementwise smaller of `this` and `other` (see `minimum`). */
    minimum(other: TensorLike): Tensor;
    /** 1 where `this == other`, else 0, as a bool tensor (see `eq`). */
    eq(other: TensorLike): Tensor;
    /** 1 where `this != other`, else 0, as a bool tensor (see `ne`). */
    ne(other: TensorLike): Tensor;
    /** 1 where `this < other`, else 0, as a bool tensor (see `lt`). */
    lt(other: TensorLike): Tensor;
    /** 1 where `this <= other`, else 0, as a bool tensor (see `le`). */
    le(other: TensorLike): Tensor;
    /** 1 where `this > other`, else 0, as a bool tensor (see `gt`). */
    gt(other: TensorLike): Tensor;
    /** 1 where `this >= other`, else 0, as a bool tensor (see `ge`). */
    ge(other: TensorLike): Tensor;
    /** Elementwise `-x` (see `neg`). */
    neg(): Tensor;
    /** Elementwise `|x|` (see `abs`). */
    abs(): Tensor;
    /** Elementwise sign: -1, 0 or 1 (see `sign`). */
    sign(): Tensor;
    /** Elementwise `e^x` (see `exp`). */
    exp(): Tensor;
    /** Elementwise natural logarithm (see `log`). */
    log(): Tensor;
    /** Elementwise square root (see `sqrt`). */
    sqrt(): Tensor;
    /** Elementwise `1 / sqrt(x)` (see `rsqrt`). */
    rsqrt(): Tensor;
    /** Elementwise `1 / x` (see `reciprocal`). */
    reciprocal(): Tensor;
    /** Elementwise `x²` (see `square`). */
    square(): Tensor;
    /** Elementwise sine, x in radians (see `sin`). */
    sin(): Tensor;
    /** Elementwise cosine, x in radians (see `cos`). */
    cos(): Tensor;
    /** Elementwise hyperbolic tangent (see `tanh`). */
    tanh(): Tensor;
    /** Elementwise logistic sigmoid `1 / (1 + e^-x)` (see `sigmoid`). */
    sigmoid(): Tensor;
    /** Elementwise `max(x, 0)` (see `relu`). */
    relu(): Tensor;
    /** Elementwise `x` for x ≥ 0, else `negativeSlope · x` (default 0.01; see `leakyRelu`). */
    leakyRelu(negativeSlope?: number): Tensor;
    /** Elementwise ELU: `x` for x > 0, else `alpha · (e^x − 1)` (default alpha 1; see `elu`). */
    elu(alpha?: number): Tensor;
    /** Elementwise SELU with the self-normalizing constants (see `selu`). */
    selu(): Tensor;
    /** Elementwise GELU (see `gelu`). */
    gelu(): Tensor;
    /** Elementwise SiLU (swish), `x · sigmoid(x)` (see `silu`). */
    silu(): Tensor;
    /** Elementwise softplus, `log(1 + e^x)` (see `softplus`). */
    softplus(): Tensor;
    /** Elementwise rounding down (see `floor`). */
    floor(): Tensor;
    /** Elementwise rounding up (see `ceil`). */
    ceil(): Tensor;
    /** Elementwise rounding to the nearest integer (see `round`). */
    round(): Tensor;
    /** Elementwise clamp into `[min, max]`; either bound may be omitted (see `clamp`). */
    clamp(min?: number, max?: number): Tensor;
    /** Sum over `axes` (all when omitted); `keepDims` keeps reduced axes as size 1 (see `sum`). */
    sum(axes?: Axes, opts?: r.ReduceOptions): Tensor;
    /** Mean over `axes` (all when omitted) (see `mean`). */
    mean(axes?: Axes, opts?: r.ReduceOptions): Tensor;
    /** Product over `axes` (all when omitted) (see `prod`). */
    prod(axes?: Axes, opts?: r.ReduceOptions): Tensor;
    /** Maximum over `axes` (all when omitted) (see `max`). */
    max(axes?: Axes, opts?: r.ReduceOptions): Tensor;
    /** Minimum over `axes` (all when omitted) (see `min`). */
    min(axes?: Axes, opts?: r.ReduceOptions): Tensor;
    /** Index of the maximum along `axis` (flattened when omitted), as int32 (see `argmax`). */
    argmax(axis?: number, opts?: r.ReduceOptions): Tensor;
    /** Index of the minimum along `axis` (flattened when omitted), as int32 (see `argmin`). */
    argmin(axis?: number, opts?: r.ReduceOptions): Tensor;
    /** Variance over `axes`; `correction` 1 (default) is the unbiased estimate (see `variance`). */
    var(axes?: Axes, opts?: r.VarianceOptions): Tensor;
    /** Standard deviation over `axes`, the square root of `var` (see `std`). */
    std(axes?: Axes, opts?: r.VarianceOptions): Tensor;
    /** `log(sum(exp(x)))` over `axes`, computed stably (see `logSumExp`). */
    logSumExp(axes?: Axes, opts?: r.ReduceOptions): Tensor;
    /** Softmax along `axis` (default the last) (see `softmax`). */
    softmax(axis?: number): Tensor;
    /** Log of the softmax along `axis` (default the last), computed stably (see `logSoftmax`). */
    logSoftmax(axis?: number): Tensor;
    /** Matrix product with `other` (batched over leading axes) (see `matmul`). */
    matmul(other: Tensor): Tensor;
    /** The same elements in a new shape; one entry may be -1 (see `reshape`). */
    reshape(shape: readonly number[]): Tensor;
    /** Merges axes `startDim..endDim` (default all) into one (see `flatten`). */
    flatten(startDim?: number, endDim?: number): Tensor;
    /** Reorders the axes: output axis i is input axis `axes[i]` (see `permute`). */
    permute(axes: readonly number[]): Tensor;
    /** Swaps two axes (default the last two) (see `transpose`). */
    transpose(dim0?: number, dim1?: number): Tensor;
    /** Broadcasts size-1 axes to `shape` without copying (see `expand`). */
    expand(shape: readonly number[]): Tensor;
    /** The box `[begin, end)` per axis (see `slice`). */
    slice(begin: readonly number[], end?: readonly number[]): Tensor;
    /** `length` elements along `axis` from `start`, a view (see `narrow`). */
    narrow(axis: number, start: number, length: number): Tensor;
    /** Removes size-1 axes (all, or those in `axes`) (see `squeeze`). */
    squeeze(axes?: Axes): Tensor;
    /** Inserts a size-1 axis at `axis` (see `unsqueeze`). */
    unsqueeze(axis: number): Tensor;
    /** This tensor with row-major strides: itself when already contiguous, else a copy. */
    contiguous(): Tensor;
    /** The same values without a gradient history (see `detach`). */
    detach(): Tensor;
    /** A copy with its own storage, recorded by autograd (see `clone`). */
    clone(): Tensor;
    /** The values converted to `dtype` (see `cast`). */
    cast(dtype: DType): Tensor;
    /** Pads each axis by `[before, after]` elements of `value` (default 0) (see `pad`). */
    pad(paddings: readonly (readonly [number, number])[], value?: number): Tensor;
    /** Picks values along `axis` at the positions in `index` (see `gather`). */
    gather(axis: number, index: Tensor): Tensor;
    /** Selects whole slices along `axis` by the int32 positions in `index` (see `indexSelect`). */
    indexSelect(axis: number, index: Tensor): Tensor;
    /**
     * 2-D convolution of an NCHW input with an `[out, in/groups, kh, kw]` weight (see `conv2d`).
     */
    conv2d(weight: Tensor, opts?: Conv2dOptions): Tensor;
    /** 2-D max pooling of an NCHW input (see `maxPool2d`). */
    maxPool2d(kernelSize: Pair, opts?: Pool2dOptions): Tensor;
    /** 2-D average pooling of an NCHW input (see `avgPool2d`). */
    avgPool2d(kernelSize: Pair, opts?: Pool2dOptions): Tensor;
    /** Backpropagates from this tensor (see `backward`); `{ retainGraph: true }` allows a second pass. */
    backward(gradient?: Tensor | BackwardOptions, options?: BackwardOptions): void;
    /** The matrix transpose (last two dimensions). */
    readonly mT: Tensor;
  }
}

const P = Tensor.prototype as unknown as Record<string, unknown>;

for (const name of [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'maximum',
  'minimum',
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
] as const) {
  const fn = b[name];
  P[name] = function (this: Tensor, other: TensorLike) {
    return fn(this, other);
  };
}

for (const name of [
  'neg',
  'abs',
  'sign',
  'exp',
  'log',
  'sqrt',
  'rsqrt',
  'reciprocal',
  'square',
  'sin',
  'cos',
  'tanh',
  'sigmoid',
  'relu',
  'selu',
  'gelu',
  'silu',
  'softplus',
  'floor',
  'ceil',
  'round',
] as const) {
  const fn = u[name];
  P[name] = function (this: Tensor) {
    return fn(this);
  };
}

Object.assign(P, {
  leakyRelu(this: Tensor, s?: number) {
    return u.leakyRelu(this, s);
  },
  elu(this: Tensor, a?: number) {
    return u.elu(this, a);
  },
  clamp(this: Tensor, lo?: number, hi?: number) {
    return u.clamp(this, lo, hi);
  },
  sum(this: Tensor, a?: Axes, o?: r.ReduceOptions) {
    return r.sum(this, a, o);
  },
  mean(this: Tensor, a?: Axes, o?: r.ReduceOptions) {
    return r.mean(this, a, o);
  },
  prod(this: Tensor, a?: Axes, o?: r.ReduceOptions) {
    return r.prod(this, a, o);
  },
  max(this: Tensor, a?: Axes, o?: r.ReduceOptions) {
    return r.max(this, a, o);
  },
  min(this: Tensor, a?: Axes, o?: r.ReduceOptions) {
    return r.min(this, a, o);
  },
  argmax(this: Tensor, a?: number, o?: r.ReduceOptions) {
    return r.argmax(this, a, o);
  },
  argmin(this: Tensor, a?: number, o?: r.ReduceOptions) {
    return r.argmin(this, a, o);
  },
  var(this: Tensor, a?: Axes, o?: r.VarianceOptions) {
    return r.variance(this, a, o);
  },
  std(this: Tensor, a?: Axes, o?: r.VarianceOptions) {
    return r.std(this, a, o);
  },
  logSumExp(this: Tensor, a?: Axes, o?: r.ReduceOptions) {
    return r.logSumExp(this, a, o);
  },
  softmax(this: Tensor, a?: number) {
    return softmax(this, a);
  },
  logSoftmax(this: Tensor, a?: number) {
    return logSoftmax(this, a);
  },
  matmul(this: Tensor, o: Tensor) {
    return matmul(this, o);
  },
  reshape(this: Tensor, s: readonly number[]) {
    return v.reshape(this, s);
  },
  flatten(this: Tensor, s?: number, e?: number) {
    return v.flatten(this, s, e);
  },
  permute(this: Tensor, a: readonly number[]) {
    return v.permute(this, a);
  },
  transpose(this: Tensor, d0?: number, d1?: number) {
    return v.transpose(this, d0, d1);
  },
  expand(this: Tensor, s: readonly number[]) {
    return expand(this, s);
  },
  slice(this: Tensor, bg: readonly number[], e?: readonly number[]) {
    return v.slice(this, bg, e);
  },
  narrow(this: Tensor, a: number, s: number, l: number) {
    return v.narrow(this, a, s, l);
  },
  squeeze(this: Tensor, a?: Axes) {
    return v.squeeze(this, a);
  },
  unsqueeze(this: Tensor, a: number) {
    return v.unsqueeze(this, a);
  },
  contiguous(this: Tensor) {
    return v.contiguous(this);
  },
  detach(this: Tensor) {
    return v.detach(this);
  },
  clone(this: Tensor) {
    return clone(this);
  },
  cast(this: Tensor, d: DType) {
    return cast(this, d);
  },
  pad(this: Tensor, p: readonly (readonly [number, number])[], val?: number) {
    return v.pad(this, p, val);
  },
  gather(this: Tensor, a: number, i: Tensor) {
    return gather(this, a, i);
  },
  indexSelect(this: Tensor, a: number, i: Tensor) {
    return indexSelect(this, a, i);
  },
  conv2d(this: Tensor, w: Tensor, o?: Conv2dOptions) {
    return conv2d(this, w, o);
  },
  maxPool2d(this: Tensor, k: Pair, o?: Pool2dOptions) {
    return maxPool2d(this, k, o);
  },
  avgPool2d(this: Tensor, k: Pair, o?: Pool2dOptions) {
    return avgPool2d(this, k, o);
  },
  backward(this: Tensor, g?: Tensor | BackwardOptions, o?: BackwardOptions) {
    backward(this, g, o);
  },
});

Object.defineProperty(Tensor.prototype, 'mT', {
  get(this: Tensor) {
    return v.transpose(this, -2, -1);
  },
});
