/**
 * conv2d and its two gradients (NCHW, no groups) as im2col + blocked gemm,
 * one image at a time so the column buffer stays [C*KH*KW, OH*OW].
 *
 *   forward:  y[n]  = W[O, CKK] · col(x[n])
 *   input:    dx[n] = col2im(Wᵀ · dy[n])
 *   filter:   dW    = Σ_n dy[n] · col(x[n])ᵀ
 *
 * Where the tensors live in the wasm heap, the three calls run over the
 * batch on the threads without a column matrix (conv-implicit.ts); with
 * `NERVE_CPU_CONV_IMPLICIT=0` they take the column-matrix tasks
 * (conv-batch.ts) where those apply, and otherwise the one-image loop below.
 */
import { type Conv2dParams, isPointwiseConv } from '@nerve/core/backend';
import { allocF32 } from '../alloc.js';
import { wasmHeap } from '../heap.js';
import { getWasmRuntime, type WasmRuntime } from '../wasm/runtime.js';
import {
  batchable,
  conv2dBackwardFilterBatch,
  conv2dBackwardInputBatch,
  conv2dBatch,
} from './conv-batch.js';
import {
  conv2dBackwardFilterImplicit,
  conv2dBackwardInputImplicit,
  conv2dImplicit,
} from './conv-implicit.js';
import { gemm, type GemmScratch, WASM_MIN } from './gemm-blocked.js';
import { col2im, im2col } from './im2col.js';

/** Scratch shared by the conv kernels: the packing buffers and one column matrix. */
export class ConvScratch {
  col: Float32Array = new Float32Array(0);
  constructor(readonly gemm: GemmScratch) {}

  /**
   * A column matrix of at least `size` floats, kept across calls. In the wasm
   * heap where there is one, so the GEMM reads it in place. A backend holds
   * one for its lifetime (a few MB at most for the layers it has seen).
   */
  columns(size: number): Float32Array {
    if (this.col.length >= size) return this.col;
    const heap = wasmHeap();
    if (heap === undefined) {
      this.col = new Float32Array(size);
    } else {
      if (this.col.length > 0) heap.freeF32(this.col);
      this.col = heap.allocF32(size);
    }
    return this.col;
  }
}

function dims(p: Conv2dParams) {
  return {
    ckk: p.inChannels * p.kernelHeight * p.kernelWidth,
    ohw: p.outHeight * p.outWidth,
    chw: p.inChannels * p.inHeight * p.inWidth,
  };
}

/** `NERVE_CPU_CONV_BATCH=0` keeps the one-image loop (to time the two paths in one run). */
const batchOn = !(typeof process === 'object' && process.env?.NERVE_CPU_CONV_BATCH === '0');

/**
 * The wasm runtime when the per-image products go over the batch on the
 * threads (conv-batch.ts): the wasm kernels are on, the operands live in its
 * memory (the wasm heap), the conv is not pointwise and each product is big
 * enough that the GEMM would take the wasm path anyway (WASM_MIN). None of
 * this depends on the thread count, so neither does the path taken.
 */
function batchRuntime(p: Conv2dParams, ...operands: Float32Array[]): WasmRuntime | undefined {
  if (!batchOn) return undefined;
  if (p.batch === 0 || p.outChannels === 0 || isPointwiseConv(p) || !batchable(p)) return undefined;
  const ckk = p.inChannels * p.kernelHeight * p.kernelWidth;
  if (p.outChannels * ckk * p.outHeight * p.outWidth < WASM_MIN || ckk === 0) return undefined;
  const rt = getWasmRuntime();
  if (rt === undefined || !operands.every((v) => rt.holds(v))) return undefined;
  return rt;
}

/**
 * `NERVE_CPU_CONV_IMPLICIT=0` keeps the column-matrix tasks (conv-batch.ts)
 * for all three conv calls; read at each call, so a benchmark can alternate
 * the two paths in one process (one env read per conv call: noise next to
 * the call's milliseconds).
 */
const implicitOn = () =>
  !(typeof process === 'object' && process.env?.NERVE_CPU_CONV_IMPLICIT === '0');

/**
 * The wasm runtime when the forward or weight gradient packs its panels
 * straight from the images (conv-implicit.ts): as batchRuntime, but any
 * stride and 1×1 convs too. Depends on no thread count either.
 */
function implicitRuntime(p: Conv2dParams, ...operands: Float32Array[]): WasmRuntime | undefined {
  if (!batchOn || !implicitOn() || p.batch === 0 || p.outChannels === 0) return undefined;
  const ckk = p.inChannels * p.kernelHeight * p.kernelWidth;
  if (p.outChannels * ckk * p.outHeight * p.outWidth < WASM_MIN || ckk === 0) return undefined;
  const rt = getWasmRuntime();
  if (rt === undefined || !operands.every((v) => rt.holds(v))) return undefined;
  return rt;
}

