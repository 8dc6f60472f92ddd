/**
 * Conv products that read the column matrix straight from the image (issue
 * 16): the wasm side of ../kernels/conv-implicit.ts. No column matrix is
 * built; the packers gather the GEMM panels from the (zero-padded) image
 * through two offset tables:
 *
 *   offP[p]  byte offset of tap p = (c, kh, kw) in the padded image:
 *            (c·Hp·Wp + kh·dH·Wp + kw·dW)·4
 *   posJ[j]  byte offset of output position j = (oh, ow):
 *            (oh·sH·Wp + ow·sW)·4
 *
 * so column-matrix entry (p, j) is the float at base + offP[p] + posJ[j]
 * (padding entries read the zero border), for any stride, dilation and
 * padding. Every entry is the value im2col writes, and the products are
 * summed in the same order as the GEMM over an explicit column matrix, so
 * the forward result is bit-identical to the im2col path.
 *
 *   convFwd(desc, i0, i1, scratch)
 *     y[i] = W · col(x[i]) (+ bias per output row) for images [i0, i1):
 *     W packed once per task, each k block's column panels packed from the
 *     image, micro over the tiles, C rows copied (bias added) into y.
 *   convFilter(desc, i0, i1, scratch, slot)
 *     slot (+)= col(x[i]) · dy[i]ᵀ for images [i0, i1), [CKK, O] padded to
 *     the tile; the first image of the range writes, the others add
 *     (the micro-kernel's accumulate flag), so the slot is the group's
 *     partial sum in image order.
 *   convBwdIn(desc, i0, i1, scratch)
 *     dx[i] = col2im(Wᵀ · dy[i]) for images [i0, i1): Wᵀ packed once per
 *     task, dy[i]'s panels per k block, then each C row (tap q) added onto
 *     the zero-bordered dx buffer at offP[q] + posJ[j] in tap order (the
 *     order im2col.ts's col2im adds in, so the bits are the same), and the
 *     interior copied into dx[i] (or added in place when there is no padding).
 *   sumSlots(first, count, stride, floats)
 *     first[·] = ((first + slot1) + slot2) + … in slot order (f32x4).
 */
import type { FuncBuilder, ModuleBuilder } from './emit.js';
import {
  addRow,
  bump,
  copyRow,
  eachPanel,
  I32,
  min,
  panel,
  stepAt,
  streamRow,
  whileBelow,
} from './codegen-loops.js';

/** i32 word indices of a convFwd / convFilter descriptor. */
export const IDESC = {
  /** Image addresses: x + i·xStep. */
  x: 0,
  xStep: 1,
  /** 1: copy each image into the task's zero-bordered buffer first. */
  pad: 2,
  C: 3,
  H: 4,
  W: 5,
  Hp: 6,
  Wp: 7,
  padT: 8,
  padL: 9,
  offP: 10,
  posJ: 11,
  /** GEMM sizes: convFwd m = O, n = OH·OW, k = CKK; convFilter m = CKK, n = O, k = OH·OW. */
  m: 12,
  n: 13,
  k: 14,
  kb: 15,
  mPad: 16,
  nPad: 17,
  /** convFwd: the weights [O, CKK]; convFilter: dy, image i at dy + i·otherStep. */
  other: 18,
  otherStep: 19,
  /** convFwd: y (image i at y + i·yStep) and bias (0: none). */
  y: 20,
  yStep: 21,
  bias: 22,
  /** Task scratch offsets: padded image, packed A, packed B, C. */
  xpOff: 23,
  apOff: 24,
  bpOff: 25,
  cOff: 26,
  /** Output width and width stride (convBwdIn's scatter). */
  OW: 27,
  sW: 28,
  /** convBwdIn: a col2im add plan (conv-codegen.ts planAdd) and its op count; 0 ops: the offset tables. */
  plan: 29,
  planN: 30,
} as const;
export const IDESC_WORDS = 31;

interface Tile {
  mr: number;
  nr: number;
}

/** Adds convFwd, convFilter and sumSlots; micro and pack{mr}, pack{nr} must be declared already. */
export function addImplicitConvFuncs(mod: ModuleBuilder, tile: Tile): void {
  mod.func('copyRows', I32(9), [], copyRows);
  mod.func('packColB', I32(6), [], (f) => packColB(f, tile.nr));
  mod.func('packColA', I32(6), [], (f) => packColA(f, tile.mr));
  if (tile.nr === 8) mod.func('packRowsT8', I32(4), [], packRowsT8);
  mod.func('convFwd', I32(4), [], (f) => convFwd(f, tile), true);
  mod.func('convFilter', I32(5), [], (f) => convFilter(f, tile), true);
  mod.func('convBwdIn', I32(4), [], (f) => convBwdIn(f, tile), true);
  mod.func('sumSlots', I32(4), [], sumSlots, true);
}

