/**
 * The Tensor: a shape, a dtype and a strided view over a backend buffer that
 * it may share with other views. Operations are attached as methods in
 * ops/methods.ts; the functional forms live in ops/.
 */
import type { Backend, DataId, StridedView } from './backend.js';
import { BYTES_PER_ELEMENT, type DType, type TypedArray } from './dtype.js';
import {
  Storage,
  dropStorage,
  engine,
  keep as keepTensor,
  releaseTensor,
  retainStorage,
  trackTensor,
} from './engine.js';
import { NerveError, fmtShape } from './errors.js';
import { type Shape, contiguousStrides, isContiguous, shapesEqual, sizeOf } from './shape.js';

/** A node of the autograd graph: how to turn the output's gradient into the inputs'. */
export interface GradNode {
  /** Op name, for error messages. */
  readonly name: string;
  /** The tensors this op read, in the order `backward` returns their gradients. */
  readonly inputs: readonly Tensor[];
  /** Returns one gradient per input (null where the input needs none). */
  backward(dy: Tensor): (Tensor | null)[];
}

/**
 * Nested JavaScript arrays of numbers or booleans, one level per axis, as `tensor()` takes them.
 */
export type NestedArray = number | boolean | NestedArray[];

/**
 * An n-dimensional array held in a backend's memory: shape, strides, dtype and an autograd record.
 * Create tensors with `tensor`, `zeros`, `randn` and friends; every op is a function (`add(a, b)`)
 * and a method (`a.add(b)`). A tensor owns backend memory: `dispose()` it or create it inside
 * `tidy`.
 */
export class Tensor {
  /**
   * Always true: tells a Tensor from other values without `instanceof` (which fails across bundled
   * copies).
   */
  readonly isTensor = true;
  /** A process-unique number, in creation order (shown by `toString`). */
  readonly id: number;
  /** Length of each axis; `[]` for a scalar. */
  readonly shape: readonly number[];
  /**
   * Elements to step in storage per step along each axis (row-major for a fresh tensor; views may
   * differ).
   */
  readonly strides: readonly number[];
  /** Index of the first element in the storage buffer (non-zero for some views). */
  readonly offset: number;
  /** Element type: 'float32', 'int32' or 'bool'. */
  readonly dtype: DType;
  /** Number of elements: the product of `shape` (1 for a scalar). */
  readonly size: number;
  /** Shared buffer; replaced (not mutated) by `assign`. */
  storage: Storage;
  /** The node that produced this tensor, or null for leaves. */
  gradFn: GradNode | null = null;
  /** Accumulated gradient of a leaf after `backward()`. */
  grad: Tensor | null = null;
  /** Set by `keep()`: survives the end of `tidy` scopes. */
  kept = false;
  /** @internal the tidy scope that owns this tensor. */
  scope: Set<Tensor> | null = null;
  /** @internal intermediates of a composite op that its graph needs; freed with this tensor. */
  owned: Tensor[] | null = null;
  private _requiresGrad = false;
  private _disposed = false;

  /** @internal use the creation functions or ops instead. */
  constructor(
    storage: Storage,
    shape: Shape,
    dtype: DType,
    strides?: readonly number[],
    offset = 0,
  ) {
    this.id = engine.nextTensorId++;
    this.storage = storage;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.strides = Object.freeze(strides ? [...strides] : contiguousStrides(shape));
    this.offset = offset;
    this.size = sizeOf(shape);
    trackTensor(this);
  }

  /** @internal wraps a buffer a backend just returned. */
  static fromData(backend: Backend, id: DataId, shape: Shape, dtype: DType): Tensor {
    const storage = new Storage(backend, id, sizeOf(shape) * BYTES_PER_ELEMENT[dtype]);
    return new Tensor(storage, shape, dtype);
  }

  /** Number of axes (`shape.length`). */
  get rank(): number {
    return this.shape.length;
  }

  /** The backend that holds this tensor's memory. */
  get backend(): Backend {
    return this.storage.backend;
  }

  /**
   * True after `dispose()` (or after the `tidy` scope that made it ended); using it then throws.
   */
  get isDisposed(): boolean {
    return this._disposed;
  }

  /** True when the elements are laid out row-major from `offset`. */
  get isContiguous(): boolean {
    return isContiguous(this.shape, this.strides);
  }

  /** Whether autograd tracks operations on this tensor. */
  get requiresGrad(): boolean {
    return this._requiresGrad;
  }

  /** Turns tracking on (float32 only) or off; turning it off on a non-leaf throws. */
  set requiresGrad(v: boolean) {
    if (v && this.dtype !== 'float32') {
      throw new NerveError('requiresGrad', 'a float32 tensor', `a ${this.dtype} tensor`);
    }
    if (!v && this.gradFn) {
      throw NerveError.raw(
        'requiresGrad',
        'cannot turn off gradients of a tensor produced by an op; use detach()',
      );
    }
    this._requiresGrad = v;
  }

  /** @internal marks an op output as part of the graph. */
  setGradFn(node: GradNode): void {
    this._requiresGrad = true;
    this.gradFn = node;
  }

