/**
 * The flags of `nerve train` and `nerve eval` (see commands.ts).
 */
import { dataDir, dataset, json, model, seed } from './flags-common.js';
import type { CommandDef } from './flags.js';
import { ACTIVATIONS, BACKENDS, INITS, OPTIMIZERS } from './names.js';

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
