/**
 * `diagnose` on real training runs: small networks trained here on the
 * digits with `fit` and the monitors `nerve train` uses, each run broken in
 * one known way (or not at all), each with the findings it must give and the
 * ones that would contradict them. Every run takes well under a second.
 */
import '@nerve/backend-cpu';
import { type Tensor, memory, tidy } from '@nerve/core';
import { DataLoader, Standardize, TensorDataset, digitsSplit } from '@nerve/data';
import { constant, heUniform, normal } from '@nerve/init';
import { Linear, type Module, ReLU, Sequential, Tanh, crossEntropy } from '@nerve/layers';
import {
  ActivationMonitor,
  type EpochRecord,
  type Finding,
  OVERRULES,
  UpdateRatioMonitor,
  diagnose,
} from '@nerve/metrics';
import { Adam, type Optimizer, SGD } from '@nerve/optim';
// Aliased: Biome reads a bare `fit(` outside a test as a focused test (Jasmine's fit).
import { fit as fitModel } from '@nerve/train';
import { describe, expect, it } from 'vitest';

const { train, test } = digitsSplit({ seed: 0 });
const scaler = new Standardize({ mode: 'perFeature' });
const [xTrain, xVal] = tidy((): Tensor[] => [
  scaler.fitTransform(train.tensors[0]),
  scaler.transform(test.tensors[0]),
]);
const trainSet = new TensorDataset(xTrain, train.tensors[1]);
const valSet = new TensorDataset(xVal, test.tensors[1]);
// 20 examples: enough to memorize, far too few to generalize.
const tinySet = new TensorDataset(xTrain.narrow(0, 0, 20), train.tensors[1].narrow(0, 0, 20));
const startTensors = memory().numTensors;

/** A 64–64–10 MLP; `first` sets the first layer's options (init, seed). */
function mlp(act: () => Module = () => new ReLU(), first = {}): Module {
  return new Sequential(
    new Linear(64, 64, { seed: 1, ...first }),
    act(),
    new Linear(64, 10, { seed: 2 }),
  );
}

/** The network `nerve train` builds for the digits MLP (64–128–64–10). */
function cliMlp(): Module {
  return new Sequential(
    new Linear(64, 128, { seed: 0 }),
    new ReLU(),
    new Linear(128, 64, { seed: 1 }),
    new ReLU(),
    new Linear(64, 10, { seed: 2 }),
  );
}

interface Run {
  name: string;
  model: () => Module;
  optimizer: (params: Tensor[]) => Optimizer;
  epochs: number;
  data?: TensorDataset;
  batchSize?: number;
  /** Every one of these codes must be found (one of them, for a list inside the list). */
  expected: (string | string[])[];
  /** None of these codes may be found. */
  absent: string[];
  /** The initial-loss finding's severity. */
  initial: 'info' | 'warning';
}

const BROKEN_FORBIDS = ['overfitting', 'underfitting', 'loss-flat', 'update-ratio-low'];

