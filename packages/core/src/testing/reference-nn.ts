/**
 * Float64 host references for the structured ops: matmul, convolution,
 * pooling, softmax, indexing, concatenation and padding. Naive loops only.
 */
import {
  type HostArray,
  broadcastShapeRef,
  host,
  numel,
  ravel,
  unravel,
  zerosHost,
} from './reference.js';

/** NumPy matmul: 1-D operands promoted and their added dimension removed; batch dims broadcast. */
export function matmulRef(a: HostArray, b: HostArray): HostArray {
  const a2 = a.shape.length === 1 ? host(a.data, [1, a.shape[0]]) : a;
  const b2 = b.shape.length === 1 ? host(b.data, [b.shape[0], 1]) : b;
  const [m, k] = a2.shape.slice(-2);
  const [k2, n] = b2.shape.slice(-2);
  if (k !== k2) throw new Error(`matmulRef: inner dimensions ${k} and ${k2} differ`);
  const batch = broadcastShapeRef(a2.shape.slice(0, -2), b2.shape.slice(0, -2));
  const out = zerosHost([...batch, m, n]);
  for (let bi = 0; bi < numel(batch); bi++) {
    const bidx = unravel(bi, batch);
    // Which matrix of each operand this batch entry reads (broadcast-aware).
    const ia = pickBatch(a2.shape.slice(0, -2), bidx);
    const ib = pickBatch(b2.shape.slice(0, -2), bidx);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++)
          s += a2.data[ia * m * k + i * k + p] * b2.data[ib * k * n + p * n + j];
        out.data[bi * m * n + i * n + j] = s;
      }
    }
  }
  let shape = out.shape;
  if (b.shape.length === 1) shape = shape.slice(0, -1);
  if (a.shape.length === 1)
    shape = b.shape.length === 1 ? shape.slice(0, -1) : [...shape.slice(0, -2), n];
  return host(out.data, shape);
}

function pickBatch(batchShape: readonly number[], idx: readonly number[]): number {
  const off = idx.length - batchShape.length;
  let f = 0;
  for (let d = 0; d < batchShape.length; d++) {
    const nd = batchShape[d];
    f = f * nd + (nd === 1 ? 0 : idx[off + d]);
  }
  return f;
}

/** Geometry of a 2-D window for the conv and pooling references. */
export interface Window2d {
  /** [height, width] step. */
  stride: [number, number];
  /** [height, width] zero padding. */
  padding: [number, number];
  /** [height, width] spacing between taps. */
  dilation: [number, number];
  /** Channel groups of a convolution (absent: 1); pooling ignores it. */
  groups?: number;
}

function outSize(size: number, k: number, s: number, p: number, d: number): number {
  return Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;
}

/** Cross-correlation, NCHW, zero padding: x [N,C,H,W], w [O,C/groups,KH,KW], bias [O]. */
export function conv2dRef(
  x: HostArray,
  w: HostArray,
  bias: HostArray | null,
  g: Window2d,
): HostArray {
  const [N, , H, W] = x.shape;
  const [O, C, KH, KW] = w.shape;
  const og = O / (g.groups ?? 1);
  const OH = outSize(H, KH, g.stride[0], g.padding[0], g.dilation[0]);
  const OW = outSize(W, KW, g.stride[1], g.padding[1], g.dilation[1]);
  const out = zerosHost([N, O, OH, OW]);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let s = bias ? bias.data[o] : 0;
          // Group floor(o / og) reads input channels [group·C, (group+1)·C), C = w.shape[1].
          const c0 = Math.floor(o / og) * C;
          for (let c = 0; c < C; c++)
            for (let a = 0; a < KH; a++)
              for (let b = 0; b < KW; b++) {
                const ih = oh * g.stride[0] - g.padding[0] + a * g.dilation[0];
                const iw = ow * g.stride[1] - g.padding[1] + b * g.dilation[1];
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                s +=
                  x.data[ravel([n, c0 + c, ih, iw], x.shape)] *
                  w.data[ravel([o, c, a, b], w.shape)];
              }
          out.data[ravel([n, o, oh, ow], out.shape)] = s;
        }
  return out;
}

/** Pooling over windows; `max` pads with −∞, `avg` with zeros that count in the divisor. */
export function pool2dRef(
  kind: 'max' | 'avg',
  x: HostArray,
  kernel: [number, number],
  g: Window2d,
): HostArray {
  const [N, C, H, W] = x.shape;
  const [KH, KW] = kernel;
  const OH = outSize(H, KH, g.stride[0], g.padding[0], g.dilation[0]);
  const OW = outSize(W, KW, g.stride[1], g.padding[1], g.dilation[1]);
  const out = zerosHost([N, C, OH, OW]);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let acc = kind === 'max' ? Number.NEGATIVE_INFINITY : 0;
          for (let a = 0; a < KH; a++)
            for (let b = 0; b < KW; b++) {
              const ih = oh * g.stride[0] - g.padding[0] + a * g.dilation[0];
              const iw = ow * g.stride[1] - g.padding[1] + b * g.dilation[1];
              if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
              const v = x.data[ravel([n, c, ih, iw], x.shape)];
              acc = kind === 'max' ? Math.max(acc, v) : acc + v;
            }
          out.data[ravel([n, c, oh, ow], out.shape)] = kind === 'max' ? acc : acc / (KH * KW);
        }
  return out;
}

