import { tensor } from '@nerve/core';
import type { Backend } from '@nerve/core/backend';
import { describe, expect, it } from 'vitest';
import type { GpuData } from '../src/context.js';
import { WebGpuBackend } from '../src/index.js';
import { available, useWebGpu } from './gpu.js';

describe.runIf(available)('webgpu storage', async () => {
  const b = available ? await useWebGpu() : (null as unknown as WebGpuBackend);

  it('reports the adapter in use', () => {
    const d = b.describe();
    expect(d.description.length + d.vendor.length).toBeGreaterThan(0);
    expect(d.limits.maxWorkgroupsPerDimension).toBeGreaterThanOrEqual(65535);
    expect(d.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 1024 * 1024);
  });

  it('uploads, converts to the requested dtype and reads back typed copies', async () => {
    const f = b.upload(new Float32Array([1.5, -2.25, 3]), 'float32');
    expect(Array.from(await b.read(f, 'float32', 3))).toEqual([1.5, -2.25, 3]);
    const i = b.upload(new Float32Array([1.9, -2.9, 7, 3e9]), 'int32');
    const iv = await b.read(i, 'int32', 4);
    expect(iv).toBeInstanceOf(Int32Array);
    // ToInt32, as Int32Array conversion and the CPU backend do.
    expect(Array.from(iv)).toEqual(Array.from(Int32Array.from([1.9, -2.9, 7, 3e9])));
    const m = b.upload(new Float32Array([0, 2, -0, Number.NaN, 0.5]), 'bool');
    const mv = await b.read(m, 'bool', 5);
    expect(mv).toBeInstanceOf(Uint8Array);
    expect(Array.from(mv)).toEqual([0, 1, 0, 1, 1]);
    for (const id of [f, i, m]) b.free(id);
  });

  it('does not alias host arrays, reads a prefix, rejects reading past the end', async () => {
    const host = new Float32Array([1, 2, 3]);
    const id = b.upload(host, 'float32');
    host[0] = 99;
    const out = await b.read(id, 'float32', 3);
    expect(out[0]).toBe(1);
    out[1] = 42;
    expect(Array.from(await b.read(id, 'float32', 2))).toEqual([1, 2]);
    await expect(b.read(id, 'float32', 4)).rejects.toThrow(/read/);
    b.free(id);
  });

  it('fills every dtype: float bits, ToInt32 and bool 0/1', async () => {
    const cases: [Parameters<typeof b.fill>[1], number, number[]][] = [
      ['float32', 0.1, [Math.fround(0.1)]],
      ['float32', Number.NaN, [Number.NaN]],
      ['float32', Number.NEGATIVE_INFINITY, [Number.NEGATIVE_INFINITY]],
      ['int32', -7, [-7]],
      ['int32', 2 ** 32 + 5, [5]],
      ['bool', 5, [1]],
      ['bool', 0, [0]],
    ];
    for (const [dtype, value, [want]] of cases) {
      const id = b.fill(1000, dtype, value);
      const v = await b.read(id, dtype, 1000);
      expect(
        v.every((x) => Object.is(x, want)),
        `fill ${dtype} ${value}`,
      ).toBe(true);
      b.free(id);
    }
  });

  it('handles size-0 buffers', async () => {
    const id = b.upload(new Float32Array(0), 'float32');
    expect((await b.read(id, 'float32', 0)).length).toBe(0);
    const z = b.fill(0, 'int32', 3);
    expect((await b.read(z, 'int32', 0)).length).toBe(0);
    b.free(id);
    b.free(z);
  });

  it('counts live buffers in memory() and frees each once', () => {
    const before = b.memory().buffers;
    const id = b.upload(new Float32Array(10), 'float32');
    expect(b.memory().buffers).toBe(before + 1);
    expect(b.memory().bytes).toBeGreaterThanOrEqual(40);
    b.free(id);
    b.free(id);
    expect(b.memory().buffers).toBe(before);
  });

  it("has no readSync: dataSync() throws core's 'use await data()' error", async () => {
    expect((b as Backend).readSync).toBeUndefined();
    const t = tensor([1, 2, 3]);
    expect(() => t.dataSync()).toThrow(
      "dataSync: backend 'webgpu' cannot read synchronously; use 'await tensor.data()'",
    );
    expect(Array.from(await t.data())).toEqual([1, 2, 3]);
    t.dispose();
  });

  it('rejects foreign and freed handles on read', async () => {
    await expect(b.read({}, 'float32', 1)).rejects.toThrow(/webgpu backend/);
    const id = b.upload(new Float32Array([1]), 'float32');
    b.free(id);
    await expect(b.read(id, 'float32', 1)).rejects.toThrow(/already freed/);
  });

  it('rejects a buffer larger than maxStorageBufferBindingSize before allocating', () => {
    const limit = b.describe().limits.maxStorageBufferBindingSize;
    expect(() => b.fill(limit / 4 + 1, 'float32', 0)).toThrow(/maxStorageBufferBindingSize/);
  });

  it('surfaces a WGSL error at the next call, naming the kernel, and recovers', async () => {
    const ctx = b.ctx;
    const out = ctx.alloc(4, 'float32') as GpuData;
    ctx.run({
      key: 'broken-test-kernel',
      code: () => '@compute @workgroup_size(1) fn main() { let x: f32 = nope; }',
      inputs: [],
      outputs: [out],
      workgroups: [1],
    });
    ctx.flush();
    await ctx.device.queue.onSubmittedWorkDone();
    await new Promise((r) => setTimeout(r, 10));
    expect(() => b.upload(new Float32Array(1), 'float32')).toThrow(/broken-test-kernel/);
    ctx.release(out);
    const ok = b.upload(new Float32Array([4]), 'float32');
    expect(Array.from(await b.read(ok, 'float32', 1))).toEqual([4]);
    b.free(ok);
  });
});

describe.runIf(available)('webgpu device loss', () => {
  it('fails every later call with a clear error', async () => {
    const b = new WebGpuBackend();
    await b.init();
    const id = b.upload(new Float32Array([1]), 'float32');
    b.ctx.device.destroy();
    await b.ctx.device.lost;
    expect(() => b.upload(new Float32Array(1), 'float32')).toThrow(/device was lost/);
    await expect(b.read(id, 'float32', 1)).rejects.toThrow(/device was lost/);
  });
});
