/**
 * The sample mean and covariance of training data, for PCA and whitening.
 * The N×D×D product runs on the backend (float32 matmul of the centred
 * data, `covarianceStats`); Preprocessor's fit or fitAsync reads the D×D
 * result back, and `eigenFrom` symmetrises it in float64 for the host
 * eigensolver.
 */
import { type Tensor, div, matmul, mean, reshape, sub, transpose } from '@nerve/core';
import { type SymmetricEigen, symmetricEigen } from './eigen.js';
import { checkFinite, featuresOf } from './preprocess.js';

/** Mean [D] and eigendecomposition of the covariance (divisor N − 1, as scikit-learn's PCA). */
export interface CovarianceEigen extends SymmetricEigen {
  mean: Float32Array;
  features: number;
}

/** [mean [D], covariance [D, D]] of x [N, ...] flattened to [N, D] (N ≥ 2), on x's backend. */
export function covarianceStats(x: Tensor): Tensor[] {
  const n = x.shape[0];
  const d = featuresOf(x);
  const flat = reshape(x, [n, d]);
  const m = mean(flat, 0);
  const centred = sub(flat, m);
  return [m, div(matmul(transpose(centred), centred), n - 1)];
}

/** Mean and covariance eigenpairs from covarianceStats read to the host; checks they are finite. */
export function eigenFrom(op: string, [mu, cov32]: Float32Array[]): CovarianceEigen {
  const d = mu.length;
  checkFinite(op, mu);
  checkFinite(op, cov32);
  const cov = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      const v = 0.5 * (cov32[i * d + j] + cov32[j * d + i]);
      cov[i * d + j] = v;
      cov[j * d + i] = v;
    }
  }
  return { mean: mu, features: d, ...symmetricEigen(cov, d) };
}
