/**
 * Test plumbing shared by the case tables: deterministic host data, tensors
 * from host arrays, reading results back (async, so GPU backends work),
 * tolerance checks with informative messages, gradient checks, and a test
 * wrapper that asserts no tensor outlives the test.
 */
import { expect, it } from 'vitest';
import {
  type DType,
  type GradCheckOptions,
  type GradCheckResult,
  type Tensor,
  gradCheck,
  memory,
  tensor,
  tidy,
} from '../index.js';
import { type HostArray, host, numel, unravel } from './reference.js';

// ---- deterministic host data -------------------------------------------------

/** FNV-1a hash of a label: every case gets its own reproducible data. */
export function seedOf(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** mulberry32: a small seeded generator of floats in [0, 1). */
export function rng(seed: number | string): () => number {
  let a = typeof seed === 'string' ? seedOf(seed) : seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Float32-representable uniform values in [lo, hi); values for which `avoid`
 * is true (kinks, poles, ties) are redrawn.
 */
export function uniform(
  shape: readonly number[],
  lo: number,
  hi: number,
  seed: number | string,
  avoid?: (v: number) => boolean,
): HostArray {
  const r = rng(seed);
  const out = new Float64Array(numel(shape));
  for (let i = 0; i < out.length; i++) {
    let v: number;
    do v = Math.fround(lo + (hi - lo) * r());
    while (avoid?.(v));
    out[i] = v;
  }
  return { shape: [...shape], data: out };
}

/** Values drawn from a small set (to create ties and exact comparisons). */
export function choice(
  shape: readonly number[],
  values: readonly number[],
  seed: number | string,
): HostArray {
  const r = rng(seed);
  const out = new Float64Array(numel(shape));
  for (let i = 0; i < out.length; i++) out[i] = values[Math.floor(r() * values.length)];
  return { shape: [...shape], data: out };
}

/** Integers in [lo, hi). */
export function integers(
  shape: readonly number[],
  lo: number,
  hi: number,
  seed: number | string,
): HostArray {
  const r = rng(seed);
  const out = new Float64Array(numel(shape));
  for (let i = 0; i < out.length; i++) out[i] = lo + Math.floor(r() * (hi - lo));
  return { shape: [...shape], data: out };
}

/** Distinct values spaced `gap` apart (shuffled), centred on 0: no ties for max/min/pool. */
export function distinct(shape: readonly number[], seed: number | string, gap = 0.1): HostArray {
  const n = numel(shape);
  const r = rng(seed);
  const v = Array.from({ length: n }, (_, i) => (i - (n - 1) / 2) * gap);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [v[i], v[j]] = [v[j], v[i]];
  }
  return host(v.map(Math.fround), shape);
}

/** An `avoid` predicate: true within `margin` of k + `at` for any integer k (kinks, jumps). */
export const nearGrid =
  (margin: number, at = 0) =>
  (v: number): boolean =>
    Math.abs(v - at - Math.round(v - at)) < margin;

// ---- tensors and results -----------------------------------------------------

/** A new tensor holding `h` as `dtype` (float32 by default). */
export function T(h: HostArray, dtype: DType = 'float32'): Tensor {
  const values =
    dtype === 'float32'
      ? Float32Array.from(h.data)
      : dtype === 'int32'
        ? Int32Array.from(h.data)
        : Uint8Array.from(h.data, (v) => (v !== 0 ? 1 : 0));
  return tensor(values, { shape: h.shape, dtype });
}

/** A result read back to the host. */
export interface Out extends HostArray {
  /** The dtype the backend returned. */
  readonly dtype: DType;
}

/**
 * Runs `fn` inside `tidy`, reads every returned tensor with `await data()`
 * and disposes them: the inputs and intermediates `fn` created never leak.
 */
export async function run(fn: () => Tensor | readonly Tensor[]): Promise<Out[]> {
  const outs = tidy(() => {
    const r = fn();
    return Array.isArray(r) ? [...(r as Tensor[])] : [r as Tensor];
  });
  try {
    return await Promise.all(
      outs.map(async (t) => ({
        shape: [...t.shape],
        dtype: t.dtype,
        data: Float64Array.from(await t.data()),
      })),
    );
  } finally {
    for (const t of outs) t.dispose();
  }
}

/** Runs `fn` and returns its single result. */
export async function run1(fn: () => Tensor): Promise<Out> {
  return (await run(fn))[0];
}

/** A tolerance: |actual − expected| ≤ atol + rtol·|expected|. */
export interface Tol {
  /** Relative tolerance. */
  rtol: number;
  /** Absolute tolerance. */
  atol: number;
}

/** Tolerances used throughout (float32 results vs float64 references). */
export const TOL: {
  /** Bit-exact results (integer ops, copies). */
  readonly exact: Tol;
  /** Single rounding steps (arithmetic). */
  readonly tight: Tol;
  /** Transcendental functions (exp, log, tanh, …). */
  readonly transcendental: Tol;
  /** Sums and other accumulations. */
  readonly sums: Tol;
} = {
  exact: { rtol: 0, atol: 0 },
  tight: { rtol: 1e-5, atol: 1e-6 },
  transcendental: { rtol: 1e-4, atol: 1e-5 },
  sums: { rtol: 1e-4, atol: 1e-4 },
};

const fmt = (shape: readonly number[]) => `[${shape.join(',')}]`;

function close(got: number, want: number, tol: Tol): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (!Number.isFinite(want)) return got === want;
  return Math.abs(got - want) <= tol.atol + tol.rtol * Math.abs(want);
}

