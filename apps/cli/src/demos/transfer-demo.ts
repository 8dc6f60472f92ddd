/**
 * The transfer-learning demonstration: pretrain a small CNN on Fashion-MNIST
 * classes 0–4, then learn classes 5–9 from a few labelled images per class,
 * and compare, over several seeds, (a) the same network trained from scratch,
 * (b) the pretrained convolutions frozen under a new dense head (trained on
 * extracted features) and (c) finetuning everything from the pretrained
 * convolutions with a new dense head, the convolutions at a smaller
 * learning rate. Every method sees the same images in the same order for
 * the same epochs, and (b) and (c) start from the same new head.
 */
import { NerveError, type Tensor, manualSeed } from '@nerve/core';
import { DataLoader, TensorDataset } from '@nerve/data';
import { Sequential, crossEntropy } from '@nerve/layers';
import { Adam } from '@nerve/optim';
import {
  discriminativeParamGroups,
  evaluate,
  extractFeatures,
  fit,
  loadPretrained,
  readArchitecture,
  saveModel,
  trainHead,
} from '@nerve/train';
import {
  BACKBONE_LAYERS,
  type DemoData,
  type TaskData,
  type TransferCnnSpec,
  denseHead,
  disposeDemoData,
  fewShot,
  loadDemoData,
  transferCnn,
} from './transfer-demo-data.js';

export { transferCnn, type TransferCnnSpec } from './transfer-demo-data.js';

export interface TransferDemoOptions {
  /** Seeds of the repeated comparisons (default [0, 1, 2, 3, 4]). */
  seeds?: number[];
  /** A model saved by `saveModel` with a TransferCnnSpec, used instead of pretraining. */
  pretrained?: string;
  /** Training images of classes 0–4 to pretrain on (default 10,000 of 30,000). */
  pretrainImages?: number;
  /** Pretraining epochs (default 2). */
  pretrainEpochs?: number;
  /** Where to save the pretrained model (for `pretrained` in later runs). */
  savePretrained?: string;
  /** Labelled images per new class (default 20). */
  shots?: number;
  /** Training epochs of every method on the few shots (default 20). */
  epochs?: number;
  /** Learning rate (Adam) of new layers and of training from scratch (default 2e-3). */
  lr?: number;
  /** Learning rate of the pretrained convolutions when finetuning (default 5e-4). */
  backboneLr?: number;
  /** Batch size on the few shots (default 20). */
  batchSize?: number;
  /** Evaluate on at most this many test images per task (default all: 5,000). */
  testImages?: number;
  /** A folder with the Fashion-MNIST IDX files, if not installed system-wide. */
  dataDir?: string;
  /** Progress lines. */
  log?: (line: string) => void;
  /**
   * Transfer methods to compare with scratch (default both). A method left
   * out is not run: its accuracies are [] and its summary NaN.
   */
  methods?: readonly Exclude<TransferMethod, 'scratch'>[];
  /** Called after each seed with the test accuracy of each method run (a progress event). */
  onSeed?: (seed: number, accuracy: Partial<Record<TransferMethod, number>>) => void;
}

/** The methods compared. */
export const TRANSFER_METHODS = ['scratch', 'frozen', 'finetune'] as const;
/** One of the compared methods. */
export type TransferMethod = (typeof TRANSFER_METHODS)[number];

export interface TransferDemoResult {
  seeds: number[];
  /** Test accuracy on classes 5–9, one per seed, per method. */
  accuracy: Record<TransferMethod, number[]>;
  /** Mean and sample standard deviation over the seeds. */
  summary: Record<TransferMethod, { mean: number; std: number }>;
  /** The pretrained network's accuracy on the test images of classes 0–4. */
  pretrainAccuracy: number;
  /** Images: pretraining (as recorded in a loaded model), labelled shots, test (classes 5–9). */
  counts: { pretrain: number; shots: number; test: number };
  /** Wall-clock seconds of each phase. */
  seconds: { data: number; pretrain: number; compare: number; total: number };
}

type Settings = Required<
  Omit<
    TransferDemoOptions,
    'pretrained' | 'savePretrained' | 'testImages' | 'dataDir' | 'log' | 'methods' | 'onSeed'
  >
> &
  TransferDemoOptions;

const PRETRAIN_SEED = 12345;
const ce = (out: Tensor, y: Tensor) => crossEntropy(out, y);
const now = () => performance.now() / 1000;

