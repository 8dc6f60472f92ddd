/**
 * The wasm heap: one growable `WebAssembly.Memory` per process that holds the
 * CPU backend's float32 tensors, so the wasm kernels (the GEMM, on any worker
 * thread) read and write them in place instead of copying them in and out.
 *
 * The memory is shared (SharedArrayBuffer-backed, `maximum` = 4 GiB of
 * address space, reserved, not committed) wherever SharedArrayBuffer exists:
 * a shared memory never detaches its buffer when it grows, so every
 * Float32Array view handed out stays valid for its whole life and JavaScript
 * kernels keep working on plain typed arrays. Where SharedArrayBuffer is
 * missing (a page that is not cross-origin isolated) growth would detach
 * every view, so there is no heap and tensors stay in the JS heap as before
 * (`wasmHeap()` returns undefined).
 *
 * Blocks are 64-byte aligned (a cache line, and what the SIMD kernels
 * assume). Free space is a list of ranges sorted by address, coalesced on
 * free, allocated first-fit; a free range that reaches the top lowers it.
 * The buffer pool (alloc.ts) sits on top, so a training step's exact-size
 * reuse never reaches this list.
 */
import { NerveError } from '@nerve/core/backend';
import { ModuleBuilder } from './wasm/emit.js';
import { roundUp } from './round-up.js';

/** 4 GiB, the wasm32 limit, in 64 KiB pages. */
export const MAX_PAGES = 65536;
const PAGE = 65536;
export const HEAP_ALIGN = 64;
/** The first 64 bytes stay unused so that address 0 never names a block. */
const BASE = HEAP_ALIGN;

export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  /** Every SharedArrayBuffer object memory.buffer has returned: views over any of them are heap blocks. */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private current: ArrayBufferLike;
  private f32View: Float32Array;
  /** One past the highest allocated byte. */
  private top = BASE;
  /** Free ranges below top, sorted by start, never adjacent (coalesced). */
  private readonly freeStart: number[] = [];
  private readonly freeSize: number[] = [];
  /** Bytes in live (allocated, not freed) blocks. */
  allocatedBytes = 0;
  /** memory.fill / memory.copy: TypedArray fill and set on a shared buffer are several times slower. */
  private readonly bulkFill: (dst: number, value: number, bytes: number) => void;
  private readonly bulkCopy: (dst: number, src: number, bytes: number) => void;

  constructor(initialPages = 16) {
    this.memory = new WebAssembly.Memory({
      initial: initialPages,
      maximum: MAX_PAGES,
      shared: true,
    });
    this.current = this.memory.buffer;
    this.buffers.add(this.current);
    this.f32View = new Float32Array(this.current);
    const bytes = new ModuleBuilder()
      .importMemory({ initial: 0, maximum: MAX_PAGES, shared: true })
      .func(
        'fill',
        ['i32', 'i32', 'i32'],
        [],
        (f) => f.get(0).get(1).get(2).op('memory.fill'),
        true,
      )
      .func(
        'copy',
        ['i32', 'i32', 'i32'],
        [],
        (f) => f.get(0).get(1).get(2).op('memory.copy'),
        true,
      )
      .encode();
    const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
      env: { memory: this.memory },
    }).exports;
    this.bulkFill = exports.fill as (dst: number, value: number, bytes: number) => void;
    this.bulkCopy = exports.copy as (dst: number, src: number, bytes: number) => void;
  }

  /** Zeroes v[from, to) of a heap view (memset speed). */
  zero(v: Float32Array, from = 0, to = v.length): void {
    if (to > from) this.bulkFill(v.byteOffset + 4 * from, 0, 4 * (to - from));
  }

  /** dst[dstAt ..] = src[srcAt .. srcAt + n) for two heap views (memmove speed). */
  copy(dst: Float32Array, dstAt: number, src: Float32Array, srcAt: number, n: number): void {
    if (n > 0) this.bulkCopy(dst.byteOffset + 4 * dstAt, src.byteOffset + 4 * srcAt, 4 * n);
  }

  /** The memory's buffer now (a new object after growth; the old ones stay valid). */
  buffer(): ArrayBufferLike {
    const b = this.memory.buffer;
    if (b !== this.current) {
      this.current = b;
      this.buffers.add(b);
      this.f32View = new Float32Array(b);
    }
    return b;
  }

  /** A Float32Array over the whole memory as it is now. */
  f32(): Float32Array {
    this.buffer();
    return this.f32View;
  }

  /** Whether `v` is a view into this heap. */
  owns(v: ArrayBufferView): boolean {
    return this.buffers.has(v.buffer);
  }

  /** Bytes the memory spans (grown so far; it never shrinks). */
  get size(): number {
    return this.memory.buffer.byteLength;
  }

  /** The byte address of a block of at least `bytes` bytes, 64-byte aligned. */
  allocBytes(bytes: number): number {
    const size = roundUp(Math.max(bytes, 1), HEAP_ALIGN);
    const starts = this.freeStart;
    const sizes = this.freeSize;
    for (let i = 0; i < starts.length; i++) {
      if (sizes[i] < size) continue;
      const at = starts[i];
      if (sizes[i] === size) {
        starts.splice(i, 1);
        sizes.splice(i, 1);
      } else {
        starts[i] += size;
        sizes[i] -= size;
      }
      this.allocatedBytes += size;
      return at;
    }
    const at = this.top;
    this.ensure(at + size);
    this.top = at + size;
    this.allocatedBytes += size;
    return at;
  }

  /** Gives back a block from allocBytes (same `bytes`). */
  freeBytes(at: number, bytes: number): void {
    const size = roundUp(Math.max(bytes, 1), HEAP_ALIGN);
    this.allocatedBytes -= size;
    const starts = this.freeStart;
    const sizes = this.freeSize;
    // Binary search for the first free range starting after `at`.
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid] < at) lo = mid + 1;
      else hi = mid;
    }
    let start = at;
    let end = at + size;
    // Coalesce with the range before and the range after.
    if (lo > 0 && starts[lo - 1] + sizes[lo - 1] === start) {
      lo--;
      start = starts[lo];
      starts.splice(lo, 1);
      sizes.splice(lo, 1);
    }
    if (lo < starts.length && starts[lo] === end) {
      end += sizes[lo];
      starts.splice(lo, 1);
      sizes.splice(lo, 1);
    }
    if (end === this.top) {
      this.top = start;
      return;
    }
    starts.splice(lo, 0, start);
    sizes.splice(lo, 0, end - start);
  }

  /** A zero-length-safe Float32Array block of `n` elements (contents unspecified). */
  allocF32(n: number): Float32Array {
    const at = this.allocBytes(4 * n);
    return new Float32Array(this.buffer(), at, n);
  }

  /** Frees a block that allocF32 returned. */
  freeF32(v: Float32Array): void {
    this.freeBytes(v.byteOffset, v.byteLength);
  }

  /** Free ranges and the top, for tests. */
  layout(): { top: number; free: [number, number][] } {
    return { top: this.top, free: this.freeStart.map((s, i) => [s, this.freeSize[i]]) };
  }

  private ensure(need: number): void {
    const have = this.memory.buffer.byteLength;
    if (need <= have) return;
    const pages = Math.ceil((need - have) / PAGE);
    if (have / PAGE + pages > MAX_PAGES) {
      throw new NerveError(
        'cpu alloc',
        'at most 4 GiB of float32 tensors in the wasm heap',
        `${need} bytes`,
      );
    }
    // Grow by at least half again, so a run of growing allocations grows rarely.
    this.memory.grow(
      Math.min(MAX_PAGES - have / PAGE, Math.max(pages, Math.ceil(have / PAGE / 2))),
    );
  }
}

