/**
 * runStudy: draws every configuration of a stage up front from the seed,
 * runs the trials in id order (in-process, or on worker threads), lets the
 * arbiter stop bad ones, appends each finished trial to the study file, and
 * resumes a study from its file without repeating or losing a trial.
 */
import { NerveError, manualSeed } from '@nerve/core/base';
import { type ObjectiveRef, WorkerPool, backendUrl, cloneArgs, moduleUrl } from './pool.js';
import { Arbiter, type Pruner, checkPruners } from './pruning.js';
import {
  type Searcher,
  checkSearcher,
  narrowSpace,
  searcherFingerprint,
  stageConfigs,
  stageCount,
} from './searchers.js';
import {
  type Config,
  type ConfigOf,
  type RangeSummary,
  Space,
  canonicalJson,
  trialSeed,
} from './space.js';
import { type StudyHeader, StudyFile } from './study-file.js';
import {
  type Objective,
  type Reporter,
  type TrialRecord,
  TrialRun,
  normalizeTrial,
} from './trial.js';
import { bestTrial, rankTrials } from './ranking.js';

/** Options of runStudy. */
export interface StudyOptions<S extends Space = Space> {
  /** The search space. */
  space: S;
  /** A function (in-process; workers must be 1) or a module export the workers import. */
  objective: Objective<ConfigOf<S>> | ObjectiveRef;
  /** How configurations are drawn: random, grid or coarse-to-fine. */
  searcher: Searcher;
  /** Seed of every configuration and trial seed (default 0). */
  seed?: number;
  /** The reported metric trials are judged by (default 'valLoss'). */
  metric?: string;
  /** 'min' or 'max' (default 'max' for metrics named like accuracy, else 'min'). */
  mode?: 'min' | 'max';
  /** Early stopping of bad trials: asha(), patience(), or both. */
  pruners?: Pruner | Pruner[];
  /** Parallel trials on worker threads (default 1: in-process). */
  workers?: number;
  /**
   * With workers > 1: the backend module each worker imports before the
   * objective, as an absolute path or file URL, e.g.
   * `import.meta.resolve('@nerve/backend-cpu')` (tune depends on no backend).
   * Left out, the objective's module must import one itself.
   */
  backendModule?: string;
  /** A study file (JSON lines) to append trials to and resume from. */
  storage?: string;
  /** Called after each trial this run finishes (not for trials read back from the file). */
  onTrialEnd?: (trial: TrialRecord, progress: { done: number; total: number }) => void;
}

/** One stage of a search: its trial ids and the ranges it searched. */
export interface StageSummary {
  /** The stage's number (0 first). */
  stage: number;
  /** Id of the stage's first trial. */
  firstId: number;
  /** Number of trials in the stage. */
  trials: number;
  /** The range of each parameter in this stage. */
  ranges: Record<string, RangeSummary>;
}

/** What runStudy returns. */
export interface StudyResult {
  /** Every trial, by id. */
  trials: TrialRecord[];
  /** The best completed (or patience-stopped) trial; a pruned one only if nothing else finished. */
  best: TrialRecord | null;
  /** Name of the metric the objective reports. */
  metric: string;
  /** Whether lower ('min') or higher ('max') is better. */
  mode: 'min' | 'max';
  /** The study's seed. */
  seed: number;
  /** The search space. */
  space: Space;
  /** The searcher's settings. */
  searcher: Searcher;
  /** The stages (one for random and grid search). */
  stages: StageSummary[];
  /** Trials read back from the study file rather than run. */
  resumed: number;
}

function validate(opts: StudyOptions): Required<
  Pick<StudyOptions, 'seed' | 'metric' | 'mode' | 'workers'>
