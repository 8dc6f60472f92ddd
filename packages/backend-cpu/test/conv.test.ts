import type { Conv2dParams } from '@nerve/core/backend';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/cpu-backend.js';
import { expectClose, forEachTap, randomF32 } from './helpers.js';

interface Geometry {
  batch: number;
  c: number;
  h: number;
  w: number;
  o: number;
  kh: number;
  kw: number;
  stride: [number, number];
  pad: [number, number];
  dilation: [number, number];
}

function conv2dParams(g: Geometry): Conv2dParams {
  const out = (size: number, k: number, s: number, p: number, d: number) =>
    Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;
  return {
    batch: g.batch,
    inChannels: g.c,
    inHeight: g.h,
    inWidth: g.w,
    outChannels: g.o,
    kernelHeight: g.kh,
    kernelWidth: g.kw,
    outHeight: out(g.h, g.kh, g.stride[0], g.pad[0], g.dilation[0]),
    outWidth: out(g.w, g.kw, g.stride[1], g.pad[1], g.dilation[1]),
    strideH: g.stride[0],
    strideW: g.stride[1],
    padH: g.pad[0],
    padW: g.pad[1],
    dilationH: g.dilation[0],
    dilationW: g.dilation[1],
  };
}

const GEOMETRIES: Geometry[] = [
  { batch: 2, c: 3, h: 7, w: 6, o: 4, kh: 3, kw: 3, stride: [1, 1], pad: [0, 0], dilation: [1, 1] },
  { batch: 2, c: 3, h: 7, w: 6, o: 4, kh: 3, kw: 3, stride: [1, 1], pad: [1, 1], dilation: [1, 1] },
  { batch: 1, c: 2, h: 9, w: 8, o: 5, kh: 3, kw: 2, stride: [2, 3], pad: [1, 0], dilation: [1, 1] },
  {
    batch: 3,
    c: 2,
    h: 10,
    w: 9,
    o: 3,
    kh: 3,
    kw: 3,
    stride: [2, 1],
    pad: [2, 1],
    dilation: [2, 3],
  },
  { batch: 2, c: 5, h: 5, w: 4, o: 6, kh: 1, kw: 1, stride: [1, 1], pad: [0, 0], dilation: [1, 1] },
  { batch: 1, c: 4, h: 6, w: 6, o: 2, kh: 1, kw: 1, stride: [2, 2], pad: [1, 1], dilation: [1, 1] },
  { batch: 2, c: 1, h: 4, w: 4, o: 1, kh: 4, kw: 4, stride: [1, 1], pad: [0, 0], dilation: [1, 1] },
  { batch: 1, c: 3, h: 3, w: 5, o: 2, kh: 5, kw: 5, stride: [3, 2], pad: [2, 2], dilation: [1, 1] },
  // Large enough for the blocked gemm path (CKK·OHW·O well above the small cut-off).
  {
    batch: 2,
    c: 8,
    h: 20,
    w: 18,
    o: 16,
    kh: 3,
    kw: 3,
    stride: [1, 1],
    pad: [1, 1],
    dilation: [1, 1],
  },
];

function label(g: Geometry): string {
  return `N${g.batch} C${g.c} ${g.h}x${g.w} O${g.o} k${g.kh}x${g.kw} s${g.stride} p${g.pad} d${g.dilation}`;
}

describe('conv2d', () => {
  for (const g of GEOMETRIES) {
    it(`forward and both gradients match naive loops: ${label(g)}`, () => {
      const p = conv2dParams(g);
      const b = new CpuBackend();
      const xSize = g.batch * g.c * g.h * g.w;
      const wSize = g.o * g.c * g.kh * g.kw;
      const ySize = g.batch * g.o * p.outHeight * p.outWidth;
      const hx = randomF32(xSize, 1);
      const hw = randomF32(wSize, 2);
      const hdy = randomF32(ySize, 3);
      const x = b.upload(hx, 'float32');
      const w = b.upload(hw, 'float32');
      const dy = b.upload(hdy, 'float32');

      const y = new Float64Array(ySize);
      const yScale = new Float64Array(ySize);
      const dx = new Float64Array(xSize);
      const dxScale = new Float64Array(xSize);
      const dw = new Float64Array(wSize);
      const dwScale = new Float64Array(wSize);
      forEachTap(p, (xi, yi, wi) => {
        y[yi] += hx[xi] * hw[wi];
        yScale[yi] += Math.abs(hx[xi] * hw[wi]);
        dx[xi] += hdy[yi] * hw[wi];
        dxScale[xi] += Math.abs(hdy[yi] * hw[wi]);
        dw[wi] += hdy[yi] * hx[xi];
        dwScale[wi] += Math.abs(hdy[yi] * hx[xi]);
      });

      expectClose(b.readSync(b.conv2d(x, w, p), 'float32', ySize), y, 1e-6, 1e-7, 'y', yScale);
      expectClose(
        b.readSync(b.conv2dBackwardInput(dy, w, p), 'float32', xSize),
        dx,
        1e-6,
        1e-7,
        'dx',
        dxScale,
      );
      expectClose(
        b.readSync(b.conv2dBackwardFilter(x, dy, p), 'float32', wSize),
        dw,
        1e-6,
        1e-7,
        'dw',
        dwScale,
      );
    });
  }

  it('handles an empty batch: empty y and dx, zero dw', () => {
    const b = new CpuBackend();
    const p = conv2dParams({
      batch: 0,
      c: 2,
      h: 4,
      w: 4,
      o: 3,
      kh: 3,
      kw: 3,
      stride: [1, 1],
      pad: [0, 0],
      dilation: [1, 1],
    });
    const e = b.upload(new Float32Array(0), 'float32');
    const w = b.upload(randomF32(3 * 2 * 9, 1), 'float32');
    expect(b.readSync(b.conv2d(e, w, p), 'float32', 0).length).toBe(0);
    expect(b.readSync(b.conv2dBackwardInput(e, w, p), 'float32', 0).length).toBe(0);
    expect(Array.from(b.readSync(b.conv2dBackwardFilter(e, e, p), 'float32', 54))).toEqual(
      new Array(54).fill(0),
    );
  });

  it('reuses its column scratch correctly when geometries change between calls', () => {
    const b = new CpuBackend();
    const big = conv2dParams(GEOMETRIES[8]);
    const small = conv2dParams(GEOMETRIES[1]);
    const run = (p: Conv2dParams, seed: number) => {
      const x = b.upload(
        randomF32(p.batch * p.inChannels * p.inHeight * p.inWidth, seed),
        'float32',
      );
      const w = b.upload(
        randomF32(p.outChannels * p.inChannels * p.kernelHeight * p.kernelWidth, seed + 1),
        'float32',
      );
      return Array.from(
        b.readSync(
          b.conv2d(x, w, p),
          'float32',
          p.batch * p.outChannels * p.outHeight * p.outWidth,
        ),
      );
    };
    const first = run(small, 5);
    run(big, 6);
    expect(run(small, 5)).toEqual(first);
  });
});
