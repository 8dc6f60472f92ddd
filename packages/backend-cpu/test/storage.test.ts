import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/cpu-backend.js';

describe('storage', () => {
  it('uploads, converts to the requested dtype and reads back copies', async () => {
    const b = new CpuBackend();
    const f = b.upload(new Float32Array([1.5, -2.25, 3]), 'float32');
    expect(Array.from(b.readSync(f, 'float32', 3))).toEqual([1.5, -2.25, 3]);
    expect(Array.from(await b.read(f, 'float32', 3))).toEqual([1.5, -2.25, 3]);

    const i = b.upload(new Float32Array([1.9, -2.9, 7]), 'int32');
    const iv = b.readSync(i, 'int32', 3);
    expect(iv).toBeInstanceOf(Int32Array);
    expect(Array.from(iv)).toEqual([1, -2, 7]);

    const m = b.upload(new Float32Array([0, 2, -0, Number.NaN, 0.5]), 'bool');
    const mv = b.readSync(m, 'bool', 5);
    expect(mv).toBeInstanceOf(Uint8Array);
    expect(Array.from(mv)).toEqual([0, 1, 0, 1, 1]);
  });

  it('does not alias host arrays in either direction', () => {
    const b = new CpuBackend();
    const host = new Float32Array([1, 2, 3]);
    const id = b.upload(host, 'float32');
    host[0] = 99;
    const out = b.readSync(id, 'float32', 3);
    expect(out[0]).toBe(1);
    out[1] = 42;
    expect(b.readSync(id, 'float32', 3)[1]).toBe(2);
  });

  it('reads a prefix and rejects reading past the end', () => {
    const b = new CpuBackend();
    const id = b.upload(new Int32Array([4, 5, 6]), 'int32');
    expect(Array.from(b.readSync(id, 'int32', 2))).toEqual([4, 5]);
    expect(() => b.readSync(id, 'int32', 4)).toThrow(/read/);
  });

  it('fills every dtype, bool as 0/1', () => {
    const b = new CpuBackend();
    expect(Array.from(b.readSync(b.fill(4, 'float32', 0.1), 'float32', 4))).toEqual(
      new Array(4).fill(Math.fround(0.1)),
    );
    expect(Array.from(b.readSync(b.fill(3, 'int32', -7), 'int32', 3))).toEqual([-7, -7, -7]);
    expect(Array.from(b.readSync(b.fill(2, 'bool', 5), 'bool', 2))).toEqual([1, 1]);
    expect(Array.from(b.readSync(b.fill(2, 'bool', 0), 'bool', 2))).toEqual([0, 0]);
  });

  it('handles size-0 buffers', async () => {
    const b = new CpuBackend();
    const id = b.upload(new Float32Array(0), 'float32');
    expect(b.readSync(id, 'float32', 0).length).toBe(0);
    expect((await b.read(b.fill(0, 'int32', 3), 'int32', 0)).length).toBe(0);
    expect(b.memory()).toEqual({ buffers: 2, bytes: 0 });
  });
});

describe('memory accounting', () => {
  it('counts buffers and bytes per dtype and decrements on free', () => {
    const b = new CpuBackend();
    expect(b.memory()).toEqual({ buffers: 0, bytes: 0 });
    const f = b.upload(new Float32Array(10), 'float32');
    const i = b.fill(3, 'int32', 1);
    const m = b.fill(5, 'bool', 1);
    expect(b.memory()).toEqual({ buffers: 3, bytes: 40 + 12 + 5 });
    b.free(i);
    expect(b.memory()).toEqual({ buffers: 2, bytes: 45 });
    b.free(f);
    b.free(m);
    expect(b.memory()).toEqual({ buffers: 0, bytes: 0 });
  });

  it('ignores a second free of the same buffer', () => {
    const b = new CpuBackend();
    const keep = b.fill(2, 'float32', 0);
    const id = b.fill(4, 'float32', 0);
    b.free(id);
    b.free(id);
    expect(b.memory()).toEqual({ buffers: 1, bytes: 8 });
    b.free(keep);
    expect(b.memory()).toEqual({ buffers: 0, bytes: 0 });
  });

  it('counts kernel outputs, including both outputs of maxPool2d', () => {
    const b = new CpuBackend();
    const x = b.upload(new Float32Array([1, 2, 3, 4]), 'float32');
    const y = b.unary(
      'neg',
      { id: x, strides: [1], offset: 0 },
      { shape: [4], inDtype: 'float32', outDtype: 'float32' },
    );
    const s = b.reduce('argmax', x, { dtype: 'float32', outer: 1, size: 4, inner: 1 });
    expect(b.memory()).toEqual({ buffers: 3, bytes: 16 + 16 + 4 });
    const p = b.maxPool2d(x, {
      batch: 1,
      inChannels: 1,
      inHeight: 2,
      inWidth: 2,
      outChannels: 1,
      kernelHeight: 2,
      kernelWidth: 2,
      outHeight: 1,
      outWidth: 1,
      strideH: 1,
      strideW: 1,
      padH: 0,
      padW: 0,
      dilationH: 1,
      dilationW: 1,
    });
    expect(b.memory()).toEqual({ buffers: 5, bytes: 36 + 4 + 4 });
    for (const id of [x, y, s, p.out, p.indices]) b.free(id);
    expect(b.memory()).toEqual({ buffers: 0, bytes: 0 });
  });

  it('rejects use of a freed buffer instead of reading stale data', async () => {
    const b = new CpuBackend();
    const id = b.fill(2, 'float32', 1);
    b.free(id);
    expect(() => b.readSync(id, 'float32', 2)).toThrow(/freed/);
    await expect(b.read(id, 'float32', 2)).rejects.toThrow(/freed/);
    expect(() => b.reduce('sum', id, { dtype: 'float32', outer: 1, size: 2, inner: 1 })).toThrow(
      /freed/,
    );
  });

  it('keeps separate counts per backend instance', () => {
    const a = new CpuBackend();
    const c = new CpuBackend();
    a.fill(1, 'float32', 0);
    expect(c.memory()).toEqual({ buffers: 0, bytes: 0 });
  });
});
