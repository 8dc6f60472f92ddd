/**
 * ChainedScheduler: step several chainable schedulers together, each
 * scaling the lr the previous one left (torch.optim.lr_scheduler.ChainedScheduler).
 */
import { NerveError, describeValue } from '@nerve/core';
import type { Optimizer } from '../optimizer.js';
import { LRScheduler, type SchedulerStateDict } from './scheduler.js';
import { ReduceLROnPlateau } from './reduce-lr-on-plateau.js';
import { checkSchedulers, loadAll } from './compose.js';

function optimizerOf(schedulers: unknown): Optimizer {
  const first = Array.isArray(schedulers) ? (schedulers[0] as unknown) : undefined;
  if (!(first instanceof LRScheduler)) {
    throw new NerveError(
      'ChainedScheduler',
      'a non-empty array of schedulers',
      describeValue(schedulers),
    );
  }
  return first.optimizer;
}

/** Every step() steps all the schedulers, in order. */
export class ChainedScheduler extends LRScheduler {
  protected readonly kind = 'ChainedScheduler';
  /** The schedulers stepped together, in order, each on the lr the previous one left. */
  readonly schedulers: LRScheduler[];

  constructor(schedulers: LRScheduler[]) {
    super(optimizerOf(schedulers));
    this.schedulers = checkSchedulers('ChainedScheduler', schedulers, null, [ReduceLROnPlateau]);
    this.initBaseLrs();
    this.lastEpoch = 0;
  }

  override step(_metric?: number): void {
    for (const s of this.schedulers) s.step();
    this.lastEpoch += 1;
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  override loadStateDict(state: SchedulerStateDict): void {
    const op = 'ChainedScheduler.loadStateDict';
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
