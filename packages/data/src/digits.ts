/**
 * The bundled UCI handwritten digits (Alpaydin & Kaynak 1998, CC BY 4.0;
 * the 1,797-image copy scikit-learn ships): 8×8 images with values 0..16.
 * See assets/README.md for provenance.
 */
import { NerveError, type Tensor, tensor } from '@nerve/core';
import { TensorDataset } from './dataset.js';
import { digitsAsset } from './digits-asset.js';
import { parseCsv } from './csv.js';
import { trainValSplit } from './split.js';

const ROWS = 1797;
const PIXELS = 64;

/** The digits: x float32 [1797, 64] with values 0..16, y int32 [1797] with labels 0..9. */
export function loadDigits(): { x: Tensor; y: Tensor } {
  const op = 'loadDigits';
  const { source: ASSET, bytes } = digitsAsset(op);
  const text = new TextDecoder().decode(bytes);
  const p = parseCsv(op, text, ASSET, { numClasses: 10 });
  if (p.features !== PIXELS || p.rows !== ROWS) {
    throw NerveError.raw(
      op,
      `${ASSET}: expected ${ROWS} rows of ${PIXELS + 1} columns, found ${p.rows} rows of ${p.features + 1}`,
    );
  }
  for (let i = 0; i < p.x.length; i++) {
    const v = p.x[i];
    if (!Number.isInteger(v) || v < 0 || v > 16) {
      const row = Math.floor(i / PIXELS);
      throw NerveError.raw(op, `${ASSET}: pixel value ${v} in row ${row + 1} is outside 0..16`);
    }
  }
  return { x: tensor(p.x, { shape: [ROWS, PIXELS] }), y: tensor(p.y) };
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
  train: TensorDataset;
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
