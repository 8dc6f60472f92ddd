/**
 * conv2d and its two gradients without a column matrix (issue 16): the
 * GEMM's panels are packed straight from each (zero-padded) image through
 * offset tables (wasm side: ../wasm/conv-implicit-codegen.ts), over the
 * batch on the worker threads. Any stride, dilation and padding, and 1×1
 * convs, take this path.
 *
 * - Forward: tasks of whole images (a few per thread); each packs W once,
 *   then per image and k block packs the column panels and runs the
 *   micro-kernel; C rows go to y with the bias added when one is given.
 *   Every y element sums its products in tap order in one lane, as the
 *   im2col path does, so y is bit-identical to it (and to y + bias computed
 *   by a separate add: one f32 add of the same two values).
 * - Weight gradient: dWᵀ = Σ_n col(x[n]) · dy[n]ᵀ as [CKK, O] (the taps are
 *   the rows: no tile waste for O = 32 and 6-row tiles). The batch is cut
 *   into fixed groups of G = ceil(N / 16) images, which depend on N alone;
 *   a task sums its group in image order into its own slot (the
 *   micro-kernel's accumulate flag), then the slots are summed in group
 *   order in wasm (f32x4) and transposed into dW. The order is fixed for
 *   any thread count, so dW is bit-identical for 1, 2, 3 threads; it is a
 *   different order from the one-image loop's (whose sum is image by image),
 *   so it agrees with that path within K·2⁻²⁴·Σ|term|, not bit for bit.
 * - Input gradient: Wᵀ packed once per task, dy's panels per image, then C
 *   added onto dx[i] tap by tap in col2im's order (conv-batch.ts's merged
 *   add plan where the width stride is 1, the offset tables on a
 *   zero-bordered buffer otherwise): bit-identical to the column-matrix path.
 */
import type { Conv2dParams } from '@nerve/core/backend';
import { allocF32 } from '../alloc.js';
import { batchable, col2imPlan, type StoredPlan } from './conv-batch.js';
import { blockOf, convSizes, geometryKey, imageTasks, taskCount } from './conv-tasks.js';
import { wasmHeap } from '../heap.js';
import { roundUp } from '../round-up.js';
import { IDESC, IDESC_WORDS } from '../wasm/conv-implicit-codegen.js';
import type { WasmRuntime } from '../wasm/runtime.js';

const ALIGN = 64;

/** Images per weight-gradient group: at most 16 groups, from N alone. */
export function filterGroup(batch: number): number {
  return Math.max(1, Math.ceil(batch / 16));
}

/** Calls of this path so far, and tasks of the last one (tests check the path ran). */
export const convImplicitStats = { runs: 0, lastTasks: 0 };

interface Geometry {
  pad: boolean;
  Hp: number;
  Wp: number;
  offP: number;
  posJ: number;
}

/** Offset tables by geometry, in the heap: a few KB per conv layer seen, kept for the process. */
const tables = new Map<string, Geometry>();

function geometry(p: Conv2dParams): Geometry {
  const key = geometryKey(p);
  let g = tables.get(key);
  if (g === undefined) {
    const heap = wasmHeap();
    if (heap === undefined) throw new Error('conv-implicit: no wasm heap');
    const pad = p.padH > 0 || p.padW > 0;
    const Hp = p.inHeight + 2 * p.padH;
    const Wp = p.inWidth + 2 * p.padW;
    const ckk = p.inChannels * p.kernelHeight * p.kernelWidth;
    const ohw = p.outHeight * p.outWidth;
    const offP = heap.allocBytes(4 * Math.max(1, ckk));
    const posJ = heap.allocBytes(4 * Math.max(1, ohw));
    const off = new Int32Array(heap.buffer(), offP, ckk);
    let q = 0;
    for (let c = 0; c < p.inChannels; c++) {
      for (let kh = 0; kh < p.kernelHeight; kh++) {
        for (let kw = 0; kw < p.kernelWidth; kw++) {
          off[q++] = 4 * ((c * Hp + kh * p.dilationH) * Wp + kw * p.dilationW);
        }
      }
    }
    const pos = new Int32Array(heap.buffer(), posJ, ohw);
    let j = 0;
    for (let oh = 0; oh < p.outHeight; oh++) {
      for (let ow = 0; ow < p.outWidth; ow++) pos[j++] = 4 * (oh * p.strideH * Wp + ow * p.strideW);
    }
    g = { pad, Hp, Wp, offP, posJ };
    tables.set(key, g);
  }
  return g;
}

/** The product a task runs per image and k block: C [m, n] (padded to mPad, nPad), k deep in blocks of kb. */
interface Product {
  m: number;
  n: number;
  k: number;
  kb: number;
  mPad: number;
  nPad: number;
}

