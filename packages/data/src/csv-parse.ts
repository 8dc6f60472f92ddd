/**
 * Parsing numeric CSV text (no file access, so browsers can use it too):
 * comma-separated numbers with one integer label column, optionally a header
 * row; no quoting; blank lines are skipped. Cells are read strictly (see
 * csv-cells.ts). Reading files is csv.ts.
 */
import { NerveError } from '@nerve/core';
import { parseFeature, parseLabel } from './csv-cells.js';

/** Options of loadCsv. */
export interface CsvOptions {
  /** The label column: 'last' (default), 'first', or a 0-based index (negative: from the end). */
  labelColumn?: 'last' | 'first' | number;
  /** Skip the first non-blank line (default false). */
  header?: boolean;
  /** When given, labels must lie in 0..numClasses-1. */
  numClasses?: number;
  /** Keep NaN and ±Infinity features (nan, inf, 1e39…) instead of refusing them (default false). */
  allowNonFinite?: boolean;
  /** The most bytes read, before and after gunzip (default 256 MiB, at most 2²⁹ − 24). */
  maxBytes?: number;
}

/** Parsed rows: features row-major, labels, and the row and feature counts. */
export interface ParsedCsv {
  x: Float32Array;
  y: Int32Array;
  rows: number;
  features: number;
}

/** Refuses bad numClasses and labelColumn options, before anything is read. */
export function checkOptions(op: string, opts: CsvOptions): void {
  const { labelColumn = 'last', numClasses } = opts;
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
}

/** Counts the commas: a row of `width` cells holds width − 1 of them, bounding the rows. */
function countCommas(text: string): number {
  let commas = 0;
  for (let i = text.indexOf(','); i !== -1; i = text.indexOf(',', i + 1)) commas++;
  return commas;
}

/**
 * Parses CSV text; errors name `op`, `source` and the 1-based line and
 * column. Features are stored as float32 as they are read, never as a
 * JavaScript array of all values.
 */
export function parseCsv(
  op: string,
  text: string,
  source: string,
  opts: CsvOptions = {},
): ParsedCsv {
  checkOptions(op, opts);
  const { labelColumn = 'last', header = false, numClasses, allowNonFinite = false } = opts;
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const commas = countCommas(text);
  let values = new Float32Array(0);
  let labels = new Int32Array(0);
  let rows = 0;
  let nValues = 0;
  let width = -1;
  let firstLine = 0;
  let labelAt = 0;
  let headerSkipped = !header;
  let lineNo = 0;
  for (let pos = start; pos <= text.length; ) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    lineNo++;
    const line = text.slice(pos, end > pos && text.charCodeAt(end - 1) === 13 ? end - 1 : end);
    pos = end + 1;
    if (line.trim() === '') continue;
    if (!headerSkipped) {
      headerSkipped = true;
      continue;
    }
    const cells = line.split(',');
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
      // Every data row holds width − 1 commas, so the rows are at most
      // commas / (width − 1): storage is sized once, at most 4 bytes a comma.
      const maxRows = Math.floor(commas / (width - 1));
      values = new Float32Array(maxRows * (width - 1));
      labels = new Int32Array(maxRows);
    } else if (cells.length !== width) {
      throw NerveError.raw(
        op,
        `${source}: ragged rows: line ${lineNo} has ${cells.length} columns, line ${firstLine} has ${width}`,
      );
    }
    for (let c = 0; c < width; c++) {
      const cell = cells[c].trim();
      const at = `at line ${lineNo}, column ${c + 1}`;
      if (c === labelAt) {
        const r = parseLabel(cell);
        if (!('value' in r)) throw NerveError.raw(op, `${source}: ${r.what} ${at}${r.why}`);
        if (numClasses !== undefined && r.value >= numClasses) {
          throw NerveError.raw(
            op,
            `${source}: label ${r.value} ${at} is outside 0..${numClasses - 1}`,
          );
        }
        labels[rows] = r.value;
      } else {
        const r = parseFeature(cell, allowNonFinite);
        if (!('value' in r)) throw NerveError.raw(op, `${source}: ${r.what} ${at}${r.why}`);
        values[nValues++] = r.value;
      }
    }
    rows++;
  }
  if (width < 0) throw NerveError.raw(op, `${source}: no data rows`);
  return {
    x: values.subarray(0, nValues),
    y: labels.subarray(0, rows),
    rows,
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
