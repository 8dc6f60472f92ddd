/**
 * Study storage: where a study shared by several worker processes lives.
 * The seam has two implementations, a JSON-lines file that processes on one
 * machine share through a lock file (study-jsonl.ts) and PostgreSQL for
 * workers anywhere (study-postgres.ts). Both keep the same invariants:
 *
 * - Trial ids are allocated in order and a trial's parameters are a function
 *   of (study seed, trial id) only, so which worker claims a trial never
 *   changes what it runs, and the trials equal those of a serial run.
 * - A claimed trial belongs to one worker; a result from a worker that lost
 *   it (its heartbeat went stale and the trial was re-queued) is refused, so
 *   every trial is recorded exactly once.
 * - Every epoch's intermediate value is stored as it is reported.
 * - ASHA's rung decisions are made atomically by the storage and recorded;
 *   trial t's decision compares it only with trials of smaller id once each of
 *   them has reached the rung or ended (pruning.ts), so a shared study prunes
 *   exactly as a serial run does.
 */
import { NerveError } from '@nerve/core/base';
import { type Decision, ashaRungDecision } from './pruning.js';
import type { Config } from './space.js';
import type { StudyHeader } from './study-file.js';
import type { EpochReport, Metrics, TrialRecord } from './trial.js';

/** How a stored trial stands. */
export type TrialState = 'queued' | 'running' | 'complete' | 'pruned' | 'failed';

/** The states a trial never leaves. */
export const FINAL_STATES: readonly TrialState[] = ['complete', 'pruned', 'failed'];

/** What a study is: processes may share it only when every field but `trials` agrees. */
export interface StudyDefinition {
  /** The study's name (a PostgreSQL database holds many studies; a file holds one). */
  name: string;
  /** Space fingerprint, seed, searcher, metric, mode and pruners, as a study file's header. */
  header: StudyHeader;
  /** How many trials the study runs; a process asking for more extends it. */
  trials: number;
  /** The parameters of trial `id` (a function of the study's seed and the id only). */
  params: (id: number) => Config;
}

/** A trial a worker claimed. */
export interface ClaimedTrial {
  /** The trial's id. */
  id: number;
  /** Its parameters. */
  params: Config;
  /** How many times it has been claimed, this claim included. */
  attempt: number;
}

/** One stored trial, as `nerve tune show` lists it. */
export interface StoredTrial {
  /** The trial's id. */
  id: number;
  /** queued, running, complete, pruned or failed. */
  state: TrialState;
  /** Its parameters. */
  params: Config;
  /** The objective's value once finished (null while queued or running, and when failed). */
  value: number | null;
  /** Every epoch's reported value of the study's metric, including a killed attempt's. */
  intermediate: EpochValue[];
  /** The worker that holds (running) or finished it. */
  worker: string | null;
  /** How many times it was claimed. */
  attempts: number;
  /** The finished trial's full record. */
  record: TrialRecord | null;
}

/** What the storage answers when a trial reaches an ASHA rung. */
export type RungOutcome =
  | {
      /** The rung's decision for this trial, made once and stored. */
      decided: Decision;
    }
  | {
      /** Trials of smaller id that have neither reached the rung nor ended yet. */
      waitFor: number[];
    };

/** One epoch's reported value of a trial's metric. */
export interface EpochValue {
  /** The epoch, as the objective reported it (increasing). */
  epoch: number;
  /** The metric's value at the end of that epoch. */
  value: number;
}

/** What `StudyStorage.openStudy` answers. */
export interface OpenedStudy {
  /** True when this call created the study, false when it joined an existing one. */
  created: boolean;
}

/** What `StudyStorage.summary` answers. */
export interface StudySummary {
  /** How many trials the study plans. */
  planned: number;
  /** The best trial that did not fail, or null. */
  best: TrialRecord | null;
}

/** What `StudyStorage.readStudy` answers for a study that exists. */
export interface StoredStudy {
  /** The study's definition as stored (space fingerprint, seed, searcher, metric, pruners). */
  header: StudyHeader;
  /** How many trials the study plans (the largest --trials any process asked for). */
  planned: number;
}

/** A trial that ended in a worker, as the worker hands it to `recordAndClaim`. */
export interface TrialResult {
  /** The trial's id. */
  id: number;
  /** What finish() stores. */
  record: TrialRecord;
  /**
   * An epoch the worker has not stored yet (runStudyWorker holds back a
   * trial's expected last report to send it with the result): stored as
   * report() stores it, if and only if the result is.
   */
  last?: EpochReport;
}

/** What `recordAndClaim` returns. */
export interface RecordedAndClaimed {
  /** Ids of the results stored; a result is refused when its trial is no longer the worker's. */
  recorded: number[];
  /** The trials claimed, by id; fewer than asked when fewer are queued. */
  next: ClaimedTrial[];
}

