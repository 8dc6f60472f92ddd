/**
 * Flags of `nerve train` and `nerve eval`, parsed from the tables in
 * commands.ts, plus the helpers other commands' parsers use. Every problem
 * is a UsageError: the CLI prints it with a usage hint and exits with code 2.
 */
import { metricsLogFormat } from '@nerve/train';
import { EVAL, TRAIN } from './commands.js';
import { MAX_DEPTH, MAX_WIDTH } from './flags-common.js';
import { isHtmlPath } from './out-path.js';
import {
  type FlagDef,
  UsageError,
  choiceValue,
  numericValue,
  parseCommand,
  parseRaw,
} from './flags.js';
import { ACTIVATIONS, BACKENDS, DATASETS, INITS, MODELS, OPTIMIZERS } from './names.js';

export { UsageError, ACTIVATIONS, BACKENDS, DATASETS, INITS, MODELS, OPTIMIZERS };

/**
 * Where the examples come from, as every command that trains or evaluates
 * reads it: a built-in data set, or the user's own table or image folder.
 */
export interface DataArgs {
  dataset: (typeof DATASETS)[number];
  /** A folder with the Fashion-MNIST files (instead of the system copy). */
  dataDir?: string;
  /** A table of the user's own (--csv), instead of a built-in data set. */
  table?: TableArgs;
  /** A folder of images of the user's own (--images), instead of a built-in data set. */
  images?: ImageArgs;
}

/** The network's shape beside the data: --model and the architecture flags. */
export interface ArchArgs {
  model: (typeof MODELS)[number];
  init: (typeof INITS)[number];
  activation: (typeof ACTIVATIONS)[number];
  batchnorm: boolean;
  /** Hidden widths of the MLP (from --hidden or --depth/--width); the data set's default when absent. */
  hidden?: number[];
  /** Drop probability of the Dropout after each hidden activation (0: none). */
  dropout: number;
}

export interface TrainArgs extends DataArgs, ArchArgs {
  epochs: number;
  lr: number;
  batchSize: number;
  optimizer: (typeof OPTIMIZERS)[number];
  seed: number;
  out?: string;
  /** A self-contained HTML report of the run. */
  report?: string;
  /** A CSV or JSON Lines file for each epoch's metrics. */
  log?: string;
  json: boolean;
  /** Use only the first N training images (for quick runs on big data sets). */
  limit?: number;
  /** Where the network trains: the CPU backend or WebGPU. */
  backend: (typeof BACKENDS)[number];
  /** CPU backend threads for matmul and conv (default: one per core). */
  threads?: number;
  /** Weight decay passed to the optimizer; the optimizer's default when absent. */
  weightDecay?: number;
  /** Train on exactly this many examples of the training split (stratified, fixed). */
  trainExamples?: number;
}

/** The data flags of a command (dataArgs: --dataset, --data-dir, --csv…, --images…), checked. */
export function dataArgs(
  v: Record<string, unknown>,
  argv: readonly string[],
  command: string,
): DataArgs {
  const table = tableArgs(v, argv, command);
  const images = imageArgs(v, argv, command);
  const dataDir = v['data-dir'] as string | undefined;
  return {
    dataset: (v.dataset as DataArgs['dataset'] | undefined) ?? 'digits',
    ...(dataDir === undefined ? {} : { dataDir }),
    ...(table === undefined ? {} : { table }),
    ...(images === undefined ? {} : { images }),
  };
}

