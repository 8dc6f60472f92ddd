/**
 * Reading data files: whole-file reads with gzip detected by its magic bytes
 * (1f 8b, RFC 1952) rather than by the file name, and errors that name the
 * loader and the path.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { NerveError } from '@nerve/core';

/** The file's bytes, gunzipped when they start with the gzip magic. */
export function readMaybeGzip(op: string, path: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw NerveError.raw(op, `cannot read ${path}: ${(e as Error).message}`);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw NerveError.raw(
        op,
        `${path} starts like gzip but does not decompress: ${(e as Error).message}`,
      );
    }
  }
  return bytes;
}
