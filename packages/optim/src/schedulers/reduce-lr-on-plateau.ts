/**
 * ReduceLROnPlateau: cut the lr by `factor` when a metric stops improving
 * for `patience` steps (torch.optim.lr_scheduler.ReduceLROnPlateau).
 */
import { NerveError, describeValue } from '@nerve/core';
import type { Optimizer } from '../optimizer.js';
import {
  checkChoice,
  checkInt,
  checkNumber,
  checkNumbers,
  checkOptions,
  perGroup,
} from '../validate.js';
import { LRScheduler } from './scheduler.js';

/** ReduceLROnPlateau options. */
export interface ReduceLROnPlateauOptions {
  /** 'min' (default): lower is better, e.g. a loss; 'max': higher is better, e.g. accuracy. */
  mode?: 'min' | 'max';
  /** new lr = lr · factor (default 0.1). */
  factor?: number;
  /** Steps without improvement tolerated before reducing (default 10). */
  patience?: number;
  /** Minimum improvement that counts (default 1e-4). */
  threshold?: number;
  /** 'rel' (default): best·(1 ∓ threshold); 'abs': best ∓ threshold. */
  thresholdMode?: 'rel' | 'abs';
  /** Steps to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** Lower bound on the lr, one for all groups or one per group (default 0). */
  minLr?: number | readonly number[];
  /** Reductions smaller than eps are skipped (default 1e-8). */
  eps?: number;
}

const KEYS = [
  'mode',
  'factor',
  'patience',
  'threshold',
  'thresholdMode',
  'cooldown',
  'minLr',
  'eps',
] as const;

/** Reads a metric at every step: `scheduler.step(valLoss)`. */
export class ReduceLROnPlateau extends LRScheduler {
  protected readonly kind = 'ReduceLROnPlateau';
  /** 'min': lower the lr when the metric stops falling; 'max': when it stops rising. */
  mode: 'min' | 'max';
  /** Multiplies the lr on a plateau (new lr = lr · factor). */
  factor: number;
  /** Epochs without improvement tolerated before lowering the lr. */
  patience: number;
  /** The least change that counts as an improvement. */
  threshold: number;
  /** 'rel': the threshold is relative to the best value; 'abs': absolute. */
  thresholdMode: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again. */
  cooldown: number;
  /** Each group's lower bound on the lr. */
  minLrs: number[];
  /** Reductions smaller than this are skipped. */
  eps: number;
  /** Best metric so far; null before the first step. */
  best: number | null = null;
  /** Epochs since the last improvement. */
  numBadEpochs = 0;
  /** Epochs of cooldown left. */
  cooldownCounter = 0;

  constructor(optimizer: Optimizer, opts: ReduceLROnPlateauOptions = {}) {
    super(optimizer);
    const op = 'ReduceLROnPlateau';
    const o = checkOptions(op, opts, KEYS);
    this.mode = (o.mode ?? 'min') as 'min' | 'max';
    this.factor = (o.factor ?? 0.1) as number;
    this.patience = (o.patience ?? 10) as number;
    this.threshold = (o.threshold ?? 1e-4) as number;
    this.thresholdMode = (o.thresholdMode ?? 'rel') as 'rel' | 'abs';
    this.cooldown = (o.cooldown ?? 0) as number;
    this.minLrs = perGroup(op, 'minLr', o.minLr ?? 0, optimizer.paramGroups.length);
    this.eps = (o.eps ?? 1e-8) as number;
    this.check(op);
    this.lastEpoch = 0;
    this.baseLrs = optimizer.paramGroups.map((g) => g.lr);
  }

  protected override check(op: string): void {
    checkChoice(op, 'mode', this.mode, ['min', 'max']);
    checkChoice(op, 'thresholdMode', this.thresholdMode, ['rel', 'abs']);
    const f = checkNumber(op, 'factor', this.factor);
    if (f >= 1) throw new NerveError(op, 'factor < 1', String(f));
    checkInt(op, 'patience', this.patience);
    checkNumber(op, 'threshold', this.threshold);
    checkInt(op, 'cooldown', this.cooldown);
    checkNumber(op, 'eps', this.eps);
    const n = this.optimizer.paramGroups.length;
    if (this.minLrs.length !== n)
      throw new NerveError(op, `minLrs for ${n} groups`, describeValue(this.minLrs));
    checkNumbers(op, 'minLrs', this.minLrs);
    if (this.best !== null && typeof this.best !== 'number') {
      throw new NerveError(op, 'best to be a number or null', describeValue(this.best));
    }
    checkInt(op, 'numBadEpochs', this.numBadEpochs);
    checkInt(op, 'cooldownCounter', this.cooldownCounter);
  }

  protected override stateKeys(): readonly string[] {
    return [
      ...KEYS.filter((k) => k !== 'minLr'),
      'minLrs',
      'best',
      'numBadEpochs',
      'cooldownCounter',
    ];
  }

  private isBetter(a: number): boolean {
    const best = this.best ?? (this.mode === 'min' ? Infinity : -Infinity);
    if (this.mode === 'min') {
      return this.thresholdMode === 'rel'
        ? a < best * (1 - this.threshold)
        : a < best - this.threshold;
    }
    return this.thresholdMode === 'rel'
      ? a > best * (this.threshold + 1)
      : a > best + this.threshold;
  }

  /** Records `metric` (required; NaN counts as no improvement) and reduces the lr when it plateaus. */
  override step(metric?: number): void {
    const op = 'ReduceLROnPlateau.step';
    if (typeof metric !== 'number')
      throw new NerveError(op, 'a metric value', describeValue(metric));
    const groups = this.optimizer.paramGroups;
    if (groups.length !== this.minLrs.length) {
      throw new NerveError(op, `${this.minLrs.length} param groups`, `${groups.length}`);
    }
    this.lastEpoch += 1;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      groups.forEach((g, i) => {
        const newLr = Math.max(g.lr * this.factor, this.minLrs[i]);
        if (g.lr - newLr > this.eps) g.lr = newLr;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = groups.map((g) => g.lr);
  }
}
