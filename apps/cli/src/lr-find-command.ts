/**
 * `nerve lr-find`: the learning-rate range test (Smith 2017) on the model,
 * data, optimizer and batch size `nerve train` would use (the same defaults),
 * since a rate found with one optimizer means little for another. Prints the
 * loss curve, the suggestion with the optimizer it holds for, and the
 * `nerve train` command that trains with it; the weights are restored.
 */
import { manualSeed } from '@nerve/core';
import { DataLoader } from '@nerve/data';
import { crossEntropy, mseLoss } from '@nerve/layers';
import { type OptimizerName, createOptimizer } from '@nerve/optim';
import { type LrFindResult, formatNumber, lrFind } from '@nerve/tune';
import {
  ACTIVATIONS,
  DATASETS,
  MODELS,
  OPTIMIZERS,
  type TableArgs,
  UsageError,
  numberFlag,
  oneOf,
  parseFlags,
  tableArgs,
  trainDefaults,
} from './args.js';
import { prepareData, prepareTableData } from './datasets.js';
import { checkWritable, isHtmlPath } from './out-path.js';
import { lrFindReport } from './reports/lr-find-report.js';
import { cliVersion } from './version.js';
import { buildModel, defaultHidden } from './models.js';

/** The flags of `nerve lr-find`. */
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
  /** A self-contained HTML report of the sweep. */
  report?: string;
  /** A table of the user's own (--csv), instead of --dataset. */
  table?: TableArgs;
}

/** What `nerve lr-find` found, with the optimizer's flag name and the command to train with it. */
export interface LrFindReport extends LrFindResult {
  /** The `--optimizer` the sweep ran with. */
  optimizer: string;
  /** `pnpm nerve train …` with the suggestion and the flags that shaped the sweep. */
  command: string;
  /** The HTML report written (--report). */
  report?: string;
}

/** Parses `nerve lr-find` flags; defaults follow `nerve train`'s. */
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
    report: { type: 'string' },
    csv: { type: 'string' },
    label: { type: 'string' },
    task: { type: 'string' },
    missing: { type: 'string' },
    categorical: { type: 'string' },
    ignore: { type: 'string' },
    delimiter: { type: 'string' },
  });
  const s = (k: string) => values[k] as string | undefined;
  const startLr = numberFlag('start-lr', s('start-lr'), 1e-6, Number.MIN_VALUE, 100, false);
  const endLr = numberFlag('end-lr', s('end-lr'), 10, Number.MIN_VALUE, 1000, false);
  if (!(startLr < endLr))
    throw new UsageError(
      `--start-lr: expected less than --end-lr (${endLr}), received '${startLr}'`,
    );
  const dataset = oneOf('dataset', s('dataset'), DATASETS, 'digits');
  const model = oneOf('model', s('model'), MODELS, 'mlp');
  const task = oneOf(
    'task',
    s('task'),
    ['classification', 'regression'] as const,
    'classification',
  );
  const missing = oneOf('missing', s('missing'), ['refuse', 'mean'] as const, 'refuse');
  const delimiter =
    s('delimiter') === undefined
      ? undefined
      : oneOf('delimiter', s('delimiter'), [',', ';', 'tab'] as const, ',');
  const table = tableArgs({ ...values, model, task, missing, delimiter }, argv, 'lr-find');
  // nerve train's default optimizer (parseTrainArgs): a rate found with
  // another one would not fit a bare `nerve train`.
  const optimizer = oneOf('optimizer', s('optimizer'), OPTIMIZERS, 'adam');
  const defaults = trainDefaults(dataset, model, optimizer);
  const report = s('report');
  if (report !== undefined && !isHtmlPath(report)) {
    throw new UsageError(
      `--report: expected a path ending in .html, received '${report}'`,
      'lr-find',
    );
  }
  return {
    dataset,
    model,
    optimizer,
    activation: oneOf('activation', s('activation'), ACTIVATIONS, 'relu'),
    batchnorm: values.batchnorm === true,
    startLr,
    endLr,
    steps: numberFlag('steps', s('steps'), 200, 10, 100_000, true),
    batchSize: numberFlag('batch-size', s('batch-size'), defaults.batchSize, 1, 65_536, true),
    seed: numberFlag('seed', s('seed'), 0, 0, 2 ** 32 - 1, true),
    json: values.json === true,
    dataDir: s('data-dir'),
    ...(report === undefined ? {} : { report }),
    ...(table === undefined ? {} : { table }),
  };
}

