import '@nerve/backend-cpu';
import { Generator, tensor } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import { TensorDataset, kFold, trainValSplit } from '../src/index.js';
import { permutation } from '../src/shuffle.js';

function ids(n: number): TensorDataset {
  return new TensorDataset(
    tensor(
      Float32Array.from({ length: n }, (_, i) => i),
      { shape: [n, 1] },
    ),
    tensor(Int32Array.from({ length: n }, (_, i) => i)),
  );
}

function idsOf(ds: TensorDataset): number[] {
  return Array.from(ds.tensors[1].dataSync());
}

describe('permutation', () => {
  it('is a permutation and stream 0 draws from the same bits as core Generator(seed)', () => {
    const p = permutation(100, 5);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    // Fisher–Yates with j = ⌊u·(i+1)/2³²⌋, re-derived from core's generator.
    const bits = new Generator(5).uint32(8);
    const ref = Array.from({ length: 8 }, (_, i) => i);
    for (let i = 7; i > 0; i--) {
      const j = Math.floor((bits[i] * (i + 1)) / 2 ** 32);
      [ref[i], ref[j]] = [ref[j], ref[i]];
    }
    expect(Array.from(permutation(8, 5))).toEqual(ref);
  });

  it('is close to uniform over the 6 orders of 3 items', () => {
    const counts = new Map<string, number>();
    for (let seed = 0; seed < 6000; seed++) {
      const key = Array.from(permutation(3, seed)).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    // Expected 1000 each; 5 standard deviations is about ±144.
    for (const c of counts.values()) expect(Math.abs(c - 1000)).toBeLessThan(150);
  });
});

describe('trainValSplit', () => {
  it('splits into disjoint parts of ⌈valFraction·n⌉ and the rest, rows kept together', () => {
    const ds = ids(11);
    const { train, val } = trainValSplit(ds, { valFraction: 0.2, seed: 1 });
    expect(val.length).toBe(3);
    expect(train.length).toBe(8);
    const all = [...idsOf(train), ...idsOf(val)].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 11 }, (_, i) => i));
    expect(Array.from(val.tensors[0].dataSync())).toEqual(idsOf(val));
    for (const d of [ds, train, val]) d.dispose();
  });

  it('is deterministic for a seed and changes with it', () => {
    const ds = ids(30);
    const a = trainValSplit(ds, { seed: 4 });
    const b = trainValSplit(ds, { seed: 4 });
    const c = trainValSplit(ds, { seed: 5 });
    expect(idsOf(a.val)).toEqual(idsOf(b.val));
    expect(idsOf(a.val)).not.toEqual(idsOf(c.val));
    for (const s of [a, b, c]) {
      s.train.dispose();
      s.val.dispose();
    }
    ds.dispose();
  });

  it('stratifies by label: each class gets its share of the validation set', () => {
    // Classes 0, 1, 2 with 50, 30, 20 samples, interleaved.
    const labels = Array.from({ length: 100 }, (_, i) => (i % 10 < 5 ? 0 : i % 10 < 8 ? 1 : 2));
    const y = tensor(Int32Array.from(labels));
    const ds = new TensorDataset(tensor(Int32Array.from({ length: 100 }, (_, i) => i)), y);
    for (const seed of [0, 1, 2]) {
      const { train, val } = trainValSplit(ds, { valFraction: 0.2, seed, stratify: y });
      const count = (d: TensorDataset, k: number) =>
        Array.from(d.tensors[1].dataSync()).filter((v) => v === k).length;
      expect([0, 1, 2].map((k) => count(val, k))).toEqual([10, 6, 4]);
      expect([0, 1, 2].map((k) => count(train, k))).toEqual([40, 24, 16]);
      // The rows are the right ones: the label matches the original at that id.
      const valIds = Array.from(val.tensors[0].dataSync());
      expect(Array.from(val.tensors[1].dataSync())).toEqual(valIds.map((i) => labels[i]));
      train.dispose();
      val.dispose();
    }
    ds.dispose();
  });

  it('hands leftover validation slots to the largest remainders', () => {
    // Counts 7, 5, 3 of n = 15, nVal = 3: shares 1.4, 1.0, 0.6 → 1, 1, 1.
    const labels = [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2];
    const y = tensor(Int32Array.from(labels));
    const ds = new TensorDataset(y);
    const { train, val } = trainValSplit(ds, { valFraction: 0.2, stratify: y });
    expect(Array.from(val.tensors[0].dataSync()).sort((a, b) => a - b)).toEqual([0, 1, 2]);
    train.dispose();
    val.dispose();
    ds.dispose();
  });

  it('rejects bad fractions, seeds and label tensors', () => {
    const ds = ids(10);
    expect(() => trainValSplit(ds, { valFraction: 0 })).toThrow(
      /trainValSplit: expected valFraction in \(0, 1\)/,
    );
    expect(() => trainValSplit(ds, { valFraction: 1 })).toThrow(/valFraction/);
    expect(() => trainValSplit(ds, { valFraction: 0.95 })).toThrow(/leaves no training samples/);
    expect(() => trainValSplit(ds, { seed: 1.5 })).toThrow(
      /trainValSplit: expected a non-negative integer seed/,
    );
    const f = tensor(new Float32Array(10));
    expect(() => trainValSplit(ds, { stratify: f })).toThrow(
      /stratify an int32 tensor of shape \[10\]/,
    );
    const short = tensor(new Int32Array(9));
    expect(() => trainValSplit(ds, { stratify: short })).toThrow(/shape \[10\]/);
    const neg = tensor(Int32Array.from([0, 1, -1, 0, 0, 0, 0, 0, 0, 0]));
    expect(() => trainValSplit(ds, { stratify: neg })).toThrow(
      /non-negative class labels, received -1 at index 2/,
    );
    for (const t of [f, short, neg]) t.dispose();
    ds.dispose();
  });
});

