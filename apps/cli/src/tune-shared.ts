/**
 * `nerve tune --storage URL|FILE --study NAME`: this process joins (or
 * creates) a shared study and runs its trials until every trial of the study
 * has finished, whichever process ran them. The summary it prints is the
 * whole study's, so every process ends with the same table.
 */
import { hostname } from 'node:os';
import {
  type Objective,
  type Param,
  type StudyResult,
  type TrialRecord,
  asha,
  choice,
  formatNumber,
  gridSearch,
  patience,
  randomSearch,
  rungsBetween,
  runStudyWorker,
  space,
} from '@nerve/tune';
import { UsageError } from './args.js';
import { tuneReport } from './reports/tune-report.js';
import { cliVersion } from './version.js';

/** What a shared study takes of `nerve tune`'s arguments (TuneArgs in tune-command.ts). */
export interface SharedTuneArgs {
  search: 'random' | 'grid' | 'coarse-to-fine';
  trials: number;
  gridSteps: number;
  storage?: string;
  study?: string;
  halving: boolean;
  patience?: number;
  epochs: number;
  seed: number;
  params: Record<string, Param>;
  report?: string;
  /** Where this process's trials train (its worker name in the storage says so). */
  setup?: { backend?: string };
}

/**
 * Runs this process's share of the study with `objective` (the training
 * objective, in this process); resolves once the whole study has finished.
 */
export async function runSharedTune(
  args: SharedTuneArgs,
  objective: Objective,
  log: (line: string) => void,
  onTrial?: (trial: TrialRecord) => void,
  signal?: AbortSignal,
): Promise<StudyResult & { wallSeconds: number; report?: string }> {
  const started = performance.now();
  let sp: ReturnType<typeof space>;
  try {
    sp = space({ ...args.params, epochs: choice([args.epochs]) });
  } catch (e) {
    throw new UsageError(`invalid search space: ${(e as Error).message}`, 'tune');
  }
  const searcher =
    args.search === 'grid'
      ? gridSearch({ steps: args.gridSteps })
      : randomSearch({ trials: args.trials });
  const ashaRule = args.halving
    ? asha({ minEpochs: 1, reductionFactor: 3, maxEpochs: args.epochs })
    : undefined;
  const pruners = [
    ...(ashaRule ? [ashaRule] : []),
    ...(args.patience !== undefined ? [patience({ patience: args.patience })] : []),
  ];
  const storage = args.storage as string;
  const study = args.study as string;
  let done = 0;
  const backend = args.setup?.backend ?? 'cpu';
  // The worker's name is stored with each trial it holds or finished: `tune show` tells
  // which host, process and backend ran a trial.
  const workerId = `${hostname()}:${process.pid}:${backend}`;
  log(`nerve tune: worker ${workerId} on study '${study}'`);
  const r = await runStudyWorker({
    workerId,
    ...(signal ? { signal } : {}),
    onTrialStart: (t) => log(`trial ${String(t.id).padStart(3)} started on ${backend}`),
    storage,
    study,
    space: sp,
    objective: objective as never,
    searcher,
    seed: args.seed,
    metric: 'valLoss',
    mode: 'min',
    pruners,
    // The study's table (top trials, counts) and report need every trial.
    readTrials: true,
    onTrialEnd: (t) => {
      done++;
      log(
        `trial ${String(t.id).padStart(3)} ${t.status.padEnd(9)} valLoss ${formatNumber(t.objective)}  (${done} by this process, ${t.seconds.toFixed(1)} s)  ${JSON.stringify(t.config)}`,
      );
      onTrial?.(t);
    },
  });
  log(
    `nerve tune: study '${study}' ${r.created ? 'created' : 'joined'}; this process ran ${r.ran.length} of ${r.total} trials`,
  );
  const trials = (r.trials ?? []).flatMap((t) => (t.record ? [t.record] : []));
  const result: StudyResult & { wallSeconds: number; report?: string } = {
    trials,
    best: r.best,
    metric: 'valLoss',
    mode: 'min',
    seed: args.seed,
    space: sp,
    searcher,
    stages: [{ stage: 0, firstId: 0, trials: trials.length, ranges: sp.ranges() }],
    resumed: trials.length - r.ran.length,
    wallSeconds: (performance.now() - started) / 1000,
  };
  if (args.report === undefined) return result;
  const rungs = ashaRule ? rungsBetween(ashaRule, 0, args.epochs) : [];
  const { writeReport } = await import('./reports/write-report.js');
  writeReport('report', args.report, tuneReport({ result, rungs }), `nerve ${cliVersion()}`);
  return Object.assign(result, { report: args.report });
}
