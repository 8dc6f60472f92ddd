/**
 * Seeded, counter-based random numbers: Philox-4x32-10 (Salmon et al. 2011,
 * "Parallel random numbers: as easy as 1, 2, 3").
 *
 * A counter-based generator maps (key, counter) to random bits with no hidden
 * state, so the same seed yields the same numbers on every backend and any
 * block can be computed independently (a GPU kernel can reproduce them).
 * The numbers are generated here on the host and uploaded.
 */
import { NerveError } from './errors.js';
import { processSingleton } from './process-state.js';

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two uint32 values. */
function mulhi(a: number, b: number): number {
  const aL = a & 0xffff;
  const aH = a >>> 16;
  const bL = b & 0xffff;
  const bH = b >>> 16;
  const ll = aL * bL;
  const lh = aL * bH;
  const hl = aH * bL;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (aH * bH + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
}

/** One Philox-4x32-10 block: four uint32 outputs for a 128-bit counter and a 64-bit key. */
export function philox4x32(
  counter: readonly [number, number, number, number],
  key: readonly [number, number],
  out: Uint32Array = new Uint32Array(4),
): Uint32Array {
  let [c0, c1, c2, c3] = counter;
  let [k0, k1] = key;
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    const n0 = (hi1 ^ c1 ^ k0) >>> 0;
    const n2 = (hi0 ^ c3 ^ k1) >>> 0;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
  return out;
}

/** A generator's position: the Philox key (from the seed) and the next block counter. */
export interface GeneratorState {
  /** The two 32-bit words of the Philox key. */
  key: [number, number];
  /** Counter of the next block of four numbers. */
  block: number;
}

/** A stream of random bits: a key from the seed and a block counter that advances. */
export class Generator {
  /** The stream's position, updated in place (the default generator's is shared, see below). */
  private readonly pos: GeneratorState;

  constructor(seed: number) {
    this.pos = { key: seedToKey(seed), block: 0 };
  }

  /** @internal a generator that reads and advances `pos` in place. */
  static over(pos: GeneratorState): Generator {
    const g = new Generator(0);
    (g as unknown as { pos: GeneratorState }).pos = pos;
    return g;
  }

  /** Restarts the stream from `seed`. */
  manualSeed(seed: number): void {
    this.pos.key = seedToKey(seed);
    this.pos.block = 0;
  }

  /** Where the stream stands (key and next block), to save in a checkpoint. */
  getState(): GeneratorState {
    return { key: [this.pos.key[0], this.pos.key[1]], block: this.pos.block };
  }

  /** Puts the stream back where `getState` found it; checked before anything changes. */
  setState(state: GeneratorState): void {
    const u32 = (x: unknown) =>
      Number.isInteger(x) && (x as number) >= 0 && (x as number) < 2 ** 32;
    const key = (state as { key?: unknown } | null)?.key;
    const block = (state as { block?: unknown } | null)?.block;
    if (
      !Array.isArray(key) ||
      key.length !== 2 ||
      !key.every(u32) ||
      !Number.isSafeInteger(block) ||
      (block as number) < 0
    ) {
      throw new NerveError(
        'Generator.setState',
        '{ key: [u32, u32], block: a non-negative integer }',
        JSON.stringify(state) ?? String(state),
      );
    }
    this.pos.key = [key[0], key[1]];
    this.pos.block = block as number;
  }

  /** `n` uint32 values: blocks `block, block+1, …`, four values each. */
  uint32(n: number): Uint32Array {
    const out = new Uint32Array(Math.ceil(n / 4) * 4);
    const tmp = new Uint32Array(4);
    const pos = this.pos;
    for (let i = 0; i < out.length; i += 4) {
      const b = pos.block++;
      philox4x32([b >>> 0, Math.floor(b / 2 ** 32) >>> 0, 0, 0], pos.key, tmp);
      out.set(tmp, i);
    }
    return out.subarray(0, n);
  }

  /** `n` floats uniform in [0, 1) with 24 random bits each (exact in float32). */
  uniform(n: number): Float64Array {
    const bits = this.uint32(n);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = (bits[i] >>> 8) * 2 ** -24;
    return out;
  }

  /** `n` standard normal values by the Box–Muller transform. */
  normal(n: number): Float64Array {
    const pairs = Math.ceil(n / 2);
    const u = this.uint32(pairs * 2);
    const out = new Float64Array(pairs * 2);
    for (let i = 0; i < pairs; i++) {
      // (bits + 1) / 2^32 lies in (0, 1], so the logarithm is finite.
      const u1 = ((u[2 * i] >>> 0) + 1) * 2 ** -32;
      const u2 = (u[2 * i + 1] >>> 0) * 2 ** -32;
      const r = Math.sqrt(-2 * Math.log(u1));
      out[2 * i] = r * Math.cos(2 * Math.PI * u2);
      out[2 * i + 1] = r * Math.sin(2 * Math.PI * u2);
    }
    return out.subarray(0, n);
  }
}

function seedToKey(seed: number): [number, number] {
  if (!Number.isInteger(seed) || seed < 0 || seed > Number.MAX_SAFE_INTEGER) {
    throw new Error(`manualSeed: expected a non-negative safe integer seed, received ${seed}`);
  }
  return [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
}

/**
 * The global generator used when no seed is given (seeded with 0 at start).
 * Its position is one per process, shared by every copy of core
 * (process-state.ts), so `manualSeed` through any copy seeds them all.
 */
export const defaultGenerator = Generator.over(
  processSingleton<GeneratorState>('random', () => ({ key: seedToKey(0), block: 0 })),
);

/** Reseeds the global generator (PyTorch's `torch.manual_seed`). */
export function manualSeed(seed: number): void {
  defaultGenerator.manualSeed(seed);
}

/** The global generator (what calls without a seed draw from). */
export function getDefaultGenerator(): Generator {
  return defaultGenerator;
}
