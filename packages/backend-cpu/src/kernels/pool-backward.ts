/**
 * The max-pool gradient in one pass (core's optional `maxPool2dBackward`):
 * dx = scatterAdd of dy at the forward's winner indices, which the fallback
 * computes with three backend calls' worth of work (a float64 accumulator
 * zeroed, scattered into, then rounded into a fresh output).
 *
 * For the plain 2×2 stride-2 window (the CNN's), windows do not overlap, so
 * every input element receives at most one dy: its float64 sum is 0 + dy,
 * which rounds back to dy itself (−0 becomes +0, NaN stays NaN). The kernel
 * writes each window's four outputs directly, with no accumulator and no
 * zeroing pass. Every other geometry (overlapping windows, padding) runs
 * the fallback's scatterAdd, so its sums keep their order.
 */
import type { Conv2dParams, DataId } from '@nerve/core/backend';
import { allocF32, recycle } from '../alloc.js';
import { valuesOf } from '../buffers.js';
import { scatterAdd } from './gather.js';
import { isPlain2x2 } from './pooling.js';

/** `NERVE_CPU_POOL_FAST=0` keeps the old pooling paths (to time both in one run). */
export const poolFast = !(typeof process === 'object' && process.env?.NERVE_CPU_POOL_FAST === '0');

export function maxPool2dBackward(
  dy: Float32Array,
  indices: DataId,
  p: Conv2dParams,
): Float32Array {
  const idx = valuesOf(indices, 'maxPool2dBackward');
  if (poolFast && isPlain2x2(p) && idx instanceof Int32Array) {
    const dx = allocF32(p.batch * p.inChannels * p.inHeight * p.inWidth, true);
    if (backward2x2(dy, idx, dx, p)) return dx;
    // An index outside its window (not from maxPool2d): the general scatter decides.
    recycle(dx);
  }
  const m = p.outHeight * p.outWidth;
  return scatterAdd({ id: indices, strides: [m, 1, 0], offset: 0 }, dy, {
    dtype: 'float32',
    outer: p.batch * p.inChannels,
    axisSize: p.inHeight * p.inWidth,
    indexSize: m,
    inner: 1,
  }) as Float32Array;
}

/** Writes every element of dx; false (dx partly written) when an index is not in its window. */
function backward2x2(
  dy: Float32Array,
  idx: Int32Array,
  dx: Float32Array,
  p: Conv2dParams,
): boolean {
  const { inHeight: H, inWidth: W, outHeight: OH, outWidth: OW } = p;
  const planes = p.batch * p.inChannels;
  let o = 0;
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const row = 2 * oh * W;
      const r0 = base + row;
      const r1 = r0 + W;
      for (let ow = 0; ow < OW; ow++, o++) {
        const d = idx[o] - (row + 2 * ow);
        // 0 + dy as the fallback's float64 accumulator computes it.
        const v = dy[o] + 0;
        const c = r0 + 2 * ow;
        const c1 = r1 + 2 * ow;
        if (d === 0) {
          dx[c] = v;
          dx[c + 1] = 0;
          dx[c1] = 0;
          dx[c1 + 1] = 0;
        } else if (d === 1) {
          dx[c] = 0;
          dx[c + 1] = v;
          dx[c1] = 0;
          dx[c1 + 1] = 0;
        } else if (d === W) {
          dx[c] = 0;
          dx[c + 1] = 0;
          dx[c1] = v;
          dx[c1 + 1] = 0;
        } else if (d === W + 1) {
          dx[c] = 0;
          dx[c + 1] = 0;
          dx[c1] = 0;
          dx[c1 + 1] = v;
        } else {
          return false;
        }
      }
      // An odd width leaves a last column no window covers.
      for (let w = 2 * OW; w < W; w++) {
        dx[r0 + w] = 0;
        dx[r1 + w] = 0;
      }
    }
    // An odd height leaves last rows no window covers.
    for (let i = base + 2 * OH * W; i < base + H * W; i++) dx[i] = 0;
  }
  return true;
}
