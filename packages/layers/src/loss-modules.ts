/**
 * The losses as modules (PyTorch's nn.CrossEntropyLoss, …): options fixed at
 * construction, `forward(input, target)`.
 */
import { type Tensor, noGrad } from '@nerve/core';
import { type Reduction, checkReduction, numberIn } from './loss-util.js';
import {
  type CrossEntropyOptions,
  type MultiMarginOptions,
  type ReductionOptions,
  crossEntropy,
  multiMarginLoss,
  nllLoss,
} from './losses.js';
import { Module } from './module.js';
import { type BceWithLogitsOptions, bceWithLogits, mseLoss } from './regression-losses.js';

/** Softmax cross-entropy (see `crossEntropy`). */
export class CrossEntropyLoss extends Module {
  constructor(
    /** The options given to the loss function on every call. */
    readonly options: CrossEntropyOptions = {},
  ) {
    super();
    checkReduction('CrossEntropyLoss', options.reduction);
    numberIn('CrossEntropyLoss', 'labelSmoothing', options.labelSmoothing ?? 0, 0, 1);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, this.options);
  }
}

/** Negative log-likelihood of log-probabilities (see `nllLoss`). */
export class NLLLoss extends Module {
  constructor(
    /** The options given to the loss function on every call. */
    readonly options: ReductionOptions = {},
  ) {
    super();
    checkReduction('NLLLoss', options.reduction);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, this.options);
  }
}

/** Mean squared error (see `mseLoss`). */
export class MSELoss extends Module {
  constructor(
    /** The options given to the loss function on every call. */
    readonly options: ReductionOptions = {},
  ) {
    super();
    checkReduction('MSELoss', options.reduction);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, this.options);
  }
}

/** Multiclass hinge loss (see `multiMarginLoss`). */
export class MultiMarginLoss extends Module {
  constructor(
    /** The options given to the loss function on every call. */
    readonly options: MultiMarginOptions = {},
  ) {
    super();
    checkReduction('MultiMarginLoss', options.reduction);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return multiMarginLoss(input, target, this.options);
  }
}

/**
 * Binary cross-entropy on logits (see `bceWithLogits`). A tensor posWeight or
 * weight is copied into the buffers `pos_weight` / `weight`, PyTorch's keys.
 */
export class BCEWithLogitsLoss extends Module {
  /** How the per-element losses are combined. */
  readonly reduction: Reduction;
  private readonly scalarPosWeight: number | undefined;

  constructor(options: BceWithLogitsOptions = {}) {
    super();
    this.reduction = checkReduction('BCEWithLogitsLoss', options.reduction);
    const { posWeight, weight } = options;
    if (typeof posWeight === 'number') this.scalarPosWeight = posWeight;
    else if (posWeight)
      this.registerBuffer(
        'pos_weight',
        noGrad(() => posWeight.clone()),
      );
    if (weight)
      this.registerBuffer(
        'weight',
        noGrad(() => weight.clone()),
      );
  }

  forward(input: Tensor, target: Tensor): Tensor {
    const bufs = Object.fromEntries(this.namedBuffers());
    const opts: BceWithLogitsOptions = { reduction: this.reduction };
    const pw = bufs.pos_weight ?? this.scalarPosWeight;
    if (pw !== undefined) opts.posWeight = pw;
    if (bufs.weight) opts.weight = bufs.weight;
    return bceWithLogits(input, target, opts);
  }
}
