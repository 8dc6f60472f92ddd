/**
 * WebAssembly SIMD kernels of the plain 2×2 stride-2 max pool (no padding,
 * no dilation) on the wasm heap: the forward pass (values and winner
 * indices) and its gradient. Four windows of a row pair at a time: the two
 * input rows are loaded as 8 floats each and split into the windows'
 * top-left, top-right, bottom-left and bottom-right elements by shuffles;
 * the windows left over at a row's end (OW mod 4) run as scalar wasm.
 *
 * Both reproduce the JavaScript kernels (../kernels/pooling.ts and
 * ../kernels/pool-backward.ts) bit for bit: the forward scans each window
 * in row-major order, takes a candidate when it is greater than the best so
 * far or is NaN, and stops at the first NaN (so ties keep the first
 * element); values move with bitselect/select, never through arithmetic.
 * The gradient writes 0 + dy at the winner and +0 elsewhere, which is what
 * the fallback's float64 scatter-add rounds to when windows do not overlap.
 */
import { type FuncBuilder, ModuleBuilder, uleb } from './emit.js';
import { MAX_PAGES } from '../heap.js';
import { biasAdd } from './bias-add.js';
import { sumOI } from './sum-outer-inner.js';
import { addSgdFuncs } from './sgd-simd.js';

/** Pushes a SIMD opcode (0xfd prefix) and any immediate bytes. */
function simd(f: FuncBuilder, op: number, ...imm: number[]): void {
  f.code.push(0xfd, ...uleb(op), ...imm);
}

/** Pushes plain (non-SIMD) opcode bytes. */
function raw(f: FuncBuilder, ...bytes: number[]): void {
  f.code.push(...bytes);
}

const V = {
  shuffle: 0x0d,
  i32x4Splat: 0x11,
  i32x4Eq: 0x37,
  f32x4Eq: 0x41,
  f32x4Ne: 0x42,
  f32x4Gt: 0x44,
  and: 0x4e,
  or: 0x50,
  bitselect: 0x52,
  i32x4AllTrue: 0xa3,
  i32x4Add: 0xae,
  i32x4Sub: 0xb1,
  f32x4Add: 0xe4,
  const: 0x0c,
} as const;

const F32_EQ = 0x5b;
const F32_NE = 0x5c;
const F32_GT = 0x5e;
const I32_AND = 0x71;
const I32_OR = 0x72;
const SELECT = 0x1b;

/** Byte lanes of i8x16.shuffle picking the 32-bit lanes `lanes` of (a ‖ b). */
function lanes32(...lanes: number[]): number[] {
  return lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]);
}

function i32x4Const(f: FuncBuilder, a: number, b: number, c: number, d: number): void {
  const bytes = new Uint8Array(new Int32Array([a, b, c, d]).buffer);
  simd(f, V.const, ...bytes);
}

/**
 * Sets the v128 locals out[0..2] to the i32x4 splats of 1, W and W + 1: the
 * plane offsets of a 2×2 window's candidates after the first.
 */
function splatOffsets(f: FuncBuilder, W: number, out: readonly number[]): void {
  f.i32(1);
  simd(f, V.i32x4Splat);
  f.set(out[0]);
  f.get(W);
  simd(f, V.i32x4Splat);
  f.set(out[1]);
  f.get(W).i32(1).op('i32.add');
  simd(f, V.i32x4Splat);
  f.set(out[2]);
}

/** Locals of eachWindowRow: counters, the row pair, and the plane's base address and bytes. */
interface WindowRows {
  pl: number;
  oh: number;
  ow: number;
  ow4: number;
  rowIdx: number;
  r0: number;
  r1: number;
  base: number;
  plane: number;
  PLANES: number;
  W: number;
  OH: number;
  OW: number;
}

