/**
 * Output buffers for the CPU kernels, recycled through a pool of freed typed
 * arrays keyed by (dtype, length).
 *
 * A fresh `new Float32Array(n)` of a few hundred KiB lives outside the V8
 * heap: every allocation maps new zeroed pages and pays a page fault per
 * 4 KiB on first write, which costs more than the elementwise kernel that
 * fills it. Training allocates the same sizes every step, so handing back
 * the arrays that free() released makes the steady state allocation-free.
 *
 * The pool holds only arrays that nothing else references: the backend
 * recycles an array after free() has detached it from its handle. Pooled
 * arrays are not live buffers and do not count in the backend's memory().
 */
import { type DType, MAX_ELEMENTS, NerveError, type TypedArray } from '@nerve/core/backend';
import { wasmHeap, zeroF32 } from './heap.js';

/**
 * The float32 arrays handed out as wasm-heap blocks (heap.ts): only these
 * exact objects go back to the heap, never a view of one.
 */
const heapBlocks = new WeakSet<TypedArray>();

/** Whether `v` is a whole wasm-heap block from this allocator. */
export function isHeapBlock(v: TypedArray): boolean {
  return heapBlocks.has(v);
}

/** Zeroes an array; heap blocks by memory.fill (TypedArray.fill is slow on a shared buffer). */
function zeroArray(v: TypedArray): void {
  if (heapBlocks.has(v)) zeroF32(v as Float32Array);
  else v.fill(0);
}

/** Gives a heap block's bytes back to the heap (it must not be used afterwards). */
function releaseBlock(v: TypedArray): void {
  if (!heapBlocks.delete(v)) return;
  wasmHeap()?.freeF32(v as Float32Array);
}

/** Default cap on pooled bytes. */
export const DEFAULT_POOL_BYTES = 256 * 1024 * 1024;

/** Pool key: length × 4 + dtype code (float32 0, int32 1, bool 2). */
function keyOf(code: number, n: number): number {
  return n * 4 + code;
}

function codeOf(dtype: DType): number {
  return dtype === 'float32' ? 0 : dtype === 'int32' ? 1 : 2;
}

function codeOfArray(v: TypedArray): number {
  if (v instanceof Float32Array) return 0;
  if (v instanceof Int32Array) return 1;
  if (v instanceof Uint8Array) return 2;
  return -1;
}

function create(dtype: DType, n: number): TypedArray {
  // The core refuses such shapes by name first; this catches any kernel
  // output it did not, instead of a bare RangeError from the typed array.
  if (n > MAX_ELEMENTS) {
    throw new NerveError(
      'cpu alloc',
      `at most ${MAX_ELEMENTS} (2^31 − 1) elements in one buffer`,
      `${n} ${dtype} elements`,
    );
  }
  if (dtype === 'float32') {
    // float32 tensors live in the wasm heap where there is one (heap.ts), so
    // wasm kernels read and write them in place. Contents are unspecified:
    // a block may have held a freed tensor.
    const heap = n > 0 ? wasmHeap() : undefined;
    if (heap === undefined) return new Float32Array(n);
    const v = heap.allocF32(n);
    heapBlocks.add(v);
    return v;
  }
  if (dtype === 'int32') {
    // int32 buffers too (max-pool indices, read by wasm kernels): a block
    // viewed as int32, freed by its byte range like a float32 one.
    const heap = n > 0 ? wasmHeap() : undefined;
    if (heap === undefined) return new Int32Array(n);
    const f = heap.allocF32(n);
    const v = new Int32Array(f.buffer, f.byteOffset, n);
    heapBlocks.add(v);
    return v;
  }
  return new Uint8Array(n);
}

/** Freed arrays by (dtype, length), evicting the least recently used sizes past a byte cap. */
export class BufferPool {
  /** Buckets in least-recently-used-first order (a Map keeps insertion order). */
  private readonly buckets = new Map<number, TypedArray[]>();
  private bytes = 0;
  /** Allocations served from the pool and fresh ones, for tests and benchmarks. */
  hits = 0;
  misses = 0;

