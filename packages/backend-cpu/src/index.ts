/**
 * @nerve/backend-cpu: importing this module registers the `cpu` backend.
 *
 * @module @nerve/backend-cpu
 */
import { registerBackend } from '@nerve/core/backend';
import { bufferPool } from './alloc.js';
import { CpuBackend } from './cpu-backend.js';
import { setThreads } from './threads/config.js';

export { CpuBackend };
export { getKernelMode, type KernelMode, setKernelMode } from './wasm/runtime.js';
export { getThreads, setThreads, threadsReady } from './threads/config.js';
export { threadsSupported } from './threads/platform.js';

/**
 * Freed buffers the CPU backend keeps for reuse (up to 256 MiB; they are not
 * in `memory()`): how many bytes, and a way to hand them back to the
 * allocator (PyTorch's `empty_cache`), e.g. after training before a long idle.
 */
export function cachedBufferBytes(): number {
  return bufferPool.pooledBytes;
}

/**
 * Frees the buffers the CPU backend keeps for reuse (see `cachedBufferBytes`); live tensors are not
 * affected.
 */
export function releaseCachedBuffers(): void {
  bufferPool.clear();
}

registerBackend('cpu', () => new CpuBackend(), 1);

// Matmul and conv use every core by default, as PyTorch does. Threads give
// bit-identical results to one thread; where SharedArrayBuffer is missing (a
// page that is not cross-origin isolated) this stays at 1, and where workers
// cannot be started the backend runs on one thread instead of failing to load.
try {
  setThreads();
} catch {
  // setThreads has gone back to one thread; an explicit setThreads(n) reports why.
}