/** Declares eachWindowRow's locals (counters, row pair, base, plane) for these parameters. */
function windowLocals(
  f: FuncBuilder,
  PLANES: number,
  W: number,
  OH: number,
  OW: number,
): WindowRows {
  const pl = f.local('i32');
  const oh = f.local('i32');
  const ow = f.local('i32');
  const r0 = f.local('i32');
  const r1 = f.local('i32');
  const rowIdx = f.local('i32');
  const ow4 = f.local('i32');
  const base = f.local('i32');
  const plane = f.local('i32');
  return { pl, oh, ow, ow4, rowIdx, r0, r1, base, plane, PLANES, W, OH, OW };
}

/** plane = 4·H·W bytes; ow4 = OW rounded down to whole groups of four windows. */
function windowSizes(f: FuncBuilder, l: WindowRows, H: number): void {
  f.get(H).get(l.W).op('i32.mul').i32(2).op('i32.shl').set(l.plane);
  f.get(l.OW).i32(-4).op('i32.and').set(l.ow4);
}

/**
 * For each plane and window row oh: rowIdx = 2·oh·W, r0 = base + 4·rowIdx,
 * r1 = r0 + 4·W (the row pair); windows4() for ow = 0, 4, … < ow4, then
 * window() for the windows left at the row's end (ow4 ≤ ow < OW), one at a
 * time; rowEnd() after each row, planeEnd() after each plane, then base
 * moves on by `plane` bytes.
 */
function eachWindowRow(
  f: FuncBuilder,
  l: WindowRows,
  body: { windows4: () => void; window: () => void; rowEnd?: () => void; planeEnd?: () => void },
): void {
  const { pl, oh, ow, ow4, rowIdx, r0, r1, base, plane, PLANES, W, OH, OW } = l;
  f.forUp(
    pl,
    () => f.i32(0),
    PLANES,
    1,
    () => {
      f.forUp(
        oh,
        () => f.i32(0),
        OH,
        1,
        () => {
          f.get(oh).get(W).op('i32.mul').i32(1).op('i32.shl').set(rowIdx);
          f.get(base).get(rowIdx).i32(2).op('i32.shl').op('i32.add').set(r0);
          f.get(r0).get(W).i32(2).op('i32.shl').op('i32.add').set(r1);
          f.forUp(ow, () => f.i32(0), ow4, 4, body.windows4);
          f.forUp(ow, () => f.get(ow4), OW, 1, body.window);
          body.rowEnd?.();
        },
      );
      body.planeEnd?.();
      f.get(base).get(plane).op('i32.add').set(base);
    },
  );
}

/**
 * maxPoolFwd(x, out, idx, planes, H, W, OH, OW): x [planes,H,W] → out and
 * idx [planes,OH,OW] (byte addresses; idx is int32, each the winner's index
 * in its H·W plane).
 */
