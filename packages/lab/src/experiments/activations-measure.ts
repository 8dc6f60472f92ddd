/**
 * The measurements of the activations experiment, each with nerve's own
 * modules and autograd: f and f′ on a grid, the gradient that reaches the
 * first layer of a 5-layer net, the sign pattern of weight gradients behind
 * positive inputs, the zig-zag of SGD on a 2-D toy, and Maxout's parameters.
 */
import { Generator, type Tensor, tensor, tidy } from '@nerve/core';
import { heNormal, xavierNormal, zeros } from '@nerve/init';
import {
  type Activation,
  ELU,
  GELU,
  LeakyReLU,
  Linear,
  Maxout,
  ReLU,
  SELU,
  SiLU,
  Sigmoid,
  Softplus,
  Tanh,
  crossEntropy,
} from '@nerve/layers';
import { SGD } from '@nerve/optim';
import { sumOfSquares } from '../util/host-stats.js';

/** The activations of @nerve/layers with PyTorch's default arguments (PReLU learns its slope). */
export const ACTIVATIONS: readonly { name: string; make: () => Activation }[] = [
  { name: 'sigmoid', make: () => new Sigmoid() },
  { name: 'tanh', make: () => new Tanh() },
  { name: 'ReLU', make: () => new ReLU() },
  { name: 'LeakyReLU', make: () => new LeakyReLU() },
  { name: 'ELU', make: () => new ELU() },
  { name: 'SELU', make: () => new SELU() },
  { name: 'GELU', make: () => new GELU() },
  { name: 'SiLU', make: () => new SiLU() },
  { name: 'softplus', make: () => new Softplus() },
];

/** f and f′ (by autograd) of every activation on `points` values spanning [lo, hi]. */
export async function curves(
  lo: number,
  hi: number,
  points: number,
): Promise<{ name: string; x: number[]; f: number[]; df: number[] }[]> {
  const xs = Array.from({ length: points }, (_, i) => lo + ((hi - lo) * i) / (points - 1));
  const out = [];
  for (const a of ACTIVATIONS) {
    const m = a.make();
    const x = tensor(Float32Array.from(xs));
    x.requiresGrad = true;
    const y = tidy(() => {
      const y = m.call(x);
      // Each y_i depends on x_i alone, so ∂(Σ y)/∂x_i = f′(x_i).
      y.sum().backward();
      return y.detach();
    });
    const f = Array.from(await y.data());
    const df = Array.from(await (x.grad as Tensor).data());
    y.dispose();
    x.grad?.dispose();
    x.dispose();
    m.dispose();
    out.push({ name: a.name, x: xs, f, df });
  }
  return out;
}

/**
 * ‖∂L/∂W‖ of each hidden layer of a `depth`-layer net of `width` units
 * (then a linear read-out) on one batch, with the usual init of each
 * activation: Xavier for sigmoid and tanh, He for ReLU.
 */
export async function hiddenGradNorms(
  act: 'sigmoid' | 'tanh' | 'ReLU',
  x: Tensor,
  y: Tensor,
  depth: number,
  width: number,
  seed: number,
): Promise<number[]> {
  const init = act === 'ReLU' ? heNormal() : xavierNormal();
  const sizes = [x.shape[1] as number, ...Array<number>(depth).fill(width)];
  const hidden = sizes.slice(1).map(
    (out, i) =>
      new Linear(sizes[i] as number, out, {
        init: { weight: init, bias: zeros },
        seed: seed + i,
      }),
  );
  const head = new Linear(width, 10, { seed: seed + depth });
  const f = act === 'sigmoid' ? new Sigmoid() : act === 'tanh' ? new Tanh() : new ReLU();
  try {
    tidy(() => {
      let h = x;
      for (const l of hidden) h = f.call(l.call(h));
      crossEntropy(head.call(h), y).backward();
    });
    const norms: number[] = [];
    for (const l of hidden)
      norms.push(Math.sqrt(sumOfSquares(await (l.weight.grad as Tensor).data())));
    return norms;
  } finally {
    for (const l of [...hidden, head]) {
      for (const p of l.parameters()) p.grad?.dispose();
      l.dispose();
    }
  }
}

/**
 * The fraction of (example, output unit) pairs of a read-out layer whose
 * incoming weight gradients all share one sign (zeros ignored), on single
 * examples, when the layer's inputs come from `act` (sigmoid: all
 * positive; tanh: zero-centred). ∂L/∂W_ij = δ_i·h_j, so with every h_j > 0
 * each row takes the sign of δ_i.
 */
