/**
 * conv2d and its two gradients over the batch on the worker threads
 * (issue 16). The batch is cut into tasks of whole images; each task runs in
 * wasm (../wasm/conv-codegen.ts `convImages`) on its own thread: for every
 * image of its range it builds the column matrix (im2col as a copy plan),
 * computes the image's product (`gemmCols`: all rows and columns) and
 * scatters C (a copy plan into y, or col2im as an add plan into dx), so the
 * column matrix is consumed while it is in that core's cache. Tensors live in
 * the shared wasm heap, so workers read and write them in place.
 *
 * Each task owns its column, C and packing scratch, so tasks write disjoint
 * memory and any thread may take any task. Forward and input-gradient
 * results of an image do not depend on which task ran it (the GEMM sums each
 * element in p order in one lane for any split: gemm-codegen.ts; col2im adds
 * in the same tap order as im2col.ts's). The weight gradient is written per
 * image into its own block and summed in image order 0, 1, …, N-1, so it too
 * is bit-identical for any number of threads.
 */
import type { Conv2dParams } from '@nerve/core/backend';
import { allocF32 } from '../alloc.js';
import { wasmHeap } from '../heap.js';
import { DESC, DESC_WORDS } from '../wasm/conv-codegen.js';
import { MC } from '../wasm/gemm-wasm.js';
import { blockOf, convSizes, geometryKey, imageTasks, taskCount } from './conv-tasks.js';
import type { WasmRuntime } from '../wasm/runtime.js';
import { roundUp } from '../round-up.js';

const ALIGN = 64;

/** Whether the batched path handles this geometry (im2col plans copy unit-stride rows). */
export function batchable(p: Conv2dParams): boolean {
  return p.strideW === 1;
}

/** First output position o with o*stride + shift >= 0 (at most outSize); as im2col.ts. */
function validLo(shift: number, stride: number, outSize: number): number {
  return Math.min(outSize, shift >= 0 ? 0 : Math.ceil(-shift / stride));
}

/** One past the last output position o with o*stride + shift < size (at least lo); as im2col.ts. */
function validHi(shift: number, stride: number, size: number, outSize: number, lo: number): number {
  return Math.max(lo, Math.min(outSize, Math.floor((size - 1 - shift) / stride) + 1));
}

/** A plan being built: ops (d, s, len) in bytes, s = -1 for zeroes; contiguous ops merge. */
class Plan {
  readonly ops: number[] = [];

  private push(d: number, s: number, len: number): void {
    if (len <= 0) return;
    const o = this.ops;
    const n = o.length;
    if (n > 0 && o[n - 3] + o[n - 1] === d) {
      const ls = o[n - 2];
      if ((ls < 0 && s < 0) || (ls >= 0 && s >= 0 && ls + o[n - 1] === s)) {
        o[n - 1] += len;
        return;
      }
    }
    o.push(d, s, len);
  }

  zero(d: number, len: number): void {
    this.push(d, -1, len);
  }

  move(d: number, s: number, len: number): void {
    this.push(d, s, len);
  }
}

/** A plan stored in the heap: its address and op count. */
export interface StoredPlan {
  at: number;
  n: number;
}

/** Plans by geometry; a few per conv layer a backend has seen, a few KB each, kept for the process. */
const plans = new Map<string, StoredPlan>();

function stored(key: string, build: () => Plan): StoredPlan {
  let sp = plans.get(key);
  if (sp === undefined) {
    const heap = wasmHeap();
    if (heap === undefined) throw new Error('conv-batch: no wasm heap');
    const ops = build().ops;
    const at = heap.allocBytes(4 * Math.max(ops.length, 1));
    new Int32Array(heap.buffer(), at, ops.length).set(ops);
    sp = { at, n: ops.length / 3 };
    plans.set(key, sp);
  }
  return sp;
}

/**
 * For each (c, kh, kw, oh) in order, the column-row entries of one image:
 * calls f(colFloat, xFloat, len) for the len in-image taps of output row oh,
 * and zero(colFloat, len) for the padding.
 */
function forEachTapRow(
  p: Conv2dParams,
  rowStride: number,
  move: (col: number, x: number, len: number) => void,
  zero: (col: number, len: number) => void,
): void {
  const { inChannels: C, inHeight: H, inWidth: W, kernelHeight: KH, kernelWidth: KW } = p;
  const { outHeight: OH, outWidth: OW, strideH, padH, padW, dilationH, dilationW } = p;
  let r = 0;
  for (let c = 0; c < C; c++) {
    for (let kh = 0; kh < KH; kh++) {
      const shiftH = kh * dilationH - padH;
      const ohLo = validLo(shiftH, strideH, OH);
      const ohHi = validHi(shiftH, strideH, H, OH, ohLo);
      for (let kw = 0; kw < KW; kw++, r++) {
        const shiftW = kw * dilationW - padW;
        const owLo = validLo(shiftW, 1, OW);
        const owHi = validHi(shiftW, 1, W, OW, owLo);
        for (let oh = 0; oh < OH; oh++) {
          const d = r * rowStride + oh * OW;
          if (oh < ohLo || oh >= ohHi) {
            zero(d, OW);
            continue;
          }
          zero(d, owLo);
          move(d + owLo, (c * H + oh * strideH + shiftH) * W + owLo + shiftW, owHi - owLo);
          zero(d + owHi, OW - owHi);
        }
      }
    }
  }
}