let heap: WasmHeap | undefined | null = null;

/** Whether this runtime can hold tensors in a shared wasm memory. */
function heapSupported(): boolean {
  if (typeof process === 'object' && process.env?.NERVE_CPU_HEAP === '0') return false;
  if (typeof WebAssembly !== 'object' || typeof SharedArrayBuffer !== 'function') return false;
  try {
    const m = new WebAssembly.Memory({ initial: 0, maximum: 1, shared: true });
    return m.buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

/** The process's wasm heap, or undefined where there is none (see the file comment). */
export function wasmHeap(): WasmHeap | undefined {
  if (heap === null) heap = heapSupported() ? new WasmHeap() : undefined;
  return heap;
}

/** Below this many floats a JS loop beats a call into wasm (~50 ns a call). */
const BULK_MIN = 64;

/** v[from, to) = 0, at memset speed for heap views (TypedArray.fill is slow on a shared buffer). */
export function zeroF32(v: Float32Array, from = 0, to = v.length): void {
  if (to - from >= BULK_MIN && heap && heap.owns(v)) heap.zero(v, from, to);
  else if (to - from >= BULK_MIN) v.fill(0, from, to);
  else for (let i = from; i < to; i++) v[i] = 0;
}

/** dst[dstAt ..] = src[srcAt .. srcAt + n), at memmove speed when both are heap views. */
export function copyF32(
  dst: Float32Array,
  dstAt: number,
  src: Float32Array,
  srcAt: number,
  n: number,
): void {
  if (n >= BULK_MIN && heap && heap.owns(dst) && heap.owns(src))
    heap.copy(dst, dstAt, src, srcAt, n);
  else if (n >= BULK_MIN && dst.buffer instanceof ArrayBuffer && src.buffer instanceof ArrayBuffer)
    dst.set(src.subarray(srcAt, srcAt + n), dstAt);
  else for (let i = 0; i < n; i++) dst[dstAt + i] = src[srcAt + i];
}
