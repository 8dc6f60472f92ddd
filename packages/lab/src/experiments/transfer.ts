/**
 * transfer: pretrain a small BatchNorm CNN on Fashion-MNIST classes 0–4,
 * then learn classes 5–9 from k = 5, 20 and 200 labelled images per class
 * three ways: from scratch, with the pretrained backbone frozen under a new
 * linear head, and finetuning everything from the pretrained weights. The
 * lecture's table of how much to retrain for how much data, measured.
 */
import { NerveError, type Tensor, manualSeed } from '@nerve/core';
import { Sequential } from '@nerve/layers';
import { Adam } from '@nerve/optim';
import type { BarFigure, Figure, Finding, LineFigure, Table } from '@nerve/plot';
import { discriminativeParamGroups, extractFeatures, trainLinearHead } from '@nerve/train';
import type { Experiment, LabContext, ParamValues } from '../experiment.js';
import {
  HEAD,
  NEW_CLASSES,
  type Task,
  type TransferSplit,
  accuracy,
  disposeSplit,
  disposeTask,
  drawShots,
  loadSplit,
  trainSteps,
  transferCnn,
} from './transfer-net.js';

/** Labelled images per new class: very little, some, quite a lot. */
export const SHOTS = [5, 20, 200] as const;
/** The three ways of learning the new task. */
export const METHODS = ['scratch', 'frozen', 'finetune'] as const;
type Method = (typeof METHODS)[number];
const METHOD_LABEL: Record<Method, string> = {
  scratch: 'scratch',
  frozen: 'frozen + new head',
  finetune: 'finetune',
};

/** Test accuracies per k, per method, one per draw. */
type Results = Map<number, Record<Method, number[]>>;

export interface Settings {
  channels: number[];
  resolution: 28 | 14;
  pretrainImages: number;
  pretrainEpochs: number;
  pretrainLr: number;
  schedule: string;
  steps: number;
  epochs: number;
  batchSize: number;
  lr: number;
  backboneLr: number;
  finetuneHead: 'probe' | 'new';
  headEpochs: number;
  draws: number;
  largeDraws: number;
  testImages: number;
}

