/**
 * The WebGPU backend: buffers live in GPU memory (a size-bucketed pool),
 * every kernel is a WGSL compute shader recorded into one command encoder
 * and submitted in batches, and `read` is the only point that waits.
 *
 * There is no `readSync`: a GPU cannot be read synchronously without
 * blocking the thread, so core's `dataSync()` throws its "use await data()"
 * error on this backend.
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
import { NerveError } from '@nerve/core/backend';
import { ConstantCache } from './shared-constants.js';
import { GpuContext, type GpuData } from './context.js';
import { type AdapterDescription, createDevice, type DeviceOptions } from './device.js';
import { binary, copy, copyInto, fillWords, unary, where, wordOf } from './kernels/elementwise.js';
import { batchNormBackward, batchNormForward } from './kernels/batchnorm.js';
import { batchNormStats } from './kernels/batchnorm-stats.js';
import {
  conv2d,
  conv2dBackwardFilter,
  conv2dBackwardInput,
  groupedConv2d,
  groupedConv2dBackwardFilter,
  groupedConv2dBackwardInput,
} from './kernels/conv.js';
import { softmaxCrossEntropy, softmaxCrossEntropyBackward } from './kernels/cross-entropy.js';
import { gather, scatterAdd } from './kernels/gather.js';
import { matmul } from './kernels/matmul.js';
import { adamUpdate, sgdUpdate } from './kernels/optim.js';
import { avgPool2d, avgPool2dBackward, maxPool2d } from './kernels/pooling.js';
import { reduce } from './kernels/reduce.js';
import { logSoftmax, softmax } from './kernels/softmax.js';
import type { PoolStats } from './buffer-pool.js';
import { Readback } from './readback.js';

/** Options of the WebGPU backend (how to find the adapter). */
export type WebGpuBackendOptions = DeviceOptions;

/**
 * Work counters since the backend was initialised. Small-model training is
 * bound by per-dispatch and per-read overhead, so these are the numbers to
 * watch (diff two snapshots to count one training step).
 */
export interface WebGpuStats {
  /** Compute dispatches recorded. */
  readonly dispatches: number;
  /** Command buffers submitted to the queue. */
  readonly submits: number;
  /** Reads back to the host (each one waits for the GPU). */
  readonly reads: number;
  /** Host-to-GPU uploads (queue.writeBuffer of tensor data). */
  readonly uploads: number;
  /** Buffer-to-buffer copies recorded (including each read's staging copy). */
  readonly copies: number;
  /** Dispatches per kernel, only while `traceKernels(true)` is on (else empty). */
  readonly byKernel: Readonly<Record<string, number>>;
}

export class WebGpuBackend implements Backend {
  readonly name = 'webgpu';
  private ctxOrNull: GpuContext | null = null;
  private adapterInfo: AdapterDescription | null = null;
  private readback: Readback | null = null;
  private constants: ConstantCache | null = null;
  private readonly freed = new WeakSet<GpuData>();
  private reads = 0;
  private uploads = 0;

  constructor(private readonly options: WebGpuBackendOptions = {}) {}

  /** Creates the adapter and device; called once by core's `ready('webgpu')`. */
  async init(): Promise<void> {
    if (this.ctxOrNull) return;
    const d = await createDevice(this.options);
    this.ctxOrNull = new GpuContext(d.device, d.limits, d.features);
    this.adapterInfo = d.adapter;
    this.readback = new Readback(this.ctxOrNull);
    this.constants = new ConstantCache(this.ctxOrNull);
  }

  /** The kernel context (throws until `init()` has resolved). */
  get ctx(): GpuContext {
    if (this.ctxOrNull === null) {
      throw NerveError.raw(
        'webgpu',
        'the webgpu backend is not initialised; call \'await ready("webgpu")\' first',
      );
    }
    return this.ctxOrNull;
  }

  /** The adapter in use (vendor, architecture, device, description, features, limits). */
  describe(): AdapterDescription {
    if (this.adapterInfo === null) this.ctx;
    return this.adapterInfo!;
  }

  /** Buffer pool counts: live, pending, free and total buffers and bytes. */
  poolStats(): PoolStats {
    return this.ctx.stats();
  }

  /** Dispatch, submit, read, upload and copy counts since `init()`. */
  stats(): WebGpuStats {
    const c = this.ctx;
    return {
      dispatches: c.dispatches,
      submits: c.submits,
      reads: this.reads,
      uploads: this.uploads,
      copies: c.copies,
      byKernel: Object.fromEntries(c.byKernel ?? []),
    };
  }

  /** Starts (clearing earlier counts) or stops counting dispatches per kernel in `stats().byKernel`. */
  traceKernels(on: boolean): void {
    this.ctx.byKernel = on ? new Map() : null;
  }

