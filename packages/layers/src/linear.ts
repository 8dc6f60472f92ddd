/**
 * Fully connected layer y = x Wᵀ + b, initialised as PyTorch's nn.Linear.
 */
import { type Tensor, add, matmul } from '@nerve/core';
import { type Initializer, heUniform, uniform } from '@nerve/init';
import { Module } from './module.js';
import { initSource, initTensor, intArg, requireInput, run } from './util.js';

/** Initializers for a layer's weight and bias (PyTorch's defaults when omitted). */
export interface LayerInit {
  /** Initializer of the weight. */
  weight?: Initializer;
  /** Initializer of the bias. */
  bias?: Initializer;
}

/** Options of `Linear`. */
export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Initializers of weight and bias (PyTorch's defaults when omitted). */
  init?: LayerInit;
  /** Seeds this layer's own generator; otherwise the global generator is used. */
  seed?: number;
}

/**
 * PyTorch's default for Linear and Conv2d: kaiming_uniform with a = √5 on the
 * weight (He et al. 2015), i.e. U(−1/√fanIn, 1/√fanIn), and the bias
 * U(−1/√fanIn, 1/√fanIn).
 */
export function defaultLayerInit(fanIn: number): Required<LayerInit> {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return { weight: heUniform({ a: Math.sqrt(5) }), bias: uniform(-bound, bound) };
}

/** y = x Wᵀ + b over the last dimension; weight [out, in], bias [out]. */
export class Linear extends Module {
  /** Length of each input row. */
  readonly inFeatures: number;
  /** Length of each output row. */
  readonly outFeatures: number;
  /** The weight [outFeatures, inFeatures]; the output is x·Wᵀ + b. */
  readonly weight: Tensor;
  /** The bias [outFeatures], or null when created with `bias: false`. */
  readonly bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    this.inFeatures = intArg('Linear', 'inFeatures', inFeatures, 1);
    this.outFeatures = intArg('Linear', 'outFeatures', outFeatures, 1);
    const src = initSource('Linear', opts.seed);
    const def = defaultLayerInit(inFeatures);
    const w = initTensor(
      'Linear',
      'weight',
      opts.init?.weight ?? def.weight,
      [outFeatures, inFeatures],
      src,
    );
    this.weight = this.registerParameter('weight', w);
    this.bias =
      opts.bias === false
        ? null
        : this.registerParameter(
            'bias',
            initTensor('Linear', 'bias', opts.init?.bias ?? def.bias, [outFeatures], src),
          );
  }

  forward(x: Tensor): Tensor {
    requireInput(
      'Linear',
      x,
      `[..., ${this.inFeatures}]`,
      (t) => t.rank >= 1 && t.shape[t.rank - 1] === this.inFeatures,
    );
    return run([x, this.weight, this.bias], () => {
      const y = matmul(x, this.weight.mT);
      return this.bias ? add(y, this.bias) : y;
    });
  }
}
