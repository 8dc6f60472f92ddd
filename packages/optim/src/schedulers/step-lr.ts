/** StepLR: decay by gamma every stepSize steps (torch.optim.lr_scheduler.StepLR). */
import type { Optimizer } from '../optimizer.js';
import { checkInt, checkNumber, checkOptions } from '../validate.js';
import { LRScheduler } from './scheduler.js';

/** StepLR options. */
export interface StepLROptions {
  /** Steps between reductions. */
  stepSize: number;
  /** Factor applied every stepSize steps (default 0.1). */
  gamma?: number;
}

/** lr = baseLr · gamma^⌊t / stepSize⌋. */
export class StepLR extends LRScheduler {
  protected readonly kind = 'StepLR';
  /** Steps between reductions. */
  stepSize: number;
  /** Factor applied every stepSize steps. */
  gamma: number;

  constructor(optimizer: Optimizer, opts: StepLROptions) {
    super(optimizer);
    const o = checkOptions('StepLR', opts, ['stepSize', 'gamma']);
    this.stepSize = o.stepSize as number;
    this.gamma = (o.gamma ?? 0.1) as number;
    this.check('StepLR');
    this.initBaseLrs();
    this.initialStep();
  }

  protected override check(op: string): void {
    checkInt(op, 'stepSize', this.stepSize, 1);
    checkNumber(op, 'gamma', this.gamma);
  }

  protected override stateKeys(): readonly string[] {
    return ['stepSize', 'gamma'];
  }

  protected override getLr(): number[] {
    const e = this.lastEpoch;
    const decay = e !== 0 && e % this.stepSize === 0;
    return this.optimizer.paramGroups.map((g) => (decay ? g.lr * this.gamma : g.lr));
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}