describe('kFold', () => {
  it('puts every sample in exactly one validation fold; sizes as scikit-learn', () => {
    const folds = kFold(10, 3, { seed: 2 });
    expect(folds.map((f) => f.valIndices.length)).toEqual([4, 3, 3]);
    const seen = new Array(10).fill(0);
    for (const { trainIndices, valIndices } of folds) {
      for (const i of valIndices) seen[i]++;
      const union = [...trainIndices, ...valIndices].sort((a, b) => a - b);
      expect(union).toEqual(Array.from({ length: 10 }, (_, i) => i));
      expect(Array.from(trainIndices)).toEqual([...trainIndices].sort((a, b) => a - b));
      expect(Array.from(valIndices)).toEqual([...valIndices].sort((a, b) => a - b));
    }
    expect(seen).toEqual(new Array(10).fill(1));
  });

  it('without shuffle the folds are contiguous blocks', () => {
    const folds = kFold(7, 3, { shuffle: false });
    expect(folds.map((f) => Array.from(f.valIndices))).toEqual([
      [0, 1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(Array.from(folds[1].trainIndices)).toEqual([0, 1, 2, 5, 6]);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const a = kFold(20, 4, { seed: 9 }).map((f) => Array.from(f.valIndices));
    expect(kFold(20, 4, { seed: 9 }).map((f) => Array.from(f.valIndices))).toEqual(a);
    expect(kFold(20, 4, { seed: 10 }).map((f) => Array.from(f.valIndices))).not.toEqual(a);
  });

  it('validates n and k', () => {
    expect(() => kFold(10, 1)).toThrow(/kFold: expected k an integer ≥ 2/);
    expect(() => kFold(2, 3)).toThrow(/kFold: expected n an integer ≥ k = 3/);
    expect(() => kFold(10, 2.5)).toThrow(/kFold/);
  });
});