export function settings(p: ParamValues): Settings {
  return {
    channels: String(p.channels).split('/').map(Number),
    resolution: Number(p.resolution) as 28 | 14,
    pretrainImages: p.pretrainImages as number,
    pretrainEpochs: p.pretrainEpochs as number,
    pretrainLr: p.pretrainLr as number,
    schedule: p.schedule as string,
    steps: p.steps as number,
    epochs: p.epochs as number,
    batchSize: p.batchSize as number,
    lr: p.lr as number,
    backboneLr: p.backboneLr as number,
    finetuneHead: p.finetuneHead as 'probe' | 'new',
    headEpochs: p.headEpochs as number,
    draws: p.draws as number,
    largeDraws: p.largeDraws as number,
    testImages: p.testImages as number,
  };
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Sample standard deviation (0 for one value). */
function std(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}
const pct = (v: number) => (100 * v).toFixed(1);
/** "mean ± std" over draws, or the one value. */
const pm = (xs: readonly number[]) =>
  xs.length > 1 ? `${mean(xs).toFixed(3)} ± ${std(xs).toFixed(3)}` : mean(xs).toFixed(3);

/** Pretrains the 5-class CNN on classes 0–4 (Adam at `pretrainLr`, batches of 64). */
export async function pretrain(
  split: TransferSplit,
  s: Settings,
  seed: number,
  ctx: Pick<LabContext, 'signal'>,
) {
  manualSeed(seed);
  const model = transferCnn(s.channels, 5, seed);
  const optimizer = new Adam(model.parameters(), { lr: s.pretrainLr });
  const n = split.pretrain.x.shape[0];
  const steps = s.pretrainEpochs * Math.ceil(n / 64);
  try {
    await trainSteps(model, optimizer, split.pretrain, {
      steps,
      batchSize: 64,
      seed,
      cosine: s.schedule === 'cosine',
      signal: ctx.signal,
    });
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    optimizer.disposeState();
  }
  return { model, steps };
}

/** Trains on the shots and returns the test accuracy; frees the model and the optimizer's state, also on abort. */
async function trainAndTest(
  model: Sequential,
  optimizer: Adam,
  shots: Task,
  test: Task,
  train: Parameters<typeof trainSteps>[3],
): Promise<number> {
  try {
    await trainSteps(model, optimizer, shots, train);
    return await accuracy(model, test.x, test.y);
  } finally {
    optimizer.disposeState();
    model.dispose();
  }
}

/** Steps of scratch and finetune on n labelled images: at least `steps`, and at least `epochs` passes. */
export function stepsFor(n: number, s: Pick<Settings, 'steps' | 'epochs' | 'batchSize'>): number {
  return Math.max(s.steps, Math.ceil((s.epochs * n) / s.batchSize));
}

/** Draws at k: `draws` below 200 labels per class, `largeDraws` at 200 (where draws differ little). */
const drawsAt = (k: number, s: Settings) => (k >= 200 ? s.largeDraws : s.draws);

/** The three methods on one draw of k shots; returns their test accuracies. */
async function compare(
  pretrained: Sequential,
  backbone: Sequential,
  testFeatures: Tensor,
  split: TransferSplit,
  shots: Task,
  s: Settings,
  seed: number,
  signal: AbortSignal | undefined,
): Promise<Record<Method, number>> {
  const train = {
    steps: stepsFor(shots.x.shape[0], s),
    batchSize: s.batchSize,
    seed,
    cosine: s.schedule === 'cosine',
    signal,
  };
  // The new layers of every method start from the same initialization.
  const init = 1000 + seed;

  // From scratch: the same network, randomly initialized, every layer at lr.
  const scratch = transferCnn(s.channels, 5, init);
  const sOpt = new Adam(scratch.parameters(), { lr: s.lr });
  const scratchAcc = await trainAndTest(scratch, sOpt, shots, split.test, train);

  // Frozen backbone: its features computed once, a new linear head trained on them.
  signal?.throwIfAborted();
  const feats = extractFeatures(backbone, shots.x);
  let frozenAcc: number;
  let probe: Record<string, Tensor> | null = null;
  try {
    const { head } = await trainLinearHead(feats, shots.y, {
      // Stated, not counted from the labels (which would read them synchronously).
      classes: NEW_CLASSES.length,
      epochs: s.headEpochs,
      lr: 1e-2,
      batchSize: s.batchSize,
      seed: init + 3,
    });
    frozenAcc = await accuracy(head, testFeatures, split.test.y);
    if (s.finetuneHead === 'probe') {
      // Kept (as copies) for finetuning to start from; the head itself is freed.
      probe = Object.fromEntries(
        Object.entries(head.stateDict()).map(([k, v]) => [`${HEAD}.${k}`, v.clone()]),
      );
    }
    head.dispose();
  } finally {
    feats.dispose();
  }
  signal?.throwIfAborted();

  // Finetune: the pretrained backbone (at backboneLr) under a head (at lr):
  // with finetuneHead 'probe', the linear head just trained on the frozen
  // features (linear probing then finetuning, Kumar et al. 2022), else a new one.
  const model = transferCnn(s.channels, 5, init);
  const backboneState = Object.fromEntries(
    Object.entries(pretrained.stateDict()).filter(([k]) => Number(k.split('.')[0]) < HEAD),
  );
  try {
    // Not strict (the head is new without the probe), so check that every
    // given tensor found its place.
    const { unexpectedKeys } = model.loadStateDict(
      { ...backboneState, ...(probe ?? {}) },
      { strict: false },
    );
    if (unexpectedKeys.length > 0) {
      model.dispose();
      throw new NerveError(
        'lab transfer',
        'backbone and head weights of the CNN',
        `${unexpectedKeys}`,
      );
    }
  } finally {
    for (const t of Object.values(probe ?? {})) t.dispose();
  }
  const groups = discriminativeParamGroups(
    model,
    [
      {
        pattern: new RegExp(`^(${Array.from({ length: HEAD }, (_, i) => i).join('|')})\\.`),
        lr: s.backboneLr,
      },
    ],
    { defaultLr: s.lr },
  );
  const fOpt = new Adam(groups, { lr: s.lr });
  const finetuneAcc = await trainAndTest(model, fOpt, shots, split.test, train);
  return { scratch: scratchAcc, frozen: frozenAcc, finetune: finetuneAcc };
}

async function run(params: ParamValues, ctx: LabContext) {
  const s = settings(params);
  const progress = (fraction: number, message: string) => ctx.onProgress?.({ fraction, message });
  const t0 = performance.now();
  progress(0, 'loading Fashion-MNIST');
  const split = await loadSplit(ctx.data, s.pretrainImages, s.testImages, s.resolution);
  const results: Results = new Map();
  try {
    ctx.signal?.throwIfAborted();
    progress(0.05, `pretraining on ${split.pretrain.x.shape[0]} images of classes 0–4`);
    const pre = await pretrain(split, s, ctx.seed, ctx);
    const tPre = performance.now();
    const pretrainAcc = await accuracy(pre.model, split.pretrainTest.x, split.pretrainTest.y);
    // The pretrained backbone as its own network (sharing the pretrained
    // layers, so disposing pre.model frees it).
    const featureNet = new Sequential(...pre.model.children().slice(0, HEAD));
    const testFeatures = extractFeatures(featureNet, split.test.x);
    try {
      const jobs = SHOTS.flatMap((k) =>
        Array.from({ length: drawsAt(k, s) }, (_, d) => ({ k, d })),
      );
      for (const [i, { k, d }] of jobs.entries()) {
        progress(0.3 + (0.7 * i) / jobs.length, `k = ${k}, draw ${d + 1} of ${drawsAt(k, s)}`);
        const seed = ctx.seed * 1000 + 10 * k + d;
        const shots = await drawShots(split.pool, k, seed);
        try {
          const r = await compare(
            pre.model,
            featureNet,
            testFeatures,
            split,
            shots,
            s,
            seed,
            ctx.signal,
          );
          const row = results.get(k) ?? { scratch: [], frozen: [], finetune: [] };
          for (const m of METHODS) row[m].push(r[m]);
          results.set(k, row);
        } finally {
          disposeTask(shots);
        }
      }
    } finally {
      testFeatures.dispose();
      pre.model.dispose();
    }
    progress(1, 'done');
    return summarize(results, s, {
      pretrainAcc,
      pretrainImages: split.pretrain.x.shape[0],
      testImages: split.test.x.shape[0],
      pretrainSeconds: (tPre - t0) / 1000,
    });
  } finally {
    disposeSplit(split);
  }
}

interface RunInfo {
  pretrainAcc: number;
  pretrainImages: number;
  testImages: number;
  pretrainSeconds: number;
}

/** The issue's bar: finetuning must beat scratch by at least this at k = 20. */
export const MIN_GAIN_K20 = 0.03;

function summarize(results: Results, s: Settings, info: RunInfo) {
  const at = (k: number) => results.get(k) ?? { scratch: [], frozen: [], finetune: [] };
  const m = (k: number, method: Method) => mean(at(k)[method]);
  const gain = (k: number, method: Method) => m(k, method) - m(k, 'scratch');
  const perDraw = (k: number, method: Method) => at(k)[method].map((v, i) => v - at(k).scratch[i]);
  const gainText = (k: number, method: Method) =>
    `${gain(k, method) >= 0 ? '+' : ''}${pct(gain(k, method))} points`;

  const findings: Finding[] = [
    {
      statement: `At k = 20 labels per class, finetuning the pretrained network beats the same network trained from scratch by at least ${pct(MIN_GAIN_K20)} points of test accuracy (mean over draws)`,
      measured: `scratch ${pm(at(20).scratch)}, finetune ${pm(at(20).finetune)}: ${gainText(20, 'finetune')} (per draw ${perDraw(
        20,
        'finetune',
      )
        .map((g) => pct(g))
        .join(', ')}); frozen + new head ${pm(at(20).frozen)} (${gainText(20, 'frozen')})`,
      held: gain(20, 'finetune') >= MIN_GAIN_K20,
    },
    {
      statement:
        'Pretraining helps at every data size: finetuning beats scratch at k = 5, 20 and 200',
      measured: SHOTS.map((k) => `k = ${k}: ${gainText(k, 'finetune')}`).join('; '),
      held: SHOTS.every((k) => gain(k, 'finetune') > 0),
    },
    {
      statement:
        'The advantage of pretraining shrinks as labelled data grows: the gain of finetuning over scratch is smaller at k = 200 than at k = 20',
      measured: `gain ${gainText(20, 'finetune')} at k = 20, ${gainText(200, 'finetune')} at k = 200 (scratch ${m(20, 'scratch').toFixed(3)} → ${m(200, 'scratch').toFixed(3)}, finetune ${m(20, 'finetune').toFixed(3)} → ${m(200, 'finetune').toFixed(3)})`,
      held: gain(200, 'finetune') < gain(20, 'finetune'),
    },
    {
      statement:
        'With little data, the frozen features with a new head are the stable choice: at k = 5 and 20 their accuracy varies less over draws than that of scratch or finetuning',
      measured: [5, 20]
        .map(
          (k) =>
            `k = ${k}: std over draws ${METHODS.map((method) => `${METHOD_LABEL[method]} ${std(at(k)[method]).toFixed(3)}`).join(', ')}`,
        )
        .join('; '),
      held: [5, 20].every(
        (k) => std(at(k).frozen) < std(at(k).scratch) && std(at(k).frozen) < std(at(k).finetune),
      ),
    },
    {
      statement:
        'With more data, retraining more pays: finetuning beats the frozen features with a new head at k = 200',
      measured: `k = 200: finetune ${m(200, 'finetune').toFixed(3)}, frozen + new head ${m(200, 'frozen').toFixed(3)}`,
      held: m(200, 'finetune') > m(200, 'frozen'),
    },
  ];

  const best = (k: number) =>
    METHODS.reduce((a, b) => (m(k, b) > m(k, a) ? b : a), 'scratch' as Method);
  const tables: Table[] = [
    {
      title: `Test accuracy on classes 5–9 (${info.testImages} images), mean ± std over draws (${s.draws} at k = 5 and 20, ${s.largeDraws} at k = 200)`,
      columns: [
        'labels per class',
        'scratch',
        'frozen + new head',
        'finetune',
        'finetune − scratch',
        'best',
      ],
      rows: SHOTS.map((k) => [
        k,
        pm(at(k).scratch),
        pm(at(k).frozen),
        pm(at(k).finetune),
        gainText(k, 'finetune'),
        METHOD_LABEL[best(k)],
      ]),
    },
    {
      title: 'Every draw',
      columns: ['labels per class', 'draw', 'scratch', 'frozen + new head', 'finetune'],
      rows: SHOTS.flatMap((k) =>
        at(k).scratch.map((_, d) => [
          k,
          d + 1,
          at(k).scratch[d],
          at(k).frozen[d],
          at(k).finetune[d],
        ]),
      ),
    },
  ];

  const accuracyFigure: LineFigure = {
    kind: 'line',
    id: 'accuracy',
    title: 'Test accuracy on the new classes against labels per class',
    caption: `Mean over draws of the labelled images (${s.draws} at k = 5 and 20, ${s.largeDraws} at k = 200); pretrained on ${info.pretrainImages} images of classes 0–4.`,
    x: { label: 'labelled images per class (k)', log: true, domain: [4, 250] },
    y: { label: 'test accuracy, classes 5–9' },
    series: METHODS.map((method) => ({
      name: METHOD_LABEL[method],
      x: [...SHOTS],
      y: SHOTS.map((k) => m(k, method)),
    })),
  };
  const gainFigure: BarFigure = {
    kind: 'bar',
    id: 'gain',
    title: 'Gain over training from scratch',
    y: { label: 'accuracy − scratch accuracy (points)' },
    categories: SHOTS.map((k) => `k = ${k}`),
    series: (['frozen', 'finetune'] as const).map((method) => ({
      name: METHOD_LABEL[method],
      values: SHOTS.map((k) => 100 * gain(k, method)),
    })),
  };
  const drawsFigure: LineFigure = {
    kind: 'line',
    id: 'draws',
    title: 'Every draw: test accuracy per method',
    x: { label: 'labelled images per class (k)', log: true, domain: [4, 250] },
    y: { label: 'test accuracy, classes 5–9' },
    points: true,
    series: METHODS.map((method) => ({
      name: METHOD_LABEL[method],
      x: SHOTS.flatMap((k) => at(k)[method].map(() => k)),
      y: SHOTS.flatMap((k) => at(k)[method]),
    })),
  };

  const notes = [
    `The pretrained network reaches ${info.pretrainAcc.toFixed(3)} on the test images of classes 0–4 after ${s.pretrainEpochs} epoch${s.pretrainEpochs > 1 ? 's' : ''} on ${info.pretrainImages} images of ${s.resolution}×${s.resolution} (${info.pretrainSeconds.toFixed(1)} s with loading).`,
    `Scratch and finetune take the same number of Adam steps (batches of ${s.batchSize}: at least ${s.steps} steps and at least ${s.epochs} pass${s.epochs === 1 ? '' : 'es'} over the labelled images, so ${SHOTS.map((k) => stepsFor(5 * k, s)).join(', ')} steps at k = ${SHOTS.join(', ')}${s.schedule === 'cosine' ? ', the learning rate decaying to 0 on a cosine' : ''}) from the same initialization of the new layers; the frozen backbone's features are computed once and a new linear head is trained on them for ${s.headEpochs} epochs${s.finetuneHead === 'probe' ? ', and finetuning starts from that head' : ''}.`,
  ];
  return {
    findings,
    tables,
    figures: [accuracyFigure, gainFigure, drawsFigure] as Figure[],
    notes,
  };
}

export const transfer: Experiment = {
  id: 'transfer',
  title: 'Transfer learning: how much to retrain for how much data',
  claim:
    'A network pretrained on related classes learns new classes from few labels better than the same network trained from scratch: finetuning it gains at least 3 points at 20 labels per class. With very little data a new head on the frozen features is the stable choice; as labelled data grows, finetuning pulls ahead of it and the advantage over scratch shrinks.',
  topic: 'transfer learning',
  seed: 0,
  params: {
    channels: {
      type: 'choice',
      default: '8/16/32',
      choices: ['8/16/32', '16/32/64'],
      description: 'channels of the three convolutions',
    },
    resolution: {
      type: 'choice',
      default: '28',
      choices: ['28', '14'],
      description:
        'image side: 14 average-pools every image 2×2 (a quarter of the convolution work)',
    },
    pretrainImages: {
      type: 'integer',
      default: 8000,
      quick: 640,
      min: 100,
      max: 30000,
      description: 'training images of classes 0–4 to pretrain on',
    },
    pretrainEpochs: {
      type: 'integer',
      default: 2,
      quick: 1,
      min: 1,
      max: 50,
      description: 'pretraining epochs',
    },
    schedule: {
      type: 'choice',
      default: 'cosine',
      choices: ['cosine', 'constant'],
      description: 'learning-rate schedule of pretraining, scratch and finetune',
    },
    pretrainLr: {
      type: 'number',
      default: 1e-2,
      min: 0,
      description: 'Adam learning rate of pretraining',
    },
    steps: {
      type: 'integer',
      default: 60,
      quick: 15,
      min: 1,
      description: 'least Adam steps of scratch and finetune on the labelled images',
    },
    epochs: {
      type: 'number',
      default: 3,
      quick: 0.5,
      min: 0,
      description: 'least passes of scratch and finetune over the labelled images',
    },
    batchSize: {
      type: 'integer',
      default: 20,
      min: 2,
      description: 'batch size on the labelled images',
    },
    lr: {
      type: 'number',
      default: 3e-3,
      min: 0,
      description: 'Adam learning rate of scratch and of the new head when finetuning',
    },
    backboneLr: {
      type: 'number',
      default: 3e-3,
      min: 0,
      description: 'Adam learning rate of the pretrained layers when finetuning',
    },
    finetuneHead: {
      type: 'choice',
      default: 'probe',
      choices: ['probe', 'new'],
      description:
        "finetuning's head: the linear head trained on the frozen features (probe), or a new one",
    },
    headEpochs: {
      type: 'integer',
      default: 30,
      quick: 5,
      min: 1,
      description: 'epochs of the new linear head on the frozen features',
    },
    draws: {
      type: 'integer',
      default: 4,
      quick: 1,
      min: 1,
      max: 20,
      description:
        'draws of the labelled images at k = 5 and 20 (each also re-initializes the new layers)',
    },
    largeDraws: {
      type: 'integer',
      default: 1,
      min: 1,
      max: 20,
      description: 'draws at k = 200',
    },
    testImages: {
      type: 'integer',
      default: 1000,
      quick: 300,
      min: 100,
      max: 5000,
      description: 'test images of classes 5–9 (and of 0–4 for the pretrained network)',
    },
  },
  run,
};
