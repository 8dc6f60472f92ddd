/**
 * The wasm heap (src/heap.ts): the first-fit allocator, views that survive
 * growth, and a small CNN trained for many steps with its tensors in the
 * heap: live tensors, the backend's buffers and the heap's allocated bytes,
 * top and size all flat after warm-up.
 */
import { getThreads, setThreads, threadsReady } from '@nerve/backend-cpu';
import {
  add,
  backward,
  conv2d,
  getBackend,
  keep,
  matmul,
  maxPool2d,
  memory,
  noGrad,
  randn,
  relu,
  reshape,
  setBackend,
  softmaxCrossEntropy,
  sub,
  type Tensor,
  tensor,
  tidy,
} from '@nerve/core';
import { afterAll, describe, expect, it } from 'vitest';
import { WasmHeap, wasmHeap } from '../src/heap.js';

const heapOk = wasmHeap() !== undefined;

describe.runIf(heapOk)('WasmHeap', () => {
  it('allocates 64-byte aligned blocks first-fit and coalesces freed neighbours', () => {
    const h = new WasmHeap(1);
    const a = h.allocBytes(100); // 128 bytes
    const b = h.allocBytes(64);
    const c = h.allocBytes(1);
    for (const at of [a, b, c]) expect(at % 64).toBe(0);
    expect([b - a, c - b]).toEqual([128, 64]);
    h.freeBytes(a, 100);
    h.freeBytes(b, 64);
    // a and b merged into one 192-byte range below c.
    expect(h.layout().free).toEqual([[a, 192]]);
    expect(h.allocBytes(100)).toBe(a); // first fit: the front of the merged range
    expect(h.layout().free).toEqual([[a + 128, 64]]);
    h.freeBytes(c, 1);
    // c was the top block and merges with the free range below it: the top
    // drops to the end of the one live block and nothing is listed.
    expect(h.layout()).toEqual({ top: a + 128, free: [] });
    expect(h.allocatedBytes).toBe(128);
  });

  it('keeps earlier views valid when the memory grows', () => {
    const h = new WasmHeap(1);
    const v = h.allocF32(1000);
    v.fill(3.5);
    const before = h.size;
    const big = h.allocF32(1 << 20); // 4 MiB: grows past the first page
    expect(h.size).toBeGreaterThan(before);
    big[big.length - 1] = 7;
    expect(v[999]).toBe(3.5);
    expect(h.owns(v) && h.owns(big)).toBe(true);
    expect(h.owns(new Float32Array(4))).toBe(false);
  });
});

const defaultThreads = getThreads();
/** 400 in the suite; HEAP_STEPS=10000 for the 10⁴-step check (minutes). */
const STEPS = Number(process.env.HEAP_STEPS ?? 400);

describe.runIf(heapOk)('a CNN trained with its tensors in the wasm heap', () => {
  afterAll(() => setThreads(defaultThreads));

  it(
    `keeps tensors, buffers and heap bytes flat over ${STEPS} steps (2 threads)`,
    async () => {
      setBackend('cpu');
      setThreads(2);
      await threadsReady();
      // conv3×3 8 → ReLU → maxpool 2 → dense 10 on [16, 1, 12, 12]: every heap path
      // (conv GEMMs in place, im2col/col2im, SIMD relu and bias add, pooling).
      const x = keep(randn([16, 1, 12, 12], { seed: 1 }));
      const y = keep(
        tensor(
          [...Array(16).keys()].map((i) => i % 10),
          { dtype: 'int32' },
        ),
      );
      const params: Tensor[] = [
        randn([8, 1, 3, 3], { seed: 2 }).mul(0.3),
        randn([1, 8, 1, 1], { seed: 3 }).mul(0.1),
        randn([8 * 6 * 6, 10], { seed: 4 }).mul(0.05),
      ].map((t) => keep(t.detach()));
      for (const p of params) p.requiresGrad = true;
      const heap = wasmHeap()!;
      const snapshot = () => ({
        tensors: memory().numTensors,
        buffers: getBackend().memory().buffers,
        bytes: getBackend().memory().bytes,
        heapAllocated: heap.allocatedBytes,
        heapTop: heap.layout().top,
        heapSize: heap.size,
      });
      const losses: number[] = [];
      let at20: ReturnType<typeof snapshot> | null = null;
      for (let step = 1; step <= STEPS; step++) {
        const loss = tidy(() => {
          const [w, b, fc] = params;
          const h = maxPool2d(relu(add(conv2d(x, w, { padding: 1 }), b)), 2);
          const l = softmaxCrossEntropy(matmul(reshape(h, [16, 8 * 6 * 6]), fc), y);
          backward(l);
          return l.dataSync()[0];
        });
        const next = noGrad(() => tidy(() => params.map((p) => sub(p, p.grad!.mul(0.1)))));
        params.forEach((p, i) => {
          p.grad!.dispose();
          p.dispose();
          next[i].requiresGrad = true;
          params[i] = keep(next[i]);
        });
        if (step === 1 || step === STEPS) losses.push(loss);
        if (step === 20) at20 = snapshot();
      }
      expect(snapshot()).toEqual(at20);
      expect(losses[1]).toBeLessThan(losses[0]);
      for (const t of [x, y, ...params]) t.dispose();
      // Generous: ~15 ms a step measured at load ~20 on 2 cores.
    },
    60_000 + STEPS * 100,
  );
});
