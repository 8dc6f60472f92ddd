import type { Tensor } from '@nerve/core';

/** Values, mean and (population) std of a tensor, computed in float64; disposes it. */
export function stats(t: Tensor): {
  v: Float64Array;
  mean: number;
  std: number;
  min: number;
  max: number;
} {
  const v = Float64Array.from(t.dataSync());
  t.dispose();
  let s = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const x of v) {
    s += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const mean = s / v.length;
  let ss = 0;
  for (const x of v) ss += (x - mean) ** 2;
  return { v, mean, std: Math.sqrt(ss / v.length), min, max };
}
