/**
 * The digits the way `nerve train` prepares them (80/20 stratified split with
 * seed 0, 10% of train held out for validation, standardized with training
 * statistics): real data for lrFind's tests. The caller disposes both sets.
 */
import { type Tensor, tidy } from '@nerve/core';
import { Standardize, TensorDataset, digitsSplit, trainValSplit } from '@nerve/data';

export function digitsTrainVal(): { train: TensorDataset; val: TensorDataset } {
  const { train: all, test } = digitsSplit({ seed: 0, testFraction: 0.2 });
  test.dispose();
  const split = trainValSplit(all, { valFraction: 0.1, seed: 0, stratify: all.tensors[1] });
  all.dispose();
  const scaler = new Standardize();
  const [xt, xv] = tidy((): Tensor[] => [
    scaler.fitTransform(split.train.tensors[0]),
    scaler.transform(split.val.tensors[0]),
  ]);
  split.train.tensors[0].dispose();
  split.val.tensors[0].dispose();
  return {
    train: new TensorDataset(xt, split.train.tensors[1]),
    val: new TensorDataset(xv, split.val.tensors[1]),
  };
}
