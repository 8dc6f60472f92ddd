/**
 * `nerve lr-find`: the learning-rate range test (Smith 2017) on the model and
 * data `nerve train` would use. Prints the loss curve, the suggestion, and
 * leaves no trace: the weights are restored afterwards.
 */
import { manualSeed } from '@nerve/core';
import { DataLoader } from '@nerve/data';
import { crossEntropy } from '@nerve/layers';
import { type OptimizerName, createOptimizer } from '@nerve/optim';
import { type LrFindResult, formatNumber, lrFind } from '@nerve/tune';
import {
  ACTIVATIONS,
  DATASETS,
  MODELS,
  OPTIMIZERS,
  UsageError,
  numberFlag,
  oneOf,
  parseFlags,
} from './args.js';
import { prepareData } from './datasets.js';
import { buildModel, defaultHidden } from './models.js';

export interface LrFindArgs {
  dataset: (typeof DATASETS)[number];
  model: (typeof MODELS)[number];
  optimizer: (typeof OPTIMIZERS)[number];
  activation: (typeof ACTIVATIONS)[number];
  batchnorm: boolean;
  startLr: number;
  endLr: number;
  steps: number;
  batchSize: number;
  seed: number;
  json: boolean;
  dataDir?: string;
}

export function parseLrFindArgs(argv: string[]): LrFindArgs {
  const values = parseFlags(argv, {
    dataset: { type: 'string' },
    model: { type: 'string' },
    optimizer: { type: 'string' },
    activation: { type: 'string' },
    batchnorm: { type: 'boolean' },
    'start-lr': { type: 'string' },
    'end-lr': { type: 'string' },
    steps: { type: 'string' },
    'batch-size': { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'boolean' },
    'data-dir': { type: 'string' },
  });
  const s = (k: string) => values[k] as string | undefined;
  const startLr = numberFlag('start-lr', s('start-lr'), 1e-6, Number.MIN_VALUE, 100, false);
  const endLr = numberFlag('end-lr', s('end-lr'), 10, Number.MIN_VALUE, 1000, false);
  if (!(startLr < endLr))
    throw new UsageError(
      `--start-lr: expected less than --end-lr (${endLr}), received '${startLr}'`,
    );
  return {
    dataset: oneOf('dataset', s('dataset'), DATASETS, 'digits'),
    model: oneOf('model', s('model'), MODELS, 'mlp'),
    optimizer: oneOf('optimizer', s('optimizer'), OPTIMIZERS, 'momentum'),
    activation: oneOf('activation', s('activation'), ACTIVATIONS, 'relu'),
    batchnorm: values.batchnorm === true,
    startLr,
    endLr,
    steps: numberFlag('steps', s('steps'), 200, 10, 100_000, true),
    batchSize: numberFlag('batch-size', s('batch-size'), 32, 1, 65_536, true),
    seed: numberFlag('seed', s('seed'), 0, 0, 2 ** 32 - 1, true),
    json: values.json === true,
    dataDir: s('data-dir'),
  };
}

export async function runLrFind(args: LrFindArgs): Promise<LrFindResult> {
  manualSeed(args.seed);
  const data = prepareData(args.dataset, { image: args.model === 'cnn', dataDir: args.dataDir });
  const model = buildModel({
    kind: args.model,
    inputShape: data.inputShape,
    classes: data.classes,
    hidden: defaultHidden(
      args.model,
      data.inputShape.reduce((a, b) => a * b, 1),
    ),
    activation: args.activation,
    batchnorm: args.batchnorm,
    init: 'default',
    seed: args.seed,
  });
  return lrFind(
    model,
    new DataLoader(data.train, { batchSize: args.batchSize, shuffle: true, seed: args.seed }),
    {
      lossFn: (out, y) => crossEntropy(out, y),
      optimizerFactory: (params) =>
        createOptimizer(args.optimizer as OptimizerName, params, { lr: args.startLr }),
      startLr: args.startLr,
      endLr: args.endLr,
      steps: args.steps,
    },
  );
}

/** A small text plot of the smoothed loss against log10(lr). */
export function formatLrFind(r: LrFindResult): string {
  const rows = 12;
  const cols = Math.min(60, r.lrs.length);
  const finite = r.smoothed.filter(Number.isFinite);
  const lo = Math.min(...finite);
  const hi = Math.min(Math.max(...finite), lo * 4);
  const grid = Array.from({ length: rows }, () => new Array<string>(cols).fill(' '));
  for (let c = 0; c < cols; c++) {
    const i = Math.floor((c * (r.lrs.length - 1)) / Math.max(cols - 1, 1));
    const v = Math.min(r.smoothed[i], hi);
    const row = hi > lo ? Math.round(((hi - v) / (hi - lo)) * (rows - 1)) : rows - 1;
    grid[row][c] = '•';
  }
  const lines = grid.map(
    (g, k) =>
      `${k === 0 ? formatNumber(hi).padStart(9) : k === rows - 1 ? formatNumber(lo).padStart(9) : ' '.repeat(9)} │${g.join('')}`,
  );
  lines.push(`${' '.repeat(9)} └${'─'.repeat(cols)}`);
  lines.push(
    `${' '.repeat(11)}lr ${formatNumber(r.lrs[0])} … ${formatNumber(r.lrs[r.lrs.length - 1])} (log scale)${r.diverged ? ', stopped when the loss diverged' : ''}`,
  );
  lines.push(
    `suggested learning rate: ${formatNumber(r.suggestion)} (steepest descent ${formatNumber(r.steepest)}, minimum/10 ${formatNumber(r.minOver10)})`,
  );
  return lines.join('\n');
}