/**
 * copyRows(src, srcRow, srcPlane, dst, dstRow, dstPlane, C, H, W): C
 * planes of H rows of W floats; row (c, h) of src at src + 4·(c·srcPlane +
 * h·srcRow), of dst likewise. Copies an image into the interior of its
 * zero-bordered buffer (whose border is never written, so it keeps the
 * zeroes the task wrote once), or the interior back out.
 */
function copyRows(f: FuncBuilder): void {
  const [src, srcRow, srcPlane, dst, dstRow, dstPlane, C, H, W] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const c = f.local('i32');
  const h = f.local('i32');
  const s = f.local('i32');
  const d = f.local('i32');
  const end = f.local('i32');
  const end4 = f.local('i32');
  f.forUp(
    c,
    () => f.i32(0),
    C,
    1,
    () => {
      f.forUp(
        h,
        () => f.i32(0),
        H,
        1,
        () => {
          f.get(src).get(c).get(srcPlane).op('i32.mul').get(h).get(srcRow).op('i32.mul');
          f.op('i32.add').i32(4).op('i32.mul').op('i32.add').set(s);
          f.get(dst).get(c).get(dstPlane).op('i32.mul').get(h).get(dstRow).op('i32.mul');
          f.op('i32.add').i32(4).op('i32.mul').op('i32.add').set(d);
          f.get(d).get(W).i32(4).op('i32.mul').op('i32.add').set(end);
          f.get(end).i32(15).op('i32.sub').set(end4);
          copyRow(f, d, s, end, end4);
        },
      );
    },
  );
}

/**
 * packColB(base, offP, posJ, kc, n, dst): the column matrix's rows
 * offP[0 .. kc) (one k block) and columns [0, n) as NR-wide panels, panel
 * j0 at dst + 4·j0·kc holding kc rows of NR floats (zero beyond n).
 */
function packColB(f: FuncBuilder, NR: number): void {
  const [base, offP, posJ, kc, n, dst] = [0, 1, 2, 3, 4, 5];
  const j0 = f.local('i32');
  const s = f.local('i32');
  const d = f.local('i32');
  const o = f.local('i32');
  const oEnd = f.local('i32');
  const w = f.local('i32');
  const width = f.local('i32');
  const pos = Array.from({ length: NR }, () => f.local('i32'));
  f.get(offP).get(kc).i32(4).op('i32.mul').op('i32.add').set(oEnd);
  f.forUp(
    j0,
    () => f.i32(0),
    n,
    NR,
    () => {
      f.get(dst).get(j0).get(kc).op('i32.mul').i32(4).op('i32.mul').op('i32.add').set(d);
      f.get(n).get(j0).op('i32.sub').set(width);
      f.get(width).i32(NR).op('i32.ge_s');
      f.if(
        () => {
          for (let q = 0; q < NR; q++) {
            f.get(posJ)
              .get(j0)
              .i32(4)
              .op('i32.mul')
              .op('i32.add')
              .mem('i32.load', 4 * q);
            f.get(base).op('i32.add').set(pos[q]);
          }
          // Contiguous panel (one output row, unit width stride): NR/4 vector moves per row.
          f.get(pos[NR - 1])
            .get(pos[0])
            .op('i32.sub')
            .i32(4 * (NR - 1))
            .op('i32.eq');
          f.if(
            () => {
              f.forUp(
                o,
                () => f.get(offP),
                oEnd,
                4,
                () => {
                  f.get(o).mem('i32.load').get(pos[0]).op('i32.add').set(s);
                  for (let q = 0; q < NR / 4; q++) {
                    f.get(d)
                      .get(s)
                      .mem('v128.load', 16 * q)
                      .mem('v128.store', 16 * q);
                  }
                  bump(f, d, 4 * NR);
                },
              );
            },
            () => {
              f.forUp(
                o,
                () => f.get(offP),
                oEnd,
                4,
                () => {
                  f.get(o).mem('i32.load').set(s);
                  for (let q = 0; q < NR; q++) {
                    f.get(d)
                      .get(s)
                      .get(pos[q])
                      .op('i32.add')
                      .mem('f32.load')
                      .mem('f32.store', 4 * q);
                  }
                  bump(f, d, 4 * NR);
                },
              );
            },
          );
        },
        () => {
          // The last, partial panel: zero it, then fill column by column.
          f.get(d)
            .i32(0)
            .get(kc)
            .i32(4 * NR)
            .op('i32.mul')
            .op('memory.fill');
          f.forUp(
            w,
            () => f.i32(0),
            width,
            1,
            () => {
              f.get(posJ).get(j0).get(w).op('i32.add').i32(4).op('i32.mul').op('i32.add');
              f.mem('i32.load').get(base).op('i32.add').set(s);
              f.get(d).get(w).i32(4).op('i32.mul').op('i32.add').set(pos[0]);
              f.forUp(
                o,
                () => f.get(offP),
                oEnd,
                4,
                () => {
                  f.get(pos[0]).get(s).get(o).mem('i32.load').op('i32.add').mem('f32.load');
                  f.mem('f32.store');
                  f.get(pos[0])
                    .i32(4 * NR)
                    .op('i32.add')
                    .set(pos[0]);
                },
              );
            },
          );
        },
      );
    },
  );
}

