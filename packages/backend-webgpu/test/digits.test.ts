/**
 * Training on the GPU backend reaches the accuracy it reaches on the CPU:
 * the same MLP, the same seeds and data, trained on both, evaluated on the
 * digits test split.
 */
import '@nerve/backend-cpu';
import '@nerve/backend-webgpu';
import { type Tensor, ready, setBackend, tensor } from '@nerve/core';
import { DataLoader, Standardize, TensorDataset, digitsSplit } from '@nerve/data';
import { Linear, ReLU, Sequential, crossEntropy } from '@nerve/layers';
import { Adam } from '@nerve/optim';
import { evaluate, fit } from '@nerve/train';
import { afterAll, describe, expect, it } from 'vitest';
import { available } from './gpu.js';

/** Standardized digits as host arrays (preprocessing fits on the CPU). */
function hostData() {
  setBackend('cpu');
  const { train, test } = digitsSplit({ seed: 0 });
  const scaler = new Standardize({ mode: 'perFeature' });
  const xs = [scaler.fitTransform(train.tensors[0]), scaler.transform(test.tensors[0])];
  const out = {
    trainX: xs[0].dataSync() as Float32Array,
    trainY: train.tensors[1].dataSync() as Int32Array,
    testX: xs[1].dataSync() as Float32Array,
    testY: test.tensors[1].dataSync() as Int32Array,
  };
  for (const t of [...xs, ...train.tensors, ...test.tensors]) t.dispose();
  return out;
}

async function trainOn(backend: string, data: ReturnType<typeof hostData>): Promise<number> {
  await ready(backend);
  setBackend(backend);
  const make = (x: Float32Array, y: Int32Array): Tensor[] => [
    tensor(x, { shape: [y.length, 64] }),
    tensor(y),
  ];
  const [trX, trY] = make(data.trainX, data.trainY);
  const [teX, teY] = make(data.testX, data.testY);
  const model = new Sequential(
    new Linear(64, 64, { seed: 1 }),
    new ReLU(),
    new Linear(64, 10, { seed: 2 }),
  );
  await fit(model, {
    train: new DataLoader(new TensorDataset(trX, trY), { batchSize: 64, shuffle: true, seed: 3 }),
    epochs: 8,
    optimizer: new Adam(model.parameters(), { lr: 5e-3 }),
    loss: (out, y) => crossEntropy(out, y),
  });
  const r = await evaluate(model, new DataLoader(new TensorDataset(teX, teY), { batchSize: 360 }));
  for (const t of [trX, trY, teX, teY]) t.dispose();
  model.dispose();
  return r.accuracy;
}

describe.runIf(available)('training the digits MLP on webgpu', () => {
  afterAll(() => setBackend('cpu'));

  it('reaches the CPU accuracy (within one test image in 360)', async () => {
    const data = hostData();
    const cpu = await trainOn('cpu', data);
    const gpu = await trainOn('webgpu', data);
    console.log(`digits MLP test accuracy: cpu ${cpu}, webgpu ${gpu}`);
    expect(cpu).toBeGreaterThan(0.95);
    expect(Math.abs(gpu - cpu)).toBeLessThanOrEqual(1 / 360 + 1e-9);
  });
});
