/**
 * Ordering trials: finished trials (completed, or stopped by patience with a
 * valid best value) by their objective, then ASHA-pruned ones (their values
 * come from fewer epochs, so they never outrank a finished trial), then
 * failed ones. Ties go to the smaller id.
 */
import type { TrialRecord } from './trial.js';

function group(t: TrialRecord): number {
  if (t.status === 'failed' || !Number.isFinite(t.objective)) return 2;
  return t.status === 'pruned' ? 1 : 0;
}

/** The trials sorted best first. */
export function rankTrials(trials: readonly TrialRecord[], mode: 'min' | 'max'): TrialRecord[] {
  return [...trials].sort((a, b) => {
    const g = group(a) - group(b);
    if (g !== 0) return g;
    if (group(a) < 2 && a.objective !== b.objective) {
      return mode === 'min' ? a.objective - b.objective : b.objective - a.objective;
    }
    return a.id - b.id;
  });
}

/** The best trial that did not fail, or null. */
export function bestTrial(trials: readonly TrialRecord[], mode: 'min' | 'max'): TrialRecord | null {
  const first = rankTrials(trials, mode)[0];
  return first && group(first) < 2 ? first : null;
}