/**
 * packColA(base, offP, posJ, rows, kc, dst): an MR-tall panel of the column
 * matrix: rows offP[0 .. rows) (taps), columns posJ[0 .. kc) (one k block of
 * output positions); dst[jj·MR + r], zero for rows ≤ r < MR.
 */
function packColA(f: FuncBuilder, MR: number): void {
  const [base, offP, posJ, rows, kc, dst] = [0, 1, 2, 3, 4, 5];
  const pj = f.local('i32');
  const pEnd = f.local('i32');
  const d = f.local('i32');
  const r = f.local('i32');
  const s = f.local('i32');
  const src = Array.from({ length: MR }, () => f.local('i32'));
  /** One column of the panel: d[q] = src[q][s] for the MR rows, then d moves on. */
  const gatherColumn = () => {
    for (let q = 0; q < MR; q++) {
      f.get(d)
        .get(src[q])
        .get(s)
        .op('i32.add')
        .mem('f32.load')
        .mem('f32.store', 4 * q);
    }
    bump(f, d, 4 * MR);
  };
  f.get(posJ).get(kc).i32(4).op('i32.mul').op('i32.add').set(pEnd);
  f.get(rows).i32(MR).op('i32.eq');
  f.if(
    () => {
      for (let q = 0; q < MR; q++) {
        f.get(offP)
          .mem('i32.load', 4 * q)
          .get(base)
          .op('i32.add')
          .set(src[q]);
      }
      f.get(dst).set(d);
      f.get(posJ).set(pj);
      if (MR === 6) {
        // Four output positions at a time where they are contiguous in the
        // image (one output row, unit width stride): six vector loads, a 4×4
        // transpose of rows 0–3 plus rows 4–5 interleaved, six vector stores.
        const v = Array.from({ length: 6 }, () => f.local('v128'));
        const t = Array.from({ length: 4 }, () => f.local('v128'));
        const o = Array.from({ length: 4 }, () => f.local('v128'));
        const lo = f.local('v128');
        const hi = f.local('v128');
        const stop = f.local('i32');
        f.get(pEnd).i32(12).op('i32.sub').set(stop);
        whileBelow(f, pj, stop, () => {
          f.get(pj).mem('i32.load').set(s);
          f.get(pj).mem('i32.load', 12).get(s).op('i32.sub').i32(12).op('i32.eq');
          f.if(
            () => {
              for (let q = 0; q < 6; q++) {
                f.get(src[q]).get(s).op('i32.add').mem('v128.load').set(v[q]);
              }
              transpose4(f, v.slice(0, 4), t, o);
              f.get(v[4]).get(v[5]).shuffle32([0, 4, 1, 5]).set(lo);
              f.get(v[4]).get(v[5]).shuffle32([2, 6, 3, 7]).set(hi);
              f.get(d).get(o[0]).mem('v128.store', 0);
              f.get(d).get(lo).get(o[1]).shuffle32([0, 1, 4, 5]).mem('v128.store', 16);
              f.get(d).get(o[1]).get(lo).shuffle32([2, 3, 6, 7]).mem('v128.store', 32);
              f.get(d).get(o[2]).mem('v128.store', 48);
              f.get(d).get(hi).get(o[3]).shuffle32([0, 1, 4, 5]).mem('v128.store', 64);
              f.get(d).get(o[3]).get(hi).shuffle32([2, 3, 6, 7]).mem('v128.store', 80);
              bump(f, d, 96);
              bump(f, pj, 16);
            },
            () => {
              gatherColumn();
              bump(f, pj, 4);
            },
          );
        });
      }
      f.forUp(
        pj,
        () => f.get(pj),
        pEnd,
        4,
        () => {
          f.get(pj).mem('i32.load').set(s);
          gatherColumn();
        },
      );
    },
    () => {
      f.get(dst)
        .i32(0)
        .get(kc)
        .i32(4 * MR)
        .op('i32.mul')
        .op('memory.fill');
      f.forUp(
        r,
        () => f.i32(0),
        rows,
        1,
        () => {
          f.get(offP).get(r).i32(4).op('i32.mul').op('i32.add').mem('i32.load');
          f.get(base).op('i32.add').set(s);
          f.get(dst).get(r).i32(4).op('i32.mul').op('i32.add').set(d);
          f.forUp(
            pj,
            () => f.get(posJ),
            pEnd,
            4,
            () => {
              f.get(d).get(s).get(pj).mem('i32.load').op('i32.add').mem('f32.load');
              f.mem('f32.store');
              bump(f, d, 4 * MR);
            },
          );
        },
      );
    },
  );
}

