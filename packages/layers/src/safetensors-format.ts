/**
 * The safetensors byte format (https://github.com/huggingface/safetensors):
 * an 8-byte little-endian u64 header length N, N bytes of UTF-8 JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {str: str}}`,
 * then the data buffer (offsets relative to its start, little-endian, row-major).
 * This file reads and validates the header; it never allocates data or tensors.
 */
import { type DType, NerveError, describeValue } from '@nerve/core';

/** The reference implementation's cap on the header (safetensors' MAX_HEADER_SIZE). */
export const MAX_HEADER_BYTES = 100_000_000;

/** Dtypes nerve reads, their element size and the nerve dtype they load as. */
export const READABLE = {
  F64: { itemsize: 8, dtype: 'float32' },
  F32: { itemsize: 4, dtype: 'float32' },
  F16: { itemsize: 2, dtype: 'float32' },
  BF16: { itemsize: 2, dtype: 'float32' },
  I64: { itemsize: 8, dtype: 'int32' },
  I32: { itemsize: 4, dtype: 'int32' },
  I16: { itemsize: 2, dtype: 'int32' },
  I8: { itemsize: 1, dtype: 'int32' },
  U8: { itemsize: 1, dtype: 'int32' },
  BOOL: { itemsize: 1, dtype: 'bool' },
} as const satisfies Record<string, { itemsize: number; dtype: DType }>;

export type SafetensorsDType = keyof typeof READABLE;

/** The safetensors dtype each nerve dtype is written as. */
export const WRITE_DTYPE: Record<DType, SafetensorsDType> = {
  float32: 'F32',
  int32: 'I32',
  bool: 'BOOL',
};

/** Rank in the reference's Dtype enum; it lays tensors out by descending rank so each is aligned. */
export const WRITE_RANK: Record<string, number> = { BOOL: 0, I32: 1, F32: 2 };

/** One tensor's entry in a safetensors header. */
export interface HeaderEntry {
  /** The tensor's key. */
  name: string;
  /** Its element type as the file names it (F32, I32, BOOL, …). */
  dtype: SafetensorsDType;
  /** Its shape. */
  shape: number[];
  /** Byte offset of its first byte in the data buffer. */
  begin: number;
  /** Byte offset one past its last byte in the data buffer. */
  end: number;
}

/** A parsed safetensors header. */
export interface ParsedHeader {
  /** The tensors' entries, in the header's order. */
  entries: HeaderEntry[];
  /** The `__metadata__` strings (empty when absent). */
  metadata: Record<string, string>;
  /** Byte offset of the data buffer in the file. */
  dataStart: number;
  /** Length of the data buffer in bytes. */
  dataLength: number;
}

const OP = 'parseSafetensors';
export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const MAX_LISTED = 10;

function fail(message: string): NerveError {
  return NerveError.raw(OP, message);
}

/** One error listing every problem found (the first ten of them). */
export function failAll(problems: string[]): NerveError {
  const shown = problems.slice(0, MAX_LISTED).join('; ');
  const more = problems.length > MAX_LISTED ? `; … and ${problems.length - MAX_LISTED} more` : '';
  return fail(`invalid safetensors file (nothing was loaded): ${shown}${more}`);
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

/** Sets an own property, so that names like `__proto__` stay ordinary keys. */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * The header length from the first 8 bytes, checked against the `available`
 * bytes that follow them and against the reference's cap, before anything is
 * read or allocated for it.
 */
export function readHeaderLength(prefix: Uint8Array, available: number): number {
  if (prefix.length < 8) {
    throw fail(`expected at least 8 bytes (the header length), received ${prefix.length} bytes`);
  }
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  // Compare as BigInt: a declared length of 2^64-1 must not be rounded or allocated.
  const declared = view.getBigUint64(0, true);
  if (declared < 2n) {
    throw fail(`expected a header length of at least 2 bytes ('{}'), received ${declared}`);
  }
  if (declared > BigInt(available)) {
    throw fail(
      `the header length is ${declared} bytes but only ${available} bytes follow it (truncated or not a safetensors file)`,
    );
  }
  if (declared > BigInt(MAX_HEADER_BYTES)) {
    throw fail(
      `expected a header length of at most ${MAX_HEADER_BYTES} bytes, received ${declared}`,
    );
  }
  return Number(declared);
}

/** Reads and validates the header of in-memory bytes (see `parseHeaderJson`). */
export function parseHeader(bytes: Uint8Array): ParsedHeader {
  const headerLength = readHeaderLength(bytes.subarray(0, 8), bytes.length - 8);
  const dataStart = 8 + headerLength;
  return parseHeaderJson(bytes.subarray(8, dataStart), bytes.length - dataStart);
}

/**
 * Validates the JSON header (UTF-8, JSON, dtypes, shapes, offsets) against
 * a data section of `dataLength` bytes, which it must cover exactly.
 */
export function parseHeaderJson(headerBytes: Uint8Array, dataLength: number): ParsedHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw fail('expected a UTF-8 JSON header, received bytes that are not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw fail(
      `expected a JSON header, received text that does not parse (${(e as Error).message})`,
    );
  }
  if (!isPlainObject(json)) {
    throw fail(`expected the header to be a JSON object, received ${describeValue(json)}`);
  }
  const dataStart = 8 + headerBytes.length;
  const problems: string[] = [];
  // Keys are set as own properties (setOwn): `__proto__` stays a plain key.
  const metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const name of Object.keys(json)) {
    const value = json[name];
    if (name === '__metadata__') {
      if (value === null) continue;
      if (!isPlainObject(value)) {
        problems.push(
          `'__metadata__' must be an object of strings, received ${describeValue(value)}`,
        );
        continue;
      }
      for (const k of Object.keys(value)) {
        if (typeof value[k] === 'string') setOwn(metadata, k, value[k] as string);
        else problems.push(`metadata '${k}' must be a string, received ${describeValue(value[k])}`);
      }
      continue;
    }
    const entry = checkEntry(name, value, dataLength, problems);
    if (entry) entries.push(entry);
  }
  if (problems.length === 0) checkCoverage(entries, dataLength, problems);
  if (problems.length > 0) throw failAll(problems);
  return { entries, metadata, dataStart, dataLength };
}

