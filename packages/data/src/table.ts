/**
 * Tables of the user's own: CSV with a header row, a named label column
 * (class names or numbers, or a regression target), numeric and categorical
 * feature columns, `,` `;` or tab separators and quoted fields. Parsed by
 * csv-parse (a maintained parser), never by hand.
 *
 * Three steps, so that nothing about held-out rows leaks into training:
 * `parseTable` reads the cells; `fitTableEncoding` decides, from the rows
 * given (the training rows), how each column becomes numbers (a numeric
 * column's fill value for missing cells is the mean of those rows; a
 * categorical column is one-hot over the categories of the whole file, its
 * fill the most frequent category of those rows); `encodeTable` applies the
 * encoding to any rows, and to a new file at prediction time. The encoding
 * is plain JSON, kept in checkpoints.
 */
import { NerveError } from '@nerve/core';
import { CsvError, parse } from 'csv-parse/sync';

/** Cells read as missing (pandas' common spellings). */
export const MISSING_CELLS: readonly string[] = [
  '',
  'NA',
  'N/A',
  'n/a',
  'NaN',
  'nan',
  'null',
  'NULL',
  'None',
  '?',
];
const MISSING = new Set(MISSING_CELLS);
/** A plain decimal number: what a numeric column holds (quotes are removed by the parser). */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Options of parseTable and loadTable. */
export interface TableParseOptions {
  /** The field separator; default: whichever of `,` `;` and tab the header row holds most of. */
  delimiter?: ',' | ';' | '\t';
}

/** The cells of a CSV file with a header row, as strings, with their line numbers. */
export interface RawTable {
  /** Where the text came from, for messages (a path, or 'text'). */
  source: string;
  /** The column names of the header row. */
  columns: string[];
  /** The rows after the header, each one string per column, trimmed. */
  rows: string[][];
  /** The 1-based line in the file where each row starts. */
  lines: number[];
  /** The separator used. */
  delimiter: string;
}

/** How one feature column becomes numbers. */
export type ColumnEncoding =
  | {
      /** The column's name in the header. */
      name: string;
      /** A number per cell: one input. */
      kind: 'numeric';
      /** The value of a missing cell (the training rows' mean), or null to refuse them. */
      fill: number | null;
    }
  | {
      /** The column's name in the header. */
      name: string;
      /** Categories: one-hot, an input per category. */
      kind: 'categorical';
      /** One input per category, in this order (one-hot). */
      categories: string[];
      /** The category of a missing cell (the training rows' most frequent), or null to refuse them. */
      fill: string | null;
    };

/** How a table becomes x and y: JSON, kept in checkpoints for prediction. */
export interface TableEncoding {
  /** The label column's name. */
  label: string;
  /** Class names (cross-entropy) or numbers (mean squared error). */
  task: 'classification' | 'regression';
  /** The class names in index order (classification), else null. */
  classes: string[] | null;
  /** The feature columns, in input order. */
  columns: ColumnEncoding[];
  /** The name of each input: a numeric column's name, or `column=category`. */
  features: string[];
}

/** Options of fitTableEncoding. */
export interface TableEncodingOptions {
  /** The label column's name (required). */
  label: string;
  /** 'classification' (default): labels are class names; 'regression': numbers. */
  task?: 'classification' | 'regression';
  /** Missing feature cells: 'refuse' (default; the error names line and column) or 'mean'. */
  missing?: 'refuse' | 'mean';
  /** Columns read as categories even where every cell is a number (e.g. a zip code). */
  categorical?: readonly string[];
  /** Columns left out (e.g. an id). */
  ignore?: readonly string[];
}

/** Encoded rows: features row-major, float32; labels int32 (classes) or float32 (regression). */
export interface EncodedTable {
  /** The inputs, row-major [rows, features]. */
  x: Float32Array;
  /** Class indices (classification) or targets (regression), one per row; empty without labels. */
  y: Int32Array | Float32Array;
  /** Rows encoded. */
  rows: number;
  /** Inputs per row (the encoding's features). */
  features: number;
}

