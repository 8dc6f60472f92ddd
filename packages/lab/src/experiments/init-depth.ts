/**
 * init-depth: the lecture's picture of activations through a deep network
 * under different weight initializations. Ten layers of 500 units, no bias,
 * fed 1,000 N(0, 1) inputs; per layer the mean, standard deviation and a
 * histogram of the activations, and the weight-gradient norms of one
 * backward pass.
 *
 * The arithmetic behind each reference number: a unit's pre-activation sums
 * fanIn = 500 products, so its std is std(W)·√500·rms(input).
 * - 0.01·N(0,1): 0.01·√500 = 0.224, and tanh is linear there, so every
 *   layer multiplies the std by 0.224: 0.21 at layer 1, 0.21·0.224⁹ ≈ 3e-7
 *   at layer 10.
 * - N(0,1): pre-activations of std ≈ 22 put tanh at ±1 (std ≈ 0.98, local
 *   gradient 1 − tanh² ≈ 0).
 * - Xavier (Glorot & Bengio 2010), std √(2/(fanIn+fanOut)) = √(1/500):
 *   unit-variance pre-activations at layer 1 (tanh std 0.63), shrinking
 *   slowly because tanh compresses (0.23 at layer 10).
 * - ReLU halves the second moment; with Xavier the std falls by √2 per
 *   layer: 0.58 → 0.58/√2⁹ ≈ 0.03. He et al. 2015 double the weight
 *   variance (√(2/fanIn)) and the scale holds (≈ 0.83 at every layer).
 */
import { type Tensor, randn, tidy } from '@nerve/core';
import { type Initializer, heNormal, normal, xavierNormal } from '@nerve/init';
import { Linear } from '@nerve/layers';
import type { Figure, Finding, Histogram, Table } from '@nerve/plot';
import type { Experiment, LabContext } from '../experiment.js';
import {
  fmtNum,
  histogram,
  linearEdges,
  meanAbs,
  meanStd,
  sumOfSquares,
} from '../util/host-stats.js';

/** One initialization scheme of the comparison. */
interface InitCase {
  id: string;
  label: string;
  activation: 'tanh' | 'relu';
  init: Initializer;
}

const CASES: readonly InitCase[] = [
  { id: 'small', label: 'tanh, 0.01·N(0,1)', activation: 'tanh', init: normal(0, 0.01) },
  { id: 'unit', label: 'tanh, N(0,1)', activation: 'tanh', init: normal(0, 1) },
  { id: 'xavier-tanh', label: 'tanh, Xavier', activation: 'tanh', init: xavierNormal() },
  { id: 'xavier-relu', label: 'ReLU, Xavier', activation: 'relu', init: xavierNormal() },
  { id: 'he-relu', label: 'ReLU, He', activation: 'relu', init: heNormal() },
];

/** What one case measured, per layer (index 0 is layer 1). */
export interface InitDepthCase {
  id: string;
  label: string;
  activation: 'tanh' | 'relu';
  means: number[];
  stds: number[];
  meanAbs: number[];
  /** Mean local gradient 1 − tanh² (tanh cases) or the fraction of active units (ReLU). */
  localGrad: number[];
  gradNorms: number[];
  histograms: Histogram[];
}