/** The operands' addresses (0: none) and per-image byte steps, by descriptor word. */
interface Operands {
  other: number;
  otherStep: number;
  y: number;
  yStep: number;
  bias: number;
}

/**
 * A task's scratch: the padded image, packed A, packed B, then (cBytes > 0)
 * its own C block, at these byte offsets from the task's scratch.
 */
interface TaskScratch {
  xpBytes: number;
  apBytes: number;
  bpBytes: number;
  cBytes: number;
}

function taskBytes(s: TaskScratch): number {
  return s.xpBytes + s.apBytes + s.bpBytes + s.cBytes;
}

const DESC_BYTES = roundUp(4 * IDESC_WORDS, ALIGN);

/** Writes the descriptor at `at` (convFilter reads no cOff: its C blocks are the slots). */
function descriptor(
  rt: WasmRuntime,
  at: number,
  p: Conv2dParams,
  g: Geometry,
  x: Float32Array,
  gemm: Product,
  ops: Operands,
  s: TaskScratch,
  plan?: StoredPlan,
): void {
  const d = new Int32Array(rt.f32().buffer, at, IDESC_WORDS);
  d[IDESC.x] = x.byteOffset;
  d[IDESC.xStep] = 4 * p.inChannels * p.inHeight * p.inWidth;
  d[IDESC.pad] = g.pad ? 1 : 0;
  d[IDESC.C] = p.inChannels;
  d[IDESC.H] = p.inHeight;
  d[IDESC.W] = p.inWidth;
  d[IDESC.Hp] = g.pad ? g.Hp : p.inHeight;
  d[IDESC.Wp] = g.pad ? g.Wp : p.inWidth;
  d[IDESC.padT] = p.padH;
  d[IDESC.padL] = p.padW;
  d[IDESC.offP] = g.offP;
  d[IDESC.posJ] = g.posJ;
  d[IDESC.OW] = p.outWidth;
  d[IDESC.sW] = p.strideW;
  d[IDESC.plan] = plan?.at ?? 0;
  d[IDESC.planN] = plan?.n ?? 0;
  d[IDESC.m] = gemm.m;
  d[IDESC.n] = gemm.n;
  d[IDESC.k] = gemm.k;
  d[IDESC.kb] = gemm.kb;
  d[IDESC.mPad] = gemm.mPad;
  d[IDESC.nPad] = gemm.nPad;
  d[IDESC.other] = ops.other;
  d[IDESC.otherStep] = ops.otherStep;
  d[IDESC.y] = ops.y;
  d[IDESC.yStep] = ops.yStep;
  d[IDESC.bias] = ops.bias;
  d[IDESC.xpOff] = 0;
  d[IDESC.apOff] = s.xpBytes;
  d[IDESC.bpOff] = s.xpBytes + s.apBytes;
  d[IDESC.cOff] = s.cBytes > 0 ? s.xpBytes + s.apBytes + s.bpBytes : 0;
}

/**
 * Runs `fn` (convFwd or convBwdIn) over the batch in tasks of whole images,
 * each with its own scratch after the descriptor: the padded image, all of
 * A packed (mPad·k), one k block of B (nPad·kb) and its C block.
 */
function runImages(
  rt: WasmRuntime,
  fn: 'convFwd' | 'convBwdIn',
  p: Conv2dParams,
  g: Geometry,
  x: Float32Array,
  gemm: Product,
  ops: Operands,
  plan?: StoredPlan,
): void {
  const s: TaskScratch = {
    xpBytes: paddedBytes(p, g),
    apBytes: roundUp(4 * gemm.mPad * gemm.k, ALIGN),
    bpBytes: roundUp(4 * gemm.nPad * gemm.kb, ALIGN),
    cBytes: roundUp(4 * gemm.mPad * gemm.nPad, ALIGN),
  };
  const bytes = taskBytes(s);
  const nTasks = taskCount(rt, p.batch);
  const base = roundUp(rt.scratch(ALIGN + DESC_BYTES + bytes * nTasks), ALIGN);
  descriptor(rt, base, p, g, x, gemm, ops, s, plan);
  const tasks = imageTasks(p.batch, nTasks, base, base + DESC_BYTES, bytes);
  rt.runner.run(fn, tasks);
  convImplicitStats.runs++;
  convImplicitStats.lastTasks = tasks.length;
}

/** The register tile, the geometry's tables and the per-image sizes. */
function setup(p: Conv2dParams, rt: WasmRuntime) {
  return { ...rt.tile, g: geometry(p), ...convSizes(p) };
}

