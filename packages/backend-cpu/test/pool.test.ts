import type { Conv2dParams } from '@nerve/core/backend';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/cpu-backend.js';
import { convParams, expectClose, expectSame, randomF32, rng } from './helpers.js';

/** Pooling keeps the channels: conv parameters with as many outputs as inputs. */
const poolParams = (
  batch: number,
  c: number,
  h: number,
  w: number,
  k: [number, number],
  stride: [number, number],
  pad: [number, number],
  dilation: [number, number] = [1, 1],
) => convParams(batch, c, h, w, c, k, stride, pad, dilation);

/** In-bounds plane offsets of every window, in row-major (kh, kw) order; `taps` counts padding too. */
function windows(p: Conv2dParams): number[][] {
  const out: number[][] = [];
  for (let oh = 0; oh < p.outHeight; oh++) {
    for (let ow = 0; ow < p.outWidth; ow++) {
      const win: number[] = [];
      for (let kh = 0; kh < p.kernelHeight; kh++) {
        for (let kw = 0; kw < p.kernelWidth; kw++) {
          const ih = oh * p.strideH - p.padH + kh * p.dilationH;
          const iw = ow * p.strideW - p.padW + kw * p.dilationW;
          if (ih >= 0 && ih < p.inHeight && iw >= 0 && iw < p.inWidth)
            win.push(ih * p.inWidth + iw);
        }
      }
      out.push(win);
    }
  }
  return out;
}

const CASES: Conv2dParams[] = [
  poolParams(2, 3, 6, 6, [2, 2], [2, 2], [0, 0]),
  poolParams(1, 2, 7, 5, [3, 3], [2, 2], [1, 1]),
  poolParams(2, 1, 8, 9, [3, 2], [1, 3], [1, 1], [2, 1]),
  poolParams(1, 4, 5, 5, [5, 5], [1, 1], [2, 2]),
  poolParams(3, 2, 4, 6, [1, 1], [1, 1], [0, 0]),
];

function label(p: Conv2dParams): string {
  return `N${p.batch} C${p.inChannels} ${p.inHeight}x${p.inWidth} k${p.kernelHeight}x${p.kernelWidth} s${p.strideH},${p.strideW} p${p.padH},${p.padW} d${p.dilationH},${p.dilationW}`;
}

describe('maxPool2d', () => {
  for (const p of CASES) {
    it(`matches a naive reference with ties broken by window order: ${label(p)}`, () => {
      const b = new CpuBackend();
      const plane = p.inHeight * p.inWidth;
      const planes = p.batch * p.inChannels;
      // Few distinct values, many ties.
      const r = rng(plane);
      const hx = Float32Array.from({ length: planes * plane }, () => Math.floor(r() * 4) - 2);
      const { out, indices } = b.maxPool2d(b.upload(hx, 'float32'), p);
      const wins = windows(p);
      const wantOut: number[] = [];
      const wantIdx: number[] = [];
      for (let pl = 0; pl < planes; pl++) {
        for (const win of wins) {
          let best = win[0];
          for (const i of win) if (hx[pl * plane + i] > hx[pl * plane + best]) best = i;
          wantOut.push(hx[pl * plane + best]);
          wantIdx.push(best);
        }
      }
      const count = planes * p.outHeight * p.outWidth;
      expectSame(b.readSync(out, 'float32', count), wantOut, 'out');
      const idx = b.readSync(indices, 'int32', count);
      expect(idx).toBeInstanceOf(Int32Array);
      expectSame(idx, wantIdx, 'indices');
    });
  }

  it('treats padding as -∞ (all-negative inputs are never beaten by padding)', () => {
    const b = new CpuBackend();
    const p = poolParams(1, 1, 2, 2, [2, 2], [1, 1], [1, 1]);
    const hx = new Float32Array([-5, -6, -7, -8]);
    const { out, indices } = b.maxPool2d(b.upload(hx, 'float32'), p);
    // 3×3 outputs; each corner window sees exactly one input.
    expect(Array.from(b.readSync(out, 'float32', 9))).toEqual([-5, -5, -6, -5, -5, -6, -7, -7, -8]);
    expect(Array.from(b.readSync(indices, 'int32', 9))).toEqual([0, 0, 1, 0, 0, 1, 2, 2, 3]);
  });

  it('propagates NaN and points at it', () => {
    const b = new CpuBackend();
    const p = poolParams(1, 1, 2, 2, [2, 2], [1, 1], [0, 0]);
    const { out, indices } = b.maxPool2d(
      b.upload(new Float32Array([1, Number.NaN, 9, Number.NaN]), 'float32'),
      p,
    );
    expect(Number.isNaN(b.readSync(out, 'float32', 1)[0])).toBe(true);
    expect(b.readSync(indices, 'int32', 1)[0]).toBe(1);
  });
});

