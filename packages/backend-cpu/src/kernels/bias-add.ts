/**
 * float32 a + b where a is dense and b broadcasts along every axis but one
 * (stride 1 there): a conv bias add, [N, C, H, W] + [1, C, 1, 1]. One wasm
 * call (../wasm/bias-add.ts, tasks over planes on the worker threads) instead
 * of binary.ts's SIMD row call per plane; the same float32 sums.
 */
import type { StridedView } from '@nerve/core/backend';
import { poolFast } from './maxpool-fast.js';
import { poolRunner, ranges } from './pool-tasks.js';

/** Planes shorter than this stay on binary.ts's rows (a per-plane scalar loop would lose). */
const MIN_PLANE = 16;

/** Writes out = a + b and returns true when the shapes fit (see the file comment), else false. */
export function biasAdd(
  out: Float32Array,
  av: Float32Array,
  a: StridedView,
  bv: Float32Array,
  b: StridedView,
  shape: readonly number[],
): boolean {
  if (!poolFast) return false;
  const r = shape.length;
  // a dense, row-major.
  let step = 1;
  for (let i = r - 1; i >= 0; i--) {
    if (shape[i] !== 1 && a.strides[i] !== step) return false;
    step *= shape[i];
  }
  // b: stride 0 on every axis of size > 1 but one, whose stride is 1.
  let k = -1;
  for (let i = 0; i < r; i++) {
    if (shape[i] === 1 || b.strides[i] === 0) continue;
    if (k >= 0 || b.strides[i] !== 1) return false;
    k = i;
  }
  if (k < 0) return false;
  let planes = 1;
  for (let i = 0; i <= k; i++) planes *= shape[i];
  const n = step / planes;
  if (n < MIN_PLANE) return false;
  const runner = poolRunner(out, av, bv);
  if (runner === null) return false;
  const c = shape[k];
  const tasks = ranges(planes, step, runner.threads, c).map(([p0, p1]) => [
    av.byteOffset + 4 * (a.offset + p0 * n),
    bv.byteOffset + 4 * b.offset,
    out.byteOffset + 4 * p0 * n,
    p1 - p0,
    c,
    n,
  ]);
  runner.run('biasAdd', tasks);
  return true;
}
