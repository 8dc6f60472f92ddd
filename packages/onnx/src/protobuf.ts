/**
 * A minimal Protocol Buffers writer: just the wire format ONNX files need
 * (https://protobuf.dev/programming-guides/encoding/). A field is a key
 * (field number << 3 | wire type) as a varint, then its payload:
 *
 * - wire type 0, varint: int32/int64/enum, 7 bits a byte, low bits first, the
 *   high bit set on every byte but the last; a negative int64 is its 64-bit
 *   two's complement (ten bytes);
 * - wire type 2, length-delimited: strings (UTF-8), bytes and nested
 *   messages, as a varint length and the bytes;
 * - wire type 5, 32-bit: a float as its four little-endian IEEE 754 bytes.
 *
 * Repeated scalars are written one key per element (proto2's unpacked form,
 * which onnx.proto uses; every parser accepts it). Messages are built inside
 * out: a nested message is finished to bytes and written as a bytes field.
 */

const VARINT = 0;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

const utf8 = new TextEncoder();

/** Appends fields to a growing byte buffer; `finish()` gives the message's bytes. */
export class ProtoWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private byte(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b;
  }

  /** An unsigned or two's-complement varint; numbers must be safe integers. */
  private varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    // Most values are small: a fast path without BigInt arithmetic per byte.
    if (v < 0x80n) {
      this.byte(Number(v));
      return;
    }
    while (v >= 0x80n) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
  }

  private key(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  /** An int32, int64 or enum field (wire type 0). */
  int(field: number, value: number): this {
    if (!Number.isSafeInteger(value)) throw new RangeError(`protobuf: ${value} is not an integer`);
    this.key(field, VARINT);
    this.varint(value);
    return this;
  }

  /** A repeated int64 field, one key per element. */
  ints(field: number, values: readonly number[]): this {
    for (const v of values) this.int(field, v);
    return this;
  }

  /** A float field (wire type 5, little-endian). */
  float(field: number, value: number): this {
    this.key(field, FIXED32);
    this.reserve(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 4).setFloat32(0, value, true);
    this.len += 4;
    return this;
  }

  /** A repeated float field, one key per element. */
  floats(field: number, values: readonly number[]): this {
    for (const v of values) this.float(field, v);
    return this;
  }

  /** A bytes field (wire type 2): a nested message's bytes, or raw data. */
  bytes(field: number, value: Uint8Array): this {
    this.key(field, LENGTH_DELIMITED);
    this.varint(value.length);
    this.reserve(value.length);
    this.buf.set(value, this.len);
    this.len += value.length;
    return this;
  }

  /** A string field, UTF-8. */
  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  /** A nested message field, built by `build` on a fresh writer. */
  message(field: number, build: (w: ProtoWriter) => void): this {
    const w = new ProtoWriter();
    build(w);
    return this.bytes(field, w.finish());
  }

  /** The message's bytes (a copy of exactly the written length). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
