import '@nerve/backend-cpu';
import { memory, tensor, tidy } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import {
  accuracy,
  confusionMatrix,
  precisionRecallF1,
  precisionRecallF1FromConfusion,
  topKAccuracy,
} from '../src/index.js';

// Hand-worked example (7 samples, 3 classes):
// target 0 0 1 1 2 2 2, predicted 0 1 1 1 2 0 1 → 4 correct.
const target = [0, 0, 1, 1, 2, 2, 2];
const preds = [0, 1, 1, 1, 2, 0, 1];
// Logits whose argmax is `preds`.
const logits = preds.map((p) => [0, 1, 2].map((c) => (c === p ? 2 : c * 0.1)));

describe('accuracy', () => {
  it('from logits [N, C] and int32 targets', async () => {
    expect(await accuracy(tensor(logits), tensor(new Int32Array(target)))).toBeCloseTo(4 / 7, 12);
  });

  it('from int32 predictions, float targets, host arrays and one-hot targets', async () => {
    expect(await accuracy(tensor(new Int32Array(preds)), tensor(target))).toBeCloseTo(4 / 7, 12);
    expect(await accuracy(preds, target)).toBeCloseTo(4 / 7, 12);
    expect(await accuracy(logits, Int32Array.from(target))).toBeCloseTo(4 / 7, 12);
    const oneHot = target.map((t) => [0, 1, 2].map((c) => (c === t ? 1 : 0)));
    expect(await accuracy(tensor(logits), tensor(oneHot))).toBeCloseTo(4 / 7, 12);
  });

  it('is 0 for no samples, and leaves no tensors behind', async () => {
    const x = tensor(logits);
    const y = tensor(new Int32Array(target));
    const before = memory().numTensors;
    for (let i = 0; i < 5; i++) await accuracy(x, y);
    await accuracy([], []);
    expect(memory().numTensors).toBe(before);
    expect(await accuracy([], [])).toBe(0);
  });

  it('rejects mismatched lengths, invalid targets and non-integer labels', async () => {
    await expect(accuracy([0, 1], [0])).rejects.toThrow(/as many targets/);
    await expect(
      accuracy(
        tensor(logits),
        target.map(() => 3),
      ),
    ).rejects.toThrow(/not valid class/);
    await expect(accuracy([0, 1], [-1, 1])).rejects.toThrow(/not valid class/);
    await expect(accuracy([0.5], [0])).rejects.toThrow(/integer class indices/);
    await expect(accuracy(tensor([[[1]]]), [0])).rejects.toThrow(/\[N\]/);
  });
});

describe('inside a training step', () => {
  it('may be called inside tidy: the device work is done before the scope ends', async () => {
    const before = memory().numTensors;
    const { acc, top2, cm } = tidy(() => {
      const out = tensor(logits).mul(1); // a temporary, disposed when the scope ends
      const y = tensor(new Int32Array(target));
      return {
        acc: accuracy(out, y),
        top2: topKAccuracy(out, y, 2),
        cm: confusionMatrix(out, y, 3),
      };
    });
    // Only the kept results (two counts, two label copies) remain until the reads.
    expect(memory().numTensors).toBe(before + 4);
    expect(await acc).toBeCloseTo(4 / 7, 12);
    expect(await top2).toBeGreaterThan(4 / 7);
    expect((await cm)[1]).toEqual([0, 2, 0]);
    expect(memory().numTensors).toBe(before);
  });
});

