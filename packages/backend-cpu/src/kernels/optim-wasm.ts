/**
 * The Adam update as a WebAssembly SIMD loop (f32x4), four elements per
 * instruction instead of one float64 op plus a Math.fround per element.
 *
 * Bit-identical to the JS loop in optim.ts: every JS step there is
 * Math.fround(a ∘ b) of float32 operands for ∘ in {+, −, ×, ÷, √}, which is
 * exactly the correctly rounded float32 operation (float64 has more than
 * 2·24 + 2 significand bits, so the double rounding is innocuous: Figueroa
 * 1995), and wasm's f32 and f32x4 add/sub/mul/div/sqrt are IEEE 754
 * correctly rounded (WebAssembly Core Specification 2.0, §4.3.3). The
 * optional parts (L2 or decoupled weight decay, AMSGrad) are separate
 * functions chosen at code-generation time, never a no-op multiply by 1 or
 * add of 0 (those change −0 and ±∞ results). AMSGrad's variant exists but
 * optim.ts does not call it: V8's Math.max returns its own NaN (0xffc00000
 * on x86) where f32x4.max returns the canonical 0x7fc00000, so NaN bits
 * would differ from core's fallback (the kernel test caught it).
 *
 * Where the operands are wasm-heap tensors (heap.ts), a second instance on
 * the heap's memory updates the output tensors in place (after memory.copy
 * of param, m and v into them). Otherwise operands are copied into the
 * module's own memory and the results copied out: about 7 × 4 bytes per
 * element, far less than the loop saved (measured in docs/performance.md,
 * issue 16). Neither memory is used by the thread pool.
 */
import type { AdamUpdateParams } from '@nerve/core/backend';
import { detectSimd } from '../wasm/detect.js';
import { type FuncBuilder, ModuleBuilder } from '../wasm/emit.js';
import { copyF32, wasmHeap } from '../heap.js';
import { MAX_PAGES } from '../wasm/runtime.js';

/** Which variant: L2 decay on the gradient, decoupled decay of the weight, AMSGrad. */
interface Variant {
  l2: boolean;
  decoupled: boolean;
  ams: boolean;
}

const VARIANTS: Variant[] = [];
for (const l2 of [false, true]) {
  for (const decoupled of [false, true]) {
    for (const ams of [false, true]) VARIANTS.push({ l2, decoupled, ams });
  }
}

function nameOf(v: Variant): string {
  return `adam${v.l2 ? '_l2' : ''}${v.decoupled ? '_dec' : ''}${v.ams ? '_ams' : ''}`;
}

// Parameters: pointers P G M V X (X: max v̂, AMSGrad only), element count n (a multiple of 4
// for the vector loop; the scalar tail handles the rest), then the float32 scalars.
const PARAMS = [
  'i32', // P
  'i32', // G
  'i32', // M
  'i32', // V
  'i32', // X
  'i32', // n
  'f32', // b1
  'f32', // b2
  'f32', // c1
  'f32', // c2
  'f32', // sqrtBc2
  'f32', // eps
  'f32', // stepSize
  'f32', // wd
  'f32', // shrink
] as const;

/**
 * The body for one variant, `lanes` 4 (f32x4, v128 loads) or 1 (f32). Each
 * line mirrors optim.ts's adamUpdate loop, op for op.
 */
