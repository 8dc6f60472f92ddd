import { describe, expect, it } from 'vitest';
import { GpuContext, type GpuData } from '../src/context.js';
import { fillWords } from '../src/kernels/elementwise.js';
import { bucketSize } from '../src/buffer-pool.js';
import { available, useWebGpu } from './gpu.js';

describe('bucketSize', () => {
  it('rounds up to powers of two, then quarter-octave steps, never below 16 bytes', () => {
    expect([0, 4, 16, 17, 100, 256].map(bucketSize)).toEqual([16, 16, 16, 32, 128, 256]);
    for (let bytes = 1; bytes < 1e7; bytes = Math.ceil(bytes * 1.37)) {
      const s = bucketSize(bytes);
      expect(s).toBeGreaterThanOrEqual(bytes);
      expect(s % 16).toBe(0);
      if (bytes > 256) expect(s).toBeLessThanOrEqual(bytes * 1.25 + 16);
    }
  });
});

describe.runIf(available)('webgpu context and pool', async () => {
  const b = available ? await useWebGpu() : null;

  async function readWords(ctx: GpuContext, d: GpuData): Promise<Uint32Array> {
    ctx.flush();
    const staging = ctx.device.createBuffer({ size: d.elements * 4, usage: 0x1 | 0x8 });
    const enc = ctx.device.createCommandEncoder();
    enc.copyBufferToBuffer(d.buffer, 0, staging, 0, d.elements * 4);
    ctx.device.queue.submit([enc.finish()]);
    await staging.mapAsync(1);
    const out = new Uint32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();
    return out;
  }

  it('does not hand out a released buffer before the work recorded on it is submitted', () => {
    const ctx = b!.ctx;
    ctx.flush();
    const a = ctx.alloc(100, 'float32');
    ctx.release(a);
    const again = ctx.alloc(100, 'float32');
    expect(again.buffer).not.toBe(a.buffer);
    ctx.flush();
    const reused = ctx.alloc(100, 'float32');
    expect(reused.buffer).toBe(a.buffer);
    ctx.release(again);
    ctx.release(reused);
    ctx.flush();
  });

  it('keeps the values of released inputs for the kernels already recorded', async () => {
    const ctx = b!.ctx;
    // writeBuffer runs before the encoder is submitted: were `first` recycled at once,
    // the second upload would land in it before the recorded copy reads it.
    ctx.flush();
    const first = ctx.alloc(64, 'int32');
    ctx.device.queue.writeBuffer(first.buffer, 0, new Int32Array(64).fill(7));
    const copyOut = ctx.alloc(64, 'int32');
    ctx.copyBuffer(first.buffer, 0, copyOut.buffer, 0, 256);
    ctx.release(first);
    const up = ctx.alloc(64, 'int32');
    ctx.device.queue.writeBuffer(up.buffer, 0, new Int32Array(64).fill(-1));
    expect(Array.from(await readWords(ctx, copyOut)).every((v) => v === 7)).toBe(true);
    ctx.release(copyOut);
    ctx.release(up);
  });

  it('splits large 1-D dispatches over y when x would exceed the limit', async () => {
    const base = b!.ctx;
    // The same device with a tiny per-dimension limit forces the split.
    const ctx = new GpuContext(
      base.device,
      { ...base.limits, maxWorkgroupsPerDimension: 3 },
      base.features,
    );
    expect(ctx.dispatch1d(0, 64)).toEqual([0, 1]);
    expect(ctx.dispatch1d(64 * 3, 64)).toEqual([3, 1]);
    expect(ctx.dispatch1d(64 * 3 + 1, 64)).toEqual([3, 2]);
    const n = 256 * 7 + 5;
    const d = fillWords(ctx, n, 'int32', 123);
    const v = await readWords(ctx, d);
    expect(v.length).toBe(n);
    expect(v.every((x) => x === 123)).toBe(true);
    ctx.release(d);
    ctx.flush();
  });

  it('submits in batches and keeps every pooled buffer accounted for', async () => {
    const ctx = b!.ctx;
    ctx.flush();
    const s0 = ctx.stats();
    const live: GpuData[] = [];
    for (let i = 0; i < 200; i++) live.push(fillWords(ctx, 10 + i, 'float32', 0));
    const s1 = ctx.stats();
    expect(s1.live).toBe(s0.live + 200);
    for (const d of live) ctx.release(d);
    const s2 = ctx.stats();
    expect(s2.live).toBe(s0.live);
    expect(s2.total).toBe(s1.total);
    ctx.flush();
    expect(ctx.stats().pending).toBe(0);
    expect(ctx.stats().total).toBe(s2.total);
  });

  it('grows the uniform arena for a block larger than a batch holds', async () => {
    const ctx = b!.ctx;
    const words = 5000;
    const u = new Uint32Array(words).map((_, i) => i * 3 + 1);
    const out = ctx.alloc(words, 'int32');
    const small = fillWords(ctx, 4, 'int32', 9);
    ctx.run({
      key: 'test-big-uniform',
      code: () => `
struct U { v: array<vec4<u32>, ${words / 4}> }
@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@group(0) @binding(1) var<uniform> u: U;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i < ${words}u) { out[i] = u.v[i / 4u][i % 4u]; }
}`,
      inputs: [],
      outputs: [out],
      uniforms: u.buffer,
      workgroups: [Math.ceil(words / 64)],
    });
    expect(Array.from(await readWords(ctx, out))).toEqual(Array.from(u));
    expect(Array.from(await readWords(ctx, small))).toEqual([9, 9, 9, 9]);
    ctx.release(out);
    ctx.release(small);
  });
});
