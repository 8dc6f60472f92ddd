/**
 * activations: what the lecture says about each activation function, measured.
 * - f and f′ of every activation in @nerve/layers (f′ by autograd).
 * - Saturation: sigmoid′ ≤ 1/4, so every sigmoid layer shrinks the gradient
 *   passing back by at least 4×; tanh (f′(0) = 1) and ReLU (f′ = 1 where
 *   active) do not. Measured as the weight-gradient norm of each layer of a
 *   5-layer net on the digits.
 * - Not zero-centred: behind positive inputs (sigmoid outputs) every weight
 *   gradient of a neuron has the sign of its δ, so per example all of them
 *   move the same way; a 2-D toy shows the zig-zag this forces on SGD.
 * - Maxout (Goodfellow et al. 2013) doubles the parameters of a layer at k = 2.
 */
import { type Tensor, tidy } from '@nerve/core';
import { Standardize } from '@nerve/data';
import type { Figure, Finding, Table } from '@nerve/plot';
import type { Experiment, LabContext } from '../experiment.js';
import { fmtNum } from '../util/host-stats.js';
import { onHost, toDevice } from '../util/on-host.js';
import {
  curves,
  hiddenGradNorms,
  maxoutParams,
  sameSignFraction,
  zigZag,
} from './activations-measure.js';

const SATURATING = ['sigmoid', 'tanh', 'ReLU'] as const;

export const activations: Experiment = {
  id: 'activations',
  title: 'Activation functions',
  claim:
    'Sigmoid saturates and its derivative never exceeds 1/4, so gradients shrink through every sigmoid layer; tanh and ReLU pass them on. Sigmoid outputs are not zero-centred: behind them all weight gradients of a neuron share one sign, and gradient descent zig-zags. Maxout avoids dead units at twice the parameters.',
  topic: 'Activation functions',
  seed: 0,
  params: {
    depth: {
      type: 'integer',
      default: 5,
      min: 2,
      max: 20,
      description: 'layers of the saturation net',
    },
    width: { type: 'integer', default: 64, min: 4, max: 512, description: 'units per layer' },
    batch: {
      type: 'integer',
      default: 512,
      min: 1,
      max: 1797,
      description: 'digits in the batch whose gradient is measured',
    },
    examples: {
      type: 'integer',
      default: 200,
      quick: 50,
      min: 1,
      max: 1797,
      description: 'single examples whose gradient signs are counted',
    },
    steps: {
      type: 'integer',
      default: 60,
      min: 2,
      max: 1000,
      description: 'SGD steps of the 2-D toy',
    },
    lr: {
      type: 'number',
      default: 1,
      min: 0,
      max: 10,
      description: 'learning rate of the 2-D toy',
    },
  },
  async run(params, ctx: LabContext) {
    const p = {
      depth: params.depth as number,
      width: params.width as number,
      batch: params.batch as number,
      examples: params.examples as number,
      steps: params.steps as number,
      lr: params.lr as number,
    };
    const progress = (fraction: number, message: string) => {
      ctx.signal?.throwIfAborted();
      ctx.onProgress?.({ fraction, message });
    };
    // Standardized on the host (fit reads synchronously), trained on the run's backend.
    const host = await onHost(async () => {
      const { x: raw, y } = await ctx.data.digits();
      try {
        return { x: tidy(() => new Standardize().fitTransform(raw)), y };
      } finally {
        raw.dispose();
      }
    });
    const y = await toDevice(host.y);
    let x: Tensor | null = null;
    try {
      x = await toDevice(host.x);
      progress(0, 'f and f′');
      const fs = await curves(-5, 5, 201);
      progress(0.2, 'gradient through a deep net');
      const xb = x.narrow(0, 0, p.batch);
      const yb = y.narrow(0, 0, p.batch);
      const norms: Record<string, number[]> = {};
      try {
        for (const a of SATURATING) {
          norms[a] = await hiddenGradNorms(a, xb, yb, p.depth, p.width, ctx.seed);
        }
      } finally {
        xb.dispose();
        yb.dispose();
      }
      progress(0.5, 'gradient signs behind positive inputs');
      const sameSigmoid = await sameSignFraction('sigmoid', x, y, p.examples, ctx.seed);
      const sameTanh = await sameSignFraction('tanh', x, y, p.examples, ctx.seed);
      progress(0.8, 'the 2-D zig-zag');
      const pos = await zigZag(false, p.steps, p.lr, ctx.seed);
      const cen = await zigZag(true, p.steps, p.lr, ctx.seed);
      const mo = maxoutParams(64, 100, 2);
      progress(1, 'done');
      return report(p, fs, norms, { sameSigmoid, sameTanh }, { pos, cen }, mo);
    } finally {
      x?.dispose();
      y.dispose();
    }
  },
};

