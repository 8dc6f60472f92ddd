/**
 * The CPU backend: buffers are typed arrays in the JS heap and every kernel
 * runs synchronously on the calling thread. This file owns storage and
 * accounting and dispatches to one file per kernel family.
 */
import type {
  AdamUpdateParams,
  AdamUpdateResult,
  Backend,
  BackendMemory,
  BatchNormBackwardResult,
  BatchNormParams,
  BatchNormStatsParams,
  BatchNormStatsResult,
  BinaryOp,
  BinaryParams,
  Conv2dParams,
  CopyIntoParams,
  CopyParams,
  DataId,
  DType,
  GatherParams,
  MatmulParams,
  MaxPoolResult,
  ReduceOp,
  ReduceParams,
  RunningStatsUpdate,
  SgdUpdateParams,
  SgdUpdateBuffers,
  SoftmaxCrossEntropyParams,
  SoftmaxParams,
  StridedView,
  TypedArray,
  UnaryOp,
  UnaryParams,
  WhereParams,
} from '@nerve/core/backend';
import { alloc, allocF32, isHeapBlock, recycle } from './alloc.js';
import { reluGradient } from './kernels/simd-rows.js';
import { type CpuData, convertArray, f32Of, holds, valuesOf, wrap } from './buffers.js';
import { batchNormBackward, batchNormForward, batchNormStats } from './kernels/batchnorm.js';
import { binary } from './kernels/binary.js';
import {
  conv2d,
  conv2dBackwardFilter,
  conv2dBackwardInput,
  conv2dBias,
  ConvScratch,
} from './kernels/conv.js';
import {
  groupedConv2d,
  groupedConv2dBackwardFilter,
  groupedConv2dBackwardInput,
} from './kernels/conv-grouped.js';
import {
  i32Of,
  softmaxCrossEntropy,
  softmaxCrossEntropyBackward,
} from './kernels/cross-entropy.js';
import { copy, copyInto, where } from './kernels/elementwise.js';
import { gather, scatterAdd } from './kernels/gather.js';
import { GemmScratch } from './kernels/gemm-blocked.js';
import { matmul } from './kernels/matmul.js';
import { adamUpdate, sgdUpdate } from './kernels/optim.js';
import { avgPool2d, avgPool2dBackward, maxPool2d } from './kernels/pooling.js';
import { maxPool2dBackward, maxPool2dFast } from './kernels/maxpool-fast.js';
import { reduce } from './kernels/reduce.js';
import { sumOuterInner } from './kernels/sum-outer-inner.js';
import { softmax } from './kernels/softmax.js';
import { unary } from './kernels/unary.js';

export class CpuBackend implements Backend {
  readonly name = 'cpu';
  private liveBuffers = 0;
  private liveBytes = 0;
  /** Scratch reused across matmul and conv calls; a backend runs one kernel at a time. */
  private readonly gemmScratch = new GemmScratch();
  private readonly convScratch = new ConvScratch(this.gemmScratch);

  /** Takes ownership of a freshly computed array and counts it as live. */
  private own(values: TypedArray): DataId {
    this.liveBuffers++;
    this.liveBytes += values.byteLength;
    const d = wrap(values);
    // A tensor dropped without dispose() used to leave its array to the
    // garbage collector; a wasm-heap block must be handed back explicitly.
    if (isHeapBlock(values)) watchLater(d);
    return d;
  }

  // ---- storage --------------------------------------------------------------

  upload(values: TypedArray, dtype: DType): DataId {
    return this.own(convertArray(values, dtype));
  }

  fill(size: number, dtype: DType, value: number): DataId {
    const out = alloc(dtype, size, true);
    out.fill(dtype === 'bool' ? (value !== 0 ? 1 : 0) : value);
    return this.own(out);
  }

  async read(id: DataId, dtype: DType, size: number): Promise<TypedArray> {
    return this.readSync(id, dtype, size);
  }

