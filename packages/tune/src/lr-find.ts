/**
 * The learning-rate range test (Smith 2017, "Cyclical Learning Rates for
 * Training Neural Networks", §3.3; the fastai lr_find recipe): train for a
 * few hundred steps while the learning rate grows exponentially from startLr
 * to endLr, follow the bias-corrected exponential moving average of the loss,
 * stop once it exceeds divergeFactor × its minimum, and put every weight and
 * buffer back afterwards.
 *
 * Suggestion: Smith's rule, a tenth of the learning rate at the minimum of
 * the loss, or the steepest descent point (per unit of log lr, central
 * differences, looked for between the first 10% of the sweep and the
 * minimum) when that is smaller. Both are read from a centered moving
 * average of the raw losses (±5% of the points), not from the moving
 * average used to stop the sweep: that average lags by about β/(1 − β) = 49
 * steps, a decade or more of learning rate in a 200-step sweep, which put
 * its minimum 3–8× to the right of the true one on the digits (docs/lr-find.md).
 * With the lagged curve, the steepest point with momentum SGD on the digits
 * MLP was 0.126, which trained to 72%, and minimum/10 with Adam on the CNN
 * reached the edge where accuracy falls. When fewer than 3 points lie
 * before the minimum, it is minimum/10. All candidates are returned.
 */
import { NerveError, type Tensor, tidy } from '@nerve/core';
import type { DataLoader } from '@nerve/data';
import type { Module } from '@nerve/layers';
import { type Optimizer, SGD } from '@nerve/optim';
import { restoreValues } from '@nerve/train';

/** Options of lrFind. */
export interface LrFindOptions {
  /** Loss of the model output and the targets (a scalar tensor). */
  lossFn: (output: Tensor, target: Tensor) => Tensor;
  /** Builds the optimizer whose learning rate is swept (default SGD with momentum 0.9). */
  optimizerFactory?: (params: Tensor[]) => Optimizer;
  /** First learning rate (default 1e-7). */
  startLr?: number;
  /** Last learning rate (default 10). */
  endLr?: number;
  /** Number of steps, i.e. learning rates tried (default 100; 100–300 is typical). */
  steps?: number;
  /** β of the loss's moving average (default 0.98). */
  smoothing?: number;
  /** Stop once the smoothed loss exceeds this multiple of its minimum (default 4). */
  divergeFactor?: number;
}

/** What the range test found. */
export interface LrFindResult {
  /** The learning rate of each step taken. */
  lrs: number[];
  /** The raw loss of each step. */
  losses: number[];
  /** The bias-corrected moving average of the loss. */
  smoothed: number[];
  /** The suggested learning rate: min(steepest, minOver10), or minOver10. */
  suggestion: number;
  /** Steepest descent point of the centered curve (NaN when the window is too short). */
  steepest: number;
  /** Learning rate at the centered curve's minimum, divided by 10. */
  minOver10: number;
  /** The sweep stopped because the loss diverged. */
  diverged: boolean;
  /** The optimizer the sweep ran with (its class name, e.g. 'Adam'): the suggestion holds for it only. */
  optimizer: string;
}

function positive(op: string, name: string, v: number): void {
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v))
    throw new NerveError(op, `${name} > 0`, String(v));
}

