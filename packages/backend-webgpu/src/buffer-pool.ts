/**
 * A size-bucketed pool of storage buffers.
 *
 * Creating and destroying GPU buffers per tensor is slow, and a training step
 * makes the same sizes over and over, so freed buffers go back to a free list
 * per size class and are handed out again. A released buffer may still be
 * named by commands that are recorded but not yet submitted; handing it out
 * then would let a `queue.writeBuffer` (which runs before the next submit)
 * overwrite data that earlier work still reads. So release only parks the
 * buffer on a pending list, and `recycle()` (called by every flush, right
 * after the submit) moves it to the free lists.
 *
 * Free buffers are kept up to the larger of a floor (256 MiB) and the peak
 * the program has held at once, so a steady workload never re-creates
 * buffers while a shift to other sizes cannot grow the pool without bound.
 */
import { USAGE } from './gpu-flags.js';

/** Buffer counts and bytes of the pool. */
export interface PoolStats {
  /** Buffers handed out and not yet released (the backend's live tensors). */
  readonly live: number;
  /** Bytes of the live buffers. */
  readonly liveBytes: number;
  /** Released buffers waiting for the next flush. */
  readonly pending: number;
  /** Bytes of the pending buffers. */
  readonly pendingBytes: number;
  /** Buffers ready for reuse. */
  readonly free: number;
  /** Bytes of the free buffers. */
  readonly freeBytes: number;
  /** Every buffer the pool owns now (live + pending + free). */
  readonly total: number;
  /** Bytes of every buffer the pool owns. */
  readonly totalBytes: number;
  /** Buffers created since the pool was made (grows only when reuse fails). */
  readonly created: number;
}

/** Free bytes the pool may always keep, whatever its peak. */
const DEFAULT_MIN_FREE_BYTES = 256 * 1024 * 1024;

/**
 * The size class of a request: powers of two up to 256 bytes, then four
 * steps per octave (at most 25% waste), never below 16 bytes.
 */
export function bucketSize(bytes: number): number {
  if (bytes <= 16) return 16;
  if (bytes <= 256) return 2 ** Math.ceil(Math.log2(bytes));
  const step = 2 ** (Math.ceil(Math.log2(bytes)) - 3);
  return Math.ceil(bytes / step) * step;
}

export class BufferPool {
  private readonly freeLists = new Map<number, GPUBuffer[]>();
  private pendingList: GPUBuffer[] = [];
  private readonly pendingBySize = new Map<number, number>();
  private live = 0;
  private liveBytes = 0;
  private pendingBytes = 0;
  private free = 0;
  private freeBytes = 0;
  private created = 0;
  private peakBytes = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly maxBufferSize = Number.POSITIVE_INFINITY,
    private readonly minFreeBytes = DEFAULT_MIN_FREE_BYTES,
  ) {}

  /** The size of the buffer `acquire(bytes)` hands out. */
  sizeFor(bytes: number): number {
    const size = bucketSize(bytes);
    return size > this.maxBufferSize ? Math.ceil(bytes / 4) * 4 : size;
  }

  /** Whether a buffer of this size class is free now. */
  hasFree(size: number): boolean {
    return (this.freeLists.get(size)?.length ?? 0) > 0;
  }

  /** Whether a buffer of this size class waits for the next flush. */
  hasPending(size: number): boolean {
    return (this.pendingBySize.get(size) ?? 0) > 0;
  }

  /** A storage buffer of at least `bytes` bytes (STORAGE | COPY_SRC | COPY_DST). */
  acquire(bytes: number): GPUBuffer {
    const size = this.sizeFor(bytes);
    let buffer = this.freeLists.get(size)?.pop();
    if (buffer !== undefined) {
      this.free--;
      this.freeBytes -= size;
    } else {
      buffer = this.device.createBuffer({
        size,
        usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST,
      });
      this.created++;
    }
    this.live++;
    this.liveBytes += size;
    this.peakBytes = Math.max(this.peakBytes, this.liveBytes + this.pendingBytes);
    return buffer;
  }

  /** Parks a buffer until the next `recycle()`. */
  release(buffer: GPUBuffer): void {
    this.live--;
    this.liveBytes -= buffer.size;
    this.pendingBytes += buffer.size;
    this.pendingBySize.set(buffer.size, (this.pendingBySize.get(buffer.size) ?? 0) + 1);
    this.pendingList.push(buffer);
  }

  /** Makes every released buffer reusable; call only after submitting the work that uses them. */
  recycle(): void {
    const limit = Math.max(this.minFreeBytes, this.peakBytes);
    for (const buffer of this.pendingList) {
      if (this.freeBytes + buffer.size > limit) {
        buffer.destroy();
        continue;
      }
      let list = this.freeLists.get(buffer.size);
      if (list === undefined) this.freeLists.set(buffer.size, (list = []));
      list.push(buffer);
      this.free++;
      this.freeBytes += buffer.size;
    }
    this.pendingList = [];
    this.pendingBySize.clear();
    this.pendingBytes = 0;
  }

  /** Destroys every free buffer (live and pending ones stay) and forgets the peak. */
  trim(): void {
    for (const list of this.freeLists.values()) for (const b of list) b.destroy();
    this.freeLists.clear();
    this.free = 0;
    this.freeBytes = 0;
    this.peakBytes = this.liveBytes + this.pendingBytes;
  }

  stats(): PoolStats {
    const pending = this.pendingList.length;
    return {
      live: this.live,
      liveBytes: this.liveBytes,
      pending,
      pendingBytes: this.pendingBytes,
      free: this.free,
      freeBytes: this.freeBytes,
      total: this.live + pending + this.free,
      totalBytes: this.liveBytes + this.pendingBytes + this.freeBytes,
      created: this.created,
    };
  }

  /** Destroys every buffer the pool knows of that is not live. */
  destroy(): void {
    this.recycle();
    this.trim();
  }
}
