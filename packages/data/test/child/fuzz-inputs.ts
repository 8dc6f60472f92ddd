/**
 * fast-check arbitraries for the parser fuzz: valid IDX and CSV files, the
 * mutations applied to them, and the gzip wrappers (plain gzip, mutated
 * gzip, multi-member gzip and small gzip bombs of zeros).
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { idxBytes } from '../idx-bytes.js';

/** A byte-level mutation of a file. */
export type Mutation =
  | { kind: 'flip'; pos: number; bit: number }
  | { kind: 'set'; pos: number; byte: number }
  | { kind: 'truncate'; pos: number }
  | { kind: 'insert'; pos: number; bytes: Uint8Array }
  | { kind: 'delete'; pos: number; length: number }
  | { kind: 'dim'; index: number; value: number }
  | { kind: 'rank'; value: number };

const DIM_VALUES = [0, 1, 2, 3, 255, 256, 65535, 2 ** 24, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1];

/** Mutations; positions are taken modulo the file length when applied. */
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), pos: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('set' as const), pos: fc.nat(), byte: fc.nat(255) }),
  fc.record({ kind: fc.constant('truncate' as const), pos: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    pos: fc.nat(),
    bytes: fc.uint8Array({ maxLength: 32 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), pos: fc.nat(), length: fc.nat(16) }),
  fc.record({
    kind: fc.constant('dim' as const),
    index: fc.nat(5),
    value: fc.oneof(fc.constantFrom(...DIM_VALUES), fc.nat()),
  }),
  fc.record({ kind: fc.constant('rank' as const), value: fc.nat(255) }),
);

/** Applies mutations in order (IDX-aware ones rewrite header fields). */
export function mutate(bytes: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let b = Uint8Array.from(bytes);
  for (const m of ms) {
    const at = (pos: number) => (b.length === 0 ? 0 : pos % b.length);
    if (m.kind === 'flip' && b.length > 0) b[at(m.pos)] ^= 1 << m.bit;
    else if (m.kind === 'set' && b.length > 0) b[at(m.pos)] = m.byte;
    else if (m.kind === 'truncate') b = b.subarray(0, at(m.pos));
    else if (m.kind === 'insert') {
      const p = at(m.pos);
      b = Uint8Array.from([...b.subarray(0, p), ...m.bytes, ...b.subarray(p)]);
    } else if (m.kind === 'delete') {
      const p = at(m.pos);
      b = Uint8Array.from([...b.subarray(0, p), ...b.subarray(p + m.length)]);
    } else if (m.kind === 'dim' && b.length >= 8 + 4 * m.index) {
      new DataView(b.buffer, b.byteOffset).setUint32(4 + 4 * m.index, m.value, false);
    } else if (m.kind === 'rank' && b.length >= 4) b[3] = m.value;
  }
  return b;
}

/** How a mutated file is wrapped. */
export type Wrapper =
  | { kind: 'plain' }
  | { kind: 'gzip' }
  | { kind: 'gzip-then-mutate'; mutations: Mutation[] }
  | { kind: 'multi-member'; split: number }
  | { kind: 'bomb'; members: number };

/** Wrappers; bombs hold 1 to `maxBombMiB` MiB of zeros. */
export const wrapper = (maxBombMiB: number): fc.Arbitrary<Wrapper> =>
  fc.oneof(
    fc.constant({ kind: 'plain' as const }),
    fc.constant({ kind: 'gzip' as const }),
    fc.record({
      kind: fc.constant('gzip-then-mutate' as const),
      mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }),
    }),
    fc.record({ kind: fc.constant('multi-member' as const), split: fc.nat() }),
    fc.record({
      kind: fc.constant('bomb' as const),
      members: fc.integer({ min: 1, max: maxBombMiB }),
    }),
  );

/** One gzip member of 1 MiB of zeros (about 1 KiB): bombs repeat it. */
const ZEROS_MEMBER = gzipSync(new Uint8Array(2 ** 20), { level: 9 });

/** The file's bytes after wrapping. */
export function wrap(bytes: Uint8Array, w: Wrapper): Uint8Array {
  if (w.kind === 'plain') return bytes;
  if (w.kind === 'gzip') return gzipSync(bytes);
  if (w.kind === 'gzip-then-mutate') return mutate(gzipSync(bytes), w.mutations);
  if (w.kind === 'multi-member') {
    const p = bytes.length === 0 ? 0 : w.split % bytes.length;
    return Buffer.concat([gzipSync(bytes.subarray(0, p)), gzipSync(bytes.subarray(p))]);
  }
  return Buffer.concat([gzipSync(bytes), ...new Array<Uint8Array>(w.members).fill(ZEROS_MEMBER)]);
}

