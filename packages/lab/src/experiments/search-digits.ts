/**
 * The search experiment's parts that train on the digits: a coarse-to-fine
 * search of the learning rate and weight decay (CS231n: a wide random stage,
 * then stages narrowed around the best trials), run stage by stage with
 * @nerve/tune's browser pieces (coarseToFine, narrowSpace, rankTrials: the
 * loop of runStudy, which is Node-only), and the spread of k-fold
 * cross-validation scores (tune's crossValidate).
 */
import { type Tensor, tidy } from '@nerve/core';
import { DataLoader, Standardize, TensorDataset } from '@nerve/data';
import { crossEntropy } from '@nerve/layers';
import { SGD } from '@nerve/optim';
import { evaluate, fit } from '@nerve/train';
import {
  type Config,
  type RangeSummary,
  type Space,
  type TrialRecord,
  coarseToFine,
  crossValidate,
  logUniform,
  narrowSpace,
  rankTrials,
  space,
  trialSeed,
} from '@nerve/tune';
import { digitsMlp } from '../util/standardized-digits.js';

const loss = (o: Tensor, t: Tensor) => crossEntropy(o, t);

/** Trains a 64–32–10 MLP with SGD (momentum 0.9) and returns its validation accuracy. */
async function trainScore(
  train: TensorDataset,
  val: TensorDataset,
  p: { lr: number; weightDecay: number; epochs: number; seed: number },
): Promise<number> {
  const model = digitsMlp({ hidden: 32, seed: p.seed });
  const opt = new SGD(model.parameters(), {
    lr: p.lr,
    momentum: 0.9,
    weightDecay: p.weightDecay,
  });
  try {
    const history = await fit(model, {
      train: new DataLoader(train, { batchSize: 32, shuffle: true, seed: p.seed }),
      epochs: p.epochs,
      optimizer: opt,
      loss,
    });
    // A run that NaNGuard stopped has diverged: it scores as chance would.
    if (history.length < p.epochs) return Number.NaN;
    const v = await evaluate(model, new DataLoader(val, { batchSize: 512 }), { loss });
    return v.accuracy;
  } finally {
    opt.disposeState();
    model.dispose();
  }
}

/** The coarse-to-fine search space: both ranges span decades, so both are log-uniform. */
export function searchSpace(): Space {
  return space({ lr: logUniform(1e-5, 10), weightDecay: logUniform(1e-6, 1e-1) });
}

/** One stage of the search. */
export interface Stage {
  ranges: Record<string, RangeSummary>;
  trials: TrialRecord[];
}

/** Runs the stages; trial i of the study seeded `seed` trains with trialSeed(seed, i). */
export async function coarseToFineDigits(
  train: TensorDataset,
  val: TensorDataset,
  p: { stages: number[]; topK: number; epochs: number; seed: number },
  progress: (done: number, total: number) => void,
): Promise<Stage[]> {
  const searcher = coarseToFine({ stages: p.stages, topK: p.topK, margin: 0.1 });
  const total = searcher.stages.reduce((a, b) => a + b, 0);
  const stages: Stage[] = [];
  let sp = searchSpace();
  let id = 0;
  for (const [s, n] of searcher.stages.entries()) {
    if (s > 0) {
      const prev = (stages[s - 1] as Stage).trials;
      const top = rankTrials(prev, 'max')
        .slice(0, searcher.topK)
        .filter((t) => t.status !== 'failed');
      sp = narrowSpace(
        sp,
        top.map((t) => t.config),
        searcher.margin,
      );
    }
    const trials: TrialRecord[] = [];
    for (let i = 0; i < n; i++, id++) {
      progress(id, total);
      const config = sp.sample(p.seed, id) as Config;
      const seed = trialSeed(p.seed, id);
      const t0 = performance.now();
      const score = await trainScore(train, val, {
        lr: config.lr as number,
        weightDecay: config.weightDecay as number,
        epochs: p.epochs,
        seed,
      });
      trials.push({
        id,
        stage: s,
        config,
        seed,
        status: Number.isFinite(score) ? 'completed' : 'failed',
        history: [],
        objective: score,
        seconds: (performance.now() - t0) / 1000,
      });
    }
    stages.push({ ranges: sp.ranges(), trials });
  }
  return stages;
}

/** The fold scores of one shuffle. */
export interface CvRepeat {
  seed: number;
  scores: number[];
  mean: number;
  std: number;
}

/**
 * k-fold cross-validation of the 64–32–10 MLP on `data`, repeated with
 * `repeats` shuffle seeds. Each fold is standardized with its own training
 * part's statistics.
 */
export async function cvRepeats(
  data: TensorDataset,
  p: { k: number; repeats: number; epochs: number; seed: number },
  progress: (done: number, total: number) => void,
): Promise<CvRepeat[]> {
  const out: CvRepeat[] = [];
  for (let r = 0; r < p.repeats; r++) {
    const seed = p.seed + r;
    const res = await crossValidate(
      data,
      async ({ train, val, index }) => {
        progress(r * p.k + index, p.repeats * p.k);
        // fitAsync: the statistics read back on every backend (the same numbers as fit).
        const scaler = await new Standardize().fitAsync(train.tensors[0] as Tensor);
        const [xt, xv] = tidy((): Tensor[] => [
          scaler.transform(train.tensors[0] as Tensor),
          scaler.transform(val.tensors[0] as Tensor),
        ]) as [Tensor, Tensor];
        try {
          return await trainScore(
            new TensorDataset(xt, train.tensors[1] as Tensor),
            new TensorDataset(xv, val.tensors[1] as Tensor),
            // The same initial weights in every fold and repeat: the spread is the data's.
            { lr: 0.1, weightDecay: 0, epochs: p.epochs, seed: p.seed },
          );
        } finally {
          xt.dispose();
          xv.dispose();
        }
      },
      { k: p.k, seed },
    );
    out.push({ seed, ...res });
  }
  return out;
}
