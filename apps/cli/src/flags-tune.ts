/**
 * The flags of `nerve tune`, `nerve lr-find` and `nerve finetune` (see commands.ts).
 */
import {
  architectureFlags,
  dataDir,
  dataset,
  dropoutFlag,
  imageFlags,
  json,
  model,
  seed,
  tableFlags,
} from './flags-common.js';
import type { CommandDef, FlagDef } from './flags.js';
import { ACTIVATIONS, INITS, OPTIMIZERS, SEARCHES } from './names.js';

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
  summary: 'hyperparameter search (default: the digits MLP; any data and model nerve train takes)',
  flags: [
    dataset('digits'),
    ...tableFlags,
    ...imageFlags,
    dataDir,
    model,
    {
      name: 'activation',
      kind: 'choice',
      values: ACTIVATIONS,
      default: 'relu',
      placeholder: 'NAME',
      description: 'hidden activation (fixed for the study)',
    },
    {
      name: 'init',
      kind: 'choice',
      values: INITS,
      default: 'default',
      placeholder: 'NAME',
      description: 'weight initializer (fixed for the study)',
    },
    {
      name: 'batchnorm',
      kind: 'boolean',
      default: false,
      description: 'batch normalization after each hidden layer',
    },
    dropoutFlag('drop probability after each hidden activation (fixed for the study)'),
    {
      name: 'depth',
      kind: 'int',
      min: 1,
      max: 100,
      default: 1,
      placeholder: 'N',
      description: 'hidden layers of the MLP, each as wide as the searched --hidden',
    },
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
    {
      name: 'report',
      kind: 'string',
      placeholder: 'FILE.html',
      description:
        "a self-contained HTML report: the objective against each hyperparameter, best so far, ASHA's rungs",
    },
    range('lr', 'learning-rate', '1e-4:1e-1'),
    range('weight-decay', 'weight-decay', '1e-6:1e-2'),
    range('hidden', 'hidden-width (MLP)', '16:128'),
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

/** `nerve lr-find` (its defaults, where they depend on other flags, are read from its parser). */
export const LR_FIND: CommandDef = {
  name: 'lr-find',
  summary: 'the learning-rate range test (Smith 2017), on any data and model nerve train takes',
  flags: [
    { ...dataset('digits'), default: undefined },
    ...tableFlags.map((f) => ({ ...f, default: undefined })),
    ...imageFlags,
    dataDir,
    { ...model, default: undefined },
    ...architectureFlags,
    {
      name: 'optimizer',
      kind: 'choice',
      values: OPTIMIZERS,
      placeholder: 'NAME',
      description: 'optimizer',
    },
    {
      name: 'start-lr',
      kind: 'number',
      min: 0,
      exclusiveMin: true,
      max: 100,
      placeholder: 'X',
      description: 'first learning rate',
    },
    {
      name: 'end-lr',
      kind: 'number',
      min: 0,
      exclusiveMin: true,
      max: 1000,
      placeholder: 'X',
      description: 'last learning rate',
    },
    {
      name: 'steps',
      kind: 'int',
      min: 10,
      max: 100_000,
      placeholder: 'N',
      description: 'steps of the sweep',
    },
    {
      name: 'batch-size',
      kind: 'int',
      min: 1,
      max: 65_536,
      placeholder: 'N',
      description: 'examples per step',
    },
    { ...seed, default: undefined },
    {
      name: 'report',
      kind: 'string',
      placeholder: 'FILE.html',
      description:
        'a self-contained HTML report: the loss against the learning rate, the suggestion',
    },
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
