/**
 * The transfer page's computation, with no DOM and no fetch, so that its
 * worker (transfer.worker.ts) and a Node test run the same code on the same
 * bytes: load the pretrained CNN from its safetensors asset (the network the
 * lab's transfer experiment pretrains on Fashion classes 0–4, written by
 * scripts/site-assets.ts), freeze its backbone, put a new head on it and
 * train that on a few examples; and, for comparison on the same examples,
 * finetune the whole network (starting under that head, as the lab does) and
 * train the same network from scratch. The settings are the lab experiment's
 * defaults (packages/lab/src/experiments/transfer.ts).
 */
import {
  NerveError,
  type Tensor,
  argmax,
  eq,
  narrow,
  noGrad,
  softmax,
  sum,
  tensor,
  tidy,
} from '@nerve/core';
import { DataLoader, TensorDataset } from '@nerve/data';
import {
  Conv2d,
  GlobalAvgPool2d,
  Linear,
  MaxPool2d,
  type Module,
  ReLU,
  Sequential,
  crossEntropy,
  load,
  parseSafetensors,
} from '@nerve/layers';
import { BatchNorm2d } from '@nerve/norm';
import { Adam, CosineAnnealingLR, type Optimizer } from '@nerve/optim';
import { discriminativeParamGroups, extractFeatures, trainLinearHead } from '@nerve/train';

/** The architecture in the asset's 'nerve' metadata (as scripts/site-assets.ts writes it). */
export interface TransferCnnArchitecture {
  model: 'transferCnn';
  channels: number[];
  classes: number;
  /** Index of the head in the Sequential; the children before it are the backbone. */
  head: number;
  resolution: number;
}

/** The pretrained network and what its metadata says about it. */
export interface PretrainedCnn {
  model: Sequential;
  /** The frozen backbone: the model's children before the head (shared with `model`). */
  backbone: Sequential;
  architecture: TransferCnnArchitecture;
  /** Pixels in [0, 1] are fed as (pixel − mean) / std. */
  normalization: { mean: number; std: number };
  /** Names of the classes it was pretrained on. */
  classes: string[];
  /** Its test accuracy on those classes (from the metadata). */
  pretrainAccuracy: number;
  provenance: string;
}

/**
 * The few-shot settings: the lab's transfer defaults. Scratch and finetune
 * take at least `steps` Adam steps and `epochs` passes (batches of
 * `batchSize`, lr decaying to 0 on a cosine); the new head trains
 * `headEpochs` epochs at `headLr` on the frozen features.
 */
export const FEW_SHOT = {
  steps: 60,
  epochs: 3,
  batchSize: 20,
  lr: 3e-3,
  backboneLr: 3e-3,
  headEpochs: 30,
  headLr: 1e-2,
} as const;

/**
 * The lab's transfer CNN: three blocks Conv2d(3×3, same) → BatchNorm2d →
 * ReLU, the first two followed by MaxPool2d(2), then GlobalAvgPool2d and
 * Linear(c3, classes); children 0–11 the backbone, 12 the head.
 */
export function transferCnn(
  channels: readonly number[],
  classes: number,
  seed: number,
): Sequential {
  const [c1, c2, c3] = channels;
  return new Sequential(
    new Conv2d(1, c1, 3, { padding: 'same', seed }),
    new BatchNorm2d(c1),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(c1, c2, 3, { padding: 'same', seed: seed + 1 }),
    new BatchNorm2d(c2),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(c2, c3, 3, { padding: 'same', seed: seed + 2 }),
    new BatchNorm2d(c3),
    new ReLU(),
    new GlobalAvgPool2d(),
    new Linear(c3, classes, { seed: seed + 3 }),
  );
}

function metaJson<T>(meta: Record<string, string>, key: string): T {
  const text = meta[key];
  if (text === undefined) {
    throw new NerveError('loadPretrainedCnn', `metadata '${key}' in the asset`, 'none');
  }
  return JSON.parse(text) as T;
}

/**
 * Rebuilds the pretrained CNN from its safetensors bytes: the architecture
 * from the metadata, then `load` (strict: every weight and BatchNorm
 * statistic of the file must fit) and the backbone frozen.
 */