/** softmax or log-softmax along `axis`, shifting by the maximum. */
export function softmaxRef(x: HostArray, axis: number, log: boolean): HostArray {
  const r = x.shape.length;
  if (r === 0) return host([log ? 0 : 1], []);
  const a = axis < 0 ? axis + r : axis;
  const out = zerosHost(x.shape);
  const n = x.shape[a];
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape);
    if (idx[a] !== 0) continue;
    const pos = Array.from({ length: n }, (_, j) => {
      const k = [...idx];
      k[a] = j;
      return ravel(k, x.shape);
    });
    const vals = pos.map((p) => x.data[p]);
    const m = Math.max(...vals);
    const s = vals.reduce((acc, v) => acc + Math.exp(v - m), 0);
    pos.forEach((p, j) => {
      out.data[p] = log ? vals[j] - m - Math.log(s) : Math.exp(vals[j] - m) / s;
    });
  }
  return out;
}

/** torch.gather: out[..j..] = x[..index[..j..]..] along `axis`. */
export function gatherRef(x: HostArray, axis: number, index: HostArray): HostArray {
  const a = axis < 0 ? axis + x.shape.length : axis;
  const out = zerosHost(index.shape);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, index.shape);
    idx[a] = index.data[i];
    out.data[i] = x.data[ravel(idx, x.shape)];
  }
  return out;
}

/** torch.index_select with a 1-D index. */
export function indexSelectRef(x: HostArray, axis: number, index: readonly number[]): HostArray {
  const a = axis < 0 ? axis + x.shape.length : axis;
  const shape = [...x.shape];
  shape[a] = index.length;
  const out = zerosHost(shape);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, shape);
    idx[a] = index[idx[a]];
    out.data[i] = x.data[ravel(idx, x.shape)];
  }
  return out;
}

/** Concatenation of `xs` along `axis`. */
export function concatRef(xs: readonly HostArray[], axis: number): HostArray {
  const a = axis < 0 ? axis + xs[0].shape.length : axis;
  const shape = [...xs[0].shape];
  shape[a] = xs.reduce((s, x) => s + x.shape[a], 0);
  const out = zerosHost(shape);
  let start = 0;
  for (const x of xs) {
    for (let i = 0; i < x.data.length; i++) {
      const idx = unravel(i, x.shape);
      idx[a] += start;
      out.data[ravel(idx, shape)] = x.data[i];
    }
    start += x.shape[a];
  }
  return out;
}

/** Stacks `xs` (same shape) along a new axis `axis`. */
export function stackRef(xs: readonly HostArray[], axis: number): HostArray {
  const r = xs[0].shape.length + 1;
  const a = axis < 0 ? axis + r : axis;
  const expanded = xs.map((x) => host(x.data, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]));
  return concatRef(expanded, a);
}

/** Pads each axis by [before, after] elements of `value`. */
export function padRef(
  x: HostArray,
  pads: readonly (readonly [number, number])[],
  value: number,
): HostArray {
  const shape = x.shape.map((d, i) => d + pads[i][0] + pads[i][1]);
  const out = host(new Array(numel(shape)).fill(value), shape);
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape).map((v, d) => v + pads[d][0]);
    out.data[ravel(idx, shape)] = x.data[i];
  }
  return out;
}

/** One-hot rows [n, numClasses] of the class indices. */
export function oneHotRef(indices: HostArray, numClasses: number): HostArray {
  const out = zerosHost([...indices.shape, numClasses]);
  for (let i = 0; i < indices.data.length; i++) out.data[i * numClasses + indices.data[i]] = 1;
  return out;
}

/**
 * Gradient of max pooling for an output gradient `dy`: each window sends its
 * gradient to its first maximum in row-major window order (padding never wins).
 */
export function maxPool2dGradRef(
  x: HostArray,
  kernel: [number, number],
  g: Window2d,
  dy: HostArray,
): HostArray {
  const [N, C, H, W] = x.shape;
  const [, , OH, OW] = dy.shape;
  const dx = zerosHost(x.shape);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let best = -1;
          for (let a = 0; a < kernel[0]; a++)
            for (let b = 0; b < kernel[1]; b++) {
              const ih = oh * g.stride[0] - g.padding[0] + a * g.dilation[0];
              const iw = ow * g.stride[1] - g.padding[1] + b * g.dilation[1];
              if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
              const at = ravel([n, c, ih, iw], x.shape);
              if (best < 0 || x.data[at] > x.data[best]) best = at;
            }
          dx.data[best] += dy.data[ravel([n, c, oh, ow], dy.shape)];
        }
  return dx;
}
