/**
 * The flags of `nerve train` and `nerve eval` (see commands.ts).
 */
import {
  architectureFlags,
  checkpointFlag,
  dataDir,
  dataset,
  delimiterFlag,
  imageFlags,
  json,
  model,
  seed,
  tableFlags,
} from './flags-common.js';
import type { CommandDef } from './flags.js';
import { BACKENDS, OPTIMIZERS } from './names.js';

export { MAX_DEPTH, MAX_WIDTH } from './flags-common.js';

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
    ...architectureFlags,
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
  flags: [
    checkpointFlag('a checkpoint written by nerve train --out (or nerve finetune --out)'),
    dataset(),
    dataDir,
    {
      name: 'csv',
      kind: 'string',
      placeholder: 'FILE.csv',
      description:
        "labelled rows to score, prepared with the checkpoint's encoding and standardization (a checkpoint trained with --csv)",
    },
    {
      name: 'images',
      kind: 'string',
      placeholder: 'DIR',
      description:
        'labelled images to score, one subfolder per class, resized and standardized as in training (a checkpoint trained with --images)',
    },
    delimiterFlag,
    json,
  ],
  notes: [
    "Without --csv or --images: the test split of the checkpoint's data set (or --dataset), prepared as training prepared it.",
  ],
};
