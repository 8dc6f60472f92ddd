/**
 * Batch normalization (Ioffe & Szegedy 2015): a deep tanh net with small
 * initial weights trains with BatchNorm1d and not without it; BN raises the
 * largest learning rate that still trains; and its train-mode (batch) and
 * eval-mode (running) statistics differ early and converge.
 */
import { DataLoader, Standardize, TensorDataset } from '@nerve/data';
import type { Figure, Finding, Table } from '@nerve/plot';
import type { Experiment, LabContext, ParamValues } from '../experiment.js';
import {
  argmaxHost,
  maxAbsDiff,
  singleExample,
  softmaxHost,
  watchBatchNorm,
} from './batchnorm-modes.js';
import { type TrainRun, tanhNet, trainNet } from './batchnorm-nets.js';
import { disposeSets, splitDigits, withBackend } from './preprocessing-digits.js';
import { ladderRates } from './preprocessing-stats.js';

/**
 * A run "trains" when at least half of the validation digits come out
 * right: five times chance (10 classes). Every run measured here either
 * stays below 0.3 or ends above 0.8, so the cut's exact place does not
 * decide a finding.
 */
const TRAINS = 0.5;
/**
 * "At chance": 0.1 plus three binomial standard deviations of an accuracy
 * of 0.1 on the 360 validation digits (3·√(0.1·0.9/360) = 0.047).
 */
const CHANCE_BOUND = 0.15;

const fmt = (v: number) => v.toFixed(3);

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

  const raw = await splitDigits(ctx.data, seed);
  const scaler = await new Standardize().fitAsync(raw.train.tensors[0]);
  const train = new TensorDataset(scaler.transform(raw.train.tensors[0]), raw.train.tensors[1]);
  const val = new TensorDataset(scaler.transform(raw.val.tensors[0]), raw.val.tensors[1]);
  raw.train.tensors[0].dispose();
  raw.val.tensors[0].dispose();
  const loaders = () => ({
    train: new DataLoader(train, { batchSize, shuffle: true, seed }),
    val: new DataLoader(val, { batchSize: 512 }),
  });
  const stepsPerEpoch = Math.ceil(train.length / batchSize);
  const totalSteps = stepsPerEpoch * (2 * epochs + 2 * rates.length * ladderEpochs);
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
    let example: Awaited<ReturnType<typeof singleExample>>;
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
    const ladder: { lr: number; plain: TrainRun; bn: TrainRun }[] = [];
    for (const rate of rates) {
      const runs: Partial<Record<'plain' | 'bn', TrainRun>> = {};
      for (const batchNorm of [false, true]) {
        const net = tanhNet({ depth, width, batchNorm, seed });
        try {
          runs[batchNorm ? 'bn' : 'plain'] = await trainNet(net, {
            ...loaders(),
            epochs: ladderEpochs,
            lr: rate,
            signal,
            onStep: onStep(`lr ladder ${rate}${batchNorm ? ' with BN' : ''}`),
          });
        } finally {
          net.dispose();
        }
      }
      ladder.push({ lr: rate, plain: runs.plain!, bn: runs.bn! });
    }
    return report(p, { small, ladder, trace: watch.trace, example, batchSize, rates });
  } finally {
    disposeSets(train, val);
  }
}

