/**
 * Shared geometry of convolution and pooling windows (NCHW): argument
 * normalisation, output sizes, and the window index used by the fallbacks.
 */
import type { Conv2dParams } from '../backend.js';
import { NerveError, fmtShape } from '../errors.js';

/** One number for both spatial axes, or [height, width]. */
export type Pair = number | readonly [number, number];

export function pair(op: string, name: string, v: Pair, min: number): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v?.[0], v?.[1]];
  if (!p.every((x) => Number.isInteger(x) && x >= min)) {
    throw new NerveError(op, `${name} as an integer ≥ ${min} or a pair of them`, JSON.stringify(v));
  }
  return p;
}

/** Builds and validates Conv2dParams for an input [N,C,H,W] and a kernel. */
export function convParams(
  op: string,
  xShape: readonly number[],
  outChannels: number,
  kernel: [number, number],
  stride: [number, number],
  padding: [number, number],
  dilation: [number, number],
): Conv2dParams {
  const [batch, inChannels, inHeight, inWidth] = xShape;
  const outHeight =
    Math.floor((inHeight + 2 * padding[0] - dilation[0] * (kernel[0] - 1) - 1) / stride[0]) + 1;
  const outWidth =
    Math.floor((inWidth + 2 * padding[1] - dilation[1] * (kernel[1] - 1) - 1) / stride[1]) + 1;
  if (outHeight < 1 || outWidth < 1) {
    throw NerveError.raw(
      op,
      `input ${fmtShape(xShape)} is too small for kernel ${kernel.join('×')} with padding ${padding.join(',')} and dilation ${dilation.join(',')} (output would be ${outHeight}×${outWidth})`,
    );
  }
  return {
    batch,
    inChannels,
    inHeight,
    inWidth,
    outChannels,
    kernelHeight: kernel[0],
    kernelWidth: kernel[1],
    outHeight,
    outWidth,
    strideH: stride[0],
    strideW: stride[1],
    padH: padding[0],
    padW: padding[1],
    dilationH: dilation[0],
    dilationW: dilation[1],
  };
}

/**
 * For `channels` planes of a padded input (Hp = H + 2·padH, Wp likewise),
 * the flat index of every window element, ordered [c, kh, kw, oh, ow]: the
 * im2col layout, so a gather with it yields [C·KH·KW, OH·OW] columns.
 */
export function windowIndex(p: Conv2dParams, channels: number): Int32Array {
  const hp = p.inHeight + 2 * p.padH;
  const wp = p.inWidth + 2 * p.padW;
  const { kernelHeight: kh, kernelWidth: kw, outHeight: oh, outWidth: ow } = p;
  const idx = new Int32Array(channels * kh * kw * oh * ow);
  let i = 0;
  for (let c = 0; c < channels; c++) {
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        for (let y = 0; y < oh; y++) {
          const row = c * hp * wp + (y * p.strideH + a * p.dilationH) * wp;
          for (let x = 0; x < ow; x++) idx[i++] = row + x * p.strideW + b * p.dilationW;
        }
      }
    }
  }
  return idx;
}

export function requireNCHW(op: string, name: string, shape: readonly number[]): void {
  if (shape.length !== 4) {
    throw new NerveError(op, `a 4-D ${name} [N, C, H, W]`, `shape ${fmtShape(shape)}`);
  }
}

/**
 * A 1×1 convolution with unit stride and no padding: the input [C, H·W] of
 * each image is itself the column matrix, so backends skip im2col.
 */
export function isPointwiseConv(p: Conv2dParams): boolean {
  return (
    p.kernelHeight === 1 &&
    p.kernelWidth === 1 &&
    p.strideH === 1 &&
    p.strideW === 1 &&
    p.padH === 0 &&
    p.padW === 0 &&
    p.outHeight === p.inHeight &&
    p.outWidth === p.inWidth
  );
}
