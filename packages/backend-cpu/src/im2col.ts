/**
 * im2col / col2im for one NCHW image.
 *
 * The column matrix is [C*KH*KW, OH*OW]: row (c, kh, kw) holds, for every
 * output position, the input pixel that kernel tap sees (0 in the padding).
 * For each row the range of output columns whose tap lands inside the image
 * is computed up front, so the inner loops carry no bounds tests.
 */
import type { Conv2dParams } from '@nerve/core';

/** Output positions o in [lo, hi) with 0 <= o*stride + shift < size. */
function validRange(
  shift: number,
  stride: number,
  size: number,
  outSize: number,
): [number, number] {
  const lo = shift >= 0 ? 0 : Math.ceil(-shift / stride);
  const hi = Math.min(outSize, Math.floor((size - 1 - shift) / stride) + 1);
  return [Math.min(lo, outSize), Math.max(hi, Math.min(lo, outSize))];
}

/** Fills col[0 .. C*KH*KW*OH*OW) from image x[xOff .. xOff + C*H*W). */
export function im2col(x: Float32Array, xOff: number, p: Conv2dParams, col: Float32Array): void {
  const { inChannels: C, inHeight: H, inWidth: W, kernelHeight: KH, kernelWidth: KW } = p;
  const { outHeight: OH, outWidth: OW, strideH, strideW, padH, padW, dilationH, dilationW } = p;
  const plane = OH * OW;
  let row = 0;
  for (let c = 0; c < C; c++) {
    const xc = xOff + c * H * W;
    for (let kh = 0; kh < KH; kh++) {
      const shiftH = kh * dilationH - padH;
      const [ohLo, ohHi] = validRange(shiftH, strideH, H, OH);
      for (let kw = 0; kw < KW; kw++, row += plane) {
        const shiftW = kw * dilationW - padW;
        const [owLo, owHi] = validRange(shiftW, strideW, W, OW);
        col.fill(0, row, row + ohLo * OW);
        for (let oh = ohLo; oh < ohHi; oh++) {
          const d = row + oh * OW;
          const s = xc + (oh * strideH + shiftH) * W + shiftW;
          col.fill(0, d, d + owLo);
          for (let ow = owLo; ow < owHi; ow++) col[d + ow] = x[s + ow * strideW];
          col.fill(0, d + owHi, d + OW);
        }
        col.fill(0, row + ohHi * OW, row + plane);
      }
    }
  }
}

/** Adds every entry of the column matrix back onto its input pixel: dx[dxOff ..] += col2im(col). */
export function col2im(col: Float32Array, p: Conv2dParams, dx: Float32Array, dxOff: number): void {
  const { inChannels: C, inHeight: H, inWidth: W, kernelHeight: KH, kernelWidth: KW } = p;
  const { outHeight: OH, outWidth: OW, strideH, strideW, padH, padW, dilationH, dilationW } = p;
  const plane = OH * OW;
  let row = 0;
  for (let c = 0; c < C; c++) {
    const xc = dxOff + c * H * W;
    for (let kh = 0; kh < KH; kh++) {
      const shiftH = kh * dilationH - padH;
      const [ohLo, ohHi] = validRange(shiftH, strideH, H, OH);
      for (let kw = 0; kw < KW; kw++, row += plane) {
        const shiftW = kw * dilationW - padW;
        const [owLo, owHi] = validRange(shiftW, strideW, W, OW);
        for (let oh = ohLo; oh < ohHi; oh++) {
          const s = row + oh * OW;
          const d = xc + (oh * strideH + shiftH) * W + shiftW;
          for (let ow = owLo; ow < owHi; ow++) dx[d + ow * strideW] += col[s + ow];
        }
      }
    }
  }
}
