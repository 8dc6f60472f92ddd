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
    add(other: TensorLike): Tensor;
    sub(other: TensorLike): Tensor;
    mul(other: TensorLike): Tensor;
    div(other: TensorLike): Tensor;
    pow(other: TensorLike): Tensor;
    maximum(other: TensorLike): Tensor;
    minimum(other: TensorLike): Tensor;
    eq(other: TensorLike): Tensor;
    ne(other: TensorLike): Tensor;
    lt(other: TensorLike): Tensor;
    le(other: TensorLike): Tensor;
    gt(other: TensorLike): Tensor;
    ge(other: TensorLike): Tensor;
    neg(): Tensor;
    abs(): Tensor;
    sign(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    rsqrt(): Tensor;
    reciprocal(): Tensor;
    square(): Tensor;
    sin(): Tensor;
    cos(): Tensor;
    tanh(): Tensor;
    sigmoid(): Tensor;
    relu(): Tensor;
    leakyRelu(negativeSlope?: number): Tensor;
    elu(alpha?: number): Tensor;
    selu(): Tensor;
    gelu(): Tensor;
    silu(): Tensor;
    softplus(): Tensor;
    floor(): Tensor;
    ceil(): Tensor;
    round(): Tensor;
    clamp(min?: number, max?: number): Tensor;
    sum(axes?: Axes, opts?: r.ReduceOptions): Tensor;
    mean(axes?: Axes, opts?: r.ReduceOptions): Tensor;
    prod(axes?: Axes, opts?: r.ReduceOptions): Tensor;
    max(axes?: Axes, opts?: r.ReduceOptions): Tensor;
    min(axes?: Axes, opts?: r.ReduceOptions): Tensor;
    argmax(axis?: number, opts?: r.ReduceOptions): Tensor;
    argmin(axis?: number, opts?: r.ReduceOptions): Tensor;
    var(axes?: Axes, opts?: r.VarianceOptions): Tensor;
    std(axes?: Axes, opts?: r.VarianceOptions): Tensor;
    logSumExp(axes?: Axes, opts?: r.ReduceOptions): Tensor;
    softmax(axis?: number): Tensor;
    logSoftmax(axis?: number): Tensor;
    matmul(other: Tensor): Tensor;
    reshape(shape: readonly number[]): Tensor;
    flatten(startDim?: number, endDim?: number): Tensor;
    permute(axes: readonly number[]): Tensor;
    transpose(dim0?: number, dim1?: number): Tensor;
    expand(shape: readonly number[]): Tensor;
    slice(begin: readonly number[], end?: readonly number[]): Tensor;
    narrow(axis: number, start: number, length: number): Tensor;
    squeeze(axes?: Axes): Tensor;
    unsqueeze(axis: number): Tensor;
    contiguous(): Tensor;
    detach(): Tensor;
    clone(): Tensor;
    cast(dtype: DType): Tensor;
    pad(paddings: readonly (readonly [number, number])[], value?: number): Tensor;
    gather(axis: number, index: Tensor): Tensor;
    indexSelect(axis: number, index: Tensor): Tensor;
    conv2d(weight: Tensor, opts?: Conv2dOptions): Tensor;
    maxPool2d(kernelSize: Pair, opts?: Pool2dOptions): Tensor;
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
