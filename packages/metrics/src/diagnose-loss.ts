/**
 * The loss checks of `diagnose`: NaN/Infinity, explosion, flatness.
 */
import type { DiagnoseOptions } from './diagnose-options.js';
import type { EpochRecord, Finding } from './types.js';
import { fmt } from './util.js';

type Opts = Required<DiagnoseOptions>;

/** Step-level checks need at least this many step losses (ten windows of two). */
const MIN_STEPS = 20;

/** loss-nan, else loss-exploding, else loss-flat (at most one of them). */
export function lossFindings(h: readonly EpochRecord[], o: Opts): Finding[] {
  const nan = lossNaN(h);
  if (nan) return [nan];
  const exploding = lossExploding(h, o);
  if (exploding) return [exploding];
  const flat = lossFlat(h, o);
  return flat ? [flat] : [];
}

function lossNaN(h: readonly EpochRecord[]): Finding | null {
  for (const r of h) {
    let where: string | null = null;
    const bad = (x: unknown) => typeof x === 'number' && !Number.isFinite(x);
    const step = r.stepLosses?.findIndex(bad) ?? -1;
    if (step >= 0) where = `${r.stepLosses![step]} at epoch ${r.epoch}, step ${step}`;
    else if (bad(r.trainLoss)) where = `${r.trainLoss} (train) at epoch ${r.epoch}`;
    else if (bad(r.valLoss)) where = `${r.valLoss} (val) at epoch ${r.epoch}`;
    else if ((r.monitors?.['loss/nonFinite'] ?? 0) > 0)
      where = `NaN or Infinity at epoch ${r.epoch}`;
    if (where !== null) {
      return {
        code: 'loss-nan',
        severity: 'error',
        learningRate: 'lower',
        message: `Loss became ${where}. The learning rate is probably too high (lower it 3–10×, or clip gradients with clipGradNorm), or there is a numerical problem: log(0) or division by zero (compute crossEntropy/bceWithLogits from logits, not log of softmax/sigmoid), NaN or Infinity in the inputs, or an overflowing exp.`,
      };
    }
  }
  return null;
}

/**
 * The loss gave back more than half of what it had gained (start − min).
 * Near zero a ratio to the minimum alone is noise: a run that fell from 4.7
 * to 0.05 and has a last window of 0.2 (one bad minibatch) is not exploding.
 */
function gaveBack(start: number, min: number, last: number): boolean {
  return last - min > 0.5 * Math.max(0, start - min);
}

/** Means of ten equal windows of `v` (the last window ends at the last value). */
function windowMeans(v: readonly number[]): number[] {
  const w = Math.floor(v.length / 10);
  const mean = (a: number, b: number) => v.slice(a, b).reduce((s, x) => s + x, 0) / (b - a);
  const out: number[] = [];
  for (let i = 0; i < 9; i++) out.push(mean(i * w, (i + 1) * w));
  out.push(mean(v.length - w, v.length));
  return out;
}

/**
 * The last epoch's train loss above explodeFactor × the minimum over epochs;
 * or an epoch's mean train loss above riseFactor × the first step's loss
 * (the loss at init: training that works never averages above where it
 * started, and a rate too high to train often jumps early, then settles,
 * so the first test alone misses it); or, over all step losses in ten
 * windows, the last window's mean above explodeFactor × the smallest window
 * mean (windows smooth minibatch noise). Only for positive minima (a ratio
 * to 0 or a negative loss means nothing).
 */
