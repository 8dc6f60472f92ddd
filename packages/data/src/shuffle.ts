/**
 * Seeded permutations for splits and loaders. The random bits come from
 * core's Philox-4x32-10 with the seed as key; `stream` goes into the third
 * counter word, so every (seed, stream) pair — a loader's epoch, say — has
 * its own reproducible sequence without any generator state to carry.
 */
import { NerveError, philox4x32 } from '@nerve/core';

/** Throws unless `seed` is a non-negative safe integer (core's seed rule). */
export function checkSeed(op: string, seed: unknown): number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw new NerveError(op, 'a non-negative integer seed', String(seed));
  }
  return seed;
}

/** `n` uint32 values for (seed, stream); stream 0 matches `new Generator(seed).uint32(n)`. */
function randomBits(n: number, seed: number, stream: number): Uint32Array {
  const key: [number, number] = [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
  const out = new Uint32Array(Math.ceil(n / 4) * 4);
  const tmp = new Uint32Array(4);
  const s0 = stream >>> 0;
  const s1 = Math.floor(stream / 2 ** 32) >>> 0;
  for (let b = 0; b * 4 < n; b++) {
    philox4x32([b >>> 0, Math.floor(b / 2 ** 32) >>> 0, s0, s1], key, tmp);
    out.set(tmp, b * 4);
  }
  return out;
}

/**
 * A uniformly random permutation of 0..n-1 (Fisher–Yates, Knuth vol. 2
 * §3.4.2). j = ⌊u·(i+1)/2³²⌋ has a bias below n/2³², negligible here.
 */
export function permutation(n: number, seed: number, stream = 0): Int32Array {
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const bits = randomBits(n, seed, stream);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor((bits[i] * (i + 1)) / 2 ** 32);
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  return perm;
}
