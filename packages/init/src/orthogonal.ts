/**
 * Orthogonal initialization (Saxe et al. 2014, "Exact solutions to the
 * nonlinear dynamics of learning in deep linear neural networks"), computed
 * as PyTorch's `orthogonal_`: the Q factor of a standard normal matrix,
 * with signs fixed so R has a positive diagonal (the unique QR), times gain.
 */
import { NerveError, tensor, zeros } from '@nerve/core';
import { hostNormal } from './host-random.js';
import type { Initializer } from './initializers.js';

/**
 * Q of the reduced QR of the m×n row-major matrix `a` (m ≥ n), by
 * Householder reflections in float64, columns scaled so diag(R) > 0.
 */
export function householderQ(a: Float64Array, m: number, n: number): Float64Array {
  const A = Float64Array.from(a);
  const vs: Float64Array[] = [];
  const diag = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += A[i * n + k] ** 2;
    norm = Math.sqrt(norm);
    const x0 = A[k * n + k];
    // Reflect x onto −sign(x0)·‖x‖·e1, the choice that avoids cancellation.
    const alpha = x0 >= 0 ? -norm : norm;
    const v = new Float64Array(m - k);
    for (let i = k; i < m; i++) v[i - k] = A[i * n + k];
    v[0] -= alpha;
    let vn = 0;
    for (let i = 0; i < v.length; i++) vn += v[i] * v[i];
    vn = Math.sqrt(vn);
    if (vn > 0) for (let i = 0; i < v.length; i++) v[i] /= vn;
    vs.push(v);
    // A[k:, k:] -= 2 v (vᵀ A[k:, k:])
    for (let j = k; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i - k] * A[i * n + j];
      for (let i = k; i < m; i++) A[i * n + j] -= 2 * v[i - k] * dot;
    }
    diag[k] = A[k * n + k];
  }
  // Q = H0 H1 … H(n−1) applied to the first n columns of the identity.
  const Q = new Float64Array(m * n);
  for (let i = 0; i < n; i++) Q[i * n + i] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k];
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i - k] * Q[i * n + j];
      for (let i = k; i < m; i++) Q[i * n + j] -= 2 * v[i - k] * dot;
    }
  }
  for (let j = 0; j < n; j++) {
    if (diag[j] < 0) for (let i = 0; i < m; i++) Q[i * n + j] = -Q[i * n + j];
  }
  return Q;
}

/**
 * A (semi-)orthogonal matrix times `gain`: the weight is viewed as
 * [shape[0], rest]; rows are orthonormal when there are fewer rows than
 * columns, columns otherwise (Saxe et al. 2014).
 */
export function orthogonal(gain = 1): Initializer {
  if (typeof gain !== 'number' || !Number.isFinite(gain)) {
    throw new NerveError('orthogonal', 'a finite gain', String(gain));
  }
  return (shape, opts = {}) => {
    if (shape.length < 2) {
      throw new NerveError(
        'orthogonal',
        'a shape with at least 2 dimensions',
        `[${shape.join(',')}]`,
      );
    }
    const rows = shape[0];
    const size = shape.reduce((s, d) => s * d, 1);
    if (size === 0) return zeros(shape);
    const cols = size / rows;
    const flat = hostNormal('orthogonal', size, opts);
    // Factor the tall orientation: [rows, cols] itself, or its transpose.
    const tall = rows >= cols;
    const m = tall ? rows : cols;
    const n = tall ? cols : rows;
    let a = flat;
    if (!tall) {
      a = new Float64Array(size);
      for (let i = 0; i < rows; i++)
        for (let j = 0; j < cols; j++) a[j * rows + i] = flat[i * cols + j];
    }
    const q = householderQ(a, m, n);
    const out = new Float32Array(size);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        out[i * cols + j] = gain * (tall ? q[i * cols + j] : q[j * rows + i]);
      }
    }
    return tensor(out, { shape: [...shape] });
  };
}
