/**
 * Generates the WebAssembly GEMM kernels (see ../kernels/gemm-blocked.ts for the algorithm).
 *
 * Exported functions, each one task for a `WasmTaskRunner` (all arguments
 * i32; addresses in bytes, strides and sizes in elements):
 *
 *   packB(src, rs, cs, k, kb, n, nPad, j0, j1, dst)
 *     Packs columns [j0, j1) (multiples of NR) of the k×n operand B, element
 *     (p, j) at src + 4*(p*rs + j*cs), into NR-wide panels: k is cut into
 *     blocks of kb (the last may be shorter, kc = min(kb, k - pc)); block pc,
 *     panel j lives at dst + 4*(pc*nPad + j*kc) and holds kc rows of NR
 *     floats, zero beyond column n.
 *
 *   gemmRows(a, aRs, aCs, bp, nPad, k, kb, c, i0, i1, j0, j1, acc, scratch)
 *     C[i0..i1, j0..j1) (+)= A·B for rows of A (element (i, p) at
 *     a + 4*(i*aRs + p*aCs)) and the packed B. C is row-major with row
 *     length nPad and has rows up to a multiple of MR. For each k block the
 *     task packs its own rows of A into MR-tall panels at `scratch`
 *     (roundUp(i1 - i0, MR) * min(k, kb) floats, private to the task).
 *     kb must be the one packB used.
 *
 *   gemmCols(a, aRs, aCs, b, bRs, bCs, k, kb, n, nPad, j0, j1, bp, c, m, rows, acc, scratch)
 *     packB for columns [j0, j1), then gemmRows over all m rows of those
 *     columns, `rows` rows at a time (the scratch is reused): one task per
 *     thread needs one hand-off instead of packB's and gemmRows' two, and
 *     no thread waits for another's packing (issue 16: the MLP's 128-row
 *     products split this way).
 *
 * Every C element sums its products in order p = 0, 1, …, k-1 in one SIMD
 * lane, whatever rows and columns a task covers, so any split gives
 * bit-identical results.
 */
import { addConvFuncs } from './conv-codegen.js';
import { addPoolFuncs } from './pool-simd.js';
import { type FuncBuilder, ModuleBuilder } from './emit.js';

export type SimdMode = 'relaxed' | 'simd';

export interface GemmKernelConfig {
  readonly mode: SimdMode;
  /** Rows of the register tile (A values broadcast one at a time). */
  readonly mr: number;
  /** Columns of the register tile, a multiple of 4 (one f32x4 per 4 columns). */
  readonly nr: number;
  readonly memory: { initial: number; maximum: number; shared: boolean };
}

/** The emitted module's bytes. */
export function gemmModule(cfg: GemmKernelConfig): Uint8Array<ArrayBuffer> {
  const mod = new ModuleBuilder().importMemory(cfg.memory);
  mod.func(`pack${cfg.mr}`, I32(6), [], (f) => packPanel(f, cfg.mr));
  if (cfg.nr !== cfg.mr) mod.func(`pack${cfg.nr}`, I32(6), [], (f) => packPanel(f, cfg.nr));
  mod.func('micro', I32(6), [], (f) => microKernel(f, cfg), true);
  mod.func('packB', I32(10), [], (f) => packB(f, cfg), true);
  mod.func('gemmRows', I32(14), [], (f) => gemmRows(f, cfg), true);
  mod.func('gemmCols', I32(18), [], gemmCols, true);
  addConvFuncs(mod, cfg);
  addPoolFuncs(mod);
  return mod.encode();
}

function gemmCols(f: FuncBuilder): void {
  const [a, aRs, aCs, b, bRs, bCs, k, kb, n, nPad, j0, j1, bp, c, m, rows, acc, scratch] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
  ];
  const i0 = f.local('i32');
  const i1 = f.local('i32');
  for (const x of [b, bRs, bCs, k, kb, n, nPad, j0, j1, bp]) f.get(x);
  f.call('packB');
  f.forUpBy(
    i0,
    () => f.i32(0),
    m,
    rows,
    () => {
      f.get(i0).get(rows).op('i32.add').set(i1);
      min(f, i1, m).set(i1);
      for (const x of [a, aRs, aCs, bp, nPad, k, kb, c, i0, i1, j0, j1, acc, scratch]) f.get(x);
      f.call('gemmRows');
    },
  );
}

