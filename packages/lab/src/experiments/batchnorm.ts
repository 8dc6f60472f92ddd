/**
 * Batch normalization (Ioffe & Szegedy 2015): a deep tanh net with small
 * initial weights trains with BatchNorm1d and not without it; BN raises the
 * largest learning rate that still trains; and its train-mode (batch) and
 * eval-mode (running) statistics differ early and converge.
 */
import { DataLoader, Standardize, TensorDataset } from '@nerve/data';
import type { Experiment, LabContext, ParamValues } from '../experiment.js';
import { type SingleExample, shuffled, singleExample, watchBatchNorm } from './batchnorm-modes.js';
import { type TrainRun, tanhNet, trainNet } from './batchnorm-nets.js';
import { RUNG, type RungSeed, report } from './batchnorm-report.js';
import { disposeSets, splitDigits } from './preprocessing-digits.js';
import { ladderRates } from './preprocessing-stats.js';

/**
 * Seeds of the lr-3 rung's runs: the experiment's seed, then steps of 1000,
 * so no run shares a layer's init stream with another (tanhNet seeds layer i
 * with seed + i and the last layer with seed + 100).
 */
const SEED_STRIDE = 1000;

async function run(p: ParamValues, ctx: LabContext) {
  const depth = p.depth as number;
  const width = p.width as number;
  const initStd = p.initStd as number;
  const lr = p.lr as number;
  const batchSize = p.batchSize as number;
  const epochs = p.epochs as number;
  const ladderEpochs = p.ladderEpochs as number;
  const rates = ladderRates(p.ladderMin as number, p.ladderMax as number);
  const { seed, signal } = ctx;
  // The lr-3 rung again at more seeds (init and batch order; the same split):
  // one seed sits on an edge there that a one-ulp change moves.
  const rungSeeds = rates.includes(RUNG)
    ? Array.from({ length: p.rungSeeds as number }, (_, k) => seed + SEED_STRIDE * k)
    : [];

  const raw = await splitDigits(ctx.data, seed);
  const scaler = await new Standardize().fitAsync(raw.train.tensors[0]);
  const train = new TensorDataset(scaler.transform(raw.train.tensors[0]), raw.train.tensors[1]);
  const val = new TensorDataset(scaler.transform(raw.val.tensors[0]), raw.val.tensors[1]);
  raw.train.tensors[0].dispose();
  raw.val.tensors[0].dispose();
  const loaders = (shuffleSeed = seed) => ({
    train: new DataLoader(train, { batchSize, shuffle: true, seed: shuffleSeed }),
    val: new DataLoader(val, { batchSize: 512 }),
  });
  const stepsPerEpoch = Math.ceil(train.length / batchSize);
  const ladderRuns = rates.length + Math.max(rungSeeds.length - 1, 0);
  const totalSteps = stepsPerEpoch * (2 * epochs + 2 * ladderRuns * ladderEpochs);
  let done = 0;
  const onStep = (label: string) => () => {
    done++;
    if (done % 20 === 0) {
      ctx.onProgress?.({ fraction: Math.min(done / totalSteps, 1), message: label });
    }
  };

  try {
    // 1. Small init, with and without BN; the BN run also watches its statistics.
    const small: Record<'plain' | 'bn', TrainRun> = {} as Record<'plain' | 'bn', TrainRun>;
    const plainNet = tanhNet({ depth, width, initStd, batchNorm: false, seed });
    try {
      small.plain = await trainNet(plainNet, {
        ...loaders(),
        epochs,
        lr,
        signal,
        onStep: onStep('small init, no BN'),
      });
    } finally {
      plainNet.dispose();
    }
    const bnNet = tanhNet({ depth, width, initStd, batchNorm: true, seed });
    const watch = watchBatchNorm(bnNet);
    let example: SingleExample;
    try {
      const step = onStep('small init, BN');
      small.bn = await trainNet(bnNet, {
        ...loaders(),
        epochs,
        lr,
        signal,
        onStep: async () => {
          step();
          await watch.record();
        },
      });
      watch.detach();
      // Batch-mates of validation example 0, from a seeded shuffle of the others.
      const others = shuffled(val.length, seed).filter((i) => i !== 0);
      example = await singleExample(bnNet, val, 0, [
        others.slice(0, batchSize - 1),
        others.slice(batchSize - 1, 2 * (batchSize - 1)),
      ]);
    } finally {
      watch.detach();
      bnNet.dispose();
    }

    // 2. The learning-rate ladder, default init, with and without BN.
    const rung = async (rate: number, runSeed: number, label: string) => {
      const runs: Partial<Record<'plain' | 'bn', TrainRun>> = {};
      for (const batchNorm of [false, true]) {
        const net = tanhNet({ depth, width, batchNorm, seed: runSeed });
        try {
          runs[batchNorm ? 'bn' : 'plain'] = await trainNet(net, {
            ...loaders(runSeed),
            epochs: ladderEpochs,
            lr: rate,
            signal,
            onStep: onStep(`${label}${batchNorm ? ' with BN' : ''}`),
          });
        } finally {
          net.dispose();
        }
      }
      return { plain: runs.plain!, bn: runs.bn! };
    };
    const ladder: { lr: number; plain: TrainRun; bn: TrainRun }[] = [];
    for (const rate of rates)
      ladder.push({ lr: rate, ...(await rung(rate, seed, `lr ladder ${rate}`)) });
    // 3. The lr-3 rung at the other seeds; the first is the ladder's own run.
    const atRung: RungSeed[] = [];
    for (const runSeed of rungSeeds) {
      const first = runSeed === seed ? ladder.find((r) => r.lr === RUNG) : undefined;
      atRung.push({
        seed: runSeed,
        ...(first ?? (await rung(RUNG, runSeed, `lr ${RUNG}, seed ${runSeed}`))),
      });
    }
    return report(p, {
      small,
      ladder,
      atRung,
      seed,
      trace: watch.trace,
      example,
      batchSize,
      rates,
    });
  } finally {
    disposeSets(train, val);
  }
}

