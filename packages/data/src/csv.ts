/**
 * Numeric CSV files with one integer label column: comma-separated numbers,
 * optionally a header row, optionally gzipped. No quoting (the files this
 * reads hold numbers only); blank lines are skipped.
 */
import { NerveError, type Tensor, tensor } from '@nerve/core';
import { readMaybeGzip } from './files.js';

/** Options of loadCsv. */
export interface CsvOptions {
  /** The label column: 'last' (default), 'first', or a 0-based index (negative: from the end). */
  labelColumn?: 'last' | 'first' | number;
  /** Skip the first non-blank line (default false). */
  header?: boolean;
  /** When given, labels must lie in 0..numClasses-1. */
  numClasses?: number;
}

/** Parsed rows: features row-major, labels, and the row and feature counts. */
export interface ParsedCsv {
  x: Float32Array;
  y: Int32Array;
  rows: number;
  features: number;
}

/** Loads a numeric CSV: x float32 [rows, columns − 1], y int32 [rows]. */
export function loadCsv(path: string, opts: CsvOptions = {}): { x: Tensor; y: Tensor } {
  const bytes = readMaybeGzip('loadCsv', path);
  const p = parseCsv('loadCsv', new TextDecoder().decode(bytes), path, opts);
  return { x: tensor(p.x, { shape: [p.rows, p.features] }), y: tensor(p.y) };
}

/** Parses CSV text; errors name `op`, `source` and the 1-based line and column. */
export function parseCsv(
  op: string,
  text: string,
  source: string,
  opts: CsvOptions = {},
): ParsedCsv {
  const { labelColumn = 'last', header = false, numClasses } = opts;
  if (numClasses !== undefined && (!Number.isInteger(numClasses) || numClasses < 1)) {
    throw new NerveError(op, 'numClasses a positive integer', String(numClasses));
  }
  if (
    labelColumn !== 'last' &&
    labelColumn !== 'first' &&
    !(typeof labelColumn === 'number' && Number.isInteger(labelColumn))
  ) {
    throw new NerveError(op, "labelColumn 'last', 'first' or an integer", String(labelColumn));
  }
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let width = -1;
  let firstLine = 0;
  let labelAt = 0;
  let headerSkipped = !header;
  const values: number[] = [];
  const labels: number[] = [];
  for (let li = 0; li < lines.length; li++) {
    const line = lines[li];
    if (line.trim() === '') continue;
    if (!headerSkipped) {
      headerSkipped = true;
      continue;
    }
    const cells = line.split(',');
    const lineNo = li + 1;
    if (width < 0) {
      width = cells.length;
      firstLine = lineNo;
      if (width < 2) {
        throw NerveError.raw(
          op,
          `${source}: line ${lineNo} has ${width} column; need features and a label`,
        );
      }
      labelAt = labelIndex(op, source, labelColumn, width);
    } else if (cells.length !== width) {
      throw NerveError.raw(
        op,
        `${source}: ragged rows: line ${lineNo} has ${cells.length} columns, line ${firstLine} has ${width}`,
      );
    }
    for (let c = 0; c < width; c++) {
      const cell = cells[c].trim();
      const v = cell === '' ? Number.NaN : Number(cell);
      if (!Number.isFinite(v)) {
        const shown = cell === '' ? 'an empty value' : `non-numeric value '${cell.slice(0, 40)}'`;
        throw NerveError.raw(op, `${source}: ${shown} at line ${lineNo}, column ${c + 1}`);
      }
      if (c !== labelAt) {
        values.push(v);
        continue;
      }
      if (!Number.isInteger(v) || v < 0 || (numClasses !== undefined && v >= numClasses)) {
        const range = numClasses !== undefined ? `0..${numClasses - 1}` : 'a non-negative integer';
        throw NerveError.raw(
          op,
          `${source}: label ${cell} at line ${lineNo}, column ${c + 1} is outside ${range}`,
        );
      }
      labels.push(v);
    }
  }
  if (width < 0) throw NerveError.raw(op, `${source}: no data rows`);
  return {
    x: Float32Array.from(values),
    y: Int32Array.from(labels),
    rows: labels.length,
    features: width - 1,
  };
}

function labelIndex(op: string, source: string, col: CsvOptions['labelColumn'], width: number) {
  if (col === 'last') return width - 1;
  if (col === 'first') return 0;
  const idx = (col as number) < 0 ? width + (col as number) : (col as number);
  if (idx < 0 || idx >= width) {
    throw NerveError.raw(op, `${source}: labelColumn ${col} is outside the ${width} columns`);
  }
  return idx;
}