function I32(n: number): 'i32'[] {
  return new Array<'i32'>(n).fill('i32');
}

/** Pushes min(x, y) of two i32 locals. */
function min(f: FuncBuilder, x: number, y: number): FuncBuilder {
  return f.get(x).get(y).get(x).get(y).op('i32.lt_s').op('select');
}

const LOAD = { 4: 'v128.load', 2: 'i64.load', 1: 'f32.load' } as const;
const STORE = { 4: 'v128.store', 2: 'i64.store', 1: 'f32.store' } as const;

/**
 * A row of W floats as 16-, 8- and 4-byte moves: [float offset, floats].
 * Moves never reach past the row, because a wider store there would write
 * into the next task's scratch (a race once tasks run on several threads).
 */
function rowMoves(W: number): [number, 4 | 2 | 1][] {
  const out: [number, 4 | 2 | 1][] = [];
  for (let o = 0; o < W; ) {
    const size = W - o >= 4 ? 4 : W - o >= 2 ? 2 : 1;
    out.push([o, size]);
    o += size;
  }
  return out;
}

/**
 * pack{W}(src, ws, ds, width, depth, dst): dst[p*W + w] = src[w*ws + p*ds]
 * for w < width, p < depth, and 0 for width <= w < W (a zero-padded panel).
 */
function packPanel(f: FuncBuilder, W: number): void {
  const [src, ws, ds, width, depth, dst] = [0, 1, 2, 3, 4, 5];
  const p = f.local('i32');
  const w = f.local('i32');
  const s = f.local('i32');
  const d = f.local('i32');
  const end = f.local('i32');
  const end4 = f.local('i32');
  // Strides in bytes from here on.
  f.get(ws).i32(4).op('i32.mul').set(ws);
  f.get(ds).i32(4).op('i32.mul').set(ds);
  f.get(dst)
    .get(depth)
    .i32(W * 4)
    .op('i32.mul')
    .op('i32.add')
    .set(end);
  f.get(width).i32(W).op('i32.lt_s');
  f.if(() => {
    // Partial panel: zero it whole, then fill the valid columns below.
    f.get(dst).set(d);
    f.block((exit) => {
      f.get(d).get(end).op('i32.ge_u').brIf(exit);
      f.loop((top) => {
        for (const [o, size] of rowMoves(W)) {
          f.get(d);
          if (size === 4) f.v128Zero();
          else if (size === 2) f.i64Zero();
          else f.f32(0);
          f.mem(STORE[size], 4 * o);
        }
        f.get(d)
          .i32(W * 4)
          .op('i32.add')
          .tee(d)
          .get(end)
          .op('i32.lt_u')
          .brIf(top);
      });
    });
  });
  f.get(width).i32(W).op('i32.eq').get(ws).i32(4).op('i32.eq').op('i32.and');
  f.if(
    () => {
      // Panel rows are contiguous in the source: copy W floats per step.
      f.forUp(
        p,
        () => f.i32(0),
        depth,
        1,
        () => {
          for (const [o, size] of rowMoves(W)) {
            f.get(dst)
              .get(src)
              .mem(LOAD[size], 4 * o)
              .mem(STORE[size], 4 * o);
          }
          f.get(src).get(ds).op('i32.add').set(src);
          f.get(dst)
            .i32(W * 4)
            .op('i32.add')
            .set(dst);
        },
      );
    },
    () => {
      // Gather: walk each source line along p (contiguous when ds = 4 bytes).
      f.forUp(
        w,
        () => f.i32(0),
        width,
        1,
        () => {
          f.get(src).get(w).get(ws).op('i32.mul').op('i32.add').set(s);
          f.get(dst).get(w).i32(4).op('i32.mul').op('i32.add').set(d);
          f.i32(0).set(p);
          // A contiguous source line (the usual case) moves 4 floats per
          // iteration with constant offsets: ~2× faster for transposed B.
          f.get(ds).i32(4).op('i32.eq');
          f.if(() => {
            f.get(depth).i32(3).op('i32.sub').set(end4);
            f.forUp(
              p,
              () => f.get(p),
              end4,
              4,
              () => {
                for (let q = 0; q < 4; q++) {
                  f.get(d)
                    .get(s)
                    .mem('f32.load', 4 * q)
                    .mem('f32.store', 4 * W * q);
                }
                f.get(s).i32(16).op('i32.add').set(s);
                f.get(d)
                  .i32(16 * W)
                  .op('i32.add')
                  .set(d);
              },
            );
          });
          f.forUp(
            p,
            () => f.get(p),
            depth,
            1,
            () => {
              f.get(d).get(s).mem('f32.load').mem('f32.store');
              f.get(s).get(ds).op('i32.add').set(s);
              f.get(d)
                .i32(W * 4)
                .op('i32.add')
                .set(d);
            },
          );
        },
      );
    },
  );
}

