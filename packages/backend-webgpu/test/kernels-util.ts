/**
 * Test harness for the kernel files: a device per test file, made by the
 * backend's own device code and wrapped in its GpuContext, so the kernels are
 * called directly (below the Backend contract), plus upload/read helpers and
 * random inputs shared by the kernels-*.test.ts files.
 */
import type { DType } from '@nerve/core/backend';
import { GpuContext, type GpuData } from '../src/context.js';
import { createDevice } from '../src/device.js';

/** A context on the backend's own device setup (adapter limits, optional features). */
async function makeContext(): Promise<GpuContext | null> {
  try {
    const d = await createDevice();
    return new GpuContext(d.device, d.limits, d.features);
  } catch {
    return null;
  }
}

/** The shared context, or null when no adapter exists here (the tests then skip). */
export const ctx = await makeContext();
export const available = ctx !== null;

/** Uploads host values as a new GpuData (bool as one u32 per element). */
export function upload(values: ArrayLike<number>, dtype: DType): GpuData {
  const c = ctx!;
  const d = c.alloc(values.length, dtype);
  const host =
    dtype === 'float32'
      ? Float32Array.from(values)
      : dtype === 'int32'
        ? Int32Array.from(values)
        : Uint32Array.from(values, (v) => (v ? 1 : 0));
  if (host.byteLength > 0) c.device.queue.writeBuffer(d.buffer, 0, host);
  return d;
}

/** Reads a GpuData back (waits for the work recorded so far) and releases it to `c`'s pool. */
export async function read(
  d: GpuData,
  c: GpuContext = ctx!,
): Promise<Float32Array | Int32Array | Uint32Array> {
  c.flush();
  const bytes = Math.max(16, d.elements * 4);
  const staging = c.device.createBuffer({ size: bytes, usage: 0x1 | 0x8 });
  const enc = c.device.createCommandEncoder();
  enc.copyBufferToBuffer(d.buffer, 0, staging, 0, bytes);
  c.device.queue.submit([enc.finish()]);
  await staging.mapAsync(0x1);
  const raw = staging.getMappedRange().slice(0, d.elements * 4);
  staging.unmap();
  staging.destroy();
  c.release(d);
  c.check('test read');
  return d.dtype === 'float32'
    ? new Float32Array(raw)
    : d.dtype === 'int32'
      ? new Int32Array(raw)
      : new Uint32Array(raw);
}

/** Deterministic pseudo-random floats in [-1, 1) (xorshift), reproducible across runs. */
export function randoms(n: number, seed = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

/** Random integers in [0, n). */
export function randomInts(count: number, n: number, seed = 7): Int32Array {
  const r = randoms(count, seed);
  return Int32Array.from(r, (v) => Math.min(n - 1, Math.floor(((v + 1) / 2) * n)));
}

/**
 * Asserts |got − want| ≤ atol + rtol·|want| elementwise, with NaN matching NaN
 * and infinities matching exactly.
 */
export function expectClose(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  rtol = 1e-5,
  atol = 1e-5,
): void {
  if (got.length !== want.length) {
    throw new Error(`length ${got.length}, expected ${want.length}`);
  }
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    if (Number.isNaN(w) ? Number.isNaN(g) : g === w || Math.abs(g - w) <= atol + rtol * Math.abs(w))
      continue;
    throw new Error(`element ${i}: got ${g}, expected ${w} (of ${want.length})`);
  }
}
