/**
 * OneCycleLR (Smith & Topin 2019, "super-convergence"), as
 * torch.optim.lr_scheduler.OneCycleLR: the lr rises from maxLr/divFactor to
 * maxLr over pctStart of the steps, then anneals to initial/finalDivFactor.
 * Momentum cycling is supported but off by default (PyTorch's default is on).
 */
import { NerveError, describeValue } from '@nerve/core';
import type { Optimizer } from '../optimizer.js';
import {
  checkBool,
  checkChoice,
  checkInt,
  checkNumber,
  checkNumbers,
  checkOptions,
  perGroup,
} from '../validate.js';
import { LRScheduler } from './scheduler.js';

/** OneCycleLR options (PyTorch's, camelCased; cycleMomentum defaults to false). */
export interface OneCycleLROptions {
  /** Peak lr, one for all groups or one per group. */
  maxLr: number | readonly number[];
  /** Steps in the cycle; or give epochs and stepsPerEpoch. */
  totalSteps?: number;
  /** Epochs; with stepsPerEpoch gives totalSteps = epochs·stepsPerEpoch. */
  epochs?: number;
  /** Steps per epoch; see epochs. */
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent raising the lr (default 0.3). */
  pctStart?: number;
  /** 'cos' (default) or 'linear'. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle momentum (SGD/RMSprop momentum, Adam β₁) inversely to the lr; default false. */
  cycleMomentum?: boolean;
  /** Momentum at the lr's peak (the lowest), one or one per group. */
  baseMomentum?: number | readonly number[];
  /** Momentum at the lr's ends (the highest), one or one per group. */
  maxMomentum?: number | readonly number[];
  /** Initial lr = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** Final lr = initial lr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Three phases (up, back down to the initial lr, then to the final lr) as in the paper; default false. */
  threePhase?: boolean;
}

const KEYS = [
  'maxLr',
  'totalSteps',
  'epochs',
  'stepsPerEpoch',
  'pctStart',
  'annealStrategy',
  'cycleMomentum',
  'baseMomentum',
  'maxMomentum',
  'divFactor',
  'finalDivFactor',
  'threePhase',
] as const;

type Level = 'initial' | 'max' | 'min';
type MomentumLevel = 'base' | 'max';
interface Phase {
  end: number;
  lr: [Level, Level];
  momentum: [MomentumLevel, MomentumLevel];
}

/** The 1cycle policy; step it after every batch, at most totalSteps times. */
export class OneCycleLR extends LRScheduler {
  protected readonly kind = 'OneCycleLR';
  /** Steps in the whole cycle. */
  totalSteps: number;
  /** Fraction of the cycle spent raising the lr. */
  pctStart: number;
  /** How the lr moves between phases: 'cos' or 'linear'. */
  annealStrategy: 'cos' | 'linear';
  /** Whether it runs three phases instead of two. */
  threePhase: boolean;
  /** Each group's peak lr. */
  maxLrs: number[];
  /** Each group's final lr (initial lr / finalDivFactor). */
  minLrs: number[];
  /** Whether momentum cycles inversely to the lr. */
  cycleMomentum: boolean;
  /** Each group's momentum at the ends of the cycle. */
  maxMomentums: number[];
  /** Each group's momentum at the lr's peak. */
  baseMomentums: number[];
  /** Whether momentum is Adam's β₁ (the optimizer has betas). */
  useBeta1: boolean;

