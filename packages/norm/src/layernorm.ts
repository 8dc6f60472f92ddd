/**
 * Layer normalization (Ba, Kiros & Hinton 2016): each sample is normalized
 * over its trailing `normalizedShape` dimensions, with the biased variance.
 */
import { NerveError, type Tensor, add, mul, ones, zeros } from '@nerve/core';
import { Module } from '@nerve/layers';
import { checkEps, checkFloat, checkPositiveInt, fmt, forwardScope, normalize } from './util.js';

/** Options of `LayerNorm` (PyTorch's names and defaults). */
export interface LayerNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Learnable elementwise `weight` (init 1) and `bias` (init 0) of shape normalizedShape (default true). */
  elementwiseAffine?: boolean;
}

/** Normalizes over the last dimensions, given by `normalizedShape` (Ba et al. 2016). */
export class LayerNorm extends Module {
  /** The trailing dimensions normalised over (each example on its own). */
  readonly normalizedShape: readonly number[];
  /** Added to the variance before the square root. */
  readonly eps: number;
  /** Whether it learns an elementwise scale (weight) and shift (bias) of normalizedShape. */
  readonly elementwiseAffine: boolean;
  /** Elementwise scale, shape normalizedShape, or null without elementwiseAffine. */
  readonly weight: Tensor | null;
  /** Elementwise shift, shape normalizedShape, or null without elementwiseAffine. */
  readonly bias: Tensor | null;

  constructor(normalizedShape: number | readonly number[], opts: LayerNormOptions = {}) {
    super();
    const shape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
    if (!Array.isArray(shape) || shape.length === 0) {
      throw new NerveError(
        'LayerNorm',
        'normalizedShape to be a positive integer or a non-empty array of them',
        String(normalizedShape),
      );
    }
    for (const d of shape) checkPositiveInt('LayerNorm', 'every normalizedShape entry', d);
    this.normalizedShape = [...shape];
    this.eps = checkEps('LayerNorm', opts.eps ?? 1e-5);
    this.elementwiseAffine = opts.elementwiseAffine ?? true;
    this.weight = this.elementwiseAffine ? this.registerParameter('weight', ones(shape)) : null;
    this.bias = this.elementwiseAffine ? this.registerParameter('bias', zeros(shape)) : null;
  }

  forward(x: Tensor): Tensor {
    const ns = this.normalizedShape;
    const name = `LayerNorm(${fmt(ns)})`;
    checkFloat(name, x);
    const k = ns.length;
    const lead = x.rank - k;
    if (lead < 0 || ns.some((d, i) => x.shape[lead + i] !== d)) {
      throw new NerveError(
        name,
        `an input whose last dimensions are ${fmt(ns)} (shape [*, ${ns.join(', ')}])`,
        fmt(x.shape),
      );
    }
    const axes = ns.map((_, i) => lead + i);
    return forwardScope([x, this.weight, this.bias], () => {
      const y = normalize(x, axes, this.eps).y;
      // weight and bias broadcast over the leading dimensions.
      return this.weight && this.bias ? add(mul(y, this.weight), this.bias) : y;
    });
  }
}
