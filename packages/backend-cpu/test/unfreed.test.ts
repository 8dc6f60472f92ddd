/**
 * The backend's safety net for tensors dropped without dispose(): a wasm-heap
 * block whose handle is garbage-collected while live goes back to the buffer
 * pool. Handles are registered for that only at a sweep (cpu-backend.ts,
 * `sweepPending`), so a handle freed before the sweep is never registered.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { bufferPool } from '../src/alloc.js';
import type { CpuData } from '../src/buffers.js';
import { CpuBackend, sweepPending } from '../src/cpu-backend.js';
import { wasmHeap } from '../src/heap.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collects garbage and lets FinalizationRegistry callbacks (tasks) run, a few times. */
async function collect(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
}

// An odd length no other test in this file allocates, so its pool bucket is ours alone.
const N = 12_347;

describe.runIf(wasmHeap() !== undefined)('unfreed heap blocks', () => {
  it('go back to the pool once a live handle is collected (after a sweep)', async () => {
    const b = new CpuBackend();
    const before = bufferPool.pooledBytes;
    (() => {
      // Dropped without free().
      b.fill(N, 'float32', 1);
    })();
    sweepPending();
    await collect();
    expect(bufferPool.pooledBytes - before).toBe(4 * N);
  });

  it('registers only handles still live at the sweep; free() unregisters them', async () => {
    const b = new CpuBackend();
    const freedEarly = b.fill(N, 'float32', 2) as CpuData;
    b.free(freedEarly);
    const kept = b.fill(N, 'float32', 3) as CpuData;
    sweepPending();
    expect(freedEarly.watched).toBe(false);
    expect(kept.watched).toBe(true);
    b.free(kept);
    expect(kept.watched).toBe(false);
    // Both blocks are pooled once each: a collection must not recycle the freed one again.
    const pooled = bufferPool.pooledBytes;
    await collect();
    expect(bufferPool.pooledBytes).toBe(pooled);
  });
});