  /** Destroys the pool's free buffers (after a large workload, to give memory back). */
  trim(): void {
    this.ctx.flush();
    this.ctx.pool.trim();
  }

  /** Submits all recorded work now (reads do this themselves). */
  flush(): void {
    this.ctx.flush();
  }

  /** Destroys every pooled buffer and the device; the backend cannot be used afterwards. */
  destroy(): void {
    this.readback?.destroy();
    this.constants?.destroy();
    this.ctxOrNull?.destroy();
  }

  // ---- storage --------------------------------------------------------------

  upload(values: TypedArray, dtype: DType): DataId {
    const ctx = this.ctx;
    ctx.check('upload');
    const n = values.length;
    const d = ctx.alloc(n, dtype);
    if (n === 0) return d;
    this.uploads++;
    let words: Float32Array | Int32Array | Uint32Array;
    if (dtype === 'float32') {
      words = values instanceof Float32Array ? values : Float32Array.from(values);
    } else if (dtype === 'int32') {
      // Int32Array conversion is ToInt32, as the CPU backend's.
      words = values instanceof Int32Array ? values : new Int32Array(n);
      if (words !== values) words.set(values);
    } else {
      words = new Uint32Array(n);
      for (let i = 0; i < n; i++) words[i] = values[i] !== 0 ? 1 : 0;
    }
    ctx.device.queue.writeBuffer(d.buffer, 0, words as Float32Array<ArrayBuffer>, 0, n);
    return d;
  }

  fill(size: number, dtype: DType, value: number): DataId {
    const word = wordOf(dtype, value);
    // Scalars (size 1) are shared constants: no dispatch per `mul(x, 0.5)`.
    const shared = size === 1 ? this.constants!.get(dtype, word) : null;
    return shared ?? fillWords(this.ctx, size, dtype, word);
  }

  async read(id: DataId, dtype: DType, size: number): Promise<TypedArray> {
    const ctx = this.ctx;
    ctx.check('read');
    const d = this.data(id, 'read');
    if (size > d.elements) {
      throw new NerveError('read', `at most ${d.elements} elements`, String(size));
    }
    this.reads++;
    return this.readback!.read(d, dtype, size);
  }

  free(id: DataId): void {
    const d = id as GpuData;
    if (this.freed.has(d)) return;
    this.freed.add(d);
    if (d.shared !== true) this.ctx.release(d);
  }

  memory(): BackendMemory {
    const s = this.ctx.stats();
    return { buffers: s.live, bytes: s.liveBytes };
  }

  // ---- required primitives --------------------------------------------------

  unary(op: UnaryOp, x: StridedView, p: UnaryParams): DataId {
    return unary(this.ctx, op, x, p);
  }

  binary(op: BinaryOp, a: StridedView, b: StridedView, p: BinaryParams): DataId {
    return binary(this.ctx, op, a, b, p);
  }

  where(cond: StridedView, a: StridedView, b: StridedView, p: WhereParams): DataId {
    return where(this.ctx, cond, a, b, p);
  }

  copy(x: StridedView, p: CopyParams): DataId {
    return copy(this.ctx, x, p);
  }

  copyInto(dst: StridedView, src: StridedView, p: CopyIntoParams): void {
    this.constants!.privatize(this.data(dst.id, 'copyInto'));
    copyInto(this.ctx, dst, src, p);
  }

  reduce(op: ReduceOp, x: DataId, p: ReduceParams): DataId {
    return reduce(this.ctx, op, this.data(x, 'reduce'), p.dtype, p.outer, p.size, p.inner);
  }

  matmul(a: DataId, b: DataId, p: MatmulParams): DataId {
    return matmul(this.ctx, this.data(a, 'matmul'), this.data(b, 'matmul'), p);
  }

  gather(x: DataId, index: StridedView, p: GatherParams): DataId {
    this.data(index.id, 'gather');
    return gather(this.ctx, this.data(x, 'gather'), index, p);
  }

  scatterAdd(index: StridedView, src: DataId, p: GatherParams): DataId {
    this.data(index.id, 'scatterAdd');
    return scatterAdd(this.ctx, index, this.data(src, 'scatterAdd'), p);
  }

  // ---- fused kernels --------------------------------------------------------

  conv2d(x: DataId, w: DataId, p: Conv2dParams): DataId {
    return conv2d(this.ctx, this.data(x, 'conv2d'), this.data(w, 'conv2d'), p);
  }

  conv2dBackwardInput(dy: DataId, w: DataId, p: Conv2dParams): DataId {
    const op = 'conv2dBackwardInput';
    return conv2dBackwardInput(this.ctx, this.data(dy, op), this.data(w, op), p);
  }

