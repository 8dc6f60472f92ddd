/**
 * Pooling and reshaping layers: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d,
 * GlobalAvgPool2d, Flatten.
 */
import {
  NerveError,
  type Pair,
  type Tensor,
  avgPool2d,
  concat,
  maxPool2d,
  mean,
  narrow,
  reshape,
} from '@nerve/core';
import { Module } from './module.js';
import { pairArg, requireInput, run } from './util.js';

/** Options of `MaxPool2d`. */
export interface MaxPool2dOptions {
  /** Defaults to the kernel size, as in PyTorch. */
  stride?: Pair;
  /** Padding with −∞, at most half the kernel. */
  padding?: Pair;
  /** Spacing between window taps (default 1). */
  dilation?: Pair;
}

function checkPadding(op: string, k: [number, number], p: [number, number]): void {
  if (p[0] > k[0] / 2 || p[1] > k[1] / 2) {
    throw new NerveError(op, `padding at most half the kernel size ${k.join('×')}`, p.join(','));
  }
}

/** Maximum over each window of [N, C, H, W] (PyTorch's MaxPool2d, ceilMode false). */
export class MaxPool2d extends Module {
  /** [height, width] of the window. */
  readonly kernelSize: [number, number];
  /** [height, width] step of the window. */
  readonly stride: [number, number];
  /** [height, width] padding with −∞. */
  readonly padding: [number, number];
  /** [height, width] spacing between window taps. */
  readonly dilation: [number, number];

  constructor(kernelSize: Pair, opts: MaxPool2dOptions = {}) {
    super();
    this.kernelSize = pairArg('MaxPool2d', 'kernelSize', kernelSize, 1);
    this.stride = pairArg('MaxPool2d', 'stride', opts.stride ?? this.kernelSize, 1);
    this.padding = pairArg('MaxPool2d', 'padding', opts.padding ?? 0, 0);
    this.dilation = pairArg('MaxPool2d', 'dilation', opts.dilation ?? 1, 1);
    checkPadding('MaxPool2d', this.kernelSize, this.padding);
  }

  forward(x: Tensor): Tensor {
    requireInput('MaxPool2d', x, '[N, C, H, W]', (t) => t.rank === 4);
    return run([x], () =>
      maxPool2d(x, this.kernelSize, {
        stride: this.stride,
        padding: this.padding,
        dilation: this.dilation,
      }),
    );
  }
}

/** Options of `AvgPool2d`. */
export interface AvgPool2dOptions {
  /** Defaults to the kernel size, as in PyTorch. */
  stride?: Pair;
  /** Zero padding, counted in the divisor (PyTorch's countIncludePad = true). */
  padding?: Pair;
}

/** Mean over each window of [N, C, H, W] (PyTorch's AvgPool2d defaults). */
export class AvgPool2d extends Module {
  /** [height, width] of the window. */
  readonly kernelSize: [number, number];
  /** [height, width] step of the window. */
  readonly stride: [number, number];
  /** [height, width] zero padding, counted in the divisor. */
  readonly padding: [number, number];

  constructor(kernelSize: Pair, opts: AvgPool2dOptions = {}) {
    super();
    this.kernelSize = pairArg('AvgPool2d', 'kernelSize', kernelSize, 1);
    this.stride = pairArg('AvgPool2d', 'stride', opts.stride ?? this.kernelSize, 1);
    this.padding = pairArg('AvgPool2d', 'padding', opts.padding ?? 0, 0);
    checkPadding('AvgPool2d', this.kernelSize, this.padding);
  }

  forward(x: Tensor): Tensor {
    requireInput('AvgPool2d', x, '[N, C, H, W]', (t) => t.rank === 4);
    return run([x], () =>
      avgPool2d(x, this.kernelSize, { stride: this.stride, padding: this.padding }),
    );
  }
}

/**
 * Global average pooling: the mean of each channel over its whole plane,
 * [N, C, H, W] → [N, C] (Lin et al. 2014; Keras's GlobalAveragePooling2D,
 * PyTorch's AdaptiveAvgPool2d(1) followed by Flatten). The output has one
 * value per channel whatever the input's height and width, so a classifier
 * on top needs no Flatten and has C inputs.
 */
export class GlobalAvgPool2d extends Module {
  forward(x: Tensor): Tensor {
    requireInput('GlobalAvgPool2d', x, '[N, C, H, W]', (t) => t.rank === 4);
    return run([x], () => mean(x, [2, 3]));
  }
}

/**
 * Average pooling to a fixed output size whatever the input's (PyTorch's
 * AdaptiveAvgPool2d): output cell i of H covers input rows
 * ⌊i·H/out⌋ … ⌈(i+1)·H/out⌉ − 1, so bins may overlap by one when out does not
 * divide H. [N, C, H, W] → [N, C, outH, outW]. outputSize 1 is global
 * average pooling that keeps the 1×1 plane (torchvision's ResNet and
 * MobileNet then flatten).
 */
export class AdaptiveAvgPool2d extends Module {
  /** [outH, outW] of the output plane. */
  readonly outputSize: [number, number];

  constructor(outputSize: Pair) {
    super();
    this.outputSize = pairArg('AdaptiveAvgPool2d', 'outputSize', outputSize, 1);
  }

  forward(x: Tensor): Tensor {
    requireInput('AdaptiveAvgPool2d', x, '[N, C, H, W]', (t) => t.rank === 4);
    const [oh, ow] = this.outputSize;
    const [n, c, h, w] = x.shape;
    return run([x], () => {
      if (h % oh === 0 && w % ow === 0) {
        // Equal, disjoint bins: one reshape and one mean.
        const bins = reshape(x, [n, c, oh, h / oh, ow, w / ow]);
        return mean(bins, [3, 5]);
      }
      // Rows then columns: each bin is a rectangle, so the mean of its row
      // means is its mean.
      const rows = adaptiveMeans(x, 2, h, oh);
      return adaptiveMeans(rows, 3, w, ow);
    });
  }
}

/** The adaptive bins' means along one axis (of length `size`), `out` of them, kept as that axis. */
function adaptiveMeans(x: Tensor, axis: number, size: number, out: number): Tensor {
  const parts: Tensor[] = [];
  for (let i = 0; i < out; i++) {
    const start = Math.floor((i * size) / out);
    const end = Math.ceil(((i + 1) * size) / out);
    parts.push(mean(narrow(x, axis, start, end - start), [axis], { keepDims: true }));
  }
  return parts.length === 1 ? parts[0] : concat(parts, axis);
}

/** Flattens dimensions startDim..endDim into one (a view; PyTorch's nn.Flatten). */
export class Flatten extends Module {
  /** First dimension merged (default 1: keeps the batch dimension). */
  readonly startDim: number;
  /** Last dimension merged, inclusive; negative counts from the end (default -1). */
  readonly endDim: number;

  constructor(startDim = 1, endDim = -1) {
    super();
    for (const [n, v] of [
      ['startDim', startDim],
      ['endDim', endDim],
    ] as const) {
      if (!Number.isInteger(v)) throw new NerveError('Flatten', `an integer ${n}`, String(v));
    }
    this.startDim = startDim;
    this.endDim = endDim;
  }

  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
}
