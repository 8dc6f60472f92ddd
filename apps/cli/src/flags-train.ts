/**
 * The flags of `nerve train` and `nerve eval` (see commands.ts).
 */
import {
  checkpointFlag,
  dataDir,
  dataset,
  dropoutFlag,
  imageFlags,
  json,
  model,
  seed,
  tableFlags,
} from './flags-common.js';
import type { CommandDef } from './flags.js';
import { ACTIVATIONS, BACKENDS, INITS, OPTIMIZERS } from './names.js';

/** Bounds of --depth and of each hidden width (10 layers of 500 is the lecture's deep net). */
export const MAX_DEPTH = 1000;
export const MAX_WIDTH = 16_384;

/** `nerve train`. */
export const TRAIN: CommandDef = {
  name: 'train',
  summary: 'train a network (default: an MLP on the built-in digits)',
  flags: [
    dataset('digits'),
    ...tableFlags,
    ...imageFlags,
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
    {
      name: 'hidden',
      kind: 'string',
      placeholder: 'N,N,...',
      defaultText: '128,64 (digits), 256,128 (fashion-mnist), 100 (spiral)',
      description: 'hidden layer widths of the MLP, input side first (--model mlp only)',
    },
    {
      name: 'depth',
      kind: 'int',
      min: 1,
      max: MAX_DEPTH,
      placeholder: 'N',
      description: 'N hidden layers of --width units each (shorthand for --hidden W,W,…)',
    },
    {
      name: 'width',
      kind: 'int',
      min: 1,
      max: MAX_WIDTH,
      placeholder: 'W',
      description: 'units per hidden layer, with --depth',
    },
    dropoutFlag('drop probability of a Dropout after each hidden activation (0: none)'),
    {
      name: 'weight-decay',
      kind: 'number',
      min: 0,
      max: 10,
      placeholder: 'λ',
      defaultText: "the optimizer's: 0, adamw 0.01",
      description:
        "weight decay λ, passed to the optimizer (L2 in the gradient; adamw's is decoupled)",
    },
    {
      name: 'train-examples',
      kind: 'int',
      min: 1,
      max: 10_000_000,
      placeholder: 'N',
      description:
        'train on exactly N examples of the training split, the same for every seed and stratified by class',
    },
    seed,
    {
      name: 'out',
      kind: 'string',
      placeholder: 'FILE.safetensors',
      description: 'save a checkpoint (its folder is checked for writing before training starts)',
    },
    {
      name: 'report',
      kind: 'string',
      placeholder: 'FILE.html',
      description:
        'a self-contained HTML report: loss, accuracy, learning rate, update/weight ratios, activation histograms, diagnosis',
    },
    {
      name: 'log',
      kind: 'string',
      placeholder: 'FILE.csv',
      description:
        "each epoch's metrics as CSV or JSON Lines (by extension: .csv, .jsonl), on disk at the end of each epoch",
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
  notes: [
    'Ctrl-C stops after the current batch, exits 130 and writes nothing to --out or --report; --log keeps the epochs that finished.',
  ],
};

/** `nerve eval`. */
export const EVAL: CommandDef = {
  name: 'eval',
  summary: "evaluate a checkpoint on its data set's test split",
  flags: [checkpointFlag('a checkpoint written by nerve train --out'), dataset(), dataDir, json],
};