/**
 * micro(kc, a, b, c, ldc, acc): the MR×NR tile at c (row stride ldc bytes)
 * (+)= Σ_p a[p*MR + r] * b[p*NR + j], kc >= 1. The tile lives in MR·NR/4
 * v128 locals that V8 keeps in registers as long as they fit x86-64's 16
 * xmm registers: 6×8 relaxed uses 12 accumulators + 2 B vectors + 1
 * broadcast A; 5×8 mul+add needs one more for the product (6×8 spills).
 * At least ~10 independent accumulators are needed to hide FMA latency.
 */
function microKernel(f: FuncBuilder, cfg: GemmKernelConfig): void {
  const { mr: MR, nr: NR } = cfg;
  const NV = NR / 4;
  const [kc, a, b, c, ldc, acc] = [0, 1, 2, 3, 4, 5];
  const tile = Array.from({ length: MR }, () => Array.from({ length: NV }, () => f.local('v128')));
  const bv = Array.from({ length: NV }, () => f.local('v128'));
  const av = f.local('v128');
  const row = f.local('i32');
  for (const r of tile) for (const t of r) f.v128Zero().set(t);

  // One k step: NV B vectors, then per row one broadcast A value and NV FMAs.
  const step = () => {
    for (let q = 0; q < NV; q++)
      f.get(b)
        .mem('v128.load', 16 * q)
        .set(bv[q]);
    for (let r = 0; r < MR; r++) {
      f.get(a)
        .mem('v128.load32_splat', 4 * r)
        .set(av);
      for (let q = 0; q < NV; q++) {
        if (cfg.mode === 'relaxed') {
          f.get(av).get(bv[q]).get(tile[r][q]).op('f32x4.relaxed_madd').set(tile[r][q]);
        } else {
          f.get(tile[r][q]).get(av).get(bv[q]).op('f32x4.mul').op('f32x4.add').set(tile[r][q]);
        }
      }
    }
  };
  // TurboFan's scheduler decides register pressure, and small changes to
  // this loop's shape move it: a bottom-tested loop without the guarding
  // block hoisted all six A broadcasts and spilled (22 instead of 48
  // GFLOP/s), and unrolling k by 2 spilled too (21 vs 44). Check the machine
  // code (node --print-wasm-code --no-liftoff) after changing it.
  f.block((exit) => {
    f.get(kc).op('i32.eqz').brIf(exit);
    f.loop((top) => {
      step();
      f.get(a)
        .i32(4 * MR)
        .op('i32.add')
        .set(a);
      f.get(b)
        .i32(4 * NR)
        .op('i32.add')
        .set(b);
      f.get(kc).i32(1).op('i32.sub').set(kc);
      f.get(kc).brIf(top);
    });
  });

  const writeBack = (add: boolean) => {
    f.get(c).set(row);
    for (let r = 0; r < MR; r++) {
      for (let q = 0; q < NV; q++) {
        f.get(row);
        if (add)
          f.get(row)
            .mem('v128.load', 16 * q)
            .get(tile[r][q])
            .op('f32x4.add');
        else f.get(tile[r][q]);
        f.mem('v128.store', 16 * q);
      }
      if (r < MR - 1) f.get(row).get(ldc).op('i32.add').set(row);
    }
  };
  f.get(acc).if(
    () => writeBack(true),
    () => writeBack(false),
  );
}

