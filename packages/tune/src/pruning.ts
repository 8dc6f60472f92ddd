/**
 * Early stopping of bad trials. ASHA (asynchronous successive halving,
 * Li et al. 2018, "A System for Massively Parallel Hyperparameter Tuning"):
 * rungs at epochs r·η^k; a trial reaching a rung continues only if it is in
 * the top ⌊n/η⌋ of the n trials that reached that rung (the best one when
 * n < η, as Optuna's SuccessiveHalvingPruner). The patience rule stops a
 * trial whose metric has not improved for p epochs.
 *
 * Determinism: trial t's rung decision compares it only with trials of
 * smaller id. It waits until each of them has reached that rung or ended, so
 * it sees exactly what a serial run (trials in id order) would see, and serial
 * and parallel studies make the same decisions. The smallest unfinished trial
 * never waits, so this cannot deadlock.
 */
import { NerveError } from '@nerve/core/base';

/** ASHA settings. */
export interface AshaPruner {
  /** Discriminates the pruner kinds. */
  readonly kind: 'asha';
  /** r: the first rung's epoch (the grace period). */
  readonly minEpochs: number;
  /** η: rungs at r·η^k; the top 1/η continue. */
  readonly reductionFactor: number;
  /** R: no rung at or past this epoch (a trial reaching it just completes). */
  readonly maxEpochs?: number;
}

/** Patience settings. */
export interface PatiencePruner {
  /** Discriminates the pruner kinds. */
  readonly kind: 'patience';
  /** Epochs without improvement before stopping. */
  readonly patience: number;
  /** Smallest change that counts as an improvement. */
  readonly minDelta: number;
}

/** A rule that stops trials early. */
export type Pruner = AshaPruner | PatiencePruner;

/** ASHA with rungs at minEpochs·reductionFactor^k (defaults 1 and 3), below maxEpochs if given. */
export function asha(
  opts: { minEpochs?: number; reductionFactor?: number; maxEpochs?: number } = {},
): AshaPruner {
  const op = 'asha';
  const { minEpochs = 1, reductionFactor = 3, maxEpochs } = opts;
  if (!Number.isInteger(minEpochs) || minEpochs < 1) {
    throw new NerveError(op, 'minEpochs a positive integer', String(minEpochs));
  }
  if (!Number.isInteger(reductionFactor) || reductionFactor < 2) {
    throw new NerveError(op, 'reductionFactor an integer ≥ 2', String(reductionFactor));
  }
  if (maxEpochs !== undefined && (!Number.isInteger(maxEpochs) || maxEpochs <= minEpochs)) {
    throw new NerveError(op, `maxEpochs an integer > minEpochs (${minEpochs})`, String(maxEpochs));
  }
  return maxEpochs === undefined
    ? { kind: 'asha', minEpochs, reductionFactor }
    : { kind: 'asha', minEpochs, reductionFactor, maxEpochs };
}

/** Stops a trial whose metric has not improved by more than minDelta for `patience` epochs. */
export function patience(opts: { patience?: number; minDelta?: number } = {}): PatiencePruner {
  const { patience: p = 3, minDelta = 0 } = opts;
  if (!Number.isInteger(p) || p < 1)
    throw new NerveError('patience', 'patience a positive integer', String(p));
  if (typeof minDelta !== 'number' || !(minDelta >= 0)) {
    throw new NerveError('patience', 'minDelta ≥ 0', String(minDelta));
  }
  return { kind: 'patience', patience: p, minDelta };
}

/** Throws a NerveError unless every entry is a pruner made by asha() or patience(). */
export function checkPruners(op: string, pruners: unknown[]): asserts pruners is Pruner[] {
  for (const p of pruners) {
    const k = (p as Pruner | null)?.kind;
    if (k !== 'asha' && k !== 'patience')
      throw new NerveError(op, 'pruners from asha() or patience()', String(p));
  }
  if (pruners.filter((p) => (p as Pruner).kind === 'asha').length > 1) {
    throw new NerveError(op, 'at most one asha pruner', 'several');
  }
}

/** The rung epochs of an ASHA pruner that lie in (after, upTo]. */
export function rungsBetween(a: AshaPruner, after: number, upTo: number): number[] {
  const out: number[] = [];
  for (let r = a.minEpochs; r <= upTo; r *= a.reductionFactor) {
    if (a.maxEpochs !== undefined && r >= a.maxEpochs) break;
    if (r > after) out.push(r);
  }
  return out;
}

/** What the arbiter decided about a report. */
export interface Decision {
  /** Whether the trial should stop now. */
  stop: boolean;
  /** How the trial ends when it stops. */
  status?: 'pruned' | 'stopped' | 'failed';
  /** Why, in words, for the report. */
  reason?: string;
}

/** a is strictly better than b under `mode`; NaN is worse than everything. */
function better(mode: 'min' | 'max', a: number, b: number): boolean {
  if (Number.isNaN(b)) return !Number.isNaN(a);
  if (Number.isNaN(a)) return false;
  return mode === 'min' ? a < b : a > b;
}

/**
 * ASHA's decision at one rung: `values` holds the trial's own value first,
 * then the rung values of the trials it is compared with (smaller ids that
 * reached the rung). Shared by the in-process arbiter and the study storages,
 * so every storage decides exactly as a serial run does.
 */
