/**
 * NaN shows: one NaN input value makes the loss NaN (as in PyTorch) instead
 * of hiding behind relu, and `fit` stops at the step whose gradients went
 * non-finite, naming the first affected parameter, from the one device read
 * per step it already made (webgpu: counted).
 */
import '@nerve/backend-cpu';
import {
  type Tensor,
  add,
  getBackend,
  memory,
  ready,
  setBackend,
  sqrt,
  square,
  sub,
  sum,
  tensor,
  tidy,
} from '@nerve/core';
import { DataLoader, TensorDataset } from '@nerve/data';
import { Linear, ReLU, Sequential, crossEntropy } from '@nerve/layers';
import { SGD } from '@nerve/optim';
import { afterAll, describe, expect, it } from 'vitest';
import { type Callback, fit } from '../src/index.js';

// Loaded by a computed name, as in monitors-webgpu.test.ts: no dependency of this package.
const webgpuPackage = '@nerve/backend-webgpu';
const { probe } = (await import(/* @vite-ignore */ webgpuPackage)) as {
  probe: () => Promise<boolean>;
};
const available = await probe();
afterAll(() => setBackend('cpu'));

/** Deterministic inputs in [-1, 1) with NaN at the given flat indices, and labels 0..2. */
function data(rows: number, nanAt: readonly number[]): TensorDataset {
  let s = 2463534242;
  const x = new Float32Array(rows * 4);
  for (let i = 0; i < x.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    x[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
  }
  for (const i of nanAt) x[i] = Number.NaN;
  const y = Int32Array.from({ length: rows }, (_, i) => i % 3);
  return new TensorDataset(tensor(x, { shape: [rows, 4] }), tensor(y));
}

const mlp = () =>
  new Sequential(new Linear(4, 8, { seed: 1 }), new ReLU(), new Linear(8, 3, { seed: 2 }));
const ce = (out: Tensor, y: Tensor) => crossEntropy(out, y);

/** fit with a callback that records why it stopped; returns the history, the reason and the leak count. */
async function fitAndReport(
  model: Sequential,
  ds: TensorDataset,
  loss: (out: Tensor, y: Tensor) => Tensor,
  params = model.parameters(),
) {
  let reason: string | undefined;
  const record: Callback = { onTrainEnd: (ctx) => void (reason = ctx.stopReason) };
  const before = memory().numTensors;
  const history = await fit(model, {
    train: new DataLoader(ds, { batchSize: 16 }),
    epochs: 3,
    optimizer: new SGD(params, { lr: 0.1 }),
    loss,
    callbacks: [record],
  });
  const leaked = memory().numTensors - before;
  return { history, reason, leaked };
}

describe('one NaN input value (issue 10, item 6)', () => {
  it('makes the loss NaN, as in PyTorch, instead of ln 3 behind relu', () => {
    // torch 1.13, the same network shape with x[5, 2] = nan: loss nan, and every
    // one of the 32 first-layer weight gradients NaN.
    const ds = data(8, [5 * 4 + 2]);
    const model = mlp();
    tidy(() => {
      const loss = ce(model.call(ds.tensors[0]), ds.tensors[1]);
      loss.backward();
      expect(loss.dataSync()[0]).toBeNaN();
      const g = model.namedParameters().find(([n]) => n === '0.weight')![1].grad!;
      expect([...g.dataSync()].filter(Number.isNaN)).toHaveLength(32);
    });
    model.dispose();
    for (const t of ds.tensors) t.dispose();
  });

  it('stops fit at the step of the bad batch, naming the first layer', async () => {
    // Row 40 is in the third batch of 16.
    const ds = data(64, [40 * 4 + 1]);
    const model = mlp();
    const { history, reason, leaked } = await fitAndReport(model, ds, ce);
    expect(reason).toMatch(
      /^loss became NaN at batch 3 of epoch 1 \(non-finite gradient in 0\.weight at epoch 1 step 3\)/,
    );
    expect(history).toHaveLength(1);
    expect(history[0].stepLosses).toHaveLength(3);
    expect(leaked).toBe(0);
    model.dispose();
    for (const t of ds.tensors) t.dispose();
  });
});

describe('fit notices non-finite gradients while the loss is finite', () => {
  // d√u/du at u = 0 is ∞, and ∞·0 is NaN in the chain below it: the loss stays
  // the finite cross-entropy, every gradient that flows through `out` is NaN.
  const poisoned = (out: Tensor, y: Tensor) => add(ce(out, y), sqrt(sum(square(sub(out, out)))));

  it('stops at step 1 and names the first parameter', async () => {
    const ds = data(32, []);
    const model = mlp();
    const { history, reason, leaked } = await fitAndReport(model, ds, poisoned);
    expect(reason).toMatch(
      /^non-finite gradient in 0\.weight at epoch 1 step 1, while the loss was still \d/,
    );
    expect(history).toHaveLength(1);
    expect(Number.isFinite(history[0].stepLosses![0])).toBe(true);
    expect(leaked).toBe(0);
    model.dispose();
    for (const t of ds.tensors) t.dispose();
  });

  it('names the first parameter that has a gradient (a frozen first layer has none)', async () => {
    const ds = data(32, []);
    const model = mlp();
    const trainable = model.namedParameters().filter(([n]) => n.startsWith('2.'));
    for (const [n, p] of model.namedParameters()) if (n.startsWith('0.')) p.requiresGrad = false;
    const { reason } = await fitAndReport(
      model,
      ds,
      poisoned,
      trainable.map(([, p]) => p),
    );
    expect(reason).toMatch(/^non-finite gradient in 2\.weight at epoch 1 step 1/);
    model.dispose();
    for (const t of ds.tensors) t.dispose();
  });

  it('does not stop a healthy run', async () => {
    const ds = data(32, []);
    const model = mlp();
    const { history, reason } = await fitAndReport(model, ds, ce);
    expect(reason).toBeUndefined();
    expect(history).toHaveLength(3);
    model.dispose();
    for (const t of ds.tensors) t.dispose();
  });
});

describe.runIf(available)('on webgpu: the same stop, one device read per step', () => {
  it('reads once per step (loss, accuracy and gradient probes together) and stops by name', async () => {
    await ready('webgpu');
    setBackend('webgpu');
    const backend = getBackend('webgpu') as unknown as { stats(): { reads: number } };
    const healthy = data(64, []);
    const model = mlp();
    const before = backend.stats().reads;
    const { history, leaked } = await fitAndReport(model, healthy, ce);
    const steps = history.reduce((n, r) => n + r.stepLosses!.length, 0);
    expect(steps).toBe(12);
    expect(backend.stats().reads - before, 'device reads in 12 steps').toBe(steps);
    expect(leaked).toBe(0);
    model.dispose();
    for (const t of healthy.tensors) t.dispose();

    const bad = data(64, [40 * 4 + 1]);
    const model2 = mlp();
    const { reason } = await fitAndReport(model2, bad, ce);
    expect(reason).toMatch(/non-finite gradient in 0\.weight at epoch 1 step 3/);
    model2.dispose();
    for (const t of bad.tensors) t.dispose();
    setBackend('cpu');
  });
});
