import type { DType, ReduceOp } from '@nerve/core/backend';
import { describe, expect, it } from 'vitest';
import { reduce } from '../src/kernels/reduce.js';
import { available, ctx, expectClose, randomInts, randoms, read, upload } from './kernels-util.js';

/** float64 reference: NaN is the extreme and the first one (or first tie) wins. */
function refReduce(
  op: ReduceOp,
  x: ArrayLike<number>,
  outer: number,
  size: number,
  inner: number,
): number[] {
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (j: number) => x[(o * size + j) * inner + i];
      if (op === 'sum' || op === 'prod') {
        let a = op === 'sum' ? 0 : 1;
        for (let j = 0; j < size; j++) a = op === 'sum' ? a + at(j) : a * at(j);
        out.push(a);
        continue;
      }
      const sign = op === 'max' || op === 'argmax' ? 1 : -1;
      let best = 0;
      for (let j = 1; j < size; j++) {
        const b = at(best);
        const v = at(j);
        if (Number.isNaN(b)) break;
        if (Number.isNaN(v) || sign * v > sign * b) best = j;
      }
      out.push(op === 'argmax' || op === 'argmin' ? best : at(best));
    }
  }
  return out;
}

function exactFactor(v: number): number {
  const u = (v + 1) * 50;
  return u < 1 ? 2 : u < 2 ? 0.5 : v < 0 ? -1 : 1;
}

const OPS: ReduceOp[] = ['sum', 'prod', 'max', 'min', 'argmax', 'argmin'];
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [3, 7, 1],
  [2, 33, 5],
  [1, 130, 1],
  [4, 300, 3],
  [1, 1000, 1],
  [2, 65, 130],
  [5, 1, 7],
  [1, 40000, 1],
  [3, 20000, 2],
];

describe.runIf(available)('webgpu reduce', () => {
  for (const op of OPS) {
    it(`${op} float32 over odd shapes`, async () => {
      for (const [outer, size, inner] of SHAPES) {
        const n = outer * size * inner;
        // Products of ±1 and rare powers of two are exact in float32, so a
        // 40000-long product can be compared at all.
        const raw = randoms(n, outer * 31 + size);
        const host = op === 'prod' ? raw.map(exactFactor) : raw;
        const got = await read(
          reduce(ctx!, op, upload(host, 'float32'), 'float32', outer, size, inner),
        );
        const want = refReduce(op, host, outer, size, inner);
        if (op === 'argmax' || op === 'argmin') {
          expect(got).toBeInstanceOf(Int32Array);
          expect(Array.from(got)).toEqual(want);
        } else {
          expectClose(got, want, 1e-4, 1e-4);
        }
      }
    });
  }

  it('int32 sums and products stay in i32 (products wrap)', async () => {
    for (const [outer, size, inner] of SHAPES) {
      const host = randomInts(outer * size * inner, 2001, size).map((v) => v - 1000);
      for (const op of ['sum', 'max', 'min', 'argmax', 'argmin'] as ReduceOp[]) {
        const got = await read(
          reduce(ctx!, op, upload(host, 'int32'), 'int32', outer, size, inner),
        );
        expect(got).toBeInstanceOf(Int32Array);
        expect(Array.from(got)).toEqual(refReduce(op, host, outer, size, inner).map((v) => v | 0));
      }
    }
    const p = Int32Array.from([65536, 65536, 3, -1]);
    const got = await read(reduce(ctx!, 'prod', upload(p, 'int32'), 'int32', 1, 4, 1));
    expect(Array.from(got)).toEqual([0]);
  });

  it('ties keep the first index, in per-output and tree kernels', async () => {
    for (const size of [5, 300, 50000]) {
      const host = new Float32Array(size).fill(1);
      host[size - 1] = 1;
      host[Math.floor(size / 3)] = 2;
      host[Math.floor(size / 2)] = 2;
      host[size - 2] = -3;
      host[size - 1] = -3;
      for (const [op, want] of [
        ['argmax', Math.floor(size / 3)],
        ['argmin', size - 2],
      ] as const) {
        const got = await read(reduce(ctx!, op, upload(host, 'float32'), 'float32', 1, size, 1));
        expect(got[0]).toBe(want);
      }
    }
  });

  it('NaN wins max/min and arg*, first NaN index', async () => {
    for (const [outer, size, inner] of [
      [2, 9, 3],
      [1, 500, 1],
      [1, 40000, 1],
    ] as const) {
      const host = randoms(outer * size * inner, 5);
      // NaN in column (o=0, i=0) at j=4 and j=6; all other columns clean.
      host[4 * inner] = Number.NaN;
      host[6 * inner] = Number.NaN;
      host[(size - 1) * inner] = Number.NaN;
      for (const op of ['max', 'min', 'argmax', 'argmin'] as ReduceOp[]) {
        const got = await read(
          reduce(ctx!, op, upload(host, 'float32'), 'float32', outer, size, inner),
        );
        const want = refReduce(op, host, outer, size, inner);
        expectClose(got, want, 0, 0);
        if (op === 'argmax' || op === 'argmin') expect(got[0]).toBe(4);
        else expect(got[0]).toBeNaN();
      }
      const s = await read(
        reduce(ctx!, 'sum', upload(host, 'float32'), 'float32', outer, size, inner),
      );
      expect(s[0]).toBeNaN();
    }
  });

  it('infinities take part in max/min', async () => {
    const host = Float32Array.from([1, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, 0]);
    const mx = await read(reduce(ctx!, 'max', upload(host, 'float32'), 'float32', 1, 4, 1));
    const mn = await read(reduce(ctx!, 'argmin', upload(host, 'float32'), 'float32', 1, 4, 1));
    expect(mx[0]).toBe(Number.POSITIVE_INFINITY);
    expect(mn[0]).toBe(1);
  });

  it('bool max/min and empty axes', async () => {
    const b = upload([0, 0, 1, 0, 0, 0], 'bool');
    const got = await read(reduce(ctx!, 'max', b, 'bool' as DType, 2, 3, 1));
    expect(Array.from(got)).toEqual([1, 0]);
    const e = upload([], 'float32');
    expect(Array.from(await read(reduce(ctx!, 'sum', e, 'float32', 2, 0, 3)))).toEqual([
      0, 0, 0, 0, 0, 0,
    ]);
    const e2 = upload([], 'float32');
    expect(Array.from(await read(reduce(ctx!, 'prod', e2, 'float32', 1, 0, 2)))).toEqual([1, 1]);
    expect(() => reduce(ctx!, 'max', upload([], 'float32'), 'float32', 1, 0, 1)).toThrow(/size 0/);
    expect(
      (await read(reduce(ctx!, 'sum', upload([], 'float32'), 'float32', 0, 5, 3))).length,
    ).toBe(0);
  });
});