/** The architecture flags of a command (the table's architectureFlags), checked. */
export function archArgs(v: Record<string, unknown>, command: string): ArchArgs {
  const model = (v.model as ArchArgs['model'] | undefined) ?? 'mlp';
  const hidden = hiddenWidths(v, model, command);
  if (model !== 'mlp' && model !== 'cnn') {
    // A network of @nerve/models has torchvision's layers: nothing to choose.
    const set = [
      v.activation !== undefined && v.activation !== 'relu' && 'activation',
      v.init !== undefined && v.init !== 'default' && 'init',
      v.batchnorm === true && 'batchnorm',
      typeof v.dropout === 'number' && v.dropout > 0 && 'dropout',
    ].find(Boolean);
    if (set) {
      throw new UsageError(
        `--${set}: expected --model mlp or cnn (${model} has torchvision's layers), received --model ${model}`,
        command,
      );
    }
  }
  return {
    model,
    init: (v.init as ArchArgs['init'] | undefined) ?? 'default',
    activation: (v.activation as ArchArgs['activation'] | undefined) ?? 'relu',
    batchnorm: v.batchnorm === true,
    ...(hidden === undefined ? {} : { hidden }),
    dropout: (v.dropout as number | undefined) ?? 0,
  };
}

/** --images and how to read them. */
export interface ImageArgs {
  dir: string;
  size: number;
  channels: 1 | 3;
  /** Augmentation of the training images: crop padding (0: none) and flips. */
  augment: { padding: number; flip: boolean };
}

/**
 * The image flags of a command (undefined without --images), refusing a
 * folder of images together with a built-in data set or a table, and the
 * image flags without a folder.
 */
export function imageArgs(
  v: Record<string, unknown>,
  argv: readonly string[],
  command: string,
): ImageArgs | undefined {
  const fail = (message: string) => new UsageError(message, command);
  const dir = v.images as string | undefined;
  if (dir === undefined) {
    for (const f of ['size', 'grayscale', 'random-crop', 'flip']) {
      if (given(argv, f))
        throw fail(`--${f}: expected --images too (it says how to read your images)`);
    }
    return undefined;
  }
  for (const f of ['dataset', 'data-dir', 'csv']) {
    if (given(argv, f))
      throw fail(`--images: expected without --${f} (the folder is the data set)`);
  }
  const augment = { padding: (v['random-crop'] as number | undefined) ?? 0, flip: v.flip === true };
  if (augment.padding > 0 || augment.flip) {
    const flag = augment.padding > 0 ? 'random-crop' : 'flip';
    if (v.model === undefined || v.model === 'mlp') {
      throw fail(
        `--${flag}: expected --model cnn or another convolutional one (it moves pixels of [C, H, W] images), received --model ${v.model ?? 'mlp'}`,
      );
    }
    if (v.backend !== undefined && v.backend !== 'cpu') {
      throw fail(
        `--${flag}: expected --backend cpu (augmentation reads the batch on the host), received --backend ${v.backend}`,
      );
    }
  }
  return {
    dir,
    size: (v.size as number | undefined) ?? 32,
    channels: v.grayscale === true ? 1 : 3,
    augment,
  };
}

/** --csv and the flags that say how to read it. */
export interface TableArgs {
  path: string;
  label: string;
  task: 'classification' | 'regression';
  missing: 'refuse' | 'mean';
  categorical: string[];
  ignore: string[];
  delimiter?: ',' | ';' | '\t';
}

const TABLE_ONLY = ['label', 'categorical', 'ignore', 'delimiter'] as const;

/** Whether argv names the flag itself (as opposed to its default being filled in). */
function given(argv: readonly string[], flag: string): boolean {
  return argv.some((a) => a === `--${flag}` || a.startsWith(`--${flag}=`));
}

/**
 * The table flags of a command (undefined without --csv). Refuses the
 * combinations that cannot mean anything: a table and a built-in data set,
 * table flags without a table, a table without its label column.
 */