  conv2dBackwardFilter(x: DataId, dy: DataId, p: Conv2dParams): DataId {
    const op = 'conv2dBackwardFilter';
    return conv2dBackwardFilter(this.ctx, this.data(x, op), this.data(dy, op), p);
  }

  groupedConv2d(x: DataId, w: DataId, p: Conv2dParams): DataId {
    const op = 'groupedConv2d';
    return groupedConv2d(this.ctx, this.data(x, op), this.data(w, op), p);
  }

  groupedConv2dBackwardInput(dy: DataId, w: DataId, p: Conv2dParams): DataId {
    const op = 'groupedConv2dBackwardInput';
    return groupedConv2dBackwardInput(this.ctx, this.data(dy, op), this.data(w, op), p);
  }

  groupedConv2dBackwardFilter(x: DataId, dy: DataId, p: Conv2dParams): DataId {
    const op = 'groupedConv2dBackwardFilter';
    return groupedConv2dBackwardFilter(this.ctx, this.data(x, op), this.data(dy, op), p);
  }

  maxPool2d(x: DataId, p: Conv2dParams): MaxPoolResult {
    return maxPool2d(this.ctx, this.data(x, 'maxPool2d'), p);
  }

  avgPool2d(x: DataId, p: Conv2dParams): DataId {
    return avgPool2d(this.ctx, this.data(x, 'avgPool2d'), p);
  }

  avgPool2dBackward(dy: DataId, p: Conv2dParams): DataId {
    return avgPool2dBackward(this.ctx, this.data(dy, 'avgPool2dBackward'), p);
  }

  softmax(x: DataId, p: SoftmaxParams): DataId {
    return softmax(this.ctx, this.data(x, 'softmax'), p.outer, p.size);
  }

  logSoftmax(x: DataId, p: SoftmaxParams): DataId {
    return logSoftmax(this.ctx, this.data(x, 'logSoftmax'), p.outer, p.size);
  }

  softmaxCrossEntropy(logits: DataId, labels: DataId, p: SoftmaxCrossEntropyParams): DataId {
    const op = 'softmaxCrossEntropy';
    return softmaxCrossEntropy(this.ctx, this.data(logits, op), this.data(labels, op), p);
  }

  softmaxCrossEntropyBackward(
    logits: DataId,
    labels: DataId,
    dy: DataId,
    p: SoftmaxCrossEntropyParams,
  ): DataId {
    const op = 'softmaxCrossEntropyBackward';
    const [x, y, g] = [logits, labels, dy].map((id) => this.data(id, op));
    return softmaxCrossEntropyBackward(this.ctx, x, y, g, p);
  }

  batchNormStats(
    x: DataId,
    p: BatchNormStatsParams,
    running: RunningStatsUpdate | null = null,
  ): BatchNormStatsResult {
    const op = 'batchNormStats';
    const d = this.data(x, op);
    const r = running && {
      mean: this.data(running.mean, op),
      variance: this.data(running.variance, op),
      momentum: running.momentum,
    };
    return batchNormStats(this.ctx, d, p.outer, p.channels, p.inner, p.correction, r);
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
    const [a, m, v] = [x, mean, variance].map((id) => this.data(id, op));
    const w = weight === null ? null : this.data(weight, op);
    const b = bias === null ? null : this.data(bias, op);
    return batchNormForward(this.ctx, a, m, v, w, b, p);
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
    const [a, g, m, v] = [x, dy, mean, variance].map((id) => this.data(id, op));
    const w = weight === null ? null : this.data(weight, op);
    return batchNormBackward(this.ctx, a, g, m, v, w, p);
  }

  sgdUpdate(
    param: DataId,
    grad: DataId,
    momentumBuffer: DataId | null,
    p: SgdUpdateParams,
  ): SgdUpdateBuffers {
    const op = 'sgdUpdate';
    const b = momentumBuffer === null ? null : this.data(momentumBuffer, op);
    return sgdUpdate(this.ctx, this.data(param, op), this.data(grad, op), b, p);
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
    const [w, g, m, v] = [param, grad, expAvg, expAvgSq].map((id) => this.data(id, op));
    const vMax = maxExpAvgSq === null ? null : this.data(maxExpAvgSq, op);
    return adamUpdate(this.ctx, w, g, m, v, vMax, p);
  }

  // ---- internals ------------------------------------------------------------

  private data(id: DataId, op: string): GpuData {
    const d = id as Partial<GpuData>;
    if (d.buffer === undefined) {
      throw new NerveError(op, 'a buffer created by the webgpu backend', 'a foreign handle');
    }
    if (this.freed.has(d as GpuData)) {
      throw new NerveError(op, 'a live buffer', 'a buffer that was already freed');
    }
    return d as GpuData;
  }
}
