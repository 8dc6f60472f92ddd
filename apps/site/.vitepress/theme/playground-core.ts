/**
 * The playground's model and training, with no DOM and no worker in it, so
 * that the page's worker (playground.worker.ts) and the Node test
 * (test/playground.test.ts) run the same code: the same data, the same
 * network for the same knobs and seed, the same monitors and the same
 * `diagnose`. Everything here is the public API of the @nerve packages.
 *
 * One "epoch" is one `fit(…, { epochs: 1 })` call: play runs epochs until
 * paused, step runs one. The DataLoader's shuffle depends only on (seed,
 * epoch), so pausing never changes the numbers.
 */
import { type Tensor, noGrad, tensor, tidy } from '@nerve/core';
import {
  DataLoader,
  Standardize,
  TensorDataset,
  makeCircles,
  makeSpiral,
  trainValSplit,
} from '@nerve/data';
import { type Initializer, heNormal, smallRandom, xavierNormal, zeros } from '@nerve/init';
import { Dropout, Linear, Module, activationModule, crossEntropy } from '@nerve/layers';
import {
  ActivationMonitor,
  type EpochRecord,
  type Finding,
  GradNormMonitor,
  UpdateRatioMonitor,
  diagnose,
} from '@nerve/metrics';
import { BatchNorm1d } from '@nerve/norm';
import { type Optimizer, createOptimizer } from '@nerve/optim';
import { fit } from '@nerve/train';

export {
  ACTIVATIONS,
  type DatasetName,
  INITS,
  type InitName,
  OPTIMIZERS,
  type OptimizerChoice,
  PLAYGROUND_DEFAULTS,
  type PlaygroundConfig,
} from './playground-config.js';
import type { InitName, PlaygroundConfig } from './playground-config.js';

/** Toy sets: points per class (the spiral: CS231n's 3 × 100 points). */
const TOY_POINTS = 100;
/** Cells per side of the decision-boundary grid. */
export const GRID = 64;

/** A 2-D set's points for drawing: training (x, y, label) and validation (valX, valY, valLabel). */
export interface PlanePoints {
  x: number[];
  y: number[];
  label: number[];
  valX: number[];
  valY: number[];
  valLabel: number[];
}

/** The training data of one run, ready for the loaders. */
export interface PlaygroundData {
  train: TensorDataset;
  val: TensorDataset;
  inFeatures: number;
  classes: number;
  /** 2-D sets: the training points (for drawing) and the grid's extent [lo, hi] on both axes. */
  points?: PlanePoints;
  extent?: [number, number];
  dispose(): void;
}

/**
 * The 2-D sets: 100 points per class, the generator's noise seeded by the
 * run's seed, split 80/20 stratified (as `nerve train` splits).
 */
export function toyData(name: 'spiral' | 'circles', seed: number): PlaygroundData {
  const all =
    name === 'spiral'
      ? makeSpiral({ pointsPerClass: TOY_POINTS, classes: 3, seed })
      : makeCircles({ pointsPerClass: TOY_POINTS, factor: 0.5, noise: 0.1, seed });
  const [, labels] = all.tensors as [Tensor, Tensor];
  const { train, val } = trainValSplit(all, { valFraction: 0.2, seed, stratify: labels });
  all.dispose();
  const host = (d: TensorDataset) => {
    const [x, y] = d.tensors as [Tensor, Tensor];
    const xs = x.dataSync();
    return {
      x: Array.from({ length: x.shape[0] }, (_, i) => xs[2 * i]),
      y: Array.from({ length: x.shape[0] }, (_, i) => xs[2 * i + 1]),
      label: Array.from(y.dataSync()),
    };
  };
  const t = host(train);
  const v = host(val);
  return {
    train,
    val,
    inFeatures: 2,
    classes: name === 'spiral' ? 3 : 2,
    points: { ...t, valX: v.x, valY: v.y, valLabel: v.label },
    // Spiral radii reach 1, the circles' noise ~0.3 beyond: a square margin around both.
    extent: name === 'spiral' ? [-1.2, 1.2] : [-1.5, 1.5],
    dispose() {
      train.dispose();
      val.dispose();
    },
  };
}