function emitLoop(f: FuncBuilder, v: Variant, lanes: 4 | 1, start: number, end: number): void {
  const vec = lanes === 4;
  const T = vec ? 'v128' : 'f32';
  const load = vec ? ('v128.load' as const) : ('f32.load' as const);
  const store = vec ? ('v128.store' as const) : ('f32.store' as const);
  const add = vec ? ('f32x4.add' as const) : ('f32.add' as const);
  const sub = vec ? ('f32x4.sub' as const) : ('f32.sub' as const);
  const mul = vec ? ('f32x4.mul' as const) : ('f32.mul' as const);
  const div = vec ? ('f32x4.div' as const) : ('f32.div' as const);
  const sqrt = vec ? ('f32x4.sqrt' as const) : ('f32.sqrt' as const);
  const max = vec ? ('f32x4.max' as const) : ('f32.max' as const);
  // Scalars, splatted once for the vector loop.
  const scalar = (param: number) => {
    if (!vec) return param;
    const l = f.local('v128');
    f.get(param).op('f32x4.splat').set(l);
    return l;
  };
  const b1 = scalar(6);
  const b2 = scalar(7);
  const c1 = scalar(8);
  const c2 = scalar(9);
  const sqrtBc2 = scalar(10);
  const eps = scalar(11);
  const stepSize = scalar(12);
  const wd = scalar(13);
  const shrink = scalar(14);
  const i = f.local('i32'); // byte offset
  const lim = f.local('i32');
  const w = f.local(T);
  const d = f.local(T);
  const m = f.local(T);
  const vv = f.local(T);
  const at = (ptr: number) => f.get(ptr).get(i).op('i32.add');
  f.get(end).i32(4).op('i32.mul').set(lim);
  f.forUp(
    i,
    () => f.get(start).i32(4).op('i32.mul'),
    lim,
    4 * lanes,
    () => {
      at(0).mem(load).set(w);
      // d = l2 ? g + w·wd : g
      at(1).mem(load);
      if (v.l2) f.get(w).get(wd).op(mul).op(add);
      f.set(d);
      // m = M·b1 + d·c1
      at(2).mem(load).get(b1).op(mul).get(d).get(c1).op(mul).op(add).set(m);
      // v = V·b2 + (d·c2)·d
      at(3).mem(load).get(b2).op(mul).get(d).get(c2).op(mul).get(d).op(mul).op(add).set(vv);
      at(2).get(m).mem(store);
      at(3).get(vv).mem(store);
      if (v.ams) {
        // v̂ = max(X, v)
        at(4).mem(load).get(vv).op(max).set(vv);
        at(4).get(vv).mem(store);
      }
      // P = x − (m / (√v̂ / sqrtBc2 + eps))·stepSize, x = decoupled ? w·shrink : w
      at(0);
      f.get(w);
      if (v.decoupled) f.get(shrink).op(mul);
      f.get(m).get(vv).op(sqrt).get(sqrtBc2).op(div).get(eps).op(add).op(div);
      f.get(stepSize).op(mul).op(sub).mem(store);
    },
  );
}

function buildModule(shared: boolean): Uint8Array<ArrayBuffer> {
  const mb = new ModuleBuilder().importMemory(
    shared ? { initial: 1, maximum: MAX_PAGES, shared: true } : { initial: 1 },
  );
  for (const v of VARIANTS) {
    mb.func(
      nameOf(v),
      [...PARAMS],
      [],
      (f) => {
        // Vector loop over [0, n4), scalar tail over [n4, n).
        const n4 = f.local('i32');
        const zero = f.local('i32');
        f.i32(0).set(zero);
        f.get(5).i32(-4).op('i32.and').set(n4);
        emitLoop(f, v, 4, zero, n4);
        emitLoop(f, v, 1, n4, 5);
      },
      true,
    );
  }
  return mb.encode();
}

type AdamFn = (
  P: number,
  G: number,
  M: number,
  V: number,
  X: number,
  n: number,
  b1: number,
  b2: number,
  c1: number,
  c2: number,
  sqrtBc2: number,
  eps: number,
  stepSize: number,
  wd: number,
  shrink: number,
) => void;

interface AdamWasm {
  memory: WebAssembly.Memory;
  fns: Map<string, AdamFn>;
  view: Float32Array;
}

let state: AdamWasm | null | undefined;

/** Disables the wasm path (tests compare it with the JS loop). */
let disabled = false;

/** The compiled module, or null where WebAssembly SIMD is missing. */
function wasm(): AdamWasm | null {
  if (state !== undefined) return state;
  if (!detectSimd().simd) {
    state = null;
    return state;
  }
  const memory = new WebAssembly.Memory({ initial: 1 });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(buildModule(false)), {
    env: { memory },
  });
  const fns = new Map<string, AdamFn>();
  for (const v of VARIANTS) fns.set(nameOf(v), instance.exports[nameOf(v)] as AdamFn);
  state = { memory, fns, view: new Float32Array(memory.buffer) };
  return state;
}

let onHeap: Map<string, AdamFn> | null | undefined;
let heapRuns = 0;

/** How many adamWasm calls updated heap tensors in place so far (tests check which path ran). */
export function adamHeapRuns(): number {
  return heapRuns;
}

/** The same functions instantiated on the wasm heap's memory (heap.ts), or null without a heap. */
function heapFns(): Map<string, AdamFn> | null {
  if (onHeap !== undefined) return onHeap;
  const heap = wasmHeap();
  if (heap === undefined || wasm() === null) {
    onHeap = null;
    return onHeap;
  }
  const instance = new WebAssembly.Instance(new WebAssembly.Module(buildModule(true)), {
    env: { memory: heap.memory },
  });
  onHeap = new Map();
  for (const v of VARIANTS) onHeap.set(nameOf(v), instance.exports[nameOf(v)] as AdamFn);
  return onHeap;
}

