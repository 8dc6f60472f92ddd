/**
 * The training loop: `fit` runs epochs of forward, backward and optimizer
 * steps over a DataLoader, evaluates on validation data, steps the learning
 * rate schedule, feeds the monitors and the callbacks, and returns the
 * per-epoch history. `evaluate` and `predict` run the model without gradients.
 */
import { type Tensor, argmax, cast, concat, eq, noGrad, reshape, sum, tidy } from '@nerve/core';
import type { DataLoader } from '@nerve/data';
import type { Module } from '@nerve/layers';
import type { EpochRecord, Monitor } from '@nerve/metrics';
import type { LRScheduler, Optimizer } from '@nerve/optim';
import { type Callback, NaNGuard, type TrainContext } from './callbacks.js';

/** A loss function of the model output and the targets, returning a scalar tensor. */
export type LossFn = (output: Tensor, target: Tensor) => Tensor;

/** Options of `fit`. */
export interface FitOptions {
  /** The training batches, one pass per epoch. */
  train: DataLoader;
  /** Validation batches, evaluated after every epoch. */
  val?: DataLoader;
  /** Number of passes over the training data. */
  epochs: number;
  /** Steps the model's parameters. */
  optimizer: Optimizer;
  /** Computes the loss from the output and the target. */
  loss: LossFn;
  /** A learning-rate schedule, stepped per epoch or per batch (schedulerStep). */
  scheduler?: LRScheduler;
  /** Step the scheduler after every epoch (default) or every batch. */
  schedulerStep?: 'epoch' | 'batch';
  /** Monitors that measure the model during training; their numbers go into each record. */
  monitors?: Monitor[];
  /** Callbacks called at the loop's events (early stopping, checkpoints, progress, …). */
  callbacks?: Callback[];
  /** Count classification accuracy from argmax of the output (default true). */
  accuracy?: boolean;
}

function checkFit(opts: FitOptions): void {
  if (!Number.isInteger(opts.epochs) || opts.epochs < 1) {
    throw new Error(`fit: expected epochs to be a positive integer, received ${opts.epochs}`);
  }
  for (const k of ['train', 'optimizer', 'loss'] as const) {
    if (!opts[k]) throw new Error(`fit: expected the '${k}' option, received ${opts[k]}`);
  }
}

/** Number of rows whose argmax matches the int32 target (a host number). */
function correctCount(out: Tensor, target: Tensor): Tensor {
  return sum(eq(argmax(out, -1), target));
}

/**
 * One float32 vector of what a step measured, so the step reads the device
 * once: [loss…, correct count?, one probe per parameter gradient]. A probe
 * is sum(grad), which is NaN or ±∞ exactly when the gradient holds a NaN or
 * ±∞ (or, for finite values, when their sum overflows float32: also a
 * gradient gone bad), at the cost of one reduction per parameter.
 */
function stepReadout(loss: Tensor, correct: Tensor | null, grads: readonly Tensor[]): Tensor {
  const parts = [reshape(loss.detach(), [loss.size])];
  if (correct) parts.push(reshape(cast(correct, 'float32'), [1]));
  for (const g of grads) parts.push(reshape(sum(g), [1]));
  return concat(parts);
}

/** The name of the first parameter whose probe in `values` (from `from` on) is not finite. */
function firstNonFinite(values: ArrayLike<number>, from: number, names: readonly string[]) {
  for (let i = 0; i < names.length; i++) {
    if (!Number.isFinite(values[from + i])) return names[i];
  }
  return undefined;
}

/** Pending device reads of the monitors that defer them (none on the cpu). */
function flushes(monitors: readonly Monitor[]): Promise<void>[] {
  const out: Promise<void>[] = [];
  for (const m of monitors) if (m.flush) out.push(m.flush());
  return out;
}

