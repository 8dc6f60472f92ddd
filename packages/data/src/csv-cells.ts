/**
 * The cells of a numeric CSV, read strictly: features are decimal numbers
 * (what Python's float() and pandas read, minus hexadecimal and the like,
 * which JavaScript's Number() would accept silently); labels are plain
 * non-negative decimal integers in int32 range. Non-finite features (nan,
 * inf, or a number beyond float32 range such as 1e39) are refused unless
 * the caller opts in, because one NaN input turns weights NaN while the
 * loss can stay finite.
 */

/** A decimal number: optional sign, digits with an optional point, optional exponent. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** The spellings of NaN and infinity that pandas and Python's float() read. */
const NON_FINITE = /^([+-]?)(?:(nan)|inf|infinity)$/i;
/** Labels: ASCII digits only (leading zeros allowed, as Python's int() reads them). */
const LABEL = /^\d+$/;
const INT32_MAX = 2 ** 31 - 1;

/**
 * The value of a cell, or why it is refused: the message reads
 * `${what} at line L, column C${why}`.
 */
export type CellResult = { value: number } | { what: string; why: string };

/** Parses a trimmed feature cell; non-finite values only when `allowNonFinite`. */
export function parseFeature(cell: string, allowNonFinite: boolean): CellResult {
  if (cell === '') return { what: 'an empty value', why: '' };
  let value: number;
  if (DECIMAL.test(cell)) {
    value = Number(cell);
  } else {
    const m = NON_FINITE.exec(cell);
    if (m === null) return { what: `non-numeric value '${show(cell)}'`, why: hint(cell) };
    value = m[2] !== undefined ? Number.NaN : m[1] === '-' ? -Infinity : Infinity;
  }
  // The features are stored as float32: a finite double such as 1e39 still
  // becomes Infinity there.
  if (!allowNonFinite && !Number.isFinite(Math.fround(value))) {
    const as = Number.isNaN(value) ? 'NaN' : Number.isFinite(value) ? 'Infinity in float32' : value;
    return {
      what: `non-finite value '${show(cell)}' (${as})`,
      why: '; pass { allowNonFinite: true } to keep such values',
    };
  }
  return { value };
}

/** Parses a trimmed label cell: a decimal integer in 0..2³¹−1, or why it is refused. */
export function parseLabel(cell: string): CellResult {
  if (!LABEL.test(cell)) {
    return {
      what: cell === '' ? 'an empty label' : `label '${show(cell)}'`,
      why: ' is not a non-negative decimal integer (labels are written like 0, 7, 12)',
    };
  }
  const value = Number(cell);
  if (value > INT32_MAX) {
    return { what: `label ${show(cell)}`, why: ` is above the int32 maximum ${INT32_MAX}` };
  }
  return { value };
}

function show(cell: string): string {
  return cell.length > 40 ? `${cell.slice(0, 40)}…` : cell;
}

function hint(cell: string): string {
  if (/^[+-]?0[xXoObB]/.test(cell)) return ' (only decimal numbers are read)';
  if (cell.startsWith('"') || cell.startsWith("'")) return ' (quoted values are not read)';
  return '';
}