  constructor(readonly capBytes = DEFAULT_POOL_BYTES) {}

  /** Bytes currently pooled. */
  get pooledBytes(): number {
    return this.bytes;
  }

  /**
   * An array of `n` elements of `dtype`: a pooled one when there is one, else
   * a fresh one. Zeroed unless `overwrite` promises the caller writes every element.
   */
  alloc(dtype: DType, n: number, overwrite = false): TypedArray {
    const key = keyOf(codeOf(dtype), n);
    const bucket = this.buckets.get(key);
    if (bucket !== undefined && bucket.length > 0) {
      const v = bucket.pop() as TypedArray;
      this.bytes -= v.byteLength;
      this.touch(key, bucket);
      this.hits++;
      if (!overwrite) zeroArray(v);
      return v;
    }
    this.misses++;
    const v = create(dtype, n);
    if (!overwrite && heapBlocks.has(v)) zeroArray(v);
    return v;
  }

  /** Takes back an array nobody references any more. Views and foreign types are ignored. */
  recycle(values: TypedArray): void {
    const code = codeOfArray(values);
    const size = values.byteLength;
    // A view shares its buffer with other arrays, so it can never be handed out again.
    if (code < 0 || size === 0) return;
    const block = heapBlocks.has(values);
    if (size > this.capBytes) {
      releaseBlock(values);
      return;
    }
    if (!block) {
      if (values.byteOffset !== 0 || values.buffer.byteLength !== size) return;
      if (!(values.buffer instanceof ArrayBuffer)) return;
    }
    const key = keyOf(code, values.length);
    let bucket = this.buckets.get(key);
    if (bucket === undefined) bucket = [];
    bucket.push(values);
    this.bytes += size;
    this.touch(key, bucket);
    this.evict();
  }

  /** Drops every pooled array. */
  clear(): void {
    for (const bucket of this.buckets.values()) for (const v of bucket) releaseBlock(v);
    this.buckets.clear();
    this.bytes = 0;
  }

  /** Moves a bucket to the most recently used end. */
  private touch(key: number, bucket: TypedArray[]): void {
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
  }

  private evict(): void {
    for (const [key, bucket] of this.buckets) {
      if (this.bytes <= this.capBytes) return;
      while (bucket.length > 0 && this.bytes > this.capBytes) {
        const v = bucket.pop() as TypedArray;
        this.bytes -= v.byteLength;
        releaseBlock(v);
      }
      if (bucket.length === 0) this.buckets.delete(key);
    }
  }
}

/**
 * The pool every CPU kernel allocates from. One per process rather than per
 * backend instance: kernels run on one thread, and an array freed by one
 * CpuBackend is as good as new for another.
 */
export const bufferPool = new BufferPool();

/** A kernel output of `n` elements; zeroed unless `overwrite` (the kernel writes every element). */
export function alloc(dtype: DType, n: number, overwrite = false): TypedArray {
  return bufferPool.alloc(dtype, n, overwrite);
}

/** float32 output, typed for kernels that only produce float32. */
export function allocF32(n: number, overwrite = false): Float32Array {
  return bufferPool.alloc('float32', n, overwrite) as Float32Array;
}

/** Returns a freed buffer's array to the pool; call only once nothing references it. */
export function recycle(values: TypedArray): void {
  bufferPool.recycle(values);
}

/**
 * A pooled copy of `src` converted to `dtype`, like buffers.ts's
 * convertArray: typed-array stores round to float32 and wrap to int32; bool
 * stores 0/1.
 */
export function allocFrom(src: Float64Array, dtype: DType): TypedArray {
  const n = src.length;
  const out = bufferPool.alloc(dtype, n, true);
  if (dtype === 'bool') {
    for (let i = 0; i < n; i++) out[i] = src[i] !== 0 ? 1 : 0;
  } else {
    out.set(src);
  }
  return out;
}
