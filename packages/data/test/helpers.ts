/** Host-side float64 references for the preprocessing tests. */
import { Generator, type Tensor, tensor } from '@nerve/core';

/** Column means of row-major [n, d] values. */
export function hostMean(x: ArrayLike<number>, n: number, d: number): number[] {
  const m = new Array<number>(d).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) m[j] += x[i * d + j];
  return m.map((v) => v / n);
}

/** Sample covariance (divisor n − 1) of row-major [n, d] values. */
export function hostCov(x: ArrayLike<number>, n: number, d: number): number[][] {
  const m = hostMean(x, n, d);
  const c = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (let i = 0; i < n; i++)
    for (let a = 0; a < d; a++) {
      const da = x[i * d + a] - m[a];
      for (let b = 0; b < d; b++) c[a][b] += da * (x[i * d + b] - m[b]);
    }
  return c.map((row) => row.map((v) => v / (n - 1)));
}

/** max |c − I|. */
export function distanceFromIdentity(c: number[][]): number {
  let worst = 0;
  for (let i = 0; i < c.length; i++)
    for (let j = 0; j < c[i].length; j++)
      worst = Math.max(worst, Math.abs(c[i][j] - (i === j ? 1 : 0)));
  return worst;
}

/**
 * n samples of d correlated features: z·A + offset with z standard normal
 * (core's seeded generator) and A a fixed mixing matrix, full rank.
 */
export function correlated(
  n: number,
  d: number,
  seed: number,
): { x: Tensor; values: Float32Array } {
  const z = new Generator(seed).normal(n * d);
  const a = (i: number, j: number) => (i === j ? 1 + i : 0.3 * Math.sin(i * d + j + 1));
  const values = new Float32Array(n * d);
  for (let r = 0; r < n; r++)
    for (let j = 0; j < d; j++) {
      let s = 5 - j;
      for (let i = 0; i < d; i++) s += z[r * d + i] * a(i, j);
      values[r * d + j] = s;
    }
  return { x: tensor(values, { shape: [n, d] }), values };
}

/** Largest |a − b| over two equal-length arrays. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}
