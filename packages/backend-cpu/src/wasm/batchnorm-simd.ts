/**
 * Batch normalization's two elementwise passes as WebAssembly SIMD (f64x2)
 * on the wasm heap, for kernels/batchnorm-simd.ts. Per plane (o, ch) of
 * `inner` floats, with per-channel float64 coefficients at `coef`:
 *
 * - `forward(x, out, outer, c, inner, coef)`, coef = [m, scale, shift] per
 *   channel: out = f32((f64(x) − m)·scale + shift);
 * - `backward(x, dy, out, outer, c, inner, coef, count)`, coef = [m, proj,
 *   sumDy, k] per channel: out = f32(k·((count·f64(dy) − sumDy) − (f64(x) − m)·proj)).
 *
 * These are batchnorm.ts's float64 expressions, operation for operation
 * (float32 widens exactly; f64x2 add/sub/mul are IEEE 754 correctly rounded
 * like JavaScript's; one rounding to float32 at the store), so the results
 * are bit-identical to the JavaScript loops, two lanes at a time.
 */
import { MAX_PAGES } from '../heap.js';
import { type FuncBuilder, ModuleBuilder } from './emit.js';
import { OP, loadOne, loadPair, op, storeOne, storePair } from './reduce-simd.js';

/** Loads the f64 at coef + 8·(3 or 4)·ch + 8·k, and its splat. */
function coefficient(f: FuncBuilder, coefAt: number, k: number, scalar: number, vec: number): void {
  f.get(coefAt);
  f.code.push(0x2b, 3, 8 * k); // f64.load, align 3, offset 8k (< 128: one uleb byte)
  f.tee(scalar);
  op(f, OP.f64x2Splat).set(vec);
}

/** Parameter indices every kernel shares. */
interface Params {
  X: number;
  OUT: number;
  OUTER: number;
  C: number;
  INNER: number;
  COEF: number;
}

/**
 * The plane loop shared by both kernels: `body(lanes, at)` pushes the value
 * to store for the one or two elements at byte offset `at` from x / dy / out.
 */
function planes(
  f: FuncBuilder,
  p: Params,
  perChannel: number,
  loadCoefficients: (coefAt: number) => void,
  body: (lanes: 1 | 2, at: number) => void,
): void {
  const o = f.local('i32');
  const ch = f.local('i32');
  const i = f.local('i32');
  const start = f.local('i32');
  const endPairs = f.local('i32');
  const end = f.local('i32');
  const pairBytes = f.local('i32');
  const planeBytes = f.local('i32');
  const coefAt = f.local('i32');
  f.get(p.INNER).i32(2).op('i32.shl').set(planeBytes);
  f.get(p.INNER).i32(-2).op('i32.and').i32(2).op('i32.shl').set(pairBytes);
  f.i32(0).set(start);
  f.forUp(
    o,
    () => f.i32(0),
    p.OUTER,
    1,
    () => {
      f.get(p.COEF).set(coefAt);
      f.forUp(
        ch,
        () => f.i32(0),
        p.C,
        1,
        () => {
          loadCoefficients(coefAt);
          f.get(start).get(pairBytes).op('i32.add').set(endPairs);
          f.get(start).get(planeBytes).op('i32.add').set(end);
          f.forUp(
            i,
            () => f.get(start),
            endPairs,
            8,
            () => {
              f.get(p.OUT).get(i).op('i32.add');
              body(2, i);
              storePair(f, 0);
            },
          );
          f.forUp(
            i,
            () => f.get(endPairs),
            end,
            4,
            () => {
              f.get(p.OUT).get(i).op('i32.add');
              body(1, i);
              storeOne(f);
            },
          );
          f.get(end).set(start);
          f.get(coefAt)
            .i32(8 * perChannel)
            .op('i32.add')
            .set(coefAt);
        },
      );
    },
  );
}

/** Pushes x (or dy) at base + at, widened: one f64 or an f64x2. */
function load(f: FuncBuilder, base: number, at: number, lanes: 1 | 2): void {
  f.get(base).get(at).op('i32.add');
  if (lanes === 2) loadPair(f, 0);
  else loadOne(f);
}

