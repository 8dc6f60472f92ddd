/** Host statistics of the preprocessing experiment (float64, on data read back once). */

/** Column means of row-major [n, d] data. */
export function columnMeans(x: ArrayLike<number>, n: number, d: number): Float64Array {
  const m = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) m[j] += x[i * d + j];
  for (let j = 0; j < d; j++) m[j] /= n;
  return m;
}

/** Sample covariance (divisor n − 1, as PCA's) of row-major [n, d] data, row-major [d, d]. */
export function covariance(x: ArrayLike<number>, n: number, d: number): Float64Array {
  const m = columnMeans(x, n, d);
  const c = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const va = x[i * d + a] - m[a];
      for (let b = a; b < d; b++) c[a * d + b] += va * (x[i * d + b] - m[b]);
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      c[a * d + b] /= n - 1;
      c[b * d + a] = c[a * d + b];
    }
  }
  return c;
}

/** max |a_i − b_i|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Rounds for display: 3 significant digits. */
export function sig(v: number, digits = 3): number {
  return Number(v.toPrecision(digits));
}

/** Learning rates 1·10^k and 3·10^k from `min` to `max` (the ladder's rungs). */
export function ladderRates(min: number, max: number): number[] {
  const out: number[] = [];
  for (let k = Math.floor(Math.log10(min)) - 1; k <= Math.ceil(Math.log10(max)) + 1; k++) {
    for (const m of [1, 3]) {
      const lr = Number((m * 10 ** k).toPrecision(1));
      if (lr >= min * (1 - 1e-9) && lr <= max * (1 + 1e-9)) out.push(lr);
    }
  }
  return out;
}
