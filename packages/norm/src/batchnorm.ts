/**
 * Batch normalization (Ioffe & Szegedy 2015) with PyTorch's semantics:
 * batch statistics (biased variance) in training, running statistics in
 * evaluation, running variance updated with the unbiased batch variance.
 */
import {
  NerveError,
  type Tensor,
  add,
  batchNormTrain,
  cast,
  div,
  mul,
  noGrad,
  ones,
  reshape,
  rsqrt,
  sub,
  tidy,
  zeros,
} from '@nerve/core';
import { Module } from '@nerve/layers';
import { checkEps, checkFloat, checkPositiveInt, fmt, forwardScope } from './util.js';

/** Options of `BatchNorm1d` / `BatchNorm2d` (PyTorch's names and defaults). */
export interface BatchNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Weight of the new batch statistic in the running average (default 0.1); null: cumulative average. */
  momentum?: number | null;
  /** Learnable per-channel scale `weight` (γ, init 1) and shift `bias` (β, init 0) (default true). */
  affine?: boolean;
  /** Keep running statistics for evaluation (default true); false: batch statistics always. */
  trackRunningStats?: boolean;
}

/** The shared implementation of BatchNorm1d and BatchNorm2d; channels are axis 1. */
export abstract class BatchNormBase extends Module {
  /** C: the channels normalised. */
  readonly numFeatures: number;
  /** Added to the variance before the square root (default 1e-5). */
  readonly eps: number;
  /** Weight of each batch in the running averages (default 0.1); null: a cumulative average. */
  readonly momentum: number | null;
  /** Whether it learns a per-channel scale (weight) and shift (bias). */
  readonly affine: boolean;
  /**
   * Whether it keeps running averages for evaluation mode; without them it normalises with batch
   * statistics always.
   */
  readonly trackRunningStats: boolean;
  /** γ, shape [C], or null when not affine. */
  readonly weight: Tensor | null;
  /** β, shape [C], or null when not affine. */
  readonly bias: Tensor | null;

  /** The class name, for error messages. */
  protected readonly kind: string;
  /** Accepted input ranks and how to describe them for a layer of C channels. */
  protected abstract readonly ranks: readonly number[];
  /** Describes the expected input shape for error messages, given C. */
  protected abstract describeInput(c: number): string;

