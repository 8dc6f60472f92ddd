/**
 * dead-relu: a ReLU unit whose input is negative for every training example
 * outputs 0 and passes back a zero gradient, so nothing ever moves its
 * weights again: it is dead, and stays dead. Two ways to get there — a bad
 * bias initialization and a learning rate that is too high — against a sane
 * setup, on the digits with nerve's digits MLP (64–128–64–10, the network
 * `nerve train` builds).
 *
 * A unit counts as dead when it is never positive on the whole training set,
 * measured after each epoch in one pass over it (not on the batches of an
 * epoch, as the ActivationMonitor does while weights are still moving).
 */
import { type Tensor, noGrad, tidy } from '@nerve/core';
import { DataLoader, Standardize, TensorDataset, trainValSplit } from '@nerve/data';
import { constant } from '@nerve/init';
import { Linear, type Module, ReLU, Sequential, crossEntropy } from '@nerve/layers';
import { SGD } from '@nerve/optim';
import type { Figure, Finding, Table } from '@nerve/plot';
import type { Experiment, LabContext } from '../experiment.js';
import { fmtNum } from '../util/host-stats.js';
import { onHost, toDevice } from '../util/on-host.js';

/** The digits MLP, Linear–ReLU–…–Linear, with each layer seeded from `seed`. */
function makeMlp(sizes: readonly number[], seed: number, firstBias?: number): Sequential {
  const layers: Module[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(
      new Linear(sizes[i] as number, sizes[i + 1] as number, {
        seed: seed + i,
        // Only the first layer's bias is set: a −3 bias in the second layer as
        // well would leave it nothing but zeros to work with.
        ...(i === 0 && firstBias !== undefined ? { init: { bias: constant(firstBias) } } : {}),
      }),
    );
    if (i + 2 < sizes.length) layers.push(new ReLU());
  }
  return new Sequential(...layers);
}

/** Per hidden layer, the fraction of units never positive on any row of `x`. */
async function deadFractions(net: Sequential, x: Tensor): Promise<number[]> {
  const hs = tidy(() =>
    noGrad(() => {
      const maxima: Tensor[] = [];
      let h = x;
      for (const m of net.children()) {
        h = m.call(h);
        // A unit is alive when its largest output over the set is positive.
        if (m instanceof ReLU) maxima.push(h.max(0));
      }
      return maxima;
    }),
  );
  const out: number[] = [];
  for (const m of hs) {
    const v = await m.data();
    let dead = 0;
    for (let j = 0; j < v.length; j++) if ((v[j] as number) <= 0) dead++;
    out.push(dead / v.length);
    m.dispose();
  }
  return out;
}

/** One setup of the comparison. */
interface Setup {
  id: string;
  label: string;
  firstBias?: number;
  lr: number;
  momentum: number;
}

/** One setup's dead fractions per layer, index 0 = before training. */
interface SetupResult {
  setup: Setup;
  dead: number[][];
  finalLoss: number;
}

async function trainSetup(
  s: Setup,
  data: { x: Tensor; y: Tensor },
  p: { epochs: number; batchSize: number; hidden: number[] },
  seed: number,
  ctx: LabContext,
  progress: (e: number) => void,
): Promise<SetupResult> {
  const net = makeMlp([64, ...p.hidden, 10], seed, s.firstBias);
  const opt = new SGD(net.parameters(), { lr: s.lr, momentum: s.momentum });
  const loader = new DataLoader(new TensorDataset(data.x, data.y), {
    batchSize: p.batchSize,
    shuffle: true,
    seed,
  });
  try {
    const dead = [await deadFractions(net, data.x)];
    let finalLoss = Number.NaN;
    for (let e = 0; e < p.epochs; e++) {
      ctx.signal?.throwIfAborted();
      let sum = 0;
      let n = 0;
      const losses: Tensor[] = [];
      for (const [xb, yb] of loader) {
        losses.push(
          tidy(() => {
            opt.zeroGrad();
            const loss = crossEntropy(net.call(xb as Tensor), yb as Tensor);
            loss.backward();
            opt.step();
            return loss.detach();
          }),
        );
        xb?.dispose();
        yb?.dispose();
      }
      for (const l of losses) {
        sum += await l.item();
        n++;
        l.dispose();
      }
      finalLoss = sum / n;
      dead.push(await deadFractions(net, data.x));
      progress(e + 1);
    }
    return { setup: s, dead, finalLoss };
  } finally {
    opt.zeroGrad();
    opt.disposeState();
    net.dispose();
  }
}

/**
 * The digits, split 80/20 (stratified) and standardized with training
 * statistics on the host, then moved to the active backend.
 */
async function digitsTrain(ctx: LabContext, seed: number): Promise<{ x: Tensor; y: Tensor }> {
  const host = await onHost(async () => {
    const { x, y } = await ctx.data.digits();
    const all = new TensorDataset(x, y);
    const { train, val } = trainValSplit(all, { valFraction: 0.2, seed, stratify: y });
    x.dispose();
    y.dispose();
    val.dispose();
    const xs = new Standardize().fitTransform(train.tensors[0] as Tensor);
    (train.tensors[0] as Tensor).dispose();
    return { x: xs, y: train.tensors[1] as Tensor };
  });
  return { x: await toDevice(host.x), y: await toDevice(host.y) };
}

const worst = (layers: number[]) => Math.max(...layers);

/** A number with a typographic minus sign, as the figures' labels use. */
const minus = (v: number) => String(v).replace('-', '−');

