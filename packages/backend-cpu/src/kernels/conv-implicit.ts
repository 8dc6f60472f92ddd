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
import { batchable, col2imPlan } from './conv-batch.js';
import { wasmHeap } from '../heap.js';
import { roundUp } from '../round-up.js';
import { IDESC, IDESC_WORDS } from '../wasm/conv-implicit-codegen.js';
import { KC } from '../wasm/gemm-wasm.js';
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
  const key = [
    p.inChannels,
    p.inHeight,
    p.inWidth,
    p.kernelHeight,
    p.kernelWidth,
    p.outHeight,
    p.outWidth,
    p.strideH,
    p.strideW,
    p.padH,
    p.padW,
    p.dilationH,
    p.dilationW,
  ].join(',');
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

/** k cut into equal blocks of at most KC, from k alone (as the GEMM does). */
function blockOf(k: number): number {
  return Math.ceil(k / Math.ceil(k / KC));
}

/** Writes the descriptor's common words; returns the view for the rest. */
function descriptor(
  rt: WasmRuntime,
  at: number,
  p: Conv2dParams,
  g: Geometry,
  x: Float32Array,
): Int32Array {
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
  d[IDESC.plan] = 0;
  d[IDESC.planN] = 0;
  return d;
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
  const { mr, nr } = rt.tile;
  const g = geometry(p);
  const O = p.outChannels;
  const ckk = p.inChannels * p.kernelHeight * p.kernelWidth;
  const ohw = p.outHeight * p.outWidth;
  const y = allocF32(p.batch * O * ohw, true);
  const kb = blockOf(ckk);
  const mPad = roundUp(O, mr);
  const nPad = roundUp(ohw, nr);
  const xpBytes = paddedBytes(p, g);
  const apBytes = roundUp(4 * mPad * ckk, ALIGN);
  const bpBytes = roundUp(4 * nPad * kb, ALIGN);
  const cBytes = roundUp(4 * mPad * nPad, ALIGN);
  const taskBytes = xpBytes + apBytes + bpBytes + cBytes;
  const nTasks = Math.min(p.batch, rt.runner.threads === 1 ? 1 : 4 * rt.runner.threads);
  const descBytes = roundUp(4 * IDESC_WORDS, ALIGN);
  const base = roundUp(rt.scratch(ALIGN + descBytes + taskBytes * nTasks), ALIGN);
  const d = descriptor(rt, base, p, g, x);
  d[IDESC.m] = O;
  d[IDESC.n] = ohw;
  d[IDESC.k] = ckk;
  d[IDESC.kb] = kb;
  d[IDESC.mPad] = mPad;
  d[IDESC.nPad] = nPad;
  d[IDESC.other] = w.byteOffset;
  d[IDESC.otherStep] = 0;
  d[IDESC.y] = y.byteOffset;
  d[IDESC.yStep] = 4 * O * ohw;
  d[IDESC.bias] = bias === undefined ? 0 : bias.byteOffset;
  d[IDESC.xpOff] = 0;
  d[IDESC.apOff] = xpBytes;
  d[IDESC.bpOff] = xpBytes + apBytes;
  d[IDESC.cOff] = xpBytes + apBytes + bpBytes;
  const per = Math.ceil(p.batch / nTasks);
  const tasks: number[][] = [];
  const tasksAt = base + descBytes;
  for (let t = 0, i0 = 0; i0 < p.batch; t++, i0 += per) {
    tasks.push([base, i0, Math.min(p.batch, i0 + per), tasksAt + t * taskBytes]);
  }
  rt.runner.run('convFwd', tasks);
  convImplicitStats.runs++;
  convImplicitStats.lastTasks = tasks.length;
  return y;
}

