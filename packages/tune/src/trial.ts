/**
 * Trials: what an objective sees (the reporter) and what a study keeps (the
 * record). A record goes through its JSON line before the study uses it, so
 * a fresh trial and one read back from a study file are identical.
 */
import { NerveError } from '@nerve/core/base';
import type { Decision } from './pruning.js';
import { type Config, setOwn } from './space.js';

/** Metrics of one epoch, e.g. { valLoss, valAccuracy }. */
export type Metrics = Record<string, number>;

/** The objective's line to the study. */
export interface Reporter {
  /** The trial's id (0, 1, … in the order configurations were drawn). */
  readonly trialId: number;
  /** A seed for the trial's initialization and shuffling, derived from the study seed and the id. */
  readonly seed: number;
  /**
   * Reports epoch `epoch`'s metrics (epochs increase; they need not be
   * consecutive). Resolves to true when the trial should stop now.
   */
  report(epoch: number, metrics: Metrics): Promise<boolean>;
}

/**
 * An objective: trains with `config`, reports per-epoch metrics, and may
 * return (or resolve to) a number, its final value; otherwise the best
 * reported value of the study's metric is the trial's objective.
 */
export type Objective<C = Config> = (config: C, reporter: Reporter) => unknown;

/** How a trial ended: ran to the end, pruned by ASHA, stopped by patience, or failed. */
export type TrialStatus = 'completed' | 'pruned' | 'stopped' | 'failed';

/** One epoch's report. */
export interface EpochReport {
  /** The epoch reported. */
  epoch: number;
  /** The metrics reported for it. */
  metrics: Metrics;
}

/** A finished trial, as stored (one line of the study file). */
export interface TrialRecord {
  /** The trial's id, in draw order. */
  id: number;
  /** Coarse-to-fine stage (0 for other searchers). */
  stage: number;
  /** The configuration drawn. */
  config: Config;
  /** The trial's own seed (from the study's seed and the id). */
  seed: number;
  /** How the trial ended. */
  status: TrialStatus;
  /** Every epoch's report, in order. */
  history: EpochReport[];
  /** The objective's value; NaN when the trial failed. */
  objective: number;
  /** Why it stopped early or failed. */
  reason?: string;
  /** Wall time of the trial. */
  seconds: number;
}

const STATUSES: readonly TrialStatus[] = ['completed', 'pruned', 'stopped', 'failed'];

/** The JSON line of a record (non-finite numbers become null). */
export function encodeTrial(r: TrialRecord): string {
  const fin = (v: number) => (Number.isFinite(v) ? v : null);
  return JSON.stringify({
    type: 'trial',
    id: r.id,
    stage: r.stage,
    config: r.config,
    seed: r.seed,
    status: r.status,
    history: r.history.map((h) => ({
      epoch: h.epoch,
      metrics: Object.fromEntries(Object.entries(h.metrics).map(([k, v]) => [k, fin(v)])),
    })),
    objective: fin(r.objective),
    ...(r.reason === undefined ? {} : { reason: r.reason }),
    seconds: Math.round(r.seconds * 1000) / 1000,
  });
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : Number.NaN;
}

/** Parses and checks a trial line; throws when it is not one. */
export function decodeTrial(line: unknown): TrialRecord {
  const o = line as Record<string, unknown>;
  const bad = (what: string) => NerveError.raw('study file', `bad trial line: ${what}`);
  if (o === null || typeof o !== 'object' || o.type !== 'trial') throw bad('not a trial');
  if (!Number.isSafeInteger(o.id) || (o.id as number) < 0) throw bad('id');
  if (!Number.isSafeInteger(o.stage) || !Number.isSafeInteger(o.seed)) throw bad('stage or seed');
  if (!STATUSES.includes(o.status as TrialStatus)) throw bad('status');
  if (o.config === null || typeof o.config !== 'object' || Array.isArray(o.config))
    throw bad('config');
  if (!Array.isArray(o.history)) throw bad('history');
  const history = o.history.map((h: { epoch?: unknown; metrics?: Record<string, unknown> }) => {
    if (!Number.isSafeInteger(h?.epoch) || h.metrics === null || typeof h.metrics !== 'object') {
      throw bad('history entry');
    }
    return {
      epoch: h.epoch as number,
      metrics: Object.fromEntries(Object.entries(h.metrics).map(([k, v]) => [k, num(v)])),
    };
  });
  const r: TrialRecord = {
    id: o.id as number,
    stage: o.stage as number,
    config: o.config as Config,
    seed: o.seed as number,
    status: o.status as TrialStatus,
    history,
    objective: num(o.objective),
    seconds: num(o.seconds),
  };
  if (typeof o.reason === 'string') r.reason = o.reason;
  return r;
}

/** The record as it will read back from its line. */
export function normalizeTrial(r: TrialRecord): TrialRecord {
  return decodeTrial(JSON.parse(encodeTrial(r)));
}

/**
 * The parent-side half of a trial: checks reports, asks the study's arbiter
 * what to do, and keeps the history up to the stop.
 */
export class TrialRun {
  readonly history: EpochReport[] = [];
  decision: Decision | null = null;

  constructor(
    readonly id: number,
    private readonly metric: string,
    private readonly decide: (epoch: number, value: number) => Promise<Decision>,
  ) {}

  /** Handles one report; resolves to whether the trial should stop. */
  async report(epoch: unknown, metrics: unknown): Promise<boolean> {
    const op = 'Reporter.report';
    if (this.decision?.stop) return true;
    const last = this.history.length > 0 ? this.history[this.history.length - 1].epoch : 0;
    if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch <= last) {
      throw new NerveError(op, `an integer epoch > ${last}`, String(epoch));
    }
    if (metrics === null || typeof metrics !== 'object') {
      throw new NerveError(op, 'an object of metrics', String(metrics));
    }
    const m: Metrics = {};
    for (const [k, v] of Object.entries(metrics)) {
      if (v === undefined) continue;
      if (typeof v !== 'number') throw new NerveError(op, `metric '${k}' a number`, String(v));
      // Metric names are an objective's keys: '__proto__' must stay a name.
      setOwn(m, k, v);
    }
    if (!Object.hasOwn(m, this.metric)) {
      throw new NerveError(
        op,
        `the study's metric '${this.metric}' among the metrics`,
        `{ ${Object.keys(m).join(', ')} }`,
      );
    }
    this.history.push({ epoch, metrics: m });
    this.decision = await this.decide(epoch, m[this.metric]);
    return this.decision.stop;
  }
}