describe('avgPool2d', () => {
  for (const p of CASES) {
    it(`forward divides by kh*kw including padding, backward is its adjoint: ${label(p)}`, () => {
      const b = new CpuBackend();
      const plane = p.inHeight * p.inWidth;
      const planes = p.batch * p.inChannels;
      const outPlane = p.outHeight * p.outWidth;
      const hx = randomF32(planes * plane, 7);
      const hdy = randomF32(planes * outPlane, 8);
      const div = p.kernelHeight * p.kernelWidth;
      const wins = windows(p);
      const y = new Float64Array(planes * outPlane);
      const dx = new Float64Array(planes * plane);
      for (let pl = 0; pl < planes; pl++) {
        wins.forEach((win, o) => {
          for (const i of win) {
            y[pl * outPlane + o] += hx[pl * plane + i] / div;
            dx[pl * plane + i] += hdy[pl * outPlane + o] / div;
          }
        });
      }
      expectClose(
        b.readSync(b.avgPool2d(b.upload(hx, 'float32'), p), 'float32', y.length),
        y,
        1e-6,
        1e-6,
        'y',
      );
      const gotDx = b.readSync(
        b.avgPool2dBackward(b.upload(hdy, 'float32'), p),
        'float32',
        dx.length,
      );
      expectClose(gotDx, dx, 1e-6, 1e-6, 'dx');
    });
  }

  it('counts padded zeros in the divisor', () => {
    const b = new CpuBackend();
    // 1×1 input, 3×3 window, padding 1: one real value over a divisor of 9.
    const p = poolParams(1, 1, 1, 1, [3, 3], [1, 1], [1, 1]);
    expect(
      b.readSync(b.avgPool2d(b.upload(new Float32Array([9]), 'float32'), p), 'float32', 1)[0],
    ).toBe(1);
    expect(
      b.readSync(
        b.avgPool2dBackward(b.upload(new Float32Array([9]), 'float32'), p),
        'float32',
        1,
      )[0],
    ).toBe(1);
  });

  it('returns empty buffers for an empty batch', () => {
    const b = new CpuBackend();
    const p = poolParams(0, 3, 4, 4, [2, 2], [2, 2], [0, 0]);
    const e = b.upload(new Float32Array(0), 'float32');
    expect(b.readSync(b.avgPool2d(e, p), 'float32', 0).length).toBe(0);
    expect(b.readSync(b.avgPool2dBackward(e, p), 'float32', 0).length).toBe(0);
    expect(b.readSync(b.maxPool2d(e, p).out, 'float32', 0).length).toBe(0);
  });
});

describe('maxPool2d, the unrolled 2×2 stride-2 path', () => {
  it('matches the window-order rule (first maximum, first NaN wins) on ties, NaN and odd sizes', () => {
    const b = new CpuBackend();
    const r = rng(7);
    for (const [h, w] of [
      [6, 6],
      [5, 7],
      [2, 2],
    ]) {
      const p = poolParams(2, 3, h, w, [2, 2], [2, 2], [0, 0]);
      const n = 2 * 3 * h * w;
      // Few distinct values, so ties are common; some NaN and ±∞.
      const x = Float32Array.from({ length: n }, () => {
        const u = r();
        if (u < 0.08) return Number.NaN;
        if (u < 0.12) return u < 0.1 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
        return Math.floor(r() * 3);
      });
      const { out, indices } = b.maxPool2d(b.upload(x, 'float32'), p);
      const got = b.readSync(out, 'float32', 6 * p.outHeight * p.outWidth) as Float32Array;
      const at = b.readSync(indices, 'int32', 6 * p.outHeight * p.outWidth) as Int32Array;
      let o = 0;
      for (let pl = 0; pl < 6; pl++) {
        for (let oh = 0; oh < p.outHeight; oh++) {
          for (let ow = 0; ow < p.outWidth; ow++, o++) {
            let best = Number.NEGATIVE_INFINITY;
            let where = -1;
            for (const [dh, dw] of [
              [0, 0],
              [0, 1],
              [1, 0],
              [1, 1],
            ]) {
              const k = (2 * oh + dh) * w + 2 * ow + dw;
              const v = x[pl * h * w + k];
              if (where < 0 || v > best || Number.isNaN(v)) {
                best = v;
                where = k;
                if (Number.isNaN(v)) break;
              }
            }
            expect(at[o], `index at output ${o} of ${h}×${w}`).toBe(where);
            expect(Object.is(got[o], best) || (Number.isNaN(got[o]) && Number.isNaN(best))).toBe(
              true,
            );
          }
        }
      }
    }
  });
});
