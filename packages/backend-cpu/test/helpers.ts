import type { Conv2dParams } from '@nerve/core/backend';
/**
 * Test helpers: seeded data, independent strided reads and comparisons.
 * Nothing here shares code with the kernels under test.
 */
import type { DataId, DType, StridedView, TypedArray } from '@nerve/core/backend';
import { getBackend, withoutOptionalKernels } from '@nerve/core';
import { expect, vi } from 'vitest';
import { CpuBackend } from '../src/cpu-backend.js';

/** mulberry32: small, seeded, reproducible (the conformance suite's generator). */
import { rng } from '@nerve/core/testing';

export { rng };

/** Float32-representable uniform values in [lo, hi). */
export function randomF32(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

export function randomInts(n: number, seed: number, lo: number, hi: number): Int32Array {
  const r = rng(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + Math.floor(r() * (hi - lo));
  return out;
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Multi-index of flat position `flat` in a row-major shape. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return idx;
}

/** Element offsets a view reads, in logical row-major order (the definition of a view). */
export function viewOffsets(
  view: { strides: readonly number[]; offset: number },
  shape: readonly number[],
): number[] {
  const out: number[] = [];
  for (let f = 0; f < numel(shape); f++) {
    const idx = unravel(f, shape);
    out.push(idx.reduce((acc, i, d) => acc + i * view.strides[d], view.offset));
  }
  return out;
}

export function readView(
  values: ArrayLike<number>,
  view: { strides: readonly number[]; offset: number },
  shape: readonly number[],
): number[] {
  return viewOffsets(view, shape).map((o) => values[o]);
}

export function contiguous(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

export function view(id: DataId, strides: readonly number[], offset = 0): StridedView {
  return { id, strides, offset };
}

export function read(b: CpuBackend, id: DataId, dtype: DType, size: number): TypedArray {
  return b.readSync(id, dtype, size);
}

/** Bitwise-style equality (Object.is per element: NaN equals NaN, -0 differs from 0). */
export function expectSame(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  what = '',
): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      expect.fail(`${what} element ${i}: got ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

/** |actual - expected| <= atol + rtol * scale[i] (scale defaults to |expected|). */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
  what = '',
  scale?: ArrayLike<number>,
): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const a = actual[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (e === a) continue;
    const s = scale ? scale[i] : Math.abs(e);
    if (!(Math.abs(a - e) <= atol + rtol * s)) {
      expect.fail(`${what} element ${i}: got ${a}, expected ${e} (tol ${atol + rtol * s})`);
    }
  }
}

export function newBackend(): CpuBackend {
  return new CpuBackend();
}

/** Conv2d/pooling parameters for an input [batch, c, h, w] and `o` output channels. */
export function convParams(
  batch: number,
  c: number,
  h: number,
  w: number,
  o: number,
  k: [number, number],
  stride: [number, number],
  pad: [number, number],
  dilation: [number, number] = [1, 1],
): Conv2dParams {
  const out = (size: number, kk: number, s: number, p: number, d: number) =>
    Math.floor((size + 2 * p - d * (kk - 1) - 1) / s) + 1;
  return {
    batch,
    inChannels: c,
    inHeight: h,
    inWidth: w,
    outChannels: o,
    kernelHeight: k[0],
    kernelWidth: k[1],
    outHeight: out(h, k[0], stride[0], pad[0], dilation[0]),
    outWidth: out(w, k[1], stride[1], pad[1], dilation[1]),
    strideH: stride[0],
    strideW: stride[1],
    padH: pad[0],
    padW: pad[1],
    dilationH: dilation[0],
    dilationW: dilation[1],
  };
}

/**
 * Calls f(xIndex, yIndex, wIndex) for every (n, o, oh, ow, c, kh, kw) tap that
 * lands inside the input: the definition all three references share.
 */
export function forEachTap(p: Conv2dParams, f: (xi: number, yi: number, wi: number) => void): void {
  const { batch, inChannels: C, inHeight: H, inWidth: W, outChannels: O } = p;
  for (let n = 0; n < batch; n++)
    for (let o = 0; o < O; o++)
      for (let oh = 0; oh < p.outHeight; oh++)
        for (let ow = 0; ow < p.outWidth; ow++)
          for (let c = 0; c < C; c++)
            for (let kh = 0; kh < p.kernelHeight; kh++)
              for (let kw = 0; kw < p.kernelWidth; kw++) {
                const ih = oh * p.strideH - p.padH + kh * p.dilationH;
                const iw = ow * p.strideW - p.padW + kw * p.dilationW;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                f(
                  ((n * C + c) * H + ih) * W + iw,
                  ((n * O + o) * p.outHeight + oh) * p.outWidth + ow,
                  ((o * C + c) * p.kernelHeight + kh) * p.kernelWidth + kw,
                );
              }
}

/** Float values that kernels get wrong first: NaN, ±0, ±the smallest denormal, ±∞, ±1. */
export const SPECIAL_F32: readonly number[] = [
  Number.NaN,
  0,
  -0,
  1e-45,
  -1e-45,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  1,
  -1,
];

/** The elements' bit patterns, for bit-for-bit comparisons (NaN payloads and −0 included). */
export function bits(v: Float32Array | Int32Array): number[] {
  return Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));
}

/**
 * `run` with the CPU backend's optional kernel `kernel` (spied on: it must
 * run exactly once) and again without it (core's fallback composite).
 */
export function withAndWithout<T>(kernel: string, run: () => T): { fused: T; reference: T } {
  const backend = getBackend('cpu') as unknown as Record<string, (...a: unknown[]) => unknown>;
  const spy = vi.spyOn(backend, kernel);
  const fused = run();
  expect(spy).toHaveBeenCalledTimes(1);
  spy.mockRestore();
  const reference = withoutOptionalKernels(run, [kernel]);
  return { fused, reference };
}
