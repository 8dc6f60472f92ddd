/**
 * The stored few-shot selection of the transfer tests and the page's
 * computation run in Node on the same asset files: the reference the
 * browser's numbers are compared with.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FASHION_CLASSES, decodeFashionSubset } from '../.vitepress/theme/fashion-subset.js';
import {
  type FewShotRequest,
  type Method,
  loadPretrainedCnn,
  runFewShot,
} from '../.vitepress/theme/transfer-core.js';

const assets = fileURLToPath(new URL('../assets/', import.meta.url));

/**
 * The stored selection: k = 5 training images of each of the classes 5–9,
 * as rows of the subset's training set. These are the 5 thumbnails the page
 * shows first for each class (its gallery lists each class's images in
 * dataset order), so the browser test clicks them.
 */
export const STORED_ROWS: Record<number, number[]> = {
  5: [8, 9, 12, 13, 30],
  6: [18, 32, 33, 39, 40],
  7: [6, 14, 41, 46, 52],
  8: [23, 35, 57, 99, 100],
  9: [0, 11, 15, 42, 44],
};

/** The subset's four files as read from the repository. */
export function subsetFiles() {
  const f = (name: string) => new Uint8Array(readFileSync(`${assets}fashion-mnist-subset/${name}`));
  return {
    trainImages: f('train-images-idx3-ubyte.gz'),
    trainLabels: f('train-labels-idx1-ubyte.gz'),
    testImages: f('t10k-images-idx3-ubyte.gz'),
    testLabels: f('t10k-labels-idx1-ubyte.gz'),
  };
}

/** The pretrained CNN's bytes as read from the repository. */
export const cnnBytes = () => new Uint8Array(readFileSync(`${assets}transfer-cnn.safetensors`));

/** The request the page sends for the stored selection (seed 0, the page's default). */
export function storedSelection(): FewShotRequest {
  const classes = [5, 6, 7, 8, 9];
  return {
    classes: classes.map((c) => ({ name: FASHION_CLASSES[c], fashion: c })),
    picks: classes.flatMap((c, cls) => STORED_ROWS[c].map((row) => ({ row, cls }))),
    drawn: [],
    seed: 0,
  };
}

/** The stored selection learned in Node: test accuracy per method and the number of test images. */
export async function referenceRun(): Promise<{
  accuracy: Record<Method, number>;
  testImages: number;
}> {
  const data = await decodeFashionSubset(subsetFiles());
  const pre = await loadPretrainedCnn(cnnBytes());
  try {
    const r = await runFewShot(pre, data, storedSelection());
    r.dispose();
    if (r.accuracy === null) throw new Error('no test images');
    return { accuracy: r.accuracy, testImages: r.testImages };
  } finally {
    pre.model.dispose();
    data.train.dispose();
    data.test.dispose();
  }
}
