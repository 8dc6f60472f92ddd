/** MultiStepLR: decay by gamma at each milestone (torch.optim.lr_scheduler.MultiStepLR). */
import { NerveError, describeValue } from '@nerve/core';
import type { Optimizer } from '../optimizer.js';
import { checkInt, checkNumber, checkOptions } from '../validate.js';
import { LRScheduler } from './scheduler.js';

/** MultiStepLR options. */
export interface MultiStepLROptions {
  /** Step counts at which the lr is multiplied by gamma. */
  milestones: readonly number[];
  /** Factor applied at each milestone (default 0.1). */
  gamma?: number;
}

/** lr = baseLr · gamma^(milestones ≤ t); a milestone listed twice decays twice. */
export class MultiStepLR extends LRScheduler {
  protected readonly kind = 'MultiStepLR';
  /** Sorted, repeats kept (PyTorch counts them). */
  /** Step counts at which the lr is multiplied by gamma. */
  milestones: number[];
  /** Factor applied at each milestone. */
  gamma: number;

  constructor(optimizer: Optimizer, opts: MultiStepLROptions) {
    super(optimizer);
    const o = checkOptions('MultiStepLR', opts, ['milestones', 'gamma']);
    if (!Array.isArray(o.milestones)) {
      throw new NerveError(
        'MultiStepLR',
        'milestones to be an array of step indices',
        describeValue(o.milestones),
      );
    }
    this.milestones = [...(o.milestones as number[])].sort((a, b) => a - b);
    this.gamma = (o.gamma ?? 0.1) as number;
    this.check('MultiStepLR');
    this.initBaseLrs();
    this.initialStep();
  }

  protected override check(op: string): void {
    for (const [i, m] of this.milestones.entries()) checkInt(op, `milestones[${i}]`, m, 0);
    checkNumber(op, 'gamma', this.gamma);
  }

  protected override stateKeys(): readonly string[] {
    return ['milestones', 'gamma'];
  }

  protected override getLr(): number[] {
    const hits = this.milestones.filter((m) => m === this.lastEpoch).length;
    return this.optimizer.paramGroups.map((g) => (hits === 0 ? g.lr : g.lr * this.gamma ** hits));
  }

  protected override closedFormLr(): number[] {
    const passed = this.milestones.filter((m) => m <= this.lastEpoch).length;
    return this.baseLrs.map((b) => b * this.gamma ** passed);
  }
}
