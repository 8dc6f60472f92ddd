/**
 * Random tensors from the seeded counter-based generator (random.ts).
 */
import { NerveError } from '../errors.js';
import { getBackend } from '../registry.js';
import { Generator, defaultGenerator } from '../random.js';
import { sizeOf, validateNewShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { wrap } from './util.js';

/** Options of the random creation functions (rand, randn, randint, …). */
export interface RandomOptions {
  /** A seed for this call alone; otherwise the global generator (see manualSeed) advances. */
  seed?: number;
  /** An explicit generator to draw from. */
  generator?: Generator;
  /** Make the new tensor a leaf that autograd tracks. */
  requiresGrad?: boolean;
}

function gen(opts: RandomOptions): Generator {
  if (opts.generator) return opts.generator;
  return opts.seed !== undefined ? new Generator(opts.seed) : defaultGenerator;
}

function upload(
  op: string,
  shape: readonly number[],
  values: Float64Array,
  opts: RandomOptions,
): Tensor {
  const s = validateNewShape(op, shape);
  const backend = getBackend();
  const t = wrap(backend, backend.upload(Float32Array.from(values), 'float32'), s, 'float32');
  if (opts.requiresGrad) t.requiresGrad = true;
  return t;
}

/** Uniform values in [low, high). */
export function rand(
  shape: readonly number[],
  opts: RandomOptions & { low?: number; high?: number } = {},
): Tensor {
  const s = validateNewShape('rand', shape);
  const low = opts.low ?? 0;
  const high = opts.high ?? 1;
  if (!Number.isFinite(low) || !Number.isFinite(high) || low > high) {
    throw new NerveError('rand', 'finite bounds with low ≤ high', `low ${low}, high ${high}`);
  }
  const u = gen(opts).uniform(sizeOf(s));
  for (let i = 0; i < u.length; i++) u[i] = low + (high - low) * u[i];
  return upload('rand', s, u, opts);
}

/** Normal values with `mean` and `std` (standard normal by default). */
export function randn(
  shape: readonly number[],
  opts: RandomOptions & { mean?: number; std?: number } = {},
): Tensor {
  const s = validateNewShape('randn', shape);
  const mean = opts.mean ?? 0;
  const std = opts.std ?? 1;
  if (!Number.isFinite(mean) || !Number.isFinite(std) || std < 0) {
    throw new NerveError('randn', 'a finite mean and std ≥ 0', `mean ${mean}, std ${std}`);
  }
  const z = gen(opts).normal(sizeOf(s));
  for (let i = 0; i < z.length; i++) z[i] = mean + std * z[i];
  return upload('randn', s, z, opts);
}

/** Uniform int32 values in [low, high). */
export function randint(
  low: number,
  high: number,
  shape: readonly number[],
  opts: Omit<RandomOptions, 'requiresGrad'> = {},
): Tensor {
  const s = validateNewShape('randint', shape);
  if (!Number.isInteger(low) || !Number.isInteger(high) || low >= high) {
    throw new NerveError('randint', 'integers with low < high', `low ${low}, high ${high}`);
  }
  const bits = gen(opts).uint32(sizeOf(s));
  const out = new Int32Array(bits.length);
  const span = high - low;
  for (let i = 0; i < bits.length; i++) out[i] = low + Math.floor((bits[i] / 2 ** 32) * span);
  const backend = getBackend();
  return wrap(backend, backend.upload(out, 'int32'), s, 'int32');
}
