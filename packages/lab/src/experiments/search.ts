/**
 * search: hyperparameter search the way CS231n teaches it, measured with
 * @nerve/tune: random beats grid on one budget when one parameter matters
 * (Bergstra & Bengio 2012), coarse-to-fine narrows the ranges stage by
 * stage, learning rates are sampled in log space, and a k-fold score has a
 * spread worth knowing before trusting small differences.
 */
import { NerveError } from '@nerve/core';
import { TensorDataset } from '@nerve/data';
import type { Experiment, LabContext, LabOutput, ParamValues } from '../experiment.js';
import { datasetToDevice, onHost } from '../util/on-host.js';
import { firstPerClass, standardizedDigits } from '../util/standardized-digits.js';
import { coarseToFineDigits, cvRepeats } from './search-digits.js';
import { lrSampling, randomVsGrid } from './search-sampling.js';
import { cvOutputs, duelOutputs, samplingOutputs, stageOutputs } from './search-report.js';

export const search: Experiment = {
  id: 'search',
  title: 'Hyperparameter search',
  claim:
    'With one important and one unimportant hyperparameter, random search tries as many values of the important one as it has trials and finds better settings than a grid of the same size; coarse-to-fine search narrows the ranges around the best trials; learning rates must be sampled in log space, or nearly every sample lands in the top decade; and k-fold scores vary from fold to fold by about their sampling error, while their mean varies less.',
  topic: 'search',
  seed: 0,
  params: {
    budget: {
      type: 'integer',
      default: 16,
      quick: 9,
      min: 4,
      max: 100,
      description: 'trials of random and grid search (a square: k×k grid)',
    },
    seeds: {
      type: 'integer',
      default: 100,
      quick: 20,
      min: 20,
      description: 'random objectives the two searches are compared on',
    },
    lrSamples: {
      type: 'integer',
      default: 2000,
      min: 10,
      description: 'learning rates drawn for log vs linear sampling',
    },
    stageTrials: {
      type: 'integer',
      default: 10,
      quick: 6,
      min: 2,
      description: 'trials per coarse-to-fine stage (three stages)',
    },
    trialEpochs: {
      type: 'integer',
      default: 2,
      quick: 1,
      min: 1,
      description: 'epochs of each coarse-to-fine trial',
    },
    cvExamples: {
      type: 'integer',
      default: 500,
      quick: 300,
      min: 50,
      max: 1790,
      description: 'digits used for cross-validation (a multiple of 10, per class evenly)',
    },
    folds: { type: 'integer', default: 5, min: 2, max: 20, description: 'k of k-fold' },
    cvRepeats: {
      type: 'integer',
      default: 8,
      quick: 3,
      min: 2,
      description: 'reshuffles of the k-fold split',
    },
  },
  async run(params: ParamValues, ctx: LabContext): Promise<LabOutput> {
    const p = params as Record<string, number>;
    const budget = p.budget as number;
    const k = Math.round(Math.sqrt(budget));
    if (k * k !== budget)
      throw new NerveError('lab search', 'budget a square (9, 16, 25, …)', String(budget));
    const report = (fraction: number, message: string) => {
      ctx.signal?.throwIfAborted();
      ctx.onProgress?.({ fraction, message });
    };
    report(0, 'random vs grid');
    const duel = randomVsGrid(budget, p.seeds as number, ctx.seed);
    const sampling = lrSampling(p.lrSamples as number, ctx.seed);
    // Coarse-to-fine tunes on a 30% stratified validation split of the digits.
    const { train, val } = await standardizedDigits(ctx.data, { valFraction: 0.3, seed: ctx.seed });
    try {
      const n = p.stageTrials as number;
      const stages = await coarseToFineDigits(
        train,
        val,
        { stages: [n, n, n], topK: 3, epochs: p.trialEpochs as number, seed: ctx.seed },
        (i, total) => report(0.05 + 0.6 * (i / total), `coarse-to-fine trial ${i + 1} of ${total}`),
      );
      // Cross-validation on raw digits (each fold standardizes itself): train and val together.
      // Picked on the host, moved to the run's backend.
      const picked = await onHost(async () => {
        const { x, y } = await ctx.data.digits();
        const all = new TensorDataset(x, y);
        try {
          return await firstPerClass(all, Math.floor((p.cvExamples as number) / 10));
        } finally {
          all.dispose();
        }
      });
      const subset = await datasetToDevice(picked);
      try {
        const cv = await cvRepeats(
          subset,
          {
            k: p.folds as number,
            repeats: p.cvRepeats as number,
            epochs: 5,
            seed: ctx.seed,
          },
          (i, total) =>
            report(0.65 + 0.35 * (i / total), `cross-validation fold ${i + 1} of ${total}`),
        );
        report(1, 'done');
        const parts = [
          duelOutputs(duel, budget),
          stageOutputs(stages),
          samplingOutputs(sampling, p.lrSamples as number),
          cvOutputs(cv, subset.length),
        ];
        return {
          findings: parts.flatMap((o) => o.findings),
          tables: parts.flatMap((o) => o.tables),
          figures: parts.flatMap((o) => o.figures),
          notes: parts.flatMap((o) => o.notes ?? []),
        };
      } finally {
        subset.dispose();
      }
    } finally {
      train.dispose();
      val.dispose();
    }
  },
};
