/**
 * Shared one-element constants. Every `mul(x, 0.9)` or `gt(x, 0)` in core
 * turns its number into a 0-d tensor through `fill(1, …)`; on a GPU that was
 * a dispatch per scalar per step (a quarter of a small model's training
 * step). Each distinct (dtype, value) is instead written once into a buffer
 * of its own, outside the pool, and every later `fill(1, …)` of it returns a
 * new handle to that buffer.
 *
 * Buffers are immutable to the core, with one exception: `copyInto` writes
 * into a buffer the core has just made (pad, concat). Such a handle is first
 * given a private copy (`privatize`), so a shared constant never changes.
 * Freeing a shared handle releases nothing.
 */
import type { DType } from '@nerve/core/backend';
import type { GpuContext, GpuData } from './context.js';
import { USAGE } from './gpu-flags.js';

/** Distinct constants kept; later ones take the ordinary fill path. */
const MAX_CONSTANTS = 1024;

export class ConstantCache {
  private readonly buffers = new Map<string, GPUBuffer>();

  constructor(private readonly ctx: GpuContext) {}

  /** A handle to the shared buffer holding `word`, or null when the cache is full. */
  get(dtype: DType, word: number): GpuData | null {
    const key = `${dtype}:${word}`;
    let buffer = this.buffers.get(key);
    if (buffer === undefined) {
      if (this.buffers.size >= MAX_CONSTANTS) return null;
      buffer = this.ctx.device.createBuffer({
        size: 16,
        usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST,
        mappedAtCreation: true,
      });
      new Uint32Array(buffer.getMappedRange(0, 4))[0] = word;
      buffer.unmap();
      this.buffers.set(key, buffer);
    }
    return { buffer, elements: 1, dtype, bytes: 4, shared: true };
  }

  /** Gives a shared handle a private copy of its buffer (before anything writes to it). */
  privatize(d: GpuData): void {
    if (d.shared !== true) return;
    const own = this.ctx.alloc(1, d.dtype);
    this.ctx.copyBuffer(d.buffer, 0, own.buffer, 0, 4);
    d.buffer = own.buffer;
    d.shared = false;
  }

  /** Destroys every shared buffer (the backend is being destroyed). */
  destroy(): void {
    for (const b of this.buffers.values()) b.destroy();
    this.buffers.clear();
  }
}
