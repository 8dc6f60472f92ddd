/**
 * The internal kernel interface of the WebGPU backend: buffers from a pool,
 * one compute dispatch per `run`, recorded into a command encoder that is
 * submitted in batches. Every kernel file (src/kernels/*.ts) talks to the
 * device only through this class.
 *
 * Notes for kernel authors (details the brief left open):
 * - The entry point is `@compute @workgroup_size(...) fn main(...)`.
 * - Bindings use an explicit layout, not `layout: 'auto'`: inputs at
 *   0..k-1 are `var<storage, read>`, outputs at k..k+m-1 are
 *   `var<storage, read_write>`, then (only when `uniforms` is given) one
 *   `var<uniform>` at binding k+m, all in `@group(0)`. A kernel may leave a
 *   binding unused. Declare storage arrays as `array<f32|i32|u32>` (bool is
 *   one u32 per element, 0 or 1).
 * - A buffer is at least 16 bytes and usually larger than requested (pool
 *   buckets): use `elements`, never `arrayLength`, for bounds.
 * - Never bind the same GpuData as an output and as anything else in one run
 *   (WebGPU forbids a writable binding aliasing another binding).
 * - `run` skips a dispatch whose workgroup counts contain 0, so empty
 *   tensors need no special case beyond that.
 * - The uniform block is copied at the next flush; the caller's ArrayBuffer
 *   may be reused right after `run` returns. Its WGSL struct must match the
 *   packed words (use only 32-bit scalars, or `array<vec4<u32>, N>` for
 *   arrays, since uniform arrays need 16-byte strides).
 * - 1-D kernels: `const [x, y] = ctx.dispatch1d(n, 64)`, declare
 *   `@builtin(global_invocation_id) gid: vec3<u32>` and
 *   `@builtin(num_workgroups) nwg: vec3<u32>`, include `flatIndexWgsl(64)`
 *   and compute `let i = flatIndex(gid, nwg); if (i >= n) { return; }`.
 * - Scratch buffers: `alloc` them, `release` them right after the `run`s
 *   that use them; the pool hands them out again only after the next flush.
 *   `alloc` may itself flush (to reuse a large released buffer).
 * - Beyond the brief's interface: the constructor `(device, limits,
 *   features)`, `copyBuffer` (a recorded buffer copy), `check(op)` (throws a
 *   device loss, or once an uncaptured WebGPU error), `stats()`, `pool`,
 *   `destroy()` and the `dispatches` counter.
 */
import type { DType } from '@nerve/core/backend';
import { NerveError } from '@nerve/core/backend';
import { STAGE_COMPUTE, USAGE } from './gpu-flags.js';
import { BufferPool, type PoolStats } from './buffer-pool.js';

/** The DataId of this backend: a pooled GPU buffer. bool is stored as one u32 per element. */
export interface GpuData {
  buffer: GPUBuffer;
  elements: number;
  dtype: DType;
  /** Bytes requested: elements * 4 (the buffer itself may be larger). */
  bytes: number;
  /** A handle to a shared constant (see shared-constants.ts): never released, never written. */
  shared?: boolean;
}

/** One compute dispatch. */
export interface KernelRun {
  /** Cache key of the pipeline (unique per WGSL source). */
  key: string;
  /** WGSL source, built only when the key is not cached. */
  code: () => string;
  inputs: GpuData[];
  outputs: GpuData[];
  /** Packed 32-bit uniform words; padded by run() to a multiple of 16 bytes. */
  uniforms?: ArrayBuffer;
  /** Workgroup counts [x, y?, z?] (each ≤ limits.maxWorkgroupsPerDimension). */
  workgroups: [number, number?, number?];
}

/** Limits the kernels may rely on (the values the device was created with). */
export interface GpuLimits {
  maxWorkgroupSize: number;
  maxWorkgroupsPerDimension: number;
  maxStorageBufferBindingSize: number;
  maxComputeWorkgroupStorageSize: number;
}

/** Optional device features that were granted. */
export interface GpuFeatures {
  subgroups: boolean;
  shaderF16: boolean;
  timestampQuery: boolean;
}

/** Dispatches recorded before a batch is submitted on its own. */
const BATCH_DISPATCHES = 64;
/** Buffers at least this large are worth a flush to reuse (see alloc). */
const FLUSH_TO_REUSE_BYTES = 1 << 20;
/** Uniform blocks are placed at this alignment (minUniformBufferOffsetAlignment ≤ 256). */
const UNIFORM_ALIGN = 256;

