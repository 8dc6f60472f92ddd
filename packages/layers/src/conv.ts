/**
 * 2-D convolution layer (NCHW), initialised as PyTorch's nn.Conv2d.
 */
import { NerveError, type Pair, type Tensor, conv2d, pad } from '@nerve/core';
import { Module } from './module.js';
import { type LayerInit, defaultLayerInit } from './linear.js';
import { initSource, initTensor, intArg, pairArg, requireInput, run } from './util.js';

/** Options of `Conv2d`. */
export interface Conv2dLayerOptions {
  /** Step of the window, one number or [height, width] (default 1). */
  stride?: Pair;
  /** Zero padding per side, or 'valid' (none) or 'same' (output size = input size; stride 1 only). */
  padding?: Pair | 'valid' | 'same';
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
  /** Learn a per-channel bias (default true). */
  bias?: boolean;
  /**
   * Channel groups (default 1; PyTorch's `groups`): the weight is
   * [O, C/groups, KH, KW]; groups = C is a depthwise convolution.
   */
  groups?: number;
  /** Initializers of weight and bias (PyTorch's defaults when omitted). */
  init?: LayerInit;
  /** Seeds this layer's own generator; otherwise the global generator is used. */
  seed?: number;
}

/** Cross-correlation of [N, C, H, W] with weight [O, C, KH, KW] (+ bias [O]). */
export class Conv2d extends Module {
  /** C: channels of the input. */
  readonly inChannels: number;
  /** O: channels of the output (the number of filters). */
  readonly outChannels: number;
  /** The kernel's height and width, [KH, KW]. */
  readonly kernelSize: [number, number];
  /** [height, width] step of the window. */
  readonly stride: [number, number];
  /** [height, width] spacing between kernel taps. */
  readonly dilation: [number, number];
  /** Padding as [top, bottom, left, right]; 'same' may pad one more at the bottom/right, as PyTorch does. */
  readonly padding: [number, number, number, number];
  /** Channel groups (1: an ordinary convolution). */
  readonly groups: number;
  /** The filters [O, C/groups, KH, KW]. */
  readonly weight: Tensor;
  /** The per-channel bias [O], or null when created with `bias: false`. */
  readonly bias: Tensor | null;

  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: Pair,
    opts: Conv2dLayerOptions = {},
  ) {
    super();
    const op = 'Conv2d';
    this.inChannels = intArg(op, 'inChannels', inChannels, 1);
    this.outChannels = intArg(op, 'outChannels', outChannels, 1);
    this.kernelSize = pairArg(op, 'kernelSize', kernelSize, 1);
    this.stride = pairArg(op, 'stride', opts.stride ?? 1, 1);
    this.dilation = pairArg(op, 'dilation', opts.dilation ?? 1, 1);
    const p = opts.padding ?? 0;
    if (p === 'same') {
      if (this.stride[0] !== 1 || this.stride[1] !== 1) {
        throw new NerveError(op, "stride 1 with padding 'same'", `stride ${this.stride.join(',')}`);
      }
      const total = this.kernelSize.map((k, i) => this.dilation[i] * (k - 1));
      const [th, tw] = total;
      this.padding = [th >> 1, th - (th >> 1), tw >> 1, tw - (tw >> 1)];
    } else if (p === 'valid') {
      this.padding = [0, 0, 0, 0];
    } else {
      const [ph, pw] = pairArg(op, 'padding', p, 0);
      this.padding = [ph, ph, pw, pw];
    }
    this.groups = intArg(op, 'groups', opts.groups ?? 1, 1);
    if (this.inChannels % this.groups !== 0 || this.outChannels % this.groups !== 0) {
      throw new NerveError(
        op,
        `groups dividing inChannels (${this.inChannels}) and outChannels (${this.outChannels})`,
        String(this.groups),
      );
    }
    const [kh, kw] = this.kernelSize;
    const src = initSource(op, opts.seed);
    // PyTorch's fan-in: the input channels one output channel sees.
    const perGroup = this.inChannels / this.groups;
    const def = defaultLayerInit(perGroup * kh * kw);
    const shape = [outChannels, perGroup, kh, kw];
    this.weight = this.registerParameter(
      'weight',
      initTensor(op, 'weight', opts.init?.weight ?? def.weight, shape, src),
    );
    this.bias =
      opts.bias === false
        ? null
        : this.registerParameter(
            'bias',
            initTensor(op, 'bias', opts.init?.bias ?? def.bias, [outChannels], src),
          );
  }

  forward(x: Tensor): Tensor {
    requireInput(
      'Conv2d',
      x,
      `[N, ${this.inChannels}, H, W]`,
      (t) => t.rank === 4 && t.shape[1] === this.inChannels,
    );
    const [top, bottom, left, right] = this.padding;
    const symmetric = top === bottom && left === right;
    return run([x, this.weight, this.bias], () => {
      const xp = symmetric
        ? x
        : pad(x, [
            [0, 0],
            [0, 0],
            [top, bottom],
            [left, right],
          ]);
      return conv2d(xp, this.weight, {
        stride: this.stride,
        padding: symmetric ? [top, left] : 0,
        dilation: this.dilation,
        ...(this.groups === 1 ? {} : { groups: this.groups }),
        ...(this.bias ? { bias: this.bias } : {}),
      });
    });
  }
}
