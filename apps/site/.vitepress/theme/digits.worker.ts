/**
 * The home demo's worker: loads the bundled UCI digits (fetched as the gzip
 * asset), trains the 64–64–10 ReLU MLP on the backend the visitor chose
 * (`useSiteBackend`: WebGPU, or the CPU with worker threads) and posts the
 * loss and accuracy as it goes, so the page's thread only draws. Then it
 * answers prediction requests for drawn digits.
 *
 * The data are split and standardized on the CPU (host-side work, as
 * `nerve train` does) and then moved to the training backend; the model is
 * built there from the same seeds, so a WebGPU run starts from the same
 * weights as a CPU run. Reads are async (`await t.data()`), which every
 * backend supports.
 */
import '@nerve/backend-cpu';
import {
  type Tensor,
  getBackendName,
  memory,
  noGrad,
  setBackend,
  tensor,
  tidy,
  toBackend,
} from '@nerve/core';
import { DataLoader, Standardize, TensorDataset, trainValSplit } from '@nerve/data';
import { Linear, ReLU, Sequential, crossEntropy } from '@nerve/layers';
import { createOptimizer } from '@nerve/optim';
import { fit } from '@nerve/train';
import { fetchDigits } from './fetch-digits.js';
import { type BackendChoice, type SiteBackend, useSiteBackend } from './site-backend.js';

/** What the worker posts. */
export type DigitsMessage =
  | { type: 'status'; text: string }
  | { type: 'backend'; backend: SiteBackend }
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
  | {
      type: 'done';
      seconds: number;
      testAccuracy: number;
      firstAbove97: number | null;
      /** Live tensors after the run, data and optimizer state freed (the model's remain). */
      liveTensors: number;
    }
  | { type: 'prediction'; probs: number[] }
  | { type: 'error'; text: string };

/** What the page sends. */
export type DigitsRequest =
  | {
      type: 'train';
      epochs: number;
      lr: number;
      hidden: number;
      seed: number;
      /** The visitor's choice (default 'cpu'). */
      backend?: BackendChoice;
    }
  | { type: 'predict'; pixels: number[] };

let model: Sequential | undefined;
let scaler: Standardize | undefined;

const post = (m: DigitsMessage): void => postMessage(m);

async function train(req: Extract<DigitsRequest, { type: 'train' }>): Promise<void> {
  model?.dispose();
  model = undefined;
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
  const cpuTrain = new TensorDataset(scaler.fitTransform(trX), trY);
  const cpuTest = new TensorDataset(scaler.transform(teX), teY);
  let train = cpuTrain;
  let test = cpuTest;
  let used: SiteBackend;
  try {
    post({ type: 'status', text: 'starting the backend…' });
    used = await useSiteBackend(req.backend ?? 'cpu');
    post({ type: 'backend', backend: used });
    if (used.name !== 'cpu') {
      train = await moveTo(cpuTrain, used.name);
      test = await moveTo(cpuTest, used.name);
    }
  } catch (e) {
    if (train !== cpuTrain) train.dispose();
    if (test !== cpuTest) test.dispose();
    rawTrain.dispose();
    rawTest.dispose();
    cpuTrain.dispose();
    cpuTest.dispose();
    digits.x.dispose();
    digits.y.dispose();
    throw e;
  }
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
  let cleaned = false;
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
    const seconds = (performance.now() - t0) / 1000;
    cleanUp();
    post({
      type: 'done',
      seconds,
      testAccuracy: last,
      firstAbove97,
      liveTensors: memory().numTensors,
    });
  } finally {
    cleanUp();
  }
  function cleanUp(): void {
    if (cleaned) return;
    cleaned = true;
    opt.disposeState();
    train.dispose();
    test.dispose();
    if (train !== cpuTrain) cpuTrain.dispose();
    if (test !== cpuTest) cpuTest.dispose();
    rawTrain.dispose();
    rawTest.dispose();
    digits.x.dispose();
    digits.y.dispose();
  }
}

async function moveTo(ds: TensorDataset, name: string): Promise<TensorDataset> {
  return new TensorDataset(...(await Promise.all(ds.tensors.map((t) => toBackend(t, name)))));
}

async function evalAccuracy(test: TensorDataset): Promise<number> {
  const m = model;
  if (m === undefined) return Number.NaN;
  const [x, y] = test.tensors as [Tensor, Tensor];
  m.eval();
  const argmax = noGrad(() => tidy(() => m.forward(x).argmax(1)));
  const pred = await argmax.data().finally(() => argmax.dispose());
  const labels = await y.data();
  let right = 0;
  for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) right++;
  return right / labels.length;
}

async function predict(pixels: number[]): Promise<number[]> {
  const m = model;
  const s = scaler;
  if (m === undefined || s === undefined)
    throw new Error('predict: expected a trained model, received none (train first)');
  m.eval();
  // The scaler's statistics live on the CPU; the model may be elsewhere.
  const active = getBackendName();
  setBackend('cpu');
  let onCpu: Tensor;
  try {
    onCpu = tidy(() => s.transform(tensor([pixels])));
  } finally {
    setBackend(active);
  }
  const x = await moveIfNeeded(onCpu, m);
  const out = noGrad(() => tidy(() => m.forward(x)));
  x.dispose();
  const logits = Array.from(await out.data().finally(() => out.dispose()));
  const top = Math.max(...logits);
  const e = logits.map((v) => Math.exp(v - top));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

async function moveIfNeeded(x: Tensor, m: Sequential): Promise<Tensor> {
  const where = m.parameters()[0]?.backend.name ?? 'cpu';
  if (x.backend.name === where) return x;
  const moved = await toBackend(x, where);
  x.dispose();
  return moved;
}

addEventListener('message', (ev: MessageEvent<DigitsRequest>) => {
  const req = ev.data;
  if (req.type === 'train') {
    train(req).catch((e: unknown) => {
      console.error(e);
      post({ type: 'error', text: String((e as Error)?.message ?? e) });
    });
  } else {
    predict(req.pixels).then(
      (probs) => post({ type: 'prediction', probs }),
      (e: unknown) => post({ type: 'error', text: String((e as Error)?.message ?? e) }),
    );
  }
});