/**
 * Emits the 4×4 transpose of the v128 locals v[0..3] into out[0..3]
 * (out[t] = [v0[t], v1[t], v2[t], v3[t]]), using t[0..3] as temporaries.
 */
function transpose4(f: FuncBuilder, v: number[], t: number[], out: number[]): void {
  f.get(v[0]).get(v[1]).shuffle32([0, 4, 1, 5]).set(t[0]);
  f.get(v[0]).get(v[1]).shuffle32([2, 6, 3, 7]).set(t[1]);
  f.get(v[2]).get(v[3]).shuffle32([0, 4, 1, 5]).set(t[2]);
  f.get(v[2]).get(v[3]).shuffle32([2, 6, 3, 7]).set(t[3]);
  f.get(t[0]).get(t[2]).shuffle32([0, 1, 4, 5]).set(out[0]);
  f.get(t[0]).get(t[2]).shuffle32([2, 3, 6, 7]).set(out[1]);
  f.get(t[1]).get(t[3]).shuffle32([0, 1, 4, 5]).set(out[2]);
  f.get(t[1]).get(t[3]).shuffle32([2, 3, 6, 7]).set(out[3]);
}

/**
 * packRowsT8(src, rowBytes, kc, dst): dst[jj·8 + w] = src[w·rowBytes/4 + jj]
 * for 8 full rows (a transposed 8-wide panel: dyᵀ in the weight gradient),
 * four jj at a time as two 4×4 transposes, the last kc % 4 one by one.
 */
function packRowsT8(f: FuncBuilder): void {
  const [src, rowBytes, kc, dst] = [0, 1, 2, 3];
  const jj = f.local('i32');
  const end4 = f.local('i32');
  const d = f.local('i32');
  const s = f.local('i32');
  const a = Array.from({ length: 8 }, () => f.local('v128'));
  const t = Array.from({ length: 4 }, () => f.local('v128'));
  const x = Array.from({ length: 4 }, () => f.local('v128'));
  const y = Array.from({ length: 4 }, () => f.local('v128'));
  f.get(dst).set(d);
  f.get(kc).i32(3).op('i32.sub').set(end4);
  f.i32(0).set(jj);
  whileBelow(f, jj, end4, () => {
    f.get(src).get(jj).i32(4).op('i32.mul').op('i32.add').set(s);
    for (let r = 0; r < 8; r++) {
      f.get(s).mem('v128.load').set(a[r]);
      if (r < 7) f.get(s).get(rowBytes).op('i32.add').set(s);
    }
    transpose4(f, a.slice(0, 4), t, x);
    transpose4(f, a.slice(4, 8), t, y);
    for (let q = 0; q < 4; q++) {
      f.get(d)
        .get(x[q])
        .mem('v128.store', 32 * q);
      f.get(d)
        .get(y[q])
        .mem('v128.store', 32 * q + 16);
    }
    bump(f, d, 128);
    bump(f, jj, 4);
  });
  f.forUp(
    jj,
    () => f.get(jj),
    kc,
    1,
    () => {
      f.get(src).get(jj).i32(4).op('i32.mul').op('i32.add').set(s);
      for (let r = 0; r < 8; r++) {
        f.get(d)
          .get(s)
          .mem('f32.load')
          .mem('f32.store', 4 * r);
        if (r < 7) f.get(s).get(rowBytes).op('i32.add').set(s);
      }
      bump(f, d, 32);
    },
  );
}

/** kc = min(kb, k − pc): the size of the k block at pc. */
function kBlock(
  f: FuncBuilder,
  w: Record<keyof typeof IDESC, number>,
  pc: number,
  kc: number,
  left: number,
): void {
  f.get(w.k).get(pc).op('i32.sub').set(left);
  f.get(w.kb).set(kc);
  min(f, kc, left).set(kc);
}

/**
 * for i in [i0, i1): image(), then block() for each k block pc (kc deep,
 * kBlock), then after().
 */
function eachImageBlock(
  f: FuncBuilder,
  w: Record<keyof typeof IDESC, number>,
  l: { i: number; i0: number; i1: number; pc: number; kc: number; left: number },
  body: { image: () => void; block: () => void; after?: () => void },
): void {
  const { i, i0, i1, pc, kc, left } = l;
  f.forUp(
    i,
    () => f.get(i0),
    i1,
    1,
    () => {
      body.image();
      f.forUpBy(
        pc,
        () => f.i32(0),
        w.k,
        w.kb,
        () => {
          kBlock(f, w, pc, kc, left);
          body.block();
        },
      );
      body.after?.();
    },
  );
}

