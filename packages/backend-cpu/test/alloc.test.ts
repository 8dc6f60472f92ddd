/**
 * The buffer pool: freed arrays come back by (dtype, length), zeroed unless
 * the caller overwrites them, and the pooled bytes never pass the cap.
 */
import { describe, expect, it } from 'vitest';
import { alloc, allocFrom, BufferPool, bufferPool, recycle } from '../src/alloc.js';

describe('BufferPool', () => {
  it('hands a recycled array back for the same dtype and length', () => {
    const pool = new BufferPool(1 << 20);
    const a = pool.alloc('float32', 1000);
    pool.recycle(a);
    expect(pool.pooledBytes).toBe(4000);
    expect(pool.alloc('float32', 1000)).toBe(a);
    expect(pool.pooledBytes).toBe(0);
    // Empty again: the next one is fresh.
    expect(pool.alloc('float32', 1000)).not.toBe(a);
  });

  it('keeps dtypes and lengths apart', () => {
    const pool = new BufferPool(1 << 20);
    const f = pool.alloc('float32', 64);
    const i = pool.alloc('int32', 64);
    const b = pool.alloc('bool', 256);
    for (const v of [f, i, b]) pool.recycle(v);
    expect(pool.alloc('float32', 65)).not.toBe(f);
    expect(pool.alloc('bool', 64)).not.toBe(b);
    const i2 = pool.alloc('int32', 64);
    expect(i2).toBe(i);
    expect(i2).toBeInstanceOf(Int32Array);
    expect(pool.alloc('bool', 256)).toBe(b);
    expect(pool.alloc('float32', 64)).toBe(f);
  });

  it('zeroes a reused array unless the caller overwrites every element', () => {
    const pool = new BufferPool(1 << 20);
    const a = pool.alloc('float32', 100);
    a.fill(7);
    pool.recycle(a);
    const z = pool.alloc('float32', 100);
    expect(z).toBe(a);
    expect(Array.from(z).every((v) => v === 0)).toBe(true);
    z.fill(5);
    pool.recycle(z);
    const dirty = pool.alloc('float32', 100, true);
    expect(dirty).toBe(a);
    expect(dirty[0]).toBe(5);
  });

  it('never holds more than its cap, dropping the least recently used sizes', () => {
    const pool = new BufferPool(10_000);
    const old = new Float32Array(1000); // 4000 bytes
    const mid = new Float32Array(900); // 3600 bytes
    pool.recycle(old);
    pool.recycle(mid);
    expect(pool.pooledBytes).toBe(7600);
    const recent = new Float32Array(800); // 3200 bytes: 10 800 > cap, evicts `old`
    pool.recycle(recent);
    expect(pool.pooledBytes).toBe(6800);
    expect(pool.pooledBytes).toBeLessThanOrEqual(10_000);
    expect(pool.alloc('float32', 1000)).not.toBe(old);
    expect(pool.alloc('float32', 900)).toBe(mid);
    expect(pool.alloc('float32', 800)).toBe(recent);
    // An array bigger than the whole cap is not pooled at all.
    pool.recycle(new Float32Array(5000));
    expect(pool.pooledBytes).toBe(0);
  });

  it('holds the cap over many recycles of one size', () => {
    const pool = new BufferPool(4096 * 10);
    for (let k = 0; k < 50; k++) pool.recycle(new Float32Array(1024));
    expect(pool.pooledBytes).toBe(4096 * 10);
  });

  it('ignores views and arrays of other types', () => {
    const pool = new BufferPool(1 << 20);
    const whole = new Float32Array(200);
    pool.recycle(whole.subarray(0, 100));
    pool.recycle(whole.subarray(100));
    pool.recycle(new Float64Array(100) as unknown as Float32Array);
    pool.recycle(new Float32Array(0));
    expect(pool.pooledBytes).toBe(0);
  });
});

describe('module pool', () => {
  it('alloc and recycle share one pool', () => {
    bufferPool.clear();
    const a = alloc('int32', 333);
    recycle(a);
    expect(alloc('int32', 333)).toBe(a);
  });

  it('allocFrom converts like an upload', () => {
    const src = new Float64Array([1.5, -2.7, 0.1, 2 ** 31 + 3, 0]);
    expect(Array.from(allocFrom(src, 'int32'))).toEqual([1, -2, 0, -(2 ** 31) + 3, 0]);
    expect(Array.from(allocFrom(src, 'bool'))).toEqual([1, 1, 1, 1, 0]);
    expect(allocFrom(src, 'float32')[2]).toBe(Math.fround(0.1));
  });
});

describe('the package-level cache controls', () => {
  it('report the bytes the backend keeps for reuse and release them', async () => {
    const { CpuBackend, cachedBufferBytes, releaseCachedBuffers } = await import(
      '@nerve/backend-cpu'
    );
    const b = new CpuBackend();
    releaseCachedBuffers();
    expect(cachedBufferBytes()).toBe(0);
    const id = b.fill(1000, 'float32', 1);
    b.free(id);
    expect(cachedBufferBytes()).toBe(4000);
    expect(b.memory()).toEqual({ buffers: 0, bytes: 0 });
    releaseCachedBuffers();
    expect(cachedBufferBytes()).toBe(0);
  });
});
