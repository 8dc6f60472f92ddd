/**
 * A training callback that reports every epoch of `fit` to a study and ends
 * training when the study says the trial should stop.
 */
import type { EpochRecord } from '@nerve/metrics';
import type { Callback, TrainContext } from '@nerve/train';
import type { Metrics, Reporter } from './trial.js';

/** The metrics of an epoch record (a missing validation value, e.g. after divergence, is NaN). */
export function epochMetrics(record: EpochRecord): Metrics {
  const m: Metrics = { trainLoss: record.trainLoss, valLoss: record.valLoss ?? Number.NaN };
  if (record.trainAccuracy !== undefined) m.trainAccuracy = record.trainAccuracy;
  if (record.valAccuracy !== undefined || record.trainAccuracy !== undefined) {
    m.valAccuracy = record.valAccuracy ?? Number.NaN;
  }
  return m;
}

/** Reports each epoch to `reporter`; sets ctx.stop when the trial is stopped. */
export function reportingCallback(reporter: Reporter): Callback {
  return {
    async onEpochEnd(record: EpochRecord, ctx: TrainContext): Promise<void> {
      if (await reporter.report(record.epoch, epochMetrics(record))) {
        ctx.stop = true;
        ctx.stopReason = `stopped by the study (trial ${reporter.trialId})`;
      }
    },
  };
}