  /** Returns a copy: callers may keep or mutate it without touching the buffer. */
  readSync(id: DataId, dtype: DType, size: number): TypedArray {
    const v = valuesOf(id, 'read');
    if (size > v.length) {
      throw new Error(`read: asked for ${size} elements of a ${v.length}-element buffer`);
    }
    const view = v.subarray(0, size);
    // A fresh array (not from the pool, not in the wasm heap): the caller owns it.
    if (holds(v, dtype)) return view.slice();
    const out =
      dtype === 'float32'
        ? new Float32Array(size)
        : dtype === 'int32'
          ? new Int32Array(size)
          : new Uint8Array(size);
    if (dtype === 'bool') for (let i = 0; i < size; i++) out[i] = view[i] !== 0 ? 1 : 0;
    else out.set(view);
    return out;
  }

  free(id: DataId): void {
    const d = id as Partial<CpuData>;
    if (d.values === undefined || d.freed) return;
    const values = d.values;
    this.liveBuffers--;
    this.liveBytes -= values.byteLength;
    d.freed = true;
    if (d.watched) {
      d.watched = false;
      unfreed.unregister(d);
    }
    // Drop the array from the handle, then give it to the pool: nothing else
    // refers to it, and the next kernel output of its size reuses it instead
    // of paying for a fresh zeroed allocation (page faults, GC).
    d.values = EMPTY;
    recycle(values);
  }

  memory(): BackendMemory {
    return { buffers: this.liveBuffers, bytes: this.liveBytes };
  }

  // ---- required primitives --------------------------------------------------

  unary(op: UnaryOp, x: StridedView, p: UnaryParams): DataId {
    return this.own(unary(op, x, p.shape, p.outDtype, p.param));
  }

  binary(op: BinaryOp, a: StridedView, b: StridedView, p: BinaryParams): DataId {
    return this.own(binary(op, a, b, p.shape, p.outDtype));
  }

  where(cond: StridedView, a: StridedView, b: StridedView, p: WhereParams): DataId {
    return this.own(where(cond, a, b, p.shape, p.dtype));
  }

  copy(x: StridedView, p: CopyParams): DataId {
    return this.own(copy(x, p.shape, p.inDtype, p.outDtype));
  }

  copyInto(dst: StridedView, src: StridedView, p: CopyIntoParams): void {
    copyInto(dst, src, p.shape, p.dtype);
  }

  reduce(op: ReduceOp, x: DataId, p: ReduceParams): DataId {
    return this.own(reduce(op, valuesOf(x, 'reduce'), p.dtype, p.outer, p.size, p.inner));
  }

  matmul(a: DataId, b: DataId, p: MatmulParams): DataId {
    return this.own(matmul(f32Of(a, 'matmul'), f32Of(b, 'matmul'), p, this.gemmScratch));
  }

  gather(x: DataId, index: StridedView, p: GatherParams): DataId {
    return this.own(gather(valuesOf(x, 'gather'), index, p));
  }

  scatterAdd(index: StridedView, src: DataId, p: GatherParams): DataId {
    return this.own(scatterAdd(index, valuesOf(src, 'scatterAdd'), p));
  }

  // ---- fused kernels --------------------------------------------------------

  conv2d(x: DataId, w: DataId, p: Conv2dParams): DataId {
    return this.own(conv2d(f32Of(x, 'conv2d'), f32Of(w, 'conv2d'), p, this.convScratch));
  }

  conv2dBias(x: DataId, w: DataId, bias: DataId, p: Conv2dParams): DataId {
    const op = 'conv2dBias';
    const [xs, ws, bs] = [f32Of(x, op), f32Of(w, op), f32Of(bias, op)];
    return this.own(conv2dBias(xs, ws, bs, p, this.convScratch));
  }

  conv2dBackwardInput(dy: DataId, w: DataId, p: Conv2dParams): DataId {
    const op = 'conv2dBackwardInput';
    return this.own(conv2dBackwardInput(f32Of(dy, op), f32Of(w, op), p, this.convScratch));
  }

  conv2dBackwardFilter(x: DataId, dy: DataId, p: Conv2dParams): DataId {
    const op = 'conv2dBackwardFilter';
    return this.own(conv2dBackwardFilter(f32Of(x, op), f32Of(dy, op), p, this.convScratch));
  }

  groupedConv2d(x: DataId, w: DataId, p: Conv2dParams): DataId {
    const op = 'groupedConv2d';
    return this.own(groupedConv2d(f32Of(x, op), f32Of(w, op), p, this.convScratch));
  }

