/**
 * Issue 6: no memory growth over 1,000 training steps with threads on — live
 * tensors, the backend's buffers and bytes, and the WebAssembly memory all
 * stay flat — and the pool's workers really take part.
 */
import { getThreads, setThreads, threadsReady } from '@nerve/backend-cpu';
import {
  backward,
  getBackend,
  matmul,
  mean,
  memory,
  noGrad,
  randn,
  relu,
  setBackend,
  square,
  sub,
  tidy,
  keep,
  type Tensor,
} from '@nerve/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ThreadPool } from '../src/threads/thread-pool.js';
import { getWasmRuntime } from '../src/wasm/runtime.js';
import { setMinMacsPerThread, setMinPoolMacs } from '../src/wasm/gemm-wasm.js';

// Every product goes to the pool here, however small: these tests are about
// splitting, which production does only above a work threshold.
setMinMacsPerThread(0);
setMinPoolMacs(0);

const defaultThreads = getThreads();

describe('1,000 steps with threads on', () => {
  beforeAll(async () => {
    setBackend('cpu');
    setThreads(3);
    await threadsReady();
  });
  afterAll(() => setThreads(defaultThreads));

  it('keep tensors, buffers and wasm memory flat', () => {
    // Batch 200: the GEMMs split into several row blocks, so tasks go to workers.
    const x = keep(randn([200, 64], { seed: 1 }));
    const target = keep(randn([200, 10], { seed: 2 }));
    let w1: Tensor = keep(randn([64, 128], { seed: 3, requiresGrad: true }).mul(0.1).detach());
    let w2: Tensor = keep(randn([128, 10], { seed: 4 }).mul(0.1).detach());
    w1.requiresGrad = true;
    w2.requiresGrad = true;
    const losses: number[] = [];
    let workersTookPart = false;
    let at10: { tensors: number; buffers: number; bytes: number; wasm: number } | null = null;
    const snapshot = () => ({
      tensors: memory().numTensors,
      buffers: getBackend().memory().buffers,
      bytes: getBackend().memory().bytes,
      wasm: getWasmRuntime()!.memory.buffer.byteLength,
    });
    for (let step = 1; step <= 1000; step++) {
      const loss = tidy(() => {
        const l = mean(square(sub(matmul(relu(matmul(x, w1)), w2), target)));
        backward(l);
        return l.dataSync()[0];
      });
      const [n1, n2] = noGrad(() =>
        tidy(() => [sub(w1, w1.grad!.mul(0.05)), sub(w2, w2.grad!.mul(0.05))]),
      );
      for (const w of [w1, w2]) {
        w.grad!.dispose();
        w.dispose();
      }
      n1.requiresGrad = true;
      n2.requiresGrad = true;
      [w1, w2] = [n1, n2];
      if (step === 1 || step === 1000) losses.push(loss);
      const pool = getWasmRuntime()!.runner as ThreadPool;
      workersTookPart ||= pool.lastRunThreads().some((id) => id !== 0);
      if (step === 10) at10 = snapshot();
    }
    expect(snapshot()).toEqual(at10);
    expect(workersTookPart).toBe(true);
    expect(losses[1]).toBeLessThan(losses[0]);
    for (const t of [x, target, w1, w2]) t.dispose();
  });
});
