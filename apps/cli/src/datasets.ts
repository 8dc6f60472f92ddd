/**
 * The data sets `nerve train` knows, loaded and preprocessed the same way
 * for training and evaluation: statistics are fitted on the training split only.
 */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { NerveError, tensor } from '@nerve/core';
import {
  DataLoader,
  type PreprocessorState,
  type TableEncoding,
  TensorDataset,
  digitsTrainVal,
  encodeTable,
  fitTableEncoding,
  loadFashionMnist,
  loadImageFolder,
  loadTable,
  makeSpiral,
  randomCropFlip,
  standardizedTrainValTest,
  trainValSplit,
} from '@nerve/data';
import type { DataArgs, ImageArgs, TableArgs } from './args.js';
import { UsageError } from './flags.js';

export interface PreparedData {
  name: string;
  train: TensorDataset;
  val: TensorDataset;
  test: TensorDataset;
  /** Shape of one example as the model sees it. */
  inputShape: number[];
  classes: number;
  /** For a table of the user's own: how to prepare new rows alike (kept in checkpoints). */
  table?: TableMeta;
  /** For a folder of images of the user's own: how to prepare new images alike. */
  images?: ImageMeta;
}

/** What prediction needs to prepare new images as training did: JSON in the checkpoint. */
export interface ImageMeta {
  /** The folder trained on (for the record). */
  source: string;
  /** Class names (the subfolders), in the order of the network's outputs. */
  classes: string[];
  size: number;
  channels: 1 | 3;
  /** The standardization fitted on the training part: per channel (CNN) or per pixel (MLP). */
  standardize: { mode: 'perChannel' | 'perFeature'; mean: number[]; scale: number[] };
}

/** What prediction needs to prepare new rows as training did: JSON in the checkpoint. */
export interface TableMeta {
  /** The CSV file trained on (for the record; prediction reads another). */
  source: string;
  encoding: TableEncoding;
  /** The inputs' standardization, fitted on the training part (plain arrays, for JSON). */
  standardize: { mode: 'perFeature'; mean: number[]; scale: number[] };
  /** Regression: the target's mean and scale on the training part (the model predicts z-scores). */
  target?: { mean: number; scale: number };
}

/**
 * The data the flags name, prepared for a network of `model`'s kind: the one
 * loading path of train, tune, lr-find and finetune. A CNN gets [C, H, W]
 * examples, an MLP flat rows.
 */
export function loadData(
  d: DataArgs,
  model: string,
  opts: { limit?: number; trainExamples?: number } = {},
): PreparedData {
  const image = model !== 'mlp';
  if (d.table) return prepareTableData(d.table, opts);
  if (d.images) return prepareImageData(d.images, { image, ...opts });
  return prepareData(d.dataset, { image, dataDir: d.dataDir, ...opts });
}

/**
 * The `nerve` metadata of a checkpoint: the network's spec, the data set's
 * name, and how the user's own table or images were prepared (what nerve
 * eval and nerve predict read back); `extra` adds the run's own fields.
 */
export function checkpointDescription(
  spec: unknown,
  data: PreparedData,
  dataset: string,
  extra: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    spec,
    dataset: data.table ? 'table' : data.images ? 'images' : dataset,
    ...(data.table ? { table: data.table } : {}),
    ...(data.images ? { images: data.images } : {}),
    ...extra,
  });
}

/** The shuffled training batches, with --images' augmentation (random crop, flip) when asked. */
export function trainLoader(
  ds: TensorDataset,
  opts: { batchSize: number; seed: number; augment?: ImageArgs['augment'] },
): DataLoader {
  const { batchSize, seed, augment } = opts;
  return new DataLoader(ds, {
    batchSize,
    shuffle: true,
    seed,
    ...(augment && (augment.padding > 0 || augment.flip)
      ? { transform: randomCropFlip({ ...augment, seed }) }
      : {}),
  });
}

/**
 * Refuses an explicit --data-dir that is missing or not a folder: it must
 * never fall back silently to another copy of the data.
 */
