/**
 * A weighted running mean, e.g. of per-batch mean losses weighted by batch
 * size, so that the epoch mean equals the mean over samples.
 */
import { NerveError } from '@nerve/core';

/** Σ value·count / Σ count over everything added since the last reset. */
export class RunningMean {
  private total = 0;
  private weight = 0;

  /** Adds `value`, the mean of `count` items (count ≥ 0; NaN values propagate). */
  add(value: number, count = 1): this {
    if (typeof value !== 'number')
      throw new NerveError('RunningMean.add', 'a number', typeof value);
    if (typeof count !== 'number' || !Number.isFinite(count) || count < 0) {
      throw new NerveError('RunningMean.add', 'a finite count ≥ 0', String(count));
    }
    if (count === 0) return this;
    this.total += value * count;
    this.weight += count;
    return this;
  }

  /** The weighted mean; NaN before anything was added (there is no mean of nothing). */
  get value(): number {
    return this.weight === 0 ? Number.NaN : this.total / this.weight;
  }

  /** The total weight added (e.g. the number of samples). */
  get count(): number {
    return this.weight;
  }

  /** Forgets everything added. */
  reset(): void {
    this.total = 0;
    this.weight = 0;
  }
}