/** A seeded permutation of 0..n−1 (mulberry32 + Fisher–Yates, host only). */
function shuffled(n: number, seed: number): number[] {
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

interface Measured {
  small: Record<'plain' | 'bn', TrainRun>;
  ladder: { lr: number; plain: TrainRun; bn: TrainRun }[];
  trace: ReturnType<typeof watchBatchNorm>['trace'];
  example: Awaited<ReturnType<typeof singleExample>>;
  batchSize: number;
  rates: number[];
}

function report(p: ParamValues, m: Measured) {
  const { small, ladder, trace, example, batchSize } = m;
  const setup = `${p.depth} tanh layers of ${p.width}, N(0, ${p.initStd}²) weights, SGD lr ${p.lr}, batch ${batchSize}, ${p.epochs} epochs`;
  const findings: Finding[] = [];
  findings.push({
    statement: `With small weights (N(0, ${p.initStd}²)) the deep tanh net without batch normalization stays at chance`,
    measured: `val accuracy ${fmt(small.plain.finalAccuracy)} after ${p.epochs} epochs (${setup}); chance 0.100; the issue measured 0.578 with its own setup`,
    held: small.plain.finalAccuracy <= CHANCE_BOUND,
  });
  findings.push({
    statement: 'The same net with BatchNorm1d before each tanh trains',
    measured: `val accuracy ${fmt(small.bn.finalAccuracy)} (epoch by epoch ${small.bn.valAccuracy.map(fmt).join(', ')}); the issue measured 0.950`,
    held: small.bn.finalAccuracy >= TRAINS,
  });

  const largest = (key: 'plain' | 'bn') => {
    const ok = ladder.filter((r) => r[key].finalAccuracy >= TRAINS).map((r) => r.lr);
    return ok.length > 0 ? Math.max(...ok) : null;
  };
  const lPlain = largest('plain');
  const lBn = largest('bn');
  findings.push({
    statement:
      'Batch normalization raises the largest SGD learning rate that still trains (PyTorch default init)',
    measured: `largest rung with val accuracy ≥ ${TRAINS}: ${lPlain ?? 'none'} without BN, ${lBn ?? 'none'} with BN (rungs ${m.rates.join(', ')}, ${p.ladderEpochs} epochs each)`,
    held: lBn !== null && (lPlain === null || lBn > lPlain),
  });
  const at3 = ladder.find((r) => r.lr === 3);
  if (at3 !== undefined) {
    findings.push({
      statement: 'At lr 3 the net fails without batch normalization and trains with it',
      measured: `val accuracy ${fmt(at3.plain.finalAccuracy)} without BN, ${fmt(at3.bn.finalAccuracy)} with BN (the issue measured 0.103 vs 0.939)`,
      held: at3.plain.finalAccuracy < TRAINS && at3.bn.finalAccuracy >= TRAINS,
    });
  }

  // Train vs eval statistics of the first BN layer.
  const first = meanOf(trace.varGap.slice(0, 5));
  const lastEpoch = trace.varGap.slice(-Math.ceil(trace.varGap.length / Number(p.epochs)));
  const late = meanOf(lastEpoch);
  // A variance from B values has a relative standard error √(2/(B−1)) (normal
  // data), so |ln(σ²_B/σ²)| of one batch is of that order: the running
  // average cannot be closer to one batch than this noise.
  const noise = Math.sqrt(2 / (batchSize - 1));
  findings.push({
    statement:
      'Batch statistics (used in training) and running statistics (used in evaluation) differ early and converge',
    measured: `first BN layer, mean |ln σ²_batch/σ²_running| over channels: ${first.toFixed(2)} in the first 5 steps, ${late.toFixed(3)} in the last epoch (batch-noise scale √(2/(B−1)) = ${noise.toFixed(3)}); mean gap ${meanOf(trace.meanGap.slice(0, 5)).toFixed(2)} → ${meanOf(trace.meanGap.slice(-lastEpoch.length)).toFixed(3)} running stds`,
    held: late <= 2 * noise && first >= 10 * late,
  });

  const scale = 1 + Math.max(...example.eval.map(Math.abs));
  const evalDiff = maxAbsDiff(example.eval, example.evalInBatch);
  const trainDiff = maxAbsDiff(example.trainA, example.trainB);
  const trainEval = maxAbsDiff(example.trainA, example.eval);
  findings.push({
    statement:
      "In eval mode one example's prediction does not depend on its batch; in train mode it does",
    measured: `validation example 0 (label ${example.label}): max |Δlogit| ${evalDiff.toExponential(1)} alone vs in a batch (eval mode), ${trainDiff.toExponential(2)} between two batches of ${batchSize} (train mode), ${trainEval.toExponential(2)} train mode vs eval mode; accuracy of its batch ${fmt(example.batchAccuracy.eval)} in eval mode, ${fmt(example.batchAccuracy.train)} in train mode`,
    // float32 rounding of the same sums in another order stays below 1e-5
    // relative; a batch of 32 moves its statistics by about 1/√32 of a std.
    held: evalDiff <= 1e-5 * scale && trainDiff > 1e-3 * scale,
  });

  const tables: Table[] = [
    {
      title: 'Small initial weights: final validation accuracy',
      columns: ['setup', 'without BN', 'with BN', 'issue (without / with)'],
      rows: [[setup, fmt(small.plain.finalAccuracy), fmt(small.bn.finalAccuracy), '0.578 / 0.950']],
    },
    {
      title: `Learning-rate ladder (${p.ladderEpochs} epochs, default init): final validation accuracy`,
      columns: ['lr', 'without BN', 'with BN'],
      rows: ladder.map((r) => [
        r.lr,
        fmt(r.plain.finalAccuracy) + (r.plain.stopped ? ' (NaN, stopped)' : ''),
        fmt(r.bn.finalAccuracy) + (r.bn.stopped ? ' (NaN, stopped)' : ''),
      ]),
    },
    {
      title: `One example (validation #0, label ${example.label}) in eval and train mode`,
      columns: ['mode', 'batch', 'predicted', 'p(label)', 'max |Δlogit| vs eval alone'],
      rows: [
        [
          'eval',
          'alone',
          argmaxHost(example.eval),
          fmt(softmaxHost(example.eval)[example.label]),
          0,
        ],
        [
          'eval',
          `batch A (${batchSize})`,
          argmaxHost(example.evalInBatch),
          fmt(softmaxHost(example.evalInBatch)[example.label]),
          evalDiff,
        ],
        [
          'train',
          `batch A (${batchSize})`,
          argmaxHost(example.trainA),
          fmt(softmaxHost(example.trainA)[example.label]),
          Number(trainEval.toPrecision(3)),
        ],
        [
          'train',
          `batch B (${batchSize})`,
          argmaxHost(example.trainB),
          fmt(softmaxHost(example.trainB)[example.label]),
          Number(maxAbsDiff(example.trainB, example.eval).toPrecision(3)),
        ],
      ],
    },
  ];

  const epochsAxis = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
  const steps = Array.from({ length: trace.varGap.length }, (_, i) => i + 1);
  const figures: Figure[] = [
    {
      kind: 'line',
      id: 'small-init',
      title: 'Deep tanh net with small initial weights: validation accuracy',
      caption: setup,
      x: { label: 'epoch' },
      y: { label: 'validation accuracy', domain: [0, 1] },
      series: [
        {
          name: 'without BN',
          x: epochsAxis(small.plain.valAccuracy.length),
          y: small.plain.valAccuracy,
        },
        { name: 'with BN', x: epochsAxis(small.bn.valAccuracy.length), y: small.bn.valAccuracy },
      ],
    },
    {
      kind: 'line',
      id: 'lr-ladder',
      title: 'Final validation accuracy against the SGD learning rate',
      caption: `${p.depth}×${p.width} tanh net, PyTorch default init, ${p.ladderEpochs} epochs per rung`,
      x: { label: 'learning rate', log: true },
      y: { label: 'validation accuracy', domain: [0, 1] },
      series: [
        {
          name: 'without BN',
          x: ladder.map((r) => r.lr),
          y: ladder.map((r) => r.plain.finalAccuracy),
        },
        { name: 'with BN', x: ladder.map((r) => r.lr), y: ladder.map((r) => r.bn.finalAccuracy) },
      ],
    },
    {
      kind: 'line',
      id: 'running-stats',
      title: 'First BN layer: batch statistics against running statistics',
      caption:
        'Mean over channels after each training step; the running averages (momentum 0.1) start at mean 0, variance 1',
      x: { label: 'training step' },
      y: { label: 'gap', log: true },
      series: [
        { name: '|ln σ²_batch / σ²_running|', x: steps, y: trace.varGap },
        { name: '|μ_batch − μ_running| / σ_running', x: steps, y: trace.meanGap },
      ],
    },
    {
      kind: 'line',
      id: 'channel-0',
      title: 'First BN layer, channel 0: batch mean and running mean',
      x: { label: 'training step' },
      y: { label: 'mean of the pre-activation' },
      series: [
        { name: 'batch mean (train mode)', x: steps, y: trace.batchMean0 },
        { name: 'running mean (eval mode)', x: steps, y: trace.runningMean0 },
      ],
    },
  ];
  return {
    findings,
    tables,
    figures,
    notes: [
      'Batch normalization divides each pre-activation by its batch standard deviation, so the scale of the weights no longer decides the scale of the signal: small weights do not make it vanish, and a large learning rate that grows the weights does not saturate the tanh units.',
      'In evaluation mode the layer uses running averages instead of the batch, so a prediction depends on the example alone; call model.eval() before predicting.',
    ],
  };
}

function meanOf(v: readonly number[]): number {
  return v.length === 0 ? Number.NaN : v.reduce((a, b) => a + b, 0) / v.length;
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
    ladderEpochs: {
      type: 'integer',
      default: 5,
      quick: 2,
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
  },
  run: (params, ctx) => withBackend(ctx.backend, () => run(params, ctx)),
};
