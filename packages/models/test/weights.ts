/**
 * The weight generator of fixtures/make_reference.py in TypeScript: a
 * counter-based hash gives every parameter (and the input) the same float32
 * values in Python and here, so the tests rebuild torchvision's reference
 * network without committing its weights. Both sides compute
 * offset + (2u − 1)·scale in float64 from u = (hash >>> 8) / 2^24 (exact)
 * and round once to float32, so the values are bit-identical.
 */

/** Chris Wellons' lowbias32: a 32-bit integer hash (bijective, well mixed). */
export function lowbias32(v: number): number {
  let x = v >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** FNV-1a of the name's UTF-8 bytes. */
export function fnv1a(name: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(name)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/** The n 32-bit hashes of `name`'s stream: lowbias32(lowbias32(i) ^ key). */
export function hashed(name: string, n: number, seed: number): Uint32Array {
  const key = lowbias32((fnv1a(name) ^ seed) >>> 0);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = lowbias32(lowbias32(i) ^ key);
  return out;
}

/** One tensor's recipe: offset + (2u − 1)·scale per value. */
export interface Recipe {
  name: string;
  shape: number[];
  offset: number;
  scale: number;
}

/** The float32 values of a recipe, as make_reference.py's `generate`. */
export function generate(r: Recipe, seed: number): Float32Array {
  const n = r.shape.reduce((a, b) => a * b, 1);
  const h = hashed(r.name, n, seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = r.offset + (2 * ((h[i] >>> 8) / 16777216) - 1) * r.scale;
  return out;
}

/** The `count` indices of a tensor of `size` values whose gradients the fixture holds. */
export function picks(name: string, size: number, count: number, seed: number): number[] {
  return Array.from(hashed(`pick:${name}`, count, seed), (h) => h % size);
}
