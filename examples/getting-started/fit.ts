/**
 * A small fit: a Linear layer learns y = 3x − 1 from 256 noisy points with
 * plain SGD, through `fit` from @nerve/train (the loop `nerve train` uses).
 */
import '@nerve/backend-cpu';
import { randn, tidy } from '@nerve/core';
import { DataLoader, TensorDataset } from '@nerve/data';
import { Linear, mseLoss } from '@nerve/layers';
import { createOptimizer } from '@nerve/optim';
import { fit } from '@nerve/train';

const x = randn([256, 1], { seed: 0 });
const y = tidy(() =>
  x
    .mul(3)
    .sub(1)
    .add(randn([256, 1], { seed: 1 }).mul(0.1)),
);
const model = new Linear(1, 1, { seed: 0 });
const history = await fit(model, {
  train: new DataLoader(new TensorDataset(x, y), { batchSize: 32, shuffle: true, seed: 0 }),
  epochs: 20,
  optimizer: createOptimizer('sgd', model.parameters(), { lr: 0.1 }),
  loss: (out, target) => mseLoss(out, target),
  accuracy: false,
});
const first = history[0].trainLoss;
const last = history[history.length - 1].trainLoss;
console.log(`loss after epoch 1: ${first.toFixed(3)}, after epoch 20: ${last.toFixed(4)}`);
const [w, b] = await Promise.all(model.parameters().map(async (p) => (await p.data())[0]));
console.log(`learned y = ${w.toFixed(2)}x ${b < 0 ? '−' : '+'} ${Math.abs(b).toFixed(2)}`);
model.dispose();
x.dispose();
y.dispose();

/* Output:
loss after epoch 1: 4.817, after epoch 20: 0.0091
learned y = 3.00x − 0.99
*/
