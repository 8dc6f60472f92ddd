/**
 * What one `nerve train` run produced: the summary of --json, and what
 * its report (reports/train-report.ts) is drawn from.
 */
import type { EpochRecord, Finding } from '@nerve/metrics';
import type { ModelSpec } from './models.js';

/** One run's settings, history, diagnosis and test result. */
export interface TrainResult {
  dataset: string;
  backend: string;
  model: ModelSpec;
  optimizer: string;
  lr: number;
  /** The optimizer's weight decay (its own default when --weight-decay was absent). */
  weightDecay: number;
  batchSize: number;
  epochs: number;
  /** NaN for a regression task. */
  testAccuracy: number;
  testLoss: number;
  /** Regression (--task regression): the test root-mean-square error in the target's units. */
  testRmse?: number;
  /** A table's class names, in the order of the network's outputs. */
  classNames?: string[];
  seconds: number;
  parameters: number;
  history: EpochRecord[];
  diagnosis: Finding[];
  stopReason?: string;
  checkpoint?: string;
  /** The HTML report written (--report). */
  report?: string;
}
