/**
 * `nerve tune`: hyperparameter search for the digits MLP. The space comes
 * from flags (`--lr 1e-4:1e-1` is searched in log space) or a JSON file;
 * trials run in-process or on worker threads, each finished trial is appended
 * to the study file the moment it ends, and a rerun resumes the study.
 */
import { readFileSync } from 'node:fs';
import {
  type Param,
  type StudyResult,
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
  runStudy,
  space,
  studyWarnings,
  uniform,
} from '@nerve/tune';
import { digitsMlpObjective } from '@nerve/tune/objectives/digits-mlp';
import { OPTIMIZERS, UsageError, numberFlag, parseFlags } from './args.js';

export interface TuneArgs {
  search: 'random' | 'grid' | 'coarse-to-fine';
  trials: number;
  workers: number;
  study?: string;
  halving: boolean;
  patience?: number;
  epochs: number;
  seed: number;
  json: boolean;
  params: Record<string, Param>;
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

export function parseTuneArgs(argv: string[]): TuneArgs {
  const values = parseFlags(argv, {
    search: { type: 'string' },
    trials: { type: 'string' },
    workers: { type: 'string' },
    study: { type: 'string' },
    halving: { type: 'boolean' },
    patience: { type: 'string' },
    epochs: { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'boolean' },
    space: { type: 'string' },
    lr: { type: 'string' },
    'weight-decay': { type: 'string' },
    hidden: { type: 'string' },
    'batch-size': { type: 'string' },
    optimizer: { type: 'string' },
  });
  const s = (k: string) => values[k] as string | undefined;
  const search = (s('search') ?? 'random') as TuneArgs['search'];
  if (!['random', 'grid', 'coarse-to-fine'].includes(search)) {
    throw new UsageError(
      `--search: expected one of random, grid, coarse-to-fine, received '${search}'`,
    );
  }
  let params: Record<string, Param> = DEFAULT_SPACE();
  if (s('space') !== undefined) {
    let text: string;
    try {
      text = readFileSync(s('space')!, 'utf8');
    } catch (e) {
      throw new UsageError(`--space: cannot read '${s('space')}': ${(e as Error).message}`);
    }
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new UsageError(`--space: '${s('space')}' is not valid JSON: ${(e as Error).message}`);
    }
    params = Object.fromEntries(Object.entries(json).map(([k, d]) => [k, paramFromJson(k, d)]));
  }
  if (s('lr')) params.lr = logUniform(...range('lr', s('lr')!));
  if (s('weight-decay'))
    params.weightDecay = logUniform(...range('weight-decay', s('weight-decay')!));
  if (s('hidden')) params.hidden = intUniform(...range('hidden', s('hidden')!), { log: true });
  if (s('batch-size')) {
    const sizes = s('batch-size')!.split(',').map(Number);
    if (!sizes.every((b) => Number.isInteger(b) && b > 0)) {
      throw new UsageError(
        `--batch-size: expected positive integers separated by commas, received '${s('batch-size')}'`,
      );
    }
    params.batchSize = choice(sizes);
  }
  if (s('optimizer')) {
    const names = s('optimizer')!.split(',');
    for (const n of names) {
      if (!(OPTIMIZERS as readonly string[]).includes(n)) {
        throw new UsageError(
          `--optimizer: expected names from ${OPTIMIZERS.join(', ')}, received '${n}'`,
        );
      }
    }
    params.optimizer = choice(names);
  }
  const workers = numberFlag('workers', s('workers'), 1, 1, 64, true);
  if (workers > 1 && process.env.NERVE_BUNDLED === '1') {
    throw new UsageError(
      '--workers: the single-file bundle runs trials in-process only; use --workers 1, or the workspace CLI (pnpm nerve tune) for worker threads',
    );
  }
  return {
    search,
    trials: numberFlag('trials', s('trials'), 20, 1, 10_000, true),
    workers,
    study: s('study'),
    halving: values.halving === true,
    patience:
      s('patience') === undefined
        ? undefined
        : numberFlag('patience', s('patience'), 3, 1, 1000, true),
    epochs: numberFlag('epochs', s('epochs'), 10, 1, 1000, true),
    seed: numberFlag('seed', s('seed'), 0, 0, 2 ** 32 - 1, true),
    json: values.json === true,
    params,
  };
}

/** Runs the study; progress lines go to `log`. */
export async function runTune(
  args: TuneArgs,
  log: (line: string) => void,
): Promise<StudyResult & { wallSeconds: number }> {
  const started = performance.now();
  let sp: ReturnType<typeof space>;
  try {
    // Every trial trains for the same number of epochs: a fixed, not searched, value.
    sp = space({ ...args.params, epochs: choice([args.epochs]) });
  } catch (e) {
    throw new UsageError(`invalid search space: ${(e as Error).message}`);
  }
  const searcher =
    args.search === 'grid'
      ? gridSearch({ steps: 3 })
      : args.search === 'coarse-to-fine'
        ? coarseToFine({ stages: [Math.ceil(args.trials / 2), Math.floor(args.trials / 2) || 1] })
        : randomSearch({ trials: args.trials });
  const pruners = [
    ...(args.halving ? [asha({ minEpochs: 1, reductionFactor: 3, maxEpochs: args.epochs })] : []),
    ...(args.patience !== undefined ? [patience({ patience: args.patience })] : []),
  ];
  log(
    `nerve tune: ${args.search} search on digits (MLP), ${args.trials} trials, ${args.workers} worker(s), ${args.epochs} epochs each, seed ${args.seed}${args.study ? `, study ${args.study}` : ''}${args.halving ? ', ASHA' : ''}`,
  );
  const result = await runStudy({
    space: sp,
    objective: args.workers > 1 ? digitsMlpObjective : await localObjective(),
    searcher,
    seed: args.seed,
    metric: 'valLoss',
    mode: 'min',
    pruners,
    workers: args.workers,
    storage: args.study,
    onTrialEnd: (t, p) =>
      log(
        `trial ${String(t.id).padStart(3)} ${t.status.padEnd(9)} valLoss ${formatNumber(t.objective)}  (${p.done}/${p.total}, ${t.seconds.toFixed(1)} s)  ${JSON.stringify(t.config)}`,
      ),
  });
  return Object.assign(result, { wallSeconds: (performance.now() - started) / 1000 });
}

async function localObjective() {
  const { digitsMlp } = await import('@nerve/tune/objectives/digits-mlp');
  return digitsMlp as never;
}

export function tuneJson(r: StudyResult & { wallSeconds: number }): string {
  return JSON.stringify({
    best: r.best,
    metric: r.metric,
    mode: r.mode,
    seed: r.seed,
    trials: r.trials,
    stages: r.stages,
    warnings: studyWarnings(r),
    wallSeconds: r.wallSeconds,
  });
}

export { formatStudy };