/** dx = col2im(Wᵀ · dy[n]) per image, as [N, C, H, W]. */
export function conv2dBackwardInputImplicit(
  dy: Float32Array,
  w: Float32Array,
  p: Conv2dParams,
  rt: WasmRuntime,
): Float32Array {
  const { mr, nr } = rt.tile;
  const g = geometry(p);
  const O = p.outChannels;
  const ckk = p.inChannels * p.kernelHeight * p.kernelWidth;
  const ohw = p.outHeight * p.outWidth;
  const kb = blockOf(O);
  const mPad = roundUp(ckk, mr);
  const nPad = roundUp(ohw, nr);
  // Unit width stride: conv-batch.ts's col2im plan adds C onto dx[i] in
  // merged runs (measured faster than the bordered buffer's rows of OW,
  // which the other geometries take); the same taps in the same order.
  const plan = batchable(p) ? col2imPlan(p, nPad) : undefined;
  // The taps are added onto dx itself (plan, or no padding), which must
  // start at 0; else every element is copied from the bordered buffer.
  const dx = allocF32(p.batch * p.inChannels * p.inHeight * p.inWidth, g.pad && !plan);
  const xpBytes = paddedBytes(p, g);
  const apBytes = roundUp(4 * mPad * O, ALIGN);
  const bpBytes = roundUp(4 * nPad * kb, ALIGN);
  const cBytes = roundUp(4 * mPad * nPad, ALIGN);
  const taskBytes = xpBytes + apBytes + bpBytes + cBytes;
  const nTasks = Math.min(p.batch, rt.runner.threads === 1 ? 1 : 4 * rt.runner.threads);
  const descBytes = roundUp(4 * IDESC_WORDS, ALIGN);
  const base = roundUp(rt.scratch(ALIGN + descBytes + taskBytes * nTasks), ALIGN);
  const d = descriptor(rt, base, p, g, dx);
  d[IDESC.m] = ckk;
  d[IDESC.n] = ohw;
  d[IDESC.k] = O;
  d[IDESC.kb] = kb;
  d[IDESC.mPad] = mPad;
  d[IDESC.nPad] = nPad;
  d[IDESC.other] = dy.byteOffset;
  d[IDESC.otherStep] = 4 * O * ohw;
  d[IDESC.y] = w.byteOffset;
  d[IDESC.yStep] = 0;
  d[IDESC.bias] = 0;
  d[IDESC.xpOff] = 0;
  d[IDESC.apOff] = xpBytes;
  d[IDESC.bpOff] = xpBytes + apBytes;
  d[IDESC.cOff] = xpBytes + apBytes + bpBytes;
  d[IDESC.plan] = plan?.at ?? 0;
  d[IDESC.planN] = plan?.n ?? 0;
  const per = Math.ceil(p.batch / nTasks);
  const tasks: number[][] = [];
  const tasksAt = base + descBytes;
  for (let t = 0, i0 = 0; i0 < p.batch; t++, i0 += per) {
    tasks.push([base, i0, Math.min(p.batch, i0 + per), tasksAt + t * taskBytes]);
  }
  rt.runner.run('convBwdIn', tasks);
  convImplicitStats.runs++;
  convImplicitStats.lastTasks = tasks.length;
  return dx;
}

/** dW = Σ_n dy[n] · col(x[n])ᵀ, as [O, C, KH, KW]. */
export function conv2dBackwardFilterImplicit(
  x: Float32Array,
  dy: Float32Array,
  p: Conv2dParams,
  rt: WasmRuntime,
): Float32Array {
  const { mr, nr } = rt.tile;
  const g = geometry(p);
  const O = p.outChannels;
  const ckk = p.inChannels * p.kernelHeight * p.kernelWidth;
  const ohw = p.outHeight * p.outWidth;
  const kb = blockOf(ohw);
  const mPad = roundUp(ckk, mr);
  const nPad = roundUp(O, nr);
  const xpBytes = paddedBytes(p, g);
  const apBytes = roundUp(4 * mr * kb, ALIGN);
  const bpBytes = roundUp(4 * nPad * kb, ALIGN);
  const taskBytes = xpBytes + apBytes + bpBytes;
  const slotBytes = roundUp(4 * mPad * nPad, ALIGN);
  const G = filterGroup(p.batch);
  const groups = Math.ceil(p.batch / G);
  const descBytes = roundUp(4 * IDESC_WORDS, ALIGN);
  const base = roundUp(rt.scratch(ALIGN + descBytes + (slotBytes + taskBytes) * groups), ALIGN);
  const d = descriptor(rt, base, p, g, x);
  d[IDESC.m] = ckk;
  d[IDESC.n] = O;
  d[IDESC.k] = ohw;
  d[IDESC.kb] = kb;
  d[IDESC.mPad] = mPad;
  d[IDESC.nPad] = nPad;
  d[IDESC.other] = dy.byteOffset;
  d[IDESC.otherStep] = 4 * O * ohw;
  d[IDESC.y] = 0;
  d[IDESC.yStep] = 0;
  d[IDESC.bias] = 0;
  d[IDESC.xpOff] = 0;
  d[IDESC.apOff] = xpBytes;
  d[IDESC.bpOff] = xpBytes + apBytes;
  d[IDESC.cOff] = 0;
  const slots = base + descBytes;
  const tasksAt = slots + slotBytes * groups;
  const tasks: number[][] = [];
  for (let t = 0; t < groups; t++) {
    const i0 = t * G;
    tasks.push([
      base,
      i0,
      Math.min(p.batch, i0 + G),
      tasksAt + t * taskBytes,
      slots + t * slotBytes,
    ]);
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