/** A valid IDX file: 1–4 small dimensions and bytes derived from `fill`. */
export const validIdx: fc.Arbitrary<Uint8Array> = fc
  .record({
    dims: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
    fill: fc.nat(255),
  })
  .map(({ dims, fill }) => {
    const n = dims.reduce((a, b) => a * b, 1);
    return idxBytes(
      dims,
      Array.from({ length: n }, (_, i) => (fill + i * 37) % 256),
    );
  });

/** Tokens that CSV readers get wrong: non-finite, huge, hexadecimal, quoting, separators. */
const CSV_TOKENS = [
  'nan',
  'NaN',
  '-nan',
  'inf',
  '-inf',
  'Infinity',
  '1e999',
  '-1e999',
  '1e39',
  '1e-50',
  '0x10',
  '0b1',
  '0o7',
  '3000000000',
  '2147483647',
  '2147483648',
  '-1',
  '+5',
  '1e3',
  '5.0',
  '007',
  '"',
  '""',
  '"1,2"',
  "'3'",
  ',',
  ',,',
  '\n',
  '\r\n',
  '\n\n',
  '\r',
  ' ',
  '\t',
  '.',
  'e',
  '-',
  '\uFEFF',
  '\0',
  '١',
  '9'.repeat(400),
  '1_000',
  'null',
  'NA',
  '',
];

// Mostly plain numbers, so that some files load and the success path is fuzzed too.
const number = fc.oneof(
  { arbitrary: fc.integer({ min: -1000, max: 1000 }).map(String), weight: 6 },
  {
    arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map(String),
    weight: 6,
  },
  { arbitrary: fc.constantFrom(...CSV_TOKENS), weight: 1 },
);

/** A CSV edit: a token inserted, a range deleted, or a line duplicated. */
export type CsvEdit =
  | { kind: 'insert'; pos: number; text: string }
  | { kind: 'delete'; pos: number; length: number }
  | { kind: 'duplicate'; pos: number };

export const csvEdit: fc.Arbitrary<CsvEdit> = fc.oneof(
  fc.record({
    kind: fc.constant('insert' as const),
    pos: fc.nat(),
    text: fc.oneof(fc.constantFrom(...CSV_TOKENS), fc.string({ maxLength: 8 })),
  }),
  fc.record({ kind: fc.constant('delete' as const), pos: fc.nat(), length: fc.nat(12) }),
  fc.record({ kind: fc.constant('duplicate' as const), pos: fc.nat() }),
);

export function editCsv(text: string, edits: readonly CsvEdit[]): string {
  for (const e of edits) {
    const p = text.length === 0 ? 0 : e.pos % (text.length + 1);
    if (e.kind === 'insert') text = text.slice(0, p) + e.text + text.slice(p);
    else if (e.kind === 'delete') text = text.slice(0, p) + text.slice(p + e.length);
    else {
      const start = text.lastIndexOf('\n', p - 1) + 1;
      const end = text.indexOf('\n', p);
      const line = text.slice(start, end === -1 ? text.length : end + 1);
      text = text.slice(0, start) + line + text.slice(start);
    }
  }
  return text;
}

/** A valid-looking CSV (an optional header, rows of numbers, a label column) and whether it has a header. */
export const validCsv: fc.Arbitrary<{ text: string; header: boolean }> = fc
  .record({
    header: fc.boolean(),
    cols: fc.integer({ min: 1, max: 5 }),
    rows: fc.array(fc.tuple(fc.array(number, { minLength: 5, maxLength: 5 }), fc.nat(9)), {
      minLength: 1,
      maxLength: 8,
    }),
    crlf: fc.boolean(),
  })
  .map(({ header, cols, rows, crlf }) => {
    const eol = crlf ? '\r\n' : '\n';
    const lines = rows.map(([xs, y]) => [...xs.slice(0, cols), String(y)].join(','));
    if (header) lines.unshift([...Array.from({ length: cols }, (_, i) => `f${i}`), 'y'].join(','));
    return { text: lines.join(eol) + eol, header };
  });

/** loadCsv options worth varying; `header` left out means "as the file was written". */
export const csvOptions = fc.record(
  {
    header: fc.option(fc.boolean(), { freq: 4, nil: undefined }),
    labelColumn: fc.oneof(
      { arbitrary: fc.constant('last' as const), weight: 4 },
      { arbitrary: fc.constant('first' as const), weight: 1 },
      { arbitrary: fc.integer({ min: -6, max: 6 }), weight: 1 },
    ),
    numClasses: fc.option(fc.integer({ min: 1, max: 16 }), { freq: 2, nil: undefined }),
    allowNonFinite: fc.boolean(),
    // Small caps make bombs (and ordinary files) meet the maxBytes refusal.
    maxBytes: fc.option(fc.integer({ min: 1, max: 2 ** 21 }), { freq: 3, nil: undefined }),
  },
  { requiredKeys: [] },
);
