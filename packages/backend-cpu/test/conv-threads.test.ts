/**
 * Issue 16: conv2d and its gradients run over the batch on the worker
 * threads (kernels/conv-implicit.ts for the forward and weight gradient,
 * kernels/conv-batch.ts for the input gradient), and give bit-identical
 * results for 1, 2 and 3 threads — the weight gradient included, which sums
 * fixed groups of images in image order and then the groups in order,
 * whatever thread computed each. The forward is bit-identical to the
 * column-matrix path too (same products, same order).
 */
import { getThreads, setThreads, threadsReady } from '@nerve/backend-cpu';
import { type Conv2dParams, isPointwiseConv } from '@nerve/core/backend';
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/cpu-backend.js';
import { allocF32 } from '../src/alloc.js';
import { batchable, conv2dBackwardInputBatch, conv2dBatch } from '../src/kernels/conv-batch.js';
import {
  conv2dBackwardInputImplicit,
  conv2dImplicit,
  convImplicitStats,
} from '../src/kernels/conv-implicit.js';
import { wasmHeap } from '../src/heap.js';
import type { ThreadPool } from '../src/threads/thread-pool.js';
import { getWasmRuntime, setKernelMode, supportedKernelModes } from '../src/wasm/runtime.js';
import { convParams, expectClose, forEachTap, randomF32 } from './helpers.js';

const defaultThreads = getThreads();

const CASES: [string, Conv2dParams][] = [
  // The bench CNN's second conv ("same" padding: whole-plane copies in the plans).
  ['N13 C16 14x14 O32 3x3 p1', convParams(13, 16, 14, 14, 32, [3, 3], [1, 1], [1, 1], [1, 1])],
  // Row stride 2, dilation and uneven padding: per-row plan ops, n not a multiple of the tile.
  [
    'N9 C3 11x10 O7 3x2 s(2,1) p(2,1) d(1,2)',
    convParams(9, 3, 11, 10, 7, [3, 2], [2, 1], [2, 1], [1, 2]),
  ],
  // The bench CNN's first conv (one channel: k = 9, a partial 6-row panel of taps).
  ['N5 C1 28x28 O16 3x3 p1', convParams(5, 1, 28, 28, 16, [3, 3], [1, 1], [1, 1], [1, 1])],
  // Width stride 2 (ResNet's downsampling 3×3): gathered column panels.
  ['N6 C5 13x12 O9 3x3 s2 p1', convParams(6, 5, 13, 12, 9, [3, 3], [2, 2], [1, 1], [1, 1])],
  // Pointwise, unit stride and strided (MobileNet, ResNet shortcuts): no padding copy.
  ['N7 C24 9x9 O20 1x1', convParams(7, 24, 9, 9, 20, [1, 1], [1, 1], [0, 0], [1, 1])],
  ['N4 C12 10x9 O16 1x1 s2', convParams(4, 12, 10, 9, 16, [1, 1], [2, 2], [0, 0], [1, 1])],
  // More than 16 images: groups of two in the weight gradient, an odd one last.
  ['N37 C4 6x7 O12 3x3 p1', convParams(37, 4, 6, 7, 12, [3, 3], [1, 1], [1, 1], [1, 1])],
];

/** forward, input gradient and weight gradient at `threads` threads. */
async function run(threads: number, p: Conv2dParams) {
  setThreads(threads);
  await threadsReady();
  const b = new CpuBackend();
  const xSize = p.batch * p.inChannels * p.inHeight * p.inWidth;
  const wSize = p.outChannels * p.inChannels * p.kernelHeight * p.kernelWidth;
  const ySize = p.batch * p.outChannels * p.outHeight * p.outWidth;
  const hx = randomF32(xSize, 1);
  const hw = randomF32(wSize, 2);
  const hdy = randomF32(ySize, 3);
  const x = b.upload(hx, 'float32');
  const w = b.upload(hw, 'float32');
  const dy = b.upload(hdy, 'float32');
  const runs = convImplicitStats.runs;
  const y = b.readSync(b.conv2d(x, w, p), 'float32', ySize) as Float32Array;
  // The forward took the implicit path, in more than one task when threads > 1.
  expect(convImplicitStats.lastTasks > 1).toBe(threads > 1);
  const dx = b.readSync(b.conv2dBackwardInput(dy, w, p), 'float32', xSize) as Float32Array;
  expect(convImplicitStats.lastTasks > 1).toBe(threads > 1);
  const dw = b.readSync(b.conv2dBackwardFilter(x, dy, p), 'float32', wSize) as Float32Array;
  expect(convImplicitStats.runs - runs).toBe(3);
  // Groups are tasks: more than one whenever N > 1, whatever the thread count.
  expect(convImplicitStats.lastTasks > 1).toBe(p.batch > 1);
  const pool = getWasmRuntime()?.runner as ThreadPool;
  expect(pool.threads).toBe(threads);
  return { hx, hw, hdy, y, dx, dw };
}

