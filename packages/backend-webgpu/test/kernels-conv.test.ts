import type { Conv2dParams } from '@nerve/core/backend';
import { describe, expect, it } from 'vitest';
import { conv2d, conv2dBackwardFilter, conv2dBackwardInput } from '../src/kernels/conv.js';
import { available, ctx, expectClose, randoms, read, upload } from './kernels-util.js';

interface Geometry {
  n: number;
  c: number;
  h: number;
  w: number;
  o: number;
  k: [number, number];
  s?: [number, number];
  p?: [number, number];
  d?: [number, number];
}

function params(g: Geometry): Conv2dParams {
  const [kh, kw] = g.k;
  const [sh, sw] = g.s ?? [1, 1];
  const [ph, pw] = g.p ?? [0, 0];
  const [dh, dw] = g.d ?? [1, 1];
  return {
    batch: g.n,
    inChannels: g.c,
    inHeight: g.h,
    inWidth: g.w,
    outChannels: g.o,
    kernelHeight: kh,
    kernelWidth: kw,
    outHeight: Math.floor((g.h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1,
    outWidth: Math.floor((g.w + 2 * pw - dw * (kw - 1) - 1) / sw) + 1,
    strideH: sh,
    strideW: sw,
    padH: ph,
    padW: pw,
    dilationH: dh,
    dilationW: dw,
  };
}

/**
 * Calls visit(xIndex, wIndex, yIndex) for every multiply of the direct
 * convolution sum y[n,o,oh,ow] = Σ x[n,c,ih,iw] · w[o,c,kh,kw].
 */
function eachTap(p: Conv2dParams, visit: (xi: number, wi: number, yi: number) => void): void {
  const { inChannels: C, inHeight: H, inWidth: W, outChannels: O } = p;
  const { kernelHeight: KH, kernelWidth: KW, outHeight: OH, outWidth: OW } = p;
  for (let n = 0; n < p.batch; n++)
    for (let o = 0; o < O; o++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++)
          for (let c = 0; c < C; c++)
            for (let kh = 0; kh < KH; kh++)
              for (let kw = 0; kw < KW; kw++) {
                const ih = oh * p.strideH - p.padH + kh * p.dilationH;
                const iw = ow * p.strideW - p.padW + kw * p.dilationW;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                visit(
                  ((n * C + c) * H + ih) * W + iw,
                  ((o * C + c) * KH + kh) * KW + kw,
                  ((n * O + o) * OH + oh) * OW + ow,
                );
              }
}

const GEOMETRIES: Geometry[] = [
  { n: 1, c: 1, h: 1, w: 1, o: 1, k: [1, 1] },
  { n: 2, c: 3, h: 7, w: 9, o: 5, k: [3, 3] },
  { n: 2, c: 3, h: 8, w: 7, o: 4, k: [3, 2], s: [2, 3], p: [1, 2] },
  { n: 1, c: 2, h: 9, w: 9, o: 3, k: [3, 3], s: [1, 2], p: [2, 1], d: [2, 3] },
  { n: 3, c: 5, h: 6, w: 6, o: 7, k: [1, 1] },
  { n: 2, c: 4, h: 5, w: 5, o: 3, k: [1, 1], s: [2, 2] },
  { n: 2, c: 16, h: 13, w: 11, o: 33, k: [5, 5], p: [2, 2] },
  { n: 4, c: 8, h: 28, w: 28, o: 16, k: [3, 3], p: [1, 1] },
  { n: 1, c: 3, h: 4, w: 4, o: 2, k: [4, 4], p: [3, 3], s: [3, 3] },
  // Large enough (≥ 2^26 multiply-adds) for the pipelines with the geometry baked in.
  { n: 2, c: 32, h: 33, w: 30, o: 72, k: [3, 3], s: [1, 1], p: [1, 1] },
  { n: 2, c: 32, h: 33, w: 30, o: 72, k: [3, 3], s: [2, 1], p: [0, 1], d: [1, 2] },
];

describe.runIf(available)('webgpu conv2d', () => {
  for (const g of GEOMETRIES) {
    const p = params(g);
    it(`forward and both gradients: ${JSON.stringify(g)}`, async () => {
      const xs = p.batch * p.inChannels * p.inHeight * p.inWidth;
      const ws = p.outChannels * p.inChannels * p.kernelHeight * p.kernelWidth;
      const ys = p.batch * p.outChannels * p.outHeight * p.outWidth;
      const x = randoms(xs, 1);
      const w = randoms(ws, 2);
      const dy = randoms(ys, 3);
      const y = new Float64Array(ys);
      const dx = new Float64Array(xs);
      const dw = new Float64Array(ws);
      eachTap(p, (xi, wi, yi) => {
        y[yi] += x[xi] * w[wi];
        dx[xi] += dy[yi] * w[wi];
        dw[wi] += dy[yi] * x[xi];
      });
      const gx = upload(x, 'float32');
      const gw = upload(w, 'float32');
      const gdy = upload(dy, 'float32');
      const tol =
        2e-5 *
        Math.sqrt(
          p.inChannels * p.kernelHeight * p.kernelWidth * 4 + p.batch * p.outHeight * p.outWidth,
        );
      expectClose(await read(conv2d(ctx!, gx, gw, p)), y, 1e-4, tol);
      expectClose(await read(conv2dBackwardInput(ctx!, gdy, gw, p)), dx, 1e-4, tol);
      expectClose(await read(conv2dBackwardFilter(ctx!, gx, gdy, p)), dw, 1e-4, tol);
      for (const d of [gx, gw, gdy]) ctx!.release(d);
    });
  }

  it('an empty batch gives empty outputs and a zero filter gradient', async () => {
    const p = params({ n: 0, c: 2, h: 3, w: 3, o: 2, k: [2, 2] });
    expect(
      (await read(conv2d(ctx!, upload([], 'float32'), upload(randoms(16), 'float32'), p))).length,
    ).toBe(0);
    const dw = await read(
      conv2dBackwardFilter(ctx!, upload([], 'float32'), upload([], 'float32'), p),
    );
    expect(Array.from(dw)).toEqual(new Array(16).fill(0));
  });
});
