/**
 * `nerve lr-find`: the learning-rate range test (Smith 2017) on the model,
 * data, optimizer and batch size `nerve train` would use (the same defaults),
 * since a rate found with one optimizer means little for another. Prints the
 * loss curve, the suggestion with the optimizer it holds for, and the
 * `nerve train` command that trains with it; the weights are restored.
 */
import { manualSeed } from '@nerve/core';
import { type Module, crossEntropy, mseLoss } from '@nerve/layers';
import { type OptimizerName, createOptimizer } from '@nerve/optim';
import { type LrFindResult, formatNumber, lrFind } from '@nerve/tune';
import {
  type ArchArgs,
  type DataArgs,
  type OPTIMIZERS,
  UsageError,
  archArgs,
  dataArgs,
  trainDefaults,
} from './args.js';
import { LR_FIND } from './commands.js';
import { loadData, trainLoader } from './datasets.js';
import { parseCommand } from './flags.js';
import { buildModel, specFor } from './models.js';
import { checkWritable, isHtmlPath } from './out-path.js';
import { lrFindReport } from './reports/lr-find-report.js';
import { cliVersion } from './version.js';

/** The flags of `nerve lr-find`: the data and network of `nerve train`, and the sweep. */
export interface LrFindArgs extends DataArgs, ArchArgs {
  optimizer: (typeof OPTIMIZERS)[number];
  startLr: number;
  endLr: number;
  steps: number;
  batchSize: number;
  seed: number;
  json: boolean;
  /** A self-contained HTML report of the sweep. */
  report?: string;
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

/** Parses `nerve lr-find` flags (table: LR_FIND); defaults follow `nerve train`'s. */
export function parseLrFindArgs(argv: string[]): LrFindArgs {
  const v = parseCommand(LR_FIND, argv);
  const startLr = (v['start-lr'] as number | undefined) ?? 1e-6;
  const endLr = (v['end-lr'] as number | undefined) ?? 10;
  if (!(startLr < endLr))
    throw new UsageError(
      `--start-lr: expected less than --end-lr (${endLr}), received '${startLr}'`,
      'lr-find',
    );
  const data = dataArgs(v, argv, 'lr-find');
  const arch = archArgs(v, 'lr-find');
  // nerve train's default optimizer (parseTrainArgs): a rate found with
  // another one would not fit a bare `nerve train`.
  const optimizer = (v.optimizer as LrFindArgs['optimizer'] | undefined) ?? 'adam';
  const defaults = trainDefaults(data.dataset, arch.model, optimizer);
  const report = v.report as string | undefined;
  if (report !== undefined && !isHtmlPath(report)) {
    throw new UsageError(
      `--report: expected a path ending in .html, received '${report}'`,
      'lr-find',
    );
  }
  return {
    ...data,
    ...arch,
    optimizer,
    startLr,
    endLr,
    steps: (v.steps as number | undefined) ?? 200,
    batchSize: (v['batch-size'] as number | undefined) ?? defaults.batchSize,
    seed: (v.seed as number | undefined) ?? 0,
    json: v.json === true,
    ...(report === undefined ? {} : { report }),
  };
}

/** Runs the range test as the flags say. */
export async function runLrFind(args: LrFindArgs): Promise<LrFindReport> {
  if (args.report) checkWritable('report', args.report);
  manualSeed(args.seed);
  const data = loadData(args, args.model);
  data.test.dispose();
  const regression = args.table?.task === 'regression';
  const augment = args.images?.augment;
  let r: LrFindResult;
  // The model and the data are freed on every path (the report holds numbers only).
  let model: Module | undefined;
  try {
    model = buildModel(specFor(args, data, args.seed));
    r = await lrFind(
      model,
      trainLoader(data.train, { batchSize: args.batchSize, seed: args.seed, augment }),
      {
        lossFn: regression ? (out, y) => mseLoss(out, y) : (out, y) => crossEntropy(out, y),
        optimizerFactory: (params) =>
          createOptimizer(args.optimizer as OptimizerName, params, { lr: args.startLr }),
        startLr: args.startLr,
        endLr: args.endLr,
        steps: args.steps,
      },
    );
  } finally {
    model?.dispose();
    data.train.dispose();
    data.val.dispose();
  }
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
  const flags = [
    ...dataFlags(args),
    `--model ${args.model}`,
    `--optimizer ${args.optimizer}`,
    `--lr ${Number(lr.toPrecision(2))}`,
    `--batch-size ${args.batchSize}`,
    ...archFlags(args),
  ];
  if (args.seed !== 0) flags.push(`--seed ${args.seed}`);
  return `pnpm nerve train ${flags.join(' ')}`;
}

/** The data flags that name `d` on a command line (the inverse of dataArgs). */
export function dataFlags(d: DataArgs): string[] {
  const t = d.table;
  const q = JSON.stringify;
  if (t) {
    return [
      `--csv ${q(t.path)} --label ${q(t.label)}`,
      ...(t.task === 'regression' ? ['--task regression'] : []),
      ...(t.missing === 'mean' ? ['--missing mean'] : []),
      ...(t.categorical.length ? [`--categorical ${q(t.categorical.join(','))}`] : []),
      ...(t.ignore.length ? [`--ignore ${q(t.ignore.join(','))}`] : []),
      ...(t.delimiter ? [`--delimiter ${t.delimiter === '\t' ? 'tab' : `'${t.delimiter}'`}`] : []),
    ];
  }
  const i = d.images;
  if (i) {
    return [
      `--images ${q(i.dir)} --size ${i.size}`,
      ...(i.channels === 1 ? ['--grayscale'] : []),
      ...(i.augment.padding > 0 ? [`--random-crop ${i.augment.padding}`] : []),
      ...(i.augment.flip ? ['--flip'] : []),
    ];
  }
  return [
    `--dataset ${d.dataset}`,
    ...(d.dataDir === undefined ? [] : [`--data-dir ${q(d.dataDir)}`]),
  ];
}

/** The architecture flags (beside --model) that differ from their defaults. */
export function archFlags(a: ArchArgs): string[] {
  const flags: string[] = [];
  if (a.activation !== 'relu') flags.push(`--activation ${a.activation}`);
  if (a.init !== 'default') flags.push(`--init ${a.init}`);
  if (a.batchnorm) flags.push('--batchnorm');
  if (a.hidden !== undefined) flags.push(`--hidden ${a.hidden.join(',')}`);
  if (a.dropout > 0) flags.push(`--dropout ${a.dropout}`);
  return flags;
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
