/**
 * The objective `nerve tune` searches (a demo, not part of @nerve/tune): an MLP on the bundled UCI digits, prepared the way
 * `nerve train` prepares them (80/20 stratified train/test split with seed 0,
 * 10% of train held out for validation, standardized with training
 * statistics). Trials are judged on the validation split; the test split is
 * never touched while tuning. Everything a trial creates is disposed.
 */
import '@nerve/backend-cpu';
import { DataLoader, digitsTrainVal } from '@nerve/data';
import { Linear, ReLU, Sequential, crossEntropy } from '@nerve/layers';
import { type OptimizerName, createOptimizer } from '@nerve/optim';
import { fit } from '@nerve/train';
import { type ObjectiveRef, type Reporter, reportingCallback } from '@nerve/tune';

/** What a digits trial can tune. */
export interface DigitsMlpConfig {
  lr: number;
  /** L2 weight decay (default 0). */
  weightDecay?: number;
  /** Hidden units of the single hidden layer (default 64). */
  hidden?: number;
  /** Mini-batch size (default 32). */
  batchSize?: number;
  /** Epochs (default 10). */
  epochs?: number;
  /** Optimizer name for createOptimizer (default 'adam'). */
  optimizer?: OptimizerName;
  /** SGD momentum, when the optimizer takes one. */
  momentum?: number;
}

/**
 * Trains a 64–hidden–10 ReLU MLP with `config` and reports valLoss,
 * valAccuracy, trainLoss and trainAccuracy every epoch; the study's metric
 * (best valLoss by default) is the trial's objective.
 */
export async function digitsMlp(config: DigitsMlpConfig, reporter: Reporter): Promise<void> {
  const {
    lr,
    weightDecay = 0,
    hidden = 64,
    batchSize = 32,
    epochs = 10,
    optimizer = 'adam',
  } = config;
  const seed = reporter.seed;
  const { train, val, test } = digitsTrainVal();
  test.dispose();
  const model = new Sequential(
    new Linear(64, hidden, { seed }),
    new ReLU(),
    new Linear(hidden, 10, { seed: seed + 1 }),
  );
  const extra = config.momentum === undefined ? {} : { momentum: config.momentum };
  const opt = createOptimizer(optimizer, model.parameters(), { lr, weightDecay, ...extra });
  try {
    await fit(model, {
      train: new DataLoader(train, { batchSize, shuffle: true, seed }),
      val: new DataLoader(val, { batchSize: 512 }),
      epochs,
      optimizer: opt,
      loss: (out, y) => crossEntropy(out, y),
      callbacks: [reportingCallback(reporter)],
    });
  } finally {
    opt.disposeState();
    model.dispose();
    train.dispose();
    val.dispose();
  }
}

/**
 * The CPU backend's thread setting, so that this module also serves as the
 * `backendModule` of `nerve tune`'s worker threads: importing it registers the
 * CPU backend (above), and tune sets each worker to one kernel thread. One
 * module for both works unchanged in the bundle, where it is dist/worker.js.
 */
export { setThreads } from '@nerve/backend-cpu';

/** digitsMlp as a module reference, for parallel studies (and `nerve tune`). */
export const digitsMlpObjective: ObjectiveRef = {
  module: import.meta.url,
  exportName: 'digitsMlp',
};
