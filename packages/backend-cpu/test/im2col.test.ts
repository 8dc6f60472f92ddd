/**
 * im2col / col2im (both the general loops and the aligned fast path for unit
 * stride with "same" width) against their definitions, written out naively.
 */
import type { Conv2dParams } from '@nerve/core/backend';
import { describe, it } from 'vitest';
import { col2im, im2col } from '../src/kernels/im2col.js';
import { expectSame, randomF32 } from './helpers.js';

function params(
  C: number,
  H: number,
  W: number,
  [KH, KW]: [number, number],
  [sH, sW]: [number, number],
  [pH, pW]: [number, number],
  [dH, dW]: [number, number],
): Conv2dParams {
  const OH = Math.floor((H + 2 * pH - dH * (KH - 1) - 1) / sH) + 1;
  const OW = Math.floor((W + 2 * pW - dW * (KW - 1) - 1) / sW) + 1;
  return {
    batch: 2,
    inChannels: C,
    inHeight: H,
    inWidth: W,
    outChannels: 1,
    kernelHeight: KH,
    kernelWidth: KW,
    strideH: sH,
    strideW: sW,
    padH: pH,
    padW: pW,
    dilationH: dH,
    dilationW: dW,
    outHeight: OH,
    outWidth: OW,
  } as Conv2dParams;
}

/** The input index tap (c, kh, kw) reads at output (oh, ow), or -1 in the padding. */
function source(p: Conv2dParams, c: number, kh: number, kw: number, oh: number, ow: number) {
  const ih = oh * p.strideH - p.padH + kh * p.dilationH;
  const iw = ow * p.strideW - p.padW + kw * p.dilationW;
  if (ih < 0 || ih >= p.inHeight || iw < 0 || iw >= p.inWidth) return -1;
  return (c * p.inHeight + ih) * p.inWidth + iw;
}

const CASES: Conv2dParams[] = [
  params(3, 7, 6, [3, 3], [1, 1], [1, 1], [1, 1]), // aligned
  params(2, 5, 9, [3, 5], [1, 1], [0, 2], [1, 1]), // aligned, asymmetric
  params(2, 8, 8, [3, 3], [1, 1], [2, 2], [2, 2]), // aligned, dilated
  params(1, 4, 4, [1, 1], [1, 1], [0, 0], [1, 1]), // aligned, pointwise
  params(2, 7, 7, [3, 3], [2, 2], [1, 1], [1, 1]), // general: stride 2
  params(2, 6, 7, [2, 3], [1, 2], [1, 0], [2, 1]), // general
  params(1, 5, 5, [3, 3], [1, 1], [0, 0], [1, 1]), // general: valid padding
];

describe('im2col / col2im', () => {
  for (const p of CASES) {
    const name = `C${p.inChannels} ${p.inHeight}×${p.inWidth} k${p.kernelHeight}×${p.kernelWidth} s${p.strideH},${p.strideW} p${p.padH},${p.padW} d${p.dilationH},${p.dilationW}`;
    it(`match the definition: ${name}`, () => {
      const chw = p.inChannels * p.inHeight * p.inWidth;
      const ohw = p.outHeight * p.outWidth;
      const taps = p.inChannels * p.kernelHeight * p.kernelWidth;
      const x = randomF32(2 * chw, 1);
      const col = new Float32Array(taps * ohw).fill(Number.NaN);
      im2col(x, chw, p, col); // the second image, at an offset
      const want = new Float32Array(taps * ohw);
      const dxWant = randomF32(2 * chw, 3);
      const dx = dxWant.slice();
      const g = randomF32(taps * ohw, 2);
      let r = 0;
      for (let c = 0; c < p.inChannels; c++) {
        for (let kh = 0; kh < p.kernelHeight; kh++) {
          for (let kw = 0; kw < p.kernelWidth; kw++, r++) {
            for (let oh = 0; oh < p.outHeight; oh++) {
              for (let ow = 0; ow < p.outWidth; ow++) {
                const i = source(p, c, kh, kw, oh, ow);
                const at = r * ohw + oh * p.outWidth + ow;
                want[at] = i < 0 ? 0 : x[chw + i];
                if (i >= 0) dxWant[chw + i] = Math.fround(dxWant[chw + i] + g[at]);
              }
            }
          }
        }
      }
      expectSame(col, want, `im2col ${name}`);
      col2im(g.slice(), p, dx, chw);
      expectSame(dx, dxWant, `col2im ${name}`);
    });
  }
});