/** Parses CSV text with a header row into trimmed string cells. */
export function parseTable(text: string, source = 'text', opts: TableParseOptions = {}): RawTable {
  const op = 'parseTable';
  if (typeof text !== 'string') throw new NerveError(op, 'CSV text (a string)', typeof text);
  const delimiter = opts.delimiter ?? detectDelimiter(text);
  if (delimiter !== ',' && delimiter !== ';' && delimiter !== '\t') {
    throw new NerveError(op, "delimiter ',', ';' or a tab", JSON.stringify(delimiter));
  }
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      delimiter,
      bom: true,
      trim: true,
      skip_empty_lines: true,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (e) {
    if (e instanceof CsvError) {
      throw NerveError.raw(op, `${source}: ${e.message.replace(/^Invalid Record Length: /, '')}`);
    }
    throw e;
  }
  if (records.length === 0) throw new NerveError(op, `a header row in ${source}`, 'an empty file');
  const columns = records[0].record;
  const seen = new Set<string>();
  for (const [i, name] of columns.entries()) {
    if (name === '') {
      throw new NerveError(
        op,
        `a name for every column of the header of ${source}`,
        `column ${i + 1} unnamed`,
      );
    }
    if (seen.has(name)) {
      throw new NerveError(
        op,
        `distinct column names in the header of ${source}`,
        `'${name}' twice`,
      );
    }
    seen.add(name);
  }
  // info.lines is the line where a record ends; it starts as many lines earlier as its
  // quoted fields hold line breaks.
  const rows: string[][] = [];
  const lines: number[] = [];
  for (let r = 1; r < records.length; r++) {
    const { record, info } = records[r];
    let breaks = 0;
    for (const cell of record)
      for (let i = cell.indexOf('\n'); i !== -1; i = cell.indexOf('\n', i + 1)) breaks++;
    rows.push(record);
    lines.push(info.lines - breaks);
  }
  if (rows.length === 0) throw new NerveError(op, `rows after the header of ${source}`, 'none');
  return { source, columns, rows, lines, delimiter };
}

/** The separator the header row holds most of, outside quotes; ',' on a tie or none. */
function detectDelimiter(text: string): ',' | ';' | '\t' {
  const counts = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '\n' || c === '\r')) {
      if (counts[','] + counts[';'] + counts['\t'] > 0) break;
    } else if (!quoted && (c === ',' || c === ';' || c === '\t')) counts[c]++;
  }
  if (counts[';'] > counts[','] && counts[';'] >= counts['\t']) return ';';
  if (counts['\t'] > counts[','] && counts['\t'] > counts[';']) return '\t';
  return ',';
}

/** Whether a cell is missing. */
export function isMissing(cell: string): boolean {
  return MISSING.has(cell);
}

/**
 * Decides how each column becomes numbers, from the rows `fitRows` (default
 * all): the training rows, so that no statistic comes from held-out data.
 * Categories and class names come from every row of the table: they are
 * the vocabulary, not a statistic, and a category first seen in the test
 * rows must still have an input.
 */
