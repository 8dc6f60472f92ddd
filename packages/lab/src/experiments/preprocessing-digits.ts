/**
 * The digits split shared by the preprocessing and batchnorm experiments:
 * a stratified 80/20 train/validation split of `ctx.data.digits()`, seeded,
 * with the raw 0..16 pixels (each experiment preprocesses them itself,
 * fitting on the training part only), and running on the context's backend.
 */
import { getBackendName, ready, setBackend } from '@nerve/core';
import { TensorDataset, trainValSplit } from '@nerve/data';
import type { LabData } from '../experiment.js';

/** Raw digits [n, 64] (0..16) and int32 labels, split 80/20 with stratification. */
export interface DigitsSplit {
  train: TensorDataset;
  val: TensorDataset;
}

/** Loads the digits and splits them; the caller disposes both parts' tensors. */
export async function splitDigits(data: LabData, seed: number): Promise<DigitsSplit> {
  const { x, y } = await data.digits();
  try {
    return trainValSplit(new TensorDataset(x, y), { valFraction: 0.2, seed, stratify: y });
  } finally {
    x.dispose();
    y.dispose();
  }
}

/** Disposes every tensor of the given datasets. */
export function disposeSets(...sets: TensorDataset[]): void {
  for (const s of sets) for (const t of s.tensors) t.dispose();
}

/** Runs `fn` with `backend` active (when given), then restores the previous backend. */
export async function withBackend<T>(
  backend: string | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  if (backend === undefined) return fn();
  const previous = getBackendName();
  setBackend(backend);
  await ready(backend);
  try {
    return await fn();
  } finally {
    setBackend(previous);
  }
}