/**
 * Asserts shape (and dtype, when given) and every value within tolerance;
 * the failure message names the first bad element, its value and the expected one.
 */
export function expectClose(
  got: HostArray & { dtype?: DType },
  want: HostArray,
  tol: Tol,
  label: string,
  dtype?: DType,
): void {
  if (dtype !== undefined) expect(got.dtype, `${label}: dtype`).toBe(dtype);
  expect(fmt(got.shape), `${label}: shape`).toBe(fmt(want.shape));
  let bad = 0;
  let first = '';
  // float32 results are compared with the reference rounded to float32 (overflow to ±∞ included).
  const exactType = got.dtype === 'int32' || got.dtype === 'bool';
  for (let i = 0; i < want.data.length; i++) {
    const w = exactType ? want.data[i] : Math.fround(want.data[i]);
    if (!close(got.data[i], w, tol)) {
      if (bad === 0) {
        first = `first at ${fmt(unravel(i, want.shape))}: got ${got.data[i]}, expected ${want.data[i]}`;
      }
      bad++;
    }
  }
  expect(
    bad,
    `${label}: ${bad} of ${want.data.length} values outside rtol ${tol.rtol} / atol ${tol.atol}; ${first}`,
  ).toBe(0);
}

/** Asserts that two backend results agree with each other. */
export function expectAgree(a: Out, b: Out, tol: Tol, label: string): void {
  expectClose(a, b, tol, label, b.dtype);
}

// ---- gradients ---------------------------------------------------------------

/** An input of a gradient check: float32 host data, or another dtype held as given. */
export type GradInput =
  | HostArray
  | {
      /** The values. */
      h: HostArray;
      /** The dtype of the tensor made from them. */
      dtype: DType;
    };

/**
 * gradCheck of `fn` at `inputs`; the failure message carries `worst`. With
 * `zero`, also asserts that the analytic gradient is identically zero.
 */
export async function expectGrad(
  label: string,
  fn: (...xs: Tensor[]) => Tensor,
  inputs: readonly GradInput[],
  opts: GradCheckOptions & { zero?: boolean } = {},
): Promise<GradCheckResult> {
  const xs = inputs.map((inp) => ('h' in inp ? T(inp.h, inp.dtype) : T(inp)));
  try {
    const res = await gradCheck(fn, xs, opts);
    expect(
      res.ok,
      `${label}: gradient mismatch, worst ${JSON.stringify(res.worst)} (max |error| ${res.maxAbsError})`,
    ).toBe(true);
    if (opts.zero) {
      for (const g of res.analytic) {
        if (g)
          expect(
            g.some((v) => v !== 0),
            `${label}: analytic gradient should be all zeros`,
          ).toBe(false);
      }
    }
    return res;
  } finally {
    for (const x of xs) x.dispose();
  }
}

// ---- tests -------------------------------------------------------------------

/**
 * Registers a test whose body must leave the live tensor and buffer counts
 * exactly where it found them.
 */
export function check(name: string, body: () => Promise<void> | void): void {
  it(name, async () => {
    const before = memory();
    await body();
    const after = memory();
    expect(after.numTensors, `${name}: tensors leaked (live before ${before.numTensors})`).toBe(
      before.numTensors,
    );
    expect(after.numBuffers, `${name}: buffers leaked (held before ${before.numBuffers})`).toBe(
      before.numBuffers,
    );
  });
}

/** Asserts `fn` throws an error whose message contains every one of `parts`. */
export function expectThrows(fn: () => unknown, parts: readonly string[], label: string): void {
  let err: unknown = null;
  try {
    tidy(() => {
      fn();
    });
  } catch (e) {
    err = e;
  }
  expect(err, `${label}: expected an error`).toBeInstanceOf(Error);
  const msg = (err as Error).message;
  for (const p of parts) expect(msg, `${label}: the message should mention ${p}`).toContain(p);
}
