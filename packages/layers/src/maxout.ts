/**
 * Maxout (Goodfellow et al. 2013): each output unit is the maximum of
 * `pieces` affine functions of the input.
 */
import { NerveError, type Tensor } from '@nerve/core';
import { type LinearOptions, Linear } from './linear.js';
import { Activation } from './activations.js';
import { run } from './util.js';

/**
 * y_j = max_k (W x + b)_{j·pieces + k}: one Linear(in, out·pieces) (child
 * `linear`), its output reshaped to [..., out, pieces] and maximised over the
 * pieces. Note the cost: with pieces = 2 it has twice the parameters of a
 * Linear(in, out); k pieces, k times.
 */
export class Maxout extends Activation {
  readonly activation = 'maxout';
  /** Length of each input row. */
  readonly inFeatures: number;
  /** Length of each output row. */
  readonly outFeatures: number;
  /** k: linear pieces per output unit; the output is the maximum over them. */
  readonly pieces: number;
  /** The linear map to outFeatures·pieces values that the maximum is taken over. */
  readonly linear: Linear;

  constructor(inFeatures: number, outFeatures: number, pieces = 2, opts: LinearOptions = {}) {
    super();
    if (!Number.isInteger(pieces) || pieces < 1) {
      throw new NerveError('Maxout', 'pieces as an integer ≥ 1', String(pieces));
    }
    if (!Number.isInteger(outFeatures) || outFeatures < 1) {
      throw new NerveError('Maxout', 'outFeatures as an integer ≥ 1', String(outFeatures));
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.pieces = pieces;
    this.linear = this.registerModule('linear', new Linear(inFeatures, outFeatures * pieces, opts));
  }

  forward(x: Tensor): Tensor {
    const lin = this.linear;
    return run([x, lin.weight, lin.bias], () => {
      const z = lin.call(x);
      return z.reshape([...z.shape.slice(0, -1), this.outFeatures, this.pieces]).max(-1);
    });
  }
}
