/**
 * Every command's flags, declared once. Parsing, validation, "did you mean"
 * and `nerve <command> --help` are all generated from these tables.
 */
import type { CommandDef, FlagDef } from './flags.js';
import { ACTIVATIONS, BACKENDS, DATASETS, INITS, MODELS, OPTIMIZERS, SEARCHES } from './names.js';

const SEED_MAX = 2 ** 32 - 1;

const json: FlagDef = {
  name: 'json',
  kind: 'boolean',
  default: false,
  description:
    'JSON Lines on stdout: one event per epoch or trial, the summary last; errors as {"event":"error"}',
};
const dataDir: FlagDef = {
  name: 'data-dir',
  kind: 'string',
  placeholder: 'DIR',
  description: 'a folder with the Fashion-MNIST IDX files (instead of the system copy)',
};
const seed: FlagDef = {
  name: 'seed',
  kind: 'int',
  min: 0,
  max: SEED_MAX,
  default: 0,
  placeholder: 'N',
  description: 'random seed (data order and initial weights)',
};
const dataset = (dflt?: string): FlagDef => ({
  name: 'dataset',
  kind: 'choice',
  values: DATASETS,
  default: dflt,
  placeholder: 'NAME',
  description: 'data set',
  ...(dflt === undefined ? { defaultText: "the checkpoint's" } : {}),
});
const model: FlagDef = {
  name: 'model',
  kind: 'choice',
  values: MODELS,
  default: 'mlp',
  placeholder: 'NAME',
  description: 'network: a multilayer perceptron or a small convolutional network',
};

/** `nerve train`. */
export const TRAIN: CommandDef = {
  name: 'train',
  summary: 'train a network (default: an MLP on the built-in digits)',
  flags: [
    dataset('digits'),
    model,
    {
      name: 'epochs',
      kind: 'int',
      min: 1,
      max: 10_000,
      placeholder: 'N',
      defaultText:
        '40 (digits MLP), 20 (digits CNN), 10 / 4 (fashion-mnist MLP / CNN), 200 (spiral)',
      description: 'passes over the training data',
    },
    {
      name: 'lr',
      kind: 'number',
      min: 0,
      exclusiveMin: true,
      max: 10,
      placeholder: 'X',
      defaultText:
        '3e-3 (digits), 1e-3 (fashion-mnist), 1e-2 (spiral); sgd, momentum, nesterov 0.05 (spiral 0.5); adagrad on fashion-mnist 0.05',
      description: 'learning rate',
    },
    {
      name: 'batch-size',
      kind: 'int',
      min: 1,
      max: 65_536,
      placeholder: 'N',
      defaultText: '32 (digits), 64 (fashion-mnist), 300 (spiral)',
      description: 'examples per step',
    },
    {
      name: 'optimizer',
      kind: 'choice',
      values: OPTIMIZERS,
      default: 'adam',
      placeholder: 'NAME',
      description: 'optimizer',
    },
    {
      name: 'init',
      kind: 'choice',
      values: INITS,
      default: 'default',
      placeholder: 'NAME',
      description: "weight initializer ('default' keeps each layer's PyTorch default)",
    },
    {
      name: 'activation',
      kind: 'choice',
      values: ACTIVATIONS,
      default: 'relu',
      placeholder: 'NAME',
      description: 'hidden activation',
    },
    {
      name: 'batchnorm',
      kind: 'boolean',
      default: false,
      description: 'batch normalization after each hidden layer',
    },
    seed,
    {
      name: 'out',
      kind: 'string',
      placeholder: 'FILE.safetensors',
      description: 'save a checkpoint (its folder is checked for writing before training starts)',
    },
    dataDir,
    {
      name: 'limit',
      kind: 'int',
      min: 1,
      max: 10_000_000,
      placeholder: 'N',
      description: 'use only the first N training images (quick runs on big data sets)',
    },
    {
      name: 'backend',
      kind: 'choice',
      values: BACKENDS,
      default: 'cpu',
      placeholder: 'NAME',
      description: 'where the network trains',
    },
    {
      name: 'threads',
      kind: 'int',
      min: 1,
      max: 240,
      placeholder: 'N',
      defaultText: 'one per core',
      description: 'CPU matmul/conv threads (more than the cores: a warning, then capped)',
    },
    json,
  ],
  notes: ['Ctrl-C stops after the current batch, exits 130 and writes nothing to --out.'],
};

/** `nerve eval`. */
export const EVAL: CommandDef = {
  name: 'eval',
  summary: "evaluate a checkpoint on its data set's test split",
  flags: [
    {
      name: 'checkpoint',
      kind: 'string',
      placeholder: 'FILE.safetensors',
      defaultText: 'required',
      description: 'a checkpoint written by nerve train --out',
    },
    dataset(),
    dataDir,
    json,
  ],
};

const range = (name: string, what: string, dflt: string): FlagDef => ({
  name,
  kind: 'string',
  placeholder: 'LOW:HIGH',
  defaultText: dflt,
  description: `${what} range (searched in log space)`,
});