export class GpuContext {
  readonly device: GPUDevice;
  readonly limits: GpuLimits;
  readonly features: GpuFeatures;
  readonly pool: BufferPool;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private recorded = 0;
  /** Host copy of this batch's uniform blocks, written to `uniformBuffer` at flush. */
  private uniformHost = new Uint8Array(64 * UNIFORM_ALIGN);
  private uniformUsed = 0;
  private uniformBuffer: GPUBuffer;
  /** Device loss: every later call fails. */
  private lost: string | null = null;
  /** The first uncaptured error since the last check: reported once, then cleared. */
  private failure: string | null = null;
  private lastKey = '';
  /** Dispatches recorded since the context was created (for tests and stats). */
  dispatches = 0;
  /** Command buffers submitted since the context was created. */
  submits = 0;
  /** Buffer-to-buffer copies recorded (reads' staging copies included). */
  copies = 0;
  /** Dispatches per kernel key, counted only while `byKernel` is a Map (see traceKernels). */
  byKernel: Map<string, number> | null = null;

  constructor(device: GPUDevice, limits: GpuLimits, features: GpuFeatures) {
    this.device = device;
    this.limits = limits;
    this.features = features;
    this.pool = new BufferPool(device, device.limits.maxBufferSize);
    this.uniformBuffer = this.newUniformBuffer(this.uniformHost.byteLength);
    device.lost.then((info) => {
      this.lost ??= `the WebGPU device was lost (${info.reason}): ${info.message}`;
    });
    device.addEventListener('uncapturederror', (ev) => {
      const e = (ev as GPUUncapturedErrorEvent).error;
      // Out-of-memory is named as such: the fix (smaller batches, fewer live
      // tensors) differs from a validation error's (a bug to report).
      const kind =
        e?.constructor?.name === 'GPUOutOfMemoryError'
          ? 'the GPU is out of memory'
          : `WebGPU ${e?.constructor?.name ?? 'error'}`;
      const after = this.lastKey ? ` (reported after kernel '${this.lastKey}')` : '';
      this.failure ??= `${kind}${after}: ${e.message}`;
    });
  }

  /** Throws if the device was lost, or (once) the first uncaptured WebGPU error since the last check. */
  check(op: string): void {
    if (this.lost !== null) throw NerveError.raw(op, this.lost);
    if (this.failure !== null) {
      const message = this.failure;
      this.failure = null;
      throw NerveError.raw(op, message);
    }
  }

  /** A buffer of `elements` of `dtype` from the size-bucketed pool (contents undefined). */
  alloc(elements: number, dtype: DType): GpuData {
    const bytes = elements * 4;
    if (bytes > this.limits.maxStorageBufferBindingSize) {
      throw new NerveError(
        'webgpu.alloc',
        `at most ${this.limits.maxStorageBufferBindingSize} bytes per buffer (maxStorageBufferBindingSize)`,
        `${elements} elements of ${dtype} (${bytes} bytes)`,
      );
    }
    // A large buffer released earlier in this batch can be reused at the cost
    // of a submit, cheaper than a new allocation (and its lazy zero-fill).
    const size = this.pool.sizeFor(bytes);
    if (size >= FLUSH_TO_REUSE_BYTES && !this.pool.hasFree(size) && this.pool.hasPending(size)) {
      this.flush();
    }
    return { buffer: this.pool.acquire(bytes), elements, dtype, bytes };
  }

  /** Returns a buffer to the pool; it is reused only after the work recorded so far is submitted. */
  release(d: GpuData): void {
    this.pool.release(d.buffer);
  }

  /** Records one compute dispatch into the current command encoder (submitted in batches). */
  run(k: KernelRun): void {
    this.check(k.key);
    const [x, y = 1, z = 1] = k.workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    const max = this.limits.maxWorkgroupsPerDimension;
    if (x > max || y > max || z > max) {
      throw new NerveError(k.key, `workgroup counts ≤ ${max}`, `[${x}, ${y}, ${z}]`);
    }
    const hasUniforms = k.uniforms !== undefined;
    const layout = this.layout(k.inputs.length, k.outputs.length, hasUniforms);
    const pipeline = this.pipeline(k, layout);
    if (hasUniforms) this.reserveUniforms(alignUp(Math.max(k.uniforms!.byteLength, 16), 16));
    const entries: GPUBindGroupEntry[] = [];
    let binding = 0;
    for (const d of k.inputs) entries.push({ binding: binding++, resource: { buffer: d.buffer } });
    for (const d of k.outputs) entries.push({ binding: binding++, resource: { buffer: d.buffer } });
    if (hasUniforms) {
      const size = alignUp(Math.max(k.uniforms!.byteLength, 16), 16);
      const offset = this.uniformUsed;
      this.uniformHost.set(new Uint8Array(k.uniforms!), offset);
      this.uniformHost.fill(0, offset + k.uniforms!.byteLength, offset + size);
      this.uniformUsed = alignUp(offset + size, UNIFORM_ALIGN);
      entries.push({ binding, resource: { buffer: this.uniformBuffer, offset, size } });
    }
    const bindGroup = this.device.createBindGroup({ layout, entries });
    this.encoder ??= this.device.createCommandEncoder();
    this.pass ??= this.encoder.beginComputePass();
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    this.pass.dispatchWorkgroups(x, y, z);
    this.lastKey = k.key;
    this.dispatches++;
    if (this.byKernel !== null) this.byKernel.set(k.key, (this.byKernel.get(k.key) ?? 0) + 1);
    if (++this.recorded >= BATCH_DISPATCHES) this.flush();
  }

