/**
 * 2-D convolution (cross-correlation, as in every framework), NCHW.
 * Uses the backend's optional conv kernels when it has all three; otherwise im2col
 * by gather plus matmul, whose gradients autograd derives. A grouped
 * convolution (groups > 1) uses the grouped kernel trio the same way, and
 * otherwise one convolution per group.
 */
import type { Conv2dParams, DataId } from '../backend.js';
import { composite, optionalKernel } from '../engine.js';
import { NerveError, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { add } from './binary.js';
import { type Pair, convParams, pair, requireNCHW, windowIndex } from './conv-geometry.js';
import { indexSelect } from './indexing.js';
import { matmul } from './matmul.js';
import { sumToShape } from './sum-expand.js';
import { backendOf, contiguousData, record, requireFloat, wrap } from './util.js';
import { narrow, pad, reshape } from './views.js';
import { concat } from './concat.js';

/** Options of `conv2d`; each Pair is one number for both axes or [height, width]. */
export interface Conv2dOptions {
  /** Step of the window (default 1). */
  stride?: Pair;
  /** Zero padding on each side (default 0). */
  padding?: Pair;
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
  /** Per-output-channel bias [O]. */
  bias?: Tensor;
  /**
   * Channel groups (PyTorch's `groups`, default 1): input channel group g
   * meets only the output channels of group g, and w is [O, C/groups, KH,
   * KW]. groups = C is a depthwise convolution.
   */
  groups?: number;
}

/** y[n,o] = Σ_c w[o,c] ⋆ x[n,c] (+ bias[o]); x [N,C,H,W], w [O,C/groups,KH,KW]. */
export function conv2d(x: Tensor, w: Tensor, opts: Conv2dOptions = {}): Tensor {
  const backend = backendOf('conv2d', x, w, ...(opts.bias ? [opts.bias] : []));
  requireFloat('conv2d', x);
  requireFloat('conv2d', w);
  requireNCHW('conv2d', 'input', x.shape);
  requireNCHW('conv2d', 'weight', w.shape);
  const groups = opts.groups ?? 1;
  if (groups !== 1) return groupedConv2d(x, w, groups, opts);
  if (x.shape[1] !== w.shape[1]) {
    throw NerveError.raw(
      'conv2d',
      `input ${fmtShape(x.shape)} has ${x.shape[1]} channels but weight ${fmtShape(w.shape)} expects ${w.shape[1]}`,
    );
  }
  const bias = opts.bias;
  requireBias(bias, w.shape[0]);
  const p = geometryOf(x, w, opts);
  const fwd = optionalKernel(backend, 'conv2d');
  const bwdIn = optionalKernel(backend, 'conv2dBackwardInput');
  const bwdW = optionalKernel(backend, 'conv2dBackwardFilter');
  const fused = optionalKernel(backend, 'conv2dBias');
  if (bias && fused && fwd && bwdIn && bwdW && bias.dtype === 'float32') {
    return composite([x, w, bias], () => convBiasByKernels(x, w, bias, p, fused, bwdIn, bwdW));
  }
  return composite([x, w, ...(bias ? [bias] : [])], () => {
    const y =
      fwd && bwdIn && bwdW ? convByKernels(x, w, p, fwd, bwdIn, bwdW) : conv2dByIm2col(x, w, p);
    return bias ? add(y, reshape(bias, [1, p.outChannels, 1, 1])) : y;
  });
}

function requireBias(bias: Tensor | undefined, o: number): void {
  if (bias && (bias.rank !== 1 || bias.shape[0] !== o)) {
    throw new NerveError('conv2d', `a bias of shape [${o}]`, fmtShape(bias.shape));
  }
}

function geometryOf(x: Tensor, w: Tensor, opts: Conv2dOptions): Conv2dParams {
  return convParams(
    'conv2d',
    x.shape,
    w.shape[0],
    [w.shape[2], w.shape[3]],
    pair('conv2d', 'stride', opts.stride ?? 1, 1),
    pair('conv2d', 'padding', opts.padding ?? 0, 0),
    pair('conv2d', 'dilation', opts.dilation ?? 1, 1),
  );
}

type ConvKernel = (a: DataId, b: DataId, p: Conv2dParams) => DataId;

/** fn on the tensors' contiguous data (copies where a tensor is a strided view), released after. */
function onContiguous(ts: Tensor[], fn: (ids: DataId[]) => DataId): DataId {
  const cs = ts.map((t) => contiguousData(t));
  const id = fn(cs.map((c) => c.id));
  for (const c of cs) c.release();
  return id;
}

/** grads[0] = dx, grads[1] = dW from contiguous dy (each only where its tensor requires a gradient). */
function convGrads(
  x: Tensor,
  w: Tensor,
  dy: DataId,
  p: Conv2dParams,
  bwdIn: ConvKernel,
  bwdW: ConvKernel,
  grads: (Tensor | null)[],
): void {
  if (x.requiresGrad) {
    grads[0] = wrap(
      x.backend,
      onContiguous([w], ([wi]) => bwdIn(dy, wi, p)),
      x.shape,
      'float32',
    );
  }
  if (w.requiresGrad) {
    grads[1] = wrap(
      x.backend,
      onContiguous([x], ([xi]) => bwdW(xi, dy, p)),
      w.shape,
      'float32',
    );
  }
}

/**
 * One forward kernel call, and a backward that calls the input and filter
 * gradient kernels (the ungrouped trio, or the grouped one with p.groups).
 */
function convByKernels(
  x: Tensor,
  w: Tensor,
  p: Conv2dParams,
  fwd: ConvKernel,
  bwdIn: ConvKernel,
  bwdW: ConvKernel,
): Tensor {
  const id = onContiguous([x, w], ([xi, wi]) => fwd(xi, wi, p));
  const y = wrap(x.backend, id, [p.batch, p.outChannels, p.outHeight, p.outWidth], 'float32');
  record(y, 'conv2d', [x, w], (dy) => {
    const dyc = contiguousData(dy);
    const grads: (Tensor | null)[] = [null, null];
    convGrads(x, w, dyc.id, p, bwdIn, bwdW, grads);
    dyc.release();
    return grads;
  });
  return y;
}

/**
 * conv2d plus bias in one forward kernel call. The backward is the one the
 * composite (convByKernels, then add with the bias reshaped to [1,O,1,1])
 * records: dy goes to the conv's two gradient kernels unchanged (add's
 * gradient with respect to y is dy), and the bias gets
 * sumToShape(dy, [1,O,1,1]) reshaped to [O], so every gradient is the same
 * computation as the fallback's.
 */
function convBiasByKernels(
  x: Tensor,
  w: Tensor,
  bias: Tensor,
  p: Conv2dParams,
  fwd: (x: DataId, w: DataId, bias: DataId, p: Conv2dParams) => DataId,
  bwdIn: ConvKernel,
  bwdW: ConvKernel,
): Tensor {
  const id = onContiguous([x, w, bias], ([xi, wi, bi]) => fwd(xi, wi, bi, p));
  const y = wrap(x.backend, id, [p.batch, p.outChannels, p.outHeight, p.outWidth], 'float32');
  record(y, 'conv2d', [x, w, bias], (dy) => {
    const grads: (Tensor | null)[] = [null, null, null];
    if (x.requiresGrad || w.requiresGrad) {
      const dyc = contiguousData(dy);
      convGrads(x, w, dyc.id, p, bwdIn, bwdW, grads);
      dyc.release();
    }
    if (bias.requiresGrad) {
      grads[2] = reshape(sumToShape(dy, [1, p.outChannels, 1, 1]), [p.outChannels]);
    }
    return grads;
  });
  return y;
}

/**
 * A grouped convolution: one call of the backend's groupedConv2d kernels
 * when it has all three, else groupedConv2dBySlices.
 */
function groupedConv2d(x: Tensor, w: Tensor, groups: number, opts: Conv2dOptions): Tensor {
  const [o, cg] = w.shape;
  const c = x.shape[1];
  if (!Number.isSafeInteger(groups) || groups < 1) {
    throw new NerveError('conv2d', 'groups a positive integer', String(groups));
  }
  if (c % groups !== 0 || o % groups !== 0) {
    throw NerveError.raw(
      'conv2d',
      `groups ${groups} must divide the input channels (${c}) and the output channels (${o})`,
    );
  }
  if (c !== cg * groups) {
    throw NerveError.raw(
      'conv2d',
      `input ${fmtShape(x.shape)} has ${c} channels but weight ${fmtShape(w.shape)} with groups ${groups} expects ${cg * groups}`,
    );
  }
  const bias = opts.bias;
  requireBias(bias, o);
  const p: Conv2dParams = { ...geometryOf(x, w, opts), groups };
  const backend = x.backend;
  const fwd = optionalKernel(backend, 'groupedConv2d');
  const bwdIn = optionalKernel(backend, 'groupedConv2dBackwardInput');
  const bwdW = optionalKernel(backend, 'groupedConv2dBackwardFilter');
  return composite([x, w, ...(bias ? [bias] : [])], () => {
    const y =
      fwd && bwdIn && bwdW
        ? convByKernels(x, w, p, fwd, bwdIn, bwdW)
        : groupedConv2dBySlices(x, w, groups, opts);
    return bias ? add(y, reshape(bias, [1, o, 1, 1])) : y;
  });
}

/**
 * The fallback of the groupedConv2d kernels: one convolution per group on
 * channel slices, joined along the channels. Correct on every backend, with
 * gradients by autograd through the slices, but `groups` dispatches each way
 * (a depthwise layer of MobileNetV2 has up to 960).
 */
function groupedConv2dBySlices(x: Tensor, w: Tensor, groups: number, opts: Conv2dOptions): Tensor {
  const og = w.shape[0] / groups;
  const cg = w.shape[1];
  const each = { stride: opts.stride, padding: opts.padding, dilation: opts.dilation };
  const parts: Tensor[] = [];
  for (let g = 0; g < groups; g++) {
    parts.push(conv2d(narrow(x, 1, g * cg, cg), narrow(w, 0, g * og, og), each));
  }
  return concat(parts, 1);
}

/** The reference fallback: gather the windows into columns, then one matmul. */
function conv2dByIm2col(x: Tensor, w: Tensor, p: Conv2dParams): Tensor {
  const { batch: n, inChannels: c, outChannels: o } = p;
  const xp =
    p.padH || p.padW
      ? pad(x, [
          [0, 0],
          [0, 0],
          [p.padH, p.padH],
          [p.padW, p.padW],
        ])
      : x;
  const flat = reshape(xp, [n, -1]);
  const idx = windowTensor(x, p, c);
  const cols = reshape(indexSelect(flat, 1, idx), [n, c * p.kernelHeight * p.kernelWidth, -1]);
  const y = matmul(reshape(w, [o, -1]), cols);
  return reshape(y, [n, o, p.outHeight, p.outWidth]);
}

/** The window index (see windowIndex) as an int32 tensor on x's backend. */
export function windowTensor(
  x: Tensor,
  p: ReturnType<typeof convParams>,
  channels: number,
): Tensor {
  const idx = windowIndex(p, channels);
  return wrap(x.backend, x.backend.upload(idx, 'int32'), [idx.length], 'int32');
}
