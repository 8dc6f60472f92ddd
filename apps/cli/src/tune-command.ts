/**
 * `nerve tune`: hyperparameter search for the network `nerve train` would
 * build on the data it would load (default: the digits MLP). The space comes
 * from flags (`--lr 1e-4:1e-1` is searched in log space) or a JSON file;
 * trials run in-process or on worker threads, each finished trial is appended
 * to the study file the moment it ends, and a rerun resumes the study.
 */
import { readFileSync } from 'node:fs';
import {
  type Param,
  type StudyResult,
  type TrialRecord,
  asha,
  choice,
  coarseToFine,
  formatNumber,
  formatStudy,
  gridSearch,
  intUniform,
  logUniform,
  patience,
  randomSearch,
  rungsBetween,
  runStudy,
  space,
  studyWarnings,
  uniform,
} from '@nerve/tune';
import { OPTIMIZERS, UsageError, imageArgs, tableArgs } from './args.js';
import { TUNE } from './commands.js';
import { parseCommand, suggestion } from './flags.js';
import { yieldToEventLoop } from './interrupt.js';
import { type TrialSetup, trainTrialObjective } from './demos/train-trial.js';
import { loadData } from './datasets.js';
import { checkZooInput, isZoo } from './models.js';
import { checkWritable, isHtmlPath } from './out-path.js';
import { tuneReport } from './reports/tune-report.js';
import { cliVersion } from './version.js';
import { sharedStudyArgs } from './tune-shared-args.js';

export interface TuneArgs {
  search: 'random' | 'grid' | 'coarse-to-fine';
  trials: number;
  /** Grid search: values per numeric parameter. */
  gridSteps: number;
  workers: number;
  study?: string;
  /** A shared study's storage (postgresql:// URL or JSON-lines file); --study is then its name. */
  storage?: string;
  halving: boolean;
  patience?: number;
  epochs: number;
  seed: number;
  json: boolean;
  params: Record<string, Param>;
  /** A self-contained HTML report of the study. */
  report?: string;
  /** The data and the model's kind, fixed for the study. */
  setup: TrialSetup;
}

/** `a:b` → a numeric range; fails with the flag's name. */
function range(flag: string, v: string): [number, number] {
  const parts = v.split(':').map(Number);
  if (parts.length !== 2 || !parts.every(Number.isFinite) || !(parts[0] < parts[1])) {
    throw new UsageError(`--${flag}: expected a range low:high with low < high, received '${v}'`);
  }
  return [parts[0], parts[1]];
}

/** A parameter from a JSON description: {"type": "logUniform", "low": 1e-4, "high": 0.1}, … */
function paramFromJson(name: string, d: unknown): Param {
  const o = d as { type?: string; low?: number; high?: number; values?: unknown[]; log?: boolean };
  switch (o?.type) {
    case 'uniform':
      return uniform(o.low as number, o.high as number);
    case 'logUniform':
      return logUniform(o.low as number, o.high as number);
    case 'intUniform':
      return intUniform(o.low as number, o.high as number, { log: o.log === true });
    case 'choice':
      return choice(o.values as never[]);
    default:
      throw new UsageError(
        `--space: parameter '${name}' needs "type" uniform, logUniform, intUniform or choice, received ${JSON.stringify(d)}`,
      );
  }
}

/** The tunable parameters of the digits objective and their default ranges. */
const DEFAULT_SPACE = () => ({
  lr: logUniform(1e-4, 1e-1),
  weightDecay: logUniform(1e-6, 1e-2),
  hidden: intUniform(16, 128, { log: true }),
  batchSize: choice([32, 64]),
});

