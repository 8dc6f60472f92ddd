/**
 * The sample mean and covariance of training data, for PCA and whitening.
 * The N×D×D product runs on the backend (float32 matmul of the centred
 * data); the D×D result is read back and symmetrised in float64 for the
 * host eigensolver.
 */
import { type Tensor, div, matmul, mean, reshape, sub, tidy, transpose } from '@nerve/core';
import { type SymmetricEigen, symmetricEigen } from './eigen.js';
import { checkFinite, featuresOf } from './preprocess.js';

/** Mean [D] and eigendecomposition of the covariance (divisor N − 1, as scikit-learn's PCA). */
export interface CovarianceEigen extends SymmetricEigen {
  mean: Float32Array;
  features: number;
}

/** Fits mean and covariance eigenpairs of x [N, ...] flattened to [N, D]; N ≥ 2. */
export function covarianceEigen(op: string, x: Tensor): CovarianceEigen {
  const n = x.shape[0];
  const d = featuresOf(x);
  const [mu, cov32] = tidy(() => {
    const flat = reshape(x, [n, d]);
    const m = mean(flat, 0);
    const centred = sub(flat, m);
    const c = div(matmul(transpose(centred), centred), n - 1);
    return [m.dataSync(), c.dataSync()];
  }) as [Float32Array, Float32Array];
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
