/**
 * Plumbing shared by the layers: seeding, argument checks and running a
 * computation so that inference does not leave intermediates behind.
 */
import { Generator, NerveError, type Pair, type Tensor, isGradEnabled, tidy } from '@nerve/core';
import type { InitOptions, Initializer } from '@nerve/init';

/** Where a layer's initializers draw from: its own generator for `seed`, else the global one. */
export function initSource(op: string, seed: number | undefined): InitOptions {
  if (seed === undefined) return {};
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new NerveError(op, 'a non-negative integer seed', String(seed));
  }
  return { generator: new Generator(seed) };
}

/** Runs an initializer and checks it honoured the requested shape and dtype. */
export function initTensor(
  op: string,
  name: string,
  init: Initializer,
  shape: readonly number[],
  source: InitOptions,
): Tensor {
  if (typeof init !== 'function') {
    throw new NerveError(op, `an Initializer function for ${name}`, String(init));
  }
  const t = init(shape, source);
  if (t?.isTensor !== true || t.dtype !== 'float32' || t.shape.join() !== shape.join()) {
    const got = t?.isTensor === true ? `a ${t.dtype} tensor [${t.shape.join(',')}]` : String(t);
    t?.isTensor === true && t.dispose();
    throw new NerveError(op, `the ${name} initializer to return float32 [${shape.join(',')}]`, got);
  }
  return t;
}

/** An integer ≥ `min`. */
export function intArg(op: string, name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new NerveError(op, `${name} as an integer ≥ ${min}`, String(v));
  }
  return v;
}

/** A Pair (number or [h, w]) of integers ≥ `min`, normalised to [h, w]. */
export function pairArg(op: string, name: string, v: Pair, min: number): [number, number] {
  const p = typeof v === 'number' ? [v, v] : Array.isArray(v) && v.length === 2 ? [...v] : null;
  if (!p || !p.every((x) => Number.isInteger(x) && x >= min)) {
    throw new NerveError(op, `${name} as an integer ≥ ${min} or a pair of them`, JSON.stringify(v));
  }
  return p as [number, number];
}

/**
 * Runs `fn`; when no graph will be recorded (gradients off, or no input
 * requires them) inside `tidy`, so inference frees its intermediates at once.
 * With a graph the intermediates stay alive for backward and belong to the
 * caller's scope (wrap training steps in `tidy`).
 */
export function run(inputs: readonly (Tensor | null)[], fn: () => Tensor): Tensor {
  const graph = isGradEnabled() && inputs.some((t) => t?.requiresGrad === true);
  return graph ? fn() : tidy(fn);
}

/** Throws unless `x` is a float32 tensor that passes `ok`; `what` describes the expected shape. */
export function requireInput(
  op: string,
  x: unknown,
  what: string,
  ok: (t: Tensor) => boolean,
): Tensor {
  const t = x as Tensor;
  if (t?.isTensor !== true) throw new NerveError(op, `a Tensor ${what}`, String(x));
  if (t.dtype !== 'float32' || !ok(t)) {
    throw new NerveError(
      op,
      `a float32 input ${what}`,
      `a ${t.dtype} tensor [${t.shape.join(',')}]`,
    );
  }
  return t;
}
