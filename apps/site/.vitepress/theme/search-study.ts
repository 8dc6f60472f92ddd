/**
 * The /search page's study, without the page: the search space from the
 * page's settings, trial i's configuration and seed from @nerve/tune
 * (Space.sample, trialSeed), ASHA's stop decisions from tune's Arbiter, and
 * the ranking from rankTrials. Trials run on "lanes" through a TrialRunner:
 * Web Workers on the page, the same objective in-process in the Node test.
 *
 * It is runStudy's loop (which is Node-only: worker threads, study files)
 * written for the browser. The Arbiter compares trial t only with trials of
 * smaller id and waits until each has reached the rung or ended, so with one
 * lane or four the decisions, and so the results, are the same for a seed.
 */
import {
  Arbiter,
  type Config,
  type Metrics,
  type Param,
  type Space,
  type TrialRecord,
  asha,
  bestTrial,
  intUniform,
  logUniform,
  randomSearch,
  rankTrials,
  rungsBetween,
  space,
  trialSeed,
  uniform,
} from '@nerve/tune';

/** The hyperparameters the page can search. */
export const PARAMS = ['lr', 'weightDecay', 'hidden', 'dropout'] as const;
export type ParamName = (typeof PARAMS)[number];

/** One trial's configuration: every hyperparameter, searched or fixed. */
export interface TrialConfig {
  lr: number;
  weightDecay: number;
  hidden: number;
  dropout: number;
  epochs: number;
}

/** A hyperparameter's range, and whether the study searches it (else it stays at `fixed`). */
export interface ParamSetting {
  search: boolean;
  low: number;
  high: number;
  fixed: number;
}

/** What the page's controls set. */
export interface SearchSettings {
  trials: number;
  /** Epochs of a trial that ASHA does not stop. */
  epochs: number;
  workers: number;
  seed: number;
  params: Record<ParamName, ParamSetting>;
}

/**
 * How each hyperparameter is drawn. The learning rate and weight decay span
 * decades, so they are log-uniform (CS231n; Bergstra & Bengio 2012); the
 * width is an integer drawn log-uniformly (as `nerve tune --hidden`);
 * dropout is a probability in [0, 1), drawn uniformly (a log range could not
 * include 0, "no dropout").
 */
export const SCALES: Record<ParamName, 'log' | 'int-log' | 'linear'> = {
  lr: 'log',
  weightDecay: 'log',
  hidden: 'int-log',
  dropout: 'linear',
};

/** The page's defaults: the ranges `nerve tune` searches, and the home demo's fixed values. */
export function defaultSettings(workers = 1): SearchSettings {
  return {
    trials: 12,
    epochs: 4,
    workers,
    seed: 0,
    params: {
      lr: { search: true, low: 1e-4, high: 1e-1, fixed: 3e-3 },
      weightDecay: { search: true, low: 1e-6, high: 1e-2, fixed: 0 },
      hidden: { search: true, low: 16, high: 128, fixed: 64 },
      dropout: { search: true, low: 0, high: 0.5, fixed: 0 },
    },
  };
}

/** Workers the page offers by default: one per spare core, at most 4, at least 1. */
export function defaultWorkers(hardwareConcurrency: number | undefined): number {
  return Math.max(1, Math.min(4, (hardwareConcurrency ?? 1) - 1));
}

function param(name: ParamName, s: ParamSetting): Param {
  const scale = SCALES[name];
  if (scale === 'log') return logUniform(s.low, s.high);
  if (scale === 'int-log') return intUniform(Math.round(s.low), Math.round(s.high), { log: true });
  return uniform(s.low, s.high);
}

/** The searched hyperparameters as a tune Space (a NerveError names a bad range). */
export function studySpace(settings: SearchSettings): Space {
  const params: Record<string, Param> = {};
  for (const name of PARAMS) {
    const s = settings.params[name];
    if (s.search) params[name] = param(name, s);
  }
  return space(params);
}

/** Trial `id`'s full configuration: the drawn values, the fixed ones, and the epochs. */
export function trialConfig(settings: SearchSettings, sp: Space, id: number): TrialConfig {
  const drawn = sp.sample(settings.seed, id) as Config;
  const c = { epochs: settings.epochs } as TrialConfig;
  for (const name of PARAMS) {
    const s = settings.params[name];
    c[name] = s.search ? (drawn[name] as number) : s.fixed;
  }
  return c;
}