/** im2col of one image as a copy plan: col (rows of OH*OW) from x. */
function im2colPlan(p: Conv2dParams): StoredPlan {
  return stored(`im2col ${geometryKey(p)}`, () => {
    const plan = new Plan();
    forEachTapRow(
      p,
      p.outHeight * p.outWidth,
      (d, s, len) => plan.move(4 * d, 4 * s, 4 * len),
      (d, len) => plan.zero(4 * d, 4 * len),
    );
    return plan;
  });
}

/** col2im of one image as an add plan: dx += C (rows of nPad), in im2col.ts's tap order. */
export function col2imPlan(p: Conv2dParams, nPad: number): StoredPlan {
  return stored(`col2im ${nPad} ${geometryKey(p)}`, () => {
    const plan = new Plan();
    forEachTapRow(
      p,
      nPad,
      (d, s, len) => plan.move(4 * s, 4 * d, 4 * len),
      () => {},
    );
    return plan;
  });
}

/** Rows [0, m) of C (row length nPad) into m×n. */
function copyOutPlan(m: number, n: number, nPad: number): StoredPlan {
  return stored(`rows ${m} ${n} ${nPad}`, () => {
    const plan = new Plan();
    for (let r = 0; r < m; r++) plan.move(4 * r * n, 4 * r * nPad, 4 * n);
    return plan;
  });
}

/** One image's product: m×k · k×n with the strides of each stored factor. */
interface Product {
  m: number;
  n: number;
  k: number;
  aRs: number;
  aCs: number;
  bRs: number;
  bCs: number;
}

interface Run {
  /** Operand and result addresses (bytes) and per-image steps; -1 = the task's own block. */
  a: number;
  aStep: number;
  b: number;
  bStep: number;
  pre?: { plan: StoredPlan; src: number; step: number };
  post?: { plan: StoredPlan; mode: 1 | 2; dst: number; step: number };
  /** Per-image C blocks (the weight gradient), else each task's own. */
  perImageC: boolean;
}

/** Calls of the batched path so far, and tasks of the last one (tests check the path ran). */
export const convBatchStats = { runs: 0, lastTasks: 0 };

/** Runs every image of the batch through convImages; returns the address of the per-image C blocks. */
function runImages(rt: WasmRuntime, batch: number, g: Product, r: Run, colFloats: number): number {
  const { mr, nr } = rt.tile;
  const mPad = roundUp(g.m, mr);
  const nPad = roundUp(g.n, nr);
  const kb = blockOf(g.k);
  const rows = roundUp(MC, mr);
  const cBytes = roundUp(4 * mPad * nPad, ALIGN);
  const colBytes = roundUp(4 * colFloats, ALIGN);
  const bpBytes = roundUp(4 * nPad * g.k, ALIGN);
  const apBytes = roundUp(4 * rows * Math.min(g.k, kb), ALIGN);
  // The split changes no result (see the file comment).
  const nTasks = taskCount(rt, batch);
  const taskBytes = colBytes + (r.perImageC ? 0 : cBytes) + bpBytes + apBytes;
  const descBytes = roundUp(4 * DESC_WORDS, ALIGN);
  const slotsBytes = r.perImageC ? cBytes * batch : 0;
  const base = roundUp(rt.scratch(ALIGN + descBytes + slotsBytes + taskBytes * nTasks), ALIGN);
  const slots = base + descBytes;
  const tasksAt = slots + slotsBytes;
  const d = new Int32Array(rt.f32().buffer, base, DESC_WORDS);
  d[DESC.prePlan] = r.pre?.plan.at ?? 0;
  d[DESC.preN] = r.pre?.plan.n ?? 0;
  d[DESC.preSrc] = r.pre?.src ?? 0;
  d[DESC.preStep] = r.pre?.step ?? 0;
  d[DESC.a] = r.a;
  d[DESC.aStep] = r.aStep;
  d[DESC.aRs] = g.aRs;
  d[DESC.aCs] = g.aCs;
  d[DESC.b] = r.b;
  d[DESC.bStep] = r.bStep;
  d[DESC.bRs] = g.bRs;
  d[DESC.bCs] = g.bCs;
  d[DESC.k] = g.k;
  d[DESC.kb] = kb;
  d[DESC.n] = g.n;
  d[DESC.nPad] = nPad;
  d[DESC.m] = g.m;
  d[DESC.rows] = rows;
  d[DESC.c] = r.perImageC ? slots : -1;
  d[DESC.cStep] = r.perImageC ? cBytes : 0;
  d[DESC.postPlan] = r.post?.plan.at ?? 0;
  d[DESC.postN] = r.post?.plan.n ?? 0;
  d[DESC.postMode] = r.post?.mode ?? 0;
  d[DESC.postDst] = r.post?.dst ?? 0;
  d[DESC.postStep] = r.post?.step ?? 0;
  d[DESC.colOff] = 0;
  d[DESC.cOff] = colBytes;
  d[DESC.bpOff] = colBytes + (r.perImageC ? 0 : cBytes);
  d[DESC.apOff] = colBytes + (r.perImageC ? 0 : cBytes) + bpBytes;
  const tasks = imageTasks(batch, nTasks, base, tasksAt, taskBytes);
  rt.runner.run('convImages', tasks);
  convBatchStats.runs++;
  convBatchStats.lastTasks = tasks.length;
  return slots;
}