/** Loads the descriptor's words into locals. */
function loadDesc(f: FuncBuilder, desc: number): Record<keyof typeof IDESC, number> {
  const w = {} as Record<keyof typeof IDESC, number>;
  for (const key of Object.keys(IDESC) as (keyof typeof IDESC)[]) {
    w[key] = f.local('i32');
    f.get(desc)
      .mem('i32.load', 4 * IDESC[key])
      .set(w[key]);
  }
  return w;
}

/**
 * Pushes the image base for image i: the padded copy at xp (copied here) or
 * the image itself; `setup` zeroes the padded buffer once per task.
 */
function imageBase(
  f: FuncBuilder,
  w: Record<keyof typeof IDESC, number>,
  i: number,
  xp: number,
  out: number,
): void {
  stepAt(f, w.x, i, w.xStep).set(out);
  f.get(w.pad).if(() => {
    copyImage(
      f,
      w,
      () => plainRows(f, w, () => f.get(out)),
      () => paddedRows(f, w, xp),
    );
    f.get(xp).set(out);
  });
}

/** copyRows(from, to, C, H, W): `from` and `to` push an address and its row and plane strides. */
function copyImage(
  f: FuncBuilder,
  w: Record<keyof typeof IDESC, number>,
  from: () => void,
  to: () => void,
): void {
  from();
  to();
  f.get(w.C).get(w.H).get(w.W).call('copyRows');
}

/** Pushes an image's address (`at`), its row stride W and plane stride H·W. */
function plainRows(f: FuncBuilder, w: Record<keyof typeof IDESC, number>, at: () => void): void {
  at();
  f.get(w.W).get(w.H).get(w.W).op('i32.mul');
}

/** Pushes the padded buffer's interior, its row stride Wp and plane stride Hp·Wp. */
function paddedRows(f: FuncBuilder, w: Record<keyof typeof IDESC, number>, xp: number): void {
  interior(f, w, xp);
  f.get(w.Wp).get(w.Hp).get(w.Wp).op('i32.mul');
}

/** Pushes the address of the padded buffer's interior: xp + 4·(padT·Wp + padL). */
function interior(f: FuncBuilder, w: Record<keyof typeof IDESC, number>, xp: number): void {
  f.get(xp).get(w.padT).get(w.Wp).op('i32.mul').get(w.padL).op('i32.add').i32(4).op('i32.mul');
  f.op('i32.add');
}

/** Zeroes the padded buffer at xp (when the conv pads), then runs `then`. */
function zeroPadded(
  f: FuncBuilder,
  w: Record<keyof typeof IDESC, number>,
  xp: number,
  then?: () => void,
): void {
  f.get(w.pad).if(() => {
    f.get(xp).i32(0);
    f.get(w.C).get(w.Hp).op('i32.mul').get(w.Wp).op('i32.mul').i32(4).op('i32.mul');
    f.op('memory.fill');
    then?.();
  });
}

/** The i32 locals convFwd, convFilter and convBwdIn share; −1 for one not asked for (emit.ts rejects it). */
interface ConvLocals {
  i: number;
  xp: number;
  ap: number;
  bp: number;
  c: number;
  base: number;
  dy: number;
  pc: number;
  kc: number;
  left: number;
  ip: number;
  jp: number;
  rows: number;
  cols: number;
  mrC: number;
  nrC: number;
}

/**
 * Declares the shared locals (c: the task's C block; dy: the current
 * image's dy; cols and nrC: a column count clamped to NR), then sets
 * mrC = MR, nrC = NR and xp, ap, bp (and c) to scratch plus their
 * descriptor offsets.
 */
function convLocals(
  f: FuncBuilder,
  w: Record<keyof typeof IDESC, number>,
  tile: Tile,
  scratch: number,
  has: { c: boolean; dy: boolean; cols: boolean },
): ConvLocals {
  const i32 = (wanted = true) => (wanted ? f.local('i32') : -1);
  const i = i32();
  const xp = i32();
  const ap = i32();
  const bp = i32();
  const c = i32(has.c);
  const base = i32();
  const dy = i32(has.dy);
  const pc = i32();
  const kc = i32();
  const left = i32();
  const ip = i32();
  const jp = i32();
  const rows = i32();
  const cols = i32(has.cols);
  const mrC = i32();
  const nrC = i32(has.cols);
  f.i32(tile.mr).set(mrC);
  if (has.cols) f.i32(tile.nr).set(nrC);
  f.get(scratch).get(w.xpOff).op('i32.add').set(xp);
  f.get(scratch).get(w.apOff).op('i32.add').set(ap);
  f.get(scratch).get(w.bpOff).op('i32.add').set(bp);
  if (has.c) f.get(scratch).get(w.cOff).op('i32.add').set(c);
  return { i, xp, ap, bp, c, base, dy, pc, kc, left, ip, jp, rows, cols, mrC, nrC };
}