export async function loadPretrainedCnn(bytes: Uint8Array): Promise<PretrainedCnn> {
  const { tensors, metadata } = parseSafetensors(bytes);
  for (const t of Object.values(tensors)) t.dispose();
  const architecture = metaJson<TransferCnnArchitecture>(metadata, 'nerve');
  if (architecture.model !== 'transferCnn') {
    throw new NerveError('loadPretrainedCnn', "architecture 'transferCnn'", architecture.model);
  }
  const model = transferCnn(architecture.channels, architecture.classes, 0);
  try {
    await load(model, bytes);
  } catch (e) {
    model.dispose();
    throw e;
  }
  const backbone = new Sequential(...model.children().slice(0, architecture.head));
  backbone.freeze();
  backbone.eval();
  return {
    model,
    backbone,
    architecture,
    normalization: metaJson(metadata, 'normalization'),
    classes: metaJson(metadata, 'classes'),
    pretrainAccuracy: Number(metadata.pretrainAccuracy),
    provenance: metadata.provenance ?? '',
  };
}

/** Images and int32 labels; the holder disposes both. */
export interface Task {
  x: Tensor;
  y: Tensor;
}

/** Pixels of n 28×28 images in [0, 1] (row-major) as the network's input [n, 1, 28, 28], normalized. */
export function normalizeImages(
  pixels: Float32Array,
  n: number,
  norm: { mean: number; std: number },
): Tensor {
  if (pixels.length !== n * 784) {
    throw new NerveError('normalizeImages', `${n * 784} pixels (n × 28 × 28)`, `${pixels.length}`);
  }
  return tidy(() =>
    tensor(pixels, { shape: [n, 1, 28, 28] })
      .sub(norm.mean)
      .div(norm.std),
  );
}

/** Steps of scratch and finetune on n examples: at least FEW_SHOT.steps and FEW_SHOT.epochs passes. */
export function stepsFor(n: number): number {
  return Math.max(FEW_SHOT.steps, Math.ceil((FEW_SHOT.epochs * n) / FEW_SHOT.batchSize));
}

/**
 * Trains `model` for exactly `steps` steps of cross-entropy on shuffled
 * batches (seeded), the learning rate decaying to 0 on a cosine; a batch of
 * one image is skipped (BatchNorm's batch statistics need two). Yields to
 * the event loop after every pass.
 */
async function trainSteps(
  model: Module,
  optimizer: Optimizer,
  task: Task,
  steps: number,
  seed: number,
  onStep?: (done: number) => void,
): Promise<void> {
  const scheduler = new CosineAnnealingLR(optimizer, { tMax: steps });
  const loader = new DataLoader(new TensorDataset(task.x, task.y), {
    batchSize: Math.min(FEW_SHOT.batchSize, task.x.shape[0]),
    shuffle: true,
    seed,
  });
  model.train();
  let done = 0;
  while (done < steps) {
    for (const [x, y] of loader) {
      try {
        if (done < steps && x.shape[0] > 1) {
          tidy(() => {
            crossEntropy(model.call(x), y).backward();
            optimizer.step();
            optimizer.zeroGrad();
          });
          scheduler.step();
          done++;
          onStep?.(done);
        }
      } finally {
        x.dispose();
        y.dispose();
      }
    }
    await new Promise((r) => setTimeout(r, 0));
  }
}

/**
 * Accuracy of `predict` (logits) on `test`, in batches of 500, read
 * asynchronously (WebGPU has no synchronous reads; the same numbers on the CPU).
 */
async function accuracyOf(predict: (x: Tensor) => Tensor, test: Task): Promise<number> {
  let correct = 0;
  const n = test.x.shape[0];
  for (let i = 0; i < n; i += 500) {
    const m = Math.min(500, n - i);
    const c = tidy(() =>
      noGrad(() => sum(eq(argmax(predict(narrow(test.x, 0, i, m)), -1), narrow(test.y, 0, i, m)))),
    );
    try {
      correct += (await c.data())[0] as number;
    } finally {
      c.dispose();
    }
  }
  return correct / n;
}

/** The three ways of learning the new classes. */
export const METHODS = ['frozen', 'finetune', 'scratch'] as const;
export type Method = (typeof METHODS)[number];

/** What `learnFewShot` returns: a predictor per method (logits) and their test accuracies. */
export interface FewShotResult {
  /** Test accuracy per method, or null without test images. */
  accuracy: Record<Method, number> | null;
  /** Seconds each method took. */
  seconds: Record<Method, number>;
  /** Class probabilities of each method for normalized images [n, 1, 28, 28] (read asynchronously). */
  predict(x: Tensor): Promise<Record<Method, number[][]>>;
  dispose(): void;
}

