/**
 * A minimal safetensors reader and writer for the tests, independent of
 * nerve's. The writer
 * writes what torch's state dict holds (F32 parameters and buffers, I64
 * num_batches_tracked), laid out as the reference writer and the conversion
 * script (scripts/torchvision_to_safetensors.py) do: tensors sorted by dtype
 * (descending in the reference's Dtype order) then by name, compact JSON with
 * `__metadata__` first, padded with spaces to a multiple of 8 bytes.
 */

/** A tensor to write: float32 values, or int64 ones. */
export interface RawTensor {
  dtype: 'F32' | 'I64';
  shape: number[];
  data: Float32Array | BigInt64Array;
}

const DTYPE_ORDER = [
  'BOOL',
  'U8',
  'I8',
  'I16',
  'U16',
  'F16',
  'BF16',
  'I32',
  'U32',
  'F32',
  'F64',
  'I64',
  'U64',
];

/** The file's bytes and its header (the JSON text, padding included). */
export function writeSafetensors(
  tensors: Record<string, RawTensor>,
  metadata: Record<string, string>,
): { bytes: Uint8Array; header: string } {
  const names = Object.keys(tensors).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const rank = (n: string) => DTYPE_ORDER.indexOf(tensors[n].dtype);
  // Array.prototype.sort is stable: names stay sorted within a dtype.
  names.sort((a, b) => rank(b) - rank(a));
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const n of names) {
    const t = tensors[n];
    header[n] = {
      dtype: t.dtype,
      shape: t.shape,
      data_offsets: [offset, offset + t.data.byteLength],
    };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const h = new TextEncoder().encode(json);
  const bytes = new Uint8Array(8 + h.length + offset);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(h.length), true);
  bytes.set(h, 8);
  let at = 8 + h.length;
  // Typed arrays hold host-endian values; x86 and ARM hosts are little-endian, as the format.
  for (const n of names) {
    const d = tensors[n].data;
    bytes.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  return { bytes, header: json };
}

/** Reads a file of F32 and I64 tensors (the fixtures) into host arrays. */
export function readSafetensors(bytes: Uint8Array): Record<string, RawTensor> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  const out: Record<string, RawTensor> = {};
  for (const [name, e] of Object.entries(header) as [
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] },
  ][]) {
    if (name === '__metadata__') continue;
    const [a, b] = e.data_offsets;
    // A copy (Uint8Array's slice, not Buffer's view), so the typed array is aligned.
    const buf = Uint8Array.prototype.slice.call(bytes, 8 + n + a, 8 + n + b).buffer;
    if (e.dtype === 'F32')
      out[name] = { dtype: 'F32', shape: e.shape, data: new Float32Array(buf) };
    else if (e.dtype === 'I64')
      out[name] = { dtype: 'I64', shape: e.shape, data: new BigInt64Array(buf) };
    else throw new Error(`readSafetensors: unexpected dtype ${e.dtype} of '${name}'`);
  }
  return out;
}