const RUNS: Run[] = [
  {
    // The issue's case: momentum at lr 10 on the CLI's MLP.
    name: 'lr far too high: momentum SGD at lr 10',
    model: cliMlp,
    optimizer: (p) => new SGD(p, { lr: 10, momentum: 0.9 }),
    epochs: 5,
    batchSize: 32,
    expected: [['loss-nan', 'loss-exploding'], 'update-ratio-high'],
    absent: BROKEN_FORBIDS,
    initial: 'info',
  },
  {
    // The issue's case: plain SGD at lr 3 jumps in the first epoch, then
    // settles at chance with the second layer dead.
    name: 'lr too high: SGD at lr 3',
    model: cliMlp,
    optimizer: (p) => new SGD(p, { lr: 3 }),
    epochs: 5,
    batchSize: 32,
    expected: ['loss-exploding', 'dead-relu'],
    absent: BROKEN_FORBIDS,
    initial: 'info',
  },
  {
    name: 'lr somewhat too high: Adam at lr 0.1 (loss bounces, val loss up)',
    model: () => mlp(),
    optimizer: (p) => new Adam(p, { lr: 0.1 }),
    epochs: 5,
    expected: ['update-ratio-high'],
    absent: ['overfitting', 'underfitting', 'loss-flat', 'update-ratio-low'],
    initial: 'info',
  },
  {
    name: 'lr too low: SGD at lr 1e-4',
    model: () => mlp(),
    optimizer: (p) => new SGD(p, { lr: 1e-4 }),
    epochs: 5,
    expected: ['loss-flat', 'update-ratio-low'],
    absent: ['underfitting', 'update-ratio-high', 'loss-exploding', 'overfitting'],
    initial: 'info',
  },
  {
    name: 'good: momentum SGD at lr 0.05',
    model: () => mlp(),
    optimizer: (p) => new SGD(p, { lr: 0.05, momentum: 0.9 }),
    epochs: 5,
    expected: [],
    absent: [
      'loss-nan',
      'loss-exploding',
      'loss-flat',
      'overfitting',
      'underfitting',
      'update-ratio-high',
      'update-ratio-low',
      'dead-relu',
      'saturation',
    ],
    initial: 'info',
  },
  {
    name: 'tiny subset: 20 examples, 60 epochs',
    model: () => mlp(),
    optimizer: (p) => new Adam(p, { lr: 1e-2 }),
    epochs: 60,
    data: tinySet,
    batchSize: 20,
    expected: ['overfitting'],
    absent: ['underfitting', 'loss-nan', 'loss-exploding', 'loss-flat'],
    initial: 'info',
  },
  {
    name: 'dead ReLUs: first-layer biases at −10',
    model: () => mlp(() => new ReLU(), { init: { weight: heUniform(), bias: constant(-10) } }),
    optimizer: (p) => new SGD(p, { lr: 0.05, momentum: 0.9 }),
    epochs: 5,
    expected: ['dead-relu'],
    absent: ['loss-flat', 'underfitting', 'update-ratio-low'],
    initial: 'info',
  },
  {
    name: 'tanh saturation: raw pixels (0–16) into tanh units',
    model: () => mlp(() => new Tanh()),
    optimizer: (p) => new SGD(p, { lr: 0.05, momentum: 0.9 }),
    epochs: 5,
    data: train,
    expected: ['saturation'],
    absent: ['loss-flat', 'underfitting', 'update-ratio-low'],
    initial: 'info',
  },
  {
    // Logits of spread ≈ 1.5 at init; the run then trains well, and its
    // noisy low loss at the end is no explosion.
    name: 'initial loss too high: last layer initialized N(0, 1)',
    model: () =>
      new Sequential(
        new Linear(64, 64, { seed: 1 }),
        new ReLU(),
        new Linear(64, 10, { seed: 2, init: { weight: normal(0, 1), bias: constant(0) } }),
      ),
    optimizer: (p) => new SGD(p, { lr: 0.05, momentum: 0.9 }),
    epochs: 3,
    expected: ['initial-loss'],
    absent: ['loss-exploding', 'loss-nan', 'loss-flat', 'underfitting'],
    initial: 'warning',
  },
];

async function train1(run: Run): Promise<EpochRecord[]> {
  const model = run.model();
  const optimizer = run.optimizer(model.parameters());
  try {
    const history = await fitModel(model, {
      train: new DataLoader(run.data ?? trainSet, {
        batchSize: run.batchSize ?? 64,
        shuffle: true,
        seed: 0,
      }),
      val: new DataLoader(valSet, { batchSize: 512 }),
      epochs: run.epochs,
      optimizer,
      loss: (out, y) => crossEntropy(out, y),
      monitors: [new UpdateRatioMonitor({ every: 10 }), new ActivationMonitor()],
    });
    return history;
  } finally {
    optimizer.disposeState();
    model.dispose();
  }
}

/** Pairs of findings that contradict each other, or one the other overrules. */
function contradictions(f: Finding[]): string[] {
  const codes = new Set(f.map((x) => x.code));
  const out: string[] = [];
  for (const a of codes)
    for (const b of OVERRULES[a] ?? []) if (codes.has(b)) out.push(`${a}+${b}`);
  if (f.some((x) => x.learningRate === 'raise') && f.some((x) => x.learningRate === 'lower'))
    out.push('raise+lower the learning rate');
  return out;
}

describe('diagnose on real runs', () => {
  it.each(RUNS)('$name', async (run) => {
    const history = await train1(run);
    const findings = diagnose(history, { classes: 10 });
    const codes = findings.map((f) => f.code);
    const why = `${run.name}: ${JSON.stringify(findings.map((f) => `${f.code}: ${f.message}`))}`;
    for (const e of run.expected) {
      const any = Array.isArray(e) ? e : [e];
      expect(
        any.some((c) => codes.includes(c)),
        `${why} lacks ${any.join('|')}`,
      ).toBe(true);
    }
    for (const a of run.absent) expect(codes, why).not.toContain(a);
    expect(contradictions(findings), why).toEqual([]);
    // The lecture's first check: the loss before any update against ln 10.
    const init = findings.find((f) => f.code === 'initial-loss');
    expect(init?.severity, why).toBe(run.initial);
    expect(init?.details?.expected).toBeCloseTo(Math.log(10), 10);
    expect(init?.details?.initialLoss).toBe(history[0].stepLosses?.[0]);
    // The advice never mentions a rate change in both directions.
    const text = findings.map((f) => f.message).join(' ');
    expect(/raise the learning rate/i.test(text) && /lower the learning rate/i.test(text)).toBe(
      false,
    );
  });

  it('leaks no tensors', () => {
    expect(memory().numTensors).toBe(startTensors);
  });
});
