/**
 * Group normalization (Wu & He 2018): the channels of each sample are split
 * into groups, each normalized over its channels and spatial positions.
 */
import { NerveError, type Tensor, add, mul, ones, reshape, zeros } from '@nerve/core';
import { Module } from '@nerve/layers';
import { checkEps, checkFloat, checkPositiveInt, fmt, forwardScope, normalize } from './util.js';

/** Options of `GroupNorm` (PyTorch's names and defaults). */
export interface GroupNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Learnable per-channel `weight` (init 1) and `bias` (init 0) (default true). */
  affine?: boolean;
}

/** Normalizes [N, C, *] inputs over groups of C/numGroups channels (Wu & He 2018). */
export class GroupNorm extends Module {
  /** G: groups the channels are split into; each group is normalised on its own. */
  readonly numGroups: number;
  /** C: channels of the input (a multiple of numGroups). */
  readonly numChannels: number;
  /** Added to the variance before the square root. */
  readonly eps: number;
  /** Whether it learns a per-channel scale (weight) and shift (bias). */
  readonly affine: boolean;
  /** Per-channel scale, shape [C], or null when not affine. */
  readonly weight: Tensor | null;
  /** Per-channel shift, shape [C], or null when not affine. */
  readonly bias: Tensor | null;

  constructor(numGroups: number, numChannels: number, opts: GroupNormOptions = {}) {
    super();
    checkPositiveInt('GroupNorm', 'numGroups', numGroups);
    checkPositiveInt('GroupNorm', 'numChannels', numChannels);
    if (numChannels % numGroups !== 0) {
      throw new NerveError(
        'GroupNorm',
        'numChannels to be divisible by numGroups',
        `numChannels ${numChannels} and numGroups ${numGroups}`,
      );
    }
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = checkEps('GroupNorm', opts.eps ?? 1e-5);
    this.affine = opts.affine ?? true;
    this.weight = this.affine ? this.registerParameter('weight', ones([numChannels])) : null;
    this.bias = this.affine ? this.registerParameter('bias', zeros([numChannels])) : null;
  }

  forward(x: Tensor): Tensor {
    const c = this.numChannels;
    const name = `GroupNorm(${this.numGroups}, ${c})`;
    checkFloat(name, x);
    if (x.rank < 2 || x.shape[1] !== c) {
      throw new NerveError(name, `an input of shape [N, ${c}, *]`, fmt(x.shape));
    }
    const n = x.shape[0];
    const g = this.numGroups;
    const statShape = x.shape.map((d, i) => (i === 1 ? d : 1));
    return forwardScope([x, this.weight, this.bias], () => {
      // [N, G, C/G · spatial]: each group's values are contiguous in a row.
      const grouped = reshape(x, [n, g, x.size / Math.max(n * g, 1)]);
      let y = reshape(normalize(grouped, [2], this.eps).y, x.shape);
      if (this.weight && this.bias) {
        y = add(mul(y, reshape(this.weight, statShape)), reshape(this.bias, statShape));
      }
      return y;
    });
  }
}