export function conv2d(
  x: Float32Array,
  w: Float32Array,
  p: Conv2dParams,
  s: ConvScratch,
): Float32Array {
  const irt = implicitRuntime(p, x, w);
  if (irt) return conv2dImplicit(x, w, p, irt);
  const rt = batchRuntime(p, x, w);
  if (rt) return conv2dBatch(x, w, p, rt);
  const { ckk, ohw, chw } = dims(p);
  const O = p.outChannels;
  const y = allocF32(p.batch * O * ohw);
  if (y.length === 0) return y;
  const direct = isPointwiseConv(p);
  const col = direct ? x : s.columns(ckk * ohw);
  for (let n = 0; n < p.batch; n++) {
    if (!direct) im2col(x, n * chw, p, col);
    gemm(
      {
        m: O,
        n: ohw,
        k: ckk,
        a: w,
        aOff: 0,
        transA: false,
        b: col,
        bOff: direct ? n * chw : 0,
        transB: false,
        c: y,
        cOff: n * O * ohw,
        accumulate: false,
      },
      s.gemm,
    );
  }
  return y;
}

/**
 * conv2d(x, w) + bias[o] on output channel o: fused into the implicit
 * path's copy of C into y where it runs, else the conv then one add per
 * element (the same float32 sum either way).
 */
export function conv2dBias(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array,
  p: Conv2dParams,
  s: ConvScratch,
): Float32Array {
  const irt = implicitRuntime(p, x, w, bias);
  if (irt) return conv2dImplicit(x, w, p, irt, bias);
  const y = conv2d(x, w, p, s);
  const plane = p.outHeight * p.outWidth;
  for (let n = 0, i = 0; n < p.batch; n++) {
    for (let o = 0; o < p.outChannels; o++) {
      const b = bias[o];
      for (const end = i + plane; i < end; i++) y[i] += b;
    }
  }
  return y;
}

export function conv2dBackwardInput(
  dy: Float32Array,
  w: Float32Array,
  p: Conv2dParams,
  s: ConvScratch,
): Float32Array {
  const irt = implicitRuntime(p, dy, w);
  if (irt) return conv2dBackwardInputImplicit(dy, w, p, irt);
  const rt = batchRuntime(p, dy, w);
  if (rt) return conv2dBackwardInputBatch(dy, w, p, rt);
  const { ckk, ohw, chw } = dims(p);
  const O = p.outChannels;
  const dx = allocF32(p.batch * chw);
  if (dx.length === 0) return dx;
  const direct = isPointwiseConv(p);
  const col = direct ? dx : s.columns(ckk * ohw);
  for (let n = 0; n < p.batch; n++) {
    // W is stored [O, CKK]; read transposed it is the [CKK, O] factor.
    gemm(
      {
        m: ckk,
        n: ohw,
        k: O,
        a: w,
        aOff: 0,
        transA: true,
        b: dy,
        bOff: n * O * ohw,
        transB: false,
        c: col,
        cOff: direct ? n * chw : 0,
        accumulate: false,
      },
      s.gemm,
    );
    if (!direct) col2im(col, p, dx, n * chw);
  }
  return dx;
}

export function conv2dBackwardFilter(
  x: Float32Array,
  dy: Float32Array,
  p: Conv2dParams,
  s: ConvScratch,
): Float32Array {
  const irt = implicitRuntime(p, x, dy);
  if (irt) return conv2dBackwardFilterImplicit(x, dy, p, irt);
  const rt = batchRuntime(p, x, dy);
  if (rt) return conv2dBackwardFilterBatch(x, dy, p, rt);
  const { ckk, ohw, chw } = dims(p);
  const O = p.outChannels;
  const dw = allocF32(O * ckk);
  if (dw.length === 0) return dw;
  const direct = isPointwiseConv(p);
  const col = direct ? x : s.columns(ckk * ohw);
  for (let n = 0; n < p.batch; n++) {
    if (!direct) im2col(x, n * chw, p, col);
    // col is stored [CKK, OHW]; read transposed it is the [OHW, CKK] factor.
    gemm(
      {
        m: O,
        n: ckk,
        k: ohw,
        a: dy,
        aOff: n * O * ohw,
        transA: false,
        b: col,
        bOff: direct ? n * chw : 0,
        transB: true,
        c: dw,
        cOff: 0,
        accumulate: n > 0,
      },
      s.gemm,
    );
  }
  return dw;
}