/**
 * Packs A once for all images: for each k block pc (kc deep) the MR-row
 * panels ip at ap + 4·(pc·mPad + ip·kc); `source` pushes pack{MR}'s
 * source, strides, rows and kc for panel ip of block pc.
 */
function packA(
  f: FuncBuilder,
  w: Record<keyof typeof IDESC, number>,
  MR: number,
  l: { pc: number; kc: number; left: number; ip: number; rows: number; mrC: number; ap: number },
  source: () => void,
): void {
  const { pc, kc, left, ip, rows, mrC, ap } = l;
  f.forUpBy(
    pc,
    () => f.i32(0),
    w.k,
    w.kb,
    () => {
      kBlock(f, w, pc, kc, left);
      eachPanel(f, { at: ip, total: w.m, width: MR, count: rows, cap: mrC }, () => {
        source();
        f.get(ap).get(pc).get(w.mPad).op('i32.mul').get(ip).get(kc).op('i32.mul');
        f.op('i32.add').i32(4).op('i32.mul').op('i32.add');
        f.call(`pack${MR}`);
      });
    },
  );
}

/**
 * callMicro over every MR×NR tile of the block: output-position panels jp
 * outer, row panels ip inner, accumulating after the first k block; `a`
 * pushes the A panel of row panel ip.
 */
function microTiles(
  f: FuncBuilder,
  w: Record<keyof typeof IDESC, number>,
  tile: Tile,
  l: { jp: number; ip: number; kc: number; bp: number; c: number; pc: number },
  a: () => void,
): void {
  const { jp, ip, kc, bp, c, pc } = l;
  f.forUp(
    jp,
    () => f.i32(0),
    w.n,
    tile.nr,
    () => {
      f.forUp(
        ip,
        () => f.i32(0),
        w.m,
        tile.mr,
        () => callMicro(f, w, kc, a, bp, jp, c, ip, () => f.get(pc).i32(0).op('i32.gt_s')),
      );
    },
  );
}

/**
 * micro(kc, A panel, B panel jp, C tile (ip, jp) of the nPad-wide block at
 * cBase, row bytes, accumulate): `a` pushes the A panel, `acc` the flag.
 */
function callMicro(
  f: FuncBuilder,
  w: Record<keyof typeof IDESC, number>,
  kc: number,
  a: () => void,
  bp: number,
  jp: number,
  cBase: number,
  ip: number,
  acc: () => void,
): void {
  f.get(kc);
  a();
  panel(f, bp, jp, kc);
  f.get(cBase).get(ip).get(w.nPad).op('i32.mul').get(jp).op('i32.add');
  f.i32(4).op('i32.mul').op('i32.add');
  f.get(w.nPad).i32(4).op('i32.mul');
  acc();
  f.call('micro');
}

function convFwd(f: FuncBuilder, tile: Tile): void {
  const { mr: MR } = tile;
  const [desc, i0, i1, scratch] = [0, 1, 2, 3];
  const w = loadDesc(f, desc);
  const l = convLocals(f, w, tile, scratch, { c: true, dy: false, cols: false });
  const { i, xp, ap, bp, c, base, pc, kc, left, ip, jp, rows, mrC } = l;
  const aBlock = f.local('i32');
  const src = f.local('i32');
  const dst = f.local('i32');
  const end = f.local('i32');
  const end4 = f.local('i32');
  const bv = f.local('v128');
  const bs = f.local('f32');
  zeroPadded(f, w, xp);
  // Pack W [m, k] once: block pc at ap + 4·pc·mPad, row panel ip at + 4·ip·kc.
  packA(f, w, MR, { pc, kc, left, ip, rows, mrC, ap }, () => {
    // W[ip, pc ..]: row stride k, column stride 1.
    f.get(w.other).get(ip).get(w.k).op('i32.mul').get(pc).op('i32.add').i32(4);
    f.op('i32.mul').op('i32.add');
    f.get(w.k).i32(1).get(rows).get(kc);
  });
  eachImageBlock(
    f,
    w,
    { i, i0, i1, pc, kc, left },
    {
      image: () => {
        imageBase(f, w, i, xp, base);
      },
      block: () => {
        f.get(base).get(w.offP).get(pc).i32(4).op('i32.mul').op('i32.add');
        f.get(w.posJ).get(kc).get(w.n).get(bp).call('packColB');
        f.get(ap).get(pc).get(w.mPad).op('i32.mul').i32(4).op('i32.mul').op('i32.add');
        f.set(aBlock);
        microTiles(f, w, tile, { jp, ip, kc, bp, c, pc }, () => panel(f, aBlock, ip, kc));
      },
      after: () => {
        // y[i][o, :] = C[o, :n] (+ bias[o]).
        f.forUp(
          ip,
          () => f.i32(0),
          w.m,
          1,
          () => {
            f.get(c).get(ip).get(w.nPad).op('i32.mul').i32(4).op('i32.mul').op('i32.add').set(src);
            stepAt(f, w.y, i, w.yStep);
            f.get(ip).get(w.n).op('i32.mul').i32(4).op('i32.mul').op('i32.add').set(dst);
            f.get(dst).get(w.n).i32(4).op('i32.mul').op('i32.add').set(end);
            f.get(end).i32(15).op('i32.sub').set(end4);
            f.get(w.bias).if(
              () => {
                f.get(w.bias).get(ip).i32(4).op('i32.mul').op('i32.add').mem('f32.load').set(bs);
                f.get(bs).op('f32x4.splat').set(bv);
                streamRow(f, dst, src, end, end4, (vec) =>
                  vec
                    ? f.get(src).mem('v128.load').get(bv).op('f32x4.add')
                    : f.get(src).mem('f32.load').get(bs).op('f32.add'),
                );
              },
              () => {
                copyRow(f, dst, src, end, end4);
              },
            );
          },
        );
      },
    },
  );
}