export function fitTableEncoding(
  table: RawTable,
  opts: TableEncodingOptions,
  fitRows?: readonly number[],
): TableEncoding {
  const op = 'fitTableEncoding';
  if (opts === null || typeof opts !== 'object' || typeof opts.label !== 'string') {
    throw new NerveError(op, 'options with a label column name', String(opts));
  }
  const { label, task = 'classification', missing = 'refuse' } = opts;
  const categorical = new Set(opts.categorical ?? []);
  const ignore = new Set(opts.ignore ?? []);
  if (task !== 'classification' && task !== 'regression') {
    throw new NerveError(op, "task 'classification' or 'regression'", String(task));
  }
  if (missing !== 'refuse' && missing !== 'mean') {
    throw new NerveError(op, "missing 'refuse' or 'mean'", String(missing));
  }
  const known = (name: string, what: string) => {
    if (!table.columns.includes(name)) {
      throw new NerveError(
        op,
        `${what} one of the columns of ${table.source} (${table.columns.join(', ')})`,
        `'${name}'`,
      );
    }
  };
  known(label, 'label');
  for (const c of categorical) known(c, 'a categorical column');
  for (const c of ignore) known(c, 'an ignored column');
  if (ignore.has(label)) throw new NerveError(op, 'the label column not ignored', `'${label}'`);
  const rows = fitRows ?? table.rows.map((_, i) => i);
  if (rows.length === 0) throw new NerveError(op, 'at least one row to fit on', 'none');

  const li = table.columns.indexOf(label);
  let classes: string[] | null = null;
  for (let r = 0; r < table.rows.length; r++) {
    const cell = table.rows[r][li];
    if (isMissing(cell)) throw cellError(op, table, r, li, `a label, received missing '${cell}'`);
    if (task === 'regression' && !NUMBER.test(cell)) {
      throw cellError(op, table, r, li, `a number (regression target), received '${cell}'`);
    }
  }
  if (task === 'classification') classes = classNames(table.rows.map((row) => row[li]));

  const columns: ColumnEncoding[] = [];
  const features: string[] = [];
  for (let c = 0; c < table.columns.length; c++) {
    const name = table.columns[c];
    if (c === li || ignore.has(name)) continue;
    const numeric =
      !categorical.has(name) && table.rows.every((row) => isMissing(row[c]) || NUMBER.test(row[c]));
    if (numeric) {
      let sum = 0;
      let n = 0;
      for (const r of rows) {
        const cell = table.rows[r][c];
        if (!isMissing(cell)) {
          sum += Number(cell);
          n++;
        }
      }
      const fill = missing === 'mean' ? (n > 0 ? sum / n : 0) : null;
      columns.push({ name, kind: 'numeric', fill });
      features.push(name);
    } else {
      const counts = new Map<string, number>();
      for (const row of table.rows) if (!isMissing(row[c])) counts.set(row[c], 0);
      for (const r of rows) {
        const cell = table.rows[r][c];
        if (!isMissing(cell)) counts.set(cell, (counts.get(cell) ?? 0) + 1);
      }
      const categories = [...counts.keys()].sort();
      let fill: string | null = null;
      if (missing === 'mean') {
        // The most frequent category of the fitted rows; the first in order on a tie.
        let best = -1;
        for (const k of categories) {
          const v = counts.get(k) ?? 0;
          if (v > best) {
            best = v;
            fill = k;
          }
        }
      }
      columns.push({ name, kind: 'categorical', categories, fill });
      for (const k of categories) features.push(`${name}=${k}`);
    }
  }
  if (features.length === 0) {
    throw new NerveError(op, `at least one feature column besides '${label}'`, 'none');
  }
  return { label, task, classes, columns, features };
}

/**
 * Class names in index order: numerically when every label is an integer
 * (so 0..9 keep their meaning), else in string order.
 */
function classNames(labels: string[]): string[] {
  const distinct = [...new Set(labels)];
  if (distinct.every((l) => /^[+-]?\d+$/.test(l)))
    return distinct.sort((a, b) => Number(a) - Number(b));
  return distinct.sort();
}

/**
 * Applies an encoding to rows of a table (default all): x float32
 * [rows, features], y int32 class indices or float32 targets. Missing cells
 * take the encoding's fill, or are refused with their line and column.
 * With `labels: false` (prediction) the label column may be absent and y is empty.
 */