describe('topKAccuracy', () => {
  // Row 0: target 2 has the lowest score (4th); row 1: target 0 is 1st; row 2: target 1 is 2nd.
  const s = [
    [0.5, 0.9, 0.1, 0.7],
    [3, 1, 2, 0],
    [1, 2, 5, 0],
  ];
  const t = [2, 0, 1];

  it('counts targets among the k highest scores', async () => {
    expect(await topKAccuracy(tensor(s), t, 1)).toBeCloseTo(1 / 3, 12);
    expect(await topKAccuracy(tensor(s), t, 2)).toBeCloseTo(2 / 3, 12);
    expect(await topKAccuracy(tensor(s), t, 3)).toBeCloseTo(2 / 3, 12);
    expect(await topKAccuracy(s, t, 4)).toBe(1);
    expect(await topKAccuracy(s, t, 10)).toBe(1);
  });

  it('lets ties favour the target and never counts a NaN target score', async () => {
    // Target 0 ties with class 1 for the top score.
    expect(await topKAccuracy([[1, 1, 0]], [0], 1)).toBe(1);
    expect(await topKAccuracy([[Number.NaN, 1, 0]], [0], 3)).toBe(0);
  });

  it('validates k and targets', async () => {
    await expect(topKAccuracy(s, t, 0)).rejects.toThrow(/k ≥ 1/);
    await expect(topKAccuracy(s, [4, 0, 0], 1)).rejects.toThrow(/not valid class/);
    await expect(topKAccuracy([1, 2] as unknown as number[][], [0, 1], 1)).rejects.toThrow(
      /\[N, C\]/,
    );
  });
});

describe('confusionMatrix and precisionRecallF1', () => {
  it('builds the matrix with rows = target, columns = prediction', async () => {
    expect(await confusionMatrix(tensor(logits), target, 3)).toEqual([
      [1, 1, 0],
      [0, 2, 0],
      [1, 1, 1],
    ]);
  });

  it('computes per-class and macro values by hand', async () => {
    const r = await precisionRecallF1(preds, tensor(new Int32Array(target)), 3);
    // precision = tp / column sum, recall = tp / row sum.
    expect(r.perClass.precision).toEqual([0.5, 0.5, 1]);
    expect(r.perClass.recall[0]).toBeCloseTo(0.5, 12);
    expect(r.perClass.recall[1]).toBeCloseTo(1, 12);
    expect(r.perClass.recall[2]).toBeCloseTo(1 / 3, 12);
    expect(r.perClass.f1[0]).toBeCloseTo(0.5, 12);
    expect(r.perClass.f1[1]).toBeCloseTo(2 / 3, 12);
    expect(r.perClass.f1[2]).toBeCloseTo(0.5, 12);
    expect(r.perClass.support).toEqual([2, 2, 3]);
    expect(r.macro.precision).toBeCloseTo(2 / 3, 12);
    expect(r.macro.recall).toBeCloseTo(11 / 18, 12);
    expect(r.macro.f1).toBeCloseTo(5 / 9, 12);
  });

  it('defines 0/0 as 0 and skips absent classes in the macro average', async () => {
    const r = await precisionRecallF1(preds, target, 5);
    expect(r.perClass.precision.slice(3)).toEqual([0, 0]);
    expect(r.perClass.recall.slice(3)).toEqual([0, 0]);
    expect(r.perClass.f1.slice(3)).toEqual([0, 0]);
    expect(r.macro.f1).toBeCloseTo(5 / 9, 12);
    // A class that is only predicted takes part with precision = recall = 0.
    const p = await precisionRecallF1([0, 3], [0, 0], 4);
    expect(p.perClass.precision).toEqual([1, 0, 0, 0]);
    expect(p.perClass.recall).toEqual([0.5, 0, 0, 0]);
    expect(p.macro.precision).toBeCloseTo(0.5, 12);
    expect(p.macro.recall).toBeCloseTo(0.25, 12);
    expect(p.macro.f1).toBeCloseTo(2 / 3 / 2, 12);
    expect(
      precisionRecallF1FromConfusion([
        [0, 0],
        [0, 0],
      ]).macro,
    ).toEqual({
      precision: 0,
      recall: 0,
      f1: 0,
    });
  });

  it('validates classes', async () => {
    await expect(confusionMatrix([0, 3], [0, 1], 3)).rejects.toThrow(/\[0, 3\)/);
    await expect(confusionMatrix(tensor(logits), target, 4)).rejects.toThrow(/4 classes/);
    await expect(confusionMatrix([0], [0], 0)).rejects.toThrow(/numClasses/);
    await expect(confusionMatrix([0, 1], [0], 2)).rejects.toThrow(/as many targets/);
    expect(() => precisionRecallF1FromConfusion([[1, 2]])).toThrow(/square/);
  });
});
