/**
 * Argument checks shared by optimizers, schedulers and clipping. Each throws
 * a NerveError naming the operation, what it expected and what it received.
 */
import { NerveError, describeValue } from '@nerve/core';

/** A finite number ≥ `min` (and ≤ `max` when given). */
export function checkNumber(op: string, name: string, v: unknown, min = 0, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    const range =
      max === Infinity ? `a finite number ≥ ${min}` : `a finite number in [${min}, ${max}]`;
    throw new NerveError(op, `${name} to be ${range}`, describeValue(v));
  }
  return v;
}

/** An integer ≥ `min`. */
export function checkInt(op: string, name: string, v: unknown, min = 0): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new NerveError(op, `${name} to be an integer ≥ ${min}`, describeValue(v));
  }
  return v;
}

/** A boolean. */
export function checkBool(op: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new NerveError(op, `${name} to be a boolean`, describeValue(v));
  return v;
}

/** Each element a finite number ≥ `min`. */
export function checkNumbers(op: string, name: string, values: readonly unknown[], min = 0): void {
  for (const [i, v] of values.entries()) checkNumber(op, `${name}[${i}]`, v, min);
}

/** One of the allowed strings. */
export function checkChoice<T extends string>(
  op: string,
  name: string,
  v: unknown,
  allowed: readonly T[],
): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new NerveError(
      op,
      `${name} to be one of ${allowed.map((a) => `'${a}'`).join(', ')}`,
      describeValue(v),
    );
  }
  return v as T;
}

/** A plain options object (or undefined, read as {}), with no keys outside `known`. */
export function checkOptions(
  op: string,
  opts: unknown,
  known: readonly string[],
): Record<string, unknown> {
  if (opts === undefined) return {};
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    throw new NerveError(op, 'an options object', describeValue(opts));
  }
  for (const k of Object.keys(opts)) {
    if (!known.includes(k)) {
      throw new NerveError(op, `options among ${known.join(', ')}`, `unknown option '${k}'`);
    }
  }
  return opts as Record<string, unknown>;
}

/** A number, or one number per parameter group; returns one per group. */
export function perGroup(op: string, name: string, v: unknown, groups: number, min = 0): number[] {
  if (Array.isArray(v)) {
    if (v.length !== groups) {
      throw new NerveError(
        op,
        `${groups} values for ${name} (one per param group)`,
        describeValue(v),
      );
    }
    return v.map((x, i) => checkNumber(op, `${name}[${i}]`, x, min));
  }
  return new Array<number>(groups).fill(checkNumber(op, name, v, min));
}