export function encodeTable(
  table: RawTable,
  encoding: TableEncoding,
  rows?: readonly number[],
  opts: { labels?: boolean } = {},
): EncodedTable {
  const op = 'encodeTable';
  const withLabels = opts.labels ?? true;
  const index = (name: string) => {
    const i = table.columns.indexOf(name);
    if (i === -1) {
      throw new NerveError(
        op,
        `a column '${name}' in ${table.source} (the model was trained with it)`,
        `columns ${table.columns.join(', ')}`,
      );
    }
    return i;
  };
  const cols = encoding.columns.map((c) => index(c.name));
  const li = withLabels ? index(encoding.label) : -1;
  const classIndex = new Map((encoding.classes ?? []).map((k, i) => [k, i]));
  const which = rows ?? table.rows.map((_, i) => i);
  const width = encoding.features.length;
  const x = new Float32Array(which.length * width);
  const y = !withLabels
    ? new Int32Array(0)
    : encoding.task === 'classification'
      ? new Int32Array(which.length)
      : new Float32Array(which.length);
  for (let k = 0; k < which.length; k++) {
    const r = which[k];
    const row = table.rows[r];
    let o = k * width;
    for (let j = 0; j < encoding.columns.length; j++) {
      const spec = encoding.columns[j];
      const c = cols[j];
      let cell = row[c];
      if (isMissing(cell)) {
        if (spec.fill === null) {
          throw cellError(
            op,
            table,
            r,
            c,
            `a value, received missing '${cell}' (impute with the training mean and most frequent category: --missing mean)`,
          );
        }
        if (spec.kind === 'numeric') {
          x[o++] = spec.fill;
          continue;
        }
        cell = spec.fill;
      }
      if (spec.kind === 'numeric') {
        if (!NUMBER.test(cell)) throw cellError(op, table, r, c, `a number, received '${cell}'`);
        x[o++] = Number(cell);
      } else {
        const at = spec.categories.indexOf(cell);
        if (at === -1) {
          throw cellError(op, table, r, c, `one of ${listed(spec.categories)}, received '${cell}'`);
        }
        x[o + at] = 1;
        o += spec.categories.length;
      }
    }
    if (withLabels) {
      const cell = row[li];
      if (encoding.task === 'classification') {
        const i = classIndex.get(cell);
        if (i === undefined) {
          throw cellError(
            op,
            table,
            r,
            li,
            `a class of ${listed(encoding.classes ?? [])}, received '${cell}'`,
          );
        }
        y[k] = i;
      } else {
        if (!NUMBER.test(cell)) throw cellError(op, table, r, li, `a number, received '${cell}'`);
        y[k] = Number(cell);
      }
    }
  }
  return { x, y, rows: which.length, features: width };
}

function listed(names: readonly string[]): string {
  const shown = names.slice(0, 8).map((n) => `'${n}'`);
  return names.length > 8 ? `${shown.join(', ')}, … (${names.length})` : shown.join(', ');
}

function cellError(
  op: string,
  table: RawTable,
  row: number,
  column: number,
  what: string,
): NerveError {
  return NerveError.raw(
    op,
    `${table.source} line ${table.lines[row]}, column ${column + 1} ('${table.columns[column]}'): expected ${what}`,
  );
}

/** Checks a value read back from a checkpoint is a TableEncoding, naming what is wrong. */
export function checkTableEncoding(op: string, value: unknown): TableEncoding {
  const bad = (what: string) => new NerveError(op, 'a table encoding', what);
  if (value === null || typeof value !== 'object') throw bad(String(value));
  const e = value as Partial<TableEncoding>;
  if (typeof e.label !== 'string') throw bad('no label');
  if (e.task !== 'classification' && e.task !== 'regression') throw bad(`task ${String(e.task)}`);
  if (
    e.task === 'classification' &&
    !(Array.isArray(e.classes) && e.classes.every((c) => typeof c === 'string'))
  ) {
    throw bad('no class names');
  }
  if (!Array.isArray(e.columns) || !Array.isArray(e.features)) throw bad('no columns');
  let width = 0;
  for (const c of e.columns as ColumnEncoding[]) {
    if (c === null || typeof c !== 'object' || typeof c.name !== 'string')
      throw bad('a column without a name');
    if (c.kind === 'numeric') {
      if (c.fill !== null && typeof c.fill !== 'number') throw bad(`column '${c.name}' fill`);
      width += 1;
    } else if (c.kind === 'categorical') {
      if (!Array.isArray(c.categories) || !c.categories.every((k) => typeof k === 'string')) {
        throw bad(`column '${c.name}' categories`);
      }
      width += c.categories.length;
    } else throw bad(`column kind ${String((c as { kind?: unknown }).kind)}`);
  }
  if (width !== e.features.length)
    throw bad(`${e.features.length} feature names for ${width} inputs`);
  return e as TableEncoding;
}
