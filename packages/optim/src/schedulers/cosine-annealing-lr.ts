/**
 * CosineAnnealingLR (Loshchilov & Hutter 2017, SGDR without restarts), in
 * torch.optim.lr_scheduler's recursive form, which equals the closed form
 * when only this scheduler sets the lr and keeps cycling past tMax.
 */
import type { Optimizer } from '../optimizer.js';
import { checkNumber, checkOptions } from '../validate.js';
import { LRScheduler } from './scheduler.js';

/** CosineAnnealingLR options (PyTorch's T_max and eta_min). */
export interface CosineAnnealingLROptions {
  /** Steps from the base lr down to etaMin (half a cosine period). */
  tMax: number;
  /** The lowest lr (default 0). */
  etaMin?: number;
}

/** lr = etaMin + (baseLr − etaMin)·(1 + cos(π·t/tMax))/2. */
export class CosineAnnealingLR extends LRScheduler {
  protected readonly kind = 'CosineAnnealingLR';
  /** Steps from the base lr down to etaMin. */
  tMax: number;
  /** The lowest lr. */
  etaMin: number;

  constructor(optimizer: Optimizer, opts: CosineAnnealingLROptions) {
    super(optimizer);
    const o = checkOptions('CosineAnnealingLR', opts, ['tMax', 'etaMin']);
    this.tMax = o.tMax as number;
    this.etaMin = (o.etaMin ?? 0) as number;
    this.check('CosineAnnealingLR');
    this.initBaseLrs();
    this.initialStep();
  }

  protected override check(op: string): void {
    checkNumber(op, 'tMax', this.tMax, Number.MIN_VALUE);
    checkNumber(op, 'etaMin', this.etaMin);
  }

  protected override stateKeys(): readonly string[] {
    return ['tMax', 'etaMin'];
  }

  protected override getLr(): number[] {
    const e = this.lastEpoch;
    const { tMax: T, etaMin } = this;
    const groups = this.optimizer.paramGroups;
    if (e === 0) return groups.map((g) => g.lr);
    if ((e - 1 - T) % (2 * T) === 0) {
      return groups.map(
        (g, i) => g.lr + ((this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / T))) / 2,
      );
    }
    return groups.map(
      (g) =>
        ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) *
          (g.lr - etaMin) +
        etaMin,
    );
  }

  protected override closedFormLr(): number[] {
    const c = 1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax);
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * c) / 2);
  }
}