/** Turns the wasm Adam loop off (true) or back on, for tests; returns the previous setting. */
export function setAdamWasmDisabled(off: boolean): boolean {
  const was = disabled;
  disabled = off;
  return was;
}

/** Whether `adamWasm` will run (SIMD present and not disabled). */
export function adamWasmAvailable(): boolean {
  return !disabled && wasm() !== null;
}

/** The float32 scalars of one step, computed as optim.ts's JS loop does. */
export interface AdamScalars {
  b1: number;
  b2: number;
  c1: number;
  c2: number;
  sqrtBc2: number;
  eps: number;
  stepSize: number;
  wd: number;
  shrink: number;
}

/**
 * One Adam step on `n` elements in wasm: copies param, grad, m, v (and v̂
 * max) in, runs the variant's loop, and writes the results to the out arrays.
 */
export function adamWasm(
  param: Float32Array,
  grad: Float32Array,
  expAvg: Float32Array,
  expAvgSq: Float32Array,
  maxExpAvgSq: Float32Array | null,
  out: {
    param: Float32Array;
    expAvg: Float32Array;
    expAvgSq: Float32Array;
    max: Float32Array | null;
  },
  n: number,
  p: AdamUpdateParams,
  s: AdamScalars,
): void {
  const ams = maxExpAvgSq !== null && out.max !== null;
  const variant: Variant = {
    l2: p.weightDecay !== 0 && !p.decoupledWeightDecay,
    decoupled: p.weightDecay !== 0 && p.decoupledWeightDecay,
    ams,
  };
  const heap = wasmHeap();
  const inPlace = heapFns();
  if (
    inPlace !== null &&
    heap !== undefined &&
    !ams &&
    [param, grad, expAvg, expAvgSq, out.param, out.expAvg, out.expAvgSq].every((v) =>
      heap.owns(v),
    ) &&
    out.param !== grad &&
    out.expAvg !== grad &&
    out.expAvgSq !== grad
  ) {
    // Tensors in the wasm heap: the loop updates the out arrays in place after
    // three memory.copy calls, instead of copying 4 arrays into the module's
    // memory and 3 back with TypedArray.set, which is several times slower on a
    // shared buffer (docs/performance.md). Issue 16: ~40% of Adam's time.
    heapRuns++;
    copyF32(out.param, 0, param, 0, n);
    copyF32(out.expAvg, 0, expAvg, 0, n);
    copyF32(out.expAvgSq, 0, expAvgSq, 0, n);
    (inPlace.get(nameOf(variant)) as AdamFn)(
      out.param.byteOffset,
      grad.byteOffset,
      out.expAvg.byteOffset,
      out.expAvgSq.byteOffset,
      0,
      n,
      s.b1,
      s.b2,
      s.c1,
      s.c2,
      s.sqrtBc2,
      s.eps,
      s.stepSize,
      s.wd,
      s.shrink,
    );
    return;
  }
  const rt = wasm() as AdamWasm;
  // Five regions of n floats, each rounded up to 16 bytes for aligned v128 access.
  const stride = (n + 3) & ~3;
  const need = 5 * stride * 4;
  if (rt.memory.buffer.byteLength < need) {
    rt.memory.grow(Math.ceil((need - rt.memory.buffer.byteLength) / 65536));
    rt.view = new Float32Array(rt.memory.buffer);
  }
  const mem = rt.view;
  mem.set(n === param.length ? param : param.subarray(0, n), 0);
  mem.set(n === grad.length ? grad : grad.subarray(0, n), stride);
  mem.set(n === expAvg.length ? expAvg : expAvg.subarray(0, n), 2 * stride);
  mem.set(n === expAvgSq.length ? expAvgSq : expAvgSq.subarray(0, n), 3 * stride);
  if (ams) mem.set(maxExpAvgSq.subarray(0, n), 4 * stride);
  const fn = rt.fns.get(nameOf(variant)) as AdamFn;
  const b = stride * 4;
  fn(
    0,
    b,
    2 * b,
    3 * b,
    4 * b,
    n,
    s.b1,
    s.b2,
    s.c1,
    s.c2,
    s.sqrtBc2,
    s.eps,
    s.stepSize,
    s.wd,
    s.shrink,
  );
  out.param.set(mem.subarray(0, n));
  out.expAvg.set(mem.subarray(2 * stride, 2 * stride + n));
  out.expAvgSq.set(mem.subarray(3 * stride, 3 * stride + n));
  if (ams && out.max !== null) out.max.set(mem.subarray(4 * stride, 4 * stride + n));
}
