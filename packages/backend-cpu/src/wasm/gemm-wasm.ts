/**
 * Runs one `GemmArgs` product on the wasm kernels.
 *
 * Memory layout of a call (byte offsets, each region 64-byte aligned):
 *
 *   A     m·k floats, copied verbatim (TypedArray.set) in its stored layout
 *   B     k·n floats, likewise
 *   C     mPad × nPad floats (mPad, nPad: m, n rounded up to the register
 *         tile), so the micro-kernel always writes whole tiles; copied in
 *         only when accumulating, copied out in one `set` (or per row when
 *         n is not a multiple of the tile width)
 *   Bp    packed B, nPad·k floats (packB tasks, once per call)
 *   A~    A panels, mPad·min(k, kb) floats per column block: each task
 *         (row block × column block) packs into its own slice, so tasks
 *         never share scratch
 *
 * Packing happens inside wasm: copying with TypedArray.set runs at memcpy
 * speed and the wasm packers beat a JS packing loop into the memory.
 */
import type { GemmArgs } from '../kernels/gemm-args.js';
import type { WasmRuntime } from './runtime.js';
import { copyF32 } from '../heap.js';
import { roundUp } from '../round-up.js';

/**
 * Rows of C per task (rounded up to the register tile: 66 for 6×8): a
 * 64×256 packed A block (64 KiB) stays in L2 while B panels stream past.
 * Measured at 1024³: 24, 66 and 132 rows ran within noise of each other.
 */
export const MC = 64;
/**
 * Most k per packed block: a 256×8 B panel (8 KiB) and a 6×256 A panel stay
 * in L1 through a micro-kernel call. k is cut into equal blocks of at most
 * KC (784 → 4×196, not 3×256 + 16), which depends on k alone, so the
 * summation order is the same for any task split.
 */
export const KC = 256;

const ALIGN = 64;

/**
 * Multiply-adds per thread below which a product is not cut into extra tasks
 * for the threads (its natural 128-row blocks are still spread over the
 * pool). Measured on 2 cores (docs/performance.md): cutting the MLP's
 * 128-row, 25.7 M-MAC products in two made training slower (two hand-offs
 * per product), while 1024³ ran 1.7–1.8× faster on two threads.
 */
let minMacsPerThread = 16_000_000;

/**
 * Multiply-adds per thread from which a short product (m ≤ COLS_MAX_ROWS)
 * is split by columns in one hand-off (gemmCols): 4 M MACs is ~180 µs at
 * 45 GFLOP/s, three times the slowest wake-up measured (60 µs, above). The
 * MLP b128's 128×784·784×256 products (25.7 M) ran on one thread before
 * (below minMacsPerThread per thread at 2 threads).
 */
let minColMacsPerThread = 4_000_000;

/**
 * Multiply-adds below which a product never reaches the worker pool: it runs
 * as one gemmCols task on the calling thread (packB and all row blocks in one
 * wasm call), however many row blocks it has. Issue 16: the digits MLP's
 * 128×32·32×64 weight gradient (262 K MACs, ~12 µs of work) was spread over
 * its two 66-row blocks, and waking a sleeping worker costs 17–66 µs
 * (docs/performance.md, "Threads"). 2 M MACs is ~90 µs at 45 GFLOP/s, so a
 * product that reaches the pool has at least a wake-up's worth of work for
 * the second thread. A work size only: any split is bit-identical.
 */
export const MIN_POOL_MACS = 2_000_000;
let minPoolMacs = MIN_POOL_MACS;

/** Changes the pool threshold (tests, A/B scripts); returns the old value. */
export function setMinPoolMacs(macs: number): number {
  const old = minPoolMacs;
  minPoolMacs = macs;
  return old;
}

/**
 * Column tasks per thread in the one-hand-off column split: more, smaller
 * tasks let the thread that starts first take more of them (work stealing)
 * when the other wakes late, at the cost of packing A once per task.
 */
let colTasksPerThread = 1;

/** Changes the column tasks per thread (A/B scripts, tests); returns the old value. */
export function setColTasksPerThread(n: number): number {
  const old = colTasksPerThread;
  colTasksPerThread = n;
  return old;
}

