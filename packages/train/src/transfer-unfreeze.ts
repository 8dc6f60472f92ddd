/**
 * Gradual unfreezing (Howard & Ruder 2018, ULMFiT): finetune the new head
 * first while the pretrained layers stay frozen, then unfreeze them one
 * block at a time from the head backwards, so the large early gradients of
 * a random head do not wreck the pretrained features.
 */
import { NerveError, type Tensor, describeValue } from '@nerve/core';
import { type Module, type NamePattern, matchesPattern } from '@nerve/layers';
import type { Callback, TrainContext } from './callbacks.js';

/** Options of `GradualUnfreezing`. */
export interface GradualUnfreezingOptions {
  /**
   * The pretrained blocks to unfreeze, nearest the head first (e.g.
   * `['7', '3', '0']` or `['classifier', 'features.3', /^features\.0\./]`).
   * They are frozen when training begins; block i is unfrozen at the start
   * of epoch (i + 1)·every + 1. Whatever else is trainable (the new head)
   * trains from the first epoch.
   */
  blocks: readonly NamePattern[];
  /** Epochs between unfreezings (default 1). */
  every?: number;
  /** Learning rate of each unfrozen block's new param group: one for all, or by block index. */
  lr: number | ((block: number) => number);
  /** Further hyperparameters of the new groups (weightDecay, momentum, ...). */
  groupOptions?: Record<string, unknown>;
  /** Called with a line each time a block is unfrozen. */
  log?: (line: string) => void;
}

/**
 * A callback that unfreezes one more block every `every` epochs and adds its
 * parameters to the optimizer as a new param group with its own learning
 * rate (`optimizer.addParamGroup`). Build the optimizer from the trainable
 * parameters only (`model.trainableParameters()`, after freezing): a block
 * already in the optimizer is rejected, since it would not get its own lr.
 * BatchNorm layers in still-frozen blocks stay in evaluation mode.
 * Learning-rate schedulers record one base lr per group when they are
 * built and do not know groups added later, so do not combine the two.
 */
export class GradualUnfreezing implements Callback {
  /** The blocks to unfreeze, nearest the head first. */
  readonly blocks: readonly NamePattern[];
  /** Epochs between unfreezing one block and the next. */
  readonly every: number;
  /** Blocks unfrozen so far. */
  unfrozen = 0;
  private readonly lr: (block: number) => number;
  private readonly groupOptions: Record<string, unknown>;
  private readonly log?: (line: string) => void;
  private blockParams: Tensor[][] = [];

  constructor(opts: GradualUnfreezingOptions) {
    const op = 'GradualUnfreezing';
    if (opts === null || typeof opts !== 'object') {
      throw new NerveError(op, '{ blocks, every?, lr }', describeValue(opts));
    }
    const { blocks, every = 1, lr } = opts;
    if (!Array.isArray(blocks) || blocks.length === 0) {
      throw new NerveError(
        op,
        'blocks as a non-empty array of name patterns',
        describeValue(blocks),
      );
    }
    blocks.forEach((b, i) => {
      if (typeof b !== 'string' && !(b instanceof RegExp)) {
        throw new NerveError(op, `blocks[${i}] to be a string or RegExp`, describeValue(b));
      }
    });
    if (!Number.isInteger(every) || every < 1) {
      throw new NerveError(op, 'every as a positive integer', describeValue(every));
    }
    if (typeof lr !== 'function' && !(typeof lr === 'number' && Number.isFinite(lr) && lr >= 0)) {
      throw new NerveError(
        op,
        'lr as a number ≥ 0 or a function of the block index',
        describeValue(lr),
      );
    }
    this.blocks = [...blocks];
    this.every = every;
    this.lr = typeof lr === 'function' ? lr : () => lr;
    this.groupOptions = { ...(opts.groupOptions ?? {}) };
    this.log = opts.log;
  }

  /** How many blocks are unfrozen during `epoch` (1-based). */
  unfrozenAt(epoch: number): number {
    return Math.min(this.blocks.length, Math.floor((epoch - 1) / this.every));
  }

  /** Checks the blocks against the model and optimizer, then freezes them all. */
  onTrainBegin(ctx: TrainContext): void {
    const op = 'GradualUnfreezing';
    const named = ctx.model.namedParameters();
    const moduleNames = ctx.model.namedModules().map(([n]) => n);
    const inOptimizer = new Set<Tensor>(ctx.optimizer.paramGroups.flatMap((g) => g.params));
    const owner = new Map<Tensor, number>();
    const problems: string[] = [];
    this.blockParams = this.blocks.map((pattern, i) => {
      const params = named.filter(([n]) => matchesPattern(n, pattern)).map(([, p]) => p);
      if (params.length === 0 && !moduleNames.some((n) => n !== '' && matchesPattern(n, pattern))) {
        problems.push(`blocks[${i}] ${String(pattern)} matches nothing in the model`);
      }
      for (const p of params) {
        const j = owner.get(p);
        if (j !== undefined) {
          problems.push(
            `blocks[${j}] and blocks[${i}] both match a parameter; blocks must not overlap`,
          );
          break;
        }
        owner.set(p, i);
      }
      if (params.some((p) => inOptimizer.has(p))) {
        problems.push(
          `the optimizer already holds parameters of blocks[${i}] ${String(pattern)}; build it from model.trainableParameters() after freezing`,
        );
      }
      return params;
    });
    if (problems.length > 0) {
      const names = moduleNames.filter((n) => n !== '').join(', ');
      throw NerveError.raw(op, `${problems.join('; ')} (modules: ${names})`);
    }
    for (const pattern of this.blocks) ctx.model.freeze(pattern);
    this.unfrozen = 0;
  }

  /** Unfreezes the blocks due by `epoch` and hands their parameters to the optimizer. */
  onEpochBegin(epoch: number, ctx: TrainContext): void {
    const due = this.unfrozenAt(epoch);
    while (this.unfrozen < due) this.unfreezeBlock(this.unfrozen++, ctx.model, ctx);
  }

  private unfreezeBlock(i: number, model: Module, ctx: TrainContext): void {
    const lr = this.lr(i);
    if (!(typeof lr === 'number' && Number.isFinite(lr) && lr >= 0)) {
      throw new NerveError('GradualUnfreezing', `lr(${i}) to be a number ≥ 0`, describeValue(lr));
    }
    model.unfreeze(this.blocks[i]);
    const params = this.blockParams[i];
    if (params.length > 0) {
      ctx.optimizer.addParamGroup({ ...this.groupOptions, lr, params });
    }
    this.log?.(
      `GradualUnfreezing: unfroze ${String(this.blocks[i])} (${params.length} tensors, lr ${lr}) at epoch ${ctx.history.length + 1}`,
    );
  }
}
