/**
 * One trial of the /search study: the digits MLP `nerve train --hidden H
 * --dropout P` builds (64–H–10 ReLU, Dropout after the hidden activation
 * when P > 0, Linear seeds `seed` and `seed + 1`), trained with Adam (batch
 * 32, weight decay as L2 in the gradient) on the split `nerve train` makes
 * (digitsTrainValFrom: 80/20 train/test, 10% of train for validation,
 * standardized with training statistics), reporting the validation
 * accuracy every epoch to the study, which may stop it. The test split is
 * never looked at. The worker runs it on the page; the Node test runs it
 * in-process, so both train the same code.
 */
import { manualSeed } from '@nerve/core';
import { DataLoader, type TensorDataset } from '@nerve/data';
import { Dropout, Linear, ReLU, Sequential, crossEntropy } from '@nerve/layers';
import { createOptimizer } from '@nerve/optim';
import { fit } from '@nerve/train';
import { type Metrics, reportingCallback } from '@nerve/tune';
import type { TrialConfig } from './search-study.js';

/** The prepared digits a trial trains and validates on. */
export interface TrialData {
  train: TensorDataset;
  val: TensorDataset;
}

/**
 * Trains one trial; `report` gets each epoch's metrics (valAccuracy,
 * valLoss, trainLoss, trainAccuracy) and resolves to true when the study
 * stops the trial. Everything it creates is disposed.
 */
export async function trainTrial(
  data: TrialData,
  trial: { id: number; config: TrialConfig; seed: number },
  report: (epoch: number, metrics: Metrics) => Promise<boolean>,
): Promise<void> {
  const { config: c, seed } = trial;
  // As runStudy and `nerve train --seed` do: the global generator (Dropout's) starts from the seed.
  manualSeed(seed);
  const model = new Sequential(
    new Linear(64, c.hidden, { seed }),
    new ReLU(),
    ...(c.dropout > 0 ? [new Dropout(c.dropout)] : []),
    new Linear(c.hidden, 10, { seed: seed + 1 }),
  );
  const opt = createOptimizer('adam', model.parameters(), {
    lr: c.lr,
    weightDecay: c.weightDecay,
  });
  try {
    await fit(model, {
      train: new DataLoader(data.train, { batchSize: 32, shuffle: true, seed }),
      val: new DataLoader(data.val, { batchSize: 512 }),
      epochs: c.epochs,
      optimizer: opt,
      loss: (out, y) => crossEntropy(out, y),
      callbacks: [reportingCallback({ trialId: trial.id, seed, report })],
    });
  } finally {
    opt.disposeState();
    model.dispose();
  }
}
