/**
 * The home demo's worker: loads the bundled UCI digits (fetched as the gzip
 * asset), trains the 64–64–10 ReLU MLP on the CPU backend and posts the
 * loss and accuracy as it goes, so the page's thread only draws. Then it
 * answers prediction requests for drawn digits.
 */
import '@nerve/backend-cpu';
import { type Tensor, noGrad, setBackend, tensor, tidy } from '@nerve/core';
import { DataLoader, Standardize, TensorDataset, trainValSplit } from '@nerve/data';
import { Linear, ReLU, Sequential, crossEntropy } from '@nerve/layers';
import { createOptimizer } from '@nerve/optim';
import { fit } from '@nerve/train';
import { fetchDigits } from './fetch-digits.js';

/** What the worker posts. */
export type DigitsMessage =
  | { type: 'status'; text: string }
  | { type: 'step'; step: number; epoch: number; loss: number }
  | {
      type: 'epoch';
      epoch: number;
      seconds: number;
      trainLoss: number;
      trainAccuracy: number;
      testLoss: number;
      testAccuracy: number;
    }
  | { type: 'done'; seconds: number; testAccuracy: number; firstAbove97: number | null }
  | { type: 'prediction'; probs: number[] }
  | { type: 'error'; text: string };

/** What the page sends. */
export type DigitsRequest =
  | { type: 'train'; epochs: number; lr: number; hidden: number; seed: number }
  | { type: 'predict'; pixels: number[] };

let model: Sequential | undefined;
let scaler: Standardize | undefined;

const post = (m: DigitsMessage): void => postMessage(m);

async function train(req: Extract<DigitsRequest, { type: 'train' }>): Promise<void> {
  setBackend('cpu');
  post({ type: 'status', text: 'loading digits…' });
  const digits = await fetchDigits();
  // The split `nerve train` uses: 80/20 stratified by label, seed 0.
  const all = new TensorDataset(digits.x, digits.y);
  const { train: rawTrain, val: rawTest } = trainValSplit(all, {
    valFraction: 0.2,
    seed: 0,
    stratify: digits.y,
  });
  scaler = new Standardize();
  const [trX, trY] = rawTrain.tensors as [Tensor, Tensor];
  const [teX, teY] = rawTest.tensors as [Tensor, Tensor];
  const train = new TensorDataset(scaler.fitTransform(trX), trY);
  const test = new TensorDataset(scaler.transform(teX), teY);
  model?.dispose();
  const { seed, hidden } = req;
  model = new Sequential(
    new Linear(64, hidden, { seed }),
    new ReLU(),
    new Linear(hidden, 10, { seed: seed + 1 }),
  );
  const opt = createOptimizer('adam', model.parameters(), { lr: req.lr });
  post({ type: 'status', text: `training on ${trX.shape[0]} digits, testing on ${teX.shape[0]}…` });
  const t0 = performance.now();
  let step = 0;
  let epoch = 0;
  let firstAbove97: number | null = null;
  let lastPost = 0;
  try {
    await fit(model, {
      train: new DataLoader(train, { batchSize: 32, shuffle: true, seed }),
      val: new DataLoader(test, { batchSize: 512 }),
      epochs: req.epochs,
      optimizer: opt,
      loss: (out, y) => crossEntropy(out, y),
      callbacks: [
        {
          onEpochBegin: (e) => {
            epoch = e;
          },
          onBatchEnd: (_b, loss) => {
            step++;
            const now = performance.now();
            // Every step would flood the page; 20 per second is plenty for a curve.
            if (now - lastPost > 50) {
              lastPost = now;
              post({ type: 'step', step, epoch, loss });
            }
          },
          onEpochEnd: async (r) => {
            const seconds = (performance.now() - t0) / 1000;
            const testAccuracy = r.valAccuracy ?? Number.NaN;
            if (firstAbove97 === null && testAccuracy >= 0.97) firstAbove97 = seconds;
            post({
              type: 'epoch',
              epoch: r.epoch,
              seconds,
              trainLoss: r.trainLoss,
              trainAccuracy: r.trainAccuracy ?? Number.NaN,
              testLoss: r.valLoss ?? Number.NaN,
              testAccuracy,
            });
            // Let the posted messages go out before the next epoch.
            await new Promise((r) => setTimeout(r, 0));
          },
        },
      ],
    });
    const last = await evalAccuracy(test);
    post({
      type: 'done',
      seconds: (performance.now() - t0) / 1000,
      testAccuracy: last,
      firstAbove97,
    });
  } finally {
    opt.disposeState();
    train.dispose();
    test.dispose();
    rawTrain.dispose();
    rawTest.dispose();
    digits.x.dispose();
    digits.y.dispose();
  }
}

function evalAccuracy(test: TensorDataset): number {
  const m = model;
  if (m === undefined) return Number.NaN;
  const [x, y] = test.tensors as [Tensor, Tensor];
  m.eval();
  const pred = noGrad(() => tidy(() => m.forward(x).argmax(1).dataSync()));
  const labels = y.dataSync();
  let right = 0;
  for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) right++;
  return right / labels.length;
}

function predict(pixels: number[]): number[] {
  const m = model;
  const s = scaler;
  if (m === undefined || s === undefined)
    throw new Error('predict: expected a trained model, received none (train first)');
  m.eval();
  const logits = noGrad(() =>
    tidy(() => Array.from(m.forward(s.transform(tensor([pixels]))).dataSync())),
  );
  const top = Math.max(...logits);
  const e = logits.map((v) => Math.exp(v - top));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

addEventListener('message', (ev: MessageEvent<DigitsRequest>) => {
  const req = ev.data;
  if (req.type === 'train') {
    train(req).catch((e: unknown) => {
      console.error(e);
      post({ type: 'error', text: String((e as Error)?.message ?? e) });
    });
  } else {
    try {
      post({ type: 'prediction', probs: predict(req.pixels) });
    } catch (e) {
      post({ type: 'error', text: String((e as Error)?.message ?? e) });
    }
  }
});
