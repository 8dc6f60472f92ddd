/**
 * The IDX format of LeCun's MNIST files (http://yann.lecun.com/exdb/mnist/):
 * bytes 0–1 zero, byte 2 the element type, byte 3 the number of dimensions,
 * then each dimension as a big-endian uint32, then the elements row-major.
 *
 * The header is read first and bounds everything after it: a plain file
 * must be exactly header + declared data long (fstat) and only that is
 * read; a gzipped one is inflated to at most header + declared data, and
 * refused the moment it would pass that.
 */
import { NerveError } from '@nerve/core';
import { MAX_FILE_BYTES, readAt, withDataFile } from './files.js';
import { inflateCapped, inflateHead, isGzip, maxInflatedSize } from './gzip.js';

const TYPE_NAMES: Record<number, string> = {
  8: 'unsigned byte',
  9: 'signed byte',
  11: 'short',
  12: 'int',
  13: 'float',
  14: 'double',
};

/** The longest IDX header: 4 bytes and 255 dimensions of 4 bytes. */
const MAX_IDX_HEADER = 4 + 4 * 255;

/** An IDX header: the shape, the header's length and the data's declared length. */
export interface IdxHeader {
  shape: number[];
  headerBytes: number;
  /** The product of the shape; exact up to 2⁵³, beyond that only compared. */
  dataBytes: number;
}

/**
 * Parses the header at the start of `bytes` (which may hold more); `source`
 * names them in errors. A 0-sized dimension is refused: such a file holds
 * no examples, and training on it would report a loss of 0.
 */
export function parseIdxHeader(bytes: Uint8Array, source: string): IdxHeader {
  const fail = (msg: string) => NerveError.raw('loadIdx', `${source}: ${msg}`);
  if (bytes.length < 4) throw fail(`${bytes.length} bytes is too short for an IDX header`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(
      ' ',
    );
    throw fail(`not an IDX file: the magic number starts ${magic}, expected 00 00 08 <dims>`);
  }
  const type = bytes[2];
  if (type !== 0x08) {
    const name = TYPE_NAMES[type] ?? 'unknown';
    throw fail(
      `element type 0x${type.toString(16).padStart(2, '0')} (${name}) is not supported; only 0x08 (unsigned byte)`,
    );
  }
  const rank = bytes[3];
  if (rank < 1) throw fail('the header declares 0 dimensions');
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw fail(
      `truncated header: ${rank} dimensions need ${headerBytes} bytes, the file has ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(view.getUint32(4 + 4 * i, false));
  if (shape.includes(0)) {
    throw fail(`the header declares shape [${shape.join(',')}]: a 0-sized dimension holds no data`);
  }
  // A float product: past 2⁵³ it is inexact, but then it exceeds every
  // possible file size, which is all it is compared with.
  const dataBytes = shape.reduce((a, b) => a * b, 1);
  return { shape, headerBytes, dataBytes };
}

function declared(h: IdxHeader): string {
  return `the header declares shape [${h.shape.join(',')}] = ${h.dataBytes} bytes of data`;
}

function checkLimit(source: string, h: IdxHeader): void {
  if (h.headerBytes + h.dataBytes > MAX_FILE_BYTES) {
    throw NerveError.raw(
      'loadIdx',
      `${source}: ${declared(h)}, more than the ${MAX_FILE_BYTES} bytes (2 GiB − 1) loadIdx reads`,
    );
  }
}

function checkAvailable(source: string, h: IdxHeader, available: number, where: string): void {
  if (h.dataBytes !== available) {
    const what = h.dataBytes > available ? 'truncated' : 'trailing bytes';
    throw NerveError.raw('loadIdx', `${source}: ${what}: ${declared(h)}, ${where} ${available}`);
  }
  checkLimit(source, h);
}

/** Reads an IDX file of unsigned bytes (gzipped or not): its elements and shape. */
export function loadIdx(path: string): {
  /** The raw unsigned bytes, row-major. */
  data: Uint8Array;
  /** The dimensions the header declares. */
  shape: number[];
} {
  const op = 'loadIdx';
  return withDataFile(op, path, (file) => {
    const head = readAt(op, file, 0, Math.min(file.size, MAX_IDX_HEADER));
    if (isGzip(head)) return loadGzipIdx(path, readAt(op, file, 0, file.size));
    const h = parseIdxHeader(head, path);
    checkAvailable(path, h, file.size - h.headerBytes, 'the file has');
    return { data: readAt(op, file, h.headerBytes, h.dataBytes), shape: h.shape };
  });
}

/** A gzipped IDX file: header first, then inflation capped at what it declares. */
function loadGzipIdx(path: string, compressed: Uint8Array): { data: Uint8Array; shape: number[] } {
  const op = 'loadIdx';
  const h = parseIdxHeader(inflateHead(op, path, compressed, MAX_IDX_HEADER), path);
  checkLimit(path, h);
  const total = h.headerBytes + h.dataBytes;
  const most = maxInflatedSize(compressed.length);
  if (total > most) {
    throw NerveError.raw(
      op,
      `${path}: truncated: ${declared(h)}, but ${compressed.length} gzip bytes inflate to at most ${most}`,
    );
  }
  const bytes = inflateCapped(op, path, compressed, total, () =>
    NerveError.raw(
      op,
      `${path}: trailing bytes: ${declared(h)}, the decompressed file has more (inflation stopped after ${total} bytes)`,
    ),
  );
  checkAvailable(path, h, bytes.length - h.headerBytes, 'the decompressed file has');
  return { data: bytes.subarray(h.headerBytes), shape: h.shape };
}

/** Parses IDX bytes already in memory; `source` names them in errors. The data is a view, not a copy. */
export function parseIdx(bytes: Uint8Array, source: string): { data: Uint8Array; shape: number[] } {
  const h = parseIdxHeader(bytes, source);
  checkAvailable(source, h, bytes.length - h.headerBytes, 'the file has');
  return { data: bytes.subarray(h.headerBytes), shape: h.shape };
}
