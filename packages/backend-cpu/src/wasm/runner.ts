/**
 * The seam between the GEMM driver and whatever runs its tasks: one thread
 * here, a worker pool in ../threads/ (which implements the same interface
 * over a shared memory; see runtime.ts for how it is plugged in).
 */

/** Runs batches of wasm function calls; implemented by a single-thread runner and by the pool. */
export interface WasmTaskRunner {
  /** How many threads (the calling one included) share the work; the driver sizes tasks by it. */
  readonly threads: number;
  /**
   * Runs instance.exports[fn](...tasks[t]) for every task t, spread over
   * threads (the calling thread takes part); returns when all are done.
   * Tasks must write disjoint memory.
   */
  run(fn: string, tasks: readonly (readonly number[])[]): void;
}

/** Runs every task in order on the calling thread. */
export class SingleThreadRunner implements WasmTaskRunner {
  readonly threads = 1;

  constructor(private readonly exports: WebAssembly.Exports) {}

  run(fn: string, tasks: readonly (readonly number[])[]): void {
    const f = this.exports[fn];
    if (typeof f !== 'function')
      throw new Error(`wasm runner: the module exports no function ${fn}`);
    for (const t of tasks) (f as (...args: number[]) => void)(...t);
  }
}