/** Runs the LR range test on `model` with batches from `loader`; the model is left as it was. */
export async function lrFind(
  model: Module,
  loader: DataLoader,
  opts: LrFindOptions,
): Promise<LrFindResult> {
  const op = 'lrFind';
  const {
    startLr = 1e-7,
    endLr = 10,
    steps = 100,
    smoothing = 0.98,
    divergeFactor = 4,
  } = opts ?? ({} as LrFindOptions);
  if (typeof opts?.lossFn !== 'function')
    throw new NerveError(op, 'lossFn a function', String(opts?.lossFn));
  positive(op, 'startLr', startLr);
  positive(op, 'endLr', endLr);
  if (!(endLr > startLr)) throw new NerveError(op, `endLr > startLr (${startLr})`, String(endLr));
  if (!Number.isInteger(steps) || steps < 5)
    throw new NerveError(op, 'steps an integer ≥ 5', String(steps));
  if (!(smoothing >= 0 && smoothing < 1))
    throw new NerveError(op, 'smoothing in [0, 1)', String(smoothing));
  if (!(divergeFactor > 1)) throw new NerveError(op, 'divergeFactor > 1', String(divergeFactor));
  if (loader.numBatches < 1)
    throw new NerveError(op, 'a loader with at least one batch', 'an empty loader');

  // Host copies of every parameter and buffer: restored exactly at the end.
  const saved = new Map<string, Float32Array | Int32Array | Uint8Array>();
  for (const [k, t] of Object.entries(model.stateDict()))
    saved.set(k, (await t.data()).slice() as Float32Array);
  const wasTraining = model.training;
  const loaderEpoch = loader.epoch;
  const factory =
    opts.optimizerFactory ?? ((p: Tensor[]) => new SGD(p, { lr: startLr, momentum: 0.9 }));
  const optimizer = factory(model.parameters());
  const lrs: number[] = [];
  const losses: number[] = [];
  const smoothed: number[] = [];
  let avg = 0;
  let best = Number.POSITIVE_INFINITY;
  let diverged = false;
  let batches = loader[Symbol.iterator]();
  try {
    model.train();
    for (let i = 0; i < steps; i++) {
      const lr = startLr * (endLr / startLr) ** (i / (steps - 1));
      for (const g of optimizer.paramGroups) g.lr = lr;
      let next = batches.next();
      if (next.done) {
        batches = loader[Symbol.iterator]();
        next = batches.next();
      }
      const tensors = next.value as Tensor[];
      const lossT = tidy(() => {
        const l = opts.lossFn(model.call(tensors[0]), tensors[1]);
        l.backward();
        optimizer.step();
        optimizer.zeroGrad();
        return l.detach();
      });
      for (const t of tensors) t.dispose();
      const loss = (await lossT.data())[0];
      lossT.dispose();
      avg = smoothing * avg + (1 - smoothing) * loss;
      const s = avg / (1 - smoothing ** (i + 1));
      lrs.push(lr);
      losses.push(loss);
      smoothed.push(s);
      if (!Number.isFinite(s) || s > divergeFactor * best) {
        diverged = true;
        break;
      }
      best = Math.min(best, s);
    }
  } finally {
    optimizer.disposeState();
    model.zeroGrad();
    restoreValues(model, saved);
    model.train(wasTraining);
    loader.setEpoch(loaderEpoch);
  }
  return {
    lrs,
    losses,
    smoothed,
    ...suggest(lrs, losses),
    diverged,
    optimizer: optimizer.constructor.name,
  };
}

/**
 * Centered moving average over ±`half` points (fewer at the ends): unlike an
 * exponential average it does not shift the curve toward larger rates.
 */
export function centeredMean(v: readonly number[], half: number): number[] {
  return v.map((_, i) => {
    const from = Math.max(0, i - half);
    const to = Math.min(v.length - 1, i + half);
    let sum = 0;
    for (let j = from; j <= to; j++) sum += v[j];
    return sum / (to - from + 1);
  });
}

/**
 * The suggestion rule of the file comment, on a finished sweep's learning
 * rates and raw losses (cut at the first non-finite loss).
 */
export function suggest(
  lrs: number[],
  losses: number[],
): {
  /** The suggested learning rate: min(steepest, minOver10), or minOver10. */
  suggestion: number;
  /** Steepest descent point of the centered curve (NaN when the window is too short). */
  steepest: number;
  /** Learning rate at the centered curve's minimum, divided by 10. */
  minOver10: number;
} {
  const bad = losses.findIndex((l) => !Number.isFinite(l));
  const n = bad < 0 ? losses.length : Math.max(1, bad);
  const curve = centeredMean(losses.slice(0, n), Math.max(1, Math.round(0.05 * n)));
  let iMin = 0;
  for (let i = 1; i < n; i++) if (curve[i] < curve[iMin]) iMin = i;
  const minOver10 = lrs[iMin] / 10;
  const from = Math.max(1, Math.floor(0.1 * n));
  let steepest = Number.NaN;
  let slopeMin = Number.POSITIVE_INFINITY;
  if (iMin - from >= 2) {
    for (let i = from; i < iMin; i++) {
      const slope = (curve[i + 1] - curve[i - 1]) / (Math.log(lrs[i + 1]) - Math.log(lrs[i - 1]));
      if (slope < slopeMin) {
        slopeMin = slope;
        steepest = lrs[i];
      }
    }
  }
  const suggestion = Number.isFinite(steepest) ? Math.min(steepest, minOver10) : minOver10;
  return { suggestion, steepest, minOver10 };
}