/** ASHA as `nerve tune --halving` sets it: rungs at epochs 1, 3, 9, … below the budget. */
export function studyPruner(epochs: number) {
  return epochs > 1 ? asha({ minEpochs: 1, reductionFactor: 3, maxEpochs: epochs }) : undefined;
}

/** The rung epochs of a study with `epochs` epochs per trial. */
export function studyRungs(epochs: number): number[] {
  const p = studyPruner(epochs);
  return p ? rungsBetween(p, 0, epochs) : [];
}

/** The metric the study judges trials by. */
export const METRIC = 'valAccuracy';

/** Runs one trial on a lane; `report` resolves to true when the trial must stop. */
export interface TrialRunner {
  run(
    lane: number,
    trial: { id: number; config: TrialConfig; seed: number },
    report: (epoch: number, metrics: Metrics) => Promise<boolean>,
  ): Promise<{ error?: string }>;
}

/** A finished trial as the page shows it: tune's record and the lane that ran it. */
export interface SearchTrial extends TrialRecord {
  config: TrialConfig & Config;
  /** The worker (lane) that trained it, 0-based. */
  worker: number;
}

/** What the study tells the page as it goes. */
export interface SearchEvents {
  onStart?(id: number, worker: number, config: TrialConfig, seed: number): void;
  onReport?(id: number, epoch: number, metrics: Metrics, stop: boolean): void;
  onEnd?(trial: SearchTrial): void;
}

/** The finished study. */
export interface SearchResult {
  trials: SearchTrial[];
  best: SearchTrial | null;
  rungs: number[];
  /** True when Stop ended it early. */
  stopped: boolean;
}

/** Checks the settings; returns the first problem in words, or null. */
export function checkSettings(s: SearchSettings): string | null {
  const int = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
  if (!int(s.trials, 1, 500)) return 'trials: an integer from 1 to 500';
  if (!int(s.epochs, 1, 100)) return 'epochs: an integer from 1 to 100';
  if (!int(s.workers, 1, 16)) return 'workers: an integer from 1 to 16';
  if (!int(s.seed, 0, 2 ** 31 - 1)) return 'seed: a non-negative integer';
  if (!PARAMS.some((n) => s.params[n].search)) return 'search at least one hyperparameter';
  for (const n of PARAMS) {
    const p = s.params[n];
    if (p.search) {
      if (!(Number.isFinite(p.low) && Number.isFinite(p.high) && p.low < p.high))
        return `${n}: a range with low < high`;
      if (SCALES[n] !== 'linear' && !(p.low > 0)) return `${n}: a log range needs low > 0`;
      if (n === 'dropout' && !(p.low >= 0 && p.high < 1)) return 'dropout: a range within [0, 1)';
      if (n === 'hidden' && !(p.low >= 1 && p.high <= 1024)) return 'hidden: within 1 to 1024';
    } else if (!Number.isFinite(p.fixed) || p.fixed < 0) return `${n}: a fixed value ≥ 0`;
  }
  if (!(s.params.lr.search || s.params.lr.fixed > 0)) return 'lr: a fixed value > 0';
  return null;
}

/**
 * Runs the study: trials 0, 1, … in order on `settings.workers` lanes, each
 * reporting its validation accuracy per epoch to ASHA. `signal` stops it:
 * no further trial starts, and the runner is expected to end the running
 * ones (they are recorded as 'stopped').
 */