  constructor(numFeatures: number, opts: BatchNormOptions, kind: string) {
    super();
    this.kind = kind;
    checkPositiveInt(kind, 'numFeatures', numFeatures);
    const eps = checkEps(kind, opts.eps ?? 1e-5);
    const momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    if (momentum !== null && (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1))) {
      throw new NerveError(kind, 'momentum in [0, 1] or null', String(momentum));
    }
    this.numFeatures = numFeatures;
    this.eps = eps;
    this.momentum = momentum;
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    this.weight = this.affine ? this.registerParameter('weight', ones([numFeatures])) : null;
    this.bias = this.affine ? this.registerParameter('bias', zeros([numFeatures])) : null;
    // As in PyTorch, the buffers exist only when statistics are tracked.
    if (this.trackRunningStats) {
      this.registerBuffer('running_mean', zeros([numFeatures]));
      this.registerBuffer('running_var', ones([numFeatures]));
      this.registerBuffer('num_batches_tracked', zeros([], { dtype: 'int32' }));
    }
  }

  /** Running mean, shape [C] (null without trackRunningStats). */
  get runningMean(): Tensor | null {
    return this.trackRunningStats ? this.buffer('running_mean') : null;
  }

  /** Running (unbiased) variance, shape [C] (null without trackRunningStats). */
  get runningVar(): Tensor | null {
    return this.trackRunningStats ? this.buffer('running_var') : null;
  }

  /** Number of training batches seen, an int32 scalar (null without trackRunningStats). */
  get numBatchesTracked(): Tensor | null {
    return this.trackRunningStats ? this.buffer('num_batches_tracked') : null;
  }

  /** A frozen BatchNorm stays in evaluation mode, so fine-tuning keeps its statistics. */
  protected override setTraining(mode: boolean): void {
    this.training = mode && !this.frozen;
  }

  /** Sets running statistics back to mean 0, variance 1 and the batch count to 0. */
  resetRunningStats(): void {
    if (!this.trackRunningStats) return;
    noGrad(() =>
      tidy(() => {
        this.buffer('running_mean').assign(zeros([this.numFeatures]));
        this.buffer('running_var').assign(ones([this.numFeatures]));
        this.buffer('num_batches_tracked').assign(zeros([], { dtype: 'int32' }));
      }),
    );
  }

  forward(x: Tensor): Tensor {
    const name = `${this.kind}(${this.numFeatures})`;
    checkFloat(name, x);
    const c = this.numFeatures;
    if (!this.ranks.includes(x.rank) || x.shape[1] !== c) {
      throw new NerveError(name, `an input of shape ${this.describeInput(c)}`, fmt(x.shape));
    }
    const useBatchStats = this.training || !this.trackRunningStats;
    const perChannel = x.size / c;
    if (useBatchStats && perChannel <= 1) {
      throw NerveError.raw(
        name,
        `expected more than 1 value per channel when training, received an input of shape ${fmt(x.shape)}`,
      );
    }
    // Statistics have shape [1, C, 1, …] so they broadcast over the input.
    const statShape = x.shape.map((d, i) => (i === 1 ? d : 1));
    return forwardScope([x, this.weight, this.bias], () => {
      if (useBatchStats) {
        // Core's fused batch norm where the backend has it (statistics,
        // normalize and one backward dispatch), else the composition.
        const track = this.training && this.trackRunningStats;
        // A fixed momentum lets the statistics pass update the running
        // averages too; the cumulative average (null) needs the batch count.
        const running =
          track && this.momentum !== null
            ? {
                mean: this.buffer('running_mean'),
                variance: this.buffer('running_var'),
                momentum: this.momentum,
              }
            : null;
        const r = batchNormTrain(x, this.weight, this.bias, this.eps, running);
        if (running && r.runningMean && r.runningVariance) {
          const { runningMean, runningVariance } = r;
          noGrad(() => {
            const count = this.buffer('num_batches_tracked');
            tidy(() => count.assign(add(count, 1)));
            running.mean.assign(runningMean);
            running.variance.assign(runningVariance);
          });
          // The buffers now hold the new values; the results are not needed.
          runningMean.dispose();
          runningVariance.dispose();
        } else if (track) {
          this.updateRunningStats(r.mean, r.variance, perChannel);
        }
        return r.y;
      }
      const rm = reshape(this.buffer('running_mean'), statShape);
      const rv = reshape(this.buffer('running_var'), statShape);
      let y = mul(sub(x, rm), rsqrt(add(rv, this.eps)));
      if (this.weight && this.bias) {
        y = add(mul(y, reshape(this.weight, statShape)), reshape(this.bias, statShape));
      }
      return y;
    });
  }

  /**
   * running ← (1 − m)·running + m·batch, with the unbiased batch variance
   * n/(n − 1)·σ² for running_var (PyTorch's rule); m = 1/count when momentum
   * is null (a cumulative average). The buffers keep their identity (assign),
   * so state dicts taken earlier stay valid.
   */
  private updateRunningStats(batchMean: Tensor, batchVar: Tensor, n: number): void {
    const c = this.numFeatures;
    noGrad(() =>
      tidy(() => {
        const count = this.buffer('num_batches_tracked');
        count.assign(add(count, 1));
        // A tensor factor, so no host read is needed on asynchronous backends.
        const m: Tensor | number =
          this.momentum === null ? div(1, cast(count, 'float32')) : this.momentum;
        const keepShare = typeof m === 'number' ? 1 - m : sub(1, m);
        const blend = (running: Tensor, batch: Tensor): Tensor =>
          add(mul(running, keepShare), mul(reshape(batch, [c]), m));
        const rm = this.buffer('running_mean');
        const rv = this.buffer('running_var');
        rm.assign(blend(rm, batchMean));
        rv.assign(blend(rv, mul(batchVar, n / (n - 1))));
      }),
    );
  }
}

/** Batch normalization over [N, C] or [N, C, L] inputs, per channel C (Ioffe & Szegedy 2015). */
export class BatchNorm1d extends BatchNormBase {
  protected readonly ranks = [2, 3];

  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, opts, 'BatchNorm1d');
  }

  /** Describes the expected input shape, [N, C] or [N, C, L], for error messages. */
  protected describeInput(c: number): string {
    return `[N, ${c}] or [N, ${c}, L]`;
  }
}

/** Batch normalization over [N, C, H, W] inputs, per channel C (Ioffe & Szegedy 2015). */
export class BatchNorm2d extends BatchNormBase {
  protected readonly ranks = [4];

  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, opts, 'BatchNorm2d');
  }

  /** Describes the expected input shape, [N, C, H, W], for error messages. */
  protected describeInput(c: number): string {
    return `[N, ${c}, H, W]`;
  }
}
