/**
 * Flags several commands share, declared once (see commands.ts).
 */
import type { FlagDef } from './flags.js';
import { DATASETS, MODELS } from './names.js';

const SEED_MAX = 2 ** 32 - 1;

/** --json: JSON Lines on stdout. */
export const json: FlagDef = {
  name: 'json',
  kind: 'boolean',
  default: false,
  description:
    'JSON Lines on stdout: one event per epoch or trial, the summary last; errors as {"event":"error"}',
};
/** --data-dir: where the Fashion-MNIST files are. */
export const dataDir: FlagDef = {
  name: 'data-dir',
  kind: 'string',
  placeholder: 'DIR',
  description: 'a folder with the Fashion-MNIST IDX files (instead of the system copy)',
};
/** --seed. */
export const seed: FlagDef = {
  name: 'seed',
  kind: 'int',
  min: 0,
  max: SEED_MAX,
  default: 0,
  placeholder: 'N',
  description: 'random seed (data order and initial weights)',
};
/** --dataset, with a default or (eval) none. */
export const dataset = (dflt?: string): FlagDef => ({
  name: 'dataset',
  kind: 'choice',
  values: DATASETS,
  default: dflt,
  placeholder: 'NAME',
  description: 'data set',
  ...(dflt === undefined ? { defaultText: "the checkpoint's" } : {}),
});
/** --model. */
export const model: FlagDef = {
  name: 'model',
  kind: 'choice',
  values: MODELS,
  default: 'mlp',
  placeholder: 'NAME',
  description: 'network: a multilayer perceptron or a small convolutional network',
};