/** Runs one case: forward through `depth` layers, one backward pass, stats per layer. */
async function runCase(
  c: InitCase,
  p: { samples: number; width: number; depth: number; bins: number },
  seed: number,
): Promise<InitDepthCase> {
  // The same seeds for every case: the layers draw the same normal numbers,
  // so the cases differ only in their scale and activation.
  const layers = Array.from(
    { length: p.depth },
    (_, l) =>
      new Linear(p.width, p.width, { bias: false, init: { weight: c.init }, seed: seed + 1 + l }),
  );
  let acts: Tensor[] = [];
  try {
    acts = tidy(() => {
      const x = randn([p.samples, p.width], { seed });
      // A fixed random upstream gradient: L = Σ h_L ⊙ g / N, so ∂L/∂h_L = g/N
      // for every case and the weight gradients show only what the layers do to it.
      const g = randn([p.samples, p.width], { seed: seed + 1000 });
      const hs: Tensor[] = [];
      let h = x;
      for (const layer of layers) {
        const z = layer.call(h);
        h = c.activation === 'tanh' ? z.tanh() : z.relu();
        hs.push(h);
      }
      h.mul(g).sum().div(p.samples).backward();
      return hs;
    });
    const edges = c.activation === 'tanh' ? linearEdges(-1, 1, p.bins) : linearEdges(0, 4, p.bins);
    const out: InitDepthCase = {
      id: c.id,
      label: c.label,
      activation: c.activation,
      means: [],
      stds: [],
      meanAbs: [],
      localGrad: [],
      gradNorms: [],
      histograms: [],
    };
    for (let l = 0; l < p.depth; l++) {
      const values = await (acts[l] as Tensor).data();
      const s = meanStd(values);
      out.means.push(s.mean);
      out.stds.push(s.std);
      out.meanAbs.push(meanAbs(values));
      out.localGrad.push(localGradient(c.activation, values));
      // About half of a ReLU layer's outputs are exactly 0; a bin holding them
      // would flatten the rest of the histogram, so only the positive ones are binned.
      const binned = c.activation === 'relu' ? values.filter((v) => v > 0) : values;
      out.histograms.push(histogram(`layer ${l + 1}`, binned, edges));
      const grad = (layers[l] as Linear).weight.grad;
      out.gradNorms.push(grad === null ? 0 : Math.sqrt(sumOfSquares(await grad.data())));
    }
    return out;
  } finally {
    for (const a of acts) a.dispose();
    for (const layer of layers) {
      layer.weight.grad?.dispose();
      layer.dispose();
    }
  }
}

/** Mean of tanh′ = 1 − tanh² (from the outputs), or of ReLU′ (the active fraction). */
function localGradient(activation: 'tanh' | 'relu', h: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < h.length; i++) {
    const v = h[i] as number;
    s += activation === 'tanh' ? 1 - v * v : v > 0 ? 1 : 0;
  }
  return h.length === 0 ? 0 : s / h.length;
}

/**
 * The findings. Each threshold comes from the arithmetic in the file's
 * header; the factor-2 margins allow for the random weights, whose gain on
 * a 500-d input varies by a few percent per layer.
 */
