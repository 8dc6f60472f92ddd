/**
 * Safetensors tensors: serialize and parse bytes, and write files atomically.
 * File access goes through a dynamic import of `node:fs/promises` whose
 * specifier bundlers do not follow, so the package still bundles for
 * browsers (which use the byte functions).
 */
import type { FileHandle } from 'node:fs/promises';
import { NerveError, type Tensor, type TypedArray, tensor, describeValue } from '@nerve/core';
import { type WriteItem, decodeEntry, layout, littleEndianBytes } from './safetensors-codec.js';
import { writeAtomically } from './safetensors-atomic.js';
import { readSafetensorsFile } from './safetensors-file.js';
import { type HeaderEntry, WRITE_DTYPE, parseHeader, setOwn } from './safetensors-format.js';

export { MAX_HEADER_BYTES } from './safetensors-format.js';
export { removeStaleTemporaries } from './safetensors-atomic.js';
export { readSafetensorsHeader } from './safetensors-file.js';
export type {
  HeaderEntry as SafetensorsEntry,
  ParsedHeader as SafetensorsHeader,
} from './safetensors-format.js';

/** Tensors and string metadata read from a safetensors file. */
export interface Safetensors {
  /** The tensors by key (the caller owns and disposes them). */
  tensors: Record<string, Tensor>;
  /** The file's `__metadata__` strings. */
  metadata: Record<string, string>;
}

interface TensorItem extends WriteItem {
  tensor: Tensor;
}

/** Checks every tensor and metadata value before anything is read or written. */
function plan(op: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>) {
  if (typeof tensors !== 'object' || tensors === null || Array.isArray(tensors)) {
    throw new NerveError(op, 'an object of tensors by name', describeValue(tensors));
  }
  const problems: string[] = [];
  const items: TensorItem[] = [];
  for (const name of Object.keys(tensors)) {
    const t = tensors[name] as unknown;
    if (name === '__metadata__') {
      problems.push(`'__metadata__' is reserved for metadata and cannot name a tensor`);
    } else if (!isTensor(t)) {
      problems.push(`'${name}' is ${describeValue(t)}, not a Tensor`);
    } else if (t.isDisposed) {
      problems.push(`'${name}' was disposed`);
    } else if (!Object.hasOwn(WRITE_DTYPE, t.dtype)) {
      problems.push(`'${name}' has dtype ${String(t.dtype)}, which safetensors cannot hold`);
    } else {
      const dtype = WRITE_DTYPE[t.dtype];
      const itemsize = dtype === 'BOOL' ? 1 : 4;
      items.push({ name, dtype, shape: t.shape, byteLength: t.size * itemsize, tensor: t });
    }
  }
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
      problems.push(`metadata must be an object of strings, received ${describeValue(metadata)}`);
    } else {
      for (const k of Object.keys(metadata)) {
        const v = metadata[k] as unknown;
        if (typeof v !== 'string')
          problems.push(`metadata '${k}' is ${describeValue(v)}, not a string`);
      }
    }
  }
  if (problems.length > 0) {
    throw NerveError.raw(op, `cannot write (nothing was written): ${problems.join('; ')}`);
  }
  return layout(items, metadata);
}

async function readBytes(op: string, item: TensorItem): Promise<Uint8Array> {
  let values: TypedArray;
  try {
    values = await item.tensor.data();
  } catch (e) {
    throw NerveError.raw(op, `reading tensor '${item.name}' failed: ${(e as Error).message}`);
  }
  const bytes = littleEndianBytes(values);
  if (bytes.length !== item.byteLength) {
    throw NerveError.raw(
      op,
      `tensor '${item.name}' read ${bytes.length} bytes, expected ${item.byteLength}`,
    );
  }
  return bytes;
}

/**
 * The safetensors bytes of `tensors` (float32 → F32, int32 → I32, bool → BOOL),
 * laid out as the reference implementation does: sorted by dtype then name,
 * header padded with spaces to a multiple of 8 bytes.
 */
export async function serializeSafetensors(
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string>,
): Promise<Uint8Array> {
  const op = 'serializeSafetensors';
  const p = plan(op, tensors, metadata);
  const out = new Uint8Array(p.totalBytes);
  out.set(p.header, 0);
  for (const item of p.items) out.set(await readBytes(op, item), p.header.length + item.begin);
  return out;
}

/**
 * Tensors and metadata from safetensors bytes. The whole file is validated
 * (header, dtypes, shapes, offsets, values) before any tensor is created, so
 * on failure nothing is allocated. F64/F16/BF16 load as float32;
 * I64/I16/I8/U8 as int32 (I64 values must fit).
 */
export function parseSafetensors(bytes: Uint8Array | ArrayBuffer): Safetensors {
  if (bytes instanceof ArrayBuffer) return parseSafetensors(new Uint8Array(bytes));
  if (!(bytes instanceof Uint8Array)) {
    throw new NerveError('parseSafetensors', 'a Uint8Array', describeValue(bytes));
  }
  const header = parseHeader(bytes);
  const host = header.entries.map((e) => decodeEntry(bytes, header, e));
  return { tensors: makeTensors(header.entries, host), metadata: header.metadata };
}

async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done);
    done += bytesWritten;
  }
}

/**
 * Writes `tensors` to `path` atomically: into a temporary file in the same
 * directory, fsync, rename over `path`, fsync the directory. On failure the
 * temporary file is removed, an existing `path` is left as it was, and the
 * error names `path`. Stale temporaries of killed writers in that directory
 * are removed first (see `removeStaleTemporaries`).
 */
export async function saveSafetensors(
  path: string,
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  const op = 'saveSafetensors';
  if (typeof path !== 'string' || path === '')
    throw new NerveError(op, 'a file path', describeValue(path));
  const p = plan(op, tensors, metadata);
  await writeAtomically(op, path, async (fh) => {
    await writeAll(fh, p.header);
    // One tensor at a time, so a large model is never held twice on the host.
    for (const item of p.items) await writeAll(fh, await readBytes(op, item));
  });
}

/**
 * Reads and parses a safetensors file (see `parseSafetensors`) with bounded
 * memory: the header is read and checked against the file's size first, then
 * exactly the bytes it declares. Directories, devices and FIFOs are refused.
 */
export async function loadSafetensors(path: string): Promise<Safetensors> {
  const op = 'loadSafetensors';
  if (typeof path !== 'string' || path === '') {
    throw new NerveError(op, 'a file path', describeValue(path));
  }
  const { header, values } = await readSafetensorsFile(op, path);
  return { tensors: makeTensors(header.entries, values), metadata: header.metadata };
}

/**
 * Tensors from decoded values, all or none on failure. Names are own
 * properties (`setOwn`), so `__proto__` or `constructor` stay plain keys.
 */
function makeTensors(entries: HeaderEntry[], values: TypedArray[]): Record<string, Tensor> {
  const tensors: Record<string, Tensor> = {};
  const made: Tensor[] = [];
  try {
    for (const [i, e] of entries.entries()) {
      const t = tensor(values[i], { shape: e.shape });
      made.push(t);
      setOwn(tensors, e.name, t);
    }
  } catch (err) {
    for (const t of made) t.dispose();
    throw err;
  }
  return tensors;
}

function isTensor(x: unknown): x is Tensor {
  return typeof x === 'object' && x !== null && (x as { isTensor?: unknown }).isTensor === true;
}
