/**
 * Bounded gzip inflation (RFC 1952) with Node's synchronous zlib. Memory is
 * bounded by what the caller allows, never by what the compressed bytes
 * claim: a gzip bomb is refused as soon as it passes the cap, before the
 * rest of it is inflated.
 */
import { constants, gunzipSync } from 'node:zlib';
import { NerveError } from '@nerve/core';

/**
 * The most bytes deflate can produce per compressed byte: a 258-byte match
 * coded in 2 bits (1-bit length and distance codes, RFC 1951 §3.2.5), so
 * 258 × 4 = 1032. Declared sizes beyond this cannot be in the file.
 */
export const MAX_DEFLATE_RATIO = 1032;

/** The most output one prefix inflation may hold while looking for a header. */
const PREFIX_OUTPUT_CAP = 1 << 16;

/** True when the bytes start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The most bytes `compressedBytes` of gzip can inflate to (a safe upper bound). */
export function maxInflatedSize(compressedBytes: number): number {
  return MAX_DEFLATE_RATIO * compressedBytes + MAX_DEFLATE_RATIO;
}

function isTooLarge(e: unknown): boolean {
  return (e as { code?: unknown })?.code === 'ERR_BUFFER_TOO_LARGE';
}

function corrupt(op: string, source: string, e: unknown): NerveError {
  return NerveError.raw(
    op,
    `${source} starts like gzip but does not decompress: ${(e as Error).message}`,
  );
}

/** Inflates a prefix of the compressed bytes, keeping what a truncated stream yields. */
function inflatePrefixOf(compressed: Uint8Array, k: number): Uint8Array {
  return gunzipSync(compressed.subarray(0, k), {
    finishFlush: constants.Z_SYNC_FLUSH,
    maxOutputLength: PREFIX_OUTPUT_CAP,
  });
}

/**
 * At least the first `want` inflated bytes (fewer only when the whole
 * stream is shorter), holding at most 64 KiB of output: prefixes of the
 * compressed bytes are inflated, doubling while the output is too short
 * and bisecting when it would pass the cap, since output grows with input.
 */
export function inflateHead(
  op: string,
  source: string,
  compressed: Uint8Array,
  want: number,
): Uint8Array {
  let lo = 0; // a prefix known to yield fewer than `want` bytes
  let hi = Number.POSITIVE_INFINITY; // a prefix known to yield more than the cap
  let k = Math.min(compressed.length, 64);
  for (;;) {
    let out: Uint8Array | null = null;
    try {
      out = inflatePrefixOf(compressed, k);
    } catch (e) {
      if (!isTooLarge(e)) throw corrupt(op, source, e);
      hi = k;
    }
    if (out !== null) {
      if (out.length >= want) return out;
      if (k >= compressed.length) {
        // The whole stream is shorter than `want`: inflate it strictly once
        // more (it is small) so a truncated or corrupt stream says so.
        try {
          return gunzipSync(compressed, { maxOutputLength: PREFIX_OUTPUT_CAP });
        } catch (e) {
          throw corrupt(op, source, e);
        }
      }
      lo = k;
    }
    const next =
      hi === Number.POSITIVE_INFINITY
        ? Math.min(2 * k, compressed.length)
        : lo + Math.floor((hi - lo) / 2);
    // One compressed byte yields at most ~2 KiB, so lo and hi never meet on a
    // readable stream; guard anyway rather than loop.
    if (next <= lo) {
      throw NerveError.raw(op, `${source}: the gzip stream could not be read incrementally`);
    }
    k = next;
  }
}

/**
 * The whole inflated stream, refused with `tooLarge()` as soon as it passes
 * `cap` bytes (a corrupt stream is a NerveError too). The output buffer
 * is sized to the cap once (pages are only committed as they are written),
 * so the result is not copied at the end.
 */
export function inflateCapped(
  op: string,
  source: string,
  compressed: Uint8Array,
  cap: number,
  tooLarge: () => NerveError,
): Uint8Array {
  const bound = Math.min(cap, maxInflatedSize(compressed.length));
  try {
    return gunzipSync(compressed, { maxOutputLength: cap, chunkSize: Math.max(bound + 1, 64) });
  } catch (e) {
    if (isTooLarge(e)) throw tooLarge();
    throw corrupt(op, source, e);
  }
}
