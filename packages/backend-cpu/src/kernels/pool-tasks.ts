/**
 * Where the pooling kernels (../wasm/pool-simd.ts) run: as tasks of the wasm
 * runtime (they are part of its module, gemm-codegen.ts), so the worker
 * threads share them when the runtime works on the heap; else, with no
 * runtime (kernel mode 'scalar'), on a module of their own on this thread.
 * Tasks cover disjoint planes or channels, and each output element is
 * computed by one task in the same order as by one call, so results are
 * bit-identical for every thread count.
 */
import { wasmHeap } from '../heap.js';
import { getWasmRuntime } from '../wasm/runtime.js';
import { type PoolKernels, poolKernels } from '../wasm/pool-simd.js';

export type PoolFn = 'maxPoolFwd' | 'maxPoolBwdTask' | 'sumOI' | 'biasAdd' | `sgd${string}`;

/** Below this many floats of work a kernel runs as one task (a hand-off costs µs). */
export const MIN_TASK_FLOATS = 1 << 16;

let own: PoolKernels | null | undefined;

export interface PoolRunner {
  /** Threads that would share the tasks. */
  readonly threads: number;
  /** Byte address of 64 bytes of scratch in the heap, valid until the next kernel call. */
  scratch(): number;
  run(fn: PoolFn, tasks: readonly (readonly number[])[]): void;
}

let flagAt = -1;

/** A runner when every array is a heap block and the kernels can run, else null. */
export function poolRunner(...arrays: ArrayBufferView[]): PoolRunner | null {
  const heap = wasmHeap();
  if (heap === undefined) return null;
  for (const a of arrays) if (!heap.owns(a)) return null;
  const rt = getWasmRuntime();
  if (rt !== undefined && rt.memory === heap.memory) {
    return {
      threads: rt.runner.threads,
      scratch: () => rt.scratch(64),
      run: (fn, tasks) => rt.runner.run(fn, tasks),
    };
  }
  if (own === undefined) own = poolKernels(heap.memory);
  const k = own;
  if (k === null) return null;
  return {
    threads: 1,
    scratch: () => {
      if (flagAt < 0) flagAt = heap.allocBytes(64);
      return flagAt;
    },
    run: (fn, tasks) => {
      const f = (k as unknown as Record<PoolFn, (...a: number[]) => void>)[fn];
      for (const t of tasks) f(...t);
    },
  };
}

/** Splits `n` items into one range per task: several per thread when the work is large. */
export function ranges(n: number, floats: number, threads: number, align = 1): [number, number][] {
  const nTasks = threads > 1 && floats >= MIN_TASK_FLOATS ? Math.min(n, 2 * threads) : 1;
  const per = Math.ceil(n / nTasks / align) * align;
  const out: [number, number][] = [];
  for (let i = 0; i < n; i += per) out.push([i, Math.min(n, i + per)]);
  return out;
}
