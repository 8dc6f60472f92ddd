/**
 * Transfer-learning API, part 1: freezing by pattern (a frozen BatchNorm
 * stays in eval mode), replacing the head and discriminative learning rates.
 */
import '@nerve/backend-cpu';
import { NerveError, type Tensor, randn, tidy } from '@nerve/core';
import { DataLoader } from '@nerve/data';
import { Linear, type Module, ReLU, Sequential, crossEntropy } from '@nerve/layers';
import type { BatchNorm1d, BatchNorm2d } from '@nerve/norm';
import { Adam, SGD } from '@nerve/optim';
import { describe, expect, it } from 'vitest';
import { discriminativeParamGroups, fit, replaceHead } from '../src/index.js';
import { values, images, bnNet } from './transfer-helpers.js';

const ce = (out: Tensor, y: Tensor) => crossEntropy(out, y);

function expectNerveError(fn: () => unknown, pattern: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(NerveError);
  expect((caught as Error).message).toMatch(pattern);
}

/** Records each module's `training` flag as it runs. */
function recordModes(model: Sequential, names: string[]): Map<string, boolean[]> {
  const seen = new Map<string, boolean[]>(names.map((n) => [n, []]));
  for (const n of names) {
    model.at(Number(n)).registerForwardHook((m) => seen.get(n)?.push(m.training));
  }
  return seen;
}

describe('freeze by pattern', () => {
  it('trains only unfrozen parameters, and a frozen BatchNorm stays in eval mode', async () => {
    const model = bnNet(1);
    model.freeze('0').freeze('1');
    const bn1 = model.at(1) as BatchNorm2d;
    const bn5 = model.at(5) as BatchNorm1d;
    const conv = values(model.at(0).parameters()[0]);
    const dense = values(model.at(4).parameters()[0]);
    const modes = recordModes(model, ['1', '5']);
    model.train();
    expect(bn1.training).toBe(false);
    expect(bn5.training).toBe(true);
    const ds = images(64, 3);
    await fit(model, {
      train: new DataLoader(ds, { batchSize: 16, shuffle: true, seed: 1 }),
      epochs: 2,
      optimizer: new SGD(model.trainableParameters(), { lr: 0.1 }),
      loss: ce,
    });
    // Frozen: parameters and running statistics untouched, eval mode in every step.
    expect(values(model.at(0).parameters()[0])).toEqual(conv);
    expect(values(bn1.runningMean!)).toEqual([0, 0, 0, 0]);
    expect(values(bn1.runningVar!)).toEqual([1, 1, 1, 1]);
    expect(modes.get('1')).toEqual(new Array(8).fill(false));
    // Trainable: weights moved, batch statistics used and tracked.
    expect(values(model.at(4).parameters()[0])).not.toEqual(dense);
    expect(modes.get('5')).toEqual(new Array(8).fill(true));
    expect(values(bn5.runningMean!).some((v) => v !== 0)).toBe(true);
    expect(bn5.numBatchesTracked!.dataSync()[0]).toBe(8);
    model.unfreeze('1');
    model.train();
    expect(bn1.training).toBe(true);
    model.dispose();
    ds.dispose();
  });
});

describe('replaceHead', () => {
  it('swaps the last layer for a new one and returns the old head', () => {
    const model = bnNet(2);
    const old = model.at(7);
    const head = new Linear(8, 5, { seed: 9 });
    expect(replaceHead(model, head)).toBe(old);
    expect(model.at(-1)).toBe(head);
    expect(model.length).toBe(8);
    expect(model.stateDict()['7.weight']).toBe(head.parameters()[0]);
    const out = tidy(() => model.eval().call(randn([3, 1, 8, 8], { seed: 1 })).shape);
    expect(out).toEqual([3, 5]);
    old.dispose();
    model.dispose();
  });

  it('rejects what is not a Sequential, an empty one, and a head already in the model', () => {
    const model = bnNet(3);
    expectNerveError(
      () => replaceHead(model.at(0) as unknown as Sequential, new ReLU()),
      /Sequential/,
    );
    expectNerveError(() => replaceHead(new Sequential(), new ReLU()), /at least one layer/);
    expectNerveError(() => replaceHead(model, model.at(4)), /already part of the model/);
    expectNerveError(() => replaceHead(model, {} as Module), /Module/);
    model.dispose();
  });
});

describe('discriminativeParamGroups', () => {
  it('groups parameters by the first matching rule, skips frozen ones, and SGD steps each at its lr', () => {
    const model = bnNet(4);
    model.freeze('1');
    const groups = discriminativeParamGroups(
      model,
      [
        { pattern: '0', lr: 1e-3 },
        { pattern: /^[45]\./, lr: 1e-2, weightDecay: 0 },
        { pattern: '*.bias', lr: 5 },
      ],
      { defaultLr: 0.1 },
    );
    const sd = model.stateDict();
    expect(groups.map((g) => [g.name, g.lr, g.params.length])).toEqual([
      ['0', 1e-3, 2],
      ['/^[45]\\./', 1e-2, 4],
      ['*.bias', 5, 1],
      ['default', 0.1, 1],
    ]);
    expect(groups[0].params).toEqual([sd['0.weight'], sd['0.bias']]);
    expect(groups[1].params).toEqual([sd['4.weight'], sd['4.bias'], sd['5.weight'], sd['5.bias']]);
    expect(groups[2].params).toEqual([sd['7.bias']]);
    expect(groups[3].params).toEqual([sd['7.weight']]);
    expect(groups[1].weightDecay).toBe(0);
    // Frozen BatchNorm '1' joins no group.
    const all = groups.flatMap((g) => g.params);
    expect(all).not.toContain(sd['1.weight']);
    expect(all).toHaveLength(model.trainableParameters().length);

    // One SGD step: p ← p − lr·grad with each group's lr.
    const opt = new SGD(groups, { lr: 1 });
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([1e-3, 1e-2, 5, 0.1]);
    const ds = images(16, 5);
    tidy(() => ce(model.call(ds.tensors[0]), ds.tensors[1]).backward());
    const before = groups.map((g) => g.params.map((p) => [values(p), values(p.grad!)]));
    opt.step();
    for (const [gi, g] of groups.entries()) {
      for (const [pi, p] of g.params.entries()) {
        const [w, grad] = before[gi][pi];
        for (const [k, v] of values(p).entries()) {
          expect(v).toBeCloseTo(w[k] - (g.lr as number) * grad[k], 5);
        }
      }
    }
    opt.zeroGrad();
    model.dispose();
    ds.dispose();
  });

  it('leaves the lr to the optimizer without defaultLr, and rejects patterns that match nothing', () => {
    const model = bnNet(5);
    const groups = discriminativeParamGroups(model, [{ pattern: '7', lr: 0.5 }]);
    expect(groups[1]).not.toHaveProperty('lr');
    const opt = new Adam(groups, { lr: 2e-3 });
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.5, 2e-3]);
    expectNerveError(
      () =>
        discriminativeParamGroups(model, [
          { pattern: 'features', lr: 1 },
          { pattern: '7', lr: 1 },
          { pattern: /conv/, lr: 1 },
        ]),
      /rules\[0\]\.pattern features matches no parameter; rules\[2\]\.pattern \/conv\/ matches no parameter \(parameters: 0\.weight, 0\.bias, 1\.weight/,
    );
    expectNerveError(
      () => discriminativeParamGroups(model, [{ pattern: '0', lr: -1 }]),
      /lr is number -1/,
    );
    model.freeze();
    expectNerveError(() => discriminativeParamGroups(model, []), /every parameter is frozen/);
    model.dispose();
  });
});