/**
 * The UCI digits (x [1797, 64] float32, y int32, as loadDigits or
 * loadDigitsFromGzip give them): 80/20 stratified split with the run's
 * seed, standardized with the training part's statistics. Takes ownership
 * of neither input.
 */
export function digitsData(x: Tensor, y: Tensor, seed: number): PlaygroundData {
  const all = new TensorDataset(x, y);
  const { train: rawTrain, val: rawVal } = trainValSplit(all, {
    valFraction: 0.2,
    seed,
    stratify: y,
  });
  const scaler = new Standardize();
  const [trX, trY] = rawTrain.tensors as [Tensor, Tensor];
  const [vaX, vaY] = rawVal.tensors as [Tensor, Tensor];
  const train = new TensorDataset(scaler.fitTransform(trX), trY.clone());
  const val = new TensorDataset(scaler.transform(vaX), vaY.clone());
  rawTrain.dispose();
  rawVal.dispose();
  return {
    train,
    val,
    inFeatures: 64,
    classes: 10,
    dispose() {
      train.dispose();
      val.dispose();
    },
  };
}

function initializer(name: InitName, activation: string): Initializer {
  if (name === 'small') return smallRandom(0.01);
  if (name === 'xavier') return xavierNormal();
  // He for the ReLU family (gain √2); leaky ReLU's own gain for its slope 0.01.
  return activation === 'leakyRelu' ? heNormal({ a: 0.01 }) : heNormal();
}

/** One hidden layer of the network, with the module names the monitors report under. */
export interface HiddenLayer {
  /** 1-based, as the page shows it. */
  index: number;
  /** The Linear's name ('fc1', …). */
  linear: string;
  /** The activation's name ('act1', …). */
  activation: string;
}

/**
 * A stack of named layers run in order: Sequential with readable names, so
 * that the monitors and `diagnose` speak of 'act2' rather than '5'.
 */
export class PlaygroundNet extends Module {
  private readonly order: Module[] = [];

  add(name: string, m: Module): void {
    this.order.push(this.registerModule(name, m));
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this.order) y = m.call(y);
    return y;
  }
}

/** The network: [Linear → BatchNorm1d? → activation → Dropout?] × depth → Linear. */
export function buildModel(
  cfg: PlaygroundConfig,
  inFeatures: number,
  classes: number,
): { model: PlaygroundNet; hidden: HiddenLayer[] } {
  const model = new PlaygroundNet();
  const hidden: HiddenLayer[] = [];
  const weight = initializer(cfg.init, cfg.activation);
  let fan = inFeatures;
  for (let l = 1; l <= cfg.depth; l++) {
    model.add(
      `fc${l}`,
      new Linear(fan, cfg.width, {
        init: { weight, bias: zeros },
        seed: cfg.seed * 1000 + l,
        // Before BatchNorm a bias is redundant (BN subtracts the mean).
        bias: !cfg.batchNorm,
      }),
    );
    if (cfg.batchNorm) model.add(`bn${l}`, new BatchNorm1d(cfg.width));
    model.add(`act${l}`, activationModule(cfg.activation));
    if (cfg.dropout > 0)
      model.add(`drop${l}`, new Dropout(cfg.dropout, { seed: cfg.seed * 1000 + 500 + l }));
    hidden.push({ index: l, linear: `fc${l}`, activation: `act${l}` });
    fan = cfg.width;
  }
  // The output layer: the same init as the hidden ones, so that 'small'
  // means small everywhere (the lecture's setting); Xavier otherwise.
  model.add(
    'out',
    new Linear(fan, classes, {
      init: { weight: cfg.init === 'small' ? weight : xavierNormal(), bias: zeros },
      seed: cfg.seed * 1000 + 999,
    }),
  );
  return { model, hidden };
}