  groupedConv2dBackwardInput(dy: DataId, w: DataId, p: Conv2dParams): DataId {
    const op = 'groupedConv2dBackwardInput';
    return this.own(groupedConv2dBackwardInput(f32Of(dy, op), f32Of(w, op), p, this.convScratch));
  }

  groupedConv2dBackwardFilter(x: DataId, dy: DataId, p: Conv2dParams): DataId {
    const op = 'groupedConv2dBackwardFilter';
    return this.own(groupedConv2dBackwardFilter(f32Of(x, op), f32Of(dy, op), p, this.convScratch));
  }

  maxPool2d(x: DataId, p: Conv2dParams): MaxPoolResult {
    const xv = f32Of(x, 'maxPool2d');
    const { out, indices } = maxPool2dFast(xv, p) ?? maxPool2d(xv, p);
    return { out: this.own(out), indices: this.own(indices) };
  }

  maxPool2dBackward(dy: DataId, indices: DataId, p: Conv2dParams): DataId {
    return this.own(maxPool2dBackward(f32Of(dy, 'maxPool2dBackward'), indices, p));
  }

  avgPool2d(x: DataId, p: Conv2dParams): DataId {
    return this.own(avgPool2d(f32Of(x, 'avgPool2d'), p));
  }

  avgPool2dBackward(dy: DataId, p: Conv2dParams): DataId {
    return this.own(avgPool2dBackward(f32Of(dy, 'avgPool2dBackward'), p));
  }

  softmax(x: DataId, p: SoftmaxParams): DataId {
    return this.own(softmax(f32Of(x, 'softmax'), p.outer, p.size, false));
  }

  logSoftmax(x: DataId, p: SoftmaxParams): DataId {
    return this.own(softmax(f32Of(x, 'logSoftmax'), p.outer, p.size, true));
  }

  softmaxCrossEntropy(logits: DataId, labels: DataId, p: SoftmaxCrossEntropyParams): DataId {
    const op = 'softmaxCrossEntropy';
    return this.own(softmaxCrossEntropy(f32Of(logits, op), i32Of(labels, op), p));
  }

  softmaxCrossEntropyBackward(
    logits: DataId,
    labels: DataId,
    dy: DataId,
    p: SoftmaxCrossEntropyParams,
  ): DataId {
    const op = 'softmaxCrossEntropyBackward';
    return this.own(
      softmaxCrossEntropyBackward(f32Of(logits, op), i32Of(labels, op), f32Of(dy, op), p),
    );
  }

  sgdUpdate(
    param: DataId,
    grad: DataId,
    momentumBuffer: DataId | null,
    p: SgdUpdateParams,
  ): SgdUpdateBuffers {
    const op = 'sgdUpdate';
    const buf = momentumBuffer === null ? null : f32Of(momentumBuffer, op);
    const r = sgdUpdate(f32Of(param, op), f32Of(grad, op), buf, p);
    return {
      param: this.own(r.param),
      momentumBuffer: r.momentumBuffer === null ? null : this.own(r.momentumBuffer),
    };
  }

  sumOuterInner(x: DataId, p: { outer: number; size: number; inner: number }): DataId {
    return this.own(sumOuterInner(f32Of(x, 'sumOuterInner'), p.outer, p.size, p.inner));
  }

  reluBackward(x: DataId, dy: DataId, size: number): DataId {
    const op = 'reluBackward';
    const o = allocF32(size, true);
    reluGradient(f32Of(x, op), f32Of(dy, op), o, size);
    return this.own(o);
  }

  adamUpdate(
    param: DataId,
    grad: DataId,
    expAvg: DataId,
    expAvgSq: DataId,
    maxExpAvgSq: DataId | null,
    p: AdamUpdateParams,
  ): AdamUpdateResult {
    const op = 'adamUpdate';
    const vMax = maxExpAvgSq === null ? null : f32Of(maxExpAvgSq, op);
    const r = adamUpdate(
      f32Of(param, op),
      f32Of(grad, op),
      f32Of(expAvg, op),
      f32Of(expAvgSq, op),
      vMax,
      p,
    );
    return {
      param: this.own(r.param),
      expAvg: this.own(r.expAvg),
      expAvgSq: this.own(r.expAvgSq),
      maxExpAvgSq: r.maxExpAvgSq === null ? null : this.own(r.maxExpAvgSq),
    };
  }

