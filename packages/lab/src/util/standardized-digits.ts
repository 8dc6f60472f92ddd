/**
 * The digits as the babysitting and search experiments train on them: a
 * stratified train/validation split, standardized with the training
 * statistics (as `nerve train` prepares them), plus the small ReLU MLP they
 * train. Browser-safe: only @nerve/data's browser functions, data from
 * `ctx.data`, prepared on the host (see on-host.ts).
 */
import { type Tensor, tidy } from '@nerve/core';
import { type Initializer, zeros } from '@nerve/init';
import { Dropout, Linear, type Module, ReLU, Sequential } from '@nerve/layers';
import { Standardize, TensorDataset, trainValSplit } from '@nerve/data';
import type { LabData } from '../experiment.js';
import { fmtNum } from './host-stats.js';
import { datasetToDevice, onHost } from './on-host.js';

/** Standardized train and validation sets; the caller disposes both. */
export interface DigitsSplit {
  train: TensorDataset;
  val: TensorDataset;
}

/**
 * Loads the digits and splits them (stratified by class, `valFraction` held
 * out, shuffled by `seed`); x is standardized per feature with the training
 * part's mean and std. Prepared on the host, returned on the active backend.
 */
export async function standardizedDigits(
  data: LabData,
  opts: { valFraction: number; seed: number },
): Promise<DigitsSplit> {
  const host = await onHost(async () => {
    const { x, y } = await data.digits();
    const all = new TensorDataset(x, y);
    let split: { train: TensorDataset; val: TensorDataset };
    try {
      split = trainValSplit(all, { valFraction: opts.valFraction, seed: opts.seed, stratify: y });
    } finally {
      all.dispose();
    }
    return standardizeSplit(split.train, split.val);
  });
  return { train: await datasetToDevice(host.train), val: await datasetToDevice(host.val) };
}

/** Standardizes `val` with `train`'s statistics; takes ownership of both (disposes their x). */
export function standardizeSplit(train: TensorDataset, val: TensorDataset): DigitsSplit {
  const scaler = new Standardize();
  const [xt, xv] = tidy((): Tensor[] => [
    scaler.fitTransform(train.tensors[0] as Tensor),
    scaler.transform(val.tensors[0] as Tensor),
  ]);
  (train.tensors[0] as Tensor).dispose();
  (val.tensors[0] as Tensor).dispose();
  return {
    train: new TensorDataset(xt as Tensor, train.tensors[1] as Tensor),
    val: new TensorDataset(xv as Tensor, val.tensors[1] as Tensor),
  };
}

/**
 * The first `perClass` examples of each class in `ds`'s order (a copy the
 * caller owns). The split is already shuffled, so these are a random pick.
 */
export async function firstPerClass(
  ds: TensorDataset,
  perClass: number,
  classes = 10,
): Promise<TensorDataset> {
  const labels = await (ds.tensors[1] as Tensor).data();
  const taken = new Array<number>(classes).fill(0);
  const picked: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i] as number;
    if (taken[c] < perClass) {
      taken[c]++;
      picked.push(i);
    }
  }
  return ds.subset(picked);
}

/** Options of `digitsMlp`. */
export interface MlpOptions {
  hidden: number;
  seed: number;
  /** Weight initializer; each Linear's PyTorch default when absent (biases then default too). */
  weightInit?: Initializer;
  /** Dropout on the inputs (Srivastava et al. 2014 use 0.2), 0 for none. */
  inputDropout?: number;
  /** Dropout after the hidden ReLU (0.5 in Srivastava et al. 2014), 0 for none. */
  hiddenDropout?: number;
}

/** A 64–hidden–10 ReLU MLP; with `weightInit` the biases start at zero. */
export function digitsMlp(o: MlpOptions): Sequential {
  const init = o.weightInit === undefined ? undefined : { weight: o.weightInit, bias: zeros };
  const layers: Module[] = [];
  if ((o.inputDropout ?? 0) > 0) layers.push(new Dropout(o.inputDropout, { seed: o.seed + 10 }));
  layers.push(new Linear(64, o.hidden, { seed: o.seed, init }), new ReLU());
  if ((o.hiddenDropout ?? 0) > 0) layers.push(new Dropout(o.hiddenDropout, { seed: o.seed + 11 }));
  layers.push(new Linear(o.hidden, 10, { seed: o.seed + 1, init }));
  return new Sequential(...layers);
}

/** `x` with `digits` significant digits (3 by default; see fmtNum). */
export function fmt(x: number, digits = 3): string {
  return fmtNum(x, digits);
}

/** Mean of the values. */
export function mean(v: readonly number[]): number {
  return v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
}

/** Sample standard deviation (n − 1). */
export function sampleStd(v: readonly number[]): number {
  const m = mean(v);
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, v.length - 1));
}
