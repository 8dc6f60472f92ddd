/**
 * core's optional `sumOuterInner` (a conv bias gradient: [N, C, H·W] → [C])
 * without the permuted copy the fallback makes: wasm on heap blocks
 * (../wasm/sum-outer-inner.ts), else the same sums in JavaScript. Each
 * output is one float64 sum in (outer, inner) order rounded once, as
 * reduce.ts sums a row of the fallback's copy, so the bits are the same.
 */
import { allocF32 } from '../alloc.js';
import { poolFast } from './maxpool-fast.js';
import { poolRunner, ranges } from './pool-tasks.js';

export function sumOuterInner(
  x: Float32Array,
  outer: number,
  size: number,
  inner: number,
): Float32Array {
  const out = allocF32(size, true);
  const r = poolFast && size > 0 ? poolRunner(x, out) : null;
  if (r !== null) {
    // Tasks of whole blocks of four channels (the kernel's chains).
    const tasks = ranges(size, outer * size * inner, r.threads, 4).map(([a, b]) => [
      x.byteOffset + 4 * a * inner,
      out.byteOffset + 4 * a,
      outer,
      b - a,
      inner,
      size,
    ]);
    r.run('sumOI', tasks);
    return out;
  }
  for (let b = 0; b < size; b++) {
    let s = 0;
    for (let a = 0; a < outer; a++) {
      const base = (a * size + b) * inner;
      for (let c = 0; c < inner; c++) s += x[base + c];
    }
    out[b] = s;
  }
  return out;
}