/** Trains `model` and returns one record per finished epoch. */
export async function fit(model: Module, opts: FitOptions): Promise<EpochRecord[]> {
  checkFit(opts);
  const { optimizer, loss: lossFn, monitors = [], schedulerStep = 'epoch' } = opts;
  const withAccuracy = opts.accuracy ?? true;
  const callbacks: Callback[] = [new NaNGuard(), ...(opts.callbacks ?? [])];
  const ctx: TrainContext = {
    model,
    optimizer,
    epochs: opts.epochs,
    numBatches: opts.train.numBatches,
    history: [],
    stop: false,
  };
  const named = model.namedParameters();
  for (const m of monitors) m.attach(model, optimizer);
  try {
    for (const cb of callbacks) await cb.onTrainBegin?.(ctx);
    for (let epoch = 1; epoch <= opts.epochs && !ctx.stop; epoch++) {
      for (const cb of callbacks) await cb.onEpochBegin?.(epoch, ctx);
      model.train();
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      const stepLosses: number[] = [];
      let batch = 0;
      for (const tensors of opts.train) {
        const [x, y] = tensors;
        batch++;
        // Parameters that received a gradient this step, in model order.
        const probed: string[] = [];
        let lossSize = 1;
        const readT = tidy(() => {
          const out = model.call(x);
          const l = lossFn(out, y);
          l.backward();
          const grads: Tensor[] = [];
          for (const [name, p] of named) {
            if (p.grad === null) continue;
            probed.push(name);
            grads.push(p.grad);
          }
          const probes = stepReadout(
            l,
            withAccuracy ? noGrad(() => correctCount(out, y)) : null,
            grads,
          );
          for (const m of monitors) m.beforeStep?.();
          optimizer.step();
          optimizer.zeroGrad();
          lossSize = l.size;
          return probes;
        });
        for (const t of tensors) t.dispose();
        // One wait per step for everything it measured: the loss, the
        // accuracy count and the gradient probes in one buffer, and what
        // monitors kept on the device (webgpu).
        const [values] = await Promise.all([readT.data(), ...flushes(monitors)]);
        readT.dispose();
        const lossValue = values[0];
        if (withAccuracy) correct += values[lossSize];
        const from = lossSize + (withAccuracy ? 1 : 0);
        ctx.nonFiniteGradient = firstNonFinite(values, from, probed);
        const n = x.shape[0];
        seen += n;
        lossSum += lossValue * n;
        stepLosses.push(lossValue);
        for (const m of monitors) m.afterStep?.(lossValue);
        if (opts.scheduler && schedulerStep === 'batch') opts.scheduler.step();
        for (const cb of callbacks) await cb.onBatchEnd?.(batch, lossValue, ctx);
        if (ctx.stop) break;
      }
      const record: EpochRecord = {
        epoch,
        trainLoss: lossSum / Math.max(seen, 1),
        lr: optimizer.paramGroups[0]?.lr,
        stepLosses,
      };
      if (withAccuracy) record.trainAccuracy = correct / Math.max(seen, 1);
      if (opts.val && !ctx.stop) {
        const v = await evaluate(model, opts.val, { loss: lossFn, accuracy: withAccuracy });
        record.valLoss = v.loss;
        if (withAccuracy) record.valAccuracy = v.accuracy;
      }
      await Promise.all(flushes(monitors));
      const monitorValues: Record<string, number> = {};
      for (const m of monitors) Object.assign(monitorValues, m.endEpoch());
      if (monitors.length > 0) record.monitors = monitorValues;
      if (opts.scheduler && schedulerStep === 'epoch') {
        opts.scheduler.step(record.valLoss ?? record.trainLoss);
      }
      ctx.history.push(record);
      for (const cb of callbacks) await cb.onEpochEnd?.(record, ctx);
    }
    for (const cb of callbacks) await cb.onTrainEnd?.(ctx);
  } finally {
    for (const m of monitors) m.detach();
  }
  return ctx.history;
}

/** Options of `evaluate`. */
export interface EvaluateOptions {
  /** Loss function; the returned loss is 0 without one. */
  loss?: LossFn;
  /** Count accuracy from the argmax of the output (default true). */
  accuracy?: boolean;
}

/** Mean loss and accuracy over a loader, in eval mode and without gradients. */
export async function evaluate(
  model: Module,
  loader: DataLoader,
  opts: EvaluateOptions = {},
): Promise<{
  /** Mean loss over the examples (0 without a loss function). */
  loss: number;
  /** Fraction of examples whose output's argmax is the label. */
  accuracy: number;
  /** Number of examples seen. */
  count: number;
}> {
  const wasTraining = model.training;
  model.eval();
  let lossSum = 0;
  let correct = 0;
  let count = 0;
  try {
    for (const tensors of loader) {
      const [x, y] = tensors;
      const [l, c] = tidy(() =>
        noGrad(() => {
          const out = model.call(x);
          return [
            opts.loss ? opts.loss(out, y) : null,
            opts.accuracy === false ? null : correctCount(out, y),
          ] as const;
        }),
      );
      const n = x.shape[0];
      for (const t of tensors) t.dispose();
      if (l) {
        lossSum += (await l.data())[0] * n;
        l.dispose();
      }
      if (c) {
        correct += (await c.data())[0];
        c.dispose();
      }
      count += n;
    }
  } finally {
    model.train(wasTraining);
  }
  return { loss: lossSum / Math.max(count, 1), accuracy: correct / Math.max(count, 1), count };
}

/** Model outputs for `x`, computed in batches in eval mode; the caller owns the result. */
export function predict(model: Module, x: Tensor, opts: { batchSize?: number } = {}): Tensor {
  const batchSize = opts.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`predict: expected a positive integer batchSize, received ${batchSize}`);
  }
  const wasTraining = model.training;
  model.eval();
  try {
    return tidy(() =>
      noGrad(() => {
        const outs: Tensor[] = [];
        // One pass even for zero rows, so the output has the right trailing shape.
        for (let i = 0; i === 0 || i < x.shape[0]; i += batchSize) {
          outs.push(model.call(x.narrow(0, i, Math.min(batchSize, x.shape[0] - i))));
        }
        return outs.length === 1 ? outs[0] : concat(outs, 0);
      }),
    );
  } finally {
    model.train(wasTraining);
  }
}
