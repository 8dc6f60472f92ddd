/**
 * Step losses, grouped by epoch.
 */
import type { Monitor } from './types.js';

/**
 * Keys per epoch: `loss/mean` (over the epoch's steps), `loss/min`,
 * `loss/max` (over finite losses), `loss/last`, `loss/steps` and
 * `loss/nonFinite` (steps whose loss was NaN or ±Infinity).
 */
export class LossHistoryMonitor implements Monitor {
  readonly name = 'loss';
  /** Step losses of each finished epoch. */
  readonly epochs: number[][] = [];
  /** Mean step loss of each finished epoch. */
  readonly epochMeans: number[] = [];
  private current: number[] = [];

  attach(): void {}

  afterStep(loss: number): void {
    this.current.push(loss);
  }

  /** Every recorded step loss, finished epochs and the current one. */
  get steps(): number[] {
    return [...this.epochs.flat(), ...this.current];
  }

  endEpoch(): Record<string, number> {
    const l = this.current;
    this.current = [];
    if (l.length === 0) return { 'loss/steps': 0 };
    this.epochs.push(l);
    const mean = l.reduce((a, b) => a + b, 0) / l.length;
    this.epochMeans.push(mean);
    const finite = l.filter(Number.isFinite);
    const out: Record<string, number> = {
      'loss/mean': mean,
      'loss/last': l[l.length - 1],
      'loss/steps': l.length,
      'loss/nonFinite': l.length - finite.length,
    };
    if (finite.length > 0) {
      out['loss/min'] = finite.reduce((a, b) => Math.min(a, b));
      out['loss/max'] = finite.reduce((a, b) => Math.max(a, b));
    }
    return out;
  }

  detach(): void {
    this.current = [];
  }
}