export const deadRelu: Experiment = {
  id: 'dead-relu',
  title: 'Dead ReLUs',
  claim:
    'A ReLU unit that is negative on every training example gets no gradient and never comes back. A bias initialized at −3 kills units before training starts; plain SGD at a learning rate of 2 kills most of a layer within the first epochs; a sane setup keeps nearly all units alive.',
  topic: 'Activation functions',
  seed: 0,
  params: {
    epochs: { type: 'integer', default: 5, min: 1, max: 50, description: 'training epochs' },
    batch: {
      type: 'integer',
      default: 32,
      min: 1,
      max: 1437,
      description: 'mini-batch size',
    },
    lr: {
      type: 'number',
      default: 2,
      min: 0,
      max: 100,
      description: 'the learning rate that is too high (plain SGD)',
    },
    bias: {
      type: 'number',
      default: -3,
      min: -100,
      max: 100,
      description: 'the bad initial bias of the first hidden layer',
    },
  },
  async run(params, ctx: LabContext) {
    const epochs = params.epochs as number;
    const p = { epochs, batchSize: params.batch as number, hidden: [128, 64] };
    const setups: Setup[] = [
      {
        id: 'bias',
        label: `bias init ${minus(params.bias as number)}`,
        firstBias: params.bias as number,
        lr: 0.05,
        momentum: 0.9,
      },
      { id: 'high-lr', label: `SGD lr ${params.lr}`, lr: params.lr as number, momentum: 0 },
      { id: 'sane', label: 'sane: SGD lr 0.05, momentum 0.9', lr: 0.05, momentum: 0.9 },
    ];
    const data = await digitsTrain(ctx, ctx.seed);
    try {
      const results: SetupResult[] = [];
      for (const [i, s] of setups.entries()) {
        ctx.onProgress?.({ fraction: i / setups.length, message: s.label });
        results.push(
          await trainSetup(s, data, p, ctx.seed, ctx, (e) =>
            ctx.onProgress?.({
              fraction: (i + e / epochs) / setups.length,
              message: `${s.label}: epoch ${e}/${epochs}`,
            }),
          ),
        );
      }
      return summarize(results, epochs);
    } finally {
      data.x.dispose();
      data.y.dispose();
    }
  },
};

function summarize(results: SetupResult[], epochs: number) {
  const [bias, high, sane] = results as [SetupResult, SetupResult, SetupResult];
  const epochAxis = Array.from({ length: epochs + 1 }, (_, e) => e);
  const biasLayer1 = bias.dead.map((d) => d[0] as number);
  const highWorst = high.dead.map(worst);
  const saneWorst = sane.dead.map(worst);
  const peakHigh = Math.max(...highWorst);
  const findings: Finding[] = [
    {
      statement: `A first-layer bias initialized at ${minus(bias.setup.firstBias as number)} leaves part of the layer dead before training, and those units stay dead`,
      measured: `dead in layer 1: ${fmtNum(biasLayer1[0] as number)} at init, ${biasLayer1.map((v) => fmtNum(v)).join(' → ')} over ${epochs} epochs`,
      // A first-layer unit dead on the whole set gets an exactly zero gradient
      // from every batch, so its weights never change: the fraction can only grow.
      held:
        (biasLayer1[0] as number) > 0.05 && biasLayer1.every((v) => v >= (biasLayer1[0] as number)),
    },
    {
      statement: `Plain SGD at lr ${high.setup.lr} kills most units of a layer within the first epochs, and they do not recover`,
      measured: `dead fraction of the worst layer: ${highWorst.map((v) => fmtNum(v)).join(' → ')}`,
      // "Most" = over half; "do not recover" = the last epoch keeps at least 3/4 of the peak.
      held:
        (highWorst[0] as number) === 0 &&
        peakHigh > 0.5 &&
        (highWorst[epochs] as number) >= 0.75 * peakHigh,
    },
    {
      statement:
        'A sane setup (default init, SGD lr 0.05 with momentum 0.9) keeps dead units under 5%',
      measured: `dead fraction of the worst layer: ${saneWorst.map((v) => fmtNum(v)).join(' → ')}; final training loss ${fmtNum(sane.finalLoss, 3)} vs ${fmtNum(high.finalLoss, 3)} at lr ${high.setup.lr}`,
      held: saneWorst.every((v) => v < 0.05),
    },
  ];
  const figures: Figure[] = [
    {
      kind: 'line',
      id: 'dead-fraction',
      title: 'Dead ReLU units per epoch',
      caption:
        'Fraction of hidden units never positive on the training set, in the layer with the most of them.',
      x: { label: 'epoch' },
      y: { label: 'dead fraction (worst layer)', domain: [0, 1] },
      series: results.map((r) => ({ name: r.setup.label, x: epochAxis, y: r.dead.map(worst) })),
    },
  ];
  const tables: Table[] = [
    {
      title: 'Dead fraction per hidden layer (layer 1: 128 units, layer 2: 64) after each epoch',
      columns: ['setup', 'layer', ...epochAxis.map((e) => (e === 0 ? 'init' : `epoch ${e}`))],
      rows: results.flatMap((r) =>
        [0, 1].map((l) => [
          r.setup.label,
          l + 1,
          ...r.dead.map((d) => Number((d[l] as number).toFixed(3))),
        ]),
      ),
    },
    {
      title: 'Final training loss',
      columns: ['setup', 'mean loss of the last epoch'],
      rows: results.map((r) => [r.setup.label, Number(r.finalLoss.toFixed(4))]),
    },
  ];
  const notes = [
    'A unit of the first layer that is dead on the whole training set gets an exactly zero gradient from every batch, so its weights never change and it cannot come back; units of later layers could only come back through changes below them, and at a learning rate this high they do not.',
    'With the −3 bias, the first-layer units that live fire on few examples, and the network learns little in these epochs (see the loss table) although most of its units are alive.',
  ];
  return { findings, tables, figures, notes };
}
