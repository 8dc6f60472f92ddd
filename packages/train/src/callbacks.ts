/**
 * Callbacks: hooks into the training loop (Keras's idea, PyTorch Lightning's
 * names). Each hook is optional; `fit` calls them in order.
 */
import { noGrad, tensor } from '@nerve/core';
import type { Module } from '@nerve/layers';
import type { EpochRecord } from '@nerve/metrics';
import type { Optimizer } from '@nerve/optim';

/** Shared state a callback may read or change (set `stop` to end training). */
export interface TrainContext {
  /** The model being trained. */
  model: Module;
  /** The optimizer stepping it. */
  optimizer: Optimizer;
  /** Epochs requested. */
  epochs: number;
  /** Batches per training epoch. */
  numBatches: number;
  /** One record per finished epoch so far. */
  history: EpochRecord[];
  /** Set by a callback to end training after the current batch or epoch. */
  stop: boolean;
  /** Why training stopped early, for the report. */
  stopReason?: string;
  /**
   * After each step: the name (as in model.namedParameters()) of the first
   * parameter whose gradient held a NaN or ±∞ in that step, else undefined.
   * fit reads it with the loss, in the same device read.
   */
  nonFiniteGradient?: string;
}

/** Hooks into `fit`'s loop; every method is optional and may be async (fit awaits it). */
export interface Callback {
  /** Before the first epoch. */
  onTrainBegin?(ctx: TrainContext): void | Promise<void>;
  /** Before each epoch, with its number. */
  onEpochBegin?(epoch: number, ctx: TrainContext): void | Promise<void>;
  /** After every optimizer step, with the batch loss read back to the host. */
  onBatchEnd?(batch: number, loss: number, ctx: TrainContext): void | Promise<void>;
  /** After each epoch, with its record (validation included). */
  onEpochEnd?(record: EpochRecord, ctx: TrainContext): void | Promise<void>;
  /** After the last epoch, or after a callback stopped training. */
  onTrainEnd?(ctx: TrainContext): void | Promise<void>;
}

/**
 * Stops training as soon as a gradient or the loss is NaN or infinite, and
 * says why, naming the first parameter (in model order) whose gradient went
 * bad: a non-finite gradient poisons the weights even while the loss still
 * looks finite.
 */
export class NaNGuard implements Callback {
  onBatchEnd(batch: number, loss: number, ctx: TrainContext): void {
    const epoch = ctx.history.length + 1;
    const hint = 'the learning rate is probably too high, or the data has non-finite values';
    const grad =
      ctx.nonFiniteGradient !== undefined
        ? `non-finite gradient in ${ctx.nonFiniteGradient} at epoch ${epoch} step ${batch}`
        : undefined;
    if (!Number.isFinite(loss)) {
      ctx.stop = true;
      const where = grad !== undefined ? ` (${grad})` : '';
      ctx.stopReason = `loss became ${loss} at batch ${batch} of epoch ${epoch}${where}: ${hint}`;
    } else if (grad !== undefined) {
      ctx.stop = true;
      ctx.stopReason = `${grad}, while the loss was still ${loss}: ${hint}`;
    }
  }
}

/** Options of `EarlyStopping`. */
export interface EarlyStoppingOptions {
  /** Which record field to watch (default valLoss). */
  monitor?: 'valLoss' | 'valAccuracy' | 'trainLoss' | 'trainAccuracy';
  /** Epochs without improvement before stopping (default 5). */
  patience?: number;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Put back the weights of the best epoch when stopping (default true). */
  restoreBest?: boolean;
}

/** Stops when the monitored value has not improved for `patience` epochs. */
export class EarlyStopping implements Callback {
  /** The record field watched. */
  readonly monitor: NonNullable<EarlyStoppingOptions['monitor']>;
  /** Epochs without improvement before stopping. */
  readonly patience: number;
  /** Smallest change that counts as an improvement. */
  readonly minDelta: number;
  /** Whether the best epoch's weights are put back when stopping. */
  readonly restoreBest: boolean;
  /** Best value of the monitored field so far (NaN before the first epoch). */
  best = Number.NaN;
  /** Epoch of the best value. */
  bestEpoch = 0;
  private wait = 0;
  private snapshot: Map<string, Float32Array | Int32Array | Uint8Array> | null = null;

  constructor(opts: EarlyStoppingOptions = {}) {
    this.monitor = opts.monitor ?? 'valLoss';
    this.patience = opts.patience ?? 5;
    this.minDelta = opts.minDelta ?? 0;
    this.restoreBest = opts.restoreBest ?? true;
  }

  private better(v: number): boolean {
    if (Number.isNaN(this.best)) return true;
    return this.monitor.endsWith('Loss')
      ? v < this.best - this.minDelta
      : v > this.best + this.minDelta;
  }

  async onEpochEnd(record: EpochRecord, ctx: TrainContext): Promise<void> {
    const v = record[this.monitor];
    if (v === undefined || Number.isNaN(v)) return;
    if (this.better(v)) {
      this.best = v;
      this.bestEpoch = record.epoch;
      this.wait = 0;
      if (this.restoreBest) {
        this.snapshot = new Map();
        for (const [k, t] of Object.entries(ctx.model.stateDict())) {
          this.snapshot.set(k, (await t.data()) as Float32Array);
        }
      }
      return;
    }
    if (++this.wait >= this.patience) {
      ctx.stop = true;
      ctx.stopReason = `${this.monitor} did not improve for ${this.patience} epochs (best ${this.best.toPrecision(4)} at epoch ${this.bestEpoch})`;
    }
  }

  onTrainEnd(ctx: TrainContext): void {
    if (!this.restoreBest || !this.snapshot || !ctx.stop) return;
    restoreValues(ctx.model, this.snapshot);
  }
}

/** Writes saved host values back into a model's parameters and buffers. */
export function restoreValues(
  model: Module,
  values: Map<string, Float32Array | Int32Array | Uint8Array>,
): void {
  const state = model.stateDict();
  noGrad(() => {
    for (const [k, t] of Object.entries(state)) {
      const v = values.get(k);
      if (!v) continue;
      const fresh = tensor(v, { shape: t.shape, dtype: t.dtype });
      t.assign(fresh);
      fresh.dispose();
    }
  });
}