> & {
  pruners: Pruner[];
} {
  const op = 'runStudy';
  if (!(opts?.space instanceof Space))
    throw new NerveError(op, 'space a Space from space({...})', String(opts?.space));
  checkSearcher(op, opts.searcher);
  const seed = opts.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new NerveError(op, 'seed a non-negative integer', String(seed));
  const metric = opts.metric ?? 'valLoss';
  if (typeof metric !== 'string' || metric === '')
    throw new NerveError(op, 'metric a name', String(metric));
  const mode = opts.mode ?? (/acc/i.test(metric) ? 'max' : 'min');
  if (mode !== 'min' && mode !== 'max')
    throw new NerveError(op, "mode 'min' or 'max'", String(mode));
  const workers = opts.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1)
    throw new NerveError(op, 'workers a positive integer', String(workers));
  if (typeof opts.objective === 'function') {
    if (workers > 1) {
      throw new NerveError(
        op,
        'objective as { module, exportName } so worker threads can import it (a function only runs with workers: 1)',
        'a function',
      );
    }
  } else {
    moduleUrl(op, opts.objective);
  }
  backendUrl(op, opts.backendModule);
  const pruners =
    opts.pruners === undefined ? [] : Array.isArray(opts.pruners) ? opts.pruners : [opts.pruners];
  checkPruners(op, pruners);
  if (opts.storage !== undefined && typeof opts.storage !== 'string') {
    throw new NerveError(op, 'storage a file path', String(opts.storage));
  }
  return { seed, metric, mode, workers, pruners };
}

/** Imports an objective module in this process (a one-worker study, or a study worker process). */
export async function loadObjective(ref: ObjectiveRef): Promise<Objective> {
  const url = moduleUrl('runStudy', ref);
  const mod = (await import(/* @vite-ignore */ url)) as Record<string, unknown>;
  const fn = mod[ref.exportName];
  if (typeof fn !== 'function') {
    throw NerveError.raw('runStudy', `${url} has no function export '${ref.exportName}'`);
  }
  const objective = fn as (config: Config, reporter: Reporter, args: unknown) => unknown;
  // The same copy of the fixed arguments as a worker gets.
  const args = cloneArgs(ref);
  return (config, reporter) => objective(config, reporter, args);
}

/** The trial's record once its objective returned (or threw); shared with the study workers. */
export function finishTrial(
  base: Pick<TrialRecord, 'id' | 'stage' | 'config' | 'seed' | 'seconds'>,
  run: TrialRun,
  metric: string,
  mode: 'min' | 'max',
  outcome: { value?: unknown; error?: string },
): TrialRecord {
  const history = run.history;
  const d = run.decision?.stop ? run.decision : null;
  let status: TrialRecord['status'] = d?.status ?? 'completed';
  let reason = d?.reason;
  let objective = Number.NaN;
  if (outcome.error !== undefined) {
    status = 'failed';
    reason = outcome.error;
  } else if (typeof outcome.value === 'number') {
    objective = outcome.value;
  } else {
    const vals = history.map((h) => h.metrics[metric]).filter((v) => Number.isFinite(v));
    if (vals.length > 0) objective = mode === 'min' ? Math.min(...vals) : Math.max(...vals);
  }
  if (status !== 'failed' && !Number.isFinite(objective)) {
    status = 'failed';
    reason =
      history.length === 0 && outcome.value === undefined
        ? `the objective reported no '${metric}' and returned no value`
        : `the objective was ${objective}`;
  }
  if (status === 'failed') objective = Number.NaN;
  const r: TrialRecord = { ...base, status, history, objective };
  if (reason !== undefined) r.reason = reason;
  return r;
}

/** Runs jobs in order on `lanes` concurrent lanes. */
async function runLanes<T>(
  jobs: T[],
  lanes: number,
  fn: (job: T, lane: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(lanes, jobs.length) }, async (_, lane) => {
      while (next < jobs.length) await fn(jobs[next++], lane);
    }),
  );
}

