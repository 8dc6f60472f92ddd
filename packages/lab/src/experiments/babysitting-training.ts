/**
 * The training runs of babysitting: the learning-rate ladder (with the
 * update/weight ratio of every layer and `diagnose`'s verdict per rung) and
 * the train/val gap with and without dropout and weight decay.
 */
import type { Tensor } from '@nerve/core';
import { DataLoader, type TensorDataset } from '@nerve/data';
import { crossEntropy } from '@nerve/layers';
import {
  type EpochRecord,
  type Finding as Diagnosis,
  UpdateRatioMonitor,
  diagnose,
} from '@nerve/metrics';
import { SGD } from '@nerve/optim';
import { evaluate, fit } from '@nerve/train';
import { digitsMlp, firstPerClass } from '../util/standardized-digits.js';

const loss = (o: Tensor, t: Tensor) => crossEntropy(o, t);

/** The ladder's rates: one per decade from 1e-6 to 1e2. */
export const LADDER = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100] as const;

/** One rung of the ladder. */
export interface Rung {
  lr: number;
  history: EpochRecord[];
  /** Train loss of the last epoch run (NaN/∞ when it diverged). */
  finalLoss: number;
  /** Validation accuracy of the last epoch that has one, else NaN. */
  valAccuracy: number;
  /** Median over epochs of the median update/weight ratio across parameters. */
  updateRatio: number;
  /** Per parameter (dotted name), the ratio of each epoch. */
  ratios: Record<string, number[]>;
  diagnosis: Diagnosis[];
  /** Why fit stopped early (NaNGuard), if it did. */
  stopped: boolean;
}

/** Plain SGD (no momentum: the ratio is then lr·‖g‖/‖w‖ exactly) at each rate of LADDER. */
export async function lrLadder(
  train: TensorDataset,
  val: TensorDataset,
  p: { hidden: number; seed: number; epochs: number; batchSize: number },
  progress: (i: number, lr: number) => void,
): Promise<Rung[]> {
  const rungs: Rung[] = [];
  for (const [i, lr] of LADDER.entries()) {
    progress(i, lr);
    // The same initial weights and batch order on every rung: only the rate differs.
    const model = digitsMlp({ hidden: p.hidden, seed: p.seed });
    const opt = new SGD(model.parameters(), { lr });
    try {
      const history = await fit(model, {
        train: new DataLoader(train, { batchSize: p.batchSize, shuffle: true, seed: p.seed }),
        val: new DataLoader(val, { batchSize: 512 }),
        epochs: p.epochs,
        optimizer: opt,
        loss,
        monitors: [new UpdateRatioMonitor()],
      });
      const ratios: Record<string, number[]> = {};
      for (const r of history) {
        for (const [k, v] of Object.entries(r.monitors ?? {})) {
          const m = /^updateRatio\/param\/(.+)$/.exec(k);
          if (m) (ratios[m[1] as string] ??= []).push(v);
        }
      }
      const medians = history
        .map((r) => r.monitors?.['updateRatio/median'])
        .filter((v): v is number => v !== undefined);
      const last = history[history.length - 1] as EpochRecord;
      const withVal = history.filter((r) => r.valAccuracy !== undefined);
      rungs.push({
        lr,
        history,
        finalLoss: last.trainLoss,
        valAccuracy: withVal[withVal.length - 1]?.valAccuracy ?? Number.NaN,
        updateRatio: medianOf(medians),
        ratios,
        diagnosis: diagnose(history, { classes: 10 }),
        stopped: history.length < p.epochs,
      });
    } finally {
      opt.disposeState();
      model.dispose();
    }
  }
  return rungs;
}

function medianOf(v: readonly number[]): number {
  if (v.length === 0) return Number.NaN;
  const s = [...v].sort((a, b) => a - b);
  const h = Math.floor(s.length / 2);
  return s.length % 2 ? (s[h] as number) : ((s[h - 1] as number) + (s[h] as number)) / 2;
}