export async function runSearch(
  settings: SearchSettings,
  runner: TrialRunner,
  events: SearchEvents = {},
  signal?: AbortSignal,
): Promise<SearchResult> {
  const problem = checkSettings(settings);
  if (problem !== null) throw new Error(`search: expected ${problem}`);
  const sp = studySpace(settings);
  // Every configuration is drawn up front, from the seed: trial i's does not
  // depend on which worker runs it or on what the other trials did.
  const configs = Array.from(
    { length: randomSearch({ trials: settings.trials }).trials },
    (_, id) => trialConfig(settings, sp, id),
  );
  const pruner = studyPruner(settings.epochs);
  const arbiter = new Arbiter(pruner ? [pruner] : [], METRIC, 'max');
  const trials: SearchTrial[] = [];
  let next = 0;
  const lane = async (worker: number): Promise<void> => {
    while (next < configs.length && !signal?.aborted) {
      const id = next++;
      const config = configs[id] as TrialConfig;
      const seed = trialSeed(settings.seed, id);
      arbiter.begin(id);
      events.onStart?.(id, worker, config, seed);
      const history: TrialRecord['history'] = [];
      let decision: { stop: boolean; status?: TrialRecord['status']; reason?: string } = {
        stop: false,
      };
      const started = performance.now();
      const outcome = await runner.run(worker, { id, config, seed }, async (epoch, metrics) => {
        if (decision.stop) return true;
        history.push({ epoch, metrics: { ...metrics } });
        decision = await arbiter.report(id, epoch, metrics[METRIC] ?? Number.NaN);
        events.onReport?.(id, epoch, metrics, decision.stop);
        return decision.stop;
      });
      arbiter.end(id);
      const values = history.map((h) => h.metrics[METRIC] ?? Number.NaN).filter(Number.isFinite);
      let status: TrialRecord['status'] = decision.stop
        ? (decision.status ?? 'stopped')
        : 'completed';
      let reason = decision.reason;
      if (outcome.error !== undefined && signal?.aborted) {
        status = 'stopped';
        reason = 'the study was stopped';
      } else if (outcome.error !== undefined) {
        status = 'failed';
        reason = outcome.error;
      } else if (values.length === 0) {
        status = 'failed';
        reason = `no finite ${METRIC} was reported`;
      }
      const record: SearchTrial = {
        id,
        stage: 0,
        config: config as TrialConfig & Config,
        seed,
        status,
        history,
        // The best validation accuracy the trial reached, as runStudy scores a trial.
        objective: status === 'failed' || values.length === 0 ? Number.NaN : Math.max(...values),
        seconds: (performance.now() - started) / 1000,
        worker,
        ...(reason === undefined ? {} : { reason }),
      };
      trials.push(record);
      events.onEnd?.(record);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(settings.workers, configs.length) }, (_, w) => lane(w)),
  );
  trials.sort((a, b) => a.id - b.id);
  return {
    trials,
    best: bestTrial(trials, 'max') as SearchTrial | null,
    rungs: studyRungs(settings.epochs),
    stopped: signal?.aborted === true,
  };
}

/** The trials best first (tune's order: finished by objective, then pruned, then failed). */
export function ranked(trials: readonly SearchTrial[]): SearchTrial[] {
  return rankTrials(trials, 'max') as SearchTrial[];
}

/** Shortest decimal that reads back within 0.1% (for command lines). */
export function short(v: number): string {
  if (v === 0) return '0';
  for (let d = 1; d <= 17; d++) {
    const s = Number(v.toPrecision(d));
    if (Math.abs(s - v) <= 1e-3 * Math.abs(v)) return String(s);
  }
  return String(v);
}

/**
 * `nerve train` with the trial's configuration and seed: the same network
 * (64–hidden–10 ReLU, Dropout after the hidden layer when p > 0), data split,
 * optimizer (Adam, batch 32) and seed, so it retrains the trial epoch for
 * epoch (and reports the test accuracy, which the search never looked at).
 * The values are written in full: a rounded learning rate would train a
 * slightly different network.
 */
export function trainCommand(t: { config: TrialConfig; seed: number }): string {
  const c = t.config;
  return [
    'nerve train',
    `--hidden ${c.hidden}`,
    `--lr ${c.lr}`,
    `--weight-decay ${c.weightDecay}`,
    `--dropout ${c.dropout}`,
    `--epochs ${c.epochs}`,
    `--seed ${t.seed}`,
  ].join(' ');
}

/**
 * The nearest `nerve tune` study: random search with ASHA over the same
 * ranges of lr, weight decay and width. `nerve tune` has no dropout flag and
 * judges trials by validation loss, so its trials are not this page's.
 */
export function tuneCommand(s: SearchSettings): string {
  const p = s.params;
  const range = (n: ParamName, round = false) => {
    const r = p[n];
    const f = (v: number) => (round ? String(Math.round(v)) : short(v));
    return r.search ? `${f(r.low)}:${f(r.high)}` : undefined;
  };
  const parts = ['nerve tune --search random', `--trials ${s.trials}`, `--epochs ${s.epochs}`];
  if (s.epochs > 1) parts.push('--halving');
  const lr = range('lr');
  if (lr) parts.push(`--lr ${lr}`);
  const wd = range('weightDecay');
  if (wd) parts.push(`--weight-decay ${wd}`);
  const h = range('hidden', true);
  if (h) parts.push(`--hidden ${h}`);
  parts.push('--batch-size 32', `--workers ${s.workers}`, `--seed ${s.seed}`);
  return parts.join(' ');
}
