/**
 * The types of optimizers' parameter groups and state dicts, below both the
 * Optimizer base (optimizer.ts) and the state-dict checks (state-check.ts),
 * which import them from here instead of from each other.
 */
import type { Tensor } from '@nerve/core';

/** A group of parameters sharing hyperparameters (lr, weightDecay and the optimizer's own). */
export interface ParamGroup {
  /** The parameters in this group. */
  params: Tensor[];
  /** The group's learning rate (schedulers change it). */
  lr: number;
  /** The group's weight decay. */
  weightDecay: number;
  [hyper: string]: unknown;
}

/** A group as passed in: hyperparameters left out take the optimizer's defaults. */
export interface ParamGroupOptions {
  /** The parameters in this group. */
  params: Tensor[];
  /** Learning rate; the optimizer's default when omitted. */
  lr?: number;
  /** Weight decay; the optimizer's default when omitted. */
  weightDecay?: number;
  [hyper: string]: unknown;
}

/** Parameters to optimize: one list (a single group) or a list of groups. */
export type Params = readonly Tensor[] | readonly ParamGroupOptions[];

/** One parameter's optimizer state: tensors (moments, buffers) and numbers (step counts). */
export type ParamState = Record<string, Tensor | number>;

/**
 * An optimizer's state, PyTorch's layout: `state` keyed by parameter index
 * (counted through the groups in order), `paramGroups` with every
 * hyperparameter and `params` as those indices. Tensors are copies owned by
 * the caller.
 */
export interface OptimizerStateDict {
  /** Per parameter index: its state (moments, buffers, step counts). */
  state: Record<number, ParamState>;
  /** Each group's hyperparameters, with `params` as parameter indices. */
  paramGroups: Array<{
    /** The group's parameters, as indices into `state`. */
    params: number[];
    [hyper: string]: unknown;
  }>;
}

/** The state keys an optimizer creates for a parameter. */
export interface StateSpec {
  /** Parameter-shaped tensors present in every non-empty state. */
  tensors: readonly string[];
  /** Numbers present in every non-empty state. */
  numbers: readonly string[];
  /** Parameter-shaped tensors that only some settings create. */
  optional: readonly string[];
}
