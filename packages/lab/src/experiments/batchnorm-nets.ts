/**
 * The networks and the training run of the batchnorm experiment: a deep
 * tanh MLP on the 64 digit pixels, with or without BatchNorm1d between each
 * Linear and its tanh (Ioffe & Szegedy 2015 put it there, before the
 * nonlinearity), trained with plain SGD through @nerve/train's fit.
 */
import type { DataLoader } from '@nerve/data';
import { smallRandom, zeros } from '@nerve/init';
import { Linear, type Module, Sequential, Tanh, crossEntropy } from '@nerve/layers';
import { BatchNorm1d } from '@nerve/norm';
import { SGD } from '@nerve/optim';
import { type Callback, evaluate, fit } from '@nerve/train';

/** The shape of a deep tanh net. */
export interface TanhNetSpec {
  depth: number;
  width: number;
  /** N(0, std²) weights and zero biases; PyTorch's default Linear init when absent. */
  initStd?: number;
  batchNorm: boolean;
  seed: number;
}

/** depth × (Linear → [BatchNorm1d] → Tanh), then Linear(width, 10). */
export function tanhNet(spec: TanhNetSpec): Sequential {
  const layers: Module[] = [];
  let inFeatures = 64;
  const init =
    spec.initStd === undefined ? undefined : { weight: smallRandom(spec.initStd), bias: zeros };
  for (let i = 0; i < spec.depth; i++) {
    layers.push(new Linear(inFeatures, spec.width, { init, seed: spec.seed + i }));
    if (spec.batchNorm) layers.push(new BatchNorm1d(spec.width));
    layers.push(new Tanh());
    inFeatures = spec.width;
  }
  layers.push(new Linear(inFeatures, 10, { init, seed: spec.seed + 100 }));
  return new Sequential(...layers);
}

/** What one training run measured. */
export interface TrainRun {
  /** Validation accuracy after each epoch (eval mode). */
  valAccuracy: number[];
  /** Mean training loss of each epoch. */
  trainLoss: number[];
  /** Validation accuracy at the end, measured even when training stopped on a NaN. */
  finalAccuracy: number;
  /** Why fit stopped early (a NaN or infinite loss), if it did. */
  stopped?: string;
}

/** Options of trainNet. */
export interface TrainNetOptions {
  train: DataLoader;
  val: DataLoader;
  epochs: number;
  lr: number;
  signal?: AbortSignal;
  /** Called after each step with the step number (1-based, over all epochs). */
  onStep?: (step: number) => void | Promise<void>;
}

/**
 * Trains `model` with SGD on cross-entropy. A run whose loss went NaN is
 * stopped by fit's NaNGuard; its final accuracy is still measured (NaN
 * logits make argmax pick one class, which is chance level).
 */
export async function trainNet(model: Module, opts: TrainNetOptions): Promise<TrainRun> {
  let step = 0;
  let stopped: string | undefined;
  const watch: Callback = {
    onBatchEnd: async () => {
      opts.signal?.throwIfAborted();
      step++;
      await opts.onStep?.(step);
    },
    onTrainEnd: (ctx) => {
      stopped = ctx.stopReason;
    },
  };
  const loss = (out: Parameters<typeof crossEntropy>[0], y: Parameters<typeof crossEntropy>[1]) =>
    crossEntropy(out, y);
  const history = await fit(model, {
    train: opts.train,
    val: opts.val,
    epochs: opts.epochs,
    optimizer: new SGD(model.parameters(), { lr: opts.lr }),
    loss,
    callbacks: [watch],
  });
  const final = await evaluate(model, opts.val, { loss });
  return {
    valAccuracy: history.map((r) => r.valAccuracy ?? Number.NaN),
    trainLoss: history.map((r) => r.trainLoss),
    finalAccuracy: final.accuracy,
    stopped,
  };
}