function report(
  p: { depth: number; steps: number },
  fs: Awaited<ReturnType<typeof curves>>,
  norms: Record<string, number[]>,
  signs: { sameSigmoid: number; sameTanh: number },
  zz: { pos: Awaited<ReturnType<typeof zigZag>>; cen: Awaited<ReturnType<typeof zigZag>> },
  mo: { linearRelu: number; maxout: number },
) {
  const curve = (name: string) => fs.find((c) => c.name === name) as (typeof fs)[number];
  const sig = curve('sigmoid');
  const maxD = (c: (typeof fs)[number]) => Math.max(...c.df);
  const edgeD = (c: (typeof fs)[number]) =>
    Math.max(c.df[0] as number, c.df[c.df.length - 1] as number);
  const first = (a: string) => (norms[a] as number[])[0] as number;
  const last = (a: string) => (norms[a] as number[])[p.depth - 1] as number;
  // The factor by which the gradient shrinks per layer going back (geometric mean).
  const perLayer = (a: string) => (first(a) / last(a)) ** (1 / (p.depth - 1));
  const findings: Finding[] = [
    {
      statement:
        'The sigmoid’s derivative never exceeds 1/4 and is nearly 0 at |x| = 5 (saturation)',
      measured: `max σ′ ${fmtNum(maxD(sig), 4)}, σ′(±5) ${fmtNum(edgeD(sig))}; tanh′ max ${fmtNum(maxD(curve('tanh')), 3)}, tanh′(±5) ${fmtNum(edgeD(curve('tanh')))}`,
      // σ′ = σ(1 − σ) ≤ 1/4 at x = 0; σ′(5) = 0.0066.
      held: maxD(sig) <= 0.25 + 1e-6 && edgeD(sig) < 0.01,
    },
    {
      statement: `Through a ${p.depth}-layer sigmoid net the gradient shrinks by a large factor at every layer on its way back to the first; through tanh and ReLU (with Xavier and He init) it keeps its size`,
      measured: `‖∂L/∂W‖ from layer ${p.depth} to layer 1: sigmoid ${fmtNum(last('sigmoid'))} → ${fmtNum(first('sigmoid'))} (×${fmtNum(perLayer('sigmoid'))} per layer), tanh ${fmtNum(last('tanh'))} → ${fmtNum(first('tanh'))} (×${fmtNum(perLayer('tanh'))}), ReLU ${fmtNum(last('ReLU'))} → ${fmtNum(first('ReLU'))} (×${fmtNum(perLayer('ReLU'))})`,
      // σ′ ≤ 1/4 with weights of unit gain allows at most ×1/4 per layer (a
      // little more where the layer's input scale changes): below 1/2 is
      // saturation, and [1/2, 2] is a gradient that keeps its size.
      held:
        perLayer('sigmoid') < 0.5 &&
        [perLayer('tanh'), perLayer('ReLU')].every((r) => r > 0.5 && r < 2),
    },
    {
      statement:
        'Behind all-positive inputs (sigmoid outputs) every weight gradient of a neuron shares one sign; behind zero-centred ones (tanh) almost never',
      measured: `one-signed gradient rows, per example: ${fmtNum(100 * signs.sameSigmoid, 3)}% behind sigmoid, ${fmtNum(100 * signs.sameTanh, 2)}% behind tanh`,
      // Exactly 100% by ∂L/∂W_ij = δ_i·h_j with h_j > 0; behind 64 inputs of random signs, 2·2⁻⁶⁴.
      held: signs.sameSigmoid === 1 && signs.sameTanh < 0.01,
    },
    {
      statement:
        'So SGD on positive inputs zig-zags: each step moves both weights the same way, and the path towards w* = (1, −1) is at least √2 times longer than the progress it makes; on centred inputs it is not bound to',
      measured: `positive inputs: ${fmtNum(100 * zz.pos.sameSignSteps, 3)}% same-sign steps, progress/path ${fmtNum(zz.pos.efficiency, 3)}; centred inputs: ${fmtNum(100 * zz.cen.sameSignSteps, 3)}% and ${fmtNum(zz.cen.efficiency, 3)}`,
      // A step (a, b) with ab ≥ 0 advances at most |(a, b)|/√2 along (1, −1)/√2.
      held:
        zz.pos.sameSignSteps === 1 &&
        zz.pos.efficiency <= Math.SQRT1_2 + 1e-6 &&
        zz.cen.sameSignSteps < 1 &&
        zz.cen.efficiency > zz.pos.efficiency,
    },
    {
      statement: 'Maxout with k = 2 pieces has twice the parameters of Linear + ReLU',
      measured: `Linear(64, 100) + ReLU: ${mo.linearRelu}; Maxout(64, 100, 2): ${mo.maxout}`,
      held: mo.maxout === 2 * mo.linearRelu,
    },
  ];
  const figures: Figure[] = [
    {
      kind: 'line',
      id: 'functions',
      title: 'Activation functions',
      x: { label: 'x' },
      y: { label: 'f(x)' },
      series: fs.map((c) => ({ name: c.name, x: c.x, y: c.f })),
    },
    {
      kind: 'line',
      id: 'derivatives',
      title: 'Their derivatives (by autograd)',
      x: { label: 'x' },
      y: { label: 'f′(x)' },
      series: fs.map((c) => ({ name: c.name, x: c.x, y: c.df })),
    },
    {
      kind: 'bar',
      id: 'saturation',
      title: `Weight-gradient norm at the first and last of ${p.depth} layers`,
      caption: 'Xavier init for sigmoid and tanh, He for ReLU; one batch of standardized digits.',
      y: { label: '‖∂L/∂W‖', log: true },
      categories: [...SATURATING],
      series: [
        { name: 'layer 1', values: SATURATING.map(first) },
        { name: `layer ${p.depth}`, values: SATURATING.map(last) },
      ],
    },
    {
      kind: 'bar',
      id: 'same-sign',
      title: 'Neurons whose weight gradients all share one sign',
      y: { label: 'fraction of (example, neuron) pairs', domain: [0, 1] },
      categories: ['behind sigmoid (positive)', 'behind tanh (centred)'],
      series: [{ name: 'one-signed', values: [signs.sameSigmoid, signs.sameTanh] }],
    },
    {
      kind: 'line',
      id: 'zigzag',
      title: `SGD path of (w1, w2) towards w* = (1, −1), ${p.steps} steps`,
      x: { label: 'w1' },
      y: { label: 'w2' },
      series: [
        { name: 'positive inputs', x: zz.pos.w1, y: zz.pos.w2 },
        { name: 'zero-centred inputs', x: zz.cen.w1, y: zz.cen.w2 },
      ],
    },
  ];
  const tables: Table[] = [
    {
      title: 'Derivatives',
      columns: ['activation', 'max f′ on [−5, 5]', 'f′(−5)', 'f′(5)'],
      rows: fs.map((c) => [
        c.name,
        Number(maxD(c).toPrecision(4)),
        Number((c.df[0] as number).toPrecision(3)),
        Number((c.df[c.df.length - 1] as number).toPrecision(3)),
      ]),
    },
    {
      title: 'Weight-gradient norm per layer',
      columns: ['layer', ...SATURATING],
      rows: Array.from({ length: p.depth }, (_, l) => [
        l + 1,
        ...SATURATING.map((a) => Number(((norms[a] as number[])[l] as number).toPrecision(3))),
      ]),
    },
    {
      title: 'The 2-D toy',
      columns: ['inputs', 'same-sign steps', 'progress / path length', 'distance to w* at the end'],
      rows: [
        [
          'positive',
          Number(zz.pos.sameSignSteps.toFixed(3)),
          Number(zz.pos.efficiency.toFixed(3)),
          Number(zz.pos.finalDistance.toPrecision(3)),
        ],
        [
          'zero-centred',
          Number(zz.cen.sameSignSteps.toFixed(3)),
          Number(zz.cen.efficiency.toFixed(3)),
          Number(zz.cen.finalDistance.toPrecision(3)),
        ],
      ],
    },
    {
      title: 'Parameters of a 64 → 100 layer',
      columns: ['layer', 'parameters'],
      rows: [
        ['Linear + ReLU', mo.linearRelu],
        ['Maxout, k = 2', mo.maxout],
      ],
    },
  ];
  return { findings, tables, figures };
}