/** Parses `nerve tune` flags (table: TUNE in commands.ts). */
export function parseTuneArgs(argv: string[]): TuneArgs {
  const v = parseCommand(TUNE, argv);
  const s = (k: string) => v[k] as string | undefined;
  const fail = (message: string) => new UsageError(message, 'tune');
  const search = v.search as TuneArgs['search'];
  const table = tableArgs(v, argv, 'tune');
  const images = imageArgs(v, argv, 'tune');
  const setup: TrialSetup = {
    dataset: v.dataset as TrialSetup['dataset'],
    ...(table === undefined ? {} : { table }),
    ...(images === undefined ? {} : { images }),
    ...(s('data-dir') === undefined ? {} : { dataDir: s('data-dir') }),
    model: v.model as TrialSetup['model'],
    activation: v.activation as string,
    init: v.init as string,
    batchnorm: v.batchnorm === true,
    dropout: v.dropout as number,
    depth: v.depth as number,
    backend: v.backend as 'cpu' | 'webgpu',
  };
  const fixedWidths = setup.model !== 'mlp';
  if (fixedWidths && s('hidden') !== undefined) {
    const who = setup.model === 'cnn' ? 'CNN' : setup.model;
    throw fail(
      `--hidden: expected --model mlp (a ${who} keeps its own widths), received --model ${setup.model}`,
    );
  }
  if (fixedWidths && argv.some((a) => a === '--depth' || a.startsWith('--depth='))) {
    throw fail(`--depth: expected --model mlp, received --model ${setup.model}`);
  }
  let params: Record<string, Param> = DEFAULT_SPACE();
  // The widths of a CNN and of the @nerve/models networks are not searched.
  if (fixedWidths) delete (params as Record<string, Param>).hidden;
  if (s('space') !== undefined) params = readSpaceFile(s('space') as string);
  if (s('lr')) params.lr = logUniform(...range('lr', s('lr')!));
  if (s('weight-decay'))
    params.weightDecay = logUniform(...range('weight-decay', s('weight-decay')!));
  if (s('hidden')) params.hidden = intUniform(...range('hidden', s('hidden')!), { log: true });
  if (s('batch-size')) {
    const sizes = s('batch-size')!.split(',').map(Number);
    if (!sizes.every((b) => Number.isInteger(b) && b > 0)) {
      throw fail(
        `--batch-size: expected positive integers separated by commas, received '${s('batch-size')}'`,
      );
    }
    params.batchSize = choice(sizes);
  }
  if (s('optimizer')) {
    const names = s('optimizer')!.split(',');
    for (const n of names) {
      if (!(OPTIMIZERS as readonly string[]).includes(n)) {
        throw fail(
          `--optimizer: expected names from ${OPTIMIZERS.join(', ')}, received '${n}'${suggestion(n, OPTIMIZERS)}`,
        );
      }
    }
    params.optimizer = choice(names);
  }
  const workers = v.workers as number;
  if (setup.backend !== 'cpu' && workers > 1) {
    throw fail(
      `--workers: --backend ${setup.backend} runs one trial at a time in this process (start more processes with --storage to share a study), received ${workers}`,
    );
  }
  const gridSteps = v['grid-steps'] as number;
  if (
    search !== 'grid' &&
    argv.some((a) => a === '--grid-steps' || a.startsWith('--grid-steps='))
  ) {
    throw fail(`--grid-steps: only with --search grid (received --search ${search})`);
  }
  const epochs = v.epochs as number;
  const trials = v.trials as number | undefined;
  const report = s('report');
  if (report !== undefined && !isHtmlPath(report)) {
    throw fail(`--report: expected a path ending in .html, received '${report}'`);
  }
  if (search === 'grid' && trials !== undefined) {
    // A grid runs all its points: a --trials that disagrees is refused, not silently ignored.
    const size = gridSize(params, epochs, gridSteps);
    if (size !== undefined && size !== trials) {
      throw fail(
        `--trials: grid search runs every point of its grid, here ${size} (${gridSteps} steps per numeric parameter), not ${trials}; set the grid with --grid-steps, or use --search random for ${trials} trials`,
      );
    }
  }
  return {
    search,
    trials: trials ?? 20,
    gridSteps,
    workers,
    study: s('study'),
    ...sharedStudyArgs(s('storage'), s('study'), search, workers),
    halving: v.halving === true,
    patience: v.patience as number | undefined,
    epochs,
    seed: v.seed as number,
    json: v.json === true,
    params,
    ...(report === undefined ? {} : { report }),
    setup,
  };
}

