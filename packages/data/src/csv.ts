/**
 * Numeric CSV files with one integer label column: comma-separated numbers,
 * optionally a header row, optionally gzipped. No quoting (the files this
 * reads hold numbers only); blank lines are skipped. Reads are bounded
 * (`maxBytes`, also for the inflated text of a gzipped file), and cells are
 * read strictly (see csv-cells.ts): no hexadecimal, no non-finite features
 * unless asked for, labels plain decimal integers within int32. This file
 * reads the file (Node); the parsing, which browsers can use, is csv-parse.ts.
 */
import { Buffer } from 'node:buffer';
import { NerveError, type Tensor, tensor } from '@nerve/core';
import { type CsvOptions, checkOptions, parseCsv } from './csv-parse.js';
import { readDataFile } from './files.js';
import { type RawTable, type TableParseOptions, parseTable } from './table.js';

export { parseCsv, type CsvOptions, type ParsedCsv } from './csv-parse.js';

/** The default of CsvOptions.maxBytes: 256 MiB, twice MNIST's training set as CSV. */
export const CSV_DEFAULT_MAX_BYTES = 256 * 2 ** 20;
/** The largest maxBytes: V8's longest string (2²⁹ − 24 characters on 64-bit). */
const CSV_MAX_BYTES_LIMIT = 2 ** 29 - 24;

/** The maxBytes option (default CSV_DEFAULT_MAX_BYTES), refused outside [1, V8's longest string]. */
function checkMaxBytes(op: string, maxBytes = CSV_DEFAULT_MAX_BYTES): number {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1 || maxBytes > CSV_MAX_BYTES_LIMIT) {
    throw new NerveError(
      op,
      `maxBytes an integer in [1, ${CSV_MAX_BYTES_LIMIT}]`,
      String(maxBytes),
    );
  }
  return maxBytes;
}

/** Loads a numeric CSV: x float32 [rows, columns − 1], y int32 [rows]. */
export function loadCsv(
  path: string,
  opts: CsvOptions = {},
): {
  /** Every column but the last, float32 [rows, columns − 1]. */
  x: Tensor;
  /** The last column, int32 [rows]. */
  y: Tensor;
} {
  const op = 'loadCsv';
  const maxBytes = checkMaxBytes(op, opts.maxBytes);
  checkOptions(op, opts);
  const p = parseCsv(op, decodeUtf8(readDataFile(op, path, maxBytes)), path, opts);
  return { x: tensor(p.x, { shape: [p.rows, p.features] }), y: tensor(p.y) };
}

/**
 * UTF-8 text without a byte-order mark. Buffer's decoder makes a one-byte
 * string of ASCII text where TextDecoder makes a two-byte one, halving what
 * a large file costs (and the mark alone would force two bytes a character).
 */
function decodeUtf8(bytes: Uint8Array): string {
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return Buffer.from(bytes.buffer, bytes.byteOffset + bom, bytes.length - bom).toString('utf8');
}

/** Options of loadTable: parsing, and the most bytes read (as CsvOptions.maxBytes). */
export interface LoadTableOptions extends TableParseOptions {
  /** The most bytes read, before and after gunzip (default 256 MiB). */
  maxBytes?: number;
}

/**
 * Reads a CSV file with a header row (optionally gzipped) into string cells:
 * see parseTable, fitTableEncoding and encodeTable (table.ts).
 */
export function loadTable(path: string, opts: LoadTableOptions = {}): RawTable {
  const op = 'loadTable';
  const { maxBytes = CSV_DEFAULT_MAX_BYTES } = opts;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1 || maxBytes > CSV_MAX_BYTES_LIMIT) {
    throw new NerveError(
      op,
      `maxBytes an integer in [1, ${CSV_MAX_BYTES_LIMIT}]`,
      String(maxBytes),
    );
  }
  return parseTable(decodeUtf8(readDataFile(op, path, maxBytes)), path, opts);
}
