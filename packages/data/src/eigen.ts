/**
 * Eigendecomposition of a real symmetric matrix on the host, in float64:
 * Householder reduction to tridiagonal form, then the QL algorithm with
 * implicit shifts (Press et al., Numerical Recipes, 3rd ed., §11.3–11.4:
 * tred2 and tqli; after the EISPACK routines of Wilkinson & Reinsch 1971).
 *
 * The loops are rearranged from the textbook so that every inner loop walks
 * a row of the row-major buffer: at n = 784 the strided column walks of the
 * original cost more than the arithmetic.
 */
import { NerveError } from '@nerve/core';

/** Eigenvalues (descending) and the matching unit eigenvectors. */
export interface SymmetricEigen {
  /** Eigenvalues, largest first. */
  values: Float64Array;
  /** Row-major n×n; column j is the eigenvector of values[j]. */
  vectors: Float64Array;
}

const MAX_ITERATIONS = 30;

/**
 * Decomposes the symmetric n×n row-major matrix `a` (left untouched) as
 * V·diag(λ)·Vᵀ. Eigenvalues are sorted descending; each eigenvector is
 * signed so that its entry of largest magnitude (the first, on ties within
 * a relative 1e-9) is positive, which makes the result deterministic.
 */
export function symmetricEigen(a: Float64Array, n: number): SymmetricEigen {
  const op = 'symmetricEigen';
  if (!Number.isInteger(n) || n < 1 || a.length !== n * n) {
    throw new NerveError(op, `an n×n matrix with n ≥ 1`, `${a.length} values for n = ${n}`);
  }
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]))
      throw NerveError.raw(op, `the matrix has a non-finite entry at ${i}`);
    scale = Math.max(scale, Math.abs(a[i]));
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      if (Math.abs(a[i * n + j] - a[j * n + i]) > 1e-10 * scale) {
        throw NerveError.raw(op, `the matrix is not symmetric: a[${i},${j}] ≠ a[${j},${i}]`);
      }
    }
  }
  const z = Float64Array.from(a);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tridiagonalize(z, n, d, e);
  // Rows of zt are the basis vectors, so each plane rotation in the QL sweep
  // touches two contiguous rows instead of two strided columns.
  const zt = transpose(z, n);
  tridiagonalQL(d, e, zt, n);
  return sortAndSign(d, zt, n);
}

/**
 * Householder reduction (tred2): overwrites z with the orthogonal Q such that
 * Qᵀ·A·Q is tridiagonal with diagonal d and sub-diagonal e[1..n-1].
 */
function tridiagonalize(z: Float64Array, n: number, d: Float64Array, e: Float64Array): void {
  const p = new Float64Array(n);
  for (let i = n - 1; i > 0; i--) {
    const l = i - 1;
    const ri = i * n;
    let h = 0;
    if (l > 0) {
      let scale = 0;
      for (let k = 0; k < i; k++) scale += Math.abs(z[ri + k]);
      if (scale === 0) {
        e[i] = z[ri + l];
      } else {
        for (let k = 0; k < i; k++) {
          z[ri + k] /= scale;
          h += z[ri + k] * z[ri + k];
        }
        let f = z[ri + l];
        const g = f >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
        e[i] = scale * g;
        h -= f * g;
        z[ri + l] = f - g;
        // p = A·u over the leading i×i block, read from its lower triangle by rows.
        p.fill(0, 0, i);
        for (let j = 0; j < i; j++) {
          const rj = j * n;
          const uj = z[ri + j];
          let s = 0;
          for (let k = 0; k < j; k++) {
            s += z[rj + k] * z[ri + k];
            p[k] += z[rj + k] * uj;
          }
          p[j] += s + z[rj + j] * uj;
        }
        f = 0;
        for (let j = 0; j < i; j++) {
          z[j * n + i] = z[ri + j] / h;
          e[j] = p[j] / h;
          f += e[j] * z[ri + j];
        }
        const hh = f / (h + h);
        for (let j = 0; j < i; j++) {
          const fj = z[ri + j];
          const gj = e[j] - hh * fj;
          e[j] = gj;
          const rj = j * n;
          for (let k = 0; k <= j; k++) z[rj + k] -= fj * e[k] + gj * z[ri + k];
        }
      }
    } else {
      e[i] = z[ri + l];
    }
    d[i] = h;
  }
  d[0] = 0;
  e[0] = 0;
  // Accumulate the transformations. For row i the textbook's per-column
  // g_j = Σ_k z[i,k]·z[k,j] and update z[k,j] -= g_j·z[k,i] touch disjoint
  // columns, so all j can be done at once by rows.
  const g = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    if (d[i] !== 0) {
      g.fill(0, 0, i);
      for (let k = 0; k < i; k++) {
        const zik = z[ri + k];
        const rk = k * n;
        for (let j = 0; j < i; j++) g[j] += zik * z[rk + j];
      }
      for (let k = 0; k < i; k++) {
        const rk = k * n;
        const zki = z[rk + i];
        for (let j = 0; j < i; j++) z[rk + j] -= g[j] * zki;
      }
    }
    d[i] = z[ri + i];
    z[ri + i] = 1;
    for (let j = 0; j < i; j++) {
      z[j * n + i] = 0;
      z[ri + j] = 0;
    }
  }
}

