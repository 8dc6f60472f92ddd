/**
 * 2-D convolution (cross-correlation, as in every framework), NCHW.
 * Uses the backend's optional conv kernels when it has all three; otherwise im2col
 * by gather plus matmul, whose gradients autograd derives.
 */
import { composite, optionalKernel } from '../engine.js';
import { NerveError, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { add } from './binary.js';
import { type Pair, convParams, pair, requireNCHW, windowIndex } from './conv-geometry.js';
import { indexSelect } from './indexing.js';
import { matmul } from './matmul.js';
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
  if (bias && (bias.rank !== 1 || bias.shape[0] !== w.shape[0])) {
    throw new NerveError('conv2d', `a bias of shape [${w.shape[0]}]`, fmtShape(bias.shape));
  }
  const p = convParams(
    'conv2d',
    x.shape,
    w.shape[0],
    [w.shape[2], w.shape[3]],
    pair('conv2d', 'stride', opts.stride ?? 1, 1),
    pair('conv2d', 'padding', opts.padding ?? 0, 0),
    pair('conv2d', 'dilation', opts.dilation ?? 1, 1),
  );
  const fwd = optionalKernel(backend, 'conv2d');
  const bwdIn = optionalKernel(backend, 'conv2dBackwardInput');
  const bwdW = optionalKernel(backend, 'conv2dBackwardFilter');
  return composite([x, w, ...(bias ? [bias] : [])], () => {
    let y: Tensor;
    if (fwd && bwdIn && bwdW) {
      const xc = contiguousData(x);
      const wc = contiguousData(w);
      const id = fwd(xc.id, wc.id, p);
      xc.release();
      wc.release();
      y = wrap(backend, id, [p.batch, p.outChannels, p.outHeight, p.outWidth], 'float32');
      record(y, 'conv2d', [x, w], (dy) => {
        const dyc = contiguousData(dy);
        const grads: (Tensor | null)[] = [null, null];
        if (x.requiresGrad) {
          const wc2 = contiguousData(w);
          grads[0] = wrap(backend, bwdIn(dyc.id, wc2.id, p), x.shape, 'float32');
          wc2.release();
        }
        if (w.requiresGrad) {
          const xc2 = contiguousData(x);
          grads[1] = wrap(backend, bwdW(xc2.id, dyc.id, p), w.shape, 'float32');
          xc2.release();
        }
        dyc.release();
        return grads;
      });
    } else {
      y = conv2dByIm2col(x, w, p);
    }
    return bias ? add(y, reshape(bias, [1, p.outChannels, 1, 1])) : y;
  });
}

/**
 * A grouped convolution as one convolution per group on channel slices,
 * joined along the channels: correct on every backend, with gradients by
 * autograd through the slices (a kernel of its own would be faster for
 * depthwise convolutions, where each group is one channel).
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
  if (bias && (bias.rank !== 1 || bias.shape[0] !== o)) {
    throw new NerveError('conv2d', `a bias of shape [${o}]`, fmtShape(bias.shape));
  }
  const og = o / groups;
  const each = { stride: opts.stride, padding: opts.padding, dilation: opts.dilation };
  return composite([x, w, ...(bias ? [bias] : [])], () => {
    const parts: Tensor[] = [];
    for (let g = 0; g < groups; g++) {
      parts.push(conv2d(narrow(x, 1, g * cg, cg), narrow(w, 0, g * og, og), each));
    }
    const y = concat(parts, 1);
    return bias ? add(y, reshape(bias, [1, o, 1, 1])) : y;
  });
}

/** The reference fallback: gather the windows into columns, then one matmul. */
function conv2dByIm2col(x: Tensor, w: Tensor, p: ReturnType<typeof convParams>): Tensor {
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