  /** True for tensors with no producing op (parameters and inputs). */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** Throws a clear error when the tensor was disposed. */
  assertAlive(op: string): void {
    if (this._disposed) {
      throw NerveError.raw(
        op,
        `tensor #${this.id} (${fmtShape(this.shape)} ${this.dtype}) was disposed and can no longer be used`,
      );
    }
  }

  /** @internal the strided read of this tensor that kernels receive. */
  view(): StridedView {
    return { id: this.storage.id, strides: this.strides, offset: this.offset };
  }

  /** Frees this tensor's hold on its buffer (and its gradient). Safe to call twice. */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    releaseTensor(this);
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
    this.gradFn = null;
    if (this.owned) {
      for (const t of this.owned) t.dispose();
      this.owned = null;
    }
  }

  /** Keeps this tensor alive past enclosing `tidy` scopes. */
  keep(): this {
    return keepTensor(this);
  }

  /**
   * Replaces this tensor's values with `value`'s in place (same shape and
   * dtype), e.g. for optimizer updates. The buffer of `value` is shared, not
   * copied; other views of the old buffer keep the old values.
   */
  assign(value: Tensor): this {
    this.assertAlive('assign');
    value.assertAlive('assign');
    if (value.dtype !== this.dtype || !shapesEqual(value.shape, this.shape)) {
      throw new NerveError(
        'assign',
        `a ${this.dtype} tensor of shape ${fmtShape(this.shape)}`,
        `a ${value.dtype} tensor of shape ${fmtShape(value.shape)}`,
      );
    }
    if (value.backend !== this.backend) {
      throw new NerveError(
        'assign',
        `a tensor on backend '${this.backend.name}'`,
        value.backend.name,
      );
    }
    if (!value.isContiguous || value.offset !== 0 || !this.isContiguous || this.offset !== 0) {
      throw NerveError.raw('assign', 'both tensors must be contiguous (call .contiguous())');
    }
    const old = this.storage;
    retainStorage(value.storage);
    this.storage = value.storage;
    dropStorage(old);
    return this;
  }

  /** Reads the values (row-major) to the host. Works on every backend. */
  async data(): Promise<TypedArray> {
    this.assertAlive('data');
    if (this.isContiguous && this.offset === 0 && this.storage.bytes === this.byteSize()) {
      return this.backend.read(this.storage.id, this.dtype, this.size);
    }
    const c = this.backend.copy(this.view(), {
      shape: this.shape,
      inDtype: this.dtype,
      outDtype: this.dtype,
    });
    try {
      return await this.backend.read(c, this.dtype, this.size);
    } finally {
      this.backend.free(c);
    }
  }

  /** Reads the values synchronously; only backends that can do so honestly (cpu). */
  dataSync(): TypedArray {
    this.assertAlive('dataSync');
    const b = this.backend;
    if (!b.readSync) {
      throw NerveError.raw(
        'dataSync',
        `backend '${b.name}' cannot read synchronously; use 'await tensor.data()'`,
      );
    }
    if (this.isContiguous && this.offset === 0 && this.storage.bytes === this.byteSize()) {
      return b.readSync(this.storage.id, this.dtype, this.size);
    }
    const c = b.copy(this.view(), {
      shape: this.shape,
      inDtype: this.dtype,
      outDtype: this.dtype,
    });
    try {
      return b.readSync(c, this.dtype, this.size);
    } finally {
      b.free(c);
    }
  }

  /** Values as nested arrays (booleans for bool tensors). */
  async array(): Promise<NestedArray> {
    return nest(await this.data(), this.shape, this.dtype);
  }

  /** Nested arrays, synchronously (cpu). */
  arraySync(): NestedArray {
    return nest(this.dataSync(), this.shape, this.dtype);
  }

  /** The single value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1)
      throw new NerveError('item', 'a tensor with one element', fmtShape(this.shape));
    return (await this.data())[0];
  }

  /** The single value of a one-element tensor, synchronously (cpu). */
  itemSync(): number {
    if (this.size !== 1)
      throw new NerveError('item', 'a tensor with one element', fmtShape(this.shape));
    return this.dataSync()[0];
  }

  /** A short description such as `Tensor(#12 [2,3] float32 requiresGrad)`. */
  toString(): string {
    return `Tensor(#${this.id} ${fmtShape(this.shape)} ${this.dtype}${this._requiresGrad ? ' requiresGrad' : ''}${this._disposed ? ' disposed' : ''})`;
  }

  private byteSize(): number {
    return this.size * BYTES_PER_ELEMENT[this.dtype];
  }
}

function nest(values: TypedArray, shape: Shape, dtype: DType): NestedArray {
  const conv = (v: number): number | boolean => (dtype === 'bool' ? v !== 0 : v);
  if (shape.length === 0) return conv(values[0]);
  const build = (dim: number, off: number): NestedArray[] => {
    const n = shape[dim];
    const stride = sizeOf(shape.slice(dim + 1));
    const out: NestedArray[] = new Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = dim === shape.length - 1 ? conv(values[off + i]) : build(dim + 1, off + i * stride);
    }
    return out;
  };
  return build(0, 0);
}
