/**
 * The training loop on small synthetic problems: it learns, it keeps memory
 * flat across epochs, callbacks stop it, and checkpoints resume it exactly.
 */
import '@nerve/backend-cpu';
import { type Tensor, memory, randn, tensor, tidy } from '@nerve/core';
import { DataLoader, TensorDataset } from '@nerve/data';
import { Linear, ReLU, Sequential, crossEntropy } from '@nerve/layers';
import { UpdateRatioMonitor } from '@nerve/metrics';
import { Adam, SGD, StepLR } from '@nerve/optim';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type Callback,
  EarlyStopping,
  ModelCheckpoint,
  evaluate,
  fit,
  loadCheckpoint,
  predict,
  saveCheckpoint,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'nerve-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Two Gaussian blobs per class in 4-D, linearly separable. */
function blobs(n: number, seed: number): TensorDataset {
  const x = randn([n, 4], { seed });
  const xs = x.dataSync();
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = xs[4 * i] + 0.5 * xs[4 * i + 1] > 0 ? 1 : 0;
  return new TensorDataset(x, tensor(labels));
}

const net = (seed: number) =>
  new Sequential(new Linear(4, 16, { seed }), new ReLU(), new Linear(16, 2, { seed: seed + 1 }));
const ce = (out: Tensor, y: Tensor) => crossEntropy(out, y);

describe('fit', () => {
  it('learns a separable problem and records every epoch', async () => {
    const model = net(1);
    const history = await fit(model, {
      train: new DataLoader(blobs(256, 1), { batchSize: 32, shuffle: true, seed: 1 }),
      val: new DataLoader(blobs(128, 2), { batchSize: 64 }),
      epochs: 10,
      optimizer: new Adam(model.parameters(), { lr: 1e-2 }),
      loss: ce,
    });
    expect(history).toHaveLength(10);
    expect(history[9].trainLoss).toBeLessThan(history[0].trainLoss / 2);
    expect(history[9].valAccuracy).toBeGreaterThan(0.9);
    expect(history[0].stepLosses).toHaveLength(8);
  });

  it('keeps live tensors flat across epochs, with monitors attached', async () => {
    const model = net(2);
    const counts: number[] = [];
    const probe: Callback = { onEpochEnd: () => void counts.push(memory().numTensors) };
    await fit(model, {
      train: new DataLoader(blobs(128, 3), { batchSize: 16, shuffle: true }),
      val: new DataLoader(blobs(64, 4), { batchSize: 64 }),
      epochs: 6,
      optimizer: new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }),
      loss: ce,
      monitors: [new UpdateRatioMonitor()],
      callbacks: [probe],
    });
    // Momentum buffers appear during the first epoch; after that nothing grows.
    expect(new Set(counts.slice(1)).size).toBe(1);
  });

  it('steps the scheduler every epoch', async () => {
    const model = net(3);
    const optimizer = new SGD(model.parameters(), { lr: 0.1 });
    const history = await fit(model, {
      train: new DataLoader(blobs(64, 5), { batchSize: 32 }),
      epochs: 4,
      optimizer,
      loss: ce,
      scheduler: new StepLR(optimizer, { stepSize: 2, gamma: 0.5 }),
    });
    expect(history.map((r) => r.lr)).toEqual([0.1, 0.1, 0.05, 0.05]);
  });

  it('stops on a NaN loss and says why', async () => {
    const model = net(4);
    let reason: string | undefined;
    const history = await fit(model, {
      train: new DataLoader(blobs(64, 6), { batchSize: 32 }),
      epochs: 5,
      optimizer: new SGD(model.parameters(), { lr: 0.1 }),
      loss: (out) => out.sum().mul(Number.NaN),
      callbacks: [{ onTrainEnd: (ctx) => void (reason = ctx.stopReason) }],
    });
    expect(history.length).toBeLessThanOrEqual(1);
    expect(reason).toMatch(/loss became NaN at batch 1 .*learning rate/);
  });

  it('early stopping ends training and restores the best weights', async () => {
    const model = net(5);
    const stopper = new EarlyStopping({ monitor: 'valLoss', patience: 2 });
    // A learning rate this high makes the validation loss worse after the first epochs.
    const history = await fit(model, {
      train: new DataLoader(blobs(64, 7), { batchSize: 8, shuffle: true }),
      val: new DataLoader(blobs(64, 8), { batchSize: 64 }),
      epochs: 50,
      optimizer: new SGD(model.parameters(), { lr: 3 }),
      loss: ce,
      callbacks: [stopper],
    });
    expect(history.length).toBeLessThan(50);
    const restored = await evaluate(model, new DataLoader(blobs(64, 8), { batchSize: 64 }), {
      loss: ce,
    });
    expect(restored.loss).toBeCloseTo(stopper.best, 4);
  });

  it('rejects bad options', async () => {
    const model = net(6);
    await expect(
      fit(model, {
        train: new DataLoader(blobs(8, 1), { batchSize: 4 }),
        epochs: 0,
        optimizer: new SGD(model.parameters(), { lr: 0.1 }),
        loss: ce,
      }),
    ).rejects.toThrow(/fit: expected epochs to be a positive integer, received 0/);
  });
});