function forward(f: FuncBuilder): void {
  const [X, OUT, IDX, PLANES, H, W, OH, OW] = [0, 1, 2, 3, 4, 5, 6, 7];
  const rowsL = windowLocals(f, PLANES, W, OH, OW);
  const { r0, r1, rowIdx, ow, base: xb } = rowsL;
  const addr = f.local('i32');
  const take = f.local('i32');
  const sat = f.local('i32');
  const [a, b, c, d, best, at, lo, hi, ramp, mask] = Array.from({ length: 10 }, () =>
    f.local('v128'),
  );
  const [sa, sb, sc, sd, sbest] = Array.from({ length: 5 }, () => f.local('f32'));
  const offs = [f.local('v128'), f.local('v128'), f.local('v128')];
  splatOffsets(f, W, offs);
  i32x4Const(f, 0, 2, 4, 6);
  f.set(ramp);
  windowSizes(f, rowsL, H);

  /** One step of the vector scan: take candidate v (offset vector off) where it wins. */
  const vstep = (v: number, off: number) => {
    // mask = (best == best) & (v > best | v != v)
    f.get(best).get(best);
    simd(f, V.f32x4Eq);
    f.get(v).get(best);
    simd(f, V.f32x4Gt);
    f.get(v).get(v);
    simd(f, V.f32x4Ne);
    simd(f, V.or);
    simd(f, V.and);
    f.set(mask);
    f.get(v).get(best).get(mask);
    simd(f, V.bitselect);
    f.set(best);
    f.get(off).get(at).get(mask);
    simd(f, V.bitselect);
    f.set(at);
  };
  /** The same step on one window's scalars. */
  const sstep = (v: number, off: () => void) => {
    f.get(sbest).get(sbest);
    raw(f, F32_EQ);
    f.get(v).get(sbest);
    raw(f, F32_GT);
    f.get(v).get(v);
    raw(f, F32_NE);
    raw(f, I32_OR, I32_AND);
    f.set(take);
    f.get(v).get(sbest).get(take);
    raw(f, SELECT);
    f.set(sbest);
    off();
    f.get(sat).get(take);
    raw(f, SELECT);
    f.set(sat);
  };

  f.get(X).set(xb);
  eachWindowRow(f, rowsL, {
    windows4: () => {
      for (const [row, e, o] of [
        [r0, a, b],
        [r1, c, d],
      ] as const) {
        f.get(row).get(ow).i32(3).op('i32.shl').op('i32.add').tee(addr);
        f.mem('v128.load').set(lo);
        f.get(addr).mem('v128.load', 16).set(hi);
        f.get(lo).get(hi);
        simd(f, V.shuffle, ...lanes32(0, 2, 4, 6));
        f.set(e);
        f.get(lo).get(hi);
        simd(f, V.shuffle, ...lanes32(1, 3, 5, 7));
        f.set(o);
      }
      f.get(a).set(best);
      f.v128Zero().set(at);
      vstep(b, offs[0]);
      vstep(c, offs[1]);
      vstep(d, offs[2]);
      // out[·] = best; idx[·] = at + rowIdx + 2·ow + (0, 2, 4, 6)
      f.get(OUT).get(best).mem('v128.store');
      f.get(IDX).get(at);
      f.get(rowIdx).get(ow).i32(1).op('i32.shl').op('i32.add');
      simd(f, V.i32x4Splat);
      simd(f, V.i32x4Add);
      f.get(ramp);
      simd(f, V.i32x4Add);
      f.mem('v128.store');
      f.get(OUT).i32(16).op('i32.add').set(OUT);
      f.get(IDX).i32(16).op('i32.add').set(IDX);
    },
    window: () => {
      f.get(r0).get(ow).i32(3).op('i32.shl').op('i32.add').tee(addr);
      f.mem('f32.load').set(sa);
      f.get(addr).mem('f32.load', 4).set(sb);
      f.get(r1).get(ow).i32(3).op('i32.shl').op('i32.add').tee(addr);
      f.mem('f32.load').set(sc);
      f.get(addr).mem('f32.load', 4).set(sd);
      f.get(sa).set(sbest);
      f.i32(0).set(sat);
      sstep(sb, () => f.i32(1));
      sstep(sc, () => f.get(W));
      sstep(sd, () => f.get(W).i32(1).op('i32.add'));
      f.get(OUT).get(sbest).mem('f32.store');
      f.get(IDX).get(sat).get(rowIdx).op('i32.add');
      f.get(ow).i32(1).op('i32.shl').op('i32.add').mem('i32.store');
      f.get(OUT).i32(4).op('i32.add').set(OUT);
      f.get(IDX).i32(4).op('i32.add').set(IDX);
    },
  });
}

/**
 * maxPoolBwd(dy, idx, dx, planes, H, W, OH, OW) → 1, or 0 when an index is
 * not one of its window's four elements (dx is then partly written and the
 * caller runs the general scatter instead). dx [planes,H,W] is written in
 * full: 0 + dy at each winner, +0 elsewhere (rows and columns no window
 * covers included).
 */