export function tableArgs(
  v: Record<string, unknown>,
  argv: readonly string[],
  command: string,
): TableArgs | undefined {
  const fail = (message: string) => new UsageError(message, command);
  const path = v.csv as string | undefined;
  if (path === undefined) {
    for (const f of [...TABLE_ONLY, 'task', 'missing']) {
      if (given(argv, f)) throw fail(`--${f}: expected --csv too (it says how to read your table)`);
    }
    return undefined;
  }
  for (const f of ['dataset', 'data-dir']) {
    if (given(argv, f)) throw fail(`--csv: expected without --${f} (the table is the data set)`);
  }
  if (v.model !== undefined && v.model !== 'mlp') {
    throw fail(
      `--csv: expected --model mlp (a table's rows are flat vectors), received --model ${v.model}`,
    );
  }
  const label = v.label as string | undefined;
  if (label === undefined || label === '') {
    throw fail('--csv: expected --label COLUMN too (the column to predict)');
  }
  const list = (flag: string): string[] => {
    const raw = v[flag] as string | undefined;
    if (raw === undefined) return [];
    const names = raw.split(',').map((n) => n.trim());
    if (names.some((n) => n === ''))
      throw fail(`--${flag}: expected column names separated by commas, received '${raw}'`);
    return names;
  };
  const d = v.delimiter as string | undefined;
  return {
    path,
    label,
    task: (v.task as TableArgs['task'] | undefined) ?? 'classification',
    missing: (v.missing as TableArgs['missing'] | undefined) ?? 'refuse',
    categorical: list('categorical'),
    ignore: list('ignore'),
    ...(d === undefined ? {} : { delimiter: d === 'tab' ? '\t' : (d as ',' | ';') }),
  };
}

/** A flag whose value must be one of `allowed`. */
export function oneOf<T extends readonly string[]>(
  flag: string,
  v: string | undefined,
  allowed: T,
  fallback: T[number],
): T[number] {
  return v === undefined ? fallback : (choiceValue(flag, v, allowed) as T[number]);
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
  // Number.MIN_VALUE as the lower bound means "positive": say so, not 5e-324.
  const positive = min === Number.MIN_VALUE;
  const def: FlagDef = {
    name: flag,
    kind: integer ? 'int' : 'number',
    description: '',
    min: positive ? 0 : min,
    exclusiveMin: positive,
    max,
  };
  return numericValue(def, v);
}

type FlagSpec = Record<string, { type: 'string' | 'boolean' }>;

/**
 * Parses flags strictly; an unknown or malformed flag is a UsageError (with
 * a suggestion), and a negative number is taken as a value, not a flag.
 */
export function parseFlags(
  argv: string[],
  options: FlagSpec,
): Record<string, string | boolean | undefined> {
  return parseRaw(argv, Object.fromEntries(Object.entries(options).map(([k, o]) => [k, o.type])));
}

/** Parses `nerve train` flags; defaults train an MLP on the built-in digits. */
export function parseTrainArgs(argv: string[]): TrainArgs {
  const v = parseCommand(TRAIN, argv);
  const dataset = v.dataset as TrainArgs['dataset'];
  const model = v.model as TrainArgs['model'];
  const optimizer = v.optimizer as TrainArgs['optimizer'];
  const defaults = trainDefaults(dataset, model, optimizer);
  const out = v.out as string | undefined;
  if (out !== undefined && !out.endsWith('.safetensors')) {
    throw new UsageError(
      `--out: expected a path ending in .safetensors, received '${out}'`,
      'train',
    );
  }
  const report = v.report as string | undefined;
  if (report !== undefined && !isHtmlPath(report)) {
    throw new UsageError(
      `--report: expected a path ending in .html, received '${report}'`,
      'train',
    );
  }
  const log = v.log as string | undefined;
  if (log !== undefined && metricsLogFormat(log) === undefined) {
    throw new UsageError(
      `--log: expected a path ending in .csv or .jsonl, received '${log}'`,
      'train',
    );
  }
  const data = dataArgs(v, argv, 'train');
  if (data.table?.task === 'regression' && v['train-examples'] !== undefined) {
    throw new UsageError(
      '--train-examples: expected a classification task (it samples the same number per class)',
      'train',
    );
  }
  if (v['train-examples'] !== undefined && v.limit !== undefined) {
    throw new UsageError(
      '--train-examples: expected without --limit (it already picks the training examples)',
      'train',
    );
  }
  return {
    ...data,
    ...archArgs(v, 'train'),
    optimizer,
    weightDecay: v['weight-decay'] as number | undefined,
    trainExamples: v['train-examples'] as number | undefined,
    epochs: (v.epochs as number | undefined) ?? defaults.epochs,
    lr: (v.lr as number | undefined) ?? defaults.lr,
    batchSize: (v['batch-size'] as number | undefined) ?? defaults.batchSize,
    seed: v.seed as number,
    out,
    report,
    log,
    json: v.json === true,
    limit: v.limit as number | undefined,
    backend: v.backend as TrainArgs['backend'],
    threads: v.threads as number | undefined,
  };
}