async function accuracyOf(model: Sequential, data: TaskData): Promise<number> {
  const loader = new DataLoader(new TensorDataset(data.x, data.y), { batchSize: 500 });
  return (await evaluate(model, loader)).accuracy;
}

/** Pretrains the 5-class CNN on classes 0–4 (Adam 1e-3, batch 64), or loads it. */
async function pretrain(
  data: DemoData,
  o: Settings,
): Promise<{ model: Sequential; images: number }> {
  if (o.pretrained) {
    const r = await loadPretrained(o.pretrained, (spec: TransferCnnSpec) => transferCnn(spec));
    return { model: r.model, images: Number(r.metadata.pretrainImages ?? Number.NaN) };
  }
  manualSeed(PRETRAIN_SEED);
  const model = transferCnn({ classes: 5, seed: PRETRAIN_SEED });
  const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
  await fit(model, {
    train: new DataLoader(new TensorDataset(data.pretrain.x, data.pretrain.y), {
      batchSize: 64,
      shuffle: true,
      seed: PRETRAIN_SEED,
    }),
    epochs: o.pretrainEpochs,
    optimizer,
    loss: ce,
  });
  optimizer.disposeState();
  const images = data.pretrain.x.shape[0];
  if (o.savePretrained) {
    const spec: TransferCnnSpec = {
      kind: 'transfer-cnn',
      classes: 5,
      seed: PRETRAIN_SEED,
      mean: data.mean,
      std: data.std,
    };
    await saveModel(o.savePretrained, model, spec, {
      pretrainImages: String(images),
      pretrainEpochs: String(o.pretrainEpochs),
      task: 'Fashion-MNIST classes 0-4',
    });
  }
  return { model, images };
}

/**
 * Runs the comparison and returns the accuracies per method and seed. Needs
 * Fashion-MNIST (Debian's dataset-fashion-mnist, or `dataDir`) and throws
 * with instructions when it is missing.
 */
export async function runTransferDemo(opts: TransferDemoOptions = {}): Promise<TransferDemoResult> {
  const start = now();
  const o: Settings = {
    seeds: [0, 1, 2, 3, 4],
    pretrainImages: 10_000,
    pretrainEpochs: 2,
    shots: 20,
    epochs: 20,
    lr: 2e-3,
    backboneLr: 5e-4,
    batchSize: 20,
    ...opts,
  };
  checkSettings(o);
  const log = o.log ?? (() => {});
  const run = TRANSFER_METHODS.filter(
    (m) => m === 'scratch' || (o.methods ?? ['frozen', 'finetune']).includes(m),
  );
  // A pretrained model brings the input normalization it was trained with.
  const norm = o.pretrained ? await readArchitecture<TransferCnnSpec>(o.pretrained) : undefined;
  const data = loadDemoData({ ...o, pretrainImages: norm ? 0 : o.pretrainImages, norm });
  const tData = now();
  const accuracy: Record<TransferMethod, number[]> = { scratch: [], frozen: [], finetune: [] };
  let pretrained: Sequential | null = null;
  let testFeatures: Tensor | null = null;
  try {
    const pre = await pretrain(data, o);
    pretrained = pre.model;
    const pretrainAccuracy = await accuracyOf(pretrained, data.pretrainTest);
    log(
      `pretrained on ${pre.images} images of classes 0–4: test accuracy ${pretrainAccuracy.toFixed(4)}`,
    );
    const tPre = now();
    // The frozen backbone runs once over the test images, for every seed.
    const backbone = new Sequential(...pretrained.children().slice(0, BACKBONE_LAYERS));
    testFeatures = extractFeatures(backbone, data.test.x);
    for (const seed of o.seeds) {
      const shots = fewShot(data.pool, o.shots, seed);
      try {
        const r = await compareOnce(pretrained, backbone, shots, testFeatures, data.test, seed, {
          ...o,
          run,
        });
        for (const m of run) accuracy[m].push(r[m]);
        log(`seed ${seed}: ${run.map((m) => `${m} ${r[m].toFixed(4)}`).join(', ')}`);
        o.onSeed?.(seed, Object.fromEntries(run.map((m) => [m, r[m]])));
      } finally {
        shots.x.dispose();
        shots.y.dispose();
      }
    }
    const end = now();
    return {
      seeds: [...o.seeds],
      accuracy,
      summary: {
        scratch: meanStd(accuracy.scratch),
        frozen: run.includes('frozen') ? meanStd(accuracy.frozen) : { mean: NaN, std: NaN },
        finetune: run.includes('finetune') ? meanStd(accuracy.finetune) : { mean: NaN, std: NaN },
      },
      pretrainAccuracy,
      counts: { pretrain: pre.images, shots: o.shots * 5, test: data.test.x.shape[0] },
      seconds: {
        data: tData - start,
        pretrain: tPre - tData,
        compare: end - tPre,
        total: end - start,
      },
    };
  } finally {
    testFeatures?.dispose();
    pretrained?.dispose();
    disposeDemoData(data);
  }
}

