/**
 * SequentialLR: hand the lr to one scheduler after another at milestones,
 * e.g. warmup then cosine (torch.optim.lr_scheduler.SequentialLR).
 */
import { NerveError, describeValue } from '@nerve/core';
import type { Optimizer } from '../optimizer.js';
import { checkInt } from '../validate.js';
import { checkSchedulers, loadAll } from './compose.js';
import { ChainedScheduler } from './chained-scheduler.js';
import { ReduceLROnPlateau } from './reduce-lr-on-plateau.js';
import { LRScheduler, type SchedulerStateDict } from './scheduler.js';

/** Runs schedulers[i] from milestones[i − 1] on (restarting it there from its step 0). */
export class SequentialLR extends LRScheduler {
  protected readonly kind = 'SequentialLR';
  /** The schedulers, each in charge from its milestone on. */
  readonly schedulers: LRScheduler[];
  /** Step counts at which the next scheduler takes over (one fewer than the schedulers). */
  milestones: number[];

  constructor(optimizer: Optimizer, schedulers: LRScheduler[], milestones: readonly number[]) {
    super(optimizer);
    const op = 'SequentialLR';
    this.schedulers = checkSchedulers(op, schedulers, optimizer, [
      ReduceLROnPlateau,
      SequentialLR,
      ChainedScheduler,
    ]);
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1) {
      throw new NerveError(
        op,
        `${schedulers.length - 1} milestones (one fewer than schedulers)`,
        describeValue(milestones),
      );
    }
    this.milestones = [...milestones];
    this.check(op);
    this.initBaseLrs();
    // As PyTorch: undo the sub-schedulers' own first steps and restart the first one.
    for (const g of optimizer.paramGroups) g.lr = g.initialLr as number;
    for (const s of this.schedulers) s.lastEpoch -= 1;
    this.schedulers[0].initialStep();
    this.lastEpoch = 0;
    this.lastLr = this.schedulers[0].getLastLr();
  }

  protected override check(op: string): void {
    this.milestones.forEach((m, i) => {
      checkInt(op, `milestones[${i}]`, m, 1);
      if (i > 0 && m <= this.milestones[i - 1])
        throw new NerveError(op, 'increasing milestones', describeValue(this.milestones));
    });
  }

  protected override stateKeys(): readonly string[] {
    return ['milestones'];
  }

  override step(_metric?: number): void {
    const epoch = this.lastEpoch + 1;
    const idx = this.milestones.filter((m) => m <= epoch).length;
    const s = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === epoch) s.stepTo(0);
    else s.step();
    this.lastEpoch = epoch;
    this.lastLr = s.getLastLr();
  }

  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  override loadStateDict(state: SchedulerStateDict): void {
    const op = 'SequentialLR.loadStateDict';
    const before = super.stateDict();
    super.loadStateDict(state);
    try {
      loadAll(op, this.schedulers, state.schedulers);
    } catch (e) {
      super.loadStateDict(before);
      throw e;
    }
  }
}
