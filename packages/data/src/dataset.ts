/**
 * A dataset of tensors that share their first dimension (PyTorch's
 * torch.utils.data.TensorDataset): sample i is row i of every tensor.
 */
import { NerveError, type Tensor, indexSelect, tensor, tidy } from '@nerve/core';

/** Tensors whose first dimension indexes the samples; validated on construction. */
export class TensorDataset {
  /** The tensors, in the order given; the dataset does not copy or own them. */
  readonly tensors: Tensor[];
  /** The number of samples: the shared first dimension. */
  readonly length: number;

  constructor(...tensors: Tensor[]) {
    const op = 'TensorDataset';
    if (tensors.length === 0) throw new NerveError(op, 'at least one tensor', 'none');
    tensors.forEach((t, i) => {
      if (t === null || typeof t !== 'object' || (t as { isTensor?: unknown }).isTensor !== true) {
        throw new NerveError(op, `a Tensor at position ${i}`, String(t));
      }
      t.assertAlive(op);
      if (t.rank < 1) throw new NerveError(op, `tensor ${i} of rank ≥ 1`, 'a scalar');
    });
    const n = tensors[0].shape[0];
    tensors.forEach((t, i) => {
      if (t.shape[0] !== n) {
        throw NerveError.raw(
          op,
          `all tensors must share the first dimension: tensor 0 has ${n} rows, tensor ${i} has shape [${t.shape.join(',')}]`,
        );
      }
    });
    this.tensors = tensors;
    this.length = n;
  }

  /**
   * A new dataset of the rows at `indices` (copied with indexSelect); the
   * caller owns its tensors.
   */
  subset(indices: Int32Array | readonly number[]): TensorDataset {
    const op = 'TensorDataset.subset';
    for (let i = 0; i < indices.length; i++) {
      const v = indices[i];
      if (!Number.isInteger(v) || v < 0 || v >= this.length) {
        throw new NerveError(op, `indices in [0, ${this.length})`, `${v} at position ${i}`);
      }
    }
    const rows = tidy(() => {
      const idx = tensor(Int32Array.from(indices));
      return this.tensors.map((t) => indexSelect(t, 0, idx));
    });
    return new TensorDataset(...rows);
  }

  /** Disposes every tensor of the dataset. */
  dispose(): void {
    for (const t of this.tensors) if (!t.isDisposed) t.dispose();
  }
}
