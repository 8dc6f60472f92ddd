/**
 * The fused SGD update on the wasm heap: WebAssembly SIMD (../wasm/sgd-simd.ts)
 * run as tasks of the worker pool (pool-tasks.ts), over disjoint element
 * ranges, so a large parameter's update is shared by the threads. Each
 * element is computed by one task with optim.ts's JS loop's float32
 * operations, so results are the same bits for every split and thread count
 * (test/sgd-pool.test.ts). Where an array is not a heap block (NERVE_CPU_HEAP=0),
 * the kernels cannot run, or the parameter is tiny, the caller runs the JS loop.
 */
import type { SgdUpdateParams } from '@nerve/core/backend';
import { poolFast } from './maxpool-fast.js';
import { poolRunner, ranges } from './pool-tasks.js';
import { type SgdVariant, sgdName } from '../wasm/sgd-simd.js';

/** Below this many elements the JS loop is as fast as a wasm call (a few vectors). */
const MIN_ELEMENTS = 64;
/** Task ranges start on 64-byte lines, so two threads never write one cache line. */
const ALIGN = 16;

/** `NERVE_CPU_SGD_POOL=0` keeps the JS loop (to time both with `pnpm bench:cpu`). */
let disabled = typeof process === 'object' && process.env?.NERVE_CPU_SGD_POOL === '0';

/** Turns the pooled SIMD path off (true) or back on, for A/B runs and tests; returns the previous setting. */
export function setSgdPoolDisabled(off: boolean): boolean {
  const was = disabled;
  disabled = off;
  return was;
}

/**
 * Elements from which an update is split over the threads. The wasm loop
 * updates the MLP b128's 200 K-element weight in ~50-80 µs on one thread
 * (scripts/sgd-ab.ts: opt.step of all six parameters 0.08-0.14 ms), and
 * waking a sleeping worker costs 17-66 µs (docs/performance.md, "Threads"),
 * so splitting that weight in two measured slower (opt.step 0.135 → 0.178 ms,
 * 2 threads, load ~5.7). From 2^19 elements (≥ ~100 µs of work for the
 * second thread) the split pays. A work size only: any split gives the same bits.
 */
export const SGD_MIN_SPLIT = 1 << 19;
let minSplit = SGD_MIN_SPLIT;

/** Changes the split threshold (A/B scripts); returns the old value. */
export function setSgdMinSplit(n: number): number {
  const old = minSplit;
  minSplit = n;
  return old;
}

let runs = 0;

/** How many updates took this path so far (tests check which path ran). */
export function sgdPoolRuns(): number {
  return runs;
}

/**
 * Writes one SGD step into `out` (and `outBuf` with momentum) and returns
 * true, or returns false (nothing written) where this path does not apply.
 */
export function sgdPool(
  param: Float32Array,
  grad: Float32Array,
  buf: Float32Array | null,
  out: Float32Array,
  outBuf: Float32Array | null,
  p: SgdUpdateParams,
): boolean {
  const n = p.size;
  if (disabled || !poolFast || n < MIN_ELEMENTS) return false;
  const momentum = p.momentum !== 0;
  if (momentum && outBuf === null) return false;
  const arrays = [param, grad, out];
  if (buf !== null && momentum) arrays.push(buf);
  if (outBuf !== null) arrays.push(outBuf);
  const runner = poolRunner(...arrays);
  if (runner === null) return false;
  const v: SgdVariant = {
    decay: p.weightDecay !== 0,
    momentum: !momentum ? 'none' : buf === null ? 'first' : 'buf',
    nesterov: momentum && p.nesterov,
  };
  const lr = Math.fround(p.lr);
  const wd = Math.fround(p.weightDecay);
  const mom = Math.fround(p.momentum);
  const keep = Math.fround(1 - p.dampening);
  const bAt = buf === null ? 0 : buf.byteOffset;
  const obAt = outBuf === null ? 0 : outBuf.byteOffset;
  const threads = n >= minSplit ? runner.threads : 1;
  const tasks = ranges(n, n, threads, ALIGN).map(([i0, i1]) => [
    param.byteOffset + 4 * i0,
    grad.byteOffset + 4 * i0,
    bAt + 4 * i0,
    out.byteOffset + 4 * i0,
    obAt + 4 * i0,
    i1 - i0,
    lr,
    wd,
    mom,
    keep,
  ]);
  runner.run(sgdName(v), tasks);
  runs++;
  return true;
}
