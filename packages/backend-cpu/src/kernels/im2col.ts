/**
 * im2col / col2im for one NCHW image.
 *
 * The column matrix is [C*KH*KW, OH*OW]: row (c, kh, kw) holds, for every
 * output position, the input pixel that kernel tap sees (0 in the padding).
 * For each row the range of output columns whose tap lands inside the image
 * is computed up front, so the inner loops carry no bounds tests.
 */
import type { Conv2dParams } from '@nerve/core/backend';
import { copyF32, zeroF32 } from '../heap.js';

/** First output position o with o*stride + shift >= 0 (at most outSize). */
function validLo(shift: number, stride: number, outSize: number): number {
  return Math.min(outSize, shift >= 0 ? 0 : Math.ceil(-shift / stride));
}

/** One past the last output position o with o*stride + shift < size (at least lo). */
function validHi(shift: number, stride: number, size: number, outSize: number, lo: number): number {
  return Math.max(lo, Math.min(outSize, Math.floor((size - 1 - shift) / stride) + 1));
}

/**
 * Fills col[0 .. C*KH*KW*OH*OW) from image x[xOff .. xOff + C*H*W).
 * Output rows are short (OW = 14 in a small CNN), so the zero runs are
 * written by plain loops: `fill` calls on 0-2 element ranges cost more than
 * the copy itself (measured: im2col of [64,16,14,14] 3×3 took 8 ms with them).
 */
export function im2col(x: Float32Array, xOff: number, p: Conv2dParams, col: Float32Array): void {
  if (rowsAlign(p)) {
    im2colAligned(x, xOff, p, col);
    return;
  }
  const { inChannels: C, inHeight: H, inWidth: W, kernelHeight: KH, kernelWidth: KW } = p;
  const { outHeight: OH, outWidth: OW, strideH, strideW, padH, padW, dilationH, dilationW } = p;
  const plane = OH * OW;
  let row = 0;
  for (let c = 0; c < C; c++) {
    const xc = xOff + c * H * W;
    for (let kh = 0; kh < KH; kh++) {
      const shiftH = kh * dilationH - padH;
      const ohLo = validLo(shiftH, strideH, OH);
      const ohHi = validHi(shiftH, strideH, H, OH, ohLo);
      for (let kw = 0; kw < KW; kw++, row += plane) {
        const shiftW = kw * dilationW - padW;
        const owLo = validLo(shiftW, strideW, OW);
        const owHi = validHi(shiftW, strideW, W, OW, owLo);
        let d = row;
        for (const end = row + ohLo * OW; d < end; d++) col[d] = 0;
        for (let oh = ohLo; oh < ohHi; oh++) {
          let s = xc + (oh * strideH + shiftH) * W + shiftW + owLo * strideW;
          let ow = 0;
          for (; ow < owLo; ow++) col[d++] = 0;
          if (strideW === 1) for (; ow < owHi; ow++) col[d++] = x[s++];
          else for (; ow < owHi; ow++, s += strideW) col[d++] = x[s];
          for (; ow < OW; ow++) col[d++] = 0;
        }
        for (const end = row + plane; d < end; d++) col[d] = 0;
      }
    }
  }
}

/**
 * Adds every entry of the column matrix back onto its input pixel:
 * dx[dxOff ..] += col2im(col). May overwrite col (entries that fall in the
 * padding are zeroed by the fast path).
 */
export function col2im(col: Float32Array, p: Conv2dParams, dx: Float32Array, dxOff: number): void {
  if (rowsAlign(p)) {
    col2imAligned(col, p, dx, dxOff);
    return;
  }
  const { inChannels: C, inHeight: H, inWidth: W, kernelHeight: KH, kernelWidth: KW } = p;
  const { outHeight: OH, outWidth: OW, strideH, strideW, padH, padW, dilationH, dilationW } = p;
  const plane = OH * OW;
  let row = 0;
  for (let c = 0; c < C; c++) {
    const xc = dxOff + c * H * W;
    for (let kh = 0; kh < KH; kh++) {
      const shiftH = kh * dilationH - padH;
      const ohLo = validLo(shiftH, strideH, OH);
      const ohHi = validHi(shiftH, strideH, H, OH, ohLo);
      for (let kw = 0; kw < KW; kw++, row += plane) {
        const shiftW = kw * dilationW - padW;
        const owLo = validLo(shiftW, strideW, OW);
        const owHi = validHi(shiftW, strideW, W, OW, owLo);
        for (let oh = ohLo; oh < ohHi; oh++) {
          let s = row + oh * OW + owLo;
          let d = xc + (oh * strideH + shiftH) * W + shiftW + owLo * strideW;
          if (strideW === 1) for (let ow = owLo; ow < owHi; ow++) dx[d++] += col[s++];
          else for (let ow = owLo; ow < owHi; ow++, d += strideW) dx[d] += col[s++];
        }
      }
    }
  }
}