describe('evaluate and predict', () => {
  it('predict gives the same outputs as one forward pass, in eval mode', () => {
    const model = net(7);
    const x = randn([10, 4], { seed: 9 });
    const batched = predict(model, x, { batchSize: 3 });
    const whole = tidy(() => model.call(x));
    const a = batched.dataSync();
    const b = whole.dataSync();
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 6);
    expect(model.training).toBe(true);
  });
});

describe('checkpoints', () => {
  it('resume training exactly: model and optimizer state', async () => {
    const data = () => new DataLoader(blobs(64, 10), { batchSize: 16, shuffle: true, seed: 3 });
    const straight = net(8);
    const opt1 = new Adam(straight.parameters(), { lr: 1e-2 });
    await fit(straight, { train: data(), epochs: 2, optimizer: opt1, loss: ce });

    const first = net(8);
    const opt2 = new Adam(first.parameters(), { lr: 1e-2 });
    await fit(first, { train: data(), epochs: 1, optimizer: opt2, loss: ce });
    const path = join(dir, 'resume.safetensors');
    await saveCheckpoint(path, first, { optimizer: opt2 });
    const resumed = net(99);
    const opt3 = new Adam(resumed.parameters(), { lr: 1e-2 });
    await loadCheckpoint(path, resumed, { optimizer: opt3 });
    // The loader replays epoch 2's shuffle only if it is on its second epoch too.
    const loader = data();
    for (const batch of loader) for (const t of batch) t.dispose();
    await fit(resumed, { train: loader, epochs: 1, optimizer: opt3, loss: ce });

    const a = straight.parameters().map((p) => [...p.dataSync()]);
    const b = resumed.parameters().map((p) => [...p.dataSync()]);
    expect(b).toEqual(a);
  });

  it('ModelCheckpoint keeps the best epoch', async () => {
    const model = net(9);
    const path = join(dir, 'best.safetensors');
    const history = await fit(model, {
      train: new DataLoader(blobs(64, 11), { batchSize: 16 }),
      val: new DataLoader(blobs(32, 12), { batchSize: 32 }),
      epochs: 4,
      optimizer: new SGD(model.parameters(), { lr: 0.05 }),
      loss: ce,
      callbacks: [new ModelCheckpoint({ path, monitor: 'valLoss' })],
    });
    const best = history.reduce((a, b) => ((b.valLoss ?? 1e9) < (a.valLoss ?? 1e9) ? b : a));
    const { metadata } = await loadCheckpoint(path, net(0));
    expect(metadata.epoch).toBe(String(best.epoch));
  });
});