function backward(f: FuncBuilder): void {
  const [DY, IDX, DX, PLANES, H, W, OH, OW] = [0, 1, 2, 3, 4, 5, 6, 7];
  const rowsL = windowLocals(f, PLANES, W, OH, OW);
  const { r0, r1, rowIdx, ow, base: db, plane } = rowsL;
  const ok = f.local('i32');
  const dd = f.local('i32');
  const sv = f.local('f32');
  const [v, dv, m0, m1, m2, m3, okv, ramp, wv, w1v, onev] = Array.from({ length: 11 }, () =>
    f.local('v128'),
  );
  const zero = f.local('v128');
  f.v128Zero().set(zero);
  splatOffsets(f, W, [onev, wv, w1v]);
  i32x4Const(f, 0, 2, 4, 6);
  f.set(ramp);
  i32x4Const(f, -1, -1, -1, -1);
  f.set(okv);
  f.i32(1).set(ok);
  windowSizes(f, rowsL, H);

  f.get(DX).set(db);
  eachWindowRow(f, rowsL, {
    windows4: () => {
      // v = dy + 0; dv = idx − (rowIdx + 2·ow + (0, 2, 4, 6))
      f.get(DY).mem('v128.load').get(zero);
      simd(f, V.f32x4Add);
      f.set(v);
      f.get(IDX).mem('v128.load');
      f.get(rowIdx).get(ow).i32(1).op('i32.shl').op('i32.add');
      simd(f, V.i32x4Splat);
      f.get(ramp);
      simd(f, V.i32x4Add);
      simd(f, V.i32x4Sub);
      f.set(dv);
      for (const [m, k] of [
        [m0, zero],
        [m1, onev],
        [m2, wv],
        [m3, w1v],
      ] as const) {
        f.get(dv).get(k);
        simd(f, V.i32x4Eq);
        f.set(m);
      }
      // okv &= m0 | m1 | m2 | m3
      f.get(okv).get(m0).get(m1);
      simd(f, V.or);
      f.get(m2);
      simd(f, V.or);
      f.get(m3);
      simd(f, V.or);
      simd(f, V.and);
      f.set(okv);
      // m &= v: each winner's lane keeps v, the others +0.
      for (const m of [m0, m1, m2, m3]) {
        f.get(v).get(m);
        simd(f, V.and);
        f.set(m);
      }
      // Row r0: (m0, m1) interleaved; row r1: (m2, m3).
      for (const [row, p, q] of [
        [r0, m0, m1],
        [r1, m2, m3],
      ] as const) {
        f.get(row).get(ow).i32(3).op('i32.shl').op('i32.add');
        f.get(p).get(q);
        simd(f, V.shuffle, ...lanes32(0, 4, 1, 5));
        f.mem('v128.store');
        f.get(row).get(ow).i32(3).op('i32.shl').op('i32.add');
        f.get(p).get(q);
        simd(f, V.shuffle, ...lanes32(2, 6, 3, 7));
        f.mem('v128.store', 16);
      }
      f.get(DY).i32(16).op('i32.add').set(DY);
      f.get(IDX).i32(16).op('i32.add').set(IDX);
    },
    window: () => {
      f.get(DY).mem('f32.load').f32(0).op('f32.add').set(sv);
      f.get(IDX).mem('i32.load').get(rowIdx).op('i32.sub');
      f.get(ow).i32(1).op('i32.shl').op('i32.sub').set(dd);
      // ok &= dd ∈ {0, 1, W, W + 1}
      f.get(ok);
      f.get(dd).i32(0).op('i32.eq');
      f.get(dd).i32(1).op('i32.eq').op('i32.or');
      f.get(dd).get(W).op('i32.eq').op('i32.or');
      f.get(dd).get(W).i32(1).op('i32.add').op('i32.eq').op('i32.or');
      f.op('i32.and').set(ok);
      for (const [row, off, k] of [
        [r0, 0, () => f.i32(0)],
        [r0, 4, () => f.i32(1)],
        [r1, 0, () => f.get(W)],
        [r1, 4, () => f.get(W).i32(1).op('i32.add')],
      ] as const) {
        f.get(row).get(ow).i32(3).op('i32.shl').op('i32.add');
        f.get(sv).f32(0).get(dd);
        k();
        f.op('i32.eq');
        raw(f, SELECT);
        f.mem('f32.store', off);
      }
      f.get(DY).i32(4).op('i32.add').set(DY);
      f.get(IDX).i32(4).op('i32.add').set(IDX);
    },
    rowEnd: () => {
      // An odd width leaves a last column no window covers.
      f.get(W).get(OW).i32(1).op('i32.shl').op('i32.gt_s');
      f.if(() => {
        for (const row of [r0, r1]) {
          f.get(row).get(OW).i32(3).op('i32.shl').op('i32.add').i32(0);
          f.get(W).get(OW).i32(1).op('i32.shl').op('i32.sub').i32(2).op('i32.shl');
          f.op('memory.fill');
        }
      });
    },
    planeEnd: () => {
      // An odd height leaves last rows no window covers.
      f.get(db).get(OH).get(W).op('i32.mul').i32(3).op('i32.shl').op('i32.add').i32(0);
      f.get(plane).get(OH).get(W).op('i32.mul').i32(3).op('i32.shl').op('i32.sub');
      f.op('memory.fill');
    },
  });
  f.get(ok).get(okv);
  simd(f, V.i32x4AllTrue);
  f.op('i32.and');
}

