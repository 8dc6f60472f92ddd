/**
 * Principal component analysis and PCA whitening (CS231n "Data
 * preprocessing"; Bishop, Pattern Recognition and Machine Learning §12.1):
 * project the centred data onto the top-k eigenvectors of the training
 * covariance, and for whitening divide each coordinate by √(λ + eps).
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

/** Options of PCA. */
export interface PCAOptions {
  /** Number k of principal components kept. */
  components: number;
}

/**
 * (x − μ)·U_k: coordinates along the k eigenvectors of the training
 * covariance (divisor N − 1) with the largest eigenvalues. Output [N, k].
 */
export class PCA extends Preprocessor {
  protected readonly name: string = 'PCA';
  /** Number of components kept. */
  readonly components: number;
  /** The fitted per-feature mean [features], null before `fit`. */
  protected mu: Float32Array | null = null;
  /** [k, D] row-major: row j is the j-th eigenvector (scikit-learn's components_). */
  protected vectors: Float32Array | null = null;
  /** The eigenvalues, [k] (variance along each component), descending, clamped at 0. */
  protected values: Float32Array | null = null;

  constructor(opts: PCAOptions) {
    super();
    const k = opts?.components;
    if (!Number.isInteger(k) || k < 1) {
      throw new NerveError(new.target.name, 'components a positive integer', String(k));
    }
    this.components = k;
  }

  get fitted(): boolean {
    return this.mu !== null;
  }

  protected checkFit(op: string, x: Tensor): void {
    checkData(op, x, 2);
    const d = featuresOf(x);
    if (this.components > d) {
      throw new NerveError(op, `components ≤ ${d} features`, `${this.components}`);
    }
  }

  /** [mean, covariance] on x's backend. */
  protected statistics(_op: string, x: Tensor): Tensor[] {
    return covarianceStats(x);
  }

  protected fitFrom(op: string, stats: Float32Array[]): this {
    const eig = eigenFrom(op, stats);
    const d = eig.features;
    const k = this.components;
    const vectors = new Float32Array(k * d);
    const values = new Float32Array(k);
    for (let j = 0; j < k; j++) {
      values[j] = Math.max(eig.values[j], 0);
      for (let i = 0; i < d; i++) vectors[j * d + i] = eig.vectors[i * d + j];
    }
    this.mu = eig.mean;
    this.vectors = vectors;
    this.values = values;
    return this;
  }

  /** The factor applied to component j after projecting (1: plain PCA). */
  protected componentScale(_j: number): number {
    return 1;
  }

  transform(x: Tensor): Tensor {
    const op = `${this.name}.transform`;
    this.requireFitted('transform');
    checkData(op, x, 0);
    const mu = this.mu!;
    const v = this.vectors!;
    const d = mu.length;
    const k = this.components;
    if (featuresOf(x) !== d) {
      throw new NerveError(
        op,
        `${d} features per sample (as fitted)`,
        `shape [${x.shape.join(',')}]`,
      );
    }
    // Projection [D, k]: column j is eigenvector j times its scale.
    const proj = new Float32Array(d * k);
    for (let j = 0; j < k; j++) {
      const s = this.componentScale(j);
      for (let i = 0; i < d; i++) proj[i * k + j] = v[j * d + i] * s;
    }
    return tidy(() =>
      matmul(sub(reshape(x, [x.shape[0], d]), tensor(mu)), tensor(proj, { shape: [d, k] })),
    );
  }

  /** { components, mean [D], eigenvectors [k·D] (rows), eigenvalues [k] }. */
  stateDict(): PreprocessorState {
    this.requireFitted('stateDict');
    return {
      components: this.components,
      mean: this.mu!.slice(),
      eigenvectors: this.vectors!.slice(),
      eigenvalues: this.values!.slice(),
    };
  }

  loadStateDict(state: PreprocessorState): void {
    const op = `${this.name}.loadStateDict`;
    this.validateState(op, state);
    const mu = stateArray(op, state, 'mean');
    const k = this.components;
    const vectors = stateArray(op, state, 'eigenvectors', k * mu.length);
    const values = stateArray(op, state, 'eigenvalues', k);
    for (let j = 0; j < k; j++) {
      if (!(values[j] >= 0) || !Number.isFinite(values[j])) {
        throw new NerveError(op, 'state.eigenvalues finite and ≥ 0', `${values[j]} at index ${j}`);
      }
    }
    this.mu = mu.slice();
    this.vectors = vectors.slice();
    this.values = values.slice();
  }

  /** Checks the configuration entries of a state dict against this instance. */
  protected validateState(op: string, state: PreprocessorState): void {
    stateNumber(op, state, 'components');
    stateMatches(op, state, 'components', this.components);
  }
}

/** Options of PCAWhiten. */
export interface PCAWhitenOptions extends PCAOptions {
  /** Added to each eigenvalue before the square root (default 1e-5). */
  eps?: number;
}

/**
 * PCA whitening: (x − μ)·U_k·diag(1/√(λ + eps)). The whitened training data
 * has covariance ≈ I_k (exactly diag(λ/(λ+eps))).
 */
export class PCAWhiten extends PCA {
  protected override readonly name: string = 'PCAWhiten';
  /** Regulariser added to the eigenvalues. */
  readonly eps: number;

  constructor(opts: PCAWhitenOptions) {
    super(opts);
    const eps = opts.eps ?? 1e-5;
    if (typeof eps !== 'number' || !(eps >= 0) || !Number.isFinite(eps)) {
      throw new NerveError('PCAWhiten', 'eps a finite number ≥ 0', String(eps));
    }
    this.eps = eps;
  }

  protected override componentScale(j: number): number {
    const s = this.values![j] + this.eps;
    if (!(s > 0)) {
      throw NerveError.raw(
        'PCAWhiten.transform',
        `component ${j} has zero variance and eps = 0: cannot whiten (use eps > 0 or fewer components)`,
      );
    }
    return 1 / Math.sqrt(s);
  }

  /** PCA's state plus eps. */
  override stateDict(): PreprocessorState {
    return { ...super.stateDict(), eps: this.eps };
  }

  protected override validateState(op: string, state: PreprocessorState): void {
    super.validateState(op, state);
    stateNumber(op, state, 'eps', true);
    stateMatches(op, state, 'eps', this.eps);
  }
}