/** f64 or f64x2 arithmetic by lanes. */
function arith(f: FuncBuilder, lanes: 1 | 2, which: 'add' | 'sub' | 'mul'): void {
  const codes = {
    add: [OP.f64Add, OP.f64x2Add],
    sub: [OP.f64Sub, OP.f64x2Sub],
    mul: [OP.f64Mul, OP.f64x2Mul],
  } as const;
  op(f, codes[which][lanes - 1]);
}

const forward = (f: FuncBuilder) => {
  // forward(x, out, outer, c, inner, coef)
  const p = { X: 0, OUT: 1, OUTER: 2, C: 3, INNER: 4, COEF: 5 };
  const m = [f.local('f64'), f.local('v128')];
  const scale = [f.local('f64'), f.local('v128')];
  const shift = [f.local('f64'), f.local('v128')];
  planes(
    f,
    p,
    3,
    (at) => {
      coefficient(f, at, 0, m[0], m[1]);
      coefficient(f, at, 1, scale[0], scale[1]);
      coefficient(f, at, 2, shift[0], shift[1]);
    },
    (lanes, at) => {
      const k = lanes - 1;
      load(f, p.X, at, lanes);
      f.get(m[k]);
      arith(f, lanes, 'sub');
      f.get(scale[k]);
      arith(f, lanes, 'mul');
      f.get(shift[k]);
      arith(f, lanes, 'add');
    },
  );
};

const backward = (f: FuncBuilder) => {
  // backward(x, dy, out, outer, c, inner, coef, count)
  const DY = 1;
  const COUNT = 7;
  const p = { X: 0, OUT: 2, OUTER: 3, C: 4, INNER: 5, COEF: 6 };
  const count = f.local('v128');
  f.get(COUNT);
  op(f, OP.f64x2Splat).set(count);
  const m = [f.local('f64'), f.local('v128')];
  const proj = [f.local('f64'), f.local('v128')];
  const sumDy = [f.local('f64'), f.local('v128')];
  const kk = [f.local('f64'), f.local('v128')];
  planes(
    f,
    p,
    4,
    (at) => {
      coefficient(f, at, 0, m[0], m[1]);
      coefficient(f, at, 1, proj[0], proj[1]);
      coefficient(f, at, 2, sumDy[0], sumDy[1]);
      coefficient(f, at, 3, kk[0], kk[1]);
    },
    (lanes, at) => {
      const k = lanes - 1;
      // k·((count·dy − sumDy) − (x − m)·proj), in batchnorm.ts's order
      f.get(kk[k]);
      f.get(lanes === 2 ? count : COUNT);
      load(f, DY, at, lanes);
      arith(f, lanes, 'mul');
      f.get(sumDy[k]);
      arith(f, lanes, 'sub');
      load(f, p.X, at, lanes);
      f.get(m[k]);
      arith(f, lanes, 'sub');
      f.get(proj[k]);
      arith(f, lanes, 'mul');
      arith(f, lanes, 'sub');
      arith(f, lanes, 'mul');
    },
  );
};

/** The module's bytes (imports the shared heap memory). */
export function batchNormModule(): Uint8Array<ArrayBuffer> {
  const I = 'i32' as const;
  return new ModuleBuilder()
    .importMemory({ initial: 0, maximum: MAX_PAGES, shared: true })
    .func('forward', [I, I, I, I, I, I], [], forward, true)
    .func('backward', [I, I, I, I, I, I, I, 'f64'], [], backward, true)
    .encode();
}

export interface BatchNormKernels {
  forward(x: number, out: number, outer: number, c: number, inner: number, coef: number): void;
  backward(
    x: number,
    dy: number,
    out: number,
    outer: number,
    c: number,
    inner: number,
    coef: number,
    count: number,
  ): void;
}

const cache = new WeakMap<WebAssembly.Memory, BatchNormKernels | null>();

/** The kernels instantiated on `memory`, or null where wasm SIMD is missing. */
export function batchNormKernels(memory: WebAssembly.Memory): BatchNormKernels | null {
  let k = cache.get(memory);
  if (k !== undefined) return k;
  try {
    k = new WebAssembly.Instance(new WebAssembly.Module(batchNormModule()), { env: { memory } })
      .exports as unknown as BatchNormKernels;
  } catch {
    k = null;
  }
  cache.set(memory, k);
  return k;
}
