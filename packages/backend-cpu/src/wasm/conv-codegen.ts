/**
 * Conv over the batch on the threads (issue 16): the wasm side of
 * ../kernels/conv-batch.ts. One task runs whole images: im2col (a copy plan),
 * that image's product (gemmCols over all its columns), then the scatter of
 * C (a copy plan, or col2im as an add plan), so the column matrix is built
 * and consumed on the same thread while it is in cache.
 *
 *   planCopy(plan, nOps, src, dst)
 *     for each op (d, s, len) — three i32, byte offsets and a byte length:
 *     dst[d, d+len) = src[s, s+len), or zeroes when s < 0 (memory.copy/fill)
 *   planAdd(plan, nOps, src, dst)
 *     for each op: f32 dst[d ..] += src[s ..] over len bytes (f32x4, then one
 *     lane at a time; an f32x4 add is four independent f32 adds, so the sums
 *     equal the scalar ones bit for bit)
 *   convImages(desc, i0, i1, scratch)
 *     images [i0, i1) of the conv described by the i32 words at desc
 *     (DESC_* below), with the task's own col, C, packed-B and packed-A
 *     scratch at the given offsets from `scratch`.
 */
import type { FuncBuilder, ModuleBuilder } from './emit.js';
import { addRow, stepAt } from './codegen-loops.js';
import { addImplicitConvFuncs } from './conv-implicit-codegen.js';

/** i32 word indices of a convImages descriptor. */
export const DESC = {
  prePlan: 0,
  preN: 1,
  preSrc: 2,
  preStep: 3,
  a: 4,
  aStep: 5,
  aRs: 6,
  aCs: 7,
  /** -1: B is the task's column matrix. */
  b: 8,
  bStep: 9,
  bRs: 10,
  bCs: 11,
  k: 12,
  kb: 13,
  n: 14,
  nPad: 15,
  m: 16,
  rows: 17,
  /** -1: C is the task's own block. */
  c: 18,
  cStep: 19,
  postPlan: 20,
  postN: 21,
  /** 0 none, 1 copy plan, 2 add plan (C is the source). */
  postMode: 22,
  postDst: 23,
  postStep: 24,
  colOff: 25,
  cOff: 26,
  bpOff: 27,
  apOff: 28,
} as const;
export const DESC_WORDS = 29;

/**
 * Adds planCopy, planAdd, convImages and the implicit-column functions
 * (conv-implicit-codegen.ts); gemmCols, micro and the packers must be declared already.
 */
export function addConvFuncs(mod: ModuleBuilder, tile: { mr: number; nr: number }): void {
  mod.func('planCopy', ['i32', 'i32', 'i32', 'i32'], [], planCopy, true);
  mod.func('planAdd', ['i32', 'i32', 'i32', 'i32'], [], planAdd, true);
  mod.func('convImages', ['i32', 'i32', 'i32', 'i32'], [], convImages, true);
  addImplicitConvFuncs(mod, tile);
}

function planCopy(f: FuncBuilder): void {
  const [plan, nOps, src, dst] = [0, 1, 2, 3];
  const p = f.local('i32');
  const end = f.local('i32');
  const s = f.local('i32');
  f.get(plan).get(nOps).i32(12).op('i32.mul').op('i32.add').set(end);
  f.forUp(
    p,
    () => f.get(plan),
    end,
    12,
    () => {
      f.get(p).mem('i32.load', 4).set(s);
      f.get(s).i32(0).op('i32.lt_s');
      f.if(
        () => {
          f.get(dst).get(p).mem('i32.load', 0).op('i32.add');
          f.i32(0);
          f.get(p).mem('i32.load', 8);
          f.op('memory.fill');
        },
        () => {
          f.get(dst).get(p).mem('i32.load', 0).op('i32.add');
          f.get(src).get(s).op('i32.add');
          f.get(p).mem('i32.load', 8);
          f.op('memory.copy');
        },
      );
    },
  );
}

function planAdd(f: FuncBuilder): void {
  const [plan, nOps, src, dst] = [0, 1, 2, 3];
  const p = f.local('i32');
  const end = f.local('i32');
  const d = f.local('i32');
  const s = f.local('i32');
  const stop = f.local('i32');
  const stop4 = f.local('i32');
  f.get(plan).get(nOps).i32(12).op('i32.mul').op('i32.add').set(end);
  f.forUp(
    p,
    () => f.get(plan),
    end,
    12,
    () => {
      f.get(dst).get(p).mem('i32.load', 0).op('i32.add').set(d);
      f.get(src).get(p).mem('i32.load', 4).op('i32.add').set(s);
      f.get(d).get(p).mem('i32.load', 8).op('i32.add').set(stop);
      // Whole f32x4 groups: d + 16 <= stop.
      f.get(stop).i32(15).op('i32.sub').set(stop4);
      addRow(f, d, s, stop, stop4);
    },
  );
}

function convImages(f: FuncBuilder): void {
  const [desc, i0, i1, scratch] = [0, 1, 2, 3];
  const w: Record<keyof typeof DESC, number> = {} as Record<keyof typeof DESC, number>;
  for (const key of Object.keys(DESC) as (keyof typeof DESC)[]) {
    w[key] = f.local('i32');
    f.get(desc)
      .mem('i32.load', 4 * DESC[key])
      .set(w[key]);
  }
  const i = f.local('i32');
  const col = f.local('i32');
  const a = f.local('i32');
  const b = f.local('i32');
  const c = f.local('i32');
  const out = f.local('i32');
  f.get(scratch).get(w.colOff).op('i32.add').set(col);
  // v = base + i * step
  const at = (base: number, step: number) => stepAt(f, base, i, step);
  f.forUp(
    i,
    () => f.get(i0),
    i1,
    1,
    () => {
      f.get(w.preN).i32(0).op('i32.gt_s');
      f.if(() => {
        f.get(w.prePlan).get(w.preN);
        at(w.preSrc, w.preStep);
        f.get(col).call('planCopy');
      });
      at(w.a, w.aStep).set(a);
      f.get(w.b).i32(-1).op('i32.eq');
      f.if(
        () => f.get(col).set(b),
        () => at(w.b, w.bStep).set(b),
      );
      f.get(w.c).i32(-1).op('i32.eq');
      f.if(
        () => f.get(scratch).get(w.cOff).op('i32.add').set(c),
        () => at(w.c, w.cStep).set(c),
      );
      f.get(a).get(w.aRs).get(w.aCs).get(b).get(w.bRs).get(w.bCs);
      f.get(w.k).get(w.kb).get(w.n).get(w.nPad).i32(0).get(w.nPad);
      f.get(scratch).get(w.bpOff).op('i32.add').get(c).get(w.m).get(w.rows).i32(0);
      f.get(scratch).get(w.apOff).op('i32.add');
      f.call('gemmCols');
      at(w.postDst, w.postStep).set(out);
      f.get(w.postMode).i32(1).op('i32.eq');
      f.if(() => f.get(w.postPlan).get(w.postN).get(c).get(out).call('planCopy'));
      f.get(w.postMode).i32(2).op('i32.eq');
      f.if(() => f.get(w.postPlan).get(w.postN).get(c).get(out).call('planAdd'));
    },
  );
}
