/**
 * `setThreads(n)` / `getThreads()`: how many threads the CPU backend's
 * WebAssembly kernels use. Plugs a worker pool into the wasm runtime
 * (../wasm/runtime.ts, `setRunnerFactory`), which then rebuilds itself on a
 * shared memory and asks for a new pool whenever it rebuilds (a kernel-mode
 * change compiles another module); the previous pool is ended each time.
 */
import { NerveError } from '@nerve/core/backend';
import { getWasmRuntime, setRunnerFactory } from '../wasm/runtime.js';
import { MAX_THREADS } from './layout.js';
import { defaultThreadCount, threadsSupported } from './platform.js';
import { createThreadPool, type ThreadPool } from './thread-pool.js';

let threads = 1;
let pool: ThreadPool | undefined;

/**
 * Sets how many threads matmul and conv use (default: the core count); 1 runs
 * everything on the calling thread. Where threads are unsupported (no
 * SharedArrayBuffer: a page that is not cross-origin isolated) it stays at 1.
 * Workers start in the background; until they are up the calling thread runs
 * every task, and `threadsReady()` resolves once they are.
 */
export function setThreads(n: number = defaultThreadCount()): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new NerveError('setThreads', `an integer in [1, ${MAX_THREADS}]`, String(n));
  }
  const effective = threadsSupported() ? n : 1;
  if (effective === threads) return;
  threads = effective;
  pool?.terminate();
  pool = undefined;
  if (threads === 1) {
    setRunnerFactory(undefined);
    return;
  }
  setRunnerFactory(
    (parts) => {
      pool?.terminate();
      pool = createThreadPool(parts.module, parts.memory, threads, { instance: parts.instance });
      return pool;
    },
    { sharedMemory: true },
  );
  // Build the runtime now (not at the first matmul) so the workers start at
  // once. If workers cannot be created here (e.g. a page whose CSP forbids
  // blob: workers), go back to one thread before reporting it, so later
  // kernels still run.
  try {
    getWasmRuntime();
  } catch (e) {
    (pool as ThreadPool | undefined)?.terminate();
    pool = undefined;
    threads = 1;
    setRunnerFactory(undefined);
    throw e;
  }
}

/** The number of threads matmul and conv use (1 unless `setThreads` chose more and the host allows it). */
export function getThreads(): number {
  return threads;
}

/** Resolves, with the number of threads taking part, once the pool's workers are up (at once with 1 thread). */
export async function threadsReady(): Promise<number> {
  if (threads > 1 && !pool) getWasmRuntime();
  return pool ? pool.ready() : 1;
}
