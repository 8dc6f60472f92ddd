/** LinearLR: scale the lr linearly over totalIters steps, e.g. warmup (torch.optim.lr_scheduler.LinearLR). */
import { NerveError } from '@nerve/core';
import type { Optimizer } from '../optimizer.js';
import { checkInt, checkNumber, checkOptions } from '../validate.js';
import { LRScheduler } from './scheduler.js';

/** LinearLR options. */
export interface LinearLROptions {
  /** Multiplier of the base lr at the start. */
  startFactor?: number;
  /** Multiplier of the base lr after totalIters steps. */
  endFactor?: number;
  /** Steps over which the multiplier moves linearly. */
  totalIters?: number;
}

/** lr = baseLr · (start + (end − start)·min(t, totalIters)/totalIters); defaults 1/3, 1, 5. */
export class LinearLR extends LRScheduler {
  protected readonly kind = 'LinearLR';
  /** Multiplier of the base lr at the start. */
  startFactor: number;
  /** Multiplier of the base lr after totalIters steps. */
  endFactor: number;
  /** Steps over which the multiplier moves linearly. */
  totalIters: number;

  constructor(optimizer: Optimizer, opts: LinearLROptions = {}) {
    super(optimizer);
    const o = checkOptions('LinearLR', opts, ['startFactor', 'endFactor', 'totalIters']);
    this.startFactor = (o.startFactor ?? 1 / 3) as number;
    this.endFactor = (o.endFactor ?? 1) as number;
    this.totalIters = (o.totalIters ?? 5) as number;
    this.check('LinearLR');
    this.initBaseLrs();
    this.initialStep();
  }

  protected override check(op: string): void {
    // A start factor of 0 would divide by zero in the chainable form.
    const s = checkNumber(op, 'startFactor', this.startFactor, 0, 1);
    if (s === 0) throw new NerveError(op, 'startFactor in (0, 1]', '0');
    checkNumber(op, 'endFactor', this.endFactor, 0, 1);
    checkInt(op, 'totalIters', this.totalIters, 1);
  }

  protected override stateKeys(): readonly string[] {
    return ['startFactor', 'endFactor', 'totalIters'];
  }

  protected override getLr(): number[] {
    const { startFactor: s, endFactor: f, totalIters: n, lastEpoch: e } = this;
    const groups = this.optimizer.paramGroups;
    if (e === 0) return groups.map((g) => g.lr * s);
    if (e > n) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * (1 + (f - s) / (n * s + (e - 1) * (f - s))));
  }

  protected override closedFormLr(): number[] {
    const { startFactor: s, endFactor: f, totalIters: n, lastEpoch: e } = this;
    return this.baseLrs.map((b) => b * (s + ((f - s) * Math.min(n, e)) / n));
  }
}
