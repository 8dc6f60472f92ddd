/**
 * Reading buffers back to the host: submit what is recorded, copy into a
 * MAP_READ staging buffer, map it, and convert the 32-bit words to the
 * dtype's typed array (bool → Uint8Array). Staging buffers are reused.
 */
import type { DType, TypedArray } from '@nerve/core/backend';
import { NerveError } from '@nerve/core/backend';
import type { GpuContext, GpuData } from './context.js';
import { MAP_READ, USAGE } from './gpu-flags.js';

/** Staging buffers above this size are destroyed after a read rather than kept. */
const KEEP_MAX_BYTES = 16 * 1024 * 1024;
/** Staging buffers kept per size (reads may overlap: `Promise.all` of several). */
const KEEP_PER_SIZE = 4;

export class Readback {
  private readonly staging = new Map<number, GPUBuffer[]>();

  constructor(private readonly ctx: GpuContext) {}

  /** The first `size` elements of `d` as a new array of `dtype`; the only point that waits. */
  async read(d: GpuData, dtype: DType, size: number): Promise<TypedArray> {
    const ctx = this.ctx;
    if (size === 0) return newArray(dtype, 0);
    const bytes = size * 4;
    const staging = this.take(bytes);
    ctx.copyBuffer(d.buffer, 0, staging, 0, bytes);
    ctx.flush();
    try {
      await staging.mapAsync(MAP_READ, 0, bytes);
    } catch (e) {
      ctx.check('read');
      throw NerveError.raw('read', `mapping the staging buffer failed: ${(e as Error).message}`);
    }
    const words = staging.getMappedRange(0, bytes).slice(0);
    staging.unmap();
    this.give(staging);
    ctx.check('read');
    if (dtype === 'float32') return new Float32Array(words);
    if (dtype === 'int32') return new Int32Array(words);
    return Uint8Array.from(new Uint32Array(words));
  }

  /** Destroys the kept staging buffers. */
  destroy(): void {
    for (const list of this.staging.values()) for (const b of list) b.destroy();
    this.staging.clear();
  }

  private take(bytes: number): GPUBuffer {
    const size = Math.max(256, 2 ** Math.ceil(Math.log2(bytes)));
    const b = this.staging.get(size)?.pop();
    return b ?? this.ctx.device.createBuffer({ size, usage: USAGE.MAP_READ | USAGE.COPY_DST });
  }

  private give(b: GPUBuffer): void {
    let list = this.staging.get(b.size);
    if (list === undefined) this.staging.set(b.size, (list = []));
    if (b.size <= KEEP_MAX_BYTES && list.length < KEEP_PER_SIZE) list.push(b);
    else b.destroy();
  }
}

/** An empty-or-zero typed array of the dtype's host type. */
export function newArray(dtype: DType, n: number): TypedArray {
  return dtype === 'float32'
    ? new Float32Array(n)
    : dtype === 'int32'
      ? new Int32Array(n)
      : new Uint8Array(n);
}