/**
 * QL with implicit shifts (tqli) on the tridiagonal (d, e); applies every
 * rotation to the rows of zt. On return d holds the eigenvalues and row j of
 * zt the eigenvector of d[j].
 */
function tridiagonalQL(d: Float64Array, e: Float64Array, zt: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  // The first m ≥ l where the sub-diagonal is negligible: (d, e) splits there.
  const split = (l: number): number => {
    let m = l;
    for (; m < n - 1; m++) {
      if (Math.abs(e[m]) <= Number.EPSILON * (Math.abs(d[m]) + Math.abs(d[m + 1]))) break;
    }
    return m;
  };
  for (let l = 0; l < n; l++) {
    let iter = 0;
    for (let m = split(l); m !== l; m = split(l)) {
      if (iter++ === MAX_ITERATIONS) {
        throw NerveError.raw(
          'symmetricEigen',
          `the QL iteration did not converge within ${MAX_ITERATIONS} sweeps for eigenvalue ${l}`,
        );
      }
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = Math.hypot(g, 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let underflow = false;
      for (let i = m - 1; i >= l; i--) {
        let f = s * e[i];
        const b = c * e[i];
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          // Underflow: the matrix split here; search again for a small e.
          d[i + 1] -= p;
          e[m] = 0;
          underflow = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
        const r0 = i * n;
        const r1 = (i + 1) * n;
        for (let k = 0; k < n; k++) {
          f = zt[r1 + k];
          zt[r1 + k] = s * zt[r0 + k] + c * f;
          zt[r0 + k] = c * zt[r0 + k] - s * f;
        }
      }
      if (underflow) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
}

function transpose(z: Float64Array, n: number): Float64Array {
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[j * n + i] = z[i * n + j];
  return t;
}

function sortAndSign(d: Float64Array, zt: Float64Array, n: number): SymmetricEigen {
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => d[y] - d[x] || x - y);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, j) => {
    values[j] = d[src];
    const row = src * n;
    // The first entry within a relative 1e-9 of the largest magnitude, so an
    // exact tie (e.g. a symmetric eigenvector) is not decided by rounding.
    let max = 0;
    for (let k = 0; k < n; k++) max = Math.max(max, Math.abs(zt[row + k]));
    let big = 0;
    while (Math.abs(zt[row + big]) < max * (1 - 1e-9)) big++;
    const sign = zt[row + big] < 0 ? -1 : 1;
    for (let k = 0; k < n; k++) vectors[k * n + j] = sign * zt[row + k];
  });
  return { values, vectors };
}