export function conv2dBatch(
  x: Float32Array,
  w: Float32Array,
  p: Conv2dParams,
  rt: WasmRuntime,
): Float32Array {
  const { ckk, ohw, chw, O } = convSizes(p);
  const y = allocF32(p.batch * O * ohw, true);
  // y[n] = W[O, CKK] · col(x[n])
  const g: Product = { m: O, n: ohw, k: ckk, aRs: ckk, aCs: 1, bRs: ohw, bCs: 1 };
  const nPad = roundUp(ohw, rt.tile.nr);
  runImages(
    rt,
    p.batch,
    g,
    {
      a: w.byteOffset,
      aStep: 0,
      b: -1,
      bStep: 0,
      pre: { plan: im2colPlan(p), src: x.byteOffset, step: 4 * chw },
      post: { plan: copyOutPlan(O, ohw, nPad), mode: 1, dst: y.byteOffset, step: 4 * O * ohw },
      perImageC: false,
    },
    ckk * ohw,
  );
  return y;
}

export function conv2dBackwardInputBatch(
  dy: Float32Array,
  w: Float32Array,
  p: Conv2dParams,
  rt: WasmRuntime,
): Float32Array {
  const { ckk, ohw, chw, O } = convSizes(p);
  const dx = allocF32(p.batch * chw);
  // col[n] = Wᵀ[CKK, O] · dy[n] (W stored [O, CKK]); dx[n] += col2im(col[n]).
  const g: Product = { m: ckk, n: ohw, k: O, aRs: 1, aCs: ckk, bRs: ohw, bCs: 1 };
  const nPad = roundUp(ohw, rt.tile.nr);
  runImages(
    rt,
    p.batch,
    g,
    {
      a: w.byteOffset,
      aStep: 0,
      b: dy.byteOffset,
      bStep: 4 * O * ohw,
      post: { plan: col2imPlan(p, nPad), mode: 2, dst: dx.byteOffset, step: 4 * chw },
      perImageC: false,
    },
    0,
  );
  return dx;
}

export function conv2dBackwardFilterBatch(
  x: Float32Array,
  dy: Float32Array,
  p: Conv2dParams,
  rt: WasmRuntime,
): Float32Array {
  const { ckk, ohw, chw, O } = convSizes(p);
  // dW_n = dy[n][O, OHW] · col(x[n])ᵀ (col stored [CKK, OHW]).
  const g: Product = { m: O, n: ckk, k: ohw, aRs: ohw, aCs: 1, bRs: 1, bCs: ohw };
  const slots = runImages(
    rt,
    p.batch,
    g,
    {
      a: dy.byteOffset,
      aStep: 4 * O * ohw,
      b: -1,
      bStep: 0,
      pre: { plan: im2colPlan(p), src: x.byteOffset, step: 4 * chw },
      perImageC: true,
    },
    ckk * ohw,
  );
  // dW = ((dW_0 + dW_1) + dW_2) + …, in image order whatever thread ran each.
  const dw = allocF32(O * ckk, true);
  const mem = rt.f32();
  const nPad = roundUp(ckk, rt.tile.nr);
  const cFloats = roundUp(4 * roundUp(O, rt.tile.mr) * nPad, ALIGN) >> 2;
  const at = slots >> 2;
  for (let o = 0; o < O; o++) {
    const dst = o * ckk;
    const src = at + o * nPad;
    for (let j = 0; j < ckk; j++) dw[dst + j] = mem[src + j];
    for (let i = 1; i < p.batch; i++) {
      const s = src + i * cFloats;
      for (let j = 0; j < ckk; j++) dw[dst + j] += mem[s + j];
    }
  }
  return dw;
}
