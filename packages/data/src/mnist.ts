/**
 * MNIST-format datasets: four IDX files, images [N, H, W] and labels [N]
 * (LeCun et al.'s MNIST, Zalando's Fashion-MNIST, Xiao et al. 2017).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NerveError, type Tensor, tensor } from '@nerve/core';
import { TensorDataset } from './dataset.js';
import { loadIdx } from './idx.js';

/** Where Debian's dataset-fashion-mnist package installs the files. */
export const FASHION_MNIST_SYSTEM_DIR = '/usr/share/datasets/fashion-mnist';

const NUM_CLASSES = 10;

function baseNames(train: boolean): { images: string; labels: string } {
  const prefix = train ? 'train' : 't10k';
  return { images: `${prefix}-images-idx3-ubyte`, labels: `${prefix}-labels-idx1-ubyte` };
}

/** The path of `name` or `name.gz` in dir, or null. */
function findFile(dir: string, name: string): string | null {
  for (const candidate of [name, `${name}.gz`]) {
    const p = join(dir, candidate);
    if (existsSync(p)) return p;
  }
  return null;
}

/**
 * Loads one split of an MNIST-format folder (train-images-idx3-ubyte[.gz],
 * train-labels-idx1-ubyte[.gz], or t10k-… for the test split): x float32
 * [N, 1, H, W] scaled to [0, 1], y int32 [N] with labels 0..9.
 */
export function loadMnistFormat(
  dir: string,
  opts: {
    /** Read the train files (true) or the t10k test files (false). */
    train: boolean;
  },
): {
  /** The images, float32 [N, 1, H, W] in [0, 1]. */
  x: Tensor;
  /** The labels 0..9, int32 [N]. */
  y: Tensor;
} {
  const op = 'loadMnistFormat';
  if (typeof opts?.train !== 'boolean') {
    throw new NerveError(op, '{ train: true | false }', String(opts?.train));
  }
  const names = baseNames(opts.train);
  const imagesPath = findFile(dir, names.images);
  const labelsPath = findFile(dir, names.labels);
  for (const [name, p] of [
    [names.images, imagesPath],
    [names.labels, labelsPath],
  ] as const) {
    if (p === null) throw NerveError.raw(op, `no ${name} or ${name}.gz in ${dir}`);
  }
  const images = loadIdx(imagesPath!);
  const labels = loadIdx(labelsPath!);
  if (images.shape.length !== 3) {
    throw new NerveError(
      op,
      `images [N, H, W] in ${imagesPath}`,
      `shape [${images.shape.join(',')}]`,
    );
  }
  if (labels.shape.length !== 1) {
    throw new NerveError(op, `labels [N] in ${labelsPath}`, `shape [${labels.shape.join(',')}]`);
  }
  const [n, h, w] = images.shape;
  if (labels.shape[0] !== n) {
    throw NerveError.raw(
      op,
      `count mismatch: ${imagesPath} holds ${n} images, ${labelsPath} ${labels.shape[0]} labels`,
    );
  }
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = labels.data[i];
    if (label >= NUM_CLASSES) {
      throw NerveError.raw(op, `${labelsPath}: label ${label} at index ${i} is outside 0..9`);
    }
    y[i] = label;
  }
  const x = new Float32Array(images.data.length);
  for (let i = 0; i < x.length; i++) x[i] = images.data[i] / 255;
  return { x: tensor(x, { shape: [n, 1, h, w] }), y: tensor(y) };
}

/** Options of loadFashionMnist. */
export interface FashionMnistOptions {
  /**
   * A folder with the four IDX files. When given, only it is read: the
   * system folder is not a fallback, and a missing folder is an error.
   */
  dataDir?: string;
}

/**
 * Fashion-MNIST (Xiao, Rasul & Vollgraf 2017; MIT licence): 60,000 training
 * and 10,000 test images [N, 1, 28, 28] in [0, 1], labels 0..9. Reads
 * `dataDir` when given, else /usr/share/datasets/fashion-mnist (Debian's
 * dataset-fashion-mnist): an explicit folder always wins.
 */
export function loadFashionMnist(opts: FashionMnistOptions = {}): {
  /** The 60,000 training images. */
  train: TensorDataset;
  /** The 10,000 test images. */
  test: TensorDataset;
} {
  const dirs = opts.dataDir !== undefined ? [opts.dataDir] : [FASHION_MNIST_SYSTEM_DIR];
  return loadMnistFrom('loadFashionMnist', dirs, FASHION_MNIST_HELP);
}

const FASHION_MNIST_HELP =
  "Install Debian's dataset-fashion-mnist package (apt install dataset-fashion-mnist), or download " +
  'train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and ' +
  't10k-labels-idx1-ubyte.gz from https://github.com/zalandoresearch/fashion-mnist (data/fashion) ' +
  'into a folder and pass it as { dataDir }.';

/** Loads train and test from the first of `dirs` that holds all four files. */
export function loadMnistFrom(
  op: string,
  dirs: readonly string[],
  help: string,
): { train: TensorDataset; test: TensorDataset } {
  const looked: string[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir)) {
      looked.push(`${dir} (does not exist)`);
      continue;
    }
    const needed = [baseNames(true), baseNames(false)].flatMap((b) => [b.images, b.labels]);
    const missing = needed.filter((name) => findFile(dir, name) === null);
    if (missing.length > 0) {
      looked.push(`${dir} (missing ${missing.map((m) => `${m}[.gz]`).join(', ')})`);
      continue;
    }
    const train = loadMnistFormat(dir, { train: true });
    let test: { x: Tensor; y: Tensor };
    try {
      test = loadMnistFormat(dir, { train: false });
    } catch (e) {
      train.x.dispose();
      train.y.dispose();
      throw e;
    }
    return { train: new TensorDataset(train.x, train.y), test: new TensorDataset(test.x, test.y) };
  }
  throw NerveError.raw(op, `data not found; looked in ${looked.join('; ')}. ${help}`);
}