  constructor(optimizer: Optimizer, opts: OneCycleLROptions) {
    super(optimizer);
    const op = 'OneCycleLR';
    const o = checkOptions(op, opts, KEYS);
    const n = optimizer.paramGroups.length;
    if (o.totalSteps !== undefined) {
      this.totalSteps = checkInt(op, 'totalSteps', o.totalSteps, 1);
    } else if (o.epochs !== undefined && o.stepsPerEpoch !== undefined) {
      this.totalSteps =
        checkInt(op, 'epochs', o.epochs, 1) * checkInt(op, 'stepsPerEpoch', o.stepsPerEpoch, 1);
    } else {
      throw new NerveError(op, 'totalSteps, or epochs and stepsPerEpoch', 'neither');
    }
    this.pctStart = (o.pctStart ?? 0.3) as number;
    this.annealStrategy = (o.annealStrategy ?? 'cos') as 'cos' | 'linear';
    this.threePhase = (o.threePhase ?? false) as boolean;
    this.cycleMomentum = (o.cycleMomentum ?? false) as boolean;
    const divFactor = checkNumber(op, 'divFactor', o.divFactor ?? 25, Number.MIN_VALUE);
    const finalDiv = checkNumber(op, 'finalDivFactor', o.finalDivFactor ?? 1e4, Number.MIN_VALUE);
    this.maxLrs = perGroup(op, 'maxLr', o.maxLr, n);
    this.minLrs = this.maxLrs.map((m) => m / divFactor / finalDiv);
    this.maxMomentums = perGroup(op, 'maxMomentum', o.maxMomentum ?? 0.95, n);
    this.baseMomentums = perGroup(op, 'baseMomentum', o.baseMomentum ?? 0.85, n);
    this.useBeta1 = 'betas' in optimizer.defaults;
    if (this.cycleMomentum && !this.useBeta1 && !('momentum' in optimizer.defaults)) {
      throw new NerveError(
        op,
        'an optimizer with momentum or betas for cycleMomentum',
        optimizer.constructor.name,
      );
    }
    this.check(op);
    optimizer.paramGroups.forEach((g, i) => {
      g.initialLr = this.maxLrs[i] / divFactor;
      if (this.cycleMomentum) this.setMomentum(i, this.maxMomentums[i]);
    });
    this.initBaseLrs();
    this.initialStep();
  }

  protected override check(op: string): void {
    checkInt(op, 'totalSteps', this.totalSteps, 1);
    checkNumber(op, 'pctStart', this.pctStart, 0, 1);
    checkChoice(op, 'annealStrategy', this.annealStrategy, ['cos', 'linear']);
    checkBool(op, 'threePhase', this.threePhase);
    checkBool(op, 'cycleMomentum', this.cycleMomentum);
    checkBool(op, 'useBeta1', this.useBeta1);
    const n = this.optimizer.paramGroups.length;
    for (const k of ['maxLrs', 'minLrs', 'maxMomentums', 'baseMomentums'] as const) {
      if (this[k].length !== n)
        throw new NerveError(op, `${k} for ${n} groups`, describeValue(this[k]));
      checkNumbers(op, k, this[k]);
    }
  }

  protected override stateKeys(): readonly string[] {
    return [
      'totalSteps',
      'pctStart',
      'annealStrategy',
      'threePhase',
      'maxLrs',
      'minLrs',
      'cycleMomentum',
      'maxMomentums',
      'baseMomentums',
      'useBeta1',
    ];
  }

  private setMomentum(i: number, m: number): void {
    const g = this.optimizer.paramGroups[i];
    if (this.useBeta1) g.betas = [m, ...(g.betas as number[]).slice(1)];
    else g.momentum = m;
  }

  private phases(): Phase[] {
    const total = this.totalSteps;
    const pct = this.pctStart;
    if (this.threePhase) {
      return [
        { end: pct * total - 1, lr: ['initial', 'max'], momentum: ['max', 'base'] },
        { end: 2 * pct * total - 2, lr: ['max', 'initial'], momentum: ['base', 'max'] },
        { end: total - 1, lr: ['initial', 'min'], momentum: ['max', 'max'] },
      ];
    }
    return [
      { end: pct * total - 1, lr: ['initial', 'max'], momentum: ['max', 'base'] },
      { end: total - 1, lr: ['max', 'min'], momentum: ['base', 'max'] },
    ];
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'linear') return (end - start) * pct + start;
    return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
  }

  protected override getLr(): number[] {
    const step = this.lastEpoch;
    if (step > this.totalSteps) {
      throw new NerveError(
        'OneCycleLR.step',
        `at most ${this.totalSteps} steps (totalSteps)`,
        `step ${step + 1}`,
      );
    }
    const phases = this.phases();
    return this.optimizer.paramGroups.map((_, i) => {
      const lrOf = { initial: this.baseLrs[i], max: this.maxLrs[i], min: this.minLrs[i] };
      const momOf = { base: this.baseMomentums[i], max: this.maxMomentums[i] };
      let start = 0;
      for (const [k, phase] of phases.entries()) {
        if (step <= phase.end || k === phases.length - 1) {
          const pct = (step - start) / (phase.end - start);
          if (this.cycleMomentum) {
            this.setMomentum(
              i,
              this.anneal(momOf[phase.momentum[0]], momOf[phase.momentum[1]], pct),
            );
          }
          return this.anneal(lrOf[phase.lr[0]], lrOf[phase.lr[1]], pct);
        }
        start = phase.end;
      }
      return this.baseLrs[i];
    });
  }
}
