/**
 * Softmax and log-softmax rows as WebAssembly SIMD (f64x2) on the wasm heap,
 * for kernels/softmax-simd.ts, with exp as a polynomial (wasm has no exp).
 *
 * - `stats(x, rows, n, mOut, sOut)`: per row the maximum m (f32x4.max; a NaN
 *   anywhere makes it NaN, as softmax.ts's loop does) and s = Σ exp(x − m)
 *   in float64, two lanes (element j in lane j mod 2 over whole pairs, then
 *   lane 0 + lane 1, then the odd last element);
 * - `softmaxOut(x, out, rows, n, m, s)`: out = f32(exp(x − m) / s);
 * - `logSoftmaxOut(x, out, rows, n, m, lse)`: out = f32((x − m) − lse), with
 *   lse = Math.log(s) taken in JavaScript between the two calls.
 * m, s and lse are float64 arrays of `rows` in the heap.
 *
 * exp(d), d = x − m ≤ 0 (or NaN): d is clamped to ≥ −708 (exp(−708) ≈
 * 3.3·10⁻³⁰⁸: what it stands for, anything smaller, adds nothing to s ≥ 1 and
 * rounds to float32 0 after the division, as the exact value does); k =
 * nearest(d·log₂e), r = (d − k·ln2_hi) − k·ln2_lo (fdlibm's split of ln 2:
 * k·ln2_hi is exact for |k| < 2¹¹, so |r| ≤ ln2/2 + 2⁻⁴⁰), exp(r) by the
 * Taylor polynomial of degree 13 in Horner form (truncation
 * (ln2/2)¹⁴/14! < 2⁻⁵⁷ relative), times 2^k built in the exponent bits.
 * Relative error: under 2⁻⁵⁰ (Horner's 13 roundings of ≤ 2⁻⁵³ on terms that
 * shrink by |r| ≤ 0.35 each, plus the range reduction), against the ≤ 1 ulp
 * (2⁻⁵²) of V8's fdlibm Math.exp that softmax.ts calls. The bound this gives
 * on the outputs is derived in kernels/softmax-simd.ts.
 */
import { MAX_PAGES } from '../heap.js';
import { type FuncBuilder, ModuleBuilder, sleb, uleb } from './emit.js';
import { OP, f64Const, lane, loadOne, loadPair, op } from './reduce-simd.js';

const V = {
  f32x4Max: 0xe9,
  f32x4Splat: 0x13,
  f32x4Extract: 0x1f,
  f64x2Div: 0xf3,
  f64x2Max: 0xf5,
  f64x2Nearest: 0x94,
  truncSatZero: 0xfc,
  extendLowS: 0xc7,
  i64x2Add: 0xce,
  i64x2Shl: 0xcb,
  i64x2Splat: 0x12,
} as const;

function simd(f: FuncBuilder, code: number): FuncBuilder {
  f.code.push(0xfd, ...uleb(code));
  return f;
}

function f64x2Const(f: FuncBuilder, v: number): FuncBuilder {
  f64Const(f, v);
  return op(f, OP.f64x2Splat);
}

/** The splatted constants of emitExp, set once per function (V8 does not hoist a splat). */
interface ExpConstants {
  lo: number;
  log2e: number;
  ln2hi: number;
  ln2lo: number;
  /** 1/i! for i = 0 … 13. */
  inv: number[];
  bias: number;
}

function expConstants(f: FuncBuilder): ExpConstants {
  const local = (v: number) => {
    const l = f.local('v128');
    f64x2Const(f, v).set(l);
    return l;
  };
  const inv: number[] = [];
  let fact = 1;
  for (let i = 0; i <= 13; i++) {
    if (i > 0) fact *= i;
    inv.push(local(1 / fact));
  }
  const bias = f.local('v128');
  f.code.push(0x42, ...sleb(1023)); // i64.const 1023 (same LEB128 as the 32-bit form)
  simd(f, V.i64x2Splat).set(bias);
  return {
    lo: local(-708),
    log2e: local(Math.LOG2E),
    ln2hi: local(0.6931471803691238),
    ln2lo: local(1.9082149292705877e-10),
    inv,
    bias,
  };
}

