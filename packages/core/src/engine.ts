/**
 * Global engine state: live-tensor accounting, memory scopes (`tidy`), the
 * grad-enabled flag and the switch that hides optional kernels from the core.
 *
 * Tensors hold backend memory the garbage collector cannot see, so every
 * tensor is counted here from creation to `dispose()`.
 */
import type { Backend } from './backend.js';
import { OPTIONAL_KERNEL_NAMES, type OptionalKernels } from './optional-kernels.js';
import { NerveError } from './errors.js';
import { processSingleton } from './process-state.js';

/**
 * What the engine needs of a tensor: its storage, its scope and ownership
 * links, and `dispose`. Declared here (and implemented by `Tensor`) so the
 * engine does not import the tensor module that imports it.
 */
export interface TrackedTensor {
  readonly isTensor: true;
  readonly storage: Storage;
  readonly requiresGrad: boolean;
  kept: boolean;
  scope: Set<TrackedTensor> | null;
  owned: TrackedTensor[] | null;
  dispose(): void;
}
type Tensor = TrackedTensor;

interface BackendCount {
  tensors: number;
  bytes: number;
}

/** A buffer shared by a tensor and all of its views. */
export class Storage {
  refs = 0;
  constructor(
    readonly backend: Backend,
    public id: object,
    readonly bytes: number,
  ) {}
}

/**
 * The engine's state. One per process, shared by every copy of core
 * (process-state.ts), so plain data only: a tensor made through one copy is
 * counted, scoped and freed the same through another.
 */
export interface EngineState {
  liveTensors: number;
  readonly storages: Set<Storage>;
  readonly perBackend: Map<string, BackendCount>;
  readonly scopes: Set<Tensor>[];
  gradEnabled: boolean;
  /** The id the next tensor gets (ids are unique in the process). */
  nextTensorId: number;
  /** Optional kernels the core must not use (tests of the fallback paths). */
  readonly disabledOptional: Set<string>;
}

export const engine: EngineState = processSingleton<EngineState>('engine', () => ({
  liveTensors: 0,
  storages: new Set(),
  perBackend: new Map(),
  scopes: [],
  gradEnabled: true,
  nextTensorId: 0,
  disabledOptional: new Set(),
}));

/** The live counts of one backend, made on first use. */
function countOf(backend: string): BackendCount {
  let c = engine.perBackend.get(backend);
  if (!c) {
    c = { tensors: 0, bytes: 0 };
    engine.perBackend.set(backend, c);
  }
  return c;
}

/** An optional kernel of `backend`, or undefined when absent or disabled. */
export function optionalKernel<K extends keyof OptionalKernels>(
  backend: Backend,
  name: K,
): NonNullable<OptionalKernels[K]> | undefined {
  if (engine.disabledOptional.has(name)) return undefined;
  const k = backend[name];
  return k ? (k.bind(backend) as NonNullable<OptionalKernels[K]>) : undefined;
}

/**
 * Runs `fn` with the named optional kernels hidden from the core (all of them
 * by default), so their fallbacks (OPTIONAL_KERNEL_FALLBACKS) run instead.
 * For tests and debugging.
 */
export function withoutOptionalKernels<T>(fn: () => T, names?: readonly string[]): T {
  const list = names ?? OPTIONAL_KERNEL_NAMES;
  const added = list.filter((n) => !engine.disabledOptional.has(n));
  for (const n of added) engine.disabledOptional.add(n);
  try {
    return fn();
  } finally {
    for (const n of added) engine.disabledOptional.delete(n);
  }
}

/**
 * @deprecated Renamed to withoutOptionalKernels: the kernels it hides are
 * optional, not fusions. Kept so existing code keeps working.
 */
export const withoutFusedKernels: typeof withoutOptionalKernels = withoutOptionalKernels;

/** Live tensor and byte counts, in total and per backend. */
export interface MemoryInfo {
  /** Tensors created and not yet disposed (views count separately). */
  numTensors: number;
  /** Bytes of distinct buffers held by live tensors. */
  numBytes: number;
  /** Distinct buffers held by live tensors. */
  numBuffers: number;
  /** The same counts per backend name. */
  backends: Record<
    string,
    {
      /** Live tensors held by this backend. */
      numTensors: number;
      /** Bytes of distinct buffers held by this backend's live tensors. */
      numBytes: number;
    }
  >;
}

/** Reports live tensors and the bytes their buffers hold, per backend. */
export function memory(): MemoryInfo {
  let numBytes = 0;
  for (const s of engine.storages) numBytes += s.bytes;
  const backends: MemoryInfo['backends'] = {};
  for (const [name, c] of engine.perBackend) {
    backends[name] = { numTensors: c.tensors, numBytes: c.bytes };
  }
  return { numTensors: engine.liveTensors, numBytes, numBuffers: engine.storages.size, backends };
}