function findings(r: Record<string, InitDepthCase>, depth: number, width: number): Finding[] {
  const last = depth - 1;
  const get = (id: string) => r[id] as InitDepthCase;
  const small = get('small');
  const unit = get('unit');
  const xt = get('xavier-tanh');
  const xr = get('xavier-relu');
  const he = get('he-relu');
  const first = (v: number[]) => v[0] as number;
  const final = (v: number[]) => v[last] as number;
  // 0.01·N(0,1): tanh is linear near 0, so each layer multiplies the std by 0.01·√width.
  const smallGain = (0.01 * Math.sqrt(width)) ** (depth - 1);
  const smallRatio = final(small.stds) / first(small.stds);
  // Xavier + ReLU: each layer halves the second moment, so the std falls by √2 per layer.
  const reluGain = Math.SQRT1_2 ** (depth - 1);
  const reluRatio = final(xr.stds) / first(xr.stds);
  // N(0,1): pre-activations of std σ ≈ √width·0.98; E[1 − tanh²(z)] ≈ 2/(√(2π)·σ).
  const saturatedGrad = 2 / (Math.sqrt(2 * Math.PI) * Math.sqrt(width) * final(unit.stds));
  return [
    {
      statement: `0.01·N(0,1) with tanh: the std shrinks by 0.01·√${width} = ${fmtNum(0.01 * Math.sqrt(width))} per layer and collapses to zero`,
      measured: `std ${fmtNum(first(small.stds))} at layer 1, ${fmtNum(final(small.stds))} at layer ${depth} (ratio ${fmtNum(smallRatio)}; the arithmetic gives ${fmtNum(smallGain)})`,
      held: smallRatio > smallGain / 2 && smallRatio < smallGain * 2,
    },
    {
      statement:
        'N(0,1) with tanh: every layer saturates at ±1, where the local gradient 1 − tanh² is almost zero',
      measured: `std ${fmtNum(final(unit.stds))}, mean |tanh| ${fmtNum(final(unit.meanAbs))} and mean 1 − tanh² ${fmtNum(final(unit.localGrad))} at layer ${depth} (the arithmetic gives ${fmtNum(saturatedGrad)})`,
      held:
        unit.meanAbs.every((m) => m > 0.9) && unit.localGrad.every((g) => g < 2 * saturatedGrad),
    },
    {
      statement: 'Xavier with tanh: a sane scale at every layer, shrinking only slowly',
      measured: `std ${fmtNum(first(xt.stds))} at layer 1, ${fmtNum(final(xt.stds))} at layer ${depth}`,
      // Slower than the ReLU/Xavier collapse (1/√2 per layer), which it would match if it collapsed.
      held: final(xt.stds) / first(xt.stds) > 2 * reluGain && xt.stds.every((s) => s < 1),
    },
    {
      statement:
        'Xavier with ReLU: ReLU halves the second moment, so the std falls by √2 per layer',
      measured: `std ${fmtNum(first(xr.stds))} at layer 1, ${fmtNum(final(xr.stds))} at layer ${depth} (ratio ${fmtNum(reluRatio)}; the arithmetic gives ${fmtNum(reluGain)})`,
      held: reluRatio > reluGain / 2 && reluRatio < reluGain * 2,
    },
    {
      statement: 'He with ReLU: doubling the weight variance keeps the scale at every layer',
      measured: `std from ${fmtNum(Math.min(...he.stds))} to ${fmtNum(Math.max(...he.stds))} over layers 1–${depth}`,
      // √2·0.584 = 0.83 at layer 1 (ReLU of N(0, 2)); the same in expectation after.
      held: he.stds.every((s) => s > 0.83 / 2 && s < 0.83 * 2),
    },
    {
      statement:
        'Weight gradients follow: under 0.01·N(0,1) they vanish, under Xavier (tanh) and He (ReLU) they keep one scale through the layers',
      measured: `‖∂L/∂W‖ at layer 1: 0.01·N(0,1) ${fmtNum(first(small.gradNorms))}, Xavier/tanh ${fmtNum(first(xt.gradNorms))}, He/ReLU ${fmtNum(first(he.gradNorms))}; layer 1 over layer ${depth}: Xavier/tanh ${fmtNum(first(xt.gradNorms) / final(xt.gradNorms))}, He/ReLU ${fmtNum(first(he.gradNorms) / final(he.gradNorms))}`,
      // The small net's gradients carry its activations (≤ 0.2) and its weights (0.01):
      // three orders of magnitude below Xavier's is far inside what the arithmetic gives.
      held:
        first(small.gradNorms) < 1e-3 * first(xt.gradNorms) &&
        [xt, he].every((c) => {
          const q = first(c.gradNorms) / final(c.gradNorms);
          return q > 0.5 && q < 2;
        }),
    },
    {
      statement:
        'Saturated N(0,1) tanh: the gradients do not vanish but explode backwards, because the large weights multiply what the small local gradient lets through',
      measured: `‖∂L/∂W‖ ${fmtNum(final(unit.gradNorms))} at layer ${depth}, ${fmtNum(first(unit.gradNorms))} at layer 1 (×${fmtNum(first(unit.gradNorms) / final(unit.gradNorms))})`,
      // Each layer back multiplies by about √width·rms(1 − tanh²) ≈ 22·0.16 ≈ 3.5.
      held: first(unit.gradNorms) > 100 * final(unit.gradNorms),
    },
  ];
}

const NOTES = [
  'The loss is L = Σ h₁₀ ⊙ g / N for a fixed random g, so every case backpropagates the same upstream gradient and the weight-gradient norms show what the layers do to it.',
  'The lecture says the saturated N(0,1) network has vanishing gradients. Its local gradients 1 − tanh² do vanish, but the weights of std 1 multiply the backward signal by √500 ≈ 22 per layer, so the weight gradients of the first layers are huge, not small: the network is as untrainable, for the opposite reason.',
];