function checkEntry(
  name: string,
  value: unknown,
  dataLength: number,
  problems: string[],
): HeaderEntry | null {
  const t = `tensor '${name}'`;
  if (!isPlainObject(value)) {
    problems.push(`${t}: expected {dtype, shape, data_offsets}, received ${describeValue(value)}`);
    return null;
  }
  const { dtype, shape, data_offsets: offsets } = value;
  const before = problems.length;
  if (typeof dtype !== 'string' || !Object.hasOwn(READABLE, dtype)) {
    problems.push(
      `${t} has dtype ${describeValue(dtype)}; nerve reads ${Object.keys(READABLE).join(', ')}`,
    );
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    const got = Array.isArray(shape) ? `[${shape.map(String).join(',')}]` : describeValue(shape);
    problems.push(`${t}: expected a shape of non-negative integers, received ${got}`);
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every(isCount) ||
    offsets[0] > offsets[1]
  ) {
    const got = Array.isArray(offsets)
      ? `[${offsets.map(String).join(', ')}]`
      : describeValue(offsets);
    problems.push(
      `${t}: expected data_offsets [begin, end] with 0 <= begin <= end, received ${got}`,
    );
  }
  if (problems.length > before) return null;
  const [begin, end] = offsets as [number, number];
  const dims = shape as number[];
  const d = dtype as SafetensorsDType;
  if (end > dataLength) {
    problems.push(
      `${t} declares ${end - begin} bytes at [${begin}, ${end}] but the data section has ${dataLength}`,
    );
    return null;
  }
  // BigInt: [1e9, 1e9] has more elements than a double counts exactly.
  const needed = dims.reduce((n, k) => n * BigInt(k), 1n) * BigInt(READABLE[d].itemsize);
  if (needed !== BigInt(end - begin)) {
    problems.push(
      `${t} of shape [${dims.join(',')}] ${d} needs ${needed} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`,
    );
    return null;
  }
  return { name, dtype: d, shape: [...dims], begin, end };
}

/** The data buffer must be covered exactly once: no overlaps, no gaps (as the spec requires). */
function checkCoverage(entries: HeaderEntry[], dataLength: number, problems: string[]): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let last: HeaderEntry | null = null;
  for (const e of sorted) {
    if (e.begin < cursor && last) {
      problems.push(
        `tensors '${last.name}' [${last.begin}, ${last.end}] and '${e.name}' [${e.begin}, ${e.end}] overlap`,
      );
    } else if (e.begin > cursor) {
      const after = last ? ` (after '${last.name}')` : '';
      problems.push(
        `bytes [${cursor}, ${e.begin}) of the data section belong to no tensor${after}; expected '${e.name}' to start at ${cursor}`,
      );
    }
    if (e.end >= cursor) {
      cursor = e.end;
      last = e;
    }
  }
  if (cursor < dataLength) {
    problems.push(
      `bytes [${cursor}, ${dataLength}) at the end of the data section belong to no tensor`,
    );
  }
}
