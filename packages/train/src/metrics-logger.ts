/**
 * A metrics logger callback, like Keras's CSVLogger: one line per epoch with
 * the epoch's numbers (train/val loss and accuracy, the learning rate and
 * every monitor's values), as CSV (a header once, then rows) or as JSON
 * Lines. Lines go to a `write` sink (any environment) or to a file (Node):
 * the file is appended to and synced at the end of every epoch, so a crash
 * or Ctrl-C keeps every epoch logged so far. It creates no tensors.
 */
import { NerveError, describeValue } from '@nerve/core';
import type { EpochRecord } from '@nerve/metrics';
import type { Callback } from './callbacks.js';

/** Options of metricsLogger: a `write` sink or a file `path`, not both. */
export interface MetricsLoggerOptions {
  /** 'csv' or 'jsonl'; with a path ending in .csv, .jsonl or .ndjson it may be left out. */
  format?: 'csv' | 'jsonl';
  /** Receives each line, without its newline; a returned promise is awaited before training goes on. */
  write?: (line: string) => void | Promise<void>;
  /** A file to write (Node only; imported when training begins, so browsers can bundle this module). */
  path?: string;
  /**
   * With `path`: add to what the file holds (CSV: under its header, with its
   * columns) instead of starting it afresh (default false).
   */
  append?: boolean;
  /** CSV columns in order; default the first logged epoch's fields (later new fields are left out of CSV rows). */
  columns?: string[];
}

/** The fixed fields of a row, in column order; monitor values follow. */
const RECORD_FIELDS = [
  'epoch',
  'trainLoss',
  'trainAccuracy',
  'valLoss',
  'valAccuracy',
  'lr',
] as const;

/** An epoch record as one flat row: its numbers and every monitor value (stepLosses left out). */
export function epochRow(record: EpochRecord): Record<string, number> {
  const row: Record<string, number> = {};
  for (const k of RECORD_FIELDS) {
    const v = record[k];
    if (typeof v === 'number') row[k] = v;
  }
  for (const [k, v] of Object.entries(record.monitors ?? {})) {
    if (!Object.hasOwn(row, k)) row[k] = v;
  }
  return row;
}

/** A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180). */
function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A number as CSV: the shortest text that reads back exactly; NaN and ±Infinity by name. */
function csvNumber(v: number | undefined): string {
  return v === undefined ? '' : String(v);
}

/** The fields of a CSV header line (quoted fields unquoted). */
function parseCsvHeader(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}

/** The metrics-log format a path's extension names (.csv; .jsonl or .ndjson), if it names one. */
export function metricsLogFormat(path: string): 'csv' | 'jsonl' | undefined {
  const lower = path.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  return undefined;
}

/** Where lines go: `begin` learns what the destination already holds; `lines` writes a batch. */
interface Sink {
  /** The destination's existing CSV header (append mode), if any. */
  begin(): Promise<string | undefined>;
  lines(lines: string[]): Promise<void>;
}

function checkOptions(opts: MetricsLoggerOptions): 'csv' | 'jsonl' {
  const op = 'metricsLogger';
  if (opts === null || typeof opts !== 'object') {
    throw new NerveError(op, 'an options object', describeValue(opts));
  }
  const hasWrite = opts.write !== undefined;
  const hasPath = opts.path !== undefined;
  if (hasWrite === hasPath) {
    throw new NerveError(op, 'either a write sink or a file path', hasWrite ? 'both' : 'neither');
  }
  if (hasWrite && typeof opts.write !== 'function') {
    throw new NerveError(op, 'write a function', describeValue(opts.write));
  }
  if (hasPath && (typeof opts.path !== 'string' || opts.path === '')) {
    throw new NerveError(op, 'path a non-empty string', describeValue(opts.path));
  }
  if (opts.append !== undefined && !hasPath) {
    throw new NerveError(op, 'append only with a path', 'append with a write sink');
  }
  if (
    opts.columns !== undefined &&
    !(Array.isArray(opts.columns) && opts.columns.every((c) => typeof c === 'string'))
  ) {
    throw new NerveError(op, 'columns a list of names', describeValue(opts.columns));
  }
  const format = opts.format ?? (hasPath ? metricsLogFormat(opts.path as string) : undefined);
  if (format !== 'csv' && format !== 'jsonl') {
    throw new NerveError(
      op,
      hasPath
        ? "format 'csv' or 'jsonl' (or a path ending in .csv, .jsonl or .ndjson)"
        : "format 'csv' or 'jsonl'",
      opts.format !== undefined
        ? describeValue(opts.format)
        : hasPath
          ? `no format for '${opts.path}'`
          : 'undefined',
    );
  }
  return format;
}