/** Pushes exp(d) for the f64x2 in local `d` (clobbers `d`, `k`, `r`, `p` and the three `t`). */
function emitExp(
  f: FuncBuilder,
  c: ExpConstants,
  d: number,
  k: number,
  r: number,
  p: number,
  t: [number, number, number],
): void {
  // d = max(d, −708): NaN stays NaN (f64x2.max propagates it).
  f.get(d).get(c.lo);
  simd(f, V.f64x2Max).tee(d).get(c.log2e);
  op(f, OP.f64x2Mul);
  simd(f, V.f64x2Nearest).set(k);
  // r = (d − k·ln2_hi) − k·ln2_lo
  f.get(d).get(k).get(c.ln2hi);
  op(f, OP.f64x2Mul);
  op(f, OP.f64x2Sub).get(k).get(c.ln2lo);
  op(f, OP.f64x2Mul);
  op(f, OP.f64x2Sub).set(r);
  // Estrin's scheme for Σ r^i/i!, i ≤ 13 (depth 8 instead of Horner's 26: the
  // chain, not the throughput, bounded the Horner loop): pairs c_i + c_{i+1}·r,
  // then combined with r², r⁴, r⁸.
  const { inv } = c;
  const [r2, r4, r8] = t;
  f.get(r).get(r);
  op(f, OP.f64x2Mul).tee(r2).get(r2);
  op(f, OP.f64x2Mul).tee(r4).get(r4);
  op(f, OP.f64x2Mul).set(r8);
  const pairAt = (i: number) => {
    // c_i + c_{i+1}·r
    f.get(inv[i])
      .get(inv[i + 1])
      .get(r);
    op(f, OP.f64x2Mul);
    op(f, OP.f64x2Add);
  };
  const mulAdd = (by: number) => {
    // (below) + (top)·by, with below and top already pushed
    f.get(by);
    op(f, OP.f64x2Mul);
    op(f, OP.f64x2Add);
  };
  // s0 = (p01 + p23·r²) + (p45 + p67·r²)·r⁴
  pairAt(0);
  pairAt(2);
  mulAdd(r2);
  pairAt(4);
  pairAt(6);
  mulAdd(r2);
  mulAdd(r4);
  // s1 = (p89 + p1011·r²) + p1213·r⁴
  pairAt(8);
  pairAt(10);
  mulAdd(r2);
  pairAt(12);
  mulAdd(r4);
  // p = s0 + s1·r⁸
  mulAdd(r8);
  f.set(p);
  // 2^k: (int64(k) + 1023) << 52, k ∈ [−1021, 0] here.
  f.get(p).get(k);
  simd(f, V.truncSatZero);
  simd(f, V.extendLowS);
  f.get(c.bias);
  simd(f, V.i64x2Add);
  f.i32(52);
  simd(f, V.i64x2Shl);
  op(f, OP.f64x2Mul);
}

/**
 * For each row of n floats from x: `before(at, r8)` (at: the row's byte
 * address, r8 = 8·row: the byte offset into the float64 row arrays), then
 * `pair(at, 2)` over whole pairs and `pair(at, 1)` for an odd last element,
 * then `after(r8)`.
 */
function rowLoop(
  f: FuncBuilder,
  X: number,
  ROWS: number,
  N: number,
  before: (at: number, r8: number) => void,
  pair: (at: number, lanes: 1 | 2) => void,
  after: (r8: number) => void,
): void {
  const r = f.local('i32');
  const r8 = f.local('i32');
  const at = f.local('i32');
  const endPairs = f.local('i32');
  const end = f.local('i32');
  f.get(X).set(at);
  f.forUp(
    r,
    () => f.i32(0),
    ROWS,
    1,
    () => {
      f.get(r).i32(3).op('i32.shl').set(r8);
      f.get(at).get(N).i32(2).op('i32.shl').op('i32.add').set(end);
      f.get(at).get(N).i32(-2).op('i32.and').i32(2).op('i32.shl').op('i32.add').set(endPairs);
      before(at, r8);
      f.block((exit) => {
        f.get(at).get(endPairs).op('i32.ge_u').brIf(exit);
        f.loop((top) => {
          pair(at, 2);
          f.get(at).i32(8).op('i32.add').tee(at).get(endPairs).op('i32.lt_u').brIf(top);
        });
      });
      f.get(at).get(end).op('i32.lt_u');
      f.if(() => {
        pair(at, 1);
        f.get(at).i32(4).op('i32.add').set(at);
      });
      after(r8);
    },
  );
}

/** Pushes x − m at `at` as f64x2 (one element: in both lanes). */
function shifted(f: FuncBuilder, at: number, lanes: 1 | 2, m: number): void {
  f.get(at);
  if (lanes === 2) loadPair(f, 0);
  else {
    loadOne(f);
    op(f, OP.f64x2Splat);
  }
  f.get(m);
  op(f, OP.f64x2Sub);
}

const F64_LOAD = [0x2b, 3, 0];
const F64_STORE = [0x39, 3, 0];

/** Pushes base[r8] (a float64 row value). */
function rowValue(f: FuncBuilder, base: number, r8: number): void {
  f.get(base).get(r8).op('i32.add');
  f.code.push(...F64_LOAD);
}