function packB(f: FuncBuilder, cfg: GemmKernelConfig): void {
  const { nr: NR } = cfg;
  const [src, rs, cs, k, kb, n, nPad, j0, j1, dst] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const pc = f.local('i32');
  const kc = f.local('i32');
  const left = f.local('i32');
  const j = f.local('i32');
  const cols = f.local('i32');
  const nrConst = f.local('i32');
  f.i32(NR).set(nrConst);
  f.forUpBy(
    pc,
    () => f.i32(0),
    k,
    kb,
    () => {
      f.get(k).get(pc).op('i32.sub').set(left);
      f.get(kb).set(kc);
      min(f, kc, left).set(kc);
      f.forUp(
        j,
        () => f.get(j0),
        j1,
        NR,
        () => {
          f.get(n).get(j).op('i32.sub').set(cols);
          min(f, cols, nrConst).set(cols);
          // src + 4*(pc*rs + j*cs)
          f.get(src).get(pc).get(rs).op('i32.mul').get(j).get(cs).op('i32.mul').op('i32.add');
          f.i32(4).op('i32.mul').op('i32.add');
          f.get(cs).get(rs).get(cols).get(kc);
          // dst + 4*(pc*nPad + j*kc)
          f.get(dst).get(pc).get(nPad).op('i32.mul').get(j).get(kc).op('i32.mul').op('i32.add');
          f.i32(4).op('i32.mul').op('i32.add');
          f.call(`pack${NR}`);
        },
      );
    },
  );
}

function gemmRows(f: FuncBuilder, cfg: GemmKernelConfig): void {
  const { mr: MR, nr: NR } = cfg;
  const [a, aRs, aCs, bp, nPad, k, kb, c, i0, i1, j0, j1, acc, scratch] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
  ];
  const pc = f.local('i32');
  const kc = f.local('i32');
  const left = f.local('i32');
  const ip = f.local('i32');
  const rows = f.local('i32');
  const mrConst = f.local('i32');
  const j = f.local('i32');
  const bPanel = f.local('i32');
  const accNow = f.local('i32');
  f.i32(MR).set(mrConst);
  /** Pushes scratch + 4*(ip - i0)*kc, the packed panel of rows ip..ip+MR. */
  const aPanel = () =>
    f.get(scratch).get(ip).get(i0).op('i32.sub').get(kc).op('i32.mul').i32(4).op('i32.mul');
  f.forUpBy(
    pc,
    () => f.i32(0),
    k,
    kb,
    () => {
      f.get(k).get(pc).op('i32.sub').set(left);
      f.get(kb).set(kc);
      min(f, kc, left).set(kc);
      f.forUp(
        ip,
        () => f.get(i0),
        i1,
        MR,
        () => {
          f.get(i1).get(ip).op('i32.sub').set(rows);
          min(f, rows, mrConst).set(rows);
          // pack(a + 4*(ip*aRs + pc*aCs), aRs, aCs, rows, kc, panel)
          f.get(a).get(ip).get(aRs).op('i32.mul').get(pc).get(aCs).op('i32.mul').op('i32.add');
          f.i32(4).op('i32.mul').op('i32.add');
          f.get(aRs).get(aCs).get(rows).get(kc);
          aPanel().op('i32.add');
          f.call(`pack${MR}`);
        },
      );
      f.get(acc).get(pc).op('i32.or').set(accNow);
      f.forUp(
        j,
        () => f.get(j0),
        j1,
        NR,
        () => {
          f.get(bp).get(pc).get(nPad).op('i32.mul').get(j).get(kc).op('i32.mul').op('i32.add');
          f.i32(4).op('i32.mul').op('i32.add').set(bPanel);
          f.forUp(
            ip,
            () => f.get(i0),
            i1,
            MR,
            () => {
              f.get(kc);
              aPanel().op('i32.add');
              f.get(bPanel);
              // c + 4*(ip*nPad + j)
              f.get(c).get(ip).get(nPad).op('i32.mul').get(j).op('i32.add').i32(4).op('i32.mul');
              f.op('i32.add');
              f.get(nPad).i32(4).op('i32.mul');
              f.get(accNow);
              f.call('micro');
            },
          );
        },
      );
    },
  );
}