  // ---- batch normalization (optional kernels; kernels/batchnorm.ts) ----------

  batchNormStats(
    x: DataId,
    p: BatchNormStatsParams,
    running: RunningStatsUpdate | null = null,
  ): BatchNormStatsResult {
    const op = 'batchNormStats';
    const r = batchNormStats(
      f32Of(x, op),
      p,
      running && {
        mean: f32Of(running.mean, op),
        variance: f32Of(running.variance, op),
        momentum: running.momentum,
      },
    );
    return {
      mean: this.own(r.mean),
      variance: this.own(r.variance),
      ...(r.runningMean && { runningMean: this.own(r.runningMean) }),
      ...(r.runningVariance && { runningVariance: this.own(r.runningVariance) }),
    };
  }

  batchNormForward(
    x: DataId,
    mean: DataId,
    variance: DataId,
    weight: DataId | null,
    bias: DataId | null,
    p: BatchNormParams,
  ): DataId {
    const op = 'batchNormForward';
    return this.own(
      batchNormForward(
        f32Of(x, op),
        f32Of(mean, op),
        f32Of(variance, op),
        weight === null ? null : f32Of(weight, op),
        bias === null ? null : f32Of(bias, op),
        p,
      ),
    );
  }

  batchNormBackward(
    x: DataId,
    dy: DataId,
    mean: DataId,
    variance: DataId,
    weight: DataId | null,
    p: BatchNormParams,
  ): BatchNormBackwardResult {
    const op = 'batchNormBackward';
    const r = batchNormBackward(
      f32Of(x, op),
      f32Of(dy, op),
      f32Of(mean, op),
      f32Of(variance, op),
      weight === null ? null : f32Of(weight, op),
      p,
    );
    return { dx: this.own(r.dx), dweight: this.own(r.dweight), dbias: this.own(r.dbias) };
  }
}

/**
 * The fused softmax cross-entropy kernels (kernels/cross-entropy.ts: float64
 * inside, one rounding) are on by default; NERVE_CPU_FUSED_CE=0 turns them
 * off, and core then composes log-softmax, gather and mean (~10 kernels) as
 * before 2026-12-07. The browser has no `process` and gets the default, so
 * the site's pages and the CLI compute the same bits. They change the bits
 * of every classifier's training; the batchnorm lab's lr-3 finding, which one
 * ulp moved at its default seed (0.772 composed, 0.447 fused after 5 epochs),
 * is now judged on the median of 3 seeds (docs/performance.md, "Issue 16,
 * softmax cross-entropy").
 */
const fusedCrossEntropy = !(typeof process === 'object' && process.env?.NERVE_CPU_FUSED_CE === '0');
if (!fusedCrossEntropy) {
  const proto = CpuBackend.prototype as unknown as Record<string, unknown>;
  delete proto.softmaxCrossEntropy;
  delete proto.softmaxCrossEntropyBackward;
}

const EMPTY = new Float32Array(0);

/**
 * Handles garbage-collected while still live (a tensor that was never
 * disposed): their wasm-heap block goes back to the pool. Only the handle is
 * watched; nothing else holds a block (kernels read it only during a call).
 */
const unfreed = new FinalizationRegistry<TypedArray>((values) => recycle(values));

/**
 * Which handles are registered with `unfreed`. Registering costs ~0.75 µs a handle
 * (measured, Node 20: a WeakCell and the unregister token's map entry), about
 * a tenth of the digits MLP's step with its ~100 buffers, and nearly every
 * buffer of a training step is freed within its tidy scope. So new handles
 * wait in `pending` (a strong reference, so none can be collected unwatched)
 * and only those still live at the next sweep, every PENDING_MAX allocations,
 * are registered: a leaked block goes back to the pool at most PENDING_MAX
 * allocations plus one garbage collection later.
 */
const pending: CpuData[] = [];
const PENDING_MAX = 1024;

function watchLater(d: CpuData): void {
  if (pending.length >= PENDING_MAX) sweepPending();
  pending.push(d);
}

/** Registers the pending handles that are still live (tests call it to watch at once). */
export function sweepPending(): void {
  for (const d of pending) {
    if (!d.freed) {
      d.watched = true;
      unfreed.register(d, d.values, d);
    }
  }
  pending.length = 0;
}