/** The seam every study storage implements (see the file comment for the invariants). */
export interface StudyStorage {
  /** Where the study lives, for messages (a URL never shows its password). */
  readonly location: string;
  /**
   * Creates the study, or joins it when it exists with the same definition;
   * refuses a different space, seed, searcher, metric, mode or pruners with
   * an error naming what differs.
   */
  openStudy(def: StudyDefinition): Promise<OpenedStudy>;
  /** The stored header and planned trial count of study `name`, or null when there is none. */
  readStudy(name: string): Promise<StoredStudy | null>;
  /** Claims the queued trial of smallest id (below `below` if given); null when none is queued. */
  claim(worker: string, opts?: { below?: number }): Promise<ClaimedTrial | null>;
  /** Marks `worker` alive on trial `id`; false when the trial is no longer that worker's. */
  heartbeat(id: number, worker: string): Promise<boolean>;
  /** Stores one epoch's metrics; false when the trial is no longer that worker's. */
  report(id: number, worker: string, epoch: number, metrics: Metrics): Promise<boolean>;
  /** Decides (once, atomically) whether trial `id` with `value` at `rung` continues. */
  rung(id: number, rung: number, value: number): Promise<RungOutcome>;
  /** Records the finished trial; false (nothing written) when it is no longer that worker's. */
  finish(id: number, worker: string, record: TrialRecord): Promise<boolean>;
  /**
   * finish() of each of `results` and then claim() (no `below`) of up to
   * `limit` trials (0: none), in one round trip where the storage can
   * (optional: a worker without it calls finish() and claim(), and runs one
   * trial at a time). A retry whose first try committed counts the results
   * that try stored as recorded.
   */
  recordAndClaim?(
    worker: string,
    results: TrialResult[],
    limit: number,
  ): Promise<RecordedAndClaimed>;
  /** Gives a running trial back to the queue (its stored values stay); it runs again from the start. */
  release(id: number, worker: string): Promise<void>;
  /** Returns running trials whose last heartbeat is older than `graceMs` to the queue. */
  requeueStale(graceMs: number): Promise<number[]>;
  /** Every trial of the study, by id. */
  trials(): Promise<StoredTrial[]>;
  /**
   * The planned trial count and the best finished trial (bestTrial's order:
   * completed before pruned, by value, ties to the smaller id), without
   * reading the whole study (optional: a worker without it reads trials()).
   */
  summary?(mode: 'min' | 'max'): Promise<StudySummary>;
  /** How many trials are queued or running (0: the study has finished). Cheap: workers poll it. */
  unfinished(): Promise<number>;
  /**
   * Waits up to `ms` for work: resolves sooner when the storage hears that
   * a trial went back to the queue or that the study finished (optional: a
   * worker without it sleeps `ms`). Idle workers call it between looks.
   */
  waitForWork?(ms: number): Promise<void>;
  /** Which of `ids` are queued (nobody runs them). Cheap: a worker waiting at a rung polls it. */
  queuedAmong(ids: number[]): Promise<number[]>;
  /** Releases connections and files. */
  close(): Promise<void>;
}

/** What the rung rule needs to know about a trial of smaller id. */
export interface RungPeer {
  /** The trial's id. */
  id: number;
  /** Whether it ended (complete, pruned or failed). */
  ended: boolean;
  /** Its value at the rung (first report at or past it), if it got there. */
  rungValue: number | undefined;
}

/**
 * The rung rule over the trials of smaller id (`peers`, any order; a missing
 * id is one not yet started): wait for those that neither ended nor reached
 * the rung, else ASHA's decision.
 */
export function rungOutcome(
  id: number,
  rung: number,
  value: number,
  peers: readonly RungPeer[],
  header: StudyHeader,
): RungOutcome {
  const byId = new Map(peers.map((p) => [p.id, p]));
  const waitFor: number[] = [];
  const values = [value];
  for (let s = 0; s < id; s++) {
    const p = byId.get(s);
    if (p?.rungValue !== undefined) values.push(p.rungValue);
    else if (!p?.ended) waitFor.push(s);
  }
  if (waitFor.length > 0) return { waitFor };
  const asha = (header.pruners as { kind: string; reductionFactor?: number }[]).find(
    (p) => p.kind === 'asha',
  );
  if (!asha?.reductionFactor) throw NerveError.raw('study storage', 'the study has no ASHA pruner');
  return {
    decided: ashaRungDecision(
      values,
      value,
      asha.reductionFactor,
      header.mode,
      header.metric,
      rung,
    ),
  };
}

/** The stored state of a finished trial: patience-stopped trials count as complete. */
export function finalState(record: TrialRecord): TrialState {
  return record.status === 'stopped'
    ? 'complete'
    : record.status === 'completed'
      ? 'complete'
      : record.status;
}

/** The value a finished trial is ranked by (null when failed). */
export function finalValue(record: TrialRecord): number | null {
  return Number.isFinite(record.objective) ? record.objective : null;
}