/** Rows up to which a product may take the one-hand-off column split. */
export const COLS_MAX_ROWS = 4 * MC;

/** Changes the column-split threshold (tests); returns the old value. */
export function setMinColMacsPerThread(macs: number): number {
  const old = minColMacsPerThread;
  minColMacsPerThread = macs;
  return old;
}

/** Changes the split threshold (tests set 0 to force every product onto the pool); returns the old value. */
export function setMinMacsPerThread(macs: number): number {
  const old = minMacsPerThread;
  minMacsPerThread = macs;
  return old;
}

export function gemmWasm(g: GemmArgs, rt: WasmRuntime): void {
  const { m, n, k } = g;
  const { mr, nr } = rt.tile;
  const kb = Math.ceil(k / Math.ceil(k / KC));
  const mPad = roundUp(m, mr);
  const nPad = roundUp(n, nr);
  // Operands already in the runtime's memory (tensors in the wasm heap) are
  // read in place; others are copied into the scratch region first.
  const aIn = rt.holds(g.a);
  const bIn = rt.holds(g.b);
  const kcMax = Math.min(k, kb);
  // Threads only where each gets enough work to pay for the hand-off (a
  // wake-up costs ~5-60 µs, 0.2-3 M multiply-adds at 45 GFLOP/s): smaller
  // products run as one task on the calling thread.
  const threads = Math.max(
    1,
    Math.min(
      rt.runner.threads,
      minMacsPerThread > 0 ? Math.floor((m * n * k) / minMacsPerThread) : rt.runner.threads,
    ),
  );
  const colThreads = Math.min(
    rt.runner.threads,
    nPad / nr,
    minColMacsPerThread > 0 ? Math.floor((m * n * k) / minColMacsPerThread) : rt.runner.threads,
  );
  // Too small for the pool: one task on the caller (gemmCols with one part).
  const local = m * n * k < minPoolMacs;
  const byCols = local || (m <= COLS_MAX_ROWS && colThreads > threads && colThreads > 1);
  const colTasks = local ? 1 : Math.min(nPad / nr, colThreads * colTasksPerThread);
  // Row blocks of at most MC, and at least one per thread when m allows;
  // when m is too short for that (conv's 16-row weights), C's columns are
  // split too, and every column block packs its own copy of A.
  const rowsPerTask = Math.min(roundUp(MC, mr), roundUp(Math.ceil(m / threads), mr));
  const rowBlocks = Math.ceil(m / rowsPerTask);
  const colBlocks = Math.min(Math.ceil(threads / rowBlocks), nPad / nr);
  // Per-task packed-A scratch: the column split packs up to MC rows per task.
  const colParts = byCols ? split(nPad, nr, colTasks).length : 0;
  const packedA = byCols ? 4 * roundUp(MC, mr) * kcMax * colParts : 4 * mPad * kcMax * colBlocks;
  const aBytes = aIn ? 0 : roundUp(4 * m * k, ALIGN);
  const bBytes = bIn ? 0 : roundUp(4 * k * n, ALIGN);
  const cBytes = roundUp(4 * mPad * nPad, ALIGN);
  const bpBytes = roundUp(4 * nPad * k, ALIGN);
  const base = rt.scratch(ALIGN + aBytes + bBytes + cBytes + bpBytes + packedA);
  const start = base + ALIGN;
  const cAddr = start + aBytes + bBytes;
  const bpAddr = cAddr + cBytes;
  const scratch = bpAddr + bpBytes;
  const mem = rt.f32();
  const aAddr = aIn ? g.a.byteOffset + 4 * g.aOff : start;
  const bAddr = bIn ? g.b.byteOffset + 4 * g.bOff : start + aBytes;
  if (!aIn) mem.set(g.a.subarray(g.aOff, g.aOff + m * k), aAddr >> 2);
  if (!bIn) mem.set(g.b.subarray(g.bOff, g.bOff + k * n), bAddr >> 2);
  if (g.accumulate) copyC(g.c, g.cOff, mem, cAddr >> 2, m, n, nPad, true);
  if (byCols) {
    gemmCols(g, rt, colTasks, { kb, mPad, nPad, aAddr, bAddr, cAddr, bpAddr, scratch, kcMax });
    return;
  }

  const bRs = g.transB ? 1 : n;
  const bCs = g.transB ? k : 1;
  rt.runner.run(
    'packB',
    split(nPad, nr, threads).map(([j0, j1]) => [bAddr, bRs, bCs, k, kb, n, nPad, j0, j1, bpAddr]),
  );

  const aRs = g.transA ? 1 : k;
  const aCs = g.transA ? m : 1;
  const acc = g.accumulate ? 1 : 0;
  const tasks: number[][] = [];
  split(nPad, nr, colBlocks).forEach(([j0, j1], cb) => {
    for (let i0 = 0; i0 < m; i0 += rowsPerTask) {
      const i1 = Math.min(m, i0 + rowsPerTask);
      const taskScratch = scratch + 4 * kcMax * (cb * mPad + i0);
      tasks.push([aAddr, aRs, aCs, bpAddr, nPad, k, kb, cAddr, i0, i1, j0, j1, acc, taskScratch]);
    }
  });
  rt.runner.run('gemmRows', tasks);

  copyC(g.c, g.cOff, rt.f32(), cAddr >> 2, m, n, nPad, false);
}