/**
 * Learns `classes` new classes from the examples `shots` (normalized
 * images, labels 0..classes−1) three ways, seeded as the lab does (the new
 * layers of every method from seed 1000 + seed): a new linear head on the
 * frozen backbone's features, finetuning every layer from the pretrained
 * weights under that head, and the same network from scratch. Each is
 * measured on `test` when given.
 */
export async function learnFewShot(
  pre: PretrainedCnn,
  shots: Task,
  classes: number,
  test: Task | null,
  seed: number,
  onProgress?: (fraction: number, message: string) => void,
): Promise<FewShotResult> {
  const n = shots.x.shape[0];
  if (n < 2) throw new NerveError('learnFewShot', 'at least 2 examples', `${n}`);
  const init = 1000 + seed;
  const steps = stepsFor(n);
  const { channels, head: HEAD } = pre.architecture;
  const owned: Module[] = [];
  const seconds = { frozen: 0, finetune: 0, scratch: 0 };
  try {
    // Frozen backbone + new head: the features computed once, a linear head trained on them.
    let t0 = performance.now();
    onProgress?.(0, 'new head on the frozen features');
    const feats = extractFeatures(pre.backbone, shots.x);
    let head: Module;
    try {
      head = (
        await trainLinearHead(feats, shots.y, {
          classes,
          epochs: FEW_SHOT.headEpochs,
          lr: FEW_SHOT.headLr,
          batchSize: FEW_SHOT.batchSize,
          seed: init + 3,
        })
      ).head;
    } finally {
      feats.dispose();
    }
    owned.push(head);
    head.eval();
    seconds.frozen = (performance.now() - t0) / 1000;

    // Finetune: the pretrained backbone under that head (linear probing, then finetuning).
    t0 = performance.now();
    const finetune = transferCnn(channels, classes, init);
    owned.push(finetune);
    const state: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(pre.model.stateDict())) {
      if (Number(k.split('.')[0]) < HEAD) state[k] = v;
    }
    for (const [k, v] of Object.entries(head.stateDict())) state[`${HEAD}.${k}`] = v;
    finetune.loadStateDict(state);
    const groups = discriminativeParamGroups(
      finetune,
      [
        {
          pattern: new RegExp(`^(${Array.from({ length: HEAD }, (_, i) => i).join('|')})\\.`),
          lr: FEW_SHOT.backboneLr,
        },
      ],
      { defaultLr: FEW_SHOT.lr },
    );
    const fOpt = new Adam(groups, { lr: FEW_SHOT.lr });
    try {
      await trainSteps(finetune, fOpt, shots, steps, seed, (d) =>
        onProgress?.(0.1 + (0.45 * d) / steps, `finetuning: step ${d} of ${steps}`),
      );
    } finally {
      fOpt.disposeState();
    }
    finetune.eval();
    seconds.finetune = (performance.now() - t0) / 1000;

    // Scratch: the same network, randomly initialized, on the same examples.
    t0 = performance.now();
    const scratch = transferCnn(channels, classes, init);
    owned.push(scratch);
    const sOpt = new Adam(scratch.parameters(), { lr: FEW_SHOT.lr });
    try {
      await trainSteps(scratch, sOpt, shots, steps, seed, (d) =>
        onProgress?.(0.55 + (0.45 * d) / steps, `from scratch: step ${d} of ${steps}`),
      );
    } finally {
      sOpt.disposeState();
    }
    scratch.eval();
    seconds.scratch = (performance.now() - t0) / 1000;

    const logits: Record<Method, (x: Tensor) => Tensor> = {
      frozen: (x) => head.call(pre.backbone.call(x)),
      finetune: (x) => finetune.call(x),
      scratch: (x) => scratch.call(x),
    };
    const accuracy =
      test === null
        ? null
        : {
            frozen: await accuracyOf(logits.frozen, test),
            finetune: await accuracyOf(logits.finetune, test),
            scratch: await accuracyOf(logits.scratch, test),
          };
    onProgress?.(1, 'done');
    return {
      accuracy,
      seconds,
      async predict(x) {
        const out = {} as Record<Method, number[][]>;
        for (const m of METHODS) {
          const p = tidy(() => noGrad(() => softmax(logits[m](x), -1)));
          const [rows, cols] = p.shape;
          const flat = Array.from((await p.data().finally(() => p.dispose())) as Float32Array);
          out[m] = Array.from({ length: rows }, (_, r) => flat.slice(r * cols, (r + 1) * cols));
        }
        return out;
      },
      dispose() {
        for (const m of owned) m.dispose();
      },
    };
  } catch (e) {
    for (const m of owned) m.dispose();
    throw e;
  }
}