function convFilter(f: FuncBuilder, tile: Tile): void {
  const { mr: MR, nr: NR } = tile;
  const [desc, i0, i1, scratch, slot] = [0, 1, 2, 3, 4];
  const w = loadDesc(f, desc);
  const l = convLocals(f, w, tile, scratch, { c: false, dy: true, cols: true });
  const { i, xp, ap, bp, base, dy, pc, kc, left, ip, jp, rows, cols, mrC, nrC } = l;
  const acc = f.local('i32');
  zeroPadded(f, w, xp);
  eachImageBlock(
    f,
    w,
    { i, i0, i1, pc, kc, left },
    {
      image: () => {
        imageBase(f, w, i, xp, base);
        stepAt(f, w.other, i, w.otherStep).set(dy);
      },
      block: () => {
        f.get(i).get(i0).op('i32.gt_s').get(pc).i32(0).op('i32.gt_s').op('i32.or').set(acc);
        // B = dyᵀ for this k block: B(j, o) = dy[o, pc + j], NR-wide panels over o.
        eachPanel(f, { at: jp, total: w.n, width: NR, count: cols, cap: nrC }, () => {
          // dy[jp, pc ..] and its strides, then the panel, to `pack`.
          const packFrom = (strides: () => void, pack: string) => {
            f.get(dy).get(jp).get(w.k).op('i32.mul').get(pc).op('i32.add').i32(4);
            f.op('i32.mul').op('i32.add');
            strides();
            panel(f, bp, jp, kc);
            f.call(pack);
          };
          const packT = () => packFrom(() => f.get(w.k).i32(4).op('i32.mul').get(kc), 'packRowsT8');
          const packAny = () => packFrom(() => f.get(w.k).i32(1).get(cols).get(kc), `pack${NR}`);
          if (NR === 8) f.get(cols).i32(8).op('i32.eq').if(packT, packAny);
          else packAny();
        });
        eachPanel(f, { at: ip, total: w.m, width: MR, count: rows, cap: mrC }, () => {
          f.get(base).get(w.offP).get(ip).i32(4).op('i32.mul').op('i32.add');
          f.get(w.posJ).get(pc).i32(4).op('i32.mul').op('i32.add');
          f.get(rows).get(kc).get(ap).call('packColA');
          f.forUp(
            jp,
            () => f.i32(0),
            w.n,
            NR,
            () => {
              callMicro(
                f,
                w,
                kc,
                () => f.get(ap),
                bp,
                jp,
                slot,
                ip,
                () => f.get(acc),
              );
            },
          );
        });
      },
    },
  );
}

