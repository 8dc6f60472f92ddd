import '@nerve/backend-cpu';
import { type Tensor, memory, tensor, zeros } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import { parseSafetensors, serializeSafetensors } from '../src/index.js';

function disposeAll(ts: Record<string, Tensor>): void {
  for (const t of Object.values(ts)) t.dispose();
}

describe('serializeSafetensors writes the format byte for byte', () => {
  it('matches a file built by hand from the spec (layout, padding, little-endian)', async () => {
    const a = tensor([true, false, true]);
    const b = tensor([1, -2]);
    const c = tensor([7], { dtype: 'int32' });
    const bytes = await serializeSafetensors({ a, b, c }, { k: 'v' });
    // Reference layout: dtype descending (F32, I32, BOOL), then name; header padded with spaces.
    const json =
      '{"__metadata__":{"k":"v"},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
      '"c":{"dtype":"I32","shape":[1],"data_offsets":[8,12]},' +
      '"a":{"dtype":"BOOL","shape":[3],"data_offsets":[12,15]}}';
    const padded = json + ' '.repeat((8 - (json.length % 8)) % 8);
    const data = [0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 7, 0, 0, 0, 1, 0, 1];
    expect(padded.length % 8).toBe(0);
    const expected = [...new TextEncoder().encode(padded), ...data];
    expect([...bytes.subarray(0, 8)]).toEqual([padded.length, 0, 0, 0, 0, 0, 0, 0]);
    expect([...bytes.subarray(8)]).toEqual(expected);
    for (const t of [a, b, c]) t.dispose();
  });

  it('keeps integer-like names in sorted order and writes an empty header as {}', async () => {
    const t = { '10': zeros([1]), '2': zeros([1]), x: zeros([1]) };
    const bytes = await serializeSafetensors(t);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(header.indexOf('"10"')).toBeLessThan(header.indexOf('"2"'));
    expect(header.indexOf('"2"')).toBeLessThan(header.indexOf('"x"'));
    disposeAll(t);
    const empty = await serializeSafetensors({});
    expect(new TextDecoder().decode(empty.subarray(8))).toBe('{}      ');
    expect(parseSafetensors(empty)).toEqual({ tensors: {}, metadata: {} });
  });

  it('rejects what it cannot write, naming every problem, before reading anything', async () => {
    const dead = zeros([2]);
    dead.dispose();
    const ok = zeros([2]);
    const bad = { ok, dead, notATensor: [1, 2] as unknown as Tensor, __metadata__: ok };
    await expect(serializeSafetensors(bad)).rejects.toThrow(
      /serializeSafetensors: .*'dead' was disposed.*'notATensor' is an array of length 2, not a Tensor/,
    );
    await expect(serializeSafetensors(bad)).rejects.toThrow(/'__metadata__' is reserved/);
    await expect(serializeSafetensors({ ok }, { n: 3 as unknown as string })).rejects.toThrow(
      /metadata 'n' is number 3, not a string/,
    );
    ok.dispose();
  });
});

describe('serialize → parse round trip', () => {
  it('gives identical values for float32, int32, bool, empty tensors and scalars', async () => {
    const floats = new Float32Array([
      0,
      -0,
      1.5,
      -3.25e-39,
      3.4028234e38,
      Infinity,
      -Infinity,
      NaN,
    ]);
    const src: Record<string, Tensor> = {
      'fc.weight': tensor(floats, { shape: [2, 4] }),
      'fc.bias': tensor([0.1, 0.2, 0.3]),
      labels: tensor(new Int32Array([-2147483648, 2147483647, 0, -1]), { shape: [2, 2] }),
      mask: tensor([
        [true, false],
        [false, true],
        [true, true],
      ]),
      empty: zeros([0, 3]),
      emptyInt: zeros([4, 0], { dtype: 'int32' }),
      scalar: tensor(2.5),
      intScalar: tensor(new Int32Array([42]), { shape: [] }),
      ['__proto__']: tensor([9]),
      'ünïcode ✓': tensor([1], { dtype: 'int32' }),
    };
    const meta = { format: 'pt', ключ: 'значение', empty: '' };
    const before = memory().numTensors;
    const { tensors, metadata } = parseSafetensors(await serializeSafetensors(src, meta));
    expect(memory().numTensors).toBe(before + Object.keys(src).length);
    expect(metadata).toEqual(meta);
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(src).sort());
    for (const name of Object.keys(src)) {
      const [a, b] = [src[name], tensors[name]];
      expect(b.dtype, name).toBe(a.dtype);
      expect(b.shape, name).toEqual(a.shape);
      expect([...b.dataSync()], name).toEqual([...a.dataSync()]);
    }
    expect(Object.is(tensors['fc.weight'].dataSync()[1], -0)).toBe(true);
    expect(Object.getPrototypeOf(tensors)).toBe(Object.prototype);
    disposeAll(tensors);
    disposeAll(src);
  });

  it('reads strided views row-major and keeps memory flat over repeated round trips', async () => {
    const base = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const t = base.transpose(0, 1);
    const { tensors } = parseSafetensors(await serializeSafetensors({ t }));
    expect(tensors.t.arraySync()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    disposeAll(tensors);
    const before = memory().numTensors;
    for (let i = 0; i < 5; i++)
      disposeAll(parseSafetensors(await serializeSafetensors({ t })).tensors);
    expect(memory().numTensors).toBe(before);
    t.dispose();
    base.dispose();
  });
});
