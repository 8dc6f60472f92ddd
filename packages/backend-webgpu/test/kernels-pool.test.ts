import type { Conv2dParams } from '@nerve/core/backend';
import { describe, expect, it } from 'vitest';
import { avgPool2d, avgPool2dBackward, maxPool2d } from '../src/kernels/pooling.js';
import { available, ctx, expectClose, randoms, read, upload } from './kernels-util.js';

function params(
  planes: [number, number],
  hw: [number, number],
  k: [number, number],
  s: [number, number],
  p: [number, number] = [0, 0],
  d: [number, number] = [1, 1],
): Conv2dParams {
  return {
    batch: planes[0],
    inChannels: planes[1],
    inHeight: hw[0],
    inWidth: hw[1],
    outChannels: planes[1],
    kernelHeight: k[0],
    kernelWidth: k[1],
    outHeight: Math.floor((hw[0] + 2 * p[0] - d[0] * (k[0] - 1) - 1) / s[0]) + 1,
    outWidth: Math.floor((hw[1] + 2 * p[1] - d[1] * (k[1] - 1) - 1) / s[1]) + 1,
    strideH: s[0],
    strideW: s[1],
    padH: p[0],
    padW: p[1],
    dilationH: d[0],
    dilationW: d[1],
  };
}

/** Every in-bounds window tap in row-major (kh, kw) order: visit(output, plane, ih*W+iw). */
function eachWindow(p: Conv2dParams, visit: (o: number, plane: number, at: number) => void): void {
  let o = 0;
  for (let pl = 0; pl < p.batch * p.inChannels; pl++)
    for (let oh = 0; oh < p.outHeight; oh++)
      for (let ow = 0; ow < p.outWidth; ow++, o++)
        for (let kh = 0; kh < p.kernelHeight; kh++)
          for (let kw = 0; kw < p.kernelWidth; kw++) {
            const ih = oh * p.strideH - p.padH + kh * p.dilationH;
            const iw = ow * p.strideW - p.padW + kw * p.dilationW;
            if (ih >= 0 && ih < p.inHeight && iw >= 0 && iw < p.inWidth)
              visit(o, pl, ih * p.inWidth + iw);
          }
}

function refMax(x: ArrayLike<number>, p: Conv2dParams) {
  const n = p.batch * p.inChannels * p.outHeight * p.outWidth;
  const out = new Array<number>(n).fill(Number.NEGATIVE_INFINITY);
  const idx = new Array<number>(n).fill(-1);
  const hw = p.inHeight * p.inWidth;
  eachWindow(p, (o, pl, at) => {
    const v = x[pl * hw + at];
    if (idx[o] >= 0 && Number.isNaN(out[o])) return;
    if (idx[o] < 0 || v > out[o] || Number.isNaN(v)) {
      out[o] = v;
      idx[o] = at;
    }
  });
  return { out, idx };
}

const CASES: Conv2dParams[] = [
  params([1, 1], [1, 1], [1, 1], [1, 1]),
  params([2, 3], [7, 9], [2, 2], [2, 2]),
  params([2, 3], [7, 9], [3, 3], [2, 2], [1, 1]),
  params([1, 2], [9, 8], [3, 2], [1, 3], [1, 1], [2, 3]),
  params([3, 5], [33, 17], [5, 4], [3, 2], [2, 2]),
  // Windows of the last row/column lie wholly in the padding.
  params([1, 1], [2, 2], [1, 1], [2, 2], [0, 0]),
];

describe.runIf(available)('webgpu pooling', () => {
  it('maxPool2d values and first-in-window indices', async () => {
    for (const p of CASES) {
      const n = p.batch * p.inChannels * p.inHeight * p.inWidth;
      const x = randoms(n, p.inHeight);
      const { out, indices } = maxPool2d(ctx!, upload(x, 'float32'), p);
      const want = refMax(x, p);
      expectClose(await read(out), want.out, 0, 0);
      expect(Array.from(await read(indices))).toEqual(want.idx);
    }
  });

  it('maxPool2d ties keep the first element in window order; NaN wins; -∞ padding never wins', async () => {
    // 4×4 plane of equal values with 3×3 windows, stride 1, pad 1: index = first in-bounds tap.
    const p = params([1, 2], [4, 4], [3, 3], [1, 1], [1, 1]);
    const x = new Float32Array(32).fill(-5);
    x[16 + 5] = Number.NaN;
    x[16 + 6] = Number.NaN;
    const { out, indices } = maxPool2d(ctx!, upload(x, 'float32'), p);
    const want = refMax(x, p);
    expectClose(await read(out), want.out, 0, 0);
    const idx = Array.from(await read(indices));
    expect(idx).toEqual(want.idx);
    expect(idx.slice(0, 4)).toEqual([0, 0, 1, 2]);
    expect(idx[16 + 0]).toBe(5);
    // All -∞ input: the first in-bounds element wins over the padding.
    const q = params([1, 1], [3, 3], [3, 3], [1, 1], [1, 1]);
    const r = maxPool2d(
      ctx!,
      upload(new Float32Array(9).fill(Number.NEGATIVE_INFINITY), 'float32'),
      q,
    );
    expect(Array.from(await read(r.indices))).toEqual([0, 0, 1, 0, 0, 1, 3, 3, 4]);
    await read(r.out);
  });

  it('avgPool2d counts padding in the divisor, and its gradient', async () => {
    for (const p of CASES) {
      const n = p.batch * p.inChannels * p.inHeight * p.inWidth;
      const m = p.batch * p.inChannels * p.outHeight * p.outWidth;
      const x = randoms(n, 3);
      const dy = randoms(m, 4);
      const y = new Float64Array(m);
      const dx = new Float64Array(n);
      const hw = p.inHeight * p.inWidth;
      const div = p.kernelHeight * p.kernelWidth;
      eachWindow(p, (o, pl, at) => {
        y[o] += x[pl * hw + at] / div;
        dx[pl * hw + at] += dy[o] / div;
      });
      expectClose(await read(avgPool2d(ctx!, upload(x, 'float32'), p)), y, 1e-5, 1e-6);
      expectClose(await read(avgPool2dBackward(ctx!, upload(dy, 'float32'), p)), dx, 1e-5, 1e-6);
    }
  });
});