function readSpaceFile(path: string): Record<string, Param> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`--space: cannot read '${path}': ${(e as Error).message}`, 'tune');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--space: '${path}' is not valid JSON: ${(e as Error).message}`, 'tune');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new UsageError(`--space: '${path}' must hold a JSON object of parameters`, 'tune');
  }
  // Keys from the file become parameter names: a null-prototype object keeps
  // '__proto__' an ordinary name instead of a prototype change.
  const params: Record<string, Param> = Object.create(null);
  for (const [k, d] of Object.entries(json)) params[k] = paramFromJson(k, d);
  return params;
}

/** The number of grid points, or undefined when the space is invalid (runTune says why). */
function gridSize(
  params: Record<string, Param>,
  epochs: number,
  steps: number,
): number | undefined {
  try {
    return space({ ...params, epochs: choice([epochs]) }).grid(steps).length;
  } catch {
    return undefined;
  }
}

/** Runs the study; progress lines go to `log`, each finished trial to `onTrial`. */
export async function runTune(
  args: TuneArgs,
  log: (line: string) => void,
  onTrial?: (trial: TrialRecord) => void,
  /** A shared study (--storage): aborting gives the running trial back to the queue. */
  signal?: AbortSignal,
): Promise<StudyResult & { wallSeconds: number; report?: string }> {
  checkTrialInput(args.setup);
  if (args.storage !== undefined) {
    const { runSharedTune } = await import('./tune-shared.js');
    return runSharedTune(args, await localObjective(args.setup), log, onTrial, signal);
  }
  const started = performance.now();
  if (args.study !== undefined) checkWritable('study', args.study);
  if (args.report !== undefined) checkWritable('report', args.report);
  let sp: ReturnType<typeof space>;
  try {
    // Every trial trains for the same number of epochs: a fixed, not searched, value.
    sp = space({ ...args.params, epochs: choice([args.epochs]) });
  } catch (e) {
    throw new UsageError(`invalid search space: ${(e as Error).message}`, 'tune');
  }
  const stages = [Math.ceil(args.trials / 2), Math.floor(args.trials / 2) || 1];
  const searcher =
    args.search === 'grid'
      ? gridSearch({ steps: args.gridSteps })
      : args.search === 'coarse-to-fine'
        ? coarseToFine({ stages })
        : randomSearch({ trials: args.trials });
  // What will actually run: the whole grid, or both coarse-to-fine stages.
  const planned =
    args.search === 'grid'
      ? `${sp.grid(args.gridSteps).length} trials (the full grid, ${args.gridSteps} steps per numeric parameter)`
      : args.search === 'coarse-to-fine'
        ? `${stages[0] + stages[1]} trials (stages of ${stages.join(' + ')})`
        : `${args.trials} trials`;
  const ashaRule = args.halving
    ? asha({ minEpochs: 1, reductionFactor: 3, maxEpochs: args.epochs })
    : undefined;
  const pruners = [
    ...(ashaRule ? [ashaRule] : []),
    ...(args.patience !== undefined ? [patience({ patience: args.patience })] : []),
  ];
  const on = args.setup.table?.path ?? args.setup.images?.dir ?? args.setup.dataset;
  const net =
    args.setup.model === 'cnn'
      ? 'CNN'
      : args.setup.model === 'mlp'
        ? `MLP, ${args.setup.depth} hidden layer${args.setup.depth > 1 ? 's' : ''}`
        : `${args.setup.model}, @nerve/models`;
  const objective = { ...trainTrialObjective, args: args.setup };
  log(
    `nerve tune: ${args.search} search on ${on} (${net}), ${planned}, ${args.workers} worker(s), ${args.epochs} epochs each, seed ${args.seed}${args.study ? `, study ${args.study}` : ''}${args.halving ? ', ASHA' : ''}${args.setup.backend && args.setup.backend !== 'cpu' ? `, on ${args.setup.backend}` : ''}`,
  );
  const result = await runStudy({
    space: sp,
    objective: args.workers > 1 ? objective : await localObjective(args.setup),
    searcher,
    seed: args.seed,
    metric: 'valLoss',
    mode: 'min',
    pruners,
    workers: args.workers,
    // tune depends on no backend: the objective's module registers the CPU backend
    // and exports its setThreads (see train-trial.ts).
    backendModule: args.workers > 1 ? objective.module : undefined,
    storage: args.study,
    onTrialEnd: (t, p) => {
      log(
        `trial ${String(t.id).padStart(3)} ${t.status.padEnd(9)} valLoss ${formatNumber(t.objective)}  (${p.done}/${p.total}, ${t.seconds.toFixed(1)} s)  ${JSON.stringify(t.config)}`,
      );
      onTrial?.(t);
    },
  });
  const done = Object.assign(result, { wallSeconds: (performance.now() - started) / 1000 });
  if (args.report === undefined) return done;
  const rungs = ashaRule ? rungsBetween(ashaRule, 0, args.epochs) : [];
  const { writeReport } = await import('./reports/write-report.js');
  writeReport('report', args.report, tuneReport({ result: done, rungs }), `nerve ${cliVersion()}`);
  return Object.assign(done, { report: args.report });
}

/**
 * A network of @nerve/models checked against the data's examples before any
 * trial (a lenet5 on the 8×8 digits): otherwise every trial fails alike.
 */
function checkTrialInput(setup: TrialSetup): void {
  if (!isZoo(setup.model)) return;
  const data = loadData(setup, setup.model);
  for (const part of [data.train, data.val, data.test]) part.dispose();
  checkZooInput(setup.model, data.inputShape);
}

/** The training objective, run in this process. */
export async function localObjective(setup: TrialSetup) {
  const { startBackend, trainTrial } = await import('./demos/train-trial.js');
  // Started before the study is opened: a backend that cannot start here fails in one line.
  if (setup.backend !== undefined && setup.backend !== 'cpu') await startBackend(setup.backend);
  // In-process trials never reach the event loop on their own: yield before
  // each, so Ctrl-C (a signal, delivered from the event loop) is seen.
  return (async (config: never, reporter: never) => {
    await yieldToEventLoop();
    return trainTrial(config, reporter, setup);
  }) as never;
}

/** The last JSON line of `nerve tune --json`: the study's summary. */
export function tuneJson(r: StudyResult & { wallSeconds: number; report?: string }): string {
  return JSON.stringify({
    event: 'summary',
    best: r.best,
    metric: r.metric,
    mode: r.mode,
    seed: r.seed,
    trials: r.trials,
    stages: r.stages,
    warnings: studyWarnings(r),
    wallSeconds: r.wallSeconds,
    ...(r.report === undefined ? {} : { report: r.report }),
  });
}

export { formatStudy };
