/**
 * Transfer-learning API, part 2: gradual unfreezing (schedule, param groups,
 * BatchNorm modes, rejected setups) and flat memory over repeated use.
 */
import '@nerve/backend-cpu';
import { type Tensor, memory } from '@nerve/core';
import { DataLoader } from '@nerve/data';
import { Flatten, Linear, ReLU, Sequential, crossEntropy } from '@nerve/layers';
import { BatchNorm1d } from '@nerve/norm';
import { Adam, SGD } from '@nerve/optim';
import { describe, expect, it } from 'vitest';
import {
  type Callback,
  GradualUnfreezing,
  extractFeatures,
  fit,
  trainLinearHead,
} from '../src/index.js';
import { values, expectNerveRejection, images, bnNet } from './transfer-helpers.js';

const ce = (out: Tensor, y: Tensor) => crossEntropy(out, y);

describe('GradualUnfreezing', () => {
  /** Four dense blocks and a head; block '2' holds a BatchNorm. */
  const deepNet = () =>
    new Sequential(
      new Flatten(),
      new Linear(64, 16, { seed: 1 }),
      new Sequential(new Linear(16, 16, { seed: 2 }), new BatchNorm1d(16), new ReLU()),
      new Linear(16, 16, { seed: 3 }),
      new ReLU(),
      new Linear(16, 3, { seed: 4 }),
    );

  it('unfreezes one block every k epochs from the head backwards, each as a new param group', async () => {
    const model = deepNet();
    const head = model.at(5).parameters();
    const unfreeze = new GradualUnfreezing({
      blocks: ['3', '2', '1'],
      every: 2,
      lr: (i) => 1e-3 / 10 ** i,
    });
    const trainable: string[][] = [];
    const lrs: number[][] = [];
    const bnModes: boolean[] = [];
    (model.at(2) as Sequential).at(1).registerForwardHook((m) => void bnModes.push(m.training));
    const record: Callback = {
      onEpochBegin: (_e, ctx) => {
        trainable.push(
          ctx.model
            .namedParameters()
            .filter(([, p]) => p.requiresGrad)
            .map(([n]) => n),
        );
        lrs.push(ctx.optimizer.paramGroups.map((g) => g.lr));
      },
    };
    const optimizer = new Adam(head, { lr: 1e-2 });
    const w1 = values(model.at(1).parameters()[0]);
    const ds = images(32, 7);
    const changedAt: number[] = [];
    const watch: Callback = {
      onEpochEnd: (r) =>
        void (values(model.at(1).parameters()[0]).join() !== w1.join() && changedAt.push(r.epoch)),
    };
    await fit(model, {
      train: new DataLoader(ds, { batchSize: 16 }),
      epochs: 8,
      optimizer,
      loss: ce,
      callbacks: [unfreeze, record, watch],
    });
    const head5 = ['5.weight', '5.bias'];
    const b3 = ['3.weight', '3.bias'];
    const b2 = ['2.0.weight', '2.0.bias', '2.1.weight', '2.1.bias'];
    const b1 = ['1.weight', '1.bias'];
    const sorted = (xs: string[]) => [...xs].sort();
    expect(trainable.map(sorted)).toEqual(
      [
        head5,
        head5,
        [...b3, ...head5],
        [...b3, ...head5],
        [...b2, ...b3, ...head5],
        [...b2, ...b3, ...head5],
        [...b1, ...b2, ...b3, ...head5],
        [...b1, ...b2, ...b3, ...head5],
      ].map(sorted),
    );
    expect(lrs).toEqual([
      [1e-2],
      [1e-2],
      [1e-2, 1e-3],
      [1e-2, 1e-3],
      [1e-2, 1e-3, 1e-4],
      [1e-2, 1e-3, 1e-4],
      [1e-2, 1e-3, 1e-4, 1e-5],
      [1e-2, 1e-3, 1e-4, 1e-5],
    ]);
    expect(optimizer.paramGroups[2].params).toEqual(model.at(2).parameters());
    expect([1, 2, 3, 4, 8].map((e) => unfreeze.unfrozenAt(e))).toEqual([0, 0, 1, 1, 3]);
    // The BatchNorm of block '2' runs in eval mode until epoch 5 (2 batches per epoch).
    expect(bnModes).toEqual([...new Array(8).fill(false), ...new Array(8).fill(true)]);
    // Block '1' first moves in epoch 7.
    expect(changedAt[0]).toBe(7);
    model.dispose();
    ds.dispose();
  });

  it('rejects blocks the optimizer already holds, patterns matching nothing and overlaps, changing nothing', async () => {
    const model = deepNet();
    const ds = images(16, 8);
    const run = (blocks: string[], params = model.at(5).parameters()) =>
      fit(model, {
        train: new DataLoader(ds, { batchSize: 16 }),
        epochs: 1,
        optimizer: new SGD(params, { lr: 0.1 }),
        loss: ce,
        callbacks: [new GradualUnfreezing({ blocks, lr: 0.1 })],
      });
    await expectNerveRejection(
      run(['3', '1'], model.parameters()),
      /already holds parameters of blocks\[0\] 3.*blocks\[1\] 1/,
    );
    await expectNerveRejection(run(['3', 'features']), /blocks\[1\] features matches nothing/);
    await expectNerveRejection(run(['2', '2.0']), /both match a parameter/);
    expect(model.trainableParameters()).toHaveLength(model.parameters().length);
    expect(() => new GradualUnfreezing({ blocks: [], lr: 1 })).toThrow(/non-empty/);
    expect(() => new GradualUnfreezing({ blocks: ['1'], every: 0, lr: 1 })).toThrow(/every/);
    model.dispose();
    ds.dispose();
  });
});

describe('memory', () => {
  it('stays flat over repeated extraction, head training and gradual unfreezing', async () => {
    const counts: number[] = [];
    const ds = images(32, 40);
    for (let round = 0; round < 3; round++) {
      const model = bnNet(50);
      const backbone = new Sequential(...model.children().slice(0, 7));
      const feats = extractFeatures(backbone, ds.tensors[0], { batchSize: 10 });
      const { head } = await trainLinearHead(feats, ds.tensors[1], { epochs: 2 });
      head.dispose();
      feats.dispose();
      const optimizer = new Adam(model.at(7).parameters(), { lr: 1e-2 });
      await fit(model, {
        train: new DataLoader(ds, { batchSize: 8, shuffle: true, seed: round }),
        epochs: 3,
        optimizer,
        loss: ce,
        callbacks: [new GradualUnfreezing({ blocks: [/^[4-6]\./, /^[0-3]\./], lr: 1e-3 })],
      });
      optimizer.disposeState();
      model.dispose();
      counts.push(memory().numTensors);
    }
    expect(counts[2]).toBe(counts[0]);
    expect(counts[1]).toBe(counts[0]);
    ds.dispose();
  });
});
