/**
 * The bundled UCI handwritten digits (Alpaydin & Kaynak 1998, CC BY 4.0;
 * the 1,797-image copy scikit-learn ships): 8×8 images with values 0..16.
 * See assets/README.md for provenance.
 */
import type { Tensor } from '@nerve/core';
import { TensorDataset } from './dataset.js';
import { digitsAsset } from './digits-asset.js';
import { digitsFromText } from './digits-decode.js';
import { trainValSplit } from './split.js';
import {
  type DigitsTrainValOptions,
  type TrainValTest,
  digitsTrainValFrom,
} from './train-val-test.js';

/** The digits: x float32 [1797, 64] with values 0..16, y int32 [1797] with labels 0..9. */
export function loadDigits(): {
  /** The 1797 images as [1797, 64] float32 intensities 0..16. */
  x: Tensor;
  /** The digit of each image, int32 [1797]. */
  y: Tensor;
} {
  const op = 'loadDigits';
  const { source, bytes } = digitsAsset(op);
  return digitsFromText(op, new TextDecoder().decode(bytes), source);
}

/** Options of digitsSplit. */
export interface DigitsSplitOptions {
  /** Seed of the split (default 0). */
  seed?: number;
  /** Fraction held out for testing (default 0.2). */
  testFraction?: number;
}

/**
 * The digits split into train and test, stratified by label so both keep
 * the class mix; the same seed gives the same split.
 */
export function digitsSplit(opts: DigitsSplitOptions = {}): {
  /** The training part. */
  train: TensorDataset;
  /** The test part (testFraction of each class). */
  test: TensorDataset;
} {
  const { seed = 0, testFraction = 0.2 } = opts;
  const { x, y } = loadDigits();
  try {
    const { train, val } = trainValSplit(new TensorDataset(x, y), {
      valFraction: testFraction,
      seed,
      stratify: y,
    });
    return { train, test: val };
  } finally {
    x.dispose();
    y.dispose();
  }
}

/**
 * The bundled digits prepared the way `nerve train` prepares them (see
 * digitsTrainValFrom: 80/20 stratified split with seed 0, 10% of train held
 * out for validation, standardized with training statistics). The caller
 * disposes the three parts.
 */
export function digitsTrainVal(opts: DigitsTrainValOptions = {}): TrainValTest {
  const digits = loadDigits();
  try {
    return digitsTrainValFrom(digits, opts);
  } finally {
    digits.x.dispose();
    digits.y.dispose();
  }
}
