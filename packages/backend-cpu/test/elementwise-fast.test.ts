/**
 * The float32 fast paths of binary, unary, where and copy, against core's
 * scalar definitions applied element by element through an independent
 * strided read. Special values (NaN, ±∞, ±0, subnormals, float32 extremes)
 * sit among random ones, and every layout the kernels specialise is covered:
 * contiguous, a broadcast scalar on either side, row and column broadcasts
 * and a transposed operand.
 */
import type { BinaryOp, StridedView, TypedArray, UnaryOp } from '@nerve/core/backend';
import { BINARY_SCALAR, UNARY_SCALAR } from '@nerve/core/backend';
import { describe, expect, it } from 'vitest';
import { binary } from '../src/kernels/binary.js';
import { wrap } from '../src/buffers.js';
import { copy, where } from '../src/kernels/elementwise.js';
import { unary } from '../src/kernels/unary.js';
import { expectSame, readView, rng } from './helpers.js';

const SPECIALS = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  0,
  -0,
  1e-45,
  -1e-45,
  3.4e38,
  -3.4e38,
  1,
  -1,
  0.5,
  -2,
];

function values(n: number, seed: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    // Every third element is special; the shift makes special-with-special pairs vary.
    out[i] = i % 3 === 0 ? SPECIALS[(i / 3 + seed) % SPECIALS.length] : (r() * 2 - 1) * 4;
  }
  return out;
}

interface Operand {
  values: TypedArray;
  view: StridedView;
}

function operand(v: TypedArray, strides: number[], offset = 0): Operand {
  return { values: v, view: { id: wrap(v), strides, offset } };
}

const SHAPE = [5, 40];
const SIZE = 200;

/** The layouts the kernels specialise, each built fresh from a seed. */
const LAYOUTS: Record<string, (seed: number) => Operand> = {
  contiguous: (s) => operand(values(SIZE, s), [40, 1]),
  scalar: (s) => operand(values(3, s).subarray(1, 2).slice(), [0, 0]),
  row: (s) => operand(values(40, s), [0, 1]),
  column: (s) => operand(values(5, s), [1, 0]),
  transposed: (s) => operand(values(SIZE, s), [1, 5]),
  offset: (s) => operand(values(SIZE + 7, s), [40, 1], 7),
};

const PAIRS: [string, string][] = [
  ['contiguous', 'contiguous'],
  ['contiguous', 'scalar'],
  ['scalar', 'contiguous'],
  ['contiguous', 'row'],
  ['row', 'contiguous'],
  ['contiguous', 'column'],
  ['transposed', 'contiguous'],
  ['offset', 'transposed'],
];

const ARITH: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'];
const COMPARE: BinaryOp[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'];

describe('float32 binary fast paths', () => {
  for (const op of [...ARITH, ...COMPARE]) {
    it(`${op} matches BINARY_SCALAR on every layout`, () => {
      const f = BINARY_SCALAR[op];
      const toBool = COMPARE.includes(op);
      for (const [la, lb] of PAIRS) {
        const a = LAYOUTS[la](1);
        const b = LAYOUTS[lb](2);
        const av = readView(a.values, a.view, SHAPE);
        const bv = readView(b.values, b.view, SHAPE);
        const expected = av.map((x, i) => (toBool ? f(x, bv[i]) : Math.fround(f(x, bv[i]))));
        const out = binary(op, a.view, b.view, SHAPE, toBool ? 'bool' : 'float32');
        expectSame(out, expected, `${op} ${la}×${lb}`);
      }
    });
  }
});

const UNARY: UnaryOp[] = [
  'neg',
  'abs',
  'exp',
  'log',
  'sqrt',
  'square',
  'relu',
  'leakyRelu',
  'tanh',
  'sigmoid',
];

describe('float32 unary fast paths', () => {
  for (const op of UNARY) {
    it(`${op} matches UNARY_SCALAR, contiguous, transposed and offset`, () => {
      for (const layout of ['contiguous', 'transposed', 'offset']) {
        const x = LAYOUTS[layout](3);
        const xv = readView(x.values, x.view, SHAPE);
        const expected = xv.map((v) => Math.fround(UNARY_SCALAR[op](v, 0.01)));
        expectSame(unary(op, x.view, SHAPE, 'float32', 0.01), expected, `${op} ${layout}`);
      }
    });
  }

  it('relu passes NaNs of either sign through, payload and all (PyTorch), and returns +0 for -0', () => {
    const x = new Float32Array([
      Number.NaN,
      -Number.NaN,
      -0,
      0,
      1e-45,
      -1e-45,
      Infinity,
      -Infinity,
    ]);
    const bits = new Uint32Array(x.buffer);
    bits[1] = 0xffc00001; // a negative NaN with a payload
    const v = operand(x, [1]);
    const out = unary('relu', v.view, [8], 'float32');
    expectSame(out, [Number.NaN, Number.NaN, 0, 0, Math.fround(1e-45), 0, Infinity, 0]);
    expect(new Uint32Array(out.buffer, out.byteOffset, 8)[1]).toBe(0xffc00001);
  });
});

describe('float32 where and copy fast paths', () => {
  const r = rng(9);
  const cond = new Uint8Array(SIZE);
  for (let i = 0; i < SIZE; i++) cond[i] = r() < 0.5 ? 1 : 0;
  const c = operand(cond, [40, 1]);
  const cv = readView(cond, c.view, SHAPE);

  it('where matches c ? a : b on every layout', () => {
    for (const [la, lb] of [...PAIRS, ['contiguous', 'contiguous'] as [string, string]]) {
      const a = LAYOUTS[la](4);
      const b = LAYOUTS[lb](5);
      const av = readView(a.values, a.view, SHAPE);
      const bv = readView(b.values, b.view, SHAPE);
      const expected = cv.map((k, i) => (k !== 0 ? av[i] : bv[i]));
      expectSame(where(c.view, a.view, b.view, SHAPE, 'float32'), expected, `where ${la}×${lb}`);
    }
  });

  it('where with a broadcast condition', () => {
    const col = operand(new Uint8Array([1, 0, 0, 1, 1]), [1, 0]);
    const a = LAYOUTS.contiguous(6);
    const b = LAYOUTS.scalar(7);
    const colv = readView(col.values, col.view, SHAPE);
    const av = readView(a.values, a.view, SHAPE);
    const bv = readView(b.values, b.view, SHAPE);
    const expected = colv.map((k, i) => (k !== 0 ? av[i] : bv[i]));
    expectSame(where(col.view, a.view, b.view, SHAPE, 'float32'), expected);
  });

  it('copy materialises float32 views exactly', () => {
    for (const layout of ['contiguous', 'transposed', 'offset', 'row', 'scalar']) {
      const x = LAYOUTS[layout](8);
      const expected = readView(x.values, x.view, SHAPE);
      expectSame(copy(x.view, SHAPE, 'float32', 'float32'), expected, `copy ${layout}`);
    }
  });
});
