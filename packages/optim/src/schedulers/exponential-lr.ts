/** ExponentialLR: decay by gamma every step (torch.optim.lr_scheduler.ExponentialLR). */
import type { Optimizer } from '../optimizer.js';
import { checkNumber, checkOptions } from '../validate.js';
import { LRScheduler } from './scheduler.js';

/** ExponentialLR options. */
export interface ExponentialLROptions {
  /** Factor applied to the lr at every step. */
  gamma: number;
}

/** lr = baseLr · gamma^t. */
export class ExponentialLR extends LRScheduler {
  protected readonly kind = 'ExponentialLR';
  /** Factor applied to the lr at every step. */
  gamma: number;

  constructor(optimizer: Optimizer, opts: ExponentialLROptions) {
    super(optimizer);
    const o = checkOptions('ExponentialLR', opts, ['gamma']);
    this.gamma = o.gamma as number;
    this.check('ExponentialLR');
    this.initBaseLrs();
    this.initialStep();
  }

  protected override check(op: string): void {
    checkNumber(op, 'gamma', this.gamma);
  }

  protected override stateKeys(): readonly string[] {
    return ['gamma'];
  }

  protected override getLr(): number[] {
    return this.optimizer.paramGroups.map((g) => (this.lastEpoch === 0 ? g.lr : g.lr * this.gamma));
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }
}