/** The three results in float64 by the definition, with Σ|term| per element. */
function reference(p: Conv2dParams, hx: Float32Array, hw: Float32Array, hdy: Float32Array) {
  const y = new Float64Array(p.batch * p.outChannels * p.outHeight * p.outWidth);
  const ys = new Float64Array(y.length);
  const dx = new Float64Array(hx.length);
  const dxs = new Float64Array(hx.length);
  const dw = new Float64Array(hw.length);
  const dws = new Float64Array(hw.length);
  forEachTap(p, (xi, yi, wi) => {
    y[yi] += hx[xi] * hw[wi];
    ys[yi] += Math.abs(hx[xi] * hw[wi]);
    dx[xi] += hdy[yi] * hw[wi];
    dxs[xi] += Math.abs(hdy[yi] * hw[wi]);
    dw[wi] += hdy[yi] * hx[xi];
    dws[wi] += Math.abs(hdy[yi] * hx[xi]);
  });
  return { y, ys, dx, dxs, dw, dws };
}

describe.skipIf(wasmHeap() === undefined || getWasmRuntime() === undefined)(
  'conv over the batch on threads',
  () => {
    afterAll(() => setThreads(defaultThreads));

    /** All three results at 1, 2 and 3 threads: identical bits, and within the float64 bound. */
    async function check(p: Conv2dParams) {
      const one = await run(1, p);
      for (const t of [2, 3]) {
        const other = await run(t, p);
        for (const key of ['y', 'dx', 'dw'] as const) {
          expect(
            Buffer.from(other[key].buffer, other[key].byteOffset, other[key].byteLength).equals(
              Buffer.from(one[key].buffer, one[key].byteOffset, one[key].byteLength),
            ),
            `${key} at ${t} threads`,
          ).toBe(true);
        }
      }
      const r = reference(p, one.hx, one.hw, one.hdy);
      // A float32 sum of K terms is within K·2⁻²⁴·Σ|term| of the exact sum
      // (Higham's bound, to first order); K is the number of terms: C·KH·KW
      // for y, O·KH·KW for dx, N·OH·OW for dw. Rounding the inputs is
      // shared with the reference (it reads the same float32 values).
      const u = 2 ** -24;
      const ckk = p.inChannels * p.kernelHeight * p.kernelWidth;
      const okk = p.outChannels * p.kernelHeight * p.kernelWidth;
      const nohw = p.batch * p.outHeight * p.outWidth;
      expectClose(one.y, r.y, ckk * u, 0, 'y', r.ys);
      expectClose(one.dx, r.dx, okk * u, 0, 'dx', r.dxs);
      expectClose(one.dw, r.dw, nohw * u, 0, 'dw', r.dws);
    }

    for (const [name, p] of CASES) {
      it(`is bit-identical for 1, 2 and 3 threads and matches float64: ${name}`, () => check(p));
    }

    // The 'simd' kernels (mul + add, 5-row tiles): the packers' generic paths.
    it.skipIf(!supportedKernelModes().includes('simd'))(
      'is bit-identical for 1, 2 and 3 threads and matches float64 with the simd kernels',
      async () => {
        setKernelMode('simd');
        try {
          for (const [, p] of CASES.slice(0, 3)) await check(p);
        } finally {
          setKernelMode('auto');
        }
      },
    );

    for (const [name, p] of CASES.filter(([, q]) => batchable(q))) {
      it(`forward (with bias: plus a separate add) and input gradient are bit-identical to the column-matrix path: ${name}`, async () => {
        setThreads(2);
        await threadsReady();
        const rt = getWasmRuntime();
        if (rt === undefined) throw new Error('no wasm runtime');
        const heapOf = (v: Float32Array) => {
          const a = allocF32(v.length);
          a.set(v);
          return a;
        };
        const x = heapOf(randomF32(p.batch * p.inChannels * p.inHeight * p.inWidth, 4));
        const w = heapOf(
          randomF32(p.outChannels * p.inChannels * p.kernelHeight * p.kernelWidth, 5),
        );
        const bias = heapOf(randomF32(p.outChannels, 6));
        const ref = conv2dBatch(x, w, p, rt);
        const got = conv2dImplicit(x, w, p, rt);
        expect(
          Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(
            Buffer.from(ref.buffer, ref.byteOffset, ref.byteLength),
          ),
        ).toBe(true);
        const ohw = p.outHeight * p.outWidth;
        const plus = Float32Array.from(
          ref,
          (v, i) => v + bias[Math.floor(i / ohw) % p.outChannels],
        );
        // The input gradient adds the same taps in the same order as col2im.
        if (!isPointwiseConv(p)) {
          const dy = heapOf(randomF32(p.batch * p.outChannels * ohw, 7));
          const dxRef = conv2dBackwardInputBatch(dy, w, p, rt);
          const dxGot = conv2dBackwardInputImplicit(dy, w, p, rt);
          expect(
            Buffer.from(dxGot.buffer, dxGot.byteOffset, dxGot.byteLength).equals(
              Buffer.from(dxRef.buffer, dxRef.byteOffset, dxRef.byteLength),
            ),
            'dx',
          ).toBe(true);
        }
        const fused = conv2dImplicit(x, w, p, rt, bias);
        expect(
          Buffer.from(fused.buffer, fused.byteOffset, fused.byteLength).equals(
            Buffer.from(plus.buffer, plus.byteOffset, plus.byteLength),
          ),
        ).toBe(true);
      });
    }
  },
);