/**
 * Unit stride with output rows as long as input rows ("same" padding, the
 * usual 3×3 pad 1): then one kernel tap's column row is the image plane
 * shifted by shiftH*W + shiftW, so the valid output rows are a single
 * contiguous copy, and only the padding columns (wrapped in from the
 * neighbouring row) need zeroing. Measured on [64,16,14,14] 3×3: about 3×
 * faster than the per-row loops.
 */
function rowsAlign(p: Conv2dParams): boolean {
  return p.strideH === 1 && p.strideW === 1 && p.outWidth === p.inWidth;
}

/** The contiguous block of one tap: col[lo, hi) ↔ plane[lo + delta, hi + delta), clamped to the plane. */
interface TapBlock {
  ohLo: number;
  ohHi: number;
  owLo: number;
  owHi: number;
  lo: number;
  hi: number;
  delta: number;
}

function tapBlock(p: Conv2dParams, kh: number, kw: number, row: number, xc: number): TapBlock {
  const { inHeight: H, inWidth: W, outHeight: OH, outWidth: OW } = p;
  const shiftH = kh * p.dilationH - p.padH;
  const shiftW = kw * p.dilationW - p.padW;
  const ohLo = validLo(shiftH, 1, OH);
  const ohHi = validHi(shiftH, 1, H, OH, ohLo);
  const owLo = validLo(shiftW, 1, OW);
  const owHi = validHi(shiftW, 1, W, OW, owLo);
  // Output (oh, ow) at row + oh*W + ow reads plane element xc + (oh+shiftH)*W + ow+shiftW.
  const delta = xc - row + shiftH * W + shiftW;
  // Clamping to the plane only drops padding columns of the first/last valid row.
  const lo = Math.max(row + ohLo * OW, xc - delta);
  const hi = Math.max(lo, Math.min(row + ohHi * OW, xc + H * W - delta));
  return { ohLo, ohHi, owLo, owHi, lo, hi, delta };
}

/** Zeroes the padding columns of the valid rows of one tap's column row. */
function zeroPadColumns(col: Float32Array, row: number, OW: number, b: TapBlock): void {
  if (b.owLo === 0 && b.owHi === OW) return;
  for (let oh = b.ohLo; oh < b.ohHi; oh++) {
    const r = row + oh * OW;
    for (let ow = 0; ow < b.owLo; ow++) col[r + ow] = 0;
    for (let ow = b.owHi; ow < OW; ow++) col[r + ow] = 0;
  }
}

function im2colAligned(x: Float32Array, xOff: number, p: Conv2dParams, col: Float32Array): void {
  const { inChannels: C, inHeight: H, inWidth: W, kernelHeight: KH, kernelWidth: KW } = p;
  const OW = p.outWidth;
  const plane = p.outHeight * OW;
  let row = 0;
  for (let c = 0; c < C; c++) {
    const xc = xOff + c * H * W;
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++, row += plane) {
        const b = tapBlock(p, kh, kw, row, xc);
        zeroF32(col, row, b.lo);
        copyF32(col, b.lo, x, b.lo + b.delta, b.hi - b.lo);
        zeroF32(col, b.hi, row + plane);
        zeroPadColumns(col, row, OW, b);
      }
    }
  }
}

function col2imAligned(col: Float32Array, p: Conv2dParams, dx: Float32Array, dxOff: number): void {
  const { inChannels: C, inHeight: H, inWidth: W, kernelHeight: KH, kernelWidth: KW } = p;
  const OW = p.outWidth;
  const plane = p.outHeight * OW;
  let row = 0;
  for (let c = 0; c < C; c++) {
    const xc = dxOff + c * H * W;
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++, row += plane) {
        const b = tapBlock(p, kh, kw, row, xc);
        // Padding entries become 0, so the one contiguous sweep adds nothing for them.
        zeroPadColumns(col, row, OW, b);
        for (let i = b.lo, d = b.lo + b.delta; i < b.hi; i++, d++) dx[d] += col[i];
      }
    }
  }
}
