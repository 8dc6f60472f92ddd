/**
 * Safetensors data: bytes to the typed arrays nerve holds (with dtype
 * conversion and range checks) and back, and the reference writer's layout.
 * Host-side only; never creates tensors.
 */
import type { TypedArray } from '@nerve/core';
import {
  type HeaderEntry,
  LITTLE_ENDIAN_HOST,
  type ParsedHeader,
  READABLE,
  type SafetensorsDType,
  WRITE_RANK,
  failAll,
} from './safetensors-format.js';

/** Converts one entry's bytes, in a file's bytes, to the typed array nerve holds. */
export function decodeEntry(bytes: Uint8Array, header: ParsedHeader, e: HeaderEntry): TypedArray {
  const start = header.dataStart + e.begin;
  return decodeSlice(bytes.subarray(start, start + e.end - e.begin), e);
}

/**
 * Converts one entry's own bytes (exactly `e.end - e.begin` of them) to the
 * typed array nerve holds (float32, int32 or bool); F32, I32 and BOOL are
 * views on `bytes` where alignment allows.
 */
export function decodeSlice(bytes: Uint8Array, e: HeaderEntry): TypedArray {
  const start = bytes.byteOffset;
  const n = (e.end - e.begin) / READABLE[e.dtype].itemsize;
  const view = new DataView(bytes.buffer, start, e.end - e.begin);
  switch (e.dtype) {
    case 'F32':
      if (LITTLE_ENDIAN_HOST && start % 4 === 0) return new Float32Array(bytes.buffer, start, n);
      return fill(new Float32Array(n), (i) => view.getFloat32(4 * i, true));
    case 'I32':
      if (LITTLE_ENDIAN_HOST && start % 4 === 0) return new Int32Array(bytes.buffer, start, n);
      return fill(new Int32Array(n), (i) => view.getInt32(4 * i, true));
    case 'F64':
      return fill(new Float32Array(n), (i) => view.getFloat64(8 * i, true));
    case 'F16':
      return fill(new Float32Array(n), (i) => halfToFloat(view.getUint16(2 * i, true)));
    case 'BF16': {
      // bfloat16 is the top half of a float32 (Kalamkar et al. 2019).
      const bits = fill(new Uint32Array(n), (i) => view.getUint16(2 * i, true) << 16);
      return new Float32Array(bits.buffer);
    }
    case 'I64':
      return decodeInt64(view, n, e.name);
    case 'I16':
      return fill(new Int32Array(n), (i) => view.getInt16(2 * i, true));
    case 'I8':
      return fill(new Int32Array(n), (i) => view.getInt8(i));
    case 'U8':
      return fill(new Int32Array(n), (i) => view.getUint8(i));
    case 'BOOL': {
      const out = new Uint8Array(bytes.buffer, start, n);
      const bad = out.findIndex((b) => b > 1);
      if (bad >= 0) {
        throw failAll([
          `tensor '${e.name}' (BOOL) holds byte ${out[bad]} at index ${bad}; expected 0 or 1`,
        ]);
      }
      return out;
    }
  }
}

function fill<A extends Float32Array | Int32Array | Uint32Array>(
  out: A,
  at: (i: number) => number,
): A {
  for (let i = 0; i < out.length; i++) out[i] = at(i);
  return out;
}

function decodeInt64(view: DataView, n: number, name: string): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const lo = view.getInt32(8 * i, true);
    const hi = view.getInt32(8 * i + 4, true);
    // In int32 range exactly when the high word is the sign extension of the low one.
    if (hi !== lo >> 31) {
      throw failAll([
        `tensor '${name}' (I64) holds ${view.getBigInt64(8 * i, true)} at index ${i}, outside int32's range [-2147483648, 2147483647]`,
      ]);
    }
    out[i] = lo;
  }
  return out;
}

/** IEEE 754 binary16 to a double (subnormals, infinities and NaN included). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

export interface WriteItem {
  name: string;
  dtype: SafetensorsDType;
  shape: readonly number[];
  byteLength: number;
}

export interface Layout<T extends WriteItem> {
  /** The 8-byte length and the space-padded JSON header. */
  header: Uint8Array;
  /** Items in data order, each with its offset in the data buffer. */
  items: (T & { begin: number })[];
  totalBytes: number;
}

/**
 * Lays tensors out as the reference implementation does: by dtype (larger
 * elements first, so every tensor is aligned) and then by name, with the
 * header padded with spaces to a multiple of 8 bytes.
 */
export function layout<T extends WriteItem>(
  items: T[],
  metadata?: Record<string, string>,
): Layout<T> {
  const order = [...items].sort(
    (a, b) =>
      WRITE_RANK[b.dtype] - WRITE_RANK[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  // Written by hand: JSON.stringify would move integer-like keys ('0', '10') to the front.
  const parts: string[] = [];
  if (metadata) {
    const kv = Object.keys(metadata)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`);
    parts.push(`"__metadata__":{${kv.join(',')}}`);
  }
  let offset = 0;
  const placed = order.map((item) => {
    const begin = offset;
    offset += item.byteLength;
    parts.push(
      `${JSON.stringify(item.name)}:{"dtype":"${item.dtype}","shape":[${item.shape.join(',')}],"data_offsets":[${begin},${offset}]}`,
    );
    return { ...item, begin };
  });
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = Math.ceil(json.length / 8) * 8;
  const header = new Uint8Array(8 + padded).fill(0x20, 8 + json.length);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  header.set(json, 8);
  return { header, items: placed, totalBytes: header.length + offset };
}

/** The little-endian bytes of a typed array (a view on little-endian hosts). */
export function littleEndianBytes(values: TypedArray): Uint8Array {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (LITTLE_ENDIAN_HOST || values.BYTES_PER_ELEMENT === 1) return bytes;
  const out = new Uint8Array(bytes.length);
  const w = values.BYTES_PER_ELEMENT;
  for (let i = 0; i < bytes.length; i += w)
    for (let j = 0; j < w; j++) out[i + j] = bytes[i + w - 1 - j];
  return out;
}
