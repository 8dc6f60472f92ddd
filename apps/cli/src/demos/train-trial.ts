/**
 * The objective `nerve tune` searches: the network `nerve train` would build
 * (MLP or CNN, with the architecture flags), on the data `nerve train` would
 * load (a built-in data set or a table of the user's own), prepared the same
 * way (test held out, 10% of train for validation, statistics fitted on the
 * training part). Trials are judged on the validation part; the test part is
 * never touched while tuning. Everything a trial creates is disposed.
 */
import '@nerve/backend-cpu';
import { ready, setBackend, toBackend } from '@nerve/core';
import { DataLoader, TensorDataset } from '@nerve/data';
import { crossEntropy, mseLoss } from '@nerve/layers';
import { type OptimizerName, createOptimizer } from '@nerve/optim';
import { fit } from '@nerve/train';
import { type ObjectiveRef, type Reporter, reportingCallback } from '@nerve/tune';
import type { ImageArgs, TableArgs } from '../args.js';
import { loadData, trainLoader } from '../datasets.js';
import { periodicYield } from '../interrupt.js';
import { type ModelSpec, buildModel, defaultHidden } from '../models.js';

/** What stays fixed across a study's trials: the data and the model's kind. */
export interface TrialSetup {
  dataset: 'digits' | 'fashion-mnist' | 'spiral';
  /** A table of the user's own instead of `dataset`. */
  table?: TableArgs;
  /** A folder of images of the user's own instead of `dataset`. */
  images?: ImageArgs;
  dataDir?: string;
  /** nerve's MLP or CNN, or a network of @nerve/models (its layers fixed). */
  model: ModelSpec['kind'];
  activation: string;
  init: string;
  batchnorm: boolean;
  dropout: number;
  /** Hidden layers of the MLP, each `hidden` units wide (default 1). */
  depth: number;
  /** Where the trials train (default cpu); data are prepared on the CPU and moved there. */
  backend?: 'cpu' | 'webgpu';
}

/**
 * Registers and starts `backend` (webgpu: @nerve/backend-webgpu, loaded only
 * when asked for); fails with one line when it cannot start here.
 */
export async function startBackend(backend: 'cpu' | 'webgpu'): Promise<void> {
  if (backend === 'webgpu') {
    try {
      await import('@nerve/backend-webgpu');
    } catch (e) {
      throw new Error(
        `--backend webgpu: @nerve/backend-webgpu could not be loaded (${(e as Error).message})`,
      );
    }
  }
  // Says why when the backend cannot start (no adapter) and names the alternatives.
  await ready(backend);
}

/** Moves a data set's tensors to `backend`, disposing the originals. */
async function moveTo(ds: TensorDataset, backend: string): Promise<TensorDataset> {
  const moved = await Promise.all(ds.tensors.map((t) => toBackend(t, backend)));
  for (const t of ds.tensors) t.dispose();
  return new TensorDataset(...moved);
}

/** The digits MLP of the earlier `nerve tune`: one ReLU hidden layer. */
export const DIGITS_MLP: TrialSetup = {
  dataset: 'digits',
  model: 'mlp',
  activation: 'relu',
  init: 'default',
  batchnorm: false,
  dropout: 0,
  depth: 1,
};

/** What a trial can tune. */
export interface TrialConfig {
  lr: number;
  /** L2 weight decay (default 0). */
  weightDecay?: number;
  /** Units of each hidden layer of the MLP (default 64; a CNN keeps its own widths). */
  hidden?: number;
  /** Mini-batch size (default 32). */
  batchSize?: number;
  /** Epochs (default 10). */
  epochs?: number;
  /** Optimizer name for createOptimizer (default 'adam'). */
  optimizer?: OptimizerName;
  /** SGD momentum, when the optimizer takes one. */
  momentum?: number;
  /** Drop probability after each hidden activation (default: the setup's). */
  dropout?: number;
}

/**
 * Trains the setup's network with `config` and reports valLoss, valAccuracy
 * (classification), trainLoss and trainAccuracy every epoch; the study's
 * metric (best valLoss by default) is the trial's objective.
 */
export async function trainTrial(
  config: TrialConfig,
  reporter: Reporter,
  setup: TrialSetup = DIGITS_MLP,
): Promise<void> {
  const {
    lr,
    weightDecay = 0,
    hidden = 64,
    batchSize = 32,
    epochs = 10,
    optimizer = 'adam',
  } = config;
  const seed = reporter.seed;
  const data = loadData(setup, setup.model);
  data.test.dispose();
  const backend = setup.backend ?? 'cpu';
  if (backend !== 'cpu') {
    // Prepared on the CPU (as nerve train does), trained on the backend: the model is built
    // there from the same seeded generator, so a trial starts from the same weights on either.
    await startBackend(backend);
    data.train = await moveTo(data.train, backend);
    data.val = await moveTo(data.val, backend);
    setBackend(backend);
  }
  const regression = setup.table?.task === 'regression';
  const inputs = data.inputShape.reduce((a, b) => a * b, 1);
  const model = buildModel({
    kind: setup.model,
    inputShape: data.inputShape,
    classes: data.classes,
    hidden:
      setup.model === 'mlp'
        ? new Array<number>(setup.depth).fill(hidden)
        : defaultHidden(setup.model, inputs),
    activation: setup.activation,
    batchnorm: setup.batchnorm,
    dropout: config.dropout ?? setup.dropout,
    init: setup.init,
    seed,
  });
  const extra = config.momentum === undefined ? {} : { momentum: config.momentum };
  const opt = createOptimizer(optimizer, model.parameters(), { lr, weightDecay, ...extra });
  try {
    await fit(model, {
      train: trainLoader(data.train, { batchSize, seed, augment: setup.images?.augment }),
      val: new DataLoader(data.val, { batchSize: 512 }),
      epochs,
      optimizer: opt,
      loss: regression ? (out, y) => mseLoss(out, y) : (out, y) => crossEntropy(out, y),
      accuracy: !regression,
      // Yields to the event loop every 100 ms, so Ctrl-C is seen within a batch, not an epoch.
      callbacks: [reportingCallback(reporter), { onBatchEnd: periodicYield(100) }],
    });
  } finally {
    opt.disposeState();
    model.dispose();
    data.train.dispose();
    data.val.dispose();
    if (backend !== 'cpu') setBackend('cpu');
  }
}

/**
 * The CPU backend's thread setting, so that this module also serves as the
 * `backendModule` of `nerve tune`'s worker threads: importing it registers the
 * CPU backend (above), and tune sets each worker to one kernel thread. One
 * module for both works unchanged in the bundle, where it is dist/worker.js.
 */
export { setThreads } from '@nerve/backend-cpu';

/** trainTrial as a module reference, for parallel studies; give the setup as `args`. */
export const trainTrialObjective: ObjectiveRef = {
  module: import.meta.url,
  exportName: 'trainTrial',
};
