/**
 * The strided N-d walker behind every elementwise kernel.
 *
 * Each operand is read (or written) at `offset + Σ ik * strides[k]`. Before
 * walking, dimensions of size 1 are dropped and neighbouring dimensions that
 * are contiguous for every operand are merged, so a fully contiguous call
 * becomes a single row and a broadcast scalar becomes one row of stride 0.
 * Kernels then loop over rows and run the innermost dimension as a tight loop.
 */

import { contiguousStrides } from '@nerve/core/backend';

export interface ViewLike {
  readonly strides: readonly number[];
  readonly offset: number;
}

/** Number of elements of a shape (1 for a scalar, 0 if any dim is 0). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

/** A contiguous, offset-0 view over `shape`: the layout of every kernel output. */
export function denseView(shape: readonly number[]): ViewLike {
  return { strides: contiguousStrides(shape), offset: 0 };
}

/**
 * Iterates the rows of a coalesced walk. `base[op]` is operand `op`'s element
 * offset at the start of the current row; `stride[op]` its step along the row.
 */
export class RowIter {
  /** Length of every row (the innermost coalesced dimension). */
  readonly n: number;
  /** Number of rows; 0 when the shape is empty. */
  readonly rows: number;
  readonly stride: number[];
  readonly base: number[];
  private readonly ops: number;
  private readonly outerShape: number[];
  /** Outer strides, flattened as [dim * ops + op]. */
  private readonly outerStrides: number[];
  private readonly idx: number[];

  constructor(shape: readonly number[], views: readonly ViewLike[]) {
    const ops = views.length;
    this.ops = ops;
    const dims: number[] = [];
    const strides: number[][] = [];
    let empty = false;
    for (let d = 0; d < shape.length; d++) {
      const size = shape[d];
      if (size === 0) empty = true;
      if (size === 1) continue;
      const s = views.map((v) => v.strides[d]);
      const last = dims.length - 1;
      // Merge into the previous dim when stepping it equals stepping this one `size` times.
      if (last >= 0 && strides[last].every((prev, op) => prev === s[op] * size)) {
        dims[last] *= size;
        strides[last] = s;
      } else {
        dims.push(size);
        strides.push(s);
      }
    }
    if (dims.length === 0) {
      dims.push(1);
      strides.push(views.map(() => 0));
    }
    const r = dims.length - 1;
    this.n = empty ? 0 : dims[r];
    this.stride = strides[r];
    this.outerShape = dims.slice(0, r);
    this.outerStrides = [];
    for (let d = 0; d < r; d++)
      for (let op = 0; op < ops; op++) this.outerStrides.push(strides[d][op]);
    let rows = 1;
    for (let d = 0; d < r; d++) rows *= dims[d];
    this.rows = empty ? 0 : rows;
    this.base = views.map((v) => v.offset);
    this.idx = new Array<number>(r).fill(0);
  }

  /** Advances `base` to the next row (an odometer over the outer dims). */
  next(): void {
    const base = this.base;
    const ops = this.ops;
    for (let d = this.idx.length - 1; d >= 0; d--) {
      const k = d * ops;
      if (++this.idx[d] < this.outerShape[d]) {
        for (let op = 0; op < ops; op++) base[op] += this.outerStrides[k + op];
        return;
      }
      this.idx[d] = 0;
      const back = this.outerShape[d] - 1;
      for (let op = 0; op < ops; op++) base[op] -= this.outerStrides[k + op] * back;
    }
  }
}
