import '@nerve/backend-cpu';
import { type Tensor, arange, memory, reshape, tensor, tidy, zeros } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import { DataLoader, TensorDataset } from '../src/index.js';

/** x [n, 2] with row i = (i, 10i) and y [n] = i: every row names its sample. */
function numbered(n: number) {
  const x = tensor(
    Float32Array.from({ length: 2 * n }, (_, k) => (k % 2 ? 10 : 1) * (k >> 1)),
    {
      shape: [n, 2],
    },
  );
  const y = tensor(Int32Array.from({ length: n }, (_, i) => i));
  return new TensorDataset(x, y);
}

/** The sample ids of one epoch, batch by batch; disposes the batches. */
function epochIds(loader: DataLoader): number[][] {
  const out: number[][] = [];
  for (const [x, y] of loader) {
    const ys = Array.from(y.dataSync());
    // Rows of x and y stay paired.
    expect(Array.from(x.dataSync())).toEqual(ys.flatMap((i) => [i, 10 * i]));
    out.push(ys);
    x.dispose();
    y.dispose();
  }
  return out;
}

describe('TensorDataset', () => {
  it('holds tensors that share the first dimension', () => {
    const ds = numbered(5);
    expect(ds.length).toBe(5);
    expect(ds.tensors.map((t) => t.shape)).toEqual([[5, 2], [5]]);
    ds.dispose();
  });

  it('rejects mismatched, scalar and missing tensors', () => {
    const a = zeros([4, 3]);
    const b = zeros([5]);
    const s = tensor(1);
    expect(() => new TensorDataset(a, b)).toThrow(
      /TensorDataset: all tensors must share the first dimension/,
    );
    expect(() => new TensorDataset(s)).toThrow(/TensorDataset: expected tensor 0 of rank ≥ 1/);
    expect(() => new TensorDataset()).toThrow(/TensorDataset: expected at least one tensor/);
    expect(() => new TensorDataset(a, 3 as unknown as Tensor)).toThrow(/a Tensor at position 1/);
    b.dispose();
    expect(() => new TensorDataset(b)).toThrow(/was disposed/);
    a.dispose();
    s.dispose();
  });

  it('subset copies the chosen rows and validates indices', () => {
    const ds = numbered(6);
    const sub = ds.subset([4, 0, 4]);
    expect(sub.tensors[1].arraySync()).toEqual([4, 0, 4]);
    expect(sub.tensors[0].arraySync()).toEqual([
      [4, 40],
      [0, 0],
      [4, 40],
    ]);
    expect(() => ds.subset([6])).toThrow(/TensorDataset.subset: expected indices in \[0, 6\)/);
    sub.dispose();
    ds.dispose();
  });
});

describe('DataLoader', () => {
  it('batches in order without shuffle, keeping the short last batch', () => {
    const ds = numbered(10);
    const loader = new DataLoader(ds, { batchSize: 4 });
    expect(loader.numBatches).toBe(3);
    expect(epochIds(loader)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    ds.dispose();
  });

  it('dropLast drops the short batch; numBatches agrees', () => {
    const ds = numbered(10);
    const loader = new DataLoader(ds, { batchSize: 4, dropLast: true });
    expect(loader.numBatches).toBe(2);
    expect(epochIds(loader)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    const exact = new DataLoader(ds, { batchSize: 5, dropLast: true });
    expect(exact.numBatches).toBe(2);
    expect(epochIds(exact).length).toBe(2);
    ds.dispose();
  });

  it('shuffles every sample exactly once per epoch, differently each epoch', () => {
    const ds = numbered(50);
    const loader = new DataLoader(ds, { batchSize: 8, shuffle: true, seed: 3 });
    const e0 = epochIds(loader).flat();
    const e1 = epochIds(loader).flat();
    const sorted = Array.from({ length: 50 }, (_, i) => i);
    expect([...e0].sort((a, b) => a - b)).toEqual(sorted);
    expect([...e1].sort((a, b) => a - b)).toEqual(sorted);
    expect(e0).not.toEqual(sorted);
    expect(e1).not.toEqual(e0);
    expect(loader.epoch).toBe(2);
    ds.dispose();
  });

  it('is reproducible from seed and epoch; other seeds differ', () => {
    const ds = numbered(40);
    const a = new DataLoader(ds, { batchSize: 16, shuffle: true, seed: 11 });
    const b = new DataLoader(ds, { batchSize: 16, shuffle: true, seed: 11 });
    const c = new DataLoader(ds, { batchSize: 16, shuffle: true, seed: 12 });
    const a0 = epochIds(a);
    const a1 = epochIds(a);
    expect(epochIds(b)).toEqual(a0);
    expect(epochIds(b)).toEqual(a1);
    expect(epochIds(c)).not.toEqual(a0);
    // Resuming at epoch 1 replays epoch 1.
    const resumed = new DataLoader(ds, { batchSize: 16, shuffle: true, seed: 11 });
    resumed.setEpoch(1);
    expect(epochIds(resumed)).toEqual(a1);
    expect(Array.from(a.order(1))).toEqual(a1.flat());
    ds.dispose();
  });

  it('iterating an epoch inside tidy leaks nothing', () => {
    const ds = new TensorDataset(
      reshape(arange(0, 60), [20, 3]),
      arange(0, 20, 1, { dtype: 'int32' }),
    );
    const loader = new DataLoader(ds, { batchSize: 6, shuffle: true });
    const before = memory().numTensors;
    for (let epoch = 0; epoch < 3; epoch++) {
      const total = tidy(() => {
        let s = 0;
        for (const [x] of loader) s += x.sum().itemSync();
        return s;
      });
      expect(total).toBe((59 * 60) / 2);
      expect(memory().numTensors).toBe(before);
    }
    ds.dispose();
  });

  it('batches are owned by the caller: disposing them is enough', () => {
    const ds = numbered(9);
    const loader = new DataLoader(ds, { batchSize: 4 });
    const before = memory().numTensors;
    for (const batch of loader) {
      expect(memory().numTensors).toBe(before + 2);
      for (const t of batch) t.dispose();
    }
    expect(memory().numTensors).toBe(before);
    ds.dispose();
  });

  it('validates its options', () => {
    const ds = numbered(3);
    expect(() => new DataLoader(ds, { batchSize: 0 })).toThrow(
      /DataLoader: expected batchSize a positive integer/,
    );
    expect(() => new DataLoader(ds, { seed: -1 })).toThrow(
      /DataLoader: expected a non-negative integer seed/,
    );
    expect(() => new DataLoader({} as TensorDataset)).toThrow(
      /DataLoader: expected a TensorDataset/,
    );
    expect(() => new DataLoader(ds).setEpoch(1.5)).toThrow(/setEpoch/);
    ds.dispose();
  });
});
