/**
 * Train mode against eval mode in BatchNorm1d: the statistics a layer uses
 * in training (the batch's mean and biased variance) against those it uses
 * in evaluation (the running averages, momentum 0.1), watched step by step
 * on the first BatchNorm layer; and what that means for one example's
 * prediction.
 */
import { type Tensor, keep, mean, noGrad, stack, tidy, variance } from '@nerve/core';
import type { TensorDataset } from '@nerve/data';
import type { Module } from '@nerve/layers';
import { BatchNorm1d } from '@nerve/norm';

/** Per step: the gap between the batch statistics and the running ones of one layer. */
export interface StatsTrace {
  /** mean over channels of |μ_B − μ_run| / √(σ²_run + eps) (in units of the running std). */
  meanGap: number[];
  /** mean over channels of |ln(σ²_B / σ²_run)|. */
  varGap: number[];
  /** Channel 0: the batch mean and the running mean after each step. */
  batchMean0: number[];
  runningMean0: number[];
}

/**
 * Records the first BatchNorm1d layer of `model` at every training step.
 * `record()` (after each step) reads what the hook kept; `detach()` removes
 * the hook and frees the last kept tensor.
 */
export function watchBatchNorm(model: Module): {
  trace: StatsTrace;
  record: () => Promise<void>;
  detach: () => void;
} {
  const bn = [...model.modules()].find((m): m is BatchNorm1d => m instanceof BatchNorm1d);
  if (bn === undefined) throw new Error('watchBatchNorm: the model has no BatchNorm1d layer');
  const trace: StatsTrace = { meanGap: [], varGap: [], batchMean0: [], runningMean0: [] };
  let kept: Tensor | null = null;
  const remove = bn.registerForwardHook((m, inputs) => {
    // Only training forwards use batch statistics; evaluate() runs in eval mode.
    if (!m.training || inputs[0] === undefined) return;
    const x = inputs[0];
    kept?.dispose();
    kept = keep(noGrad(() => tidy(() => stack([mean(x, 0), variance(x, 0, { correction: 0 })]))));
  });
  const record = async () => {
    if (kept === null) return;
    const [batch, runMean, runVar] = await Promise.all([
      kept.data(),
      bn.runningMean!.data(),
      bn.runningVar!.data(),
    ]);
    kept.dispose();
    kept = null;
    const c = bn.numFeatures;
    let meanGap = 0;
    let varGap = 0;
    for (let i = 0; i < c; i++) {
      meanGap += Math.abs(batch[i] - runMean[i]) / Math.sqrt(runVar[i] + bn.eps);
      varGap += Math.abs(Math.log((batch[c + i] + bn.eps) / (runVar[i] + bn.eps)));
    }
    trace.meanGap.push(meanGap / c);
    trace.varGap.push(varGap / c);
    trace.batchMean0.push(batch[0]);
    trace.runningMean0.push(runMean[0]);
  };
  const detach = () => {
    remove();
    kept?.dispose();
    kept = null;
  };
  return { trace, record, detach };
}

/** One example's logits in eval mode alone, and in train mode inside two different batches. */
export interface SingleExample {
  label: number;
  eval: number[];
  /** Eval mode, the same example inside batch A: must equal `eval`. */
  evalInBatch: number[];
  trainA: number[];
  trainB: number[];
  /** Accuracy of the whole batch A in eval mode and in train mode. */
  batchAccuracy: { eval: number; train: number };
}

/**
 * Runs example `index` of `set` through `model` in eval mode (alone and in
 * batch A) and in train mode inside batches A and B (the example plus
 * `batchSize − 1` others chosen by the seeded `others`). Train-mode forwards
 * update the running statistics, so call this last, on a model you discard.
 */
export async function singleExample(
  model: Module,
  set: TensorDataset,
  index: number,
  others: [number[], number[]],
): Promise<SingleExample> {
  const y = set.tensors[1];
  const labels = await y.data();
  const label = labels[index];
  let batchCorrect = 0;
  const run = async (training: boolean, rows: number[]) => {
    if (training) model.train();
    else model.eval();
    const part = set.subset(rows);
    try {
      const out = noGrad(() => tidy(() => model.call(part.tensors[0])));
      const values = await out.data();
      out.dispose();
      batchCorrect = 0;
      for (let r = 0; r < rows.length; r++) {
        const logits = Array.from(values.subarray(r * 10, r * 10 + 10));
        if (argmaxHost(logits) === labels[rows[r]]) batchCorrect++;
      }
      return Array.from(values.subarray(0, 10));
    } finally {
      for (const t of part.tensors) t.dispose();
    }
  };
  const batchA = [index, ...others[0]];
  const batchB = [index, ...others[1]];
  const evalAlone = await run(false, [index]);
  const evalInBatch = await run(false, batchA);
  const evalCorrect = batchCorrect;
  const trainA = await run(true, batchA);
  const trainCorrect = batchCorrect;
  const result: SingleExample = {
    label,
    eval: evalAlone,
    evalInBatch,
    trainA,
    trainB: await run(true, batchB),
    batchAccuracy: { eval: evalCorrect / batchA.length, train: trainCorrect / batchA.length },
  };
  model.eval();
  return result;
}

/** max_i |a_i − b_i|. */
export function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Softmax probabilities of logits (host, float64). */
export function softmaxHost(logits: readonly number[]): number[] {
  const top = Math.max(...logits);
  const e = logits.map((v) => Math.exp(v - top));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Index of the largest value. */
export function argmaxHost(v: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

/** A seeded permutation of 0..n−1 (mulberry32 + Fisher–Yates, host only). */
export function shuffled(n: number, seed: number): number[] {
  let a = (seed ^ 0x9e3779b9) >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
