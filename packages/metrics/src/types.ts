/**
 * The contract between monitors, `diagnose` and the training loop
 * (`@nerve/train`'s `fit`), as fixed in docs/api-plan.md.
 */
import type { Tensor } from '@nerve/core';

/** What one epoch of training produced; `fit` returns one per epoch. */
export interface EpochRecord {
  /** The epoch's number. */
  epoch: number;
  /** Mean training loss over the epoch's examples. */
  trainLoss: number;
  /** Training accuracy over the epoch, when measured. */
  trainAccuracy?: number;
  /** Loss on the validation data after the epoch, when given. */
  valLoss?: number;
  /** Accuracy on the validation data after the epoch, when given. */
  valAccuracy?: number;
  /** Learning rate of the first param group during the epoch. */
  lr?: number;
  /** The loss of every step, in order. */
  stepLosses?: number[];
  /** The union of every monitor's `endEpoch()` output (keys are already namespaced). */
  monitors?: Record<string, number>;
}

/**
 * What a monitor needs from an optimizer. `@nerve/optim`'s `Optimizer`
 * satisfies it structurally, so this package does not depend on optim's code.
 */
export interface OptimizerLike {
  /** The optimizer's parameter groups. */
  paramGroups: {
    /** The parameters this group updates. */
    params: Tensor[];
    /** The group's current learning rate. */
    lr: number;
  }[];
}

/**
 * What a monitor needs from a model. `@nerve/layers`' `Module` satisfies it
 * structurally, so this package does not depend on layers (as with
 * OptimizerLike and optim).
 */
export interface ModuleLike {
  /** Training mode (monitors measure only training passes). */
  readonly training: boolean;
  /** This module and its descendants with dotted names ('' for this one). */
  namedModules(): [string, ModuleLike][];
  /** Every parameter with its dotted name. */
  namedParameters(): [string, Tensor][];
  /** Calls `hook` after each forward pass of this module; returns its remover. */
  registerForwardHook(
    hook: (module: ModuleLike, inputs: readonly Tensor[], output: Tensor) => void,
  ): () => void;
}

/** A training-loop observer that turns hooks into numbers per epoch. */
export interface Monitor {
  /** Prefix of every key this monitor reports (`<name>/…`). */
  readonly name: string;
  /** Installs hooks on the model (and remembers the optimizer). */
  attach(model: ModuleLike, optimizer?: OptimizerLike): void;
  /** Called just before `optimizer.step()` (gradients are ready). */
  beforeStep?(): void;
  /** Called just after `optimizer.step()` with the step's loss. */
  afterStep?(loss: number): void;
  /**
   * Reads what the monitor measured on the device and has not read yet. On a
   * backend that cannot read synchronously (webgpu) monitors keep one small
   * tensor per measured step instead of reading it at once; the loop awaits
   * this together with its own reads of the step, and always before
   * `endEpoch`. On the cpu there is nothing to read and it resolves at once.
   */
  flush?(): Promise<void>;
  /** Numbers for the epoch that just ended; resets the per-epoch state. */
  endEpoch(): Record<string, number>;
  /** Removes every hook and frees what the monitor holds. */
  detach(): void;
}

/** One thing `diagnose` noticed, with advice a practitioner can act on. */
export interface Finding {
  /** A stable identifier of the kind of finding (e.g. for tests and filters). */
  code: string;
  /** How much it matters: 'error' means training went wrong. */
  severity: 'info' | 'warning' | 'error';
  /** What was noticed and what to do, in one or two sentences. */
  message: string;
  /** Which way the finding's advice moves the learning rate, if it does. */
  learningRate?: 'raise' | 'lower';
  /** The numbers behind the finding (e.g. initialLoss and expected), for programs. */
  details?: Record<string, number>;
}
