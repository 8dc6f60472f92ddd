/**
 * Float64 host reference: n-d arrays as plain Float64Arrays plus naive loops
 * for broadcasting, views and reductions. Written independently of the core's
 * own shape machinery so that a bug there cannot hide in the reference.
 */

/** A row-major float64 array on the host. */
export interface HostArray {
  /** Length of each axis. */
  readonly shape: readonly number[];
  /** The elements, row-major. */
  readonly data: Float64Array;
}

/** Number of elements of a shape (1 for a scalar). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A HostArray of `data` with `shape` (copied to float64). */
export function host(data: ArrayLike<number>, shape: readonly number[]): HostArray {
  if (data.length !== numel(shape)) {
    throw new Error(
      `host: shape [${shape.join(',')}] needs ${numel(shape)} values, got ${data.length}`,
    );
  }
  return { shape: [...shape], data: Float64Array.from(data) };
}

/** A HostArray of zeros. */
export function zerosHost(shape: readonly number[]): HostArray {
  return { shape: [...shape], data: new Float64Array(numel(shape)) };
}

/** Row-major strides of a shape, in elements. */
export function rowMajorStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Multi-index of flat position `i` in a row-major array of `shape`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = shape[d] === 0 ? 0 : i % shape[d];
    i = shape[d] === 0 ? 0 : Math.floor(i / shape[d]);
  }
  return idx;
}

/** Flat row-major index of the multi-index `idx`. */
export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let f = 0;
  for (let d = 0; d < shape.length; d++) f = f * shape[d] + idx[d];
  return f;
}

/** NumPy broadcasting of any number of shapes. */
export function broadcastShapeRef(...shapes: (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const v = s[s.length - rank + i] ?? 1;
      if (v !== 1) {
        if (d !== 1 && d !== v)
          throw new Error(`reference: cannot broadcast [${shapes.join('] [')}]`);
        d = v;
      }
    }
    out.push(d);
  }
  return out;
}

/** Element of `x` at an index of a (possibly larger) broadcast shape. */
export function atBroadcast(x: HostArray, idx: readonly number[]): number {
  const off = idx.length - x.shape.length;
  let f = 0;
  for (let d = 0; d < x.shape.length; d++) {
    const n = x.shape[d];
    f = f * n + (n === 1 ? 0 : idx[off + d]);
  }
  return x.data[f];
}

/** `x` broadcast to `shape` (NumPy rules), as a new array. */
export function broadcastRef(x: HostArray, shape: readonly number[]): HostArray {
  const out = zerosHost(shape);
  for (let i = 0; i < out.data.length; i++) out.data[i] = atBroadcast(x, unravel(i, shape));
  return out;
}

/** `f` applied to each element. */
export function map1(x: HostArray, f: (v: number) => number): HostArray {
  return { shape: [...x.shape], data: x.data.map(f) };
}

/** `f` applied elementwise over the broadcast of `xs`. */
export function mapN(xs: readonly HostArray[], f: (...v: number[]) => number): HostArray {
  const shape = broadcastShapeRef(...xs.map((x) => x.shape));
  const out = zerosHost(shape);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, shape);
    out.data[i] = f(...xs.map((x) => atBroadcast(x, idx)));
  }
  return out;
}

/** Output dim i is input dim perm[i]. */
export function permuteRef(x: HostArray, perm: readonly number[]): HostArray {
  const shape = perm.map((p) => x.shape[p]);
  const out = zerosHost(shape);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, shape);
    const src = new Array<number>(x.shape.length);
    perm.forEach((p, k) => {
      src[p] = idx[k];
    });
    out.data[i] = x.data[ravel(src, x.shape)];
  }
  return out;
}

/** Elements begin[d] ≤ j < end[d] along each dimension (no negative indices). */
export function sliceRef(
  x: HostArray,
  begin: readonly number[],
  end: readonly number[],
): HostArray {
  const shape = x.shape.map((_, d) => end[d] - begin[d]);
  const out = zerosHost(shape);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, shape).map((v, d) => v + begin[d]);
    out.data[i] = x.data[ravel(idx, x.shape)];
  }
  return out;
}

/** The same elements with a new shape (copied). */
export function reshapeRef(x: HostArray, shape: readonly number[]): HostArray {
  return { shape: [...shape], data: Float64Array.from(x.data) };
}

// ---- reductions --------------------------------------------------------------

/** Reduces a list of numbers to one. */
export type Reducer = (values: number[]) => number;

/**
 * Applies `reducer` to the values of every group of `axes` (all when
 * undefined; negative allowed), visiting reduced elements in row-major order.
 */
export function reduceRef(
  x: HostArray,
  axes: number | readonly number[] | undefined,
  keepDims: boolean,
  reducer: Reducer,
): HostArray {
  const r = x.shape.length;
  const list =
    axes === undefined ? x.shape.map((_, i) => i) : typeof axes === 'number' ? [axes] : axes;
  const red = new Set(list.map((a) => (a < 0 ? a + r : a)));
  const keptShape = x.shape.map((d, i) => (red.has(i) ? 1 : d));
  const groups: number[][] = Array.from({ length: numel(keptShape) }, () => []);
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape).map((v, d) => (red.has(d) ? 0 : v));
    groups[ravel(idx, keptShape)].push(x.data[i]);
  }
  const shape = keepDims ? keptShape : x.shape.filter((_, i) => !red.has(i));
  return host(
    groups.map((g) => reducer(g)),
    shape,
  );
}

/** The float64 reference of every reduction, over a plain list of values. */
export const REDUCERS = {
  /** Σ v. */
  sum: (v: number[]) => v.reduce((a, b) => a + b, 0),
  /** Π v. */
  prod: (v: number[]) => v.reduce((a, b) => a * b, 1),
  /** Σ v / n. */
  mean: (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length,
  /** The largest value; NaN if any is NaN. */
  max: (v: number[]) =>
    v.reduce((a, b) => (b > a || Number.isNaN(b) ? b : a), Number.NEGATIVE_INFINITY),
  /** The smallest value; NaN if any is NaN. */
  min: (v: number[]) =>
    v.reduce((a, b) => (b < a || Number.isNaN(b) ? b : a), Number.POSITIVE_INFINITY),
  /** Index of the first maximum. */
  argmax: (v: number[]) => v.reduce((best, b, i) => (b > v[best] ? i : best), 0),
  /** Index of the first minimum. */
  argmin: (v: number[]) => v.reduce((best, b, i) => (b < v[best] ? i : best), 0),
  /** Σ(v − mean)² / (n − correction). */
  variance: (correction: number) => (v: number[]) => {
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    return v.reduce((a, b) => a + (b - m) * (b - m), 0) / Math.max(v.length - correction, 0);
  },
  /** Square root of the variance. */
  std: (correction: number) => (v: number[]) => Math.sqrt(REDUCERS.variance(correction)(v)),
  /** log Σ exp(v), computed stably. */
  logSumExp: (v: number[]) => {
    const m = Math.max(...v);
    if (!Number.isFinite(m)) return m;
    return m + Math.log(v.reduce((a, b) => a + Math.exp(b - m), 0));
  },
} as const;