interface Layout {
  kb: number;
  mPad: number;
  nPad: number;
  aAddr: number;
  bAddr: number;
  cAddr: number;
  bpAddr: number;
  scratch: number;
  kcMax: number;
}

/**
 * A short product split by columns over `threads` tasks, each packing its
 * own B panels and computing all rows of them (gemmCols): one hand-off.
 */
function gemmCols(g: GemmArgs, rt: WasmRuntime, threads: number, l: Layout): void {
  const { m, n, k } = g;
  const { mr, nr } = rt.tile;
  const rows = roundUp(MC, mr);
  const parts = split(l.nPad, nr, threads);
  // Each task packs A's row blocks into its own scratch (rows × kcMax
  // floats, reserved by gemmWasm), and the operands are already in memory.
  const bRs = g.transB ? 1 : n;
  const bCs = g.transB ? k : 1;
  const aRs = g.transA ? 1 : k;
  const aCs = g.transA ? m : 1;
  const acc = g.accumulate ? 1 : 0;
  const tasks = parts.map(([j0, j1], t) => [
    l.aAddr,
    aRs,
    aCs,
    l.bAddr,
    bRs,
    bCs,
    k,
    l.kb,
    n,
    l.nPad,
    j0,
    j1,
    l.bpAddr,
    l.cAddr,
    m,
    rows,
    acc,
    l.scratch + 4 * rows * l.kcMax * t,
  ]);
  rt.runner.run('gemmCols', tasks);
  copyC(g.c, g.cOff, rt.f32(), l.cAddr >> 2, m, n, l.nPad, false);
}

/** [lo, hi) chunks of [0, total) in multiples of `step`, about one per thread. */
function split(total: number, step: number, threads: number): [number, number][] {
  const size = roundUp(Math.ceil(total / threads), step);
  const out: [number, number][] = [];
  for (let lo = 0; lo < total; lo += size) out.push([lo, Math.min(total, lo + size)]);
  return out;
}

/**
 * Copies C between its JS array (row length n) and wasm (row length nPad).
 * Each subarray + set pair costs ~0.1 µs, so short rows are copied by a
 * loop (128×128·128×1 went from ~15 µs to ~3 µs).
 */
function copyC(
  c: Float32Array,
  cOff: number,
  mem: Float32Array,
  at: number,
  m: number,
  n: number,
  nPad: number,
  toWasm: boolean,
): void {
  if (n === nPad) {
    if (toWasm) copyF32(mem, at, c, cOff, m * n);
    else copyF32(c, cOff, mem, at, m * n);
    return;
  }
  if (n < 64) {
    for (let i = 0; i < m; i++) {
      const x = cOff + i * n;
      const y = at + i * nPad;
      if (toWasm) for (let j = 0; j < n; j++) mem[y + j] = c[x + j];
      else for (let j = 0; j < n; j++) c[x + j] = mem[y + j];
    }
    return;
  }
  for (let i = 0; i < m; i++) {
    if (toWasm) copyF32(mem, at + i * nPad, c, cOff + i * n, n);
    else copyF32(c, cOff + i * n, mem, at + i * nPad, n);
  }
}