/** Per-layer numbers of the last epoch, for the monitors. */
export interface LayerSnapshot {
  index: number;
  /** ‖Δw‖/‖w‖ of the layer's weight, one value per epoch so far. */
  updateRatio: number[];
  /** ‖∂L/∂W‖ of the layer's weight, last epoch's mean. */
  gradNorm: number;
  mean: number;
  std: number;
  /** Fraction of units never positive over the epoch (ReLU family). */
  dead?: number;
  /** Fraction of outputs within 0.02 of the asymptotes (sigmoid, tanh). */
  saturated?: number;
  histogram: { edges: number[]; fractions: number[] };
}

/** Everything the page draws, as plain data (structured-clone safe). */
export interface PlaygroundSnapshot {
  epoch: number;
  steps: number;
  /** One entry per epoch (the page subsamples for drawing). */
  curves: {
    epoch: number[];
    trainLoss: number[];
    valLoss: number[];
    trainAcc: number[];
    valAcc: number[];
  };
  layers: LayerSnapshot[];
  findings: Finding[];
  /** Class per cell of the GRID×GRID boundary grid (row 0 at the top) and its probability. */
  boundary?: { size: number; cls: number[]; prob: number[] };
}

/** One playground run: a model, an optimizer, the monitors and the history. */
export class PlaygroundRun {
  readonly config: PlaygroundConfig;
  readonly data: PlaygroundData;
  readonly model: PlaygroundNet;
  readonly hidden: HiddenLayer[];
  readonly history: EpochRecord[] = [];
  private readonly optimizer: Optimizer;
  private readonly trainLoader: DataLoader;
  private readonly valLoader: DataLoader;
  private readonly activations: ActivationMonitor;
  private readonly updates = new UpdateRatioMonitor();
  private readonly grads = new GradNormMonitor();
  private layerStats: LayerSnapshot[] = [];
  private steps = 0;
  private gridX: Tensor | null = null;

  constructor(config: PlaygroundConfig, data: PlaygroundData) {
    this.config = { ...config };
    this.data = data;
    const { model, hidden } = buildModel(config, data.inFeatures, data.classes);
    this.model = model;
    this.hidden = hidden;
    const { lr, weightDecay } = config;
    this.optimizer = createOptimizer(config.optimizer, model.parameters(), { lr, weightDecay });
    this.trainLoader = new DataLoader(data.train, {
      batchSize: config.batchSize,
      shuffle: true,
      seed: config.seed,
    });
    this.valLoader = new DataLoader(data.val, { batchSize: 512 });
    this.activations = new ActivationMonitor({ modules: hidden.map((h) => h.activation) });
    this.layerStats = hidden.map((h) => ({
      index: h.index,
      updateRatio: [],
      gradNorm: Number.NaN,
      mean: Number.NaN,
      std: Number.NaN,
      histogram: { edges: [], fractions: [] },
    }));
  }

  get epoch(): number {
    return this.history.length;
  }

  /** Trains one epoch (one fit call) and returns its record. */
  async step(): Promise<EpochRecord> {
    const [r] = await fit(this.model, {
      train: this.trainLoader,
      val: this.valLoader,
      epochs: 1,
      optimizer: this.optimizer,
      loss: (out, y) => crossEntropy(out, y),
      monitors: [this.activations, this.updates, this.grads],
    });
    if (r === undefined) throw new Error('playground: expected an epoch record, received none');
    const record: EpochRecord = { ...r, epoch: this.history.length + 1 };
    this.history.push(record);
    this.steps += r.stepLosses?.length ?? 0;
    this.collect(record);
    return record;
  }

  private collect(r: EpochRecord): void {
    const m = r.monitors ?? {};
    for (const [i, h] of this.hidden.entries()) {
      const s = this.layerStats[i] as LayerSnapshot;
      s.updateRatio.push(m[`updateRatio/param/${h.linear}.weight`] ?? Number.NaN);
      s.gradNorm = m[`gradNorm/param/${h.linear}.weight`] ?? Number.NaN;
      const a = this.activations.lastEpoch[h.activation];
      if (a) {
        s.mean = a.mean;
        s.std = a.std;
        s.dead = a.dead;
        s.saturated = a.saturated;
        s.histogram = { edges: a.histogram.edges, fractions: a.histogram.fractions };
      }
    }
  }