export async function sameSignFraction(
  act: 'sigmoid' | 'tanh',
  x: Tensor,
  y: Tensor,
  examples: number,
  seed: number,
): Promise<number> {
  const first = new Linear(x.shape[1] as number, 64, { seed });
  const out = new Linear(64, 10, { seed: seed + 1 });
  const f = act === 'sigmoid' ? new Sigmoid() : new Tanh();
  let oneSign = 0;
  let rows = 0;
  try {
    for (let n = 0; n < examples; n++) {
      tidy(() => {
        const h = f.call(first.call(x.narrow(0, n, 1)));
        crossEntropy(out.call(h), y.narrow(0, n, 1)).backward();
      });
      const g = await (out.weight.grad as Tensor).data();
      for (let i = 0; i < 10; i++) {
        let pos = 0;
        let neg = 0;
        for (let j = 0; j < 64; j++) {
          const v = g[i * 64 + j] as number;
          if (v > 0) pos++;
          else if (v < 0) neg++;
        }
        if (pos === 0 || neg === 0) oneSign++;
        rows++;
      }
      for (const p of [...first.parameters(), ...out.parameters()]) {
        p.grad?.dispose();
        p.grad = null;
      }
    }
    return oneSign / rows;
  } finally {
    first.dispose();
    out.dispose();
  }
}

/** The path of (w1, w2) under per-example SGD on ½(w·x − w*·x)². */
export interface ZigZagPath {
  w1: number[];
  w2: number[];
  /** Steps whose two components share a sign (both up or both down). */
  sameSignSteps: number;
  /** Progress along the optimum's direction divided by the path length. */
  efficiency: number;
  /** Distance to w* at the end. */
  finalDistance: number;
}

/**
 * A linear neuron y = w·x with two weights, trained by SGD one example at a
 * time towards w* = (1, −1): on inputs in (0, 1)² (`centred` false) or the
 * same inputs minus their mean. With positive inputs every step −lr·δ·x
 * moves w1 and w2 the same way, so the path to (1, −1) must zig-zag.
 */
export async function zigZag(
  centred: boolean,
  steps: number,
  lr: number,
  seed: number,
): Promise<ZigZagPath> {
  const u = new Generator(seed).uniform(2 * steps);
  const xs = Float32Array.from(u);
  if (centred) {
    for (const k of [0, 1]) {
      let m = 0;
      for (let n = 0; n < steps; n++) m += xs[2 * n + k] as number;
      m /= steps;
      for (let n = 0; n < steps; n++) xs[2 * n + k] = (xs[2 * n + k] as number) - m;
    }
  }
  const target = [1, -1];
  const w = tensor([0, 0]);
  w.requiresGrad = true;
  const opt = new SGD([w], { lr });
  const path = [[0, 0]];
  try {
    for (let n = 0; n < steps; n++) {
      const xn = [xs[2 * n] as number, xs[2 * n + 1] as number];
      const t =
        (target[0] as number) * (xn[0] as number) + (target[1] as number) * (xn[1] as number);
      tidy(() => {
        opt.zeroGrad();
        const err = w.mul(tensor(xn)).sum().sub(t);
        err.mul(err).mul(0.5).backward();
        opt.step();
      });
      path.push(Array.from(await w.data()));
    }
  } finally {
    opt.zeroGrad();
    w.dispose();
  }
  let same = 0;
  let length = 0;
  for (let n = 1; n < path.length; n++) {
    const d1 = (path[n]?.[0] as number) - (path[n - 1]?.[0] as number);
    const d2 = (path[n]?.[1] as number) - (path[n - 1]?.[1] as number);
    if (d1 * d2 > 0) same++;
    length += Math.hypot(d1, d2);
  }
  const end = path[path.length - 1] as number[];
  const progress = ((end[0] as number) - (end[1] as number)) / Math.SQRT2;
  return {
    w1: path.map((p) => p[0] as number),
    w2: path.map((p) => p[1] as number),
    sameSignSteps: same / steps,
    efficiency: length === 0 ? 0 : progress / length,
    finalDistance: Math.hypot((end[0] as number) - 1, (end[1] as number) + 1),
  };
}

/** Parameters of Linear(in, out) + ReLU and of Maxout(in, out, pieces). */
export function maxoutParams(
  inF: number,
  outF: number,
  pieces: number,
): { linearRelu: number; maxout: number } {
  const lin = new Linear(inF, outF, { seed: 0 });
  const mo = new Maxout(inF, outF, pieces, { seed: 0 });
  const count = (ps: Tensor[]) => ps.reduce((s, p) => s + p.size, 0);
  const r = { linearRelu: count(lin.parameters()), maxout: count(mo.parameters()) };
  lin.dispose();
  mo.dispose();
  return r;
}