/** The regularization settings compared on the train/val gap. */
export const GAP_CASES = [
  {
    id: 'none',
    label: 'no regularization',
    inputDropout: 0,
    hiddenDropout: 0,
    wd: false,
    more: false,
  },
  {
    id: 'dropout',
    label: 'dropout 0.2 in / 0.5 hidden',
    inputDropout: 0.2,
    hiddenDropout: 0.5,
    wd: false,
    more: false,
  },
  { id: 'wd', label: 'weight decay', inputDropout: 0, hiddenDropout: 0, wd: true, more: false },
  {
    id: 'both',
    label: 'dropout + weight decay',
    inputDropout: 0.2,
    hiddenDropout: 0.5,
    wd: true,
    more: false,
  },
  {
    id: 'more-data',
    label: 'no regularization',
    inputDropout: 0,
    hiddenDropout: 0,
    wd: false,
    more: true,
  },
] as const;

/** How many times more examples the 'more-data' case trains on (capped by the smallest class). */
export const MORE_DATA_FACTOR = 8;

/** One regularization setting, averaged over seeds. */
export interface GapCase {
  id: string;
  label: string;
  /** Per seed, evaluated in eval mode after the last epoch. */
  trainAccuracy: number[];
  valAccuracy: number[];
  trainLoss: number[];
  valLoss: number[];
  /** The first seed's per-epoch history (for the curves). */
  history: EpochRecord[];
}

/**
 * Trains a wide MLP on `perClass` examples of each class with each of
 * GAP_CASES (the last on MORE_DATA_FACTOR times as many), for each of
 * `seeds` seeds (different weights, masks and batch order; the same
 * examples), and measures the train/val gap in eval mode.
 */
export async function trainValGap(
  train: TensorDataset,
  val: TensorDataset,
  p: {
    hidden: number;
    seed: number;
    perClass: number;
    epochs: number;
    seeds: number;
    weightDecay: number;
    lr: number;
  },
  progress: (i: number, n: number) => void,
): Promise<GapCase[]> {
  const small = await firstPerClass(train, p.perClass);
  // The smallest digit class has 122 training examples in a 70% split.
  const large = await firstPerClass(train, Math.min(120, MORE_DATA_FACTOR * p.perClass));
  const out: GapCase[] = GAP_CASES.map((c) => ({
    id: c.id,
    label: c.more
      ? `${c.label}, ${large.length} examples`
      : c.wd
        ? `${c.label} ${p.weightDecay}`
        : c.label,
    trainAccuracy: [],
    valAccuracy: [],
    trainLoss: [],
    valLoss: [],
    history: [],
  }));
  try {
    let step = 0;
    for (let s = 0; s < p.seeds; s++) {
      for (const [i, c] of GAP_CASES.entries()) {
        progress(step++, p.seeds * GAP_CASES.length);
        const seed = p.seed + 100 * s;
        const model = digitsMlp({
          hidden: p.hidden,
          seed,
          inputDropout: c.inputDropout,
          hiddenDropout: c.hiddenDropout,
        });
        const opt = new SGD(model.parameters(), {
          lr: p.lr,
          momentum: 0.9,
          weightDecay: c.wd ? p.weightDecay : 0,
        });
        try {
          const history = await fit(model, {
            train: new DataLoader(c.more ? large : small, { batchSize: 32, shuffle: true, seed }),
            val: new DataLoader(val, { batchSize: 512 }),
            epochs: p.epochs,
            optimizer: opt,
            loss,
          });
          // Eval mode on the training set: dropout off, as for the validation set.
          const t = await evaluate(
            model,
            new DataLoader(c.more ? large : small, { batchSize: 512 }),
            {
              loss,
            },
          );
          const v = await evaluate(model, new DataLoader(val, { batchSize: 512 }), { loss });
          const o = out[i] as GapCase;
          o.trainAccuracy.push(t.accuracy);
          o.trainLoss.push(t.loss);
          o.valAccuracy.push(v.accuracy);
          o.valLoss.push(v.loss);
          if (s === 0) o.history = history;
        } finally {
          opt.disposeState();
          model.dispose();
        }
      }
    }
  } finally {
    small.dispose();
    large.dispose();
  }
  return out;
}