export function ashaRungDecision(
  values: number[],
  value: number,
  eta: number,
  mode: 'min' | 'max',
  metric: string,
  rung: number,
): Decision {
  const sorted = [...values].sort((a, b) => (better(mode, a, b) ? -1 : better(mode, b, a) ? 1 : 0));
  const keep = Math.max(1, Math.floor(sorted.length / eta));
  const threshold = sorted[keep - 1];
  if (!better(mode, threshold, value)) return { stop: false };
  return {
    stop: true,
    status: 'pruned',
    reason: `ASHA rung at epoch ${rung}: ${metric} ${value.toPrecision(4)} not in the top ${keep} of ${sorted.length} (cut-off ${threshold.toPrecision(4)})`,
  };
}

/** The patience rule over a trial's reported values so far (no rule: never stops). */
export function patienceDecision(
  rule: PatiencePruner | undefined,
  reports: readonly number[],
  mode: 'min' | 'max',
  metric: string,
): Decision {
  if (!rule) return { stop: false };
  let best = Number.NaN;
  let wait = 0;
  for (const value of reports) {
    const improved =
      Number.isNaN(best) ||
      (mode === 'min' ? value < best - rule.minDelta : value > best + rule.minDelta);
    if (improved) {
      best = value;
      wait = 0;
    } else wait++;
  }
  if (wait < rule.patience) return { stop: false };
  return {
    stop: true,
    status: 'stopped',
    reason: `${metric} did not improve for ${rule.patience} epochs (best ${best.toPrecision(4)})`,
  };
}

/** The non-finite check every report goes through first (a diverged trial fails). */
export function divergedDecision(metric: string, epoch: number, value: number): Decision | null {
  if (Number.isFinite(value)) return null;
  return {
    stop: true,
    status: 'failed',
    reason: `${metric} was not finite at epoch ${epoch} (diverged)`,
  };
}

interface TrialState {
  reports: { epoch: number; value: number }[];
  ended: boolean;
}

interface Pending {
  id: number;
  rung: number;
  check: () => boolean;
}

/** Makes the stop decisions of one study, for trials reporting in any order. */
export class Arbiter {
  private readonly trials = new Map<number, TrialState>();
  private pending: Pending[] = [];
  private readonly ashaRule: AshaPruner | undefined;
  private readonly patienceRule: PatiencePruner | undefined;

  constructor(
    pruners: readonly Pruner[],
    private readonly metric: string,
    private readonly mode: 'min' | 'max',
  ) {
    this.ashaRule = pruners.find((p): p is AshaPruner => p.kind === 'asha');
    this.patienceRule = pruners.find((p): p is PatiencePruner => p.kind === 'patience');
  }

  /** Registers a trial that already ended (e.g. read from a study file). */
  load(id: number, values: { epoch: number; value: number }[]): void {
    this.trials.set(id, { reports: [...values], ended: true });
    this.flush();
  }

  /** Registers a trial that starts now. */
  begin(id: number): void {
    this.trials.set(id, { reports: [], ended: false });
  }

  /** Marks a trial as ended (finished, stopped or failed). */
  end(id: number): void {
    const t = this.trials.get(id);
    if (t) t.ended = true;
    this.flush();
  }

  /** Records trial `id`'s metric at `epoch` and decides whether it stops. */
  async report(id: number, epoch: number, value: number): Promise<Decision> {
    const t = this.trials.get(id);
    if (!t) throw NerveError.raw('Arbiter.report', `trial ${id} was not begun`);
    const after = t.reports.length > 0 ? t.reports[t.reports.length - 1].epoch : 0;
    t.reports.push({ epoch, value });
    this.flush();
    const diverged = divergedDecision(this.metric, epoch, value);
    if (diverged) return diverged;
    if (this.ashaRule) {
      for (const rung of rungsBetween(this.ashaRule, after, epoch)) {
        const d = await this.rungDecision(id, rung, value);
        if (d.stop) return d;
      }
    }
    return this.patienceDecision(t);
  }

  /** The value trial `s` had at `rung` (its first report at or past it), if it got there. */
  private rungValue(s: TrialState, rung: number): number | undefined {
    return s.reports.find((r) => r.epoch >= rung)?.value;
  }

  private ready(id: number, rung: number): boolean {
    for (let s = 0; s < id; s++) {
      const st = this.trials.get(s);
      if (!st) return false;
      if (!st.ended && this.rungValue(st, rung) === undefined) return false;
    }
    return true;
  }

  private rungDecision(id: number, rung: number, value: number): Promise<Decision> {
    return new Promise((resolve) => {
      const check = (): boolean => {
        if (!this.ready(id, rung)) return false;
        const values = [value];
        for (let s = 0; s < id; s++) {
          const v = this.rungValue(this.trials.get(s) as TrialState, rung);
          if (v !== undefined) values.push(v);
        }
        resolve(
          ashaRungDecision(
            values,
            value,
            (this.ashaRule as AshaPruner).reductionFactor,
            this.mode,
            this.metric,
            rung,
          ),
        );
        return true;
      };
      if (!check()) this.pending.push({ id, rung, check });
    });
  }

  private patienceDecision(t: TrialState): Decision {
    return patienceDecision(
      this.patienceRule,
      t.reports.map((r) => r.value),
      this.mode,
      this.metric,
    );
  }

  /** Settles every waiting rung decision whose smaller trials have caught up. */
  private flush(): void {
    if (this.pending.length === 0) return;
    this.pending = this.pending.filter((p) => !p.check());
  }
}
