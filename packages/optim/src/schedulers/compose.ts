/** Helpers for schedulers built from other schedulers (SequentialLR, ChainedScheduler). */
import { NerveError, describeValue } from '@nerve/core';
import type { Optimizer } from '../optimizer.js';
import { LRScheduler, type SchedulerStateDict } from './scheduler.js';

/** Checks sub-schedulers: a non-empty list on one optimizer, none that needs a metric. */
export function checkSchedulers(
  op: string,
  schedulers: unknown,
  optimizer: Optimizer | null,
  forbidden: readonly (abstract new (...args: never[]) => LRScheduler)[],
): LRScheduler[] {
  if (!Array.isArray(schedulers) || schedulers.length === 0) {
    throw new NerveError(op, 'a non-empty array of schedulers', describeValue(schedulers));
  }
  const opt = optimizer ?? (schedulers[0] as LRScheduler | undefined)?.optimizer;
  schedulers.forEach((s, i) => {
    if (!(s instanceof LRScheduler))
      throw new NerveError(op, `schedulers[${i}] to be an LRScheduler`, describeValue(s));
    for (const F of forbidden) {
      if (s instanceof F)
        throw new NerveError(
          op,
          `schedulers[${i}] to be a plain schedule`,
          `a ${s.constructor.name}`,
        );
    }
    if (s.optimizer !== opt)
      throw NerveError.raw(op, `schedulers[${i}] belongs to another optimizer`);
  });
  return schedulers as LRScheduler[];
}

/** Loads sub-scheduler states all or nothing. */
export function loadAll(op: string, schedulers: LRScheduler[], states: unknown): void {
  if (!Array.isArray(states) || states.length !== schedulers.length) {
    throw new NerveError(op, `${schedulers.length} scheduler states`, describeValue(states));
  }
  const before = schedulers.map((s) => s.stateDict());
  try {
    for (const [i, s] of schedulers.entries()) s.loadStateDict(states[i] as SchedulerStateDict);
  } catch (e) {
    for (const [i, s] of schedulers.entries()) s.loadStateDict(before[i]);
    throw e;
  }
}
