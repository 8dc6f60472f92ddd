/**
 * The learning-rate scheduler base, torch.optim.lr_scheduler's chainable
 * scheme: each `step()` derives the next lr of every param group from its
 * current lr (so schedulers compose), and the group's `initialLr` remembers
 * where it started.
 */
import { NerveError, describeValue } from '@nerve/core';
import { Optimizer } from '../optimizer.js';
import { isPlainObject } from '../state-check.js';
import { checkInt, checkNumber, checkNumbers } from '../validate.js';

/** A scheduler's state: its class name, progress and hyperparameters (JSON-able). */
export interface SchedulerStateDict {
  /** The scheduler's class name, checked when loading. */
  type: string;
  [key: string]: unknown;
}

const copy = (v: unknown): unknown => (Array.isArray(v) ? v.map(copy) : v);

/** Whether a loaded value has the same kind as the current one (numbers and null mix). */
function sameKind(current: unknown, loaded: unknown): boolean {
  const numeric = (x: unknown) => typeof x === 'number' || x === null;
  if (numeric(current)) return numeric(loaded);
  if (Array.isArray(current)) {
    return Array.isArray(loaded) && loaded.every((x) => typeof x === 'number');
  }
  return typeof current === typeof loaded;
}

/** Base class of the learning-rate schedulers. */
export abstract class LRScheduler {
  /** The optimizer whose param groups' lr this scheduler sets. */
  readonly optimizer: Optimizer;
  /** Steps taken since the start (PyTorch's last_epoch): 0 right after construction. */
  lastEpoch = -1;
  /** Each group's initial lr. */
  baseLrs: number[] = [];
  /** Each group's lr after the last step. */
  protected lastLr: number[];
  /** The class's name in state dicts (not `constructor.name`, which minifiers rename). */
  protected abstract readonly kind: string;

  constructor(optimizer: Optimizer) {
    if (!(optimizer instanceof Optimizer)) {
      throw new NerveError(this.constructor.name, 'an Optimizer', describeValue(optimizer));
    }
    this.optimizer = optimizer;
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  /** Hyperparameter and progress fields saved by stateDict, besides lastEpoch, baseLrs and lastLr. */
  protected stateKeys(): readonly string[] {
    return [];
  }

  /** Validates the scheduler's fields (after construction and after loading state). */
  protected check(_op: string): void {}

  /** Sets each group's `initialLr` (when unset) from its lr and reads the base lrs from it. */
  protected initBaseLrs(): void {
    const op = this.constructor.name;
    for (const g of this.optimizer.paramGroups) if (g.initialLr === undefined) g.initialLr = g.lr;
    this.baseLrs = this.optimizer.paramGroups.map((g, i) =>
      checkNumber(op, `paramGroups[${i}].initialLr`, g.initialLr),
    );
  }

  /** @internal Step 0, taken at construction (PyTorch's _initial_step). */
  initialStep(): void {
    this.step();
  }

  /** The lrs at `lastEpoch`, derived from the groups' current lrs (the chainable form). */
  protected getLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The lrs at `lastEpoch` from the base lrs alone, where a closed form exists. */
  protected closedFormLr(): number[] | null {
    return null;
  }

  /** Advances one step (epoch or batch). The metric is only read by ReduceLROnPlateau. */
  step(_metric?: number): void {
    this.advance(this.lastEpoch + 1, () => this.getLr());
  }

  /** @internal Jumps to `epoch`, using the closed form where there is one (SequentialLR). */
  stepTo(epoch: number): void {
    this.advance(epoch, () => this.closedFormLr() ?? this.getLr());
  }

  private advance(epoch: number, compute: () => number[]): void {
    const groups = this.optimizer.paramGroups;
    if (groups.length !== this.baseLrs.length) {
      throw new NerveError(
        `${this.constructor.name}.step`,
        `the ${this.baseLrs.length} param groups the scheduler was built with`,
        `${groups.length} groups`,
      );
    }
    const prev = this.lastEpoch;
    this.lastEpoch = epoch;
    let lrs: number[];
    try {
      lrs = compute();
    } catch (e) {
      this.lastEpoch = prev;
      throw e;
    }
    groups.forEach((g, i) => {
      g.lr = lrs[i];
    });
    this.lastLr = groups.map((g) => g.lr);
  }

  /** The lr of each group as last set by this scheduler. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** Progress and hyperparameters, as JSON-able data. */
  stateDict(): SchedulerStateDict {
    const out: SchedulerStateDict = { type: this.kind };
    const self = this as unknown as Record<string, unknown>;
    for (const k of ['lastEpoch', 'baseLrs', 'lastLr', ...this.stateKeys()]) out[k] = copy(self[k]);
    return out;
  }

  /** Restores a stateDict of the same scheduler class; checked whole before anything changes. */
  loadStateDict(state: SchedulerStateDict): void {
    const op = `${this.kind}.loadStateDict`;
    if (!isPlainObject(state) || state.type !== this.kind) {
      throw new NerveError(
        op,
        `a state dict of a ${this.kind}`,
        isPlainObject(state) ? `one of type ${describeValue(state.type)}` : describeValue(state),
      );
    }
    const self = this as unknown as Record<string, unknown>;
    const keys = ['lastEpoch', 'baseLrs', 'lastLr', ...this.stateKeys()];
    for (const k of keys) {
      if (!(k in state) || !sameKind(self[k], state[k])) {
        throw new NerveError(op, `'${k}' like ${describeValue(self[k])}`, describeValue(state[k]));
      }
    }
    const saved = Object.fromEntries(keys.map((k) => [k, self[k]]));
    for (const k of keys) self[k] = copy(state[k]);
    try {
      checkInt(op, 'lastEpoch', this.lastEpoch, -1);
      const n = this.optimizer.paramGroups.length;
      for (const k of ['baseLrs', 'lastLr'] as const) {
        if (this[k].length !== n)
          throw new NerveError(op, `${k} for ${n} param groups`, describeValue(this[k]));
        checkNumbers(op, k, this[k]);
      }
      this.check(op);
    } catch (e) {
      Object.assign(self, saved);
      throw e;
    }
  }
}
