/**
 * Max pooling's fast paths: the plain 2×2 stride-2 window (the CNN's) as
 * WebAssembly SIMD on the wasm heap (../wasm/pool-simd.ts), and the
 * gradient in one pass (core's optional `maxPool2dBackward`): dx =
 * scatterAdd of dy at the forward's winner indices, which the fallback
 * computes through a zeroed float64 accumulator rounded into a fresh output.
 *
 * For the 2×2 window, windows do not overlap, so every input element
 * receives at most one dy: its float64 sum is 0 + dy, which rounds back to
 * dy itself (−0 becomes +0, NaN stays NaN). The kernels write each window's
 * four outputs directly, with no accumulator and no zeroing pass. Every
 * other geometry (overlapping windows, padding) runs the general kernels, so
 * sums keep their order. All paths give the same bits (test/maxpool-fast.test.ts).
 */
import type { Conv2dParams, DataId } from '@nerve/core/backend';
import { alloc, allocF32, recycle } from '../alloc.js';
import { valuesOf } from '../buffers.js';
import { type WasmHeap, wasmHeap } from '../heap.js';
import { scatterAdd } from './gather.js';
import { type PoolRunner, poolRunner, ranges } from './pool-tasks.js';
import { isPlain2x2 } from './pooling.js';

/** `NERVE_CPU_POOL_FAST=0` keeps the old pooling paths (to time both in one run). */
export const poolFast = !(typeof process === 'object' && process.env?.NERVE_CPU_POOL_FAST === '0');

/** The 2×2 forward as wasm SIMD, or null where it does not apply (the caller runs pooling.ts). */
export function maxPool2dFast(
  x: Float32Array,
  p: Conv2dParams,
): { out: Float32Array; indices: Int32Array } | null {
  if (!poolFast || !isPlain2x2(p)) return null;
  const planes = p.batch * p.inChannels;
  const n = planes * p.outHeight * p.outWidth;
  if (n === 0) return null;
  const out = allocF32(n, true);
  const indices = alloc('int32', n, true) as Int32Array;
  const r = poolRunner(x, out, indices);
  if (r === null) {
    recycle(out);
    recycle(indices);
    return null;
  }
  const inPlane = p.inHeight * p.inWidth;
  const outPlane = p.outHeight * p.outWidth;
  const arrays: [ArrayBufferView, number][] = [
    [x, inPlane],
    [out, outPlane],
    [indices, outPlane],
  ];
  r.run('maxPoolFwd', planeTasks(r, planes, p, arrays));
  return { out, indices };
}

export function maxPool2dBackward(
  dy: Float32Array,
  indices: DataId,
  p: Conv2dParams,
): Float32Array {
  const idx = valuesOf(indices, 'maxPool2dBackward');
  const planes = p.batch * p.inChannels;
  const size = planes * p.inHeight * p.inWidth;
  if (poolFast && isPlain2x2(p) && idx instanceof Int32Array && size > 0) {
    const dx = allocF32(size, true);
    const r = poolRunner(dy, idx, dx);
    const done = r === null ? backward2x2(dy, idx, dx, p) : backwardTasks(r, dy, idx, dx, p);
    if (done) return dx;
    // An index outside its window (not from maxPool2d): the general scatter decides.
    recycle(dx);
  }
  const m = p.outHeight * p.outWidth;
  return scatterAdd({ id: indices, strides: [m, 1, 0], offset: 0 }, dy, {
    dtype: 'float32',
    outer: planes,
    axisSize: p.inHeight * p.inWidth,
    indexSize: m,
    inner: 1,
  }) as Float32Array;
}

/** The wasm gradient as tasks over planes; false when a task met an index outside its window. */
function backwardTasks(
  r: PoolRunner,
  dy: Float32Array,
  idx: Int32Array,
  dx: Float32Array,
  p: Conv2dParams,
): boolean {
  const planes = p.batch * p.inChannels;
  const inPlane = p.inHeight * p.inWidth;
  const outPlane = p.outHeight * p.outWidth;
  const flag = r.scratch();
  // The heap's buffer now: scratch may have grown the memory past dx's buffer.
  const f = new Int32Array((wasmHeap() as WasmHeap).f32().buffer, flag, 1);
  f[0] = 1;
  const arrays: [ArrayBufferView, number][] = [
    [dy, outPlane],
    [idx, outPlane],
    [dx, inPlane],
  ];
  r.run('maxPoolBwdTask', planeTasks(r, planes, p, arrays, flag));
  return f[0] === 1;
}

/** Writes every element of dx; false (dx partly written) when an index is not in its window. */
export function backward2x2(
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
        if (d !== 0 && d !== 1 && d !== W && d !== W + 1) return false;
        const c = r0 + 2 * ow;
        const c1 = r1 + 2 * ow;
        dx[c] = d === 0 ? v : 0;
        dx[c + 1] = d === 1 ? v : 0;
        dx[c1] = d === W ? v : 0;
        dx[c1 + 1] = d === W + 1 ? v : 0;
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

/**
 * The pooling kernels' task arguments: for each range of planes, each array's
 * address at its first plane (4-byte elements, `perPlane` of them a plane),
 * the plane count, H, W, OH, OW, then `extra`.
 */
function planeTasks(
  r: PoolRunner,
  planes: number,
  p: Conv2dParams,
  arrays: readonly [ArrayBufferView, number][],
  ...extra: number[]
): number[][] {
  const { inHeight: H, inWidth: W, outHeight: OH, outWidth: OW } = p;
  return ranges(planes, planes * H * W, r.threads).map(([a, b]) => [
    ...arrays.map(([v, perPlane]) => v.byteOffset + 4 * a * perPlane),
    b - a,
    H,
    W,
    OH,
    OW,
    ...extra,
  ]);
}
