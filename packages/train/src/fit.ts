/**
 * The training loop: `fit` runs epochs of forward, backward and optimizer
 * steps over a DataLoader, evaluates on validation data, steps the learning
 * rate schedule, feeds the monitors and the callbacks, and returns the
 * per-epoch history. `evaluate` and `predict` run the model without gradients.
 */
import { type Tensor, argmax, concat, eq, noGrad, sum, tidy } from '@nerve/core';
import type { DataLoader } from '@nerve/data';
import type { Module } from '@nerve/layers';
import type { EpochRecord, Monitor } from '@nerve/metrics';
import type { LRScheduler, Optimizer } from '@nerve/optim';
import { type Callback, NaNGuard, type TrainContext } from './callbacks.js';

/** A loss function of the model output and the targets, returning a scalar tensor. */
export type LossFn = (output: Tensor, target: Tensor) => Tensor;

export interface FitOptions {
  train: DataLoader;
  val?: DataLoader;
  epochs: number;
  optimizer: Optimizer;
  loss: LossFn;
  scheduler?: LRScheduler;
  /** Step the scheduler after every epoch (default) or every batch. */
  schedulerStep?: 'epoch' | 'batch';
  monitors?: Monitor[];
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
        const [lossT, correctT] = tidy(() => {
          const out = model.call(x);
          const l = lossFn(out, y);
          l.backward();
          for (const m of monitors) m.beforeStep?.();
          optimizer.step();
          optimizer.zeroGrad();
          return [l.detach(), withAccuracy ? noGrad(() => correctCount(out, y)) : null] as const;
        });
        for (const t of tensors) t.dispose();
        // One wait per step for everything it measured: the loss, the
        // accuracy count, and what monitors kept on the device (webgpu).
        const [lossData, correctData] = await Promise.all([
          lossT.data(),
          correctT?.data(),
          ...flushes(monitors),
        ]);
        const lossValue = lossData[0];
        lossT.dispose();
        if (correctT) {
          correct += correctData![0];
          correctT.dispose();
        }
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

export interface EvaluateOptions {
  loss?: LossFn;
  accuracy?: boolean;
}

/** Mean loss and accuracy over a loader, in eval mode and without gradients. */
export async function evaluate(
  model: Module,
  loader: DataLoader,
  opts: EvaluateOptions = {},
): Promise<{ loss: number; accuracy: number; count: number }> {
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
