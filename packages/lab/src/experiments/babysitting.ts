/**
 * babysitting: the checks of CS231n's "Babysitting the learning process" on
 * the digits, each measured with nerve's own training loop: the loss at
 * init against ln 10 and its rise with the L2 strength, overfitting 20
 * examples, a learning-rate ladder from 1e-6 to 1e2 read by `diagnose`, the
 * update/weight ratio per layer against its 1e-3 rule of thumb, and the
 * train/val gap with and without dropout and weight decay.
 */
import type { Experiment, LabContext, LabOutput, ParamValues } from '../experiment.js';
import { standardizedDigits } from '../util/standardized-digits.js';
import { initialLosses, overfitTiny } from './babysitting-checks.js';
import { lrLadder, trainValGap } from './babysitting-training.js';
import { ladderOutputs } from './babysitting-ladder.js';
import { checkOutputs, gapOutputs } from './babysitting-report.js';

export const babysitting: Experiment = {
  id: 'babysitting',
  title: 'Babysitting the learning process',
  claim:
    'Before and while training, a few cheap checks tell whether training works: the loss at init is ln C with small weights and rises with the regularization strength; the model can overfit 20 examples; a ladder of learning rates separates too small (flat loss, tiny updates) from too large (divergence); the update/weight ratio tells the rungs that learn (about 1e-3 and up) from those that do not; and a train/val gap that comes from too few examples is closed by more data, not by dropout or weight decay.',
  topic: 'babysitting',
  seed: 0,
  params: {
    hidden: {
      type: 'integer',
      default: 100,
      min: 1,
      description: 'hidden units of the MLP (checks and ladder)',
    },
    overfitEpochs: {
      type: 'integer',
      default: 100,
      quick: 60,
      min: 1,
      description: 'full-batch steps on the 20 examples',
    },
    ladderEpochs: {
      type: 'integer',
      default: 10,
      quick: 3,
      min: 1,
      description: 'epochs of each learning-rate rung (plain SGD, batch 32)',
    },
    gapPerClass: {
      type: 'integer',
      default: 10,
      min: 1,
      max: 120,
      description: 'training examples per class for the train/val gap',
    },
    gapHidden: {
      type: 'integer',
      default: 256,
      min: 1,
      description: 'hidden units for the gap runs',
    },
    gapEpochs: {
      type: 'integer',
      default: 60,
      min: 1,
      description: 'epochs of each gap run',
    },
    gapSeeds: {
      type: 'integer',
      default: 3,
      quick: 1,
      min: 1,
      description: 'seeds averaged per regularization setting',
    },
    weightDecay: {
      type: 'number',
      default: 0.03,
      min: 0,
      description: "SGD's weightDecay λ (gradient + λ·w) in the gap runs",
    },
  },
  async run(params: ParamValues, ctx: LabContext): Promise<LabOutput> {
    const p = params as Record<string, number>;
    const hidden = p.hidden as number;
    const report = (fraction: number, message: string) => {
      ctx.signal?.throwIfAborted();
      ctx.onProgress?.({ fraction, message });
    };
    // 30% held out, stratified: 1,257 training and 540 validation digits.
    const { train, val } = await standardizedDigits(ctx.data, { valFraction: 0.3, seed: ctx.seed });
    try {
      report(0, 'initial loss');
      const initial = await initialLosses(train, { hidden, seed: ctx.seed });
      report(0.05, 'overfitting 20 examples');
      const overfit = await overfitTiny(train, val, {
        hidden,
        seed: ctx.seed,
        perClass: 2,
        epochs: p.overfitEpochs as number,
        lr: 0.1,
      });
      const rungs = await lrLadder(
        train,
        val,
        { hidden, seed: ctx.seed, epochs: p.ladderEpochs as number, batchSize: 32 },
        (i, lr) => report(0.1 + 0.3 * (i / 9), `learning rate ${lr}`),
      );
      const gap = await trainValGap(
        train,
        val,
        {
          hidden: p.gapHidden as number,
          seed: ctx.seed,
          perClass: p.gapPerClass as number,
          epochs: p.gapEpochs as number,
          seeds: p.gapSeeds as number,
          weightDecay: p.weightDecay as number,
          lr: 0.01,
        },
        (i, n) => report(0.4 + 0.6 * (i / n), `train/val gap run ${i + 1} of ${n}`),
      );
      report(1, 'done');
      const parts = [
        checkOutputs(initial, overfit),
        ladderOutputs(rungs),
        gapOutputs(gap, p.gapPerClass as number),
      ];
      return {
        findings: parts.flatMap((o) => o.findings),
        tables: parts.flatMap((o) => o.tables),
        figures: parts.flatMap((o) => o.figures),
        notes: parts.flatMap((o) => o.notes ?? []),
      };
    } finally {
      train.dispose();
      val.dispose();
    }
  },
};
