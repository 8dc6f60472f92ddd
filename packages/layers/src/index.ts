/**
 * @nerve/layers: modules, layers, activations (incl. Maxout), losses and
 * safetensors state dicts.
 *
 * @module @nerve/layers
 */
export * from './module.js';
export { Linear, type LinearOptions, type LayerInit, defaultLayerInit } from './linear.js';
export { Conv2d, type Conv2dLayerOptions } from './conv.js';
export {
  MaxPool2d,
  AvgPool2d,
  GlobalAvgPool2d,
  AdaptiveAvgPool2d,
  Flatten,
  type MaxPool2dOptions,
  type AvgPool2dOptions,
} from './pooling.js';
export { Dropout, type DropoutOptions } from './dropout.js';
export {
  Activation,
  Identity,
  Sigmoid,
  Tanh,
  ReLU,
  ReLU6,
  LeakyReLU,
  PReLU,
  ELU,
  SELU,
  GELU,
  SiLU,
  Softplus,
} from './activations.js';
export { Maxout } from './maxout.js';
export { activationModule, ACTIVATION_NAMES } from './activation-module.js';
export type { Reduction } from './loss-util.js';
export {
  crossEntropy,
  nllLoss,
  multiMarginLoss,
  type CrossEntropyOptions,
  type MultiMarginOptions,
  type ReductionOptions,
} from './losses.js';
export {
  mseLoss,
  bceWithLogits,
  l2Penalty,
  type BceWithLogitsOptions,
} from './regression-losses.js';
export {
  CrossEntropyLoss,
  NLLLoss,
  MSELoss,
  MultiMarginLoss,
  BCEWithLogitsLoss,
} from './loss-modules.js';
export * from './safetensors.js';
