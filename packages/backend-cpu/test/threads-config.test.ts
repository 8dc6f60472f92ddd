import { afterAll, describe, expect, it } from 'vitest';
import { type GemmArgs, GemmScratch, gemm } from '../src/kernels/gemm-blocked.js';
import { getThreads, setThreads, threadsReady } from '../src/threads/config.js';
import { threadsSupported } from '../src/threads/platform.js';
import type { ThreadPool } from '../src/threads/thread-pool.js';
import { getWasmRuntime } from '../src/wasm/runtime.js';
import { setMinMacsPerThread, setMinPoolMacs } from '../src/wasm/gemm-wasm.js';

// Every product goes to the pool here, however small: these tests are about
// splitting, which production does only above a work threshold.
setMinMacsPerThread(0);
setMinPoolMacs(0);

afterAll(() => setThreads(1));

function matmul(m: number, k: number, n: number, a: Float32Array, b: Float32Array): Float32Array {
  const c = new Float32Array(m * n);
  const g: GemmArgs = {
    m,
    n,
    k,
    a,
    aOff: 0,
    transA: false,
    b,
    bOff: 0,
    transB: false,
    c,
    cOff: 0,
    accumulate: false,
  };
  gemm(g, new GemmScratch());
  return c;
}

// Small integers: every product and sum is exact in float32, so any kernel and any split agree exactly.
const ints = (len: number, seed: number) =>
  Float32Array.from({ length: len }, (_, i) => ((i * 7919 + seed * 104729) % 9) - 4);

function reference(
  m: number,
  k: number,
  n: number,
  a: Float32Array,
  b: Float32Array,
): Float32Array {
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
      c[i * n + j] = s;
    }
  return c;
}

describe.runIf(threadsSupported() && getWasmRuntime() !== undefined)('setThreads', () => {
  it('validates its argument and starts at 1', () => {
    expect(getThreads()).toBe(1);
    expect(() => setThreads(0)).toThrow(
      /setThreads: expected an integer in \[1, 240\], received 0/,
    );
    expect(() => setThreads(1.5)).toThrow(/setThreads/);
    expect(getThreads()).toBe(1);
  });

  it('runs the wasm GEMM on a pool of n threads, with the same result as 1 thread', async () => {
    const [m, k, n] = [128, 96, 72];
    const a = ints(m * k, 1);
    const b = ints(k * n, 2);
    const want = reference(m, k, n, a, b);
    expect(matmul(m, k, n, a, b)).toEqual(want);

    setThreads(3);
    expect(getThreads()).toBe(3);
    expect(await threadsReady()).toBe(3);
    const pool = getWasmRuntime()!.runner as ThreadPool;
    expect(pool.threads).toBe(3);
    let workersTookPart = false;
    for (let i = 0; i < 20 && !workersTookPart; i++) {
      expect(matmul(m, k, n, a, b)).toEqual(want);
      workersTookPart = pool.lastRunThreads().some((id) => id !== 0);
    }
    expect(workersTookPart).toBe(true);

    setThreads(1);
    expect(getThreads()).toBe(1);
    expect(getWasmRuntime()!.runner.threads).toBe(1);
    expect(() => pool.run('packB', [])).toThrow(/terminated pool/);
    expect(matmul(m, k, n, a, b)).toEqual(want);
  });
});
