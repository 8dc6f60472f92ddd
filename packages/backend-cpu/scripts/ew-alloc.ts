/**
 * What a kernel output costs to obtain on [784, 256] float32: fresh, pooled
 * and zeroed, pooled as is (median ms, each followed by one write pass).
 *   node --import tsx --conditions=@nerve/source packages/backend-cpu/scripts/ew-alloc.ts
 */
import { BufferPool } from '../src/alloc.js';

const n = 200704;
const pool = new BufferPool();
function med(name: string, get: () => Float32Array, give: (v: Float32Array) => void): void {
  const xs: number[] = [];
  for (let i = 0; i < 80; i++) {
    const t = performance.now();
    const v = get();
    for (let j = 0; j < n; j++) v[j] = j;
    xs.push(performance.now() - t);
    give(v);
  }
  xs.sort((a, b) => a - b);
  console.log(`${name.padEnd(34)} ${xs[40].toFixed(3)} ms`);
}
for (let r = 0; r < 2; r++) {
  med(
    'new Float32Array + write',
    () => new Float32Array(n),
    () => {},
  );
  med(
    'pool, zeroed (.fill(0)) + write',
    () => pool.alloc('float32', n) as Float32Array,
    (v) => pool.recycle(v),
  );
  med(
    'pool, overwrite + write',
    () => pool.alloc('float32', n, true) as Float32Array,
    (v) => pool.recycle(v),
  );
}
