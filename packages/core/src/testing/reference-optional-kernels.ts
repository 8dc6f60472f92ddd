/**
 * Float64 host references of the optional-kernel ops: softmax cross-entropy and
 * its gradient, batch-norm statistics, and the SGD and Adam updates, written
 * from their textbook formulas with plain loops.
 */
import { type HostArray, host, numel } from './reference.js';

/** Per-row softmax statistics in float64: log Σ exp(x − m) and m. */
function rowLse(x: HostArray, i: number): { m: number; logS: number } {
  const c = x.shape[1];
  let m = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < c; j++) m = Math.max(m, x.data[i * c + j]);
  let s = 0;
  for (let j = 0; j < c; j++) s += Math.exp(x.data[i * c + j] - m);
  return { m, logS: Math.log(s) };
}

/** Cross-entropy of logits [N, C] against labels [N] with label smoothing ε. */
export function crossEntropyRef(
  x: HostArray,
  labels: readonly number[],
  eps: number,
  reduction: 'mean' | 'sum' | 'none',
): HostArray {
  const [n, c] = x.shape;
  const rows = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const { m, logS } = rowLse(x, i);
    const logp = (j: number) => x.data[i * c + j] - m - logS;
    let smooth = 0;
    for (let j = 0; j < c; j++) smooth += logp(j);
    rows[i] = -(1 - eps) * logp(labels[i]) - (eps / c) * smooth;
  }
  if (reduction === 'none') return host(rows, [n]);
  const total = rows.reduce((a, b) => a + b, 0);
  return host([reduction === 'mean' ? total / n : total], []);
}

/** d loss / d logits for an upstream gradient of 1 (per row for 'none'). */
export function crossEntropyGradRef(
  x: HostArray,
  labels: readonly number[],
  eps: number,
  reduction: 'mean' | 'sum' | 'none',
): HostArray {
  const [n, c] = x.shape;
  const out = new Float64Array(n * c);
  const g = reduction === 'mean' ? 1 / n : 1;
  for (let i = 0; i < n; i++) {
    const { m, logS } = rowLse(x, i);
    for (let j = 0; j < c; j++) {
      const q = (j === labels[i] ? 1 - eps : 0) + eps / c;
      out[i * c + j] = g * (Math.exp(x.data[i * c + j] - m - logS) - q);
    }
  }
  return host(out, [n, c]);
}

/** Per-channel mean and variance (divisor count − correction) of [N, C, …]. */
export function batchNormStatsRef(x: HostArray, correction: number): [HostArray, HostArray] {
  const [n, c] = x.shape;
  const inner = numel(x.shape.slice(2));
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    for (let b = 0; b < n; b++)
      for (let i = 0; i < inner; i++) s += x.data[(b * c + ch) * inner + i];
    const mu = s / (n * inner);
    let q = 0;
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < inner; i++) q += (x.data[(b * c + ch) * inner + i] - mu) ** 2;
    }
    mean[ch] = mu;
    variance[ch] = q / (n * inner - correction);
  }
  return [host(mean, [c]), host(variance, [c])];
}

/** Hyperparameters of the SGD reference (torch.optim.SGD's). */
export interface SgdRefOptions {
  /** Learning rate. */
  lr: number;
  /** Momentum factor (0: none). */
  momentum: number;
  /** Dampening of the gradient added to the momentum buffer. */
  dampening: number;
  /** L2 weight decay. */
  weightDecay: number;
  /** Nesterov momentum. */
  nesterov: boolean;
}

/** One SGD step (torch.optim.SGD); buf null is the first step. Returns [p, buf]. */
export function sgdRef(
  p: HostArray,
  g: HostArray,
  buf: HostArray | null,
  o: SgdRefOptions,
): [HostArray, HostArray | null] {
  const np = new Float64Array(p.data.length);
  const nb = o.momentum !== 0 ? new Float64Array(p.data.length) : null;
  for (let i = 0; i < np.length; i++) {
    let d = g.data[i] + o.weightDecay * p.data[i];
    if (nb) {
      const b = buf === null ? d : o.momentum * buf.data[i] + (1 - o.dampening) * d;
      nb[i] = b;
      d = o.nesterov ? d + o.momentum * b : b;
    }
    np[i] = p.data[i] - o.lr * d;
  }
  return [host(np, p.shape), nb ? host(nb, p.shape) : null];
}

/** Hyperparameters of the Adam reference (torch.optim.Adam's and AdamW's). */
export interface AdamRefOptions {
  /** Learning rate. */
  lr: number;
  /** β₁: decay of the first-moment average. */
  beta1: number;
  /** β₂: decay of the second-moment average. */
  beta2: number;
  /** ε added to the denominator. */
  eps: number;
  /** Weight decay. */
  weightDecay: number;
  /** AdamW's decoupled weight decay instead of L2. */
  decoupled: boolean;
  /** AMSGrad: divide by the running maximum of the second moment. */
  amsgrad: boolean;
  /** The 1-based step count, for the bias corrections. */
  step: number;
}

/** One Adam/AdamW step (Kingma & Ba 2015). Returns [p, m, v, vMax]. */
export function adamRef(
  p: HostArray,
  g: HostArray,
  m: HostArray,
  v: HostArray,
  vMax: HostArray | null,
  o: AdamRefOptions,
): HostArray[] {
  const n = p.data.length;
  const [np, nm, nv, nmax] = [0, 1, 2, 3].map(() => new Float64Array(n));
  const bc1 = 1 - o.beta1 ** o.step;
  const bc2 = 1 - o.beta2 ** o.step;
  for (let i = 0; i < n; i++) {
    let x = p.data[i];
    let d = g.data[i];
    if (o.decoupled) x *= 1 - o.lr * o.weightDecay;
    else d += o.weightDecay * p.data[i];
    nm[i] = o.beta1 * m.data[i] + (1 - o.beta1) * d;
    nv[i] = o.beta2 * v.data[i] + (1 - o.beta2) * d * d;
    nmax[i] = vMax ? Math.max(vMax.data[i], nv[i]) : nv[i];
    const vhat = o.amsgrad ? nmax[i] : nv[i];
    np[i] = x - (o.lr / bc1) * (nm[i] / (Math.sqrt(vhat) / Math.sqrt(bc2) + o.eps));
  }
  return [np, nm, nv, nmax].map((d) => host(d, p.shape));
}
