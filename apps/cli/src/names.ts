/**
 * The names the CLI offers for data sets, models, optimizers, activations,
 * initializers and backends. Optimizers come from @nerve/optim's registry;
 * activations and initializers are a curated subset of those of
 * @nerve/layers and @nerve/init (a test checks they stay a subset).
 */
import { OPTIMIZER_NAMES } from '@nerve/optim';

/** The torchvision-style networks of @nerve/models the CLI offers (torchvision's names). */
export const ZOO_MODELS = ['resnet18', 'resnet34', 'mobilenet_v2', 'vgg_small', 'lenet5'] as const;
/** Models `nerve train` builds: nerve's own MLP and small CNN, and the @nerve/models ones. */
export const MODELS = ['mlp', 'cnn', ...ZOO_MODELS] as const;
/** Data sets the CLI loads. */
export const DATASETS = ['digits', 'fashion-mnist', 'spiral'] as const;
/** Optimizers by name (createOptimizer's registry). */
export const OPTIMIZERS = OPTIMIZER_NAMES;
/** Activations offered (aliases and identity left out: they are not useful hidden activations). */
export const ACTIVATIONS = [
  'relu',
  'leakyRelu',
  'elu',
  'selu',
  'gelu',
  'silu',
  'tanh',
  'sigmoid',
  'maxout',
] as const;
/** Initializers offered ('default' keeps each layer's PyTorch default; zeros/ones are left out). */
export const INITS = [
  'default',
  'small',
  'xavier',
  'xavierNormal',
  'he',
  'heUniform',
  'lecun',
  'orthogonal',
] as const;
/** Where training runs. */
export const BACKENDS = ['cpu', 'webgpu'] as const;
/** The search strategies of `nerve tune`. */
export const SEARCHES = ['random', 'grid', 'coarse-to-fine'] as const;