/** The batchnorm experiment. */
export const batchnorm: Experiment = {
  id: 'batchnorm',
  title: 'Batch normalization',
  claim:
    'Batch normalization lets a deep tanh network with small initial weights train where it otherwise stays at chance, lets SGD use much larger learning rates, and uses batch statistics in training but running averages in evaluation, which start apart and converge.',
  topic: 'batch normalization',
  seed: 0,
  params: {
    depth: { type: 'integer', default: 6, min: 2, max: 12, description: 'tanh layers' },
    width: {
      type: 'integer',
      default: 100,
      quick: 64,
      min: 8,
      max: 512,
      description: 'units per layer',
    },
    initStd: {
      type: 'number',
      default: 0.01,
      min: 0,
      max: 1,
      description: 'std of the small initial weights',
    },
    lr: {
      type: 'number',
      default: 0.1,
      min: 1e-6,
      max: 100,
      description: 'SGD learning rate of the small-init runs',
    },
    batchSize: {
      type: 'integer',
      default: 32,
      min: 2,
      max: 512,
      description: 'examples per batch',
    },
    epochs: {
      type: 'integer',
      default: 15,
      quick: 6,
      min: 1,
      max: 100,
      description: 'epochs of the small-init runs',
    },
    // Quick: 4 epochs, not 2. The lr-3 rung with BN after 2 epochs ends
    // below 0.5 at 5 of 9 seeds (width 64, fused cross-entropy), after 4 at
    // none (0.514 to 0.872, median 0.667; docs/performance.md).
    ladderEpochs: {
      type: 'integer',
      default: 5,
      quick: 4,
      min: 1,
      max: 50,
      description: 'epochs per rung of the learning-rate ladder',
    },
    ladderMin: {
      type: 'number',
      default: 0.01,
      quick: 0.3,
      min: 1e-6,
      max: 100,
      description: 'smallest learning rate of the ladder',
    },
    ladderMax: {
      type: 'number',
      default: 10,
      quick: 3,
      min: 1e-6,
      max: 100,
      description: 'largest learning rate of the ladder',
    },
    rungSeeds: {
      type: 'integer',
      default: 3,
      min: 1,
      max: 9,
      description: 'seeds of the lr-3 rung (its findings take the median)',
    },
  },
  run,
};
