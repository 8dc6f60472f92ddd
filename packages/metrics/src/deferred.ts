/**
 * Reads that a monitor defers on a backend that cannot read synchronously
 * (webgpu): the monitor keeps the small tensor it computed on the device and
 * the host code that consumes its values; `flush()` reads them all with one
 * `await` and applies them in the order they were queued, so the numbers
 * come out as if each had been read on the spot.
 */
import { NerveError, type Tensor, type TypedArray, keep } from '@nerve/core';

/** Whether `t`'s backend can read synchronously (cpu): monitors then read at once, as before. */
export function readsSync(t: Tensor): boolean {
  return t.backend.readSync !== undefined;
}

export class DeferredReads {
  private queue: { tensor: Tensor; apply: (values: TypedArray) => void }[] = [];

  /** Queues `t` (kept until read, so a tidy around the step does not free it). */
  push(t: Tensor, apply: (values: TypedArray) => void): void {
    this.queue.push({ tensor: keep(t), apply });
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Reads every queued tensor, applies the values in queue order and frees the tensors. */
  async flush(): Promise<void> {
    const q = this.queue;
    if (q.length === 0) return;
    this.queue = [];
    try {
      const values = await Promise.all(q.map((e) => e.tensor.data()));
      for (const [i, e] of q.entries()) e.apply(values[i]);
    } finally {
      for (const e of q) e.tensor.dispose();
    }
  }

  /** Throws unless everything was read: `endEpoch` is synchronous and cannot read it itself. */
  assertFlushed(op: string): void {
    if (this.queue.length > 0) {
      throw NerveError.raw(
        op,
        `${this.queue.length} measurement(s) are still on the device; on a backend that cannot read synchronously (webgpu), call 'await monitor.flush()' before endEpoch() (fit does this)`,
      );
    }
  }

  /** Frees every queued tensor unread. */
  dispose(): void {
    for (const e of this.queue) e.tensor.dispose();
    this.queue = [];
  }
}