/**
 * A callback that logs each finished epoch. CSV: a header line before the
 * first row (not when appending under an existing header), then one row per
 * epoch; a field missing in an epoch is an empty cell, NaN and ±Infinity are
 * written as `NaN`, `Infinity`, `-Infinity`. JSON Lines: one object per epoch
 * with every field (non-finite numbers as null, as JSON has no NaN).
 */
export function metricsLogger(opts: MetricsLoggerOptions): Callback {
  const format = checkOptions(opts);
  const sink: Sink =
    opts.path !== undefined
      ? fileSink(opts.path, opts.append === true, format)
      : writeSink(opts.write as NonNullable<MetricsLoggerOptions['write']>);
  let columns: string[] | undefined;
  let headerDone = false;
  return {
    async onTrainBegin() {
      // A logger used for a second fit starts over, as its file does.
      columns = opts.columns ? [...opts.columns] : undefined;
      headerDone = false;
      const existing = await sink.begin();
      if (existing !== undefined && format === 'csv') {
        // Rows added under an existing header follow its columns.
        columns = parseCsvHeader(existing);
        headerDone = true;
      }
    },
    async onEpochEnd(record: EpochRecord) {
      const row = epochRow(record);
      if (format === 'jsonl') {
        const fin = (v: number) => (Number.isFinite(v) ? v : null);
        const obj = Object.fromEntries(Object.entries(row).map(([k, v]) => [k, fin(v)]));
        await sink.lines([JSON.stringify(obj)]);
        return;
      }
      columns ??= Object.keys(row);
      const lines: string[] = [];
      if (!headerDone) {
        lines.push(columns.map(csvField).join(','));
        headerDone = true;
      }
      lines.push(
        columns.map((c) => csvNumber(Object.hasOwn(row, c) ? row[c] : undefined)).join(','),
      );
      await sink.lines(lines);
    },
  };
}

function writeSink(write: (line: string) => void | Promise<void>): Sink {
  return {
    begin: async () => undefined,
    async lines(lines) {
      for (const l of lines) await write(l);
    },
  };
}

// A specifier in a variable: bundlers for browsers leave the import alone
// (it runs only when a file logger starts training, and only under Node).
const FS_MODULE = 'node:fs/promises';

/** The first line of a file (read in bounded chunks), or undefined when it is empty or missing. */
async function firstLine(fs: typeof import('node:fs/promises'), path: string) {
  let fh: import('node:fs/promises').FileHandle;
  try {
    fh = await fs.open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    let text = '';
    const buf = new Uint8Array(65_536);
    const decoder = new TextDecoder();
    for (let pos = 0; text.length < 16 * 1024 * 1024; ) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      text += decoder.decode(buf.subarray(0, bytesRead), { stream: true });
      const nl = text.indexOf('\n');
      if (nl >= 0) return text.slice(0, nl).replace(/\r$/, '');
    }
    return text === '' ? undefined : text;
  } finally {
    await fh.close();
  }
}

function fileSink(path: string, append: boolean, format: 'csv' | 'jsonl'): Sink {
  let fs: typeof import('node:fs/promises') | undefined;
  const op = 'metricsLogger';
  const fail = (what: string, e: unknown) =>
    NerveError.raw(op, `cannot ${what} '${path}': ${(e as Error)?.message ?? String(e)}`);
  return {
    async begin() {
      try {
        fs = (await import(/* @vite-ignore */ FS_MODULE)) as typeof import('node:fs/promises');
      } catch (e) {
        throw NerveError.raw(
          op,
          `a file path needs Node's file system (${(e as Error).message}); pass a write sink instead`,
        );
      }
      try {
        if (!append) {
          await fs.writeFile(path, '');
          return undefined;
        }
        return format === 'csv' ? await firstLine(fs, path) : undefined;
      } catch (e) {
        throw fail(append ? 'read' : 'create', e);
      }
    },
    async lines(lines) {
      if (!fs) throw NerveError.raw(op, 'an epoch ended before training began');
      try {
        // Opened, written, synced and closed per epoch: nothing stays open
        // if training dies, and what was logged is on disk.
        const fh = await fs.open(path, 'a');
        try {
          await fh.write(`${lines.join('\n')}\n`);
          await fh.datasync();
        } finally {
          await fh.close();
        }
      } catch (e) {
        throw fail('append to', e);
      }
    },
  };
}
