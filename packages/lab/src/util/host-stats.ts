/**
 * Statistics of values read back to the host, in float64: mean, standard
 * deviation and fixed-edge histograms. Experiments read a tensor once
 * (`await t.data()`, which works on every backend) and summarise it here,
 * so a figure carries bins, never raw activations.
 */
import type { Histogram } from '@nerve/plot';

/** Mean and population standard deviation (numpy's `std`, ddof 0). */
export function meanStd(values: ArrayLike<number>): { mean: number; std: number } {
  const n = values.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += values[i];
  const mean = n === 0 ? 0 : s / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - mean) ** 2;
  return { mean, std: n === 0 ? 0 : Math.sqrt(ss / n) };
}

/** Σ v², e.g. for a Frobenius norm. */
export function sumOfSquares(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += (values[i] as number) ** 2;
  return s;
}

/** Mean of |v|. */
export function meanAbs(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += Math.abs(values[i]);
  return values.length === 0 ? 0 : s / values.length;
}

/** `bins` equal-width edges from `lo` to `hi`. */
export function linearEdges(lo: number, hi: number, bins: number): number[] {
  return Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins);
}

/**
 * Counts of `values` in [edges[i], edges[i+1]); the last bin also takes
 * values equal to its upper edge, and values outside [edges[0], edges[last]]
 * are clamped into the end bins so that every value is counted once.
 */
export function histogram(name: string, values: ArrayLike<number>, edges: number[]): Histogram {
  const bins = edges.length - 1;
  const lo = edges[0] ?? 0;
  const hi = edges[bins] ?? 1;
  const counts = new Array<number>(bins).fill(0);
  const width = (hi - lo) / bins;
  for (let i = 0; i < values.length; i++) {
    const b = Math.floor((values[i] - lo) / width);
    counts[Math.min(bins - 1, Math.max(0, b))]++;
  }
  return { name, edges, counts };
}

/** `x` with `digits` significant digits, in exponent form below 1e-3 or from 1e5. */
export function fmtNum(x: number, digits = 2): string {
  if (x === 0 || !Number.isFinite(x)) return String(x);
  return Math.abs(x) < 1e-3 || Math.abs(x) >= 1e5
    ? x.toExponential(digits - 1)
    : x.toPrecision(digits);
}