function convBwdIn(f: FuncBuilder, tile: Tile): void {
  const { mr: MR, nr: NR } = tile;
  const [desc, i0, i1, scratch] = [0, 1, 2, 3];
  const w = loadDesc(f, desc);
  const l = convLocals(f, w, tile, scratch, { c: true, dy: true, cols: true });
  const { i, xp, ap, bp, c, base, dy, pc, kc, left, ip, jp, rows, cols, mrC, nrC } = l;
  const q = f.local('i32');
  const j = f.local('i32');
  const s = f.local('i32');
  const d = f.local('i32');
  const end = f.local('i32');
  const end4 = f.local('i32');
  const tap = f.local('i32');
  // A = Wᵀ: A(q, o) = W[o, q] (W [k = O, m = CKK]); block pc at ap + 4·pc·mPad, panel ip at + 4·ip·kc.
  packA(f, w, MR, { pc, kc, left, ip, rows, mrC, ap }, () => {
    // W[pc, ip ..] read transposed: row stride 1, column stride m.
    f.get(w.y).get(pc).get(w.m).op('i32.mul').get(ip).op('i32.add').i32(4);
    f.op('i32.mul').op('i32.add');
    f.i32(1).get(w.m).get(rows).get(kc);
  });
  eachImageBlock(
    f,
    w,
    { i, i0, i1, pc, kc, left },
    {
      image: () => {
        stepAt(f, w.other, i, w.otherStep).set(dy);
      },
      block: () => {
        // B = dy[i] rows [pc, pc + kc): NR-wide panels over output positions.
        eachPanel(f, { at: jp, total: w.n, width: NR, count: cols, cap: nrC }, () => {
          f.get(dy).get(pc).get(w.n).op('i32.mul').get(jp).op('i32.add').i32(4);
          f.op('i32.mul').op('i32.add');
          f.i32(1).get(w.n).get(cols).get(kc);
          panel(f, bp, jp, kc);
          f.call(`pack${NR}`);
        });
        microTiles(f, w, tile, { jp, ip, kc, bp, c, pc }, () => {
          f.get(ap).get(pc).get(w.mPad).op('i32.mul').get(ip).get(kc).op('i32.mul');
          f.op('i32.add').i32(4).op('i32.mul').op('i32.add');
        });
      },
      after: () => {
        // The target: the zero-bordered buffer (zeroed per image), or dx[i] itself (allocated zeroed).
        stepAt(f, w.x, i, w.xStep).set(base);
        // With a plan (unit width stride): its merged runs add C onto dx[i] directly.
        f.get(w.planN).i32(0).op('i32.gt_s');
        f.if(
          () => f.get(w.plan).get(w.planN).get(c).get(base).call('planAdd'),
          () => {
            zeroPadded(f, w, xp, () => f.get(xp).set(base));
            // base[offP[q] + posJ[j]] += C[q, j], taps q in order; runs of OW along a row when sW = 1.
            f.forUp(
              q,
              () => f.i32(0),
              w.m,
              1,
              () => {
                f.get(w.offP).get(q).i32(4).op('i32.mul').op('i32.add').mem('i32.load');
                f.get(base).op('i32.add').set(tap);
                f.forUpBy(
                  j,
                  () => f.i32(0),
                  w.n,
                  w.OW,
                  () => {
                    f.get(c)
                      .get(q)
                      .get(w.nPad)
                      .op('i32.mul')
                      .get(j)
                      .op('i32.add')
                      .i32(4)
                      .op('i32.mul');
                    f.op('i32.add').set(s);
                    f.get(w.posJ).get(j).i32(4).op('i32.mul').op('i32.add').mem('i32.load');
                    f.get(tap).op('i32.add').set(d);
                    f.get(w.sW).i32(1).op('i32.eq');
                    f.if(
                      () => {
                        f.get(d).get(w.OW).i32(4).op('i32.mul').op('i32.add').set(end);
                        f.get(end).i32(15).op('i32.sub').set(end4);
                        addRow(f, d, s, end, end4);
                      },
                      () => {
                        f.get(s).get(w.OW).i32(4).op('i32.mul').op('i32.add').set(end);
                        whileBelow(f, s, end, () => {
                          f.get(d).get(d).mem('f32.load').get(s).mem('f32.load').op('f32.add');
                          f.mem('f32.store');
                          f.get(d).get(w.sW).i32(4).op('i32.mul').op('i32.add').set(d);
                          bump(f, s, 4);
                        });
                      },
                    );
                  },
                );
              },
            );
            f.get(w.pad).if(() => {
              copyImage(
                f,
                w,
                () => paddedRows(f, w, xp),
                () => plainRows(f, w, () => stepAt(f, w.x, i, w.xStep)),
              );
            });
          },
        );
      },
    },
  );
}

function sumSlots(f: FuncBuilder): void {
  const [first, count, stride, floats] = [0, 1, 2, 3];
  const g = f.local('i32');
  const d = f.local('i32');
  const s = f.local('i32');
  const end = f.local('i32');
  f.get(first).get(floats).i32(4).op('i32.mul').op('i32.add').set(end);
  f.forUp(
    g,
    () => f.i32(1),
    count,
    1,
    () => {
      f.get(first).get(g).get(stride).op('i32.mul').op('i32.add').set(s);
      f.forUp(
        d,
        () => f.get(first),
        end,
        16,
        () => {
          f.get(d).get(d).mem('v128.load').get(s).mem('v128.load').op('f32x4.add');
          f.mem('v128.store');
          bump(f, s, 16);
        },
      );
    },
  );
}
