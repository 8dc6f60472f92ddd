/**
 * Random numbers on the host, for initializers that post-process them there
 * (truncated normal, orthogonal). Values are rounded to float32 so a draw is
 * the same whether it comes from `{ seed }`, `{ generator }` or the global
 * generator after `manualSeed`, exactly as core's `rand`/`randn` behave.
 */
import { Generator, NerveError, type Tensor, rand, randn } from '@nerve/core';

/** How an initializer picks its random numbers (core's RandomOptions subset). */
export interface InitOptions {
  /** A seed for this call alone. */
  seed?: number;
  /** An explicit generator to draw from (wins over `seed`, as in core). */
  generator?: Generator;
}

function explicitGenerator(opts: InitOptions): Generator | null {
  if (opts.generator) return opts.generator;
  return opts.seed !== undefined ? new Generator(opts.seed) : null;
}

/**
 * Core does not export its global generator, so draws from it go through
 * `rand`/`randn` and are read back; that needs a backend that reads
 * synchronously (cpu). Reported to core as a missing export.
 */
function readBack(op: string, t: Tensor): Float64Array {
  try {
    if (!t.backend.readSync) {
      throw NerveError.raw(
        op,
        `the global generator can only be read back synchronously on backends that support it; pass { seed } or { generator } on backend '${t.backend.name}'`,
      );
    }
    return Float64Array.from(t.dataSync());
  } finally {
    t.dispose();
  }
}

/** `n` uniform values in [0, 1). */
export function hostUniform(op: string, n: number, opts: InitOptions): Float64Array {
  const g = explicitGenerator(opts);
  // 24-bit uniforms are exact in float32, so no rounding is needed here.
  return g ? g.uniform(n) : readBack(op, rand([n]));
}

/** `n` standard normal values, rounded to float32. */
export function hostNormal(op: string, n: number, opts: InitOptions): Float64Array {
  const g = explicitGenerator(opts);
  if (!g) return readBack(op, randn([n]));
  const z = g.normal(n);
  for (let i = 0; i < n; i++) z[i] = Math.fround(z[i]);
  return z;
}
