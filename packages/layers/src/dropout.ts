/**
 * Inverted dropout (Srivastava et al. 2014): in training, zero each element
 * with probability p and scale the rest by 1/(1 − p), so evaluation needs no
 * rescaling and is the identity.
 */
import { Generator, NerveError, type Tensor, ge, mul, rand, where } from '@nerve/core';
import { Module } from './module.js';
import { run } from './util.js';

/** Options of `Dropout`. */
export interface DropoutOptions {
  /** Seeds this module's own mask generator; otherwise the global generator is used. */
  seed?: number;
}

/** Zeroes elements with probability p in training mode; the identity in eval mode. */
export class Dropout extends Module {
  /** Probability of zeroing an element in training mode; kept elements are scaled by 1/(1 − p). */
  readonly p: number;
  private readonly generator: Generator | null;

  constructor(p = 0.5, opts: DropoutOptions = {}) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) {
      throw new NerveError('Dropout', 'a drop probability p in [0, 1)', String(p));
    }
    if (opts.seed !== undefined && (!Number.isSafeInteger(opts.seed) || opts.seed < 0)) {
      throw new NerveError('Dropout', 'a non-negative integer seed', String(opts.seed));
    }
    this.p = p;
    this.generator = opts.seed !== undefined ? new Generator(opts.seed) : null;
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    return run([x], () => {
      const u = rand(x.shape, this.generator ? { generator: this.generator } : {});
      // P(u ≥ p) = 1 − p for 24-bit uniforms up to 2⁻²⁴.
      return where(ge(u, this.p), mul(x, 1 / (1 - this.p)), 0);
    });
  }
}