function checkDataDir(dir: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${(e as Error).message})`;
    throw NerveError.raw('--data-dir', `${dir} ${why}`);
  }
  if (!isDir) throw NerveError.raw('--data-dir', `${dir} is not a directory`);
}

/**
 * Loads and preprocesses a data set. `image` gives examples as [C, H, W]
 * (for CNNs) instead of flat vectors. The test split is fixed (seed 0), so
 * results from different training seeds are comparable. An explicit
 * `dataDir` must exist, and for Fashion-MNIST it is the only place read
 * (the system copy is not).
 */
export function prepareData(
  name: 'digits' | 'fashion-mnist' | 'spiral',
  opts: { image: boolean; dataDir?: string; limit?: number; trainExamples?: number },
): PreparedData {
  if (opts.dataDir !== undefined) checkDataDir(opts.dataDir);
  try {
    return prepareParts(name, opts);
  } catch (e) {
    // Too many --train-examples is the user's request, not a data error.
    const m =
      e instanceof NerveError ? /expected trainExamples (at most .*)$/.exec(e.message) : null;
    if (m === null) throw e;
    throw new UsageError(`--train-examples: expected ${m[1]}`, 'train');
  }
}

function prepareParts(
  name: 'digits' | 'fashion-mnist' | 'spiral',
  opts: { image: boolean; dataDir?: string; limit?: number; trainExamples?: number },
): PreparedData {
  const { limit, trainExamples } = opts;
  if (name === 'digits') {
    const parts = digitsTrainVal({ image: opts.image, limit, trainExamples });
    return { name, ...parts, inputShape: opts.image ? [1, 8, 8] : [64], classes: 10 };
  }
  let train: TensorDataset;
  let test: TensorDataset;
  let shape: number[];
  let classes = 10;
  if (name === 'fashion-mnist') {
    ({ train, test } = loadFashionMnist({ dataDir: opts.dataDir }));
    shape = [1, 28, 28];
  } else {
    const all = makeSpiral({ pointsPerClass: 100, classes: 3, seed: 0 });
    ({ train, val: test } = trainValSplit(all, {
      valFraction: 0.2,
      seed: 0,
      stratify: all.tensors[1],
    }));
    all.dispose();
    shape = [2];
    classes = 3;
  }
  const inputShape = opts.image && shape.length === 3 ? shape : [shape.reduce((a, b) => a * b, 1)];
  // The same hold-out and training-only statistics as the digits get.
  const parts = standardizedTrainValTest(train, test, {
    exampleShape: inputShape,
    limit,
    trainExamples,
  });
  return { name, ...parts, inputShape, classes };
}

/**
 * A table of the user's own, prepared as the built-in data are: 20% held out
 * for test (by class, seed 0), 10% of the rest for validation, the missing
 * values' fill, the inputs' standardization and (regression) the target's
 * scaling fitted on the training part only.
 */
export function prepareTableData(
  args: TableArgs,
  opts: { limit?: number; trainExamples?: number },
): PreparedData {
  const raw = loadTable(
    args.path,
    args.delimiter === undefined ? {} : { delimiter: args.delimiter },
  );
  const encodingOpts = {
    label: args.label,
    task: args.task,
    missing: args.missing,
    categorical: args.categorical,
    ignore: args.ignore,
  };
  // The label alone first (classes from every row), to hold out test rows class by class.
  const probe = fitTableEncoding(raw, { ...encodingOpts, missing: 'mean' });
  const ids = tensor(Int32Array.from(raw.rows.keys()));
  const classification = args.task === 'classification';
  const labelsOf = (): Int32Array => {
    const li = raw.columns.indexOf(args.label);
    const index = new Map((probe.classes ?? []).map((k, i) => [k, i]));
    return Int32Array.from(raw.rows, (row) => index.get(row[li]) ?? 0);
  };
  const all = classification ? new TensorDataset(ids, tensor(labelsOf())) : new TensorDataset(ids);
  if (raw.rows.length < 10) {
    all.dispose();
    throw NerveError.raw(
      'nerve train',
      `${args.path} has ${raw.rows.length} rows; at least 10 are needed (train, validation and test parts)`,
    );
  }
  const split = trainValSplit(all, {
    valFraction: 0.2,
    seed: 0,
    ...(classification ? { stratify: all.tensors[1] } : {}),
  });
  all.dispose();
  const rowsOf = (ds: TensorDataset) => Array.from(ds.tensors[0].dataSync() as Int32Array);
  const trainRows = rowsOf(split.train);
  const testRows = rowsOf(split.val);
  split.train.dispose();
  split.val.dispose();
  // The fill values of missing cells come from the training rows (the validation part
  // is carved out of these below: a small, documented simplification).
  const encoding = fitTableEncoding(raw, encodingOpts, trainRows);
  const part = (rows: number[]) => {
    const e = encodeTable(raw, encoding, rows);
    const x = tensor(e.x, { shape: [e.rows, e.features] });
    return { x, y: e.y };
  };
  const tr = part(trainRows);
  const te = part(testRows);
  let target: TableMeta['target'];
  const ys = (y: Int32Array | Float32Array) => {
    if (classification) return tensor(y as Int32Array);
    const t = target ?? { mean: 0, scale: 1 };
    return tensor(
      Float32Array.from(y, (v) => (v - t.mean) / t.scale),
      { shape: [y.length, 1] },
    );
  };
  if (!classification) target = meanScale(tr.y as Float32Array);
  const parts = standardizedTrainValTest(
    new TensorDataset(tr.x, ys(tr.y)),
    new TensorDataset(te.x, ys(te.y)),
    { exampleShape: [encoding.features.length], stratify: classification, ...opts },
  );
  const { standardize, ...datasets } = parts;
  return {
    name: basename(args.path),
    ...datasets,
    inputShape: [encoding.features.length],
    classes: classification ? (encoding.classes ?? []).length : 1,
    table: {
      source: args.path,
      encoding,
      standardize: plainStandardize(standardize as PreprocessorState),
      ...(target === undefined ? {} : { target }),
    },
  };
}

/** Mean and standard deviation (1 where it is 0) of a regression target. */
function meanScale(y: Float32Array): { mean: number; scale: number } {
  let mean = 0;
  for (const v of y) mean += v;
  mean /= Math.max(y.length, 1);
  let ss = 0;
  for (const v of y) ss += (v - mean) ** 2;
  const sd = Math.sqrt(ss / Math.max(y.length, 1));
  return { mean, scale: sd > 0 ? sd : 1 };
}

/**
 * A folder of images of the user's own, prepared as the built-in images
 * are: 20% held out for test (by class, seed 0), 10% of the rest for
 * validation, standardized per channel with the training part's statistics.
 * `image` keeps [C, size, size] for a CNN; otherwise rows are flat.
 */
export function prepareImageData(
  args: ImageArgs,
  opts: { image: boolean; limit?: number; trainExamples?: number },
): PreparedData {
  const f = loadImageFolder(args.dir, { size: args.size, channels: args.channels });
  const [n, c, h, w] = f.shape;
  if (n < 10) {
    throw NerveError.raw(
      'nerve train',
      `${args.dir} has ${n} images; at least 10 are needed (train, validation and test parts)`,
    );
  }
  const all = new TensorDataset(tensor(f.x, { shape: [n, c, h, w] }), tensor(f.y));
  const { train, val: test } = trainValSplit(all, {
    valFraction: 0.2,
    seed: 0,
    stratify: all.tensors[1],
  });
  all.dispose();
  // Per channel for a CNN's [C, H, W]; per pixel for an MLP's flat rows (as the digits).
  const exampleShape = opts.image ? [c, h, w] : [c * h * w];
  const parts = standardizedTrainValTest(train, test, {
    exampleShape,
    limit: opts.limit,
    trainExamples: opts.trainExamples,
  });
  const { standardize, ...datasets } = parts;
  const st = standardize as PreprocessorState;
  return {
    name: basename(args.dir),
    ...datasets,
    inputShape: exampleShape,
    classes: f.classes.length,
    images: {
      source: args.dir,
      classes: f.classes,
      size: args.size,
      channels: args.channels,
      standardize: {
        mode: st.mode as 'perChannel' | 'perFeature',
        mean: Array.from(st.mean as Float32Array),
        scale: Array.from(st.scale as Float32Array),
      },
    },
  };
}

/** Standardize's state with plain arrays, so it survives JSON. */
function plainStandardize(s: PreprocessorState): TableMeta['standardize'] {
  return {
    mode: 'perFeature',
    mean: Array.from(s.mean as Float32Array),
    scale: Array.from(s.scale as Float32Array),
  };
}

/** Standardize's state from the plain arrays of a checkpoint. */
export function standardizeState(
  s: TableMeta['standardize'] | ImageMeta['standardize'],
): PreprocessorState {
  const arr = (v: unknown) =>
    Array.isArray(v) && v.every((x) => typeof x === 'number') ? Float32Array.from(v) : v;
  return { mode: s?.mode, mean: arr(s?.mean), scale: arr(s?.scale) } as PreprocessorState;
}