  /** Records a buffer-to-buffer copy (ends the current compute pass). */
  copyBuffer(
    src: GPUBuffer,
    srcOffset: number,
    dst: GPUBuffer,
    dstOffset: number,
    bytes: number,
  ): void {
    if (bytes === 0) return;
    this.endPass();
    this.encoder ??= this.device.createCommandEncoder();
    this.encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    this.copies++;
  }

  /**
   * Splits `n` invocations of a 1-D kernel with workgroup size `wg` into a
   * dispatch that fits the limits; the kernel computes its flat index as
   * gid.x + gid.y * (workgroups.x * wg) — see `flatIndexWgsl`.
   */
  dispatch1d(n: number, wg = 64): [number, number] {
    const groups = Math.ceil(n / wg);
    if (groups === 0) return [0, 1];
    const x = Math.min(groups, this.limits.maxWorkgroupsPerDimension);
    return [x, Math.ceil(groups / x)];
  }

  /** Submits everything recorded so far. */
  flush(): void {
    this.endPass();
    if (this.encoder !== null) {
      if (this.uniformUsed > 0) {
        this.device.queue.writeBuffer(this.uniformBuffer, 0, this.uniformHost, 0, this.uniformUsed);
      }
      this.device.queue.submit([this.encoder.finish()]);
      this.encoder = null;
      this.submits++;
    }
    this.recorded = 0;
    this.uniformUsed = 0;
    // Only now may released buffers be handed out again: the work that reads
    // them is on the queue, and any later writeBuffer is ordered after it.
    this.pool.recycle();
  }

  /** Pool counts, for memory() and leak tests. */
  stats(): PoolStats {
    return this.pool.stats();
  }

  /** Frees every pooled buffer and the device. */
  destroy(): void {
    this.flush();
    this.pool.destroy();
    this.uniformBuffer.destroy();
    this.device.destroy();
  }

  private endPass(): void {
    if (this.pass !== null) {
      this.pass.end();
      this.pass = null;
    }
  }

  /** Makes room for a uniform block of `size` bytes in this batch's arena. */
  private reserveUniforms(size: number): void {
    if (this.uniformUsed + size <= this.uniformHost.byteLength) return;
    this.flush();
    if (size > this.uniformHost.byteLength) {
      // The old buffer is dropped, not destroyed: submitted work may still read it.
      this.uniformHost = new Uint8Array(alignUp(size, UNIFORM_ALIGN));
      this.uniformBuffer = this.newUniformBuffer(this.uniformHost.byteLength);
    }
  }

  private newUniformBuffer(size: number): GPUBuffer {
    return this.device.createBuffer({ size, usage: USAGE.UNIFORM | USAGE.COPY_DST });
  }

  private layout(inputs: number, outputs: number, uniforms: boolean): GPUBindGroupLayout {
    const key = `${inputs}/${outputs}/${uniforms}`;
    let layout = this.layouts.get(key);
    if (layout === undefined) {
      const entries: GPUBindGroupLayoutEntry[] = [];
      let binding = 0;
      for (let i = 0; i < inputs; i++) {
        entries.push({
          binding: binding++,
          visibility: STAGE_COMPUTE,
          buffer: { type: 'read-only-storage' },
        });
      }
      for (let i = 0; i < outputs; i++) {
        entries.push({
          binding: binding++,
          visibility: STAGE_COMPUTE,
          buffer: { type: 'storage' },
        });
      }
      if (uniforms)
        entries.push({ binding, visibility: STAGE_COMPUTE, buffer: { type: 'uniform' } });
      layout = this.device.createBindGroupLayout({ entries });
      this.layouts.set(key, layout);
    }
    return layout;
  }

  private pipeline(k: KernelRun, layout: GPUBindGroupLayout): GPUComputePipeline {
    const key = `${k.key}|${k.inputs.length}/${k.outputs.length}/${k.uniforms !== undefined}`;
    let pipeline = this.pipelines.get(key);
    if (pipeline === undefined) {
      this.lastKey = k.key;
      const module = this.device.createShaderModule({ code: k.code(), label: k.key });
      pipeline = this.device.createComputePipeline({
        label: k.key,
        layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
        compute: { module, entryPoint: 'main' },
      });
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/**
 * WGSL helper for kernels dispatched with `dispatch1d(n, wg)`: declares
 * `fn flatIndex(gid, nwg) -> u32`; call it as `let i = flatIndex(gid, nwg);`.
 */
export function flatIndexWgsl(wg: number): string {
  return `fn flatIndex(gid: vec3<u32>, nwg: vec3<u32>) -> u32 { return gid.x + gid.y * (nwg.x * ${wg}u); }\n`;
}

/** The WGSL storage type of a dtype (bool is one u32 per element). */
export function wgslType(dtype: DType): 'f32' | 'i32' | 'u32' {
  return dtype === 'float32' ? 'f32' : dtype === 'int32' ? 'i32' : 'u32';
}