/** C [m, n] k deep, padded to the tile (mr, nr), k in blocks of blockOf(k). */
function product(m: number, n: number, k: number, mr: number, nr: number): Product {
  return { m, n, k, kb: blockOf(k), mPad: roundUp(m, mr), nPad: roundUp(n, nr) };
}

function paddedBytes(p: Conv2dParams, g: Geometry): number {
  return g.pad ? roundUp(4 * p.inChannels * g.Hp * g.Wp, ALIGN) : 0;
}

/** y = conv2d(x, w) (+ bias[o] on output channel o). */
export function conv2dImplicit(
  x: Float32Array,
  w: Float32Array,
  p: Conv2dParams,
  rt: WasmRuntime,
  bias?: Float32Array,
): Float32Array {
  const { mr, nr, g, ckk, ohw, O } = setup(p, rt);
  const y = allocF32(p.batch * O * ohw, true);
  const gemm = product(O, ohw, ckk, mr, nr);
  runImages(rt, 'convFwd', p, g, x, gemm, {
    other: w.byteOffset,
    otherStep: 0,
    y: y.byteOffset,
    yStep: 4 * O * ohw,
    bias: bias === undefined ? 0 : bias.byteOffset,
  });
  return y;
}

/** dx = col2im(Wᵀ · dy[n]) per image, as [N, C, H, W]. */
export function conv2dBackwardInputImplicit(
  dy: Float32Array,
  w: Float32Array,
  p: Conv2dParams,
  rt: WasmRuntime,
): Float32Array {
  const { mr, nr, g, ckk, ohw, O } = setup(p, rt);
  const gemm = product(ckk, ohw, O, mr, nr);
  // Unit width stride: conv-batch.ts's col2im plan adds C onto dx[i] in
  // merged runs (measured faster than the bordered buffer's rows of OW,
  // which the other geometries take); the same taps in the same order.
  const plan = batchable(p) ? col2imPlan(p, gemm.nPad) : undefined;
  // The taps are added onto dx itself (plan, or no padding), which must
  // start at 0; else every element is copied from the bordered buffer.
  const dx = allocF32(p.batch * p.inChannels * p.inHeight * p.inWidth, g.pad && !plan);
  runImages(
    rt,
    'convBwdIn',
    p,
    g,
    dx,
    gemm,
    { other: dy.byteOffset, otherStep: 4 * O * ohw, y: w.byteOffset, yStep: 0, bias: 0 },
    plan,
  );
  return dx;
}

/** dW = Σ_n dy[n] · col(x[n])ᵀ, as [O, C, KH, KW]. */
export function conv2dBackwardFilterImplicit(
  x: Float32Array,
  dy: Float32Array,
  p: Conv2dParams,
  rt: WasmRuntime,
): Float32Array {
  const { mr, nr, g, ckk, ohw, O } = setup(p, rt);
  const gemm = product(ckk, O, ohw, mr, nr);
  const { kb, mPad, nPad } = gemm;
  const scratch: TaskScratch = {
    xpBytes: paddedBytes(p, g),
    apBytes: roundUp(4 * mr * kb, ALIGN),
    bpBytes: roundUp(4 * nPad * kb, ALIGN),
    cBytes: 0,
  };
  const bytes = taskBytes(scratch);
  const slotBytes = roundUp(4 * mPad * nPad, ALIGN);
  const G = filterGroup(p.batch);
  const groups = Math.ceil(p.batch / G);
  const base = roundUp(rt.scratch(ALIGN + DESC_BYTES + (slotBytes + bytes) * groups), ALIGN);
  const ops = { other: dy.byteOffset, otherStep: 4 * O * ohw, y: 0, yStep: 0, bias: 0 };
  descriptor(rt, base, p, g, x, gemm, ops, scratch);
  const slots = base + DESC_BYTES;
  const tasksAt = slots + slotBytes * groups;
  const tasks: number[][] = [];
  for (let t = 0; t < groups; t++) {
    const i0 = t * G;
    tasks.push([base, i0, Math.min(p.batch, i0 + G), tasksAt + t * bytes, slots + t * slotBytes]);
  }
  rt.runner.run('convFilter', tasks);
  // Slots summed in group order, then [CKK, O] → [O, CKK].
  if (groups > 1) rt.runner.run('sumSlots', [[slots, groups, slotBytes, mPad * nPad]]);
  const dw = allocF32(O * ckk, true);
  const mem = rt.f32();
  const at = slots >> 2;
  for (let q = 0; q < ckk; q++) {
    const row = at + q * nPad;
    for (let o = 0; o < O; o++) dw[o * ckk + q] = mem[row + o];
  }
  convImplicitStats.runs++;
  convImplicitStats.lastTasks = tasks.length;
  return dw;
}