  /** What `diagnose` says about the history so far (with the class count, for the initial-loss check). */
  findings(): Finding[] {
    return diagnose(this.history, { classes: this.data.classes });
  }

  /** Predicted class and its probability per cell of the boundary grid (2-D sets only). */
  boundary(): { size: number; cls: number[]; prob: number[] } | undefined {
    const p = this.gridProbs();
    if (!p) return undefined;
    try {
      return { size: GRID, cls: Array.from(p.cls.dataSync()), prob: Array.from(p.prob.dataSync()) };
    } finally {
      p.cls.dispose();
      p.prob.dispose();
    }
  }

  /**
   * `boundary()` read asynchronously, for backends without synchronous reads
   * (WebGPU); the same numbers on the CPU.
   */
  async boundaryAsync(): Promise<{ size: number; cls: number[]; prob: number[] } | undefined> {
    const p = this.gridProbs();
    if (!p) return undefined;
    try {
      const [cls, prob] = await Promise.all([p.cls.data(), p.prob.data()]);
      return { size: GRID, cls: Array.from(cls), prob: Array.from(prob) };
    } finally {
      p.cls.dispose();
      p.prob.dispose();
    }
  }

  /** The grid's predicted class and its probability, as tensors the caller disposes. */
  private gridProbs(): { cls: Tensor; prob: Tensor } | undefined {
    const ext = this.data.extent;
    if (!ext) return undefined;
    if (!this.gridX) {
      const [lo, hi] = ext;
      const xs = new Float32Array(GRID * GRID * 2);
      for (let r = 0; r < GRID; r++) {
        for (let c = 0; c < GRID; c++) {
          const k = r * GRID + c;
          // Cell centres; row 0 is the top (largest y).
          xs[2 * k] = lo + ((c + 0.5) * (hi - lo)) / GRID;
          xs[2 * k + 1] = hi - ((r + 0.5) * (hi - lo)) / GRID;
        }
      }
      this.gridX = tensor(xs, { shape: [GRID * GRID, 2] });
    }
    const gridX = this.gridX;
    const wasTraining = this.model.training;
    this.model.eval();
    try {
      const [cls, prob] = noGrad(() =>
        tidy(() => {
          const p = this.model.call(gridX).softmax(-1);
          return [p.argmax(-1), p.max(-1)];
        }),
      ) as [Tensor, Tensor];
      return { cls, prob };
    } finally {
      this.model.train(wasTraining);
    }
  }

  snapshot(withBoundary = true): PlaygroundSnapshot {
    return { ...this.snapshotBase(), boundary: withBoundary ? this.boundary() : undefined };
  }

  /** `snapshot()` with the boundary read asynchronously (every backend, WebGPU included). */
  async snapshotAsync(withBoundary = true): Promise<PlaygroundSnapshot> {
    const base = this.snapshotBase();
    return { ...base, boundary: withBoundary ? await this.boundaryAsync() : undefined };
  }

  private snapshotBase(): Omit<PlaygroundSnapshot, 'boundary'> {
    const h = this.history;
    return {
      epoch: h.length,
      steps: this.steps,
      curves: {
        epoch: h.map((r) => r.epoch),
        trainLoss: h.map((r) => r.trainLoss),
        valLoss: h.map((r) => r.valLoss ?? Number.NaN),
        trainAcc: h.map((r) => r.trainAccuracy ?? Number.NaN),
        valAcc: h.map((r) => r.valAccuracy ?? Number.NaN),
      },
      layers: this.layerStats.map((s) => ({ ...s, updateRatio: [...s.updateRatio] })),
      findings: this.findings(),
    };
  }

  dispose(): void {
    this.optimizer.disposeState();
    this.model.dispose();
    this.gridX?.dispose();
    this.gridX = null;
    this.data.dispose();
  }
}
