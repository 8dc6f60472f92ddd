/**
 * Mini-batches over a TensorDataset (PyTorch's DataLoader for in-memory
 * tensors). Each batch is gathered with indexSelect, so it is a fresh tensor
 * the caller owns: dispose it, or iterate inside `tidy`.
 */
import { NerveError, type Tensor, indexSelect, tensor, tidy } from '@nerve/core';
import { TensorDataset } from './dataset.js';
import { checkSeed, permutation } from './shuffle.js';

/** DataLoader options; names follow PyTorch. */
export interface DataLoaderOptions {
  /** Samples per batch (default 32). */
  batchSize?: number;
  /** Reshuffle every epoch (default false: dataset order). */
  shuffle?: boolean;
  /** Seed of the shuffle (default 0); epoch e's order depends only on (seed, e). */
  seed?: number;
  /** Drop the last batch when it is smaller than batchSize (default false). */
  dropLast?: boolean;
  /**
   * Applied to every batch before it is yielded (augmentation such as
   * `randomCropFlip`): gets the batch's tensors and where it is (epoch and
   * batch index, so a seeded transform is reproducible) and returns the
   * tensors to yield. Runs inside the batch's tidy scope.
   */
  transform?: BatchTransform;
}

/** A per-batch transform of DataLoaderOptions.transform. */
export type BatchTransform = (batch: Tensor[], at: { epoch: number; batch: number }) => Tensor[];

/** Iterates a TensorDataset in batches: one tensor per dataset tensor per batch. */
export class DataLoader implements Iterable<Tensor[]> {
  /** The dataset batches are drawn from. */
  readonly dataset: TensorDataset;
  /** Samples per batch (the last may be smaller unless dropLast). */
  readonly batchSize: number;
  /** Whether each epoch is shuffled. */
  readonly shuffle: boolean;
  /** Seed of the per-epoch shuffles. */
  readonly seed: number;
  /** Whether a short last batch is dropped. */
  readonly dropLast: boolean;
  /** Batches per epoch. */
  readonly numBatches: number;
  /** The per-batch transform, if any. */
  readonly transform: BatchTransform | undefined;
  private nextEpoch = 0;

  constructor(dataset: TensorDataset, opts: DataLoaderOptions = {}) {
    const op = 'DataLoader';
    if (!(dataset instanceof TensorDataset)) {
      throw new NerveError(op, 'a TensorDataset', String(dataset));
    }
    const { batchSize = 32, shuffle = false, seed = 0, dropLast = false, transform } = opts;
    if (transform !== undefined && typeof transform !== 'function') {
      throw new NerveError(
        op,
        'transform a function of (batch, { epoch, batch })',
        String(transform),
      );
    }
    this.transform = transform;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new NerveError(op, 'batchSize a positive integer', String(batchSize));
    }
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.seed = checkSeed(op, seed);
    this.dropLast = dropLast;
    const n = dataset.length;
    // An epoch without batches would report a loss of 0 and look like success.
    if (n === 0) throw new NerveError(op, 'a dataset with at least one example', 'an empty one');
    if (dropLast && n < batchSize) {
      throw NerveError.raw(
        op,
        `dropLast with ${n} examples and batchSize ${batchSize} leaves no batch; lower batchSize or set dropLast: false`,
      );
    }
    this.numBatches = dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
  }

  /** The epoch the next iteration will run (0 at first; each iteration advances it). */
  get epoch(): number {
    return this.nextEpoch;
  }

  /** Sets the epoch the next iteration runs, e.g. to resume training reproducibly. */
  setEpoch(epoch: number): void {
    if (!Number.isSafeInteger(epoch) || epoch < 0) {
      throw new NerveError('DataLoader.setEpoch', 'a non-negative integer', String(epoch));
    }
    this.nextEpoch = epoch;
  }

  /** The sample order of `epoch`: a permutation from (seed, epoch) if shuffling, else 0..n-1. */
  order(epoch: number): Int32Array {
    const n = this.dataset.length;
    if (this.shuffle) return permutation(n, this.seed, epoch);
    const ids = new Int32Array(n);
    for (let i = 0; i < n; i++) ids[i] = i;
    return ids;
  }

  /** One epoch of batches; starting an iteration advances the epoch counter. */
  *[Symbol.iterator](): Iterator<Tensor[]> {
    const epoch = this.nextEpoch++;
    const order = this.order(epoch);
    const { tensors } = this.dataset;
    const transform = this.transform;
    for (let b = 0; b < this.numBatches; b++) {
      const ids = order.subarray(b * this.batchSize, (b + 1) * this.batchSize);
      // The index tensor dies here; only the batch tensors reach the caller.
      yield tidy(() => {
        const idx = tensor(ids);
        const batch = tensors.map((t) => indexSelect(t, 0, idx));
        return transform ? transform(batch, { epoch, batch: b }) : batch;
      });
    }
  }
}