/** Runs (or resumes) a hyperparameter study. */
export async function runStudy<S extends Space>(opts: StudyOptions<S>): Promise<StudyResult> {
  const { seed, metric, mode, workers, pruners } = validate(opts as unknown as StudyOptions);
  const { space: sp, searcher } = opts;
  const header: StudyHeader = {
    type: 'study',
    format: 1,
    space: sp.fingerprint(),
    seed,
    searcher: searcherFingerprint(searcher),
    metric,
    mode,
    pruners,
  };
  // Computed first: a grid range without steps fails here, before any file or trial.
  const totalTrials =
    searcher.kind === 'grid'
      ? sp.grid(searcher.steps).length
      : searcher.kind === 'random'
        ? searcher.trials
        : searcher.stages.reduce((a, b) => a + b, 0);
  const opened = opts.storage ? StudyFile.open(opts.storage, header) : null;
  const loaded = new Map((opened?.trials ?? []).map((t) => [t.id, t]));
  const arbiter = new Arbiter(pruners, metric, mode);
  const records = new Map<number, TrialRecord>();
  const stages: StageSummary[] = [];
  let pool: WorkerPool | null = null;
  let inProcess: Objective | null =
    typeof opts.objective === 'function' ? (opts.objective as Objective) : null;
  let resumed = 0;
  try {
    let stageSpace: Space = sp;
    let firstId = 0;
    for (let stage = 0; stage < stageCount(searcher); stage++) {
      if (stage > 0 && searcher.kind === 'coarseToFine') {
        const prev = [...records.values()].filter((t) => t.stage === stage - 1);
        const top = rankTrials(prev, mode)
          .slice(0, searcher.topK)
          .filter((t) => t.status !== 'failed');
        stageSpace = narrowSpace(
          stageSpace,
          top.map((t) => t.config),
          searcher.margin,
        );
      }
      const configs = stageConfigs(searcher, stageSpace, seed, stage, firstId);
      stages.push({ stage, firstId, trials: configs.length, ranges: stageSpace.ranges() });
      const total = firstId + configs.length;
      const jobs: { id: number; config: Config }[] = [];
      for (const [i, config] of configs.entries()) {
        const id = firstId + i;
        const old = loaded.get(id);
        if (!old) {
          jobs.push({ id, config });
          continue;
        }
        if (canonicalJson(old.config) !== canonicalJson(config) || old.stage !== stage) {
          throw NerveError.raw(
            'runStudy',
            `refusing to use the study file ${opts.storage}: trial ${id} there has config ${canonicalJson(old.config)} but this study draws ${canonicalJson(config)}`,
          );
        }
        arbiter.load(
          id,
          old.history.map((h) => ({ epoch: h.epoch, value: h.metrics[metric] ?? Number.NaN })),
        );
        records.set(id, old);
        resumed++;
      }
      if (jobs.length > 0 && !inProcess && workers === 1)
        inProcess = await loadObjective(opts.objective as ObjectiveRef);
      if (jobs.length > 0 && !inProcess && !pool)
        pool = await WorkerPool.create(workers, opts.objective as ObjectiveRef, opts.backendModule);
      await runLanes(jobs, workers, async ({ id, config }, lane) => {
        arbiter.begin(id);
        const tSeed = trialSeed(seed, id);
        const run = new TrialRun(id, metric, (epoch, value) => arbiter.report(id, epoch, value));
        const started = performance.now();
        let outcome: { value?: unknown; error?: string };
        try {
          if (inProcess) {
            const reporter: Reporter = {
              trialId: id,
              seed: tSeed,
              report: (e, m) => run.report(e, m),
            };
            manualSeed(tSeed);
            outcome = { value: await inProcess(config, reporter) };
          } else {
            outcome = await (pool as WorkerPool).run(lane, id, config, tSeed, (e, m) =>
              run.report(e, m),
            );
          }
        } catch (e) {
          outcome = { error: e instanceof Error ? e.message : String(e) };
        }
        const seconds = (performance.now() - started) / 1000;
        const record = normalizeTrial(
          finishTrial({ id, stage, config, seed: tSeed, seconds }, run, metric, mode, outcome),
        );
        arbiter.end(id);
        opened?.file.append(record);
        records.set(id, record);
        opts.onTrialEnd?.(record, { done: records.size, total: totalTrials });
      });
      firstId = total;
    }
  } finally {
    opened?.file.close();
    await pool?.close();
  }
  const trials = [...records.values()].sort((a, b) => a.id - b.id);
  return {
    trials,
    best: bestTrial(trials, mode),
    metric,
    mode,
    seed,
    space: sp,
    searcher,
    stages,
    resumed,
  };
}