const stats = (f: FuncBuilder) => {
  // stats(x, rows, n, mOut, sOut)
  const [X, ROWS, N, MOUT, SOUT] = [0, 1, 2, 3, 4];
  const m4 = f.local('v128');
  const mS = f.local('f32');
  const m = f.local('v128');
  const acc = f.local('v128');
  const odd = f.local('f64');
  const d = f.local('v128');
  const k = f.local('v128');
  const rr = f.local('v128');
  const pp = f.local('v128');
  const j = f.local('i32');
  const end4 = f.local('i32');
  const end = f.local('i32');
  const consts = expConstants(f);
  rowLoop(
    f,
    X,
    ROWS,
    N,
    (at, r8) => {
      // Row maximum: f32x4.max over blocks of four, the lanes, then the rest (NaN wins).
      f.f32(Number.NEGATIVE_INFINITY);
      simd(f, V.f32x4Splat).set(m4);
      f.get(at).get(N).i32(-4).op('i32.and').i32(2).op('i32.shl').op('i32.add').set(end4);
      f.get(at).get(N).i32(2).op('i32.shl').op('i32.add').set(end);
      f.forUp(
        j,
        () => f.get(at),
        end4,
        16,
        () => {
          f.get(m4).get(j).mem('v128.load');
          simd(f, V.f32x4Max).set(m4);
        },
      );
      for (let l = 0; l < 4; l++) {
        f.get(m4);
        simd(f, V.f32x4Extract);
        f.code.push(l);
        if (l > 0) f.op('f32.max');
      }
      f.set(mS);
      f.forUp(
        j,
        () => f.get(end4),
        end,
        4,
        () => {
          f.get(mS).get(j).mem('f32.load').op('f32.max').set(mS);
        },
      );
      f.get(MOUT).get(r8).op('i32.add').get(mS);
      f.code.push(OP.f64PromoteF32, ...F64_STORE);
      f.get(mS);
      f.code.push(OP.f64PromoteF32);
      op(f, OP.f64x2Splat).set(m);
      f.v128Zero().set(acc);
      f64Const(f, 0).set(odd);
    },
    (at, lanes) => {
      shifted(f, at, lanes, m);
      f.set(d);
      emitExp(f, consts, d, k, rr, pp, [f.local('v128'), f.local('v128'), f.local('v128')]);
      if (lanes === 2) {
        f.get(acc);
        op(f, OP.f64x2Add).set(acc);
      } else lane(f, 0).set(odd);
    },
    (r8) => {
      // s = (lane 0 + lane 1) + the odd last element
      f.get(SOUT).get(r8).op('i32.add');
      f.get(acc);
      lane(f, 0).get(acc);
      lane(f, 1);
      op(f, OP.f64Add).get(odd);
      op(f, OP.f64Add);
      f.code.push(...F64_STORE);
    },
  );
};

/** softmaxOut / logSoftmaxOut(x, out, rows, n, mIn, cIn): c is s or lse. */
function output(log: boolean) {
  return (f: FuncBuilder) => {
    const [X, OUT, ROWS, N, MIN, CIN] = [0, 1, 2, 3, 4, 5];
    const m = f.local('v128');
    const c = f.local('v128');
    const d = f.local('v128');
    const k = f.local('v128');
    const rr = f.local('v128');
    const pp = f.local('v128');
    const o = f.local('i32');
    const consts = log ? null : expConstants(f);
    rowLoop(
      f,
      X,
      ROWS,
      N,
      (_at, r8) => {
        rowValue(f, MIN, r8);
        op(f, OP.f64x2Splat).set(m);
        rowValue(f, CIN, r8);
        op(f, OP.f64x2Splat).set(c);
      },
      (at, lanes) => {
        f.get(OUT).get(at).op('i32.add').get(X).op('i32.sub').set(o);
        f.get(o);
        shifted(f, at, lanes, m);
        if (log) {
          f.get(c);
          op(f, OP.f64x2Sub);
        } else {
          f.set(d);
          emitExp(f, consts as ExpConstants, d, k, rr, pp, [
            f.local('v128'),
            f.local('v128'),
            f.local('v128'),
          ]);
          f.get(c);
          simd(f, V.f64x2Div);
        }
        if (lanes === 2) {
          simd(f, OP.demoteZero);
          f.code.push(0xfd, ...uleb(OP.v128Store64Lane), 3, 0, 0);
        } else {
          lane(f, 0);
          f.code.push(OP.f32DemoteF64);
          f.mem('f32.store');
        }
      },
      () => {},
    );
  };
}

/** The module's bytes (imports the shared heap memory). */
export function softmaxModule(): Uint8Array<ArrayBuffer> {
  const I = 'i32' as const;
  return new ModuleBuilder()
    .importMemory({ initial: 0, maximum: MAX_PAGES, shared: true })
    .func('stats', [I, I, I, I, I], [], stats, true)
    .func('softmaxOut', [I, I, I, I, I, I], [], output(false), true)
    .func('logSoftmaxOut', [I, I, I, I, I, I], [], output(true), true)
    .encode();
}

export interface SoftmaxKernels {
  stats(x: number, rows: number, n: number, mOut: number, sOut: number): void;
  softmaxOut(x: number, out: number, rows: number, n: number, m: number, s: number): void;
  logSoftmaxOut(x: number, out: number, rows: number, n: number, m: number, lse: number): void;
}

const cache = new WeakMap<WebAssembly.Memory, SoftmaxKernels | null>();

/** The kernels instantiated on `memory`, or null where wasm SIMD is missing. */
export function softmaxKernels(memory: WebAssembly.Memory): SoftmaxKernels | null {
  let k = cache.get(memory);
  if (k !== undefined) return k;
  try {
    k = new WebAssembly.Instance(new WebAssembly.Module(softmaxModule()), { env: { memory } })
      .exports as unknown as SoftmaxKernels;
  } catch {
    k = null;
  }
  cache.set(memory, k);
  return k;
}