/**
 * maxPoolBwdTask(dy, idx, dx, planes, H, W, OH, OW, flag): maxPoolBwd as a
 * worker task (tasks return nothing): stores 0 at `flag` when it fails.
 */
function backwardTask(f: FuncBuilder): void {
  for (let i = 0; i < 8; i++) f.get(i);
  f.call('maxPoolBwd');
  f.op('i32.eqz');
  f.if(() => {
    f.get(8).i32(0).mem('i32.store');
  });
}

/**
 * Adds the pooling kernels (and the bias-gradient sum, ./sum-outer-inner.ts)
 * to a module: the wasm runtime's (gemm-codegen.ts), whose worker threads can
 * then run them as tasks, or a module of their own.
 */
export function addPoolFuncs(mod: ModuleBuilder): void {
  const I = 'i32' as const;
  mod.func('maxPoolFwd', [I, I, I, I, I, I, I, I], [], forward, true);
  mod.func('maxPoolBwd', [I, I, I, I, I, I, I, I], [I], backward, true);
  mod.func('maxPoolBwdTask', [I, I, I, I, I, I, I, I, I], [], backwardTask, true);
  mod.func('sumOI', [I, I, I, I, I, I], [], sumOI, true);
  mod.func('biasAdd', [I, I, I, I, I, I], [], biasAdd, true);
  addSgdFuncs(mod);
}

/** The module's bytes (imports the shared heap memory). */
export function poolModule(): Uint8Array<ArrayBuffer> {
  const mod = new ModuleBuilder().importMemory({ initial: 0, maximum: MAX_PAGES, shared: true });
  addPoolFuncs(mod);
  return mod.encode();
}

export interface PoolKernels {
  maxPoolFwd(
    x: number,
    out: number,
    idx: number,
    planes: number,
    h: number,
    w: number,
    oh: number,
    ow: number,
  ): void;
  maxPoolBwd(
    dy: number,
    idx: number,
    dx: number,
    planes: number,
    h: number,
    w: number,
    oh: number,
    ow: number,
  ): number;
  sumOI(x: number, out: number, outer: number, size: number, inner: number, total: number): void;
  biasAdd(a: number, bias: number, o: number, planes: number, c: number, n: number): void;
}

const cache = new WeakMap<WebAssembly.Memory, PoolKernels | null>();

/** The kernels instantiated on `memory`, or null where wasm SIMD is missing. */
export function poolKernels(memory: WebAssembly.Memory): PoolKernels | null {
  let k = cache.get(memory);
  if (k !== undefined) return k;
  try {
    k = new WebAssembly.Instance(new WebAssembly.Module(poolModule()), { env: { memory } })
      .exports as unknown as PoolKernels;
  } catch {
    k = null;
  }
  cache.set(memory, k);
  return k;
}