/** Runs the range test as the flags say. */
export async function runLrFind(args: LrFindArgs): Promise<LrFindReport> {
  if (args.report) checkWritable('report', args.report);
  manualSeed(args.seed);
  const data = args.table
    ? prepareTableData(args.table, {})
    : prepareData(args.dataset, { image: args.model === 'cnn', dataDir: args.dataDir });
  const regression = args.table?.task === 'regression';
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
  const r = await lrFind(
    model,
    new DataLoader(data.train, { batchSize: args.batchSize, shuffle: true, seed: args.seed }),
    {
      lossFn: regression ? (out, y) => mseLoss(out, y) : (out, y) => crossEntropy(out, y),
      optimizerFactory: (params) =>
        createOptimizer(args.optimizer as OptimizerName, params, { lr: args.startLr }),
      startLr: args.startLr,
      endLr: args.endLr,
      steps: args.steps,
    },
  );
  const found: LrFindReport = {
    ...r,
    optimizer: args.optimizer,
    command: trainCommand(args, r.suggestion),
  };
  if (args.report) {
    const { writeReport } = await import('./reports/write-report.js');
    writeReport('report', args.report, lrFindReport(found), `nerve ${cliVersion()}`);
    found.report = args.report;
  }
  return found;
}

/** The `nerve train` command for `lr`, with the lr-find flags that change what trains. */
export function trainCommand(args: LrFindArgs, lr: number): string {
  const t = args.table;
  const flags = [
    ...(t
      ? [
          `--csv ${JSON.stringify(t.path)} --label ${JSON.stringify(t.label)}`,
          ...(t.task === 'regression' ? ['--task regression'] : []),
          ...(t.missing === 'mean' ? ['--missing mean'] : []),
          ...(t.categorical.length
            ? [`--categorical ${JSON.stringify(t.categorical.join(','))}`]
            : []),
          ...(t.ignore.length ? [`--ignore ${JSON.stringify(t.ignore.join(','))}`] : []),
          ...(t.delimiter
            ? [`--delimiter ${t.delimiter === '\t' ? 'tab' : `'${t.delimiter}'`}`]
            : []),
        ]
      : [`--dataset ${args.dataset}`]),
    `--model ${args.model}`,
    `--optimizer ${args.optimizer}`,
    `--lr ${Number(lr.toPrecision(2))}`,
    `--batch-size ${args.batchSize}`,
  ];
  if (args.activation !== 'relu') flags.push(`--activation ${args.activation}`);
  if (args.batchnorm) flags.push('--batchnorm');
  if (args.seed !== 0) flags.push(`--seed ${args.seed}`);
  if (args.dataDir !== undefined) flags.push(`--data-dir ${JSON.stringify(args.dataDir)}`);
  return `pnpm nerve train ${flags.join(' ')}`;
}

/** A small text plot of the smoothed loss against log10(lr). */
export function formatLrFind(r: LrFindResult & { command?: string; report?: string }): string {
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
    `suggested learning rate for ${r.optimizer}: ${formatNumber(r.suggestion)} (the smaller of steepest descent ${formatNumber(r.steepest)} and minimum/10 ${formatNumber(r.minOver10)}); it holds for this optimizer and batch size only`,
  );
  if (r.command) lines.push(`train with it: ${r.command}`);
  if (r.report) lines.push(`report ${r.report}`);
  return lines.join('\n');
}
