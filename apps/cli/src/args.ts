/**
 * Command-line flags: parsing and validation. Every problem is a UsageError,
 * which the CLI prints with the usage line and exits with code 2.
 */
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  override name = 'UsageError';
}

export const MODELS = ['mlp', 'cnn'] as const;
export const DATASETS = ['digits', 'fashion-mnist', 'spiral'] as const;
export const OPTIMIZERS = [
  'sgd',
  'momentum',
  'nesterov',
  'adagrad',
  'rmsprop',
  'adam',
  'adamw',
] as const;
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

export interface TrainArgs {
  dataset: (typeof DATASETS)[number];
  model: (typeof MODELS)[number];
  epochs: number;
  lr: number;
  batchSize: number;
  optimizer: (typeof OPTIMIZERS)[number];
  init: (typeof INITS)[number];
  activation: (typeof ACTIVATIONS)[number];
  batchnorm: boolean;
  seed: number;
  out?: string;
  json: boolean;
  dataDir?: string;
  /** Use only the first N training images (for quick runs on big data sets). */
  limit?: number;
  /** Where the network trains: the CPU backend or WebGPU. */
  backend: (typeof BACKENDS)[number];
  /** CPU backend threads for matmul and conv (default: one per core). */
  threads?: number;
}

export const BACKENDS = ['cpu', 'webgpu'] as const;

/** A flag whose value must be one of `allowed`. */
export function oneOf<T extends readonly string[]>(
  flag: string,
  v: string | undefined,
  allowed: T,
  fallback: T[number],
): T[number] {
  if (v === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(v)) {
    throw new UsageError(`--${flag}: expected one of ${allowed.join(', ')}, received '${v}'`);
  }
  return v as T[number];
}

/** A numeric flag within [min, max] (an integer when asked). */
export function numberFlag(
  flag: string,
  v: string | undefined,
  fallback: number,
  min: number,
  max: number,
  integer: boolean,
): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (
    v.trim() === '' ||
    !Number.isFinite(n) ||
    (integer && !Number.isInteger(n)) ||
    n < min ||
    n > max
  ) {
    throw new UsageError(
      `--${flag}: expected ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], received '${v}'`,
    );
  }
  return n;
}

type FlagSpec = Record<string, { type: 'string' | 'boolean' }>;

/** Parses flags strictly; an unknown or malformed flag is a UsageError. */
export function parseFlags(
  argv: string[],
  options: FlagSpec,
): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals: false, options })
      .values as Record<string, string | boolean | undefined>;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Parses `nerve train` flags; defaults train an MLP on the built-in digits. */
export function parseTrainArgs(argv: string[]): TrainArgs {
  const values = parseFlags(argv, {
    dataset: { type: 'string' },
    model: { type: 'string' },
    epochs: { type: 'string' },
    lr: { type: 'string' },
    'batch-size': { type: 'string' },
    optimizer: { type: 'string' },
    init: { type: 'string' },
    activation: { type: 'string' },
    batchnorm: { type: 'boolean' },
    seed: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
    'data-dir': { type: 'string' },
    limit: { type: 'string' },
    backend: { type: 'string' },
    threads: { type: 'string' },
  });
  const s = (k: string) => values[k] as string | undefined;
  const dataset = oneOf('dataset', s('dataset'), DATASETS, 'digits');
  const model = oneOf('model', s('model'), MODELS, 'mlp');
  const optimizer = oneOf('optimizer', s('optimizer'), OPTIMIZERS, 'adam');
  const defaults = trainDefaults(dataset, model, optimizer);
  if (s('out') !== undefined && !String(s('out')).endsWith('.safetensors')) {
    throw new UsageError(`--out: expected a path ending in .safetensors, received '${s('out')}'`);
  }
  return {
    dataset,
    model,
    optimizer,
    epochs: numberFlag('epochs', s('epochs'), defaults.epochs, 1, 10_000, true),
    lr: numberFlag('lr', s('lr'), defaults.lr, Number.MIN_VALUE, 10, false),
    batchSize: numberFlag('batch-size', s('batch-size'), defaults.batchSize, 1, 65_536, true),
    init: oneOf('init', s('init'), INITS, 'default'),
    activation: oneOf('activation', s('activation'), ACTIVATIONS, 'relu'),
    batchnorm: values.batchnorm === true,
    seed: numberFlag('seed', s('seed'), 0, 0, 2 ** 32 - 1, true),
    out: s('out'),
    json: values.json === true,
    dataDir: s('data-dir'),
    limit:
      s('limit') === undefined
        ? undefined
        : numberFlag('limit', s('limit'), 0, 1, 10_000_000, true),
    backend: oneOf('backend', s('backend'), BACKENDS, 'cpu'),
    threads:
      s('threads') === undefined ? undefined : numberFlag('threads', s('threads'), 1, 1, 240, true),
  };
}

/** Defaults chosen per data set and model so a bare `nerve train` is quick and good. */
export function trainDefaults(
  dataset: TrainArgs['dataset'],
  model: TrainArgs['model'],
  optimizer: TrainArgs['optimizer'],
): { epochs: number; lr: number; batchSize: number } {
  const sgdLike = optimizer === 'sgd' || optimizer === 'momentum' || optimizer === 'nesterov';
  const lr = sgdLike ? 0.05 : optimizer === 'adagrad' ? 0.05 : 1e-3;
  if (dataset === 'fashion-mnist') return { epochs: model === 'cnn' ? 4 : 10, lr, batchSize: 64 };
  if (dataset === 'spiral') return { epochs: 200, lr: sgdLike ? 0.5 : 1e-2, batchSize: 300 };
  return { epochs: model === 'cnn' ? 20 : 40, lr: sgdLike ? lr : 3e-3, batchSize: 32 };
}

export interface EvalArgs {
  checkpoint: string;
  dataset?: TrainArgs['dataset'];
  json: boolean;
  dataDir?: string;
}

export function parseEvalArgs(argv: string[]): EvalArgs {
  const values = parseFlags(argv, {
    checkpoint: { type: 'string' },
    dataset: { type: 'string' },
    json: { type: 'boolean' },
    'data-dir': { type: 'string' },
  });
  const checkpoint = values.checkpoint as string | undefined;
  if (!checkpoint)
    throw new UsageError(
      '--checkpoint: expected a path to a .safetensors file written by nerve train --out',
    );
  const ds = values.dataset as string | undefined;
  return {
    checkpoint,
    dataset: ds === undefined ? undefined : oneOf('dataset', ds, DATASETS, 'digits'),
    json: values.json === true,
    dataDir: values['data-dir'] as string | undefined,
  };
}
