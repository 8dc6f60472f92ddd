/**
 * Flags several commands share, declared once (see commands.ts).
 */
import type { FlagDef } from './flags.js';
import { ACTIVATIONS, DATASETS, INITS, MODELS } from './names.js';

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
  description:
    'network: a multilayer perceptron, a small convolutional network, or a torchvision-named one of @nerve/models (their layers are fixed: the architecture flags are for mlp and cnn)',
};

/** --delimiter of a CSV file. */
export const delimiterFlag: FlagDef = {
  name: 'delimiter',
  kind: 'choice',
  values: [',', ';', 'tab'],
  placeholder: 'SEP',
  defaultText: 'detected from the header row',
  description: 'the field separator',
};

/** --dropout of every hidden activation. */
export const dropoutFlag = (description: string): FlagDef => ({
  name: 'dropout',
  kind: 'number',
  min: 0,
  max: 0.99,
  default: 0,
  placeholder: 'P',
  description,
});

/** The flags of a table of the user's own (--csv), shared by train and predict. */
export const tableFlags: readonly FlagDef[] = [
  {
    name: 'csv',
    kind: 'string',
    placeholder: 'FILE.csv',
    description:
      'your own table: a CSV file (optionally .gz) with a header row, `,` `;` or tab separated, quoted fields allowed (instead of --dataset)',
  },
  {
    name: 'label',
    kind: 'string',
    placeholder: 'COLUMN',
    defaultText: 'required with --csv',
    description:
      'the column to predict: class names or numbers (a regression target with --task regression)',
  },
  {
    name: 'task',
    kind: 'choice',
    values: ['classification', 'regression'],
    default: 'classification',
    placeholder: 'KIND',
    description:
      'classification (cross-entropy, accuracy) or regression (mean squared error, RMSE)',
  },
  {
    name: 'missing',
    kind: 'choice',
    values: ['refuse', 'mean'],
    default: 'refuse',
    placeholder: 'HOW',
    description:
      'missing cells (empty, NA, NaN, ?): refuse them naming line and column, or fill with the training rows’ mean (most frequent category)',
  },
  {
    name: 'categorical',
    kind: 'string',
    placeholder: 'A,B',
    description:
      'columns to one-hot encode even though they hold numbers (columns with any text are one-hot already)',
  },
  {
    name: 'ignore',
    kind: 'string',
    placeholder: 'A,B',
    description: 'columns to leave out (an id, a free-text note)',
  },
  delimiterFlag,
];

/** --checkpoint, required, described for the command at hand. */
export const checkpointFlag = (description: string): FlagDef => ({
  name: 'checkpoint',
  kind: 'string',
  placeholder: 'FILE.safetensors',
  defaultText: 'required',
  description,
});

/** The flags of a folder of images of the user's own (--images), shared by train, tune and predict. */
export const imageFlags: readonly FlagDef[] = [
  {
    name: 'images',
    kind: 'string',
    placeholder: 'DIR',
    description:
      'your own images: one subfolder per class of PNG or JPEG files (instead of --dataset)',
  },
  {
    name: 'size',
    kind: 'int',
    min: 4,
    max: 512,
    default: 32,
    placeholder: 'N',
    description: 'with --images: the shorter side is resized to N and the centre N×N square kept',
  },
  {
    name: 'grayscale',
    kind: 'boolean',
    default: false,
    description: 'with --images: one luma channel instead of RGB',
  },
  {
    name: 'random-crop',
    kind: 'int',
    min: 1,
    max: 64,
    placeholder: 'PAD',
    description:
      'with --images (CNN, CPU): augment training images with crops from a PAD-pixel zero-padded copy',
  },
  {
    name: 'flip',
    kind: 'boolean',
    default: false,
    description: 'with --images (CNN, CPU): augment training images with left-right flips',
  },
];

/** Bounds of --depth and of each hidden width (10 layers of 500 is the lecture's deep net). */
export const MAX_DEPTH = 1000;
export const MAX_WIDTH = 16_384;

/**
 * The flags that shape the network beside --model, shared by train, lr-find
 * and finetune (tune searches --hidden and keeps its own --depth).
 */
export const architectureFlags: readonly FlagDef[] = [
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
];
