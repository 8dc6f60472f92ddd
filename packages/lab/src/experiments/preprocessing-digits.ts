import { TensorDataset, trainValSplit } from '@nerve/data';
import type { LabData } from '../experiment.js';
import { datasetToDevice, onHost } from '../util/on-host.js';

/** Raw digits [n, 64] (0..16) and int32 labels, split 80/20 with stratification. */
export interface DigitsSplit {
  train: TensorDataset;
  val: TensorDataset;
}

/**
 * Loads the digits and splits them on the host, then moves both parts to the
 * active backend; the caller disposes both parts' tensors.
 */
export async function splitDigits(data: LabData, seed: number): Promise<DigitsSplit> {
  const split = await onHost(async () => {
    const { x, y } = await data.digits();
    try {
      return trainValSplit(new TensorDataset(x, y), { valFraction: 0.2, seed, stratify: y });
    } finally {
      x.dispose();
      y.dispose();
    }
  });
  return { train: await datasetToDevice(split.train), val: await datasetToDevice(split.val) };
}

/** Disposes every tensor of the given datasets. */
export function disposeSets(...sets: TensorDataset[]): void {
  for (const s of sets) for (const t of s.tensors) t.dispose();
}
