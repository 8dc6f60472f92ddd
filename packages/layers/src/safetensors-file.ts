/**
 * Reading safetensors files with bounded memory: the 8-byte length and the
 * header first (capped), the declared data size checked against the file's
 * size, then exactly the bytes each tensor declares, one tensor at a time.
 * A file that is not a regular file (a directory, a device such as
 * /dev/zero, a FIFO, a socket) is refused by name before it is read.
 */
import type { FileHandle } from 'node:fs/promises';
import { NerveError, type TypedArray, describeFileKind } from '@nerve/core';
import { decodeSlice } from './safetensors-codec.js';
import {
  type HeaderEntry,
  type ParsedHeader,
  parseHeaderJson,
  readHeaderLength,
} from './safetensors-format.js';

// Specifiers in variables: bundlers targeting browsers then leave these
// imports alone (only the file functions run them, and only under Node).
const FS_MODULE = 'node:fs/promises';
const PATH_MODULE = 'node:path';
const BUFFER_MODULE = 'node:buffer';
const FS_SYNC_MODULE = 'node:fs';

/** node:fs/promises and node:path, imported only when a file function runs. */
export async function nodeFs(): Promise<
  [typeof import('node:fs/promises'), typeof import('node:path')]
> {
  return Promise.all([
    import(/* @vite-ignore */ FS_MODULE),
    import(/* @vite-ignore */ PATH_MODULE),
  ]);
}

/** A Node file error while reading, in words that name the path. */
function describeFsError(e: unknown, path: string): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'ENOENT':
      return `'${path}' does not exist (ENOENT)`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied for '${path}' (${code})`;
    case 'EISDIR':
      return `'${path}' is a directory (EISDIR)`;
    case 'ENOTDIR':
      return `a parent of '${path}' is not a directory (ENOTDIR)`;
    default:
      return `'${path}': ${code ?? (e as Error)?.message ?? String(e)}`;
  }
}

/** An open regular file and its size; the caller closes it. */
interface OpenFile {
  fh: FileHandle;
  size: number;
}

/**
 * Opens `path` for reading only if it is a regular file. The type is checked
 * before opening (so a FIFO never blocks the open) and again on the open
 * handle (so a swap between the two checks is caught); O_NONBLOCK keeps the
 * open itself from waiting on a FIFO that appeared in between.
 */
async function openRegular(op: string, path: string): Promise<OpenFile> {
  const [fs] = await nodeFs();
  const refuse = (what: string) =>
    new NerveError(op, `a regular safetensors file at '${path}'`, what);
  let st: import('node:fs').Stats;
  try {
    st = await fs.stat(path);
  } catch (e) {
    throw NerveError.raw(op, `cannot read ${describeFsError(e, path)}`);
  }
  const kind = describeFileKind(st);
  if (kind !== null) throw refuse(kind);
  const { constants } = await import(/* @vite-ignore */ FS_SYNC_MODULE);
  let fh: FileHandle;
  try {
    fh = await fs.open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw NerveError.raw(op, `cannot read ${describeFsError(e, path)}`);
  }
  const again = await fh.stat();
  const kindNow = describeFileKind(again);
  if (kindNow !== null) {
    await fh.close();
    throw refuse(kindNow);
  }
  return { fh, size: again.size };
}

/** Allocates `n` bytes, or says which tensor could not get them. */
async function allocate(op: string, n: number, what: string): Promise<Uint8Array> {
  const { constants } = await import(/* @vite-ignore */ BUFFER_MODULE);
  if (n > constants.MAX_LENGTH) {
    throw new NerveError(
      op,
      `${what} to fit one array (at most ${constants.MAX_LENGTH} bytes)`,
      `${n} bytes`,
    );
  }
  try {
    return new Uint8Array(n);
  } catch {
    throw NerveError.raw(op, `cannot allocate ${n} bytes for ${what} (out of memory)`);
  }
}

/** Reads exactly `out.length` bytes at `position`, or fails if the file ends early. */
async function readExactly(
  op: string,
  path: string,
  fh: FileHandle,
  out: Uint8Array,
  position: number,
): Promise<void> {
  let done = 0;
  while (done < out.length) {
    let bytesRead: number;
    try {
      // At most 1 GiB per call: larger reads are refused by some platforms.
      ({ bytesRead } = await fh.read(
        out,
        done,
        Math.min(out.length - done, 2 ** 30),
        position + done,
      ));
    } catch (e) {
      throw NerveError.raw(op, `cannot read ${describeFsError(e, path)}`);
    }
    if (bytesRead === 0) {
      throw NerveError.raw(
        op,
        `'${path}' ended after ${position + done} bytes while ${position + out.length} were expected (it changed while being read)`,
      );
    }
    done += bytesRead;
  }
}

/** Reads the header of an open file, checking the declared sizes against the file's size. */
async function readHeader(op: string, path: string, f: OpenFile): Promise<ParsedHeader> {
  const prefix = new Uint8Array(Math.min(8, f.size));
  await readExactly(op, path, f.fh, prefix, 0);
  const headerLength = readHeaderLength(prefix, f.size - 8);
  const json = await allocate(op, headerLength, 'the header');
  await readExactly(op, path, f.fh, json, 8);
  return parseHeaderJson(json, f.size - 8 - headerLength);
}

/** Appends the file's name to a parse error's message. */
function withPath(e: unknown, path: string): unknown {
  if (e instanceof Error && !e.message.includes(`'${path}'`)) {
    e.message = `${e.message} (file '${path}')`;
  }
  return e;
}

/**
 * The validated header of a safetensors file (tensor names, dtypes, shapes,
 * offsets, metadata) without reading its data: at most 8 bytes plus the
 * header (itself capped at 100 MB) are read.
 */
export async function readSafetensorsHeader(path: string): Promise<ParsedHeader> {
  const op = 'readSafetensorsHeader';
  const f = await openRegular(op, path);
  try {
    return await readHeader(op, path, f);
  } catch (e) {
    throw withPath(e, path);
  } finally {
    await f.fh.close();
  }
}

/**
 * Every tensor's values from a safetensors file, each read into its own
 * buffer once the header has been validated against the file's size, and
 * decoded; nothing beyond the declared bytes is read.
 */
export async function readSafetensorsFile(
  op: string,
  path: string,
): Promise<{ header: ParsedHeader; values: TypedArray[] }> {
  const f = await openRegular(op, path);
  try {
    const header = await readHeader(op, path, f);
    const values: TypedArray[] = [];
    for (const e of header.entries) values.push(await readEntry(op, path, f, header, e));
    return { header, values };
  } catch (e) {
    throw withPath(e, path);
  } finally {
    await f.fh.close();
  }
}

async function readEntry(
  op: string,
  path: string,
  f: OpenFile,
  header: ParsedHeader,
  e: HeaderEntry,
): Promise<TypedArray> {
  const bytes = await allocate(op, e.end - e.begin, `tensor '${e.name}'`);
  await readExactly(op, path, f.fh, bytes, header.dataStart + e.begin);
  try {
    return decodeSlice(bytes, e);
  } catch (err) {
    if (err instanceof RangeError) {
      throw NerveError.raw(op, `cannot allocate tensor '${e.name}' (${err.message})`);
    }
    throw err;
  }
}
