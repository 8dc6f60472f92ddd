/**
 * ZCA whitening (Bell & Sejnowski 1997; CS231n "Data preprocessing"):
 * (x − μ)·W with W = U·diag(1/√(λ + eps))·Uᵀ over all eigenpairs of the
 * training covariance. W is symmetric, so the data is whitened while staying
 * as close as possible to its original orientation (whitened images still
 * look like images).
 */
import { NerveError, type Tensor, matmul, reshape, sub, tensor, tidy } from '@nerve/core';
import { covarianceStats, eigenFrom } from './covariance.js';
import {
  Preprocessor,
  type PreprocessorState,
  checkData,
  featuresOf,
  stateArray,
  stateMatches,
  stateNumber,
} from './preprocess.js';

/** Options of ZCAWhiten. */
export interface ZCAWhitenOptions {
  /** Added to each eigenvalue before the square root (default 1e-5). */
  eps?: number;
}

/** ZCA whitening; the output has the input's shape. */
export class ZCAWhiten extends Preprocessor {
  protected readonly name = 'ZCAWhiten';
  /** Regulariser added to the eigenvalues. */
  readonly eps: number;
  private mu: Float32Array | null = null;
  /** [D, D] row-major, symmetric. */
  private matrix: Float32Array | null = null;

  constructor(opts: ZCAWhitenOptions = {}) {
    super();
    const eps = opts.eps ?? 1e-5;
    if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps)) {
      throw new NerveError('ZCAWhiten', 'eps a finite number > 0', String(eps));
    }
    this.eps = eps;
  }

  get fitted(): boolean {
    return this.mu !== null;
  }

  protected checkFit(op: string, x: Tensor): void {
    checkData(op, x, 2);
  }

  /** [mean, covariance] on x's backend. */
  protected statistics(_op: string, x: Tensor): Tensor[] {
    return covarianceStats(x);
  }

  protected fitFrom(op: string, stats: Float32Array[]): this {
    const { mean: mu, features: d, values, vectors } = eigenFrom(op, stats);
    // W = (U·S)·Uᵀ with S = diag(1/√(λ+eps)); both factors read by rows.
    const us = new Float64Array(d * d);
    for (let a = 0; a < d; a++) {
      for (let j = 0; j < d; j++) {
        us[a * d + j] = vectors[a * d + j] / Math.sqrt(Math.max(values[j], 0) + this.eps);
      }
    }
    const w = new Float32Array(d * d);
    for (let a = 0; a < d; a++) {
      for (let b = a; b < d; b++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += us[a * d + j] * vectors[b * d + j];
        w[a * d + b] = s;
        w[b * d + a] = s;
      }
    }
    this.mu = mu;
    this.matrix = w;
    return this;
  }

  transform(x: Tensor): Tensor {
    const op = 'ZCAWhiten.transform';
    this.requireFitted('transform');
    checkData(op, x, 0);
    const mu = this.mu!;
    const d = mu.length;
    if (featuresOf(x) !== d) {
      throw new NerveError(
        op,
        `${d} features per sample (as fitted)`,
        `shape [${x.shape.join(',')}]`,
      );
    }
    const w = this.matrix!;
    return tidy(() => {
      const centred = sub(reshape(x, [x.shape[0], d]), tensor(mu));
      return reshape(matmul(centred, tensor(w, { shape: [d, d] })), x.shape);
    });
  }

  /** { eps, mean [D], matrix [D·D] (the symmetric whitening matrix W) }. */
  stateDict(): PreprocessorState {
    this.requireFitted('stateDict');
    return { eps: this.eps, mean: this.mu!.slice(), matrix: this.matrix!.slice() };
  }

  loadStateDict(state: PreprocessorState): void {
    const op = 'ZCAWhiten.loadStateDict';
    stateNumber(op, state, 'eps', true);
    stateMatches(op, state, 'eps', this.eps);
    const mu = stateArray(op, state, 'mean');
    const w = stateArray(op, state, 'matrix', mu.length * mu.length);
    this.mu = mu.slice();
    this.matrix = w.slice();
  }
}
