/**
 * The WebAssembly SIMD rows (src/wasm/ew-simd.ts) on tensors in the wasm
 * heap, bit for bit against core's scalar definitions: contiguous rows with
 * tails of every length mod 4, a broadcast scalar on either side, per-plane
 * broadcasts (bias adds), offsets, and special values (NaN with payloads,
 * ±0, ±∞, subnormals, float32 extremes).
 */
import type { BinaryOp, StridedView } from '@nerve/core/backend';
import { BINARY_SCALAR, UNARY_SCALAR } from '@nerve/core/backend';
import { describe, expect, it } from 'vitest';
import { allocF32 } from '../src/alloc.js';
import { wrap } from '../src/buffers.js';
import { wasmHeap } from '../src/heap.js';
import { binary } from '../src/kernels/binary.js';
import { simdOperands } from '../src/kernels/simd-rows.js';
import { unary } from '../src/kernels/unary.js';
import { expectSame, readView, rng } from './helpers.js';

const SPECIALS = [Number.NaN, Infinity, -Infinity, 0, -0, 1e-45, -1e-45, 3.4e38, -3.4e38, 1, -1];

/** A heap block holding n values, every third one special. */
function heapValues(n: number, seed: number): Float32Array {
  const r = rng(seed);
  const out = allocF32(n, true);
  for (let i = 0; i < n; i++) {
    out[i] = i % 3 === 0 ? SPECIALS[(i / 3 + seed) % SPECIALS.length] : (r() * 2 - 1) * 4;
  }
  return out;
}

function view(v: Float32Array, strides: number[], offset = 0): StridedView {
  return { id: wrap(v), strides, offset };
}

describe.runIf(wasmHeap() !== undefined)('SIMD rows on the wasm heap', () => {
  it('takes the SIMD path for heap blocks', () => {
    expect(simdOperands(heapValues(8, 1), heapValues(8, 2))).toBe(true);
    expect(simdOperands(heapValues(8, 1), new Float32Array(8))).toBe(false);
  });

  it('relu is bit-identical to UNARY_SCALAR.relu, NaN payloads included, on every tail length', () => {
    for (const n of [32, 33, 34, 35, 36, 67, 130]) {
      const x = heapValues(2 * n + 5, n);
      // A negative NaN with a payload in the SIMD part and in the tail.
      new Uint32Array(x.buffer, x.byteOffset, x.length)[5] = 0xffc00001;
      new Uint32Array(x.buffer, x.byteOffset, x.length)[2 * n + 3] = 0xffc00001;
      for (const [shape, v] of [
        [[2, n], view(x, [n, 1])],
        [[2, n], view(x, [n, 1], 5)],
      ] as const) {
        const expected = readView(x, v, shape).map((e) => Math.fround(UNARY_SCALAR.relu(e, 0)));
        const out = unary('relu', v, shape, 'float32');
        expectSame(out, expected, `relu n=${n} offset=${v.offset}`);
        const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
        const xb = new Uint32Array(x.buffer, x.byteOffset, x.length);
        for (let i = 0; i < out.length; i++) {
          if (Number.isNaN(out[i])) expect(bits[i]).toBe(xb[i + v.offset]);
          if (out[i] === 0) expect(bits[i]).toBe(0); // +0, never -0
        }
      }
    }
  });

  for (const op of ['add', 'sub', 'mul'] as BinaryOp[]) {
    it(`${op} is bit-identical to BINARY_SCALAR on contiguous, scalar and per-plane layouts`, () => {
      const f = BINARY_SCALAR[op];
      for (const n of [32, 35, 66, 196]) {
        const shape = [3, 4, n];
        const size = 12 * n;
        const full = (seed: number) => view(heapValues(size, seed), [4 * n, n, 1]);
        const layouts: [string, StridedView, StridedView][] = [
          ['contiguous', full(1), full(2)],
          ['scalar right', full(3), view(heapValues(1, 4), [0, 0, 0])],
          ['scalar left', view(heapValues(1, 5), [0, 0, 0]), full(6)],
          ['per plane (bias)', full(7), view(heapValues(4, 8), [0, 1, 0])],
          ['offset', view(heapValues(size + 3, 9), [4 * n, n, 1], 3), full(10)],
        ];
        for (const [name, a, b] of layouts) {
          const av = readView((a.id as { values: Float32Array }).values, a, shape);
          const bv = readView((b.id as { values: Float32Array }).values, b, shape);
          const expected = av.map((x, i) => Math.fround(f(x, bv[i])));
          expectSame(binary(op, a, b, shape, 'float32'), expected, `${op} ${name} n=${n}`);
        }
      }
    });
  }
});
