/**
 * The WebAssembly runtime behind the CPU GEMM: kernel mode, the compiled
 * module, its memory and the task runner.
 *
 * For the worker pool (../threads/) and `setThreads(n)`:
 *
 * - `getWasmRuntime()` returns `{ module, memory, instance, runner, mode, tile }`
 *   for the effective mode, or undefined in 'scalar' mode. The module imports
 *   exactly one thing, `env.memory`, and has no globals, tables or start
 *   function, so a worker instantiates the same `module` against the same
 *   `memory` (both can be posted to a worker when the memory is shared) with
 *   `new WebAssembly.Instance(module, { env: { memory } })`.
 * - `setRunnerFactory(factory, { sharedMemory: true })` plugs a pool in: the
 *   current runtime is dropped, and the next GEMM builds a new one with a
 *   shared memory (`maximum` = MAX_PAGES) and calls `factory(runtimeParts)` to
 *   get its runner. The factory is called again whenever the runtime is
 *   rebuilt (a kernel-mode change compiles another module, so workers must
 *   instantiate it). `setRunnerFactory(undefined)` goes back to one thread.
 * - Tasks never overlap in what they write (see gemm-codegen.ts), and any
 *   split gives bit-identical results, so a runner may order them freely.
 * - Memory grows from the calling thread (`memory.grow`) between runs, never
 *   during one; wasm code in workers sees the new size without any action.
 */
import { NerveError } from '@nerve/core/backend';
import { type WasmHeap, wasmHeap } from '../heap.js';
import { detectSimd } from './detect.js';
import { gemmModule, type SimdMode } from './gemm-codegen.js';
import { SingleThreadRunner, type WasmTaskRunner } from './runner.js';

/** Which GEMM kernels run: 'relaxed' (f32x4.relaxed_madd), 'simd' (f32x4 mul+add) or 'scalar' (plain JS). */
export type KernelMode = 'relaxed' | 'simd' | 'scalar';

/** Register tile of the wasm micro-kernel per mode (measured: README and gemm-codegen.ts). */
export const TILES: Readonly<Record<SimdMode, { mr: number; nr: number }>> = {
  relaxed: { mr: 6, nr: 8 },
  simd: { mr: 5, nr: 8 },
};

/** 4 GiB, the wasm32 limit; a shared memory reserves its maximum up front as address space only. */
export const MAX_PAGES = 65536;

/** What a runner factory is given to build a runner. */
export interface RuntimeParts {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly instance: WebAssembly.Instance;
  readonly mode: SimdMode;
  /** The register tile the module was generated with. */
  readonly tile: { readonly mr: number; readonly nr: number };
}

export type RunnerFactory = (parts: RuntimeParts) => WasmTaskRunner;

export interface WasmRuntime extends RuntimeParts {
  readonly runner: WasmTaskRunner;
  /** A Float32Array over the whole memory, re-created after the memory grew. */
  f32(): Float32Array;
  /**
   * The byte address of a scratch region of at least `bytes` bytes, valid
   * until the next call (a block of the wasm heap when the runtime shares
   * it, else the memory's start). Call before f32(): it may grow the memory.
   */
  scratch(bytes: number): number;
  /** Whether `v` lives in this runtime's memory, so kernels may read it in place. */
  holds(v: Float32Array): boolean;
}

let requested: KernelMode | 'auto' = 'auto';
let runnerFactory: RunnerFactory | undefined;
let sharedMemory = false;
let current: WasmRuntime | undefined;

/** The modes this runtime supports, fastest first; 'scalar' always. */
export function supportedKernelModes(): KernelMode[] {
  const { simd, relaxed } = detectSimd();
  return [...(relaxed ? ['relaxed' as const] : []), ...(simd ? ['simd' as const] : []), 'scalar'];
}

/**
 * Chooses the GEMM kernels for matmul and conv: 'auto' (the default) picks
 * the fastest supported, the others force one and throw if unsupported.
 */
