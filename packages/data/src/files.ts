/**
 * Reading data files with bounds: only regular files are opened (a
 * directory, device, FIFO or socket is refused by name, and a FIFO is never
 * blocked on), sizes come from fstat before anything is allocated, reads
 * ask for exactly the bytes wanted, gzip is detected by its magic bytes
 * (1f 8b, RFC 1952) rather than by the file name, and every error is a
 * NerveError naming the loader and the path.
 */
import { type Stats, closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { NerveError, describeFileKind } from '@nerve/core';
import { inflateCapped, isGzip } from './gzip.js';

/**
 * The largest file or inflated stream the loaders read: 2 GiB − 1, the most
 * one Node read returns and far above any data set held in memory here.
 */
export const MAX_FILE_BYTES = 2 ** 31 - 1;

/** An open regular file: its descriptor, size and path. */
export interface DataFile {
  fd: number;
  size: number;
  path: string;
}

function refuseKind(op: string, path: string, st: Stats): void {
  const kind = describeFileKind(st);
  if (kind !== null) throw NerveError.raw(op, `${path} is ${kind}, not a data file`);
}

/**
 * Runs `fn` on the opened regular file and closes it. The path is stat'ed
 * before opening, and opened non-blocking then fstat'ed again, so a FIFO
 * swapped in between is still refused without waiting for a writer.
 */
export function withDataFile<T>(op: string, path: string, fn: (file: DataFile) => T): T {
  let fd: number;
  try {
    refuseKind(op, path, statSync(path));
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    if (e instanceof NerveError) throw e;
    throw NerveError.raw(op, `cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    refuseKind(op, path, st);
    return fn({ fd, size: st.size, path });
  } finally {
    closeSync(fd);
  }
}

/** Exactly `length` bytes at `position`; a file that ends early is a NerveError. */
export function readAt(op: string, file: DataFile, position: number, length: number): Uint8Array {
  if (length > MAX_FILE_BYTES) {
    throw NerveError.raw(
      op,
      `${file.path}: ${length} bytes is more than the ${MAX_FILE_BYTES} bytes (2 GiB − 1) this loader reads`,
    );
  }
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    let n: number;
    try {
      n = readSync(file.fd, out, done, length - done, position + done);
    } catch (e) {
      throw NerveError.raw(op, `cannot read ${file.path}: ${(e as Error).message}`);
    }
    if (n === 0) {
      throw NerveError.raw(
        op,
        `${file.path} ended after ${position + done} bytes while reading ${length} at ${position} (did it change while being read?)`,
      );
    }
    done += n;
  }
  return out;
}

/**
 * The file's bytes, gunzipped when they start with the gzip magic; the file
 * and its inflated content may each hold at most `maxBytes` (refused with a
 * NerveError as soon as it is passed, so a gzip bomb costs at most that).
 */
export function readDataFile(op: string, path: string, maxBytes: number): Uint8Array {
  const limit = Math.min(maxBytes, MAX_FILE_BYTES);
  return withDataFile(op, path, (file) => {
    if (file.size > limit) {
      throw NerveError.raw(
        op,
        `${path} is ${file.size} bytes, more than the ${limit} bytes this loader reads (maxBytes)`,
      );
    }
    const bytes = readAt(op, file, 0, file.size);
    if (!isGzip(bytes)) return bytes;
    return inflateCapped(op, path, bytes, limit, () =>
      NerveError.raw(
        op,
        `${path} decompresses to more than the ${limit} bytes this loader reads (maxBytes); inflation stopped there`,
      ),
    );
  });
}

/** The file's bytes, gunzipped when they start with the gzip magic (at most 2 GiB − 1). */
export function readMaybeGzip(op: string, path: string): Uint8Array {
  return readDataFile(op, path, MAX_FILE_BYTES);
}
