/**
 * @nerve/optim: Optimizers, param groups, learning-rate schedules and gradient clipping for nerve.
 *
 * @module @nerve/optim
 */
export {
  Optimizer,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamGroupOptions,
  type ParamState,
  type Params,
  type StateSpec,
} from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adagrad, type AdagradOptions } from './adagrad.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export { clipGradNorm, clipGradValue, type ClipGradNormOptions } from './clip.js';
export {
  createOptimizer,
  OPTIMIZER_NAMES,
  type CreateOptimizerOptions,
  type OptimizerName,
} from './create.js';
export { LRScheduler, type SchedulerStateDict } from './schedulers/scheduler.js';
export { StepLR, type StepLROptions } from './schedulers/step-lr.js';
export { MultiStepLR, type MultiStepLROptions } from './schedulers/multi-step-lr.js';
export { ExponentialLR, type ExponentialLROptions } from './schedulers/exponential-lr.js';
export {
  CosineAnnealingLR,
  type CosineAnnealingLROptions,
} from './schedulers/cosine-annealing-lr.js';
export { LinearLR, type LinearLROptions } from './schedulers/linear-lr.js';
export { OneCycleLR, type OneCycleLROptions } from './schedulers/one-cycle-lr.js';
export {
  ReduceLROnPlateau,
  type ReduceLROnPlateauOptions,
} from './schedulers/reduce-lr-on-plateau.js';
export { SequentialLR } from './schedulers/sequential-lr.js';
export { ChainedScheduler } from './schedulers/chained-scheduler.js';
