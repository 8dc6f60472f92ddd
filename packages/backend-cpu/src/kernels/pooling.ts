/**
 * 2-D max and average pooling over NCHW planes (outChannels = inChannels).
 * Windows honour stride, padding and dilation like conv2d.
 */
import type { Conv2dParams } from '@nerve/core/backend';
import { alloc, allocF32 } from '../alloc.js';

/**
 * Max pooling with implicit -∞ padding. `indices` holds the winning element's
 * position in its H*W plane: the first maximum in row-major (kh, kw) order,
 * and the first NaN if the window has one (NaN propagates, as in PyTorch).
 * A window that lies wholly in the padding yields -∞ and index -1.
 */
export function maxPool2d(
  x: Float32Array,
  p: Conv2dParams,
): { out: Float32Array; indices: Int32Array } {
  const { inHeight: H, inWidth: W, outHeight: OH, outWidth: OW } = p;
  const planes = p.batch * p.inChannels;
  // Every output position gets a value and an index below.
  const out = allocF32(planes * OH * OW, true);
  const indices = alloc('int32', planes * OH * OW, true) as Int32Array;
  if (isPlain2x2(p)) {
    maxPool2x2(x, out, indices, planes, H, W, OH, OW);
    return { out, indices };
  }
  let o = 0;
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = oh * p.strideH - p.padH;
      for (let ow = 0; ow < OW; ow++, o++) {
        const w0 = ow * p.strideW - p.padW;
        let best = Number.NEGATIVE_INFINITY;
        let at = -1;
        scan: for (let kh = 0; kh < p.kernelHeight; kh++) {
          const ih = h0 + kh * p.dilationH;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < p.kernelWidth; kw++) {
            const iw = w0 + kw * p.dilationW;
            if (iw < 0 || iw >= W) continue;
            const v = x[base + ih * W + iw];
            if (v > best || at < 0 || Number.isNaN(v)) {
              best = v;
              at = ih * W + iw;
              if (Number.isNaN(v)) break scan;
            }
          }
        }
        out[o] = best;
        indices[o] = at;
      }
    }
  }
  return { out, indices };
}

/** The CNN's usual window: 2×2, stride 2, no padding or dilation. */
export function isPlain2x2(p: Conv2dParams): boolean {
  return (
    p.kernelHeight === 2 &&
    p.kernelWidth === 2 &&
    p.strideH === 2 &&
    p.strideW === 2 &&
    p.padH === 0 &&
    p.padW === 0 &&
    p.dilationH === 1 &&
    p.dilationW === 1
  );
}

/**
 * maxPool2d for the plain 2×2 window, unrolled: the same result as the
 * general loop (first maximum in window order, the first NaN wins), without
 * its bounds tests and inner loops (~4× faster on [64,16,28,28]).
 */
function maxPool2x2(
  x: Float32Array,
  out: Float32Array,
  indices: Int32Array,
  planes: number,
  H: number,
  W: number,
  OH: number,
  OW: number,
): void {
  let o = 0;
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const row = 2 * oh * W;
      for (let ow = 0; ow < OW; ow++, o++) {
        const at0 = row + 2 * ow;
        const i = base + at0;
        let best = x[i];
        let at = at0;
        // A NaN wins and stops the scan.
        if (!Number.isNaN(best)) {
          const v1 = x[i + 1];
          if (v1 > best || Number.isNaN(v1)) {
            best = v1;
            at = at0 + 1;
          }
          if (!Number.isNaN(best)) {
            const v2 = x[i + W];
            if (v2 > best || Number.isNaN(v2)) {
              best = v2;
              at = at0 + W;
            }
            if (!Number.isNaN(best)) {
              const v3 = x[i + W + 1];
              if (v3 > best || Number.isNaN(v3)) {
                best = v3;
                at = at0 + W + 1;
              }
            }
          }
        }
        out[o] = best;
        indices[o] = at;
      }
    }
  }
}

/**
 * Average pooling; padding counts in the divisor (kh*kw always, PyTorch's
 * count_include_pad=True). With `backward`, spreads dy over each window
 * instead: dx[window] += dy / (kh*kw).
 */
function avgPool(src: Float32Array, p: Conv2dParams, backward: boolean): Float32Array {
  const { inHeight: H, inWidth: W, outHeight: OH, outWidth: OW } = p;
  const { kernelHeight: KH, kernelWidth: KW, dilationH, dilationW } = p;
  const planes = p.batch * p.inChannels;
  // The backward pass accumulates into dst, so only it needs zeros.
  const dst = allocF32(planes * (backward ? H * W : OH * OW), !backward);
  const div = KH * KW;
  let o = 0;
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = oh * p.strideH - p.padH;
      for (let ow = 0; ow < OW; ow++, o++) {
        const w0 = ow * p.strideW - p.padW;
        const g = backward ? src[o] / div : 0;
        let s = 0;
        for (let kh = 0; kh < KH; kh++) {
          const ih = h0 + kh * dilationH;
          if (ih < 0 || ih >= H) continue;
          const row = base + ih * W;
          for (let kw = 0; kw < KW; kw++) {
            const iw = w0 + kw * dilationW;
            if (iw < 0 || iw >= W) continue;
            if (backward) dst[row + iw] += g;
            else s += src[row + iw];
          }
        }
        if (!backward) dst[o] = s / div;
      }
    }
  }
  return dst;
}

export function avgPool2d(x: Float32Array, p: Conv2dParams): Float32Array {
  return avgPool(x, p, false);
}

export function avgPool2dBackward(dy: Float32Array, p: Conv2dParams): Float32Array {
  return avgPool(dy, p, true);
}