/** `nerve tune`. */
export const TUNE: CommandDef = {
  name: 'tune',
  summary: 'hyperparameter search for the digits MLP',
  flags: [
    {
      name: 'search',
      kind: 'choice',
      values: SEARCHES,
      default: 'random',
      placeholder: 'NAME',
      description: 'how configurations are chosen',
    },
    {
      name: 'trials',
      kind: 'int',
      min: 1,
      max: 10_000,
      placeholder: 'N',
      defaultText: '20',
      description:
        'trials of random / coarse-to-fine search (not with grid: the grid size is set by --grid-steps)',
    },
    {
      name: 'grid-steps',
      kind: 'int',
      min: 2,
      max: 100,
      default: 3,
      placeholder: 'N',
      description:
        'grid search: values per numeric parameter (grid size = product over parameters)',
    },
    {
      name: 'workers',
      kind: 'int',
      min: 1,
      max: 64,
      default: 1,
      placeholder: 'N',
      description: 'trials in parallel on worker threads',
    },
    {
      name: 'study',
      kind: 'string',
      placeholder: 'FILE.jsonl',
      description:
        'append trials to this file and resume from it (locked: a second process on it is refused)',
    },
    { name: 'halving', kind: 'boolean', default: false, description: 'ASHA early stopping' },
    {
      name: 'patience',
      kind: 'int',
      min: 1,
      max: 1000,
      placeholder: 'N',
      description: 'stop a trial after N epochs without improvement',
    },
    {
      name: 'epochs',
      kind: 'int',
      min: 1,
      max: 1000,
      default: 10,
      placeholder: 'N',
      description: 'epochs per trial',
    },
    seed,
    {
      name: 'space',
      kind: 'string',
      placeholder: 'FILE.json',
      description:
        'search space from JSON: {"lr": {"type": "logUniform", "low": 1e-4, "high": 0.1}}',
    },
    range('lr', 'learning-rate', '1e-4:1e-1'),
    range('weight-decay', 'weight-decay', '1e-6:1e-2'),
    range('hidden', 'hidden-width', '16:128'),
    {
      name: 'batch-size',
      kind: 'string',
      placeholder: 'N,N,...',
      defaultText: '32,64',
      description: 'batch sizes to choose from',
    },
    {
      name: 'optimizer',
      kind: 'string',
      placeholder: 'NAME,...',
      defaultText: 'adam',
      description: `optimizers to choose from (${OPTIMIZERS.join(', ')})`,
    },
    json,
  ],
  notes: ['Ctrl-C exits 130; finished trials stay in --study and a rerun resumes.'],
};

/** `nerve lr-find` (its parser lives in lr-find-command.ts; its defaults are read from it). */
export const LR_FIND: CommandDef = {
  name: 'lr-find',
  summary: 'the learning-rate range test (Smith 2017)',
  flags: [
    { ...dataset('digits'), default: undefined },
    { ...model, default: undefined },
    {
      name: 'optimizer',
      kind: 'choice',
      values: OPTIMIZERS,
      placeholder: 'NAME',
      description: 'optimizer',
    },
    {
      name: 'activation',
      kind: 'choice',
      values: ACTIVATIONS,
      placeholder: 'NAME',
      description: 'hidden activation',
    },
    {
      name: 'batchnorm',
      kind: 'boolean',
      description: 'batch normalization after each hidden layer',
    },
    {
      name: 'start-lr',
      kind: 'number',
      min: 0,
      exclusiveMin: true,
      placeholder: 'X',
      description: 'first learning rate',
    },
    {
      name: 'end-lr',
      kind: 'number',
      min: 0,
      exclusiveMin: true,
      placeholder: 'X',
      description: 'last learning rate',
    },
    { name: 'steps', kind: 'int', min: 10, placeholder: 'N', description: 'steps of the sweep' },
    { name: 'batch-size', kind: 'int', min: 1, placeholder: 'N', description: 'examples per step' },
    { ...seed, default: undefined },
    dataDir,
    json,
  ],
};

/** `nerve finetune`. */
export const FINETUNE: CommandDef = {
  name: 'finetune',
  summary:
    'transfer learning on Fashion-MNIST: pretrain on classes 0-4 (or --from FILE), finetune to 5-9 from a few labelled images, compare with training from scratch',
  flags: [
    {
      name: 'from',
      kind: 'string',
      placeholder: 'FILE.safetensors',
      description: 'a pretrained network (instead of pretraining now)',
    },
    {
      name: 'save-pretrained',
      kind: 'string',
      placeholder: 'FILE.safetensors',
      description: 'save the network pretrained now (folder checked before training)',
    },
    {
      name: 'freeze',
      kind: 'choice',
      values: ['backbone', 'none'],
      placeholder: 'WHAT',
      defaultText: 'both compared',
      description: 'backbone: train a new head on frozen convolutions; none: finetune everything',
    },
    {
      name: 'new-classes',
      kind: 'string',
      default: '5-9',
      placeholder: '5-9',
      description: 'the classes to transfer to (the pretrained network knows 0-4)',
    },
    {
      name: 'seeds',
      kind: 'string',
      default: '0,1,2,3,4',
      placeholder: 'N,N,...',
      description: 'seeds of the repeated comparison',
    },
    {
      name: 'shots',
      kind: 'int',
      min: 1,
      max: 5000,
      default: 20,
      placeholder: 'N',
      description: 'labelled images per new class',
    },
    {
      name: 'epochs',
      kind: 'int',
      min: 1,
      max: 1000,
      default: 20,
      placeholder: 'N',
      description: 'epochs on the few shots',
    },
    {
      name: 'pretrain-images',
      kind: 'int',
      min: 100,
      max: 30_000,
      default: 10_000,
      placeholder: 'N',
      description: 'images of classes 0-4 to pretrain on',
    },
    {
      name: 'pretrain-epochs',
      kind: 'int',
      min: 1,
      max: 100,
      default: 2,
      placeholder: 'N',
      description: 'pretraining epochs',
    },
    dataDir,
    json,
  ],
};

/** All commands, in the order the general help lists them. */
export const COMMANDS: readonly CommandDef[] = [TRAIN, EVAL, TUNE, LR_FIND, FINETUNE];
