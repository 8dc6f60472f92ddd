/** Number formatting shared by tables, text plots, tick labels and reports. */

/** Removes trailing zeros of a fixed or exponential number string ("0.8670" → "0.867", "3.00e-7" → "3e-7"). */
function trimZeros(s: string): string {
  const [mant, exp] = s.split('e');
  let m = mant ?? s;
  if (m.includes('.')) m = m.replace(/0+$/, '').replace(/\.$/, '');
  return exp === undefined ? m : `${m}e${exp.replace(/^\+/, '')}`;
}

/**
 * A number in at most `digits` significant digits: integers below 1e7 as
 * they are, magnitudes under 1e-3 or from 1e7 up in exponent form, the rest
 * fixed; trailing zeros dropped. NaN and ±∞ spelled out.
 */
export function formatNumber(v: number, digits = 4): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '-∞';
  const a = Math.abs(v);
  if (Number.isInteger(v) && a < 1e7) return String(v);
  if (a < 1e-3 || a >= 1e7) return trimZeros(v.toExponential(Math.max(0, digits - 2)));
  return trimZeros(v.toPrecision(digits));
}

/** A tick on a log axis: powers of ten from 0.01 to 1000 written out, others as 1e-6. */
export function formatLogTick(v: number): string {
  const k = Math.log10(v);
  if (Math.abs(k - Math.round(k)) < 1e-9) {
    const p = Math.round(k);
    if (p >= -2 && p <= 3) return String(10 ** p);
    return `1e${p}`;
  }
  return formatNumber(v, 3);
}
