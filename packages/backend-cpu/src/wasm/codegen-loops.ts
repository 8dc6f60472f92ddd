/**
 * Small emitters shared by the conv and pooling codegen (conv-codegen.ts,
 * conv-implicit-codegen.ts, pool-simd.ts): each emits exactly the
 * instructions its callers used to write out by hand, so the modules' bytes
 * (and what they compute) are unchanged.
 */
import type { FuncBuilder } from './emit.js';

/** n i32 parameter types. */
export function I32(n: number): 'i32'[] {
  return new Array<'i32'>(n).fill('i32');
}

/** Pushes min(x, y) of two i32 locals. */
export function min(f: FuncBuilder, x: number, y: number): FuncBuilder {
  return f.get(x).get(y).get(x).get(y).op('i32.lt_s').op('select');
}

/** out = min(total − at, cap): the rows (or columns) of the tile at `at`. */
export function clampTo(f: FuncBuilder, out: number, total: number, at: number, cap: number): void {
  f.get(total).get(at).op('i32.sub').set(out);
  min(f, out, cap).set(out);
}

/** p += bytes (an i32 local and a constant). */
export function bump(f: FuncBuilder, p: number, bytes: number): void {
  f.get(p).i32(bytes).op('i32.add').set(p);
}

/** Pushes base + i·step (three i32 locals). */
export function stepAt(f: FuncBuilder, base: number, i: number, step: number): FuncBuilder {
  return f.get(base).get(i).get(step).op('i32.mul').op('i32.add');
}

/**
 * for at = 0, width, … < total: count = min(total − at, cap) (the panel's
 * rows or columns; cap holds width), then body().
 */
export function eachPanel(
  f: FuncBuilder,
  l: { at: number; total: number; width: number; count: number; cap: number },
  body: () => void,
): void {
  f.forUp(
    l.at,
    () => f.i32(0),
    l.total,
    l.width,
    () => {
      clampTo(f, l.count, l.total, l.at, l.cap);
      body();
    },
  );
}

/** Pushes base + 4·j·kc: panel j of a packed block kc deep. */
export function panel(f: FuncBuilder, base: number, j: number, kc: number): void {
  f.get(base).get(j).get(kc).op('i32.mul').i32(4).op('i32.mul').op('i32.add');
}

/** `while (p < stop) body()`: the test at the top of a block/loop. */
export function whileBelow(f: FuncBuilder, p: number, stop: number, body: () => void): void {
  f.block((exit) => {
    f.loop((top) => {
      f.get(p).get(stop).op('i32.ge_s').brIf(exit);
      body();
      f.br(top);
    });
  });
}

/**
 * Streams a row of floats: while d < end4 (end − 15) one f32x4 at d, then
 * while d < end one f32 at d; d and s advance by the width stored. `value`
 * pushes what is stored at d (d is on the stack already), `vec` true for
 * the f32x4 loop.
 */
export function streamRow(
  f: FuncBuilder,
  d: number,
  s: number,
  end: number,
  end4: number,
  value: (vec: boolean) => void,
): void {
  for (const [stop, bytes] of [
    [end4, 16],
    [end, 4],
  ] as const) {
    whileBelow(f, d, stop, () => {
      f.get(d);
      value(bytes === 16);
      f.mem(bytes === 16 ? 'v128.store' : 'f32.store');
      bump(f, d, bytes);
      bump(f, s, bytes);
    });
  }
}

/** streamRow copying: d[·] = s[·]. */
export function copyRow(f: FuncBuilder, d: number, s: number, end: number, end4: number): void {
  streamRow(f, d, s, end, end4, (vec) => f.get(s).mem(vec ? 'v128.load' : 'f32.load'));
}

/** streamRow adding: d[·] += s[·] (an f32x4 add is four f32 adds, bit for bit). */
export function addRow(f: FuncBuilder, d: number, s: number, end: number, end4: number): void {
  streamRow(f, d, s, end, end4, (vec) => {
    const load = vec ? 'v128.load' : 'f32.load';
    f.get(d)
      .mem(load)
      .get(s)
      .mem(load)
      .op(vec ? 'f32x4.add' : 'f32.add');
  });
}
