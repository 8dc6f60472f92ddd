/** IDX bytes for tests: magic 00 00 <type> <rank>, big-endian dims, then the payload. */
export function idxBytes(dims: number[], payload: ArrayLike<number> = [], type = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + payload.length);
  const view = new DataView(out.buffer);
  out.set([0, 0, type, dims.length]);
  for (const [i, d] of dims.entries()) view.setUint32(4 + 4 * i, d, false);
  out.set(payload, 4 + 4 * dims.length);
  return out;
}