export function setKernelMode(mode: KernelMode | 'auto'): void {
  const all = ['auto', 'relaxed', 'simd', 'scalar'];
  if (!all.includes(mode)) {
    throw new NerveError('setKernelMode', `one of ${all.join(', ')}`, JSON.stringify(mode));
  }
  const supported = supportedKernelModes();
  if (mode !== 'auto' && !supported.includes(mode)) {
    throw new NerveError(
      'setKernelMode',
      `a mode this runtime supports (${['auto', ...supported].join(', ')})`,
      `'${mode}'`,
    );
  }
  requested = mode;
  if (current && current.mode !== getKernelMode()) current = undefined;
}

/** The kernels matmul and conv use now (what 'auto' resolved to). */
export function getKernelMode(): KernelMode {
  return requested === 'auto' ? supportedKernelModes()[0] : requested;
}

/** Plugs in a runner (a worker pool); see the file comment. */
export function setRunnerFactory(
  factory: RunnerFactory | undefined,
  opts: { sharedMemory?: boolean } = {},
): void {
  runnerFactory = factory;
  sharedMemory = factory !== undefined && opts.sharedMemory === true;
  current = undefined;
}

/** The runtime for the effective mode, built on first use; undefined in 'scalar' mode. */
export function getWasmRuntime(): WasmRuntime | undefined {
  const mode = getKernelMode();
  if (mode === 'scalar') return undefined;
  if (current?.mode === mode) return current;
  current = build(mode);
  return current;
}

function build(mode: SimdMode): WasmRuntime {
  // Where the backend keeps float32 tensors in a shared wasm heap
  // (../heap.ts), the kernels run on that memory and read operands in place.
  const heap = wasmHeap();
  if (heap !== undefined) return buildOn(mode, heap);
  const initial = 16; // 1 MiB; grown on demand
  const memory = new WebAssembly.Memory(
    sharedMemory ? { initial, maximum: MAX_PAGES, shared: true } : { initial, maximum: MAX_PAGES },
  );
  const bytes = gemmModule({
    mode,
    ...TILES[mode],
    memory: { initial, maximum: MAX_PAGES, shared: sharedMemory },
  });
  const module = new WebAssembly.Module(bytes);
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const parts: RuntimeParts = { module, memory, instance, mode, tile: TILES[mode] };
  const runner = runnerFactory ? runnerFactory(parts) : new SingleThreadRunner(instance.exports);
  let view = new Float32Array(memory.buffer);
  return {
    ...parts,
    runner,
    f32() {
      if (view.buffer !== memory.buffer) view = new Float32Array(memory.buffer);
      return view;
    },
    holds: () => false,
    scratch(need: number) {
      const have = memory.buffer.byteLength;
      if (need <= have) return 0;
      const pages = Math.ceil((need - have) / 65536);
      if (have / 65536 + pages > MAX_PAGES) {
        throw NerveError.raw('matmul', `needs ${need} bytes of wasm memory, over the 4 GiB limit`);
      }
      // Grow by at least half again so a sequence of growing calls grows rarely.
      memory.grow(Math.min(MAX_PAGES - have / 65536, Math.max(pages, Math.ceil(have / 131072))));
      return 0;
    },
  };
}

/** The runtime on the wasm heap's memory (always shared). */
function buildOn(mode: SimdMode, heap: WasmHeap): WasmRuntime {
  const { memory } = heap;
  const bytes = gemmModule({
    mode,
    ...TILES[mode],
    memory: { initial: 1, maximum: MAX_PAGES, shared: true },
  });
  const module = new WebAssembly.Module(bytes);
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const parts: RuntimeParts = { module, memory, instance, mode, tile: TILES[mode] };
  const runner = runnerFactory ? runnerFactory(parts) : new SingleThreadRunner(instance.exports);
  // One scratch block per runtime, replaced by a larger one when a call needs more.
  let at = 0;
  let size = 0;
  return {
    ...parts,
    runner,
    f32: () => heap.f32(),
    holds: (v) => heap.owns(v),
    scratch(need: number) {
      if (need <= size) return at;
      if (size > 0) heap.freeBytes(at, size);
      size = Math.max(need, Math.ceil(size * 1.5));
      at = heap.allocBytes(size);
      return at;
    },
  };
}
