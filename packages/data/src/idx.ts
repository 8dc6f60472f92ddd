/**
 * The IDX format of LeCun's MNIST files (http://yann.lecun.com/exdb/mnist/):
 * bytes 0–1 zero, byte 2 the element type, byte 3 the number of dimensions,
 * then each dimension as a big-endian uint32, then the elements row-major.
 */
import { NerveError } from '@nerve/core';
import { readMaybeGzip } from './files.js';

const TYPE_NAMES: Record<number, string> = {
  8: 'unsigned byte',
  9: 'signed byte',
  11: 'short',
  12: 'int',
  13: 'float',
  14: 'double',
};

/** Reads an IDX file of unsigned bytes (gzipped or not): its elements and shape. */
export function loadIdx(path: string): { data: Uint8Array; shape: number[] } {
  return parseIdx(readMaybeGzip('loadIdx', path), path);
}

/** Parses IDX bytes; `source` names them in errors. The data is a view, not a copy. */
export function parseIdx(bytes: Uint8Array, source: string): { data: Uint8Array; shape: number[] } {
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
  const available = bytes.length - headerBytes;
  // The declared size is compared with what is actually there before
  // anything is allocated, and the running product stops growing past it
  // so absurd dimensions neither allocate nor overflow.
  let count = 1;
  for (let i = 0; i < rank; i++) {
    const dim = view.getUint32(4 + 4 * i, false);
    shape.push(dim);
    count = Math.min(count * dim, available + 1);
  }
  if (count !== available) {
    const declared = shape.reduce((a, b) => a * b, 1);
    const what = count > available ? 'truncated' : 'trailing bytes';
    throw fail(
      `${what}: the header declares shape [${shape.join(',')}] = ${declared} bytes of data, the file has ${available}`,
    );
  }
  return { data: bytes.subarray(headerBytes), shape };
}
