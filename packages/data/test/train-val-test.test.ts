import '@nerve/backend-cpu';
import { memory, tensor } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import * as browserEntry from '../src/browser.js';
import {
  TensorDataset,
  digitsSplit,
  digitsTrainVal,
  digitsTrainValFrom,
  loadDigits,
  standardizedTrainValTest,
  trainValSplit,
} from '../src/index.js';

const N = 1797;
// The split sizes follow from trainValSplit's ⌈fraction·n⌉ rule.
const N_TEST = Math.ceil(0.2 * N);
const N_VAL = Math.ceil(0.1 * (N - N_TEST));
const N_TRAIN = N - N_TEST - N_VAL;

/** Per-column float64 mean and population σ of row-major [n, d] values. */
function columnStats(x: ArrayLike<number>, n: number, d: number) {
  const mu = new Array<number>(d).fill(0);
  const sd = new Array<number>(d).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mu[j] += x[i * d + j] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) sd[j] += (x[i * d + j] - mu[j]) ** 2 / n;
  return { mu, sd: sd.map(Math.sqrt) };
}

/** The preparation written out step by step, as the three callers did before. */
function reference() {
  const { train: all, test } = digitsSplit({ seed: 0, testFraction: 0.2 });
  const split = trainValSplit(all, { valFraction: 0.1, seed: 0, stratify: all.tensors[1] });
  all.dispose();
  const raw = {
    train: split.train.tensors[0].dataSync() as Float32Array,
    val: split.val.tensors[0].dataSync() as Float32Array,
    test: test.tensors[0].dataSync() as Float32Array,
    yTrain: Array.from(split.train.tensors[1].dataSync()),
    yVal: Array.from(split.val.tensors[1].dataSync()),
    yTest: Array.from(test.tensors[1].dataSync()),
  };
  split.train.dispose();
  split.val.dispose();
  test.dispose();
  return raw;
}

describe('digitsTrainVal', () => {
  it('gives the 80/20 split, the 10% hold-out, and x standardized with training statistics only', () => {
    const before = memory().numTensors;
    const raw = reference();
    const { train, val, test } = digitsTrainVal();
    expect([train.length, val.length, test.length]).toEqual([N_TRAIN, N_VAL, N_TEST]);
    expect(train.tensors[0].shape).toEqual([N_TRAIN, 64]);
    expect(Array.from(train.tensors[1].dataSync())).toEqual(raw.yTrain);
    expect(Array.from(val.tensors[1].dataSync())).toEqual(raw.yVal);
    expect(Array.from(test.tensors[1].dataSync())).toEqual(raw.yTest);
    // (x − μ)/σ with μ, σ of the raw training part in float64 (a constant
    // pixel, σ = 0, is only centred). Pixel values are 0..16 and |z| < 50, so
    // float32 rounding of the result is below 50·2⁻²³ ≈ 6e-6; 1e-4 leaves room
    // for the float32 statistics.
    const { mu, sd } = columnStats(raw.train, N_TRAIN, 64);
    for (const [part, rows, x] of [
      ['train', N_TRAIN, raw.train],
      ['val', N_VAL, raw.val],
      ['test', N_TEST, raw.test],
    ] as const) {
      const ds = { train, val, test }[part];
      const got = ds.tensors[0].dataSync();
      let worst = 0;
      for (let i = 0; i < rows; i++)
        for (let j = 0; j < 64; j++) {
          const want = (x[i * 64 + j] - mu[j]) / (sd[j] < 1e-8 ? 1 : sd[j]);
          worst = Math.max(worst, Math.abs(got[i * 64 + j] - want));
        }
      expect(worst, part).toBeLessThan(1e-4);
    }
    train.dispose();
    val.dispose();
    test.dispose();
    expect(memory().numTensors).toBe(before);
  });

  it('keeps the class mix in every part (stratified)', () => {
    const { train, val, test } = digitsTrainVal();
    const counts = (ds: TensorDataset) => {
      const c = new Array<number>(10).fill(0);
      for (const v of ds.tensors[1].dataSync()) c[v]++;
      return c;
    };
    const all = counts(train).map((c, k) => c + counts(val)[k] + counts(test)[k]);
    expect(all.reduce((a, b) => a + b, 0)).toBe(N);
    // Hamilton's method gives each class ⌊share⌋ or ⌈share⌉ slots of a part.
    const total = N - N_TEST;
    const trainAll = all.map((c, k) => c - counts(test)[k]);
    for (let k = 0; k < 10; k++) {
      expect(Math.abs(counts(test)[k] - (all[k] * N_TEST) / N)).toBeLessThan(1);
      expect(Math.abs(counts(val)[k] - (trainAll[k] * N_VAL) / total)).toBeLessThan(1);
    }
    train.dispose();
    val.dispose();
    test.dispose();
  });

  it('gives images [N, 1, 8, 8] standardized over the one channel', () => {
    const { train, val, test } = digitsTrainVal({ image: true });
    expect(train.tensors[0].shape).toEqual([N_TRAIN, 1, 8, 8]);
    expect(test.tensors[0].shape).toEqual([N_TEST, 1, 8, 8]);
    const { mu, sd } = columnStats(train.tensors[0].dataSync(), N_TRAIN * 64, 1);
    // One channel: mean 0 and σ 1 over all training pixels, to float32
    // accumulation error (≈ 1e-7 per value over 82,752 values ⇒ well below 1e-4).
    expect(Math.abs(mu[0])).toBeLessThan(1e-4);
    expect(Math.abs(sd[0] - 1)).toBeLessThan(1e-4);
    train.dispose();
    val.dispose();
    test.dispose();
  });

  it('limit keeps the first training examples before the hold-out', () => {
    const before = memory().numTensors;
    const { train, val, test } = digitsTrainVal({ limit: 200 });
    expect([train.length, val.length, test.length]).toEqual([200 - 20, 20, N_TEST]);
    train.dispose();
    val.dispose();
    test.dispose();
    expect(memory().numTensors).toBe(before);
  });
});

