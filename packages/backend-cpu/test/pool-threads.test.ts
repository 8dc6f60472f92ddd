/**
 * Issue 16: the 2×2 max pool, its gradient and the bias-gradient sum run as
 * tasks of the wasm runtime (kernels/pool-tasks.ts), over planes or
 * channels on the worker threads; results are bit-identical for 1, 2 and 3
 * threads and equal to the JavaScript kernel and the scatterAdd fallback.
 */
import { getThreads, setThreads, threadsReady } from '@nerve/backend-cpu';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { CpuBackend } from '../src/cpu-backend.js';
import { wasmHeap } from '../src/heap.js';
import { maxPool2d } from '../src/kernels/pooling.js';
import { getWasmRuntime } from '../src/wasm/runtime.js';
import { convParams, randomF32 } from './helpers.js';

const defaultThreads = getThreads();

// [13, 16, 28, 27]: 208 planes (≥ 2^16 floats, so split), an odd width, OW = 13.
const [N, C, H, W] = [13, 16, 28, 27];
const p = convParams(N, C, H, W, C, [2, 2], [2, 2], [0, 0]);
const xSize = N * C * H * W;
const ySize = N * C * p.outHeight * p.outWidth;

const bits = (v: Float32Array) => Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));

function input(): Float32Array {
  const x = randomF32(xSize, 11, -2, 2);
  for (let i = 0; i < xSize; i += 5) x[i] = Math.round(x[i]);
  for (let i = 0; i < xSize; i += 997) x[i] = Number.NaN;
  return x;
}

async function run(threads: number) {
  setThreads(threads);
  await threadsReady();
  const rt = getWasmRuntime();
  expect(rt?.runner.threads).toBe(threads);
  const spy = vi.spyOn(rt!.runner, 'run');
  const b = new CpuBackend();
  const hx = input();
  const x = b.upload(hx, 'float32');
  const dy = b.upload(randomF32(ySize, 12, -3, 3), 'float32');
  const { out, indices } = b.maxPool2d(x, p);
  const y = b.readSync(out, 'float32', ySize) as Float32Array;
  const idx = Array.from(b.readSync(indices, 'int32', ySize));
  const dx = b.readSync(b.maxPool2dBackward(dy, indices, p), 'float32', xSize) as Float32Array;
  const sums = b.readSync(
    b.sumOuterInner(x, { outer: N, size: C, inner: H * W }),
    'float32',
    C,
  ) as Float32Array;
  const fns = spy.mock.calls.map(([fn, tasks]) => [fn, tasks.length] as const);
  spy.mockRestore();
  // The scatterAdd fallback's gradient, for comparison.
  const ref = b.readSync(
    b.scatterAdd({ id: indices, strides: [p.outHeight * p.outWidth, 1, 0], offset: 0 }, dy, {
      dtype: 'float32',
      outer: N * C,
      axisSize: H * W,
      indexSize: p.outHeight * p.outWidth,
      inner: 1,
    }),
    'float32',
    xSize,
  ) as Float32Array;
  return { hx, y, idx, dx, sums, fns, ref };
}

describe.skipIf(wasmHeap() === undefined || getWasmRuntime() === undefined)(
  'pooling kernels on threads',
  () => {
    afterAll(() => setThreads(defaultThreads));

    it('are bit-identical for 1, 2 and 3 threads and match the JavaScript kernels', async () => {
      const one = await run(1);
      const js = maxPool2d(one.hx, p);
      expect(bits(one.y)).toEqual(bits(js.out));
      expect(one.idx).toEqual(Array.from(js.indices));
      expect(bits(one.dx)).toEqual(bits(one.ref));
      expect(one.fns).toEqual([
        ['maxPoolFwd', 1],
        ['maxPoolBwdTask', 1],
        ['sumOI', 1],
      ]);
      for (const t of [2, 3]) {
        const r = await run(t);
        // Several tasks each, so the workers really took part.
        for (const [, tasks] of r.fns) expect(tasks).toBeGreaterThan(1);
        expect(bits(r.y)).toEqual(bits(one.y));
        expect(r.idx).toEqual(one.idx);
        expect(bits(r.dx)).toEqual(bits(one.dx));
        expect(bits(r.sums)).toEqual(bits(one.sums));
      }
    });
  },
);
