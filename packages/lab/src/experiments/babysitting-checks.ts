/**
 * The two checks of babysitting that come before any real training
 * (CS231n, "Babysitting the learning process"; Karpathy 2019, "A recipe for
 * training neural networks"):
 *
 * - The loss at init. With small weights every logit is ≈ 0, softmax gives
 *   each of C classes 1/C, and the mean cross-entropy is −ln(1/C) = ln C
 *   (2.303 for the ten digits). For logits of spread σ a second-order
 *   expansion of logsumexp gives ln C + σ²(1 − 1/C)/2, so the deviation says
 *   how large the logits start. The regularized loss we report is exactly
 *   `crossEntropy(logits, y) + λ/2·Σ w²` over the two weight matrices (biases
 *   excluded), as @nerve/layers' `l2Penalty(weights, λ)` computes it; SGD's
 *   `weightDecay: λ` adds λ·w to the gradient, the gradient of that same
 *   term. The weights do not depend on λ at init, so the loss rises by
 *   exactly λ/2·Σ w².
 * - Overfitting a tiny subset: with regularization off, 20 examples (two
 *   per class) must be fitted to 100% training accuracy and a loss near 0;
 *   if they cannot be, the model or the loop is broken.
 */
import { type Tensor, noGrad, tidy } from '@nerve/core';
import { normal } from '@nerve/init';
import { crossEntropy, l2Penalty } from '@nerve/layers';
import { DataLoader, type TensorDataset } from '@nerve/data';
import { SGD } from '@nerve/optim';
import { evaluate, fit } from '@nerve/train';
import type { EpochRecord } from '@nerve/metrics';
import { digitsMlp, firstPerClass } from '../util/standardized-digits.js';

/** Regularization strengths of the initial-loss check. */
export const LAMBDAS = [0, 1e-3, 1e-2, 1e-1, 1, 10, 100] as const;

/** One row of the initial-loss check. */
export interface InitialLossRow {
  init: string;
  lambda: number;
  /** Mean cross-entropy of the untrained net on the training set. */
  dataLoss: number;
  /** Σ w² over the weight matrices. */
  sumSquares: number;
  /** dataLoss + λ/2·Σ w², computed by l2Penalty. */
  total: number;
  /** Standard deviation of the logits. */
  logitStd: number;
}

/** The initializations compared at λ = 0, the first one also over the λ ladder. */
const INITS = [
  { id: 'small', label: '0.01·N(0,1) weights, zero biases', init: normal(0, 0.01) },
  { id: 'default', label: "PyTorch's default (U(±1/√fanIn))", init: undefined },
  { id: 'unit', label: 'N(0,1) weights, zero biases', init: normal(0, 1) },
] as const;

/** The loss of untrained nets on `train` for each init, and for the small init over LAMBDAS. */
export async function initialLosses(
  train: TensorDataset,
  p: { hidden: number; seed: number },
): Promise<InitialLossRow[]> {
  const rows: InitialLossRow[] = [];
  const [x, y] = train.tensors as [Tensor, Tensor];
  for (const c of INITS) {
    const model = digitsMlp({ hidden: p.hidden, seed: p.seed, weightInit: c.init });
    try {
      const weights = model.namedParameters().filter(([n]) => n.endsWith('weight'));
      const lambdas = c.id === 'small' ? LAMBDAS : [0];
      for (const lambda of lambdas) {
        const t = tidy(() =>
          noGrad(() => {
            const logits = model.call(x);
            const data = crossEntropy(logits, y);
            const ws = weights.map(([, w]) => w);
            const total = data.add(l2Penalty(ws, lambda));
            const ss = l2Penalty(ws, 2); // 2/2·Σ w² = Σ w²
            const m = logits.mean();
            const std = logits.sub(m).square().mean().sqrt();
            return [data, ss, total, std];
          }),
        );
        const [dataLoss, sumSquares, total, logitStd] = await Promise.all(
          t.map(async (v) => (await v.data())[0] as number),
        );
        for (const v of t) v.dispose();
        rows.push({ init: c.label, lambda, dataLoss, sumSquares, total, logitStd });
      }
    } finally {
      model.dispose();
    }
  }
  return rows;
}

/** What overfitting the tiny subset measured. */
export interface OverfitResult {
  examples: number;
  history: EpochRecord[];
  /** First epoch with 100% training accuracy (measured in the training pass), or null. */
  firstPerfectEpoch: number | null;
  /** Loss and accuracy on the subset after training, in eval mode. */
  finalLoss: number;
  finalAccuracy: number;
  /** Accuracy on the validation set: what 20 memorized examples generalize to. */
  valAccuracy: number;
}

/**
 * Trains on `perClass` examples of each class, full batch, plain SGD with
 * momentum and no regularization, for `epochs` steps.
 */
export async function overfitTiny(
  train: TensorDataset,
  val: TensorDataset,
  p: { hidden: number; seed: number; perClass: number; epochs: number; lr: number },
): Promise<OverfitResult> {
  const tiny = await firstPerClass(train, p.perClass);
  const model = digitsMlp({ hidden: p.hidden, seed: p.seed });
  const opt = new SGD(model.parameters(), { lr: p.lr, momentum: 0.9 });
  const loss = (o: Tensor, t: Tensor) => crossEntropy(o, t);
  try {
    const history = await fit(model, {
      train: new DataLoader(tiny, { batchSize: tiny.length }),
      epochs: p.epochs,
      optimizer: opt,
      loss,
    });
    const onTiny = await evaluate(model, new DataLoader(tiny, { batchSize: tiny.length }), {
      loss,
    });
    const onVal = await evaluate(model, new DataLoader(val, { batchSize: 512 }), { loss });
    const perfect = history.find((r) => r.trainAccuracy === 1);
    return {
      examples: tiny.length,
      history,
      firstPerfectEpoch: perfect ? perfect.epoch : null,
      finalLoss: onTiny.loss,
      finalAccuracy: onTiny.accuracy,
      valAccuracy: onVal.accuracy,
    };
  } finally {
    opt.disposeState();
    model.dispose();
    tiny.dispose();
  }
}