/** A class of the few-shot task: one of Fashion-MNIST's (label 0..9) or one the user draws. */
export interface FewShotClass {
  name: string;
  /** The Fashion-MNIST label, for a dataset class (its test images are the held-out set). */
  fashion?: number;
}

/** What the page asks for: the classes, the picked images and the drawn ones. */
export interface FewShotRequest {
  classes: FewShotClass[];
  /** Picked training images: rows of the subset's training set, and the class index each counts for. */
  picks: { row: number; cls: number }[];
  /** Drawn images: 784 pixels in [0, 1] (bright on dark, like Fashion-MNIST), and their class index. */
  drawn: { pixels: number[]; cls: number }[];
  seed: number;
}

/** The examples of a request as one task (picked, then drawn), normalized; the caller owns it. */
export function shotsOf(req: FewShotRequest, train: TensorDataset, pre: PretrainedCnn): Task {
  const all = train.tensors[0].dataSync() as Float32Array;
  const n = req.picks.length + req.drawn.length;
  const px = new Float32Array(n * 784);
  const y = new Int32Array(n);
  req.picks.forEach(({ row, cls }, i) => {
    px.set(all.subarray(row * 784, (row + 1) * 784), i * 784);
    y[i] = cls;
  });
  req.drawn.forEach(({ pixels, cls }, j) => {
    const i = req.picks.length + j;
    px.set(pixels, i * 784);
    y[i] = cls;
  });
  return { x: normalizeImages(px, n, pre.normalization), y: tensor(y) };
}

/**
 * The held-out test images: every test image of the request's Fashion-MNIST
 * classes, labelled with the class's index in the request; null when it has
 * none (only drawn classes). The caller owns it.
 */
export function testOf(req: FewShotRequest, test: TensorDataset, pre: PretrainedCnn): Task | null {
  const labels = test.tensors[1].dataSync() as Int32Array;
  const all = test.tensors[0].dataSync() as Float32Array;
  const index = new Map<number, number>();
  req.classes.forEach((c, i) => {
    if (c.fashion !== undefined) index.set(c.fashion, i);
  });
  const rows: number[] = [];
  for (let r = 0; r < labels.length; r++) if (index.has(labels[r])) rows.push(r);
  if (rows.length === 0) return null;
  const px = new Float32Array(rows.length * 784);
  for (const [i, r] of rows.entries()) px.set(all.subarray(r * 784, (r + 1) * 784), i * 784);
  return {
    x: normalizeImages(px, rows.length, pre.normalization),
    y: tensor(Int32Array.from(rows, (r) => index.get(labels[r]) as number)),
  };
}

/** Runs a request on the subset: builds the examples and the test set, then `learnFewShot`. */
export async function runFewShot(
  pre: PretrainedCnn,
  data: { train: TensorDataset; test: TensorDataset },
  req: FewShotRequest,
  onProgress?: (fraction: number, message: string) => void,
): Promise<FewShotResult & { testImages: number; examples: number }> {
  const used = new Set([...req.picks, ...req.drawn].map((e) => e.cls));
  if (used.size < 2 || req.classes.some((_, i) => !used.has(i))) {
    throw new NerveError(
      'transfer',
      'at least 2 classes, each with an example',
      `${req.classes.length} classes, ${used.size} with examples`,
    );
  }
  const shots = shotsOf(req, data.train, pre);
  const test = testOf(req, data.test, pre);
  try {
    const r = await learnFewShot(pre, shots, req.classes.length, test, req.seed, onProgress);
    return Object.assign(r, { testImages: test?.x.shape[0] ?? 0, examples: shots.x.shape[0] });
  } finally {
    shots.x.dispose();
    shots.y.dispose();
    test?.x.dispose();
    test?.y.dispose();
  }
}
