/**
 * parseSafetensors against files built by hand from the format spec:
 * files written by other tools, and every kind of bad input.
 */
import '@nerve/backend-cpu';
import { type Tensor, memory, tensor } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import { parseSafetensors, serializeSafetensors } from '../src/index.js';

/** A safetensors file built by hand from the spec, independent of the code under test. */
function file(header: unknown, data: Uint8Array | number = 0, declared?: bigint): Uint8Array {
  const json =
    header instanceof Uint8Array
      ? header
      : new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setBigUint64(0, declared ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

function le(kind: 'f32' | 'i32' | 'i64' | 'f64', values: (number | bigint)[]): Uint8Array {
  const size = kind === 'i64' || kind === 'f64' ? 8 : 4;
  const out = new Uint8Array(values.length * size);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => {
    if (kind === 'f32') v.setFloat32(4 * i, Number(x), true);
    if (kind === 'i32') v.setInt32(4 * i, Number(x), true);
    if (kind === 'f64') v.setFloat64(8 * i, Number(x), true);
    if (kind === 'i64') v.setBigInt64(8 * i, BigInt(x), true);
  });
  return out;
}

function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Expects parse to throw a message matching every pattern, and to leave no tensor behind. */
function rejects(bytes: Uint8Array, ...patterns: RegExp[]): string {
  const before = memory().numTensors;
  let message = '';
  try {
    parseSafetensors(bytes);
  } catch (e) {
    message = (e as Error).message;
  }
  expect(message).toMatch(/^parseSafetensors: /);
  for (const p of patterns) expect(message).toMatch(p);
  expect(memory().numTensors).toBe(before);
  return message;
}

function disposeAll(ts: Record<string, Tensor>): void {
  for (const t of Object.values(ts)) t.dispose();
}

describe('parseSafetensors reads files written by others', () => {
  it('accepts a header length that is not a multiple of 8 (unaligned data)', () => {
    const { tensors, metadata } = parseSafetensors(
      file(
        { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, __metadata__: { a: 'b' } },
        le('f32', [1.5, -2]),
      ),
    );
    expect(metadata).toEqual({ a: 'b' });
    expect([...tensors.w.dataSync()]).toEqual([1.5, -2]);
    disposeAll(tensors);
  });

  it('converts F64 to float32 and I64 to int32, and accepts a subarray of a larger buffer', () => {
    const inner = file(
      {
        d: { dtype: 'F64', shape: [2], data_offsets: [0, 16] },
        n: { dtype: 'I64', shape: [], data_offsets: [16, 24] },
      },
      concatBytes(le('f64', [0.1, -1e300]), le('i64', [-5n])),
    );
    const outer = new Uint8Array(inner.length + 3);
    outer.set(inner, 3);
    const { tensors } = parseSafetensors(outer.subarray(3));
    expect(tensors.d.dtype).toBe('float32');
    expect([...tensors.d.dataSync()]).toEqual([Math.fround(0.1), -Infinity]);
    expect(tensors.n.dtype).toBe('int32');
    expect(tensors.n.shape).toEqual([]);
    expect(tensors.n.itemSync()).toBe(-5);
    disposeAll(tensors);
  });
});

describe('parseSafetensors rejects bad input without allocating', () => {
  const f32 = (begin: number, end: number, shape = [(end - begin) / 4]) => ({
    dtype: 'F32',
    shape,
    data_offsets: [begin, end],
  });

  it('truncated files', async () => {
    const t = tensor([1, 2, 3, 4]);
    const good = await serializeSafetensors({ t });
    t.dispose();
    rejects(good.subarray(0, 5), /at least 8 bytes.*received 5 bytes/);
    rejects(good.subarray(0, 20), /header length is \d+ bytes but only 12 bytes follow/);
    rejects(
      good.subarray(0, good.length - 1),
      /declares 16 bytes at \[0, 16\] but the data section has 15/,
    );
  });

  it('header lengths that are too small, larger than the file, or huge (2^53, 2^64-1)', () => {
    rejects(file('{}', 0, 1n), /header length of at least 2 bytes.*received 1/);
    rejects(file('{}', 0, 40n), /header length is 40 bytes but only 2 bytes follow/);
    rejects(file('{}', 0, 2n ** 53n), /header length is 9007199254740992 bytes but only 2/);
    rejects(file('{}', 0, 2n ** 64n - 1n), /18446744073709551615/);
    // Within the file but over the reference's 100 MB cap.
    const big = new Uint8Array(100_000_008 + 8);
    new DataView(big.buffer).setBigUint64(0, 100_000_001n, true);
    rejects(big, /at most 100000000 bytes, received 100000001/);
  });

  it('headers that are not UTF-8, not JSON or not an object', () => {
    rejects(file(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), /not valid UTF-8/);
    rejects(file('{"a": {"dtype": '), /expected a JSON header, received text that does not parse/);
    rejects(file('[1, 2]  '), /a JSON object, received an array/);
    rejects(file('null'), /a JSON object, received null/);
  });

  it('offsets out of range, malformed offsets and shapes, with every problem named', () => {
    rejects(
      file({ 'fc.weight': f32(0, 4096) }, 1024),
      /tensor 'fc.weight' declares 4096 bytes at \[0, 4096\] but the data section has 1024/,
    );
    const msg = rejects(
      file(
        {
          a: { dtype: 'F32', shape: [2], data_offsets: [8, 0] },
          b: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] },
          c: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] },
          d: { dtype: 'F32', shape: [1], data_offsets: [0] },
          e: { dtype: 'F32', shape: '1', data_offsets: [0, 4] },
          f: 3,
          g: { shape: [1], data_offsets: [0, 4] },
        },
        8,
      ),
      /nothing was loaded/,
    );
    for (const p of [
      /tensor 'a': expected data_offsets \[begin, end\] with 0 <= begin <= end, received \[8, 0\]/,
      /tensor 'b': expected a shape of non-negative integers, received \[-1\]/,
      /tensor 'c': expected a shape .* received \[1.5\]/,
      /tensor 'd': expected data_offsets .* received \[0\]/,
      /tensor 'e': expected a shape .* received "1"/,
      /tensor 'f': expected \{dtype, shape, data_offsets\}, received number 3/,
      /tensor 'g' has dtype undefined/,
    ]) {
      expect(msg).toMatch(p);
    }
  });

  it('overlapping offsets, gaps and trailing bytes', () => {
    rejects(
      file({ a: f32(0, 8), b: f32(4, 12) }, 12),
      /tensors 'a' \[0, 8\] and 'b' \[4, 12\] overlap/,
    );
    rejects(
      file({ a: f32(0, 8), b: f32(12, 20) }, 20),
      /bytes \[8, 12\) of the data section belong to no tensor \(after 'a'\)/,
    );
    rejects(
      file({ b: f32(4, 8) }, 8),
      /bytes \[0, 4\) .* belong to no tensor; expected 'b' to start at 0/,
    );
    rejects(file({ a: f32(0, 8) }, 12), /bytes \[8, 12\) at the end of the data section/);
    rejects(file({}, 4), /bytes \[0, 4\) at the end/);
    // Empty tensors occupy no bytes and may sit anywhere inside the covered range.
    const ok = parseSafetensors(file({ a: f32(0, 8), e: f32(8, 8, [0, 5]), z: f32(0, 0, [0]) }, 8));
    expect(ok.tensors.e.shape).toEqual([0, 5]);
    disposeAll(ok.tensors);
  });

  it('a byte count that does not match the shape, and huge shapes, without allocating', () => {
    rejects(
      file({ w: f32(0, 8, [3]) }, 8),
      /tensor 'w' of shape \[3\] F32 needs 12 bytes but data_offsets \[0, 8\] hold 8/,
    );
    const start = performance.now();
    rejects(
      file({ w: f32(0, 16, [1e9, 1e9]) }, 16),
      /shape \[1000000000,1000000000\] F32 needs 4000000000000000000 bytes/,
    );
    // A shape whose element count overflows a double's integers is still counted exactly.
    rejects(
      file({ w: f32(0, 16, [2 ** 53 - 1, 2 ** 53 - 1, 4]) }, 16),
      /needs 1298074214633706618902247930593296 bytes/,
    );
    expect(performance.now() - start).toBeLessThan(1000);
  });

  it('unknown dtypes, by name', () => {
    const msg = rejects(
      file(
        {
          a: { dtype: 'C64', shape: [1], data_offsets: [0, 8] },
          b: { dtype: 'F8_E4M3', shape: [1], data_offsets: [8, 9] },
          c: { dtype: 'f32', shape: [1], data_offsets: [9, 13] },
        },
        13,
      ),
    );
    expect(msg).toMatch(
      /tensor 'a' has dtype "C64"; nerve reads F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL/,
    );
    expect(msg).toMatch(/tensor 'b' has dtype "F8_E4M3"/);
    expect(msg).toMatch(/tensor 'c' has dtype "f32"/);
  });

  it('int64 values outside int32 and BOOL bytes other than 0/1, leaving earlier tensors unallocated', () => {
    const header = {
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      n: { dtype: 'I64', shape: [3], data_offsets: [8, 32] },
    };
    rejects(
      file(header, concatBytes(le('f32', [1, 2]), le('i64', [1n, 2n ** 31n, 0n]))),
      /tensor 'n' \(I64\) holds 2147483648 at index 1, outside int32's range/,
    );
    rejects(
      file(header, concatBytes(le('f32', [1, 2]), le('i64', [-(2n ** 31n) - 1n, 0n, 0n]))),
      /holds -2147483649 at index 0/,
    );
    rejects(
      file(header, concatBytes(le('f32', [1, 2]), le('i64', [-(2n ** 40n), 0n, 0n]))),
      /holds -1099511627776 at index 0/,
    );
    rejects(
      file({ m: { dtype: 'BOOL', shape: [3], data_offsets: [0, 3] } }, new Uint8Array([1, 0, 2])),
      /tensor 'm' \(BOOL\) holds byte 2 at index 2; expected 0 or 1/,
    );
  });

  it('metadata that is not an object of strings, and inputs that are not bytes', () => {
    rejects(file({ __metadata__: { n: 1 } }), /metadata 'n' must be a string, received number 1/);
    rejects(file({ __metadata__: [] }), /'__metadata__' must be an object of strings/);
    expect(() => parseSafetensors('abc' as unknown as Uint8Array)).toThrow(
      /parseSafetensors: expected a Uint8Array, received "abc"/,
    );
    const ab = file({ __metadata__: { x: 'y' } }).slice().buffer;
    expect(parseSafetensors(ab).metadata).toEqual({ x: 'y' });
  });
});