describe('digitsTrainValFrom', () => {
  it('is in the browser entry and gives what digitsTrainVal gives, leaving the input alone', () => {
    expect(browserEntry.digitsTrainValFrom).toBe(digitsTrainValFrom);
    const digits = loadDigits();
    const before = memory().numTensors;
    const a = digitsTrainValFrom(digits);
    const b = digitsTrainVal();
    for (const part of ['train', 'val', 'test'] as const) {
      expect(Array.from(a[part].tensors[0].dataSync())).toEqual(
        Array.from(b[part].tensors[0].dataSync()),
      );
      expect(Array.from(a[part].tensors[1].dataSync())).toEqual(
        Array.from(b[part].tensors[1].dataSync()),
      );
      a[part].dispose();
      b[part].dispose();
    }
    expect(memory().numTensors).toBe(before);
    expect(digits.x.isDisposed || digits.y.isDisposed).toBe(false);
    digits.x.dispose();
    digits.y.dispose();
  });

  it('refuses x that is not [N, 64]', () => {
    const x = tensor(new Float32Array(10 * 4), { shape: [10, 4] });
    const y = tensor(new Int32Array(10));
    expect(() => digitsTrainValFrom({ x, y })).toThrow(
      'digitsTrainValFrom: expected x of shape [N, 64], received [10,4]',
    );
    x.dispose();
    y.dispose();
  });
});

describe('standardizedTrainValTest', () => {
  it('takes ownership of its inputs and refuses an exampleShape of the wrong size', () => {
    const make = () =>
      new TensorDataset(
        tensor(
          Float32Array.from({ length: 40 }, (_, i) => i),
          { shape: [20, 2] },
        ),
        tensor(Int32Array.from({ length: 20 }, (_, i) => i % 2)),
      );
    const before = memory().numTensors;
    const train = make();
    const test = make();
    const out = standardizedTrainValTest(train, test);
    expect(train.tensors.every((t) => t.isDisposed)).toBe(true);
    expect([out.train.length, out.val.length, out.test.length]).toEqual([18, 2, 20]);
    out.train.dispose();
    out.val.dispose();
    out.test.dispose();
    expect(memory().numTensors).toBe(before);
    const t2 = make();
    const s2 = make();
    expect(() => standardizedTrainValTest(t2, s2, { exampleShape: [3] })).toThrow(
      'standardizedTrainValTest: expected an exampleShape of 2 values (x is [20,2]), received [3]',
    );
    t2.dispose();
    s2.dispose();
  });
});