/** One seed: the three methods on the same few shots. */
async function compareOnce(
  pretrained: Sequential,
  backbone: Sequential,
  shots: TaskData,
  testFeatures: Tensor,
  test: TaskData,
  seed: number,
  o: Settings & { run: readonly TransferMethod[] },
): Promise<Record<TransferMethod, number>> {
  const loader = () =>
    new DataLoader(new TensorDataset(shots.x, shots.y), {
      batchSize: o.batchSize,
      shuffle: true,
      seed,
    });
  // transferCnn's dense head takes seeds init + 2 and init + 3: the same as denseHead(5, init + 2).
  const init = 100 + 10 * seed;

  // (a) From scratch: the same network, random initialization.
  const scratch = transferCnn({ classes: 5, seed: init });
  const sOpt = new Adam(scratch.parameters(), { lr: o.lr });
  await fit(scratch, { train: loader(), epochs: o.epochs, optimizer: sOpt, loss: ce });
  const scratchAcc = await accuracyOf(scratch, test);
  sOpt.disposeState();
  scratch.dispose();

  // (b) Frozen convolutions: a new dense head trained on the extracted features.
  let frozenAcc = Number.NaN;
  if (o.run.includes('frozen')) {
    const feats = extractFeatures(backbone, shots.x);
    const { head } = await trainHead(feats, shots.y, {
      head: new Sequential(...denseHead(5, init + 2)),
      epochs: o.epochs,
      lr: o.lr,
      batchSize: o.batchSize,
      seed,
    });
    feats.dispose();
    frozenAcc = await accuracyOf(head, { x: testFeatures, y: test.y });
    head.dispose();
  }
  if (!o.run.includes('finetune'))
    return { scratch: scratchAcc, frozen: frozenAcc, finetune: Number.NaN };

  // (c) Finetune all: pretrained convolutions (at backboneLr), new dense head.
  const model = transferCnn({ classes: 5, seed: init });
  const conv = Object.fromEntries(
    Object.entries(pretrained.stateDict()).filter(
      ([k]) => Number(k.split('.')[0]) < BACKBONE_LAYERS,
    ),
  );
  model.loadStateDict(conv, { strict: false });
  const groups = discriminativeParamGroups(model, [{ pattern: /^[0-6]\./, lr: o.backboneLr }], {
    defaultLr: o.lr,
  });
  const fOpt = new Adam(groups, { lr: o.lr });
  await fit(model, { train: loader(), epochs: o.epochs, optimizer: fOpt, loss: ce });
  const finetuneAcc = await accuracyOf(model, test);
  fOpt.disposeState();
  model.dispose();
  return { scratch: scratchAcc, frozen: frozenAcc, finetune: finetuneAcc };
}

/** Rejects option values the demo cannot run with, all problems at once. */
function checkSettings(o: Settings): void {
  const op = 'runTransferDemo';
  const problems: string[] = [];
  if (!Array.isArray(o.seeds) || !o.seeds.every((s) => Number.isSafeInteger(s) && s >= 0)) {
    problems.push(`seeds must be non-negative integers, received ${String(o.seeds)}`);
  }
  for (const k of ['pretrainImages', 'pretrainEpochs', 'shots', 'epochs', 'batchSize'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1)
      problems.push(`${k} must be a positive integer, received ${o[k]}`);
  }
  for (const k of ['lr', 'backboneLr'] as const) {
    if (!(typeof o[k] === 'number' && o[k] >= 0))
      problems.push(`${k} must be a number ≥ 0, received ${o[k]}`);
  }
  if (o.testImages !== undefined && !(Number.isInteger(o.testImages) && o.testImages >= 1)) {
    problems.push(`testImages must be a positive integer, received ${o.testImages}`);
  }
  if (problems.length > 0) throw NerveError.raw(op, problems.join('; '));
}

/** Mean and sample standard deviation (Bessel's correction; 0 for one value). */
export function meanStd(xs: readonly number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(xs.length - 1, 1);
  return { mean, std: Math.sqrt(v) };
}