/**
 * The MLP's hidden widths from --hidden 500,500 or --depth N --width W (the
 * shorthand for N equal layers); undefined keeps the data set's default.
 */
export function hiddenWidths(
  v: Record<string, unknown>,
  model: string,
  command = 'train',
): number[] | undefined {
  const list = v.hidden as string | undefined;
  const depth = v.depth as number | undefined;
  const width = v.width as number | undefined;
  const fail = (message: string) => new UsageError(message, command);
  if (list === undefined && depth === undefined && width === undefined) return undefined;
  if (model !== 'mlp') {
    const flag = list !== undefined ? 'hidden' : depth !== undefined ? 'depth' : 'width';
    throw fail(
      `--${flag}: expected --model mlp (the hidden widths of an MLP), received --model ${model}`,
    );
  }
  if (list !== undefined) {
    if (depth !== undefined || width !== undefined) {
      throw fail(
        `--hidden: expected either --hidden or --depth with --width, received both (--hidden ${list} and --${depth !== undefined ? 'depth' : 'width'})`,
      );
    }
    const parts = list.split(',');
    const widths = parts.map((p) => (/^\s*\d+\s*$/.test(p) ? Number(p) : Number.NaN));
    if (
      parts.length > MAX_DEPTH ||
      !widths.every((w) => Number.isSafeInteger(w) && w >= 1 && w <= MAX_WIDTH)
    ) {
      throw fail(
        `--hidden: expected 1 to ${MAX_DEPTH} widths in [1, ${MAX_WIDTH}] separated by commas, received '${list}'`,
      );
    }
    return widths;
  }
  if (depth === undefined)
    throw fail(`--width: expected --depth too (or --hidden), received --width ${width} alone`);
  if (width === undefined)
    throw fail(`--depth: expected --width too (or --hidden), received --depth ${depth} alone`);
  return new Array<number>(depth).fill(width);
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
  /** Labelled rows of the user's own to score (a checkpoint trained with --csv). */
  csv?: string;
  /** Labelled images of the user's own, one subfolder per class (a checkpoint trained with --images). */
  images?: string;
  delimiter?: ',' | ';' | '\t';
}

/** Parses `nerve eval` flags; --checkpoint is required. */
export function parseEvalArgs(argv: string[]): EvalArgs {
  const v = parseCommand(EVAL, argv);
  const checkpoint = v.checkpoint as string | undefined;
  if (!checkpoint) {
    throw new UsageError(
      '--checkpoint: expected a path to a .safetensors file written by nerve train --out',
      'eval',
    );
  }
  const own = (['csv', 'images'] as const).filter((f) => v[f] !== undefined);
  const builtIn = (['dataset', 'data-dir'] as const).filter((f) => v[f] !== undefined);
  if (own.length + (builtIn.length > 0 ? 1 : 0) > 1) {
    const [a, b] = [...own, ...builtIn];
    throw new UsageError(`--${a}: expected without --${b} (one source of data)`, 'eval');
  }
  if (v.delimiter !== undefined && v.csv === undefined) {
    throw new UsageError(
      '--delimiter: expected --csv too (it says how to read your table)',
      'eval',
    );
  }
  const d = v.delimiter as string | undefined;
  return {
    checkpoint,
    dataset: v.dataset as TrainArgs['dataset'] | undefined,
    json: v.json === true,
    dataDir: v['data-dir'] as string | undefined,
    ...(v.csv === undefined ? {} : { csv: v.csv as string }),
    ...(v.images === undefined ? {} : { images: v.images as string }),
    ...(d === undefined ? {} : { delimiter: d === 'tab' ? '\t' : (d as ',' | ';') }),
  };
}