function lossExploding(h: readonly EpochRecord[], o: Opts): Finding | null {
  const epochs = h.filter((r) => Number.isFinite(r.trainLoss));
  let seen: string | null = null;
  const initial = h[0].stepLosses?.[0];
  if (typeof initial === 'number' && initial > 0) {
    const worst = epochs.reduce<EpochRecord | null>(
      (a, b) => (a === null || b.trainLoss > a.trainLoss ? b : a),
      null,
    );
    if (worst && worst.trainLoss > o.riseFactor * initial) {
      seen = `the mean train loss of epoch ${worst.epoch} is ${fmt(worst.trainLoss)}, ×${fmt(worst.trainLoss / initial)} the loss at the first step (${fmt(initial)}, more than ×${o.riseFactor})`;
    }
  }
  if (seen === null && epochs.length >= 2) {
    const min = epochs.reduce((a, b) => (b.trainLoss < a.trainLoss ? b : a));
    const last = epochs[epochs.length - 1];
    if (
      min.trainLoss > 0 &&
      last.trainLoss > o.explodeFactor * min.trainLoss &&
      gaveBack(epochs[0].trainLoss, min.trainLoss, last.trainLoss)
    ) {
      seen = `the train loss rose to ${fmt(last.trainLoss)} at epoch ${last.epoch} from its minimum ${fmt(min.trainLoss)} at epoch ${min.epoch} (×${fmt(last.trainLoss / min.trainLoss)}, more than ×${o.explodeFactor})`;
    }
  }
  const steps = h.flatMap((r) => r.stepLosses ?? []);
  // A spike far above where training started, even if the loss came back down
  // (often to chance level, with the network broken by the jump).
  if (seen === null && steps.length >= 2 && steps[0] > 0) {
    const peak = steps.reduce((a, b) => (b > a ? b : a), steps[0]);
    if (peak > o.explodeFactor * 10 * steps[0]) {
      seen = `a step loss reached ${fmt(peak)}, ×${fmt(peak / steps[0])} the first step's ${fmt(steps[0])} (more than ×${o.explodeFactor * 10})`;
    }
  }
  if (seen === null && steps.length >= MIN_STEPS) {
    const m = windowMeans(steps);
    const min = Math.min(...m);
    const last = m[m.length - 1];
    if (min > 0 && last > o.explodeFactor * min && gaveBack(m[0], min, last)) {
      seen = `the mean step loss of the last tenth of the steps is ${fmt(last)}, ×${fmt(last / min)} its smallest tenth (${fmt(min)}, more than ×${o.explodeFactor})`;
    }
  }
  if (seen === null) return null;
  return {
    code: 'loss-exploding',
    severity: 'error',
    learningRate: 'lower',
    message: `Loss is exploding: ${seen}. Lower the learning rate (3–10×), add learning-rate warmup, or clip gradients (clipGradNorm).`,
  };
}

/**
 * Relative improvement (L₀ − min later)/|L₀| below flatTolerance over the
 * first flatEpochs epochs; with a single epoch, the same between the first
 * and the later tenths of its step losses.
 */
function lossFlat(h: readonly EpochRecord[], o: Opts): Finding | null {
  const first = h.slice(0, o.flatEpochs).filter((r) => Number.isFinite(r.trainLoss));
  let start: number;
  let best: number;
  let span: string;
  if (first.length >= 2) {
    start = first[0].trainLoss;
    best = Math.min(...first.slice(1).map((r) => r.trainLoss));
    span = `the first ${first.length} epochs`;
  } else if (h.length === 1 && (h[0].stepLosses?.length ?? 0) >= MIN_STEPS) {
    const m = windowMeans(h[0].stepLosses!);
    start = m[0];
    best = Math.min(...m.slice(1));
    span = `the ${h[0].stepLosses!.length} steps of epoch ${h[0].epoch}`;
  } else {
    return null;
  }
  if (start === 0) return null;
  const improvement = (start - best) / Math.abs(start);
  if (!(improvement < o.flatTolerance)) return null;
  return {
    code: 'loss-flat',
    severity: 'warning',
    learningRate: 'raise',
    message: `Loss is flat: it improved by ${fmt(improvement * 100)}% (< ${o.flatTolerance * 100}%) over ${span} (${fmt(start)} → best ${fmt(best)}). The learning rate is probably too low (raise it about 10×; aim for an update ratio near 1e-3), or the initialization is bad (all-zero or tiny weights, saturated or dead units); check that gradients reach the parameters.`,
  };
}