/** Adds a holder to a buffer; the first holder makes its bytes count. */
export function retainStorage(s: Storage): void {
  if (s.refs++ === 0) {
    engine.storages.add(s);
    countOf(s.backend.name).bytes += s.bytes;
  }
}

/** Removes a holder from a buffer; the last one frees it on its backend. */
export function dropStorage(s: Storage): void {
  if (--s.refs === 0) {
    engine.storages.delete(s);
    countOf(s.backend.name).bytes -= s.bytes;
    s.backend.free(s.id);
  }
}

/** Called by every new tensor: count it and put it in the innermost scope. */
export function trackTensor(t: Tensor): void {
  engine.liveTensors++;
  countOf(t.storage.backend.name).tensors++;
  retainStorage(t.storage);
  const scope = engine.scopes[engine.scopes.length - 1];
  if (scope) {
    scope.add(t);
    t.scope = scope;
  }
}

/** Called once by `Tensor.dispose()`. */
export function releaseTensor(t: Tensor): void {
  engine.liveTensors--;
  countOf(t.storage.backend.name).tensors--;
  t.scope?.delete(t);
  t.scope = null;
  dropStorage(t.storage);
}

/** Keeps a tensor alive past the end of every enclosing `tidy` scope. */
export function keep<T extends Tensor>(t: T): T {
  t.kept = true;
  t.scope?.delete(t);
  t.scope = null;
  return t;
}

function collect(x: unknown, out: Set<Tensor>, seen: Set<unknown>): void {
  if (x === null || typeof x !== 'object' || seen.has(x)) return;
  seen.add(x);
  if ((x as { isTensor?: boolean }).isTensor === true) {
    out.add(x as Tensor);
    return;
  }
  if (Array.isArray(x)) {
    for (const v of x) collect(v, out, seen);
  } else if (x instanceof Map) {
    for (const v of x.values()) collect(v, out, seen);
  } else if (Object.getPrototypeOf(x) === Object.prototype) {
    for (const v of Object.values(x)) collect(v, out, seen);
  }
}

/**
 * Runs `fn` and disposes every tensor it created, except the ones it returns
 * (found inside arrays, plain objects and Maps) and the ones passed to
 * `keep`. Returned tensors move to the enclosing scope. If `fn` throws, all
 * of its tensors are disposed before the error propagates.
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new NerveError('tidy', 'a function', typeof fn);
  const scope = new Set<Tensor>();
  engine.scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    engine.scopes.pop();
    for (const t of [...scope]) t.dispose();
    throw e;
  }
  engine.scopes.pop();
  if (result instanceof Promise) {
    for (const t of [...scope]) t.dispose();
    throw new NerveError('tidy', 'a synchronous function', 'a function that returned a Promise');
  }
  const survivors = new Set<Tensor>();
  collect(result, survivors, new Set());
  const parent = engine.scopes[engine.scopes.length - 1] ?? null;
  for (const t of [...scope]) {
    if (survivors.has(t)) {
      t.scope = parent;
      parent?.add(t);
    } else {
      t.dispose();
    }
  }
  return result;
}

/**
 * Runs a composite op. Without a graph to record (gradients off, or no input
 * requires them) it is `tidy`. Otherwise the intermediates the graph refers
 * to stay alive, owned by the result, and are freed when it is disposed.
 */
export function composite<T extends Tensor>(inputs: readonly Tensor[], fn: () => T): T {
  let needGraph = false;
  if (engine.gradEnabled) for (const t of inputs) if (t.requiresGrad) needGraph = true;
  if (!needGraph) return tidy(fn);
  const scope = new Set<Tensor>();
  engine.scopes.push(scope);
  let out: T;
  try {
    out = fn();
  } catch (e) {
    engine.scopes.pop();
    for (const t of [...scope]) t.dispose();
    throw e;
  }
  engine.scopes.pop();
  const parent = engine.scopes[engine.scopes.length - 1] ?? null;
  if (!scope.has(out)) {
    for (const t of [...scope]) t.dispose();
    return out;
  }
  scope.delete(out);
  const owned = [...scope];
  for (const t of owned) t.scope = null;
  out.owned = out.owned ? [...out.owned, ...owned] : owned;
  out.scope = parent;
  parent?.add(out);
  return out;
}

/** Runs `fn` without recording gradients (PyTorch's `torch.no_grad()`). */
export function noGrad<T>(fn: () => T): T {
  const prev = engine.gradEnabled;
  engine.gradEnabled = false;
  try {
    return fn();
  } finally {
    engine.gradEnabled = prev;
  }
}

/** Whether operations are currently recorded for autograd. */
export function isGradEnabled(): boolean {
  return engine.gradEnabled;
}
