/**
 * Data preprocessing (CS231n "Data preprocessing"): the 2-D figure of
 * zero-centring, normalizing, decorrelating and whitening with each
 * covariance; mean-image against per-channel centring; what centring does
 * to the speed of training; and why PCA whitening is rarely used on images.
 * Every transform is @nerve/data's, fitted on training data only.
 */
import { type Tensor, reshape, tensor } from '@nerve/core';
import type { Experiment, LabContext, LabOutput, ParamValues } from '../experiment.js';
import { cloudPart } from './preprocessing-cloud.js';
import { disposeSets, splitDigits } from './preprocessing-digits.js';
import { centringPart, whiteningPart } from './preprocessing-images.js';
import { speedPart } from './preprocessing-speed.js';
import { ladderRates } from './preprocessing-stats.js';

async function run(p: ParamValues, ctx: LabContext): Promise<LabOutput> {
  const { seed, signal } = ctx;
  const progress = (fraction: number, message: string) => {
    signal?.throwIfAborted();
    ctx.onProgress?.({ fraction, message });
  };
  const out: LabOutput = { findings: [], tables: [], figures: [], notes: [] };
  const add = (r: Partial<LabOutput>) => {
    out.findings.push(...(r.findings ?? []));
    out.tables.push(...(r.tables ?? []));
    out.figures.push(...(r.figures ?? []));
    out.notes!.push(...(r.notes ?? []));
  };

  progress(0, '2-D cloud');
  add(await cloudPart(p.points as number, seed));

  progress(0.05, 'mean image vs per-channel centring');
  const digits = await splitDigits(ctx.data, seed);
  try {
    add(await centringPart(digits.train.tensors[0]));

    progress(0.1, 'centring and training speed');
    const rates = ladderRates(p.lrMin as number, p.lrMax as number);
    const lr = p.lr as number;
    if (!rates.includes(lr)) rates.push(lr);
    rates.sort((a, b) => a - b);
    const epochs = p.epochs as number;
    const totalSteps = 3 * rates.length * epochs * Math.ceil(digits.train.length / 64);
    let step = 0;
    add(
      await speedPart(digits.train, digits.val, {
        rates,
        lr,
        epochs,
        target: p.target as number,
        seed,
        signal,
        onStep: () => {
          step++;
          if (step % 50 === 0)
            ctx.onProgress?.({
              fraction: 0.1 + (0.6 * step) / totalSteps,
              message: 'centring and training speed',
            });
        },
      }),
    );

    progress(0.7, 'whitening digits');
    add(
      await whiteningPart(digits.train.tensors[0], digits.val.tensors[0], {
        eps: p.eps as number,
        epsLarge: p.epsLarge as number,
        noise: p.noise as number,
        seed: seed + 1,
        name: 'digits',
        side: 8,
        show: 4,
      }),
    );
  } finally {
    disposeSets(digits.train, digits.val);
  }

  if (p.fashion as boolean) {
    progress(0.8, 'whitening Fashion-MNIST');
    add(await fashionWhitening(p, ctx));
  } else {
    out.notes!.push(
      'Fashion-MNIST whitening skipped (fashion = false); run with --fashion true to include it.',
    );
  }
  progress(1, 'done');
  return out;
}

/** Whitening on Fashion-MNIST images; a note instead where the data set is not installed. */
async function fashionWhitening(p: ParamValues, ctx: LabContext): Promise<Partial<LabOutput>> {
  let data: Awaited<ReturnType<LabContext['data']['fashionMnist']>>;
  try {
    data = await ctx.data.fashionMnist();
  } catch (e) {
    return {
      notes: [
        `Fashion-MNIST whitening skipped: the data set could not be loaded (${(e as Error).message}).`,
      ],
    };
  }
  const nTrain = p.fashionImages as number;
  const nTest = 200;
  let train: Tensor | null = null;
  let test: Tensor | null = null;
  try {
    // The first images of each split, flattened to [n, 784], values in [0, 1].
    train = await firstImages(data.train.tensors[0], nTrain);
    test = await firstImages(data.test.tensors[0], nTest);
  } finally {
    disposeSets(data.train, data.test);
  }
  try {
    return await whiteningPart(train, test, {
      eps: (p.eps as number) / 256,
      epsLarge: (p.epsLarge as number) / 256,
      noise: (p.noise as number) / 16,
      seed: ctx.seed + 2,
      name: 'fashion',
      side: 28,
      show: 3,
    });
  } finally {
    train.dispose();
    test.dispose();
  }
}

/** The first n images of [N, 1, 28, 28] as a new [n, 784] tensor. */
async function firstImages(x: Tensor, n: number): Promise<Tensor> {
  const d = x.size / x.shape[0];
  const flat = reshape(x, [x.shape[0], d]);
  const values = (await flat.data()) as Float32Array;
  if (flat !== x) flat.dispose();
  return tensor(values.slice(0, n * d), { shape: [n, d] });
}

/** The preprocessing experiment. */
export const preprocessing: Experiment = {
  id: 'preprocessing',
  title: 'Data preprocessing',
  claim:
    "Zero-centring, normalizing, decorrelating and whitening reshape the data's covariance step by step, fitted on the training data only; centring the inputs makes a classifier train faster; and whitening, though it equalises every direction, amplifies the pixel noise of images, which is why it is rarely used on them.",
  topic: 'data preprocessing',
  seed: 0,
  params: {
    points: {
      type: 'integer',
      default: 500,
      min: 10,
      max: 5000,
      description: 'points of the 2-D cloud (80% train)',
    },
    lr: {
      type: 'number',
      default: 0.1,
      min: 1e-6,
      max: 100,
      description: 'learning rate of the same-rate comparison',
    },
    lrMin: {
      type: 'number',
      default: 0.003,
      quick: 0.03,
      min: 1e-6,
      max: 100,
      description: 'smallest rate of the ladder',
    },
    lrMax: {
      type: 'number',
      default: 3,
      quick: 3,
      min: 1e-6,
      max: 100,
      description: 'largest rate of the ladder',
    },
    epochs: {
      type: 'integer',
      default: 10,
      quick: 5,
      min: 1,
      max: 100,
      description: 'epochs per training run',
    },
    target: {
      type: 'number',
      default: 0.95,
      min: 0.1,
      max: 1,
      description: 'validation accuracy counted as the target',
    },
    eps: {
      type: 'number',
      default: 1e-5,
      min: 1e-12,
      max: 100,
      description: 'ZCA ε on digit pixels (0..16); Fashion (0..1) uses ε/256',
    },
    epsLarge: {
      type: 'number',
      default: 1,
      min: 1e-12,
      max: 100,
      description:
        'a larger, regularising ZCA ε to compare (digit units; Fashion uses epsLarge/256)',
    },
    noise: {
      type: 'number',
      default: 0.5,
      min: 0,
      max: 16,
      description: 'std of pixel noise on digits (0..16); Fashion uses noise/16',
    },
    fashion: {
      type: 'boolean',
      default: true,
      quick: false,
      description: 'also whiten Fashion-MNIST images (where installed)',
    },
    fashionImages: {
      type: 'integer',
      default: 3000,
      min: 100,
      max: 60000,
      description: 'Fashion-MNIST training images the whitening is fitted on',
    },
  },
  run,
};