export const initDepth: Experiment = {
  id: 'init-depth',
  title: 'Weight initialization in a deep network',
  claim:
    'Through 10 layers of 500 units, small random weights (0.01·N(0,1)) make the activations collapse to zero and large ones (N(0,1)) saturate tanh; Xavier keeps a tanh network at a sane scale, and ReLU needs He initialization to do the same.',
  topic: 'Weight initialization',
  seed: 0,
  params: {
    samples: {
      type: 'integer',
      default: 1000,
      quick: 200,
      min: 10,
      max: 10000,
      description: 'N(0,1) input vectors pushed through the network',
    },
    width: {
      type: 'integer',
      default: 500,
      min: 10,
      max: 2000,
      description: 'units per layer',
    },
    depth: { type: 'integer', default: 10, min: 2, max: 30, description: 'number of layers' },
    bins: { type: 'integer', default: 40, min: 5, max: 200, description: 'histogram bins' },
  },
  async run(params, ctx: LabContext) {
    const p = {
      samples: params.samples as number,
      width: params.width as number,
      depth: params.depth as number,
      bins: params.bins as number,
    };
    const results: Record<string, InitDepthCase> = {};
    for (const [i, c] of CASES.entries()) {
      ctx.signal?.throwIfAborted();
      ctx.onProgress?.({ fraction: i / CASES.length, message: c.label });
      results[c.id] = await runCase(c, p, ctx.seed);
    }
    ctx.onProgress?.({ fraction: 1, message: 'done' });
    const all = CASES.map((c) => results[c.id] as InitDepthCase);
    const layerAxis = Array.from({ length: p.depth }, (_, l) => l + 1);
    const figures: Figure[] = [
      {
        kind: 'line',
        id: 'std',
        title: 'Activation std per layer',
        caption: `${p.samples} N(0,1) inputs through ${p.depth} layers of ${p.width} units, no bias.`,
        x: { label: 'layer' },
        y: { label: 'std of the activations', log: true },
        series: all.map((c) => ({ name: c.label, x: layerAxis, y: c.stds })),
      },
      {
        kind: 'line',
        id: 'mean',
        title: 'Activation mean per layer',
        x: { label: 'layer' },
        y: { label: 'mean of the activations' },
        series: all.map((c) => ({ name: c.label, x: layerAxis, y: c.means })),
      },
      {
        kind: 'line',
        id: 'grad-norm',
        title: 'Weight-gradient norm per layer',
        caption:
          'One backward pass of L = Σ h₁₀ ⊙ g / N for a fixed random g, the same in every case.',
        x: { label: 'layer' },
        y: { label: '‖∂L/∂W‖ (Frobenius)', log: true },
        series: all.map((c) => ({ name: c.label, x: layerAxis, y: c.gradNorms })),
      },
      ...all.map(
        (c): Figure => ({
          kind: 'histogram',
          ...(c.activation === 'relu'
            ? {
                caption:
                  'Positive outputs only (about half are 0); values above 4 are counted in the last bin.',
              }
            : {}),
          id: `hist-${c.id}`,
          title: `Activations per layer: ${c.label}`,
          x: {
            label: c.activation === 'relu' ? 'ReLU output > 0' : 'tanh output',
          },
          panels: c.histograms,
        }),
      ),
    ];
    const tables: Table[] = [
      {
        title: 'Activation std per layer',
        columns: ['layer', ...all.map((c) => c.label)],
        rows: layerAxis.map((l) => [
          l,
          ...all.map((c) => Number(fmtNum(c.stds[l - 1] as number, 3))),
        ]),
      },
      {
        title: 'Weight-gradient norm per layer',
        columns: ['layer', ...all.map((c) => c.label)],
        rows: layerAxis.map((l) => [
          l,
          ...all.map((c) => Number(fmtNum(c.gradNorms[l - 1] as number, 3))),
        ]),
      },
    ];
    return { findings: findings(results, p.depth, p.width), tables, figures, notes: NOTES };
  },
};
