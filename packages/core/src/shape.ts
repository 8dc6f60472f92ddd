/**
 * Shape arithmetic: sizes, strides, broadcasting and axis normalisation.
 */
import { NerveError, fmtShape } from './errors.js';

export type Shape = readonly number[];

/** Number of elements of a shape (1 for a scalar). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides of a contiguous tensor with this shape. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** True when strides describe a row-major layout (dims of size 1 may have any stride). */
export function isContiguous(shape: Shape, strides: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] === 1) continue;
    if (strides[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

/** Checks that every dimension is a finite non-negative integer. */
export function validateShape(op: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) {
    throw new NerveError(op, 'a shape given as an array of integers', describe(shape));
  }
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new NerveError(
        op,
        'a shape of finite non-negative integers',
        `[${shape.map((x) => String(x)).join(',')}]`,
      );
    }
  }
  return [...shape] as number[];
}

/**
 * The most elements one tensor may hold: 2³¹ − 1, because indices into a
 * tensor are int32 (argmax, gather, max-pool indices) and typed arrays and
 * GPU buffers give out before that anyway on the memory of one machine.
 */
export const MAX_ELEMENTS = 2 ** 31 - 1;

/**
 * Throws a NerveError naming `op` and the shape when `shape` (already
 * validated) holds more than MAX_ELEMENTS, before anything is allocated.
 */
export function checkElementCount(op: string, shape: Shape): void {
  const n = sizeOf(shape);
  if (n > MAX_ELEMENTS) {
    throw new NerveError(
      op,
      `at most ${MAX_ELEMENTS} (2^31 − 1) elements in one tensor`,
      `shape ${fmtShape(shape)}, ${n.toExponential(3)} elements`,
    );
  }
}

/** validateShape, then checkElementCount: for shapes a new buffer is allocated for. */
export function validateNewShape(op: string, shape: unknown): number[] {
  const s = validateShape(op, shape);
  checkElementCount(op, s);
  return s;
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return `[${x.join(',')}]`;
  return typeof x === 'object' ? 'an object' : `${typeof x} ${String(x)}`;
}

/** NumPy broadcasting of two shapes; fails naming the op and both shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw NerveError.raw(
        op,
        `shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast (dimension ${i}: ${da} vs ${db})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  // The result of broadcasting gets a buffer of its own.
  checkElementCount(op, out);
  return out;
}

/**
 * Strides that read a tensor of `shape`/`strides` as if broadcast to `outShape`
 * (leading dims added, size-1 dims given stride 0).
 */
export function broadcastStrides(
  shape: Shape,
  strides: readonly number[],
  outShape: Shape,
): number[] {
  const r = outShape.length;
  const off = r - shape.length;
  const out = new Array<number>(r).fill(0);
  for (let i = 0; i < shape.length; i++) {
    out[off + i] = shape[i] === 1 && outShape[off + i] !== 1 ? 0 : strides[i];
  }
  return out;
}

/** Resolves a possibly negative axis against `rank`; fails when out of range. */
export function normalizeAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -Math.max(rank, 1) || axis >= Math.max(rank, 1)) {
    throw new NerveError(
      op,
      `an axis in [${-Math.max(rank, 1)}, ${Math.max(rank, 1) - 1}] for a tensor of rank ${rank}`,
      String(axis),
    );
  }
  return axis < 0 ? axis + Math.max(rank, 1) : axis;
}

/** Resolves an axis list (undefined: all axes), sorted and without repeats. */
export function normalizeAxes(
  op: string,
  axes: number | readonly number[] | undefined,
  rank: number,
): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : [...axes];
  const out = list.map((a) => normalizeAxis(op, a, rank));
  const uniq = [...new Set(out)].sort((x, y) => x - y);
  if (uniq.length !== out.length) {
    throw new NerveError(op, 'distinct axes', `[${list.join(',')}]`);
  }
  return uniq;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
