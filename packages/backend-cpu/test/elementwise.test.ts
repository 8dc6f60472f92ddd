import type { BinaryOp, DType, UnaryOp } from '@nerve/core/backend';
import { BINARY_SCALAR, UNARY_SCALAR } from '@nerve/core/backend';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/cpu-backend.js';
import { contiguous, expectSame, numel, randomF32, readView, view } from './helpers.js';

/** Layouts a view can have: each reads `shape` out of a buffer of `bufferSize`. */
interface Layout {
  name: string;
  shape: number[];
  strides: number[];
  offset: number;
  bufferSize: number;
}

const LAYOUTS: Layout[] = [
  { name: 'contiguous', shape: [3, 4, 5], strides: [20, 5, 1], offset: 0, bufferSize: 60 },
  {
    name: 'permuted (transpose of [5,4,3])',
    shape: [3, 4, 5],
    strides: [1, 3, 12],
    offset: 0,
    bufferSize: 60,
  },
  {
    name: 'sliced with offset',
    shape: [3, 4, 5],
    strides: [50, 10, 2],
    offset: 7,
    bufferSize: 160,
  },
  {
    name: 'broadcast leading dim',
    shape: [3, 4, 5],
    strides: [0, 5, 1],
    offset: 0,
    bufferSize: 20,
  },
  { name: 'broadcast inner dim', shape: [3, 4, 5], strides: [4, 1, 0], offset: 2, bufferSize: 14 },
  { name: 'scalar broadcast', shape: [3, 4, 5], strides: [0, 0, 0], offset: 3, bufferSize: 4 },
  { name: 'size-1 dims', shape: [1, 6, 1, 2], strides: [99, 2, 77, 1], offset: 1, bufferSize: 13 },
  { name: 'rank 0', shape: [], strides: [], offset: 2, bufferSize: 3 },
  { name: 'empty', shape: [3, 0, 2], strides: [0, 2, 1], offset: 0, bufferSize: 1 },
];

/** Values with the awkward cases mixed in: signed zeros, infinities, NaN, big and small. */
function values(n: number, seed: number): Float32Array {
  const v = randomF32(n, seed, -4, 4);
  const special = [
    0,
    -0,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    30,
    -30,
    0.5,
  ];
  for (let i = 0; i < n; i += 5) v[i] = special[(i / 5) % special.length];
  return v;
}

const UNARY_OPS = Object.keys(UNARY_SCALAR) as UnaryOp[];
const BINARY_OPS = Object.keys(BINARY_SCALAR) as BinaryOp[];
const COMPARISONS = new Set<BinaryOp>([
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
  'logicalAnd',
  'logicalOr',
]);

describe('unary', () => {
  for (const layout of LAYOUTS) {
    it(`matches UNARY_SCALAR exactly for every op on a ${layout.name} view`, () => {
      const b = new CpuBackend();
      const host = values(layout.bufferSize, 11);
      const x = b.upload(host, 'float32');
      const xs = readView(host, layout, layout.shape);
      for (const op of UNARY_OPS) {
        const outDtype: DType = op === 'logicalNot' ? 'bool' : 'float32';
        const p = op === 'leakyRelu' ? 0.01 : 1;
        const id = b.unary(op, view(x, layout.strides, layout.offset), {
          shape: layout.shape,
          inDtype: 'float32',
          outDtype,
          param: p,
        });
        const got = b.readSync(id, outDtype, numel(layout.shape));
        const f = UNARY_SCALAR[op];
        const want = xs.map((v) => (outDtype === 'bool' ? f(v, p) : Math.fround(f(v, p))));
        expectSame(got, want, `${op} on ${layout.name}`);
      }
    });
  }

  it('keeps int32 in int32 (neg, abs, relu, and square wrapping like int32 multiply)', () => {
    const b = new CpuBackend();
    const x = b.upload(new Int32Array([-3, 0, 5, -2147483647]), 'int32');
    const run = (op: UnaryOp) =>
      Array.from(
        b.readSync(
          b.unary(op, view(x, [1]), { shape: [4], inDtype: 'int32', outDtype: 'int32' }),
          'int32',
          4,
        ),
      );
    expect(run('neg')).toEqual([3, 0, -5, 2147483647]);
    expect(run('abs')).toEqual([3, 0, 5, 2147483647]);
    expect(run('relu')).toEqual([0, 0, 5, 0]);
    expect(run('square')).toEqual([9, 0, 25, 1]);
  });
});

describe('binary', () => {
  const pairs: [Layout, Layout][] = [
    [LAYOUTS[0], LAYOUTS[0]],
    [LAYOUTS[0], LAYOUTS[5]],
    [LAYOUTS[5], LAYOUTS[0]],
    [LAYOUTS[1], LAYOUTS[3]],
    [LAYOUTS[2], LAYOUTS[4]],
    [LAYOUTS[3], LAYOUTS[4]],
    [LAYOUTS[8], LAYOUTS[8]],
  ];
  for (const [la, lb] of pairs) {
    it(`matches BINARY_SCALAR exactly for every op: ${la.name} ∘ ${lb.name}`, () => {
      const b = new CpuBackend();
      const ha = values(la.bufferSize, 21);
      const hb = values(lb.bufferSize, 22);
      const a = b.upload(ha, 'float32');
      const c = b.upload(hb, 'float32');
      const as = readView(ha, la, la.shape);
      const bs = readView(hb, lb, lb.shape);
      for (const op of BINARY_OPS) {
        const outDtype: DType = COMPARISONS.has(op) ? 'bool' : 'float32';
        const id = b.binary(op, view(a, la.strides, la.offset), view(c, lb.strides, lb.offset), {
          shape: la.shape,
          inDtype: 'float32',
          outDtype,
        });
        const got = b.readSync(id, outDtype, numel(la.shape));
        const f = BINARY_SCALAR[op];
        const want = as.map((v, i) => Math.fround(f(v, bs[i])));
        expectSame(got, want, `${op}: ${la.name} ∘ ${lb.name}`);
      }
    });
  }

  it('wraps int32 arithmetic like int32 hardware and compares ints exactly', () => {
    const b = new CpuBackend();
    const a = b.upload(new Int32Array([2147483647, -5, 7, 46341, -2147483647]), 'int32');
    const c = b.upload(new Int32Array([1, 3, 7, 139023, -2147483647]), 'int32');
    const r = (op: BinaryOp, out: DType) =>
      Array.from(
        b.readSync(
          b.binary(op, view(a, [1]), view(c, [1]), { shape: [5], inDtype: 'int32', outDtype: out }),
          out,
          5,
        ),
      );
    expect(r('add', 'int32')).toEqual([-2147483648, -2, 14, 185364, 2]);
    // Overflowing products keep the low 32 bits; (2^31-1)^2 needs 62 bits, beyond float64.
    expect(r('mul', 'int32')).toEqual([2147483647, -15, 49, (46341 * 139023) | 0, 1]);
    expect(r('eq', 'bool')).toEqual([0, 0, 1, 0, 1]);
    expect(r('div', 'float32')).toEqual(
      [2147483647, -5 / 3, 1, 46341 / 139023, 1].map(Math.fround),
    );
  });

  it('stores 0/1 when an arithmetic op produces bool', () => {
    const b = new CpuBackend();
    const a = b.upload(new Uint8Array([1, 1, 0, 0]), 'bool');
    const c = b.upload(new Uint8Array([1, 0, 1, 0]), 'bool');
    const id = b.binary('add', view(a, [1]), view(c, [1]), {
      shape: [4],
      inDtype: 'bool',
      outDtype: 'bool',
    });
    expect(Array.from(b.readSync(id, 'bool', 4))).toEqual([1, 1, 1, 0]);
  });
});

describe('where', () => {
  it('selects through independent strides for cond, a and b', () => {
    const b = new CpuBackend();
    const shape = [3, 4, 5];
    const hc = new Uint8Array(20).map((_, i) => ((i * 7) % 3 === 0 ? 1 : 0));
    const ha = randomF32(60, 1);
    const hb = randomF32(5, 2);
    const cond = view(b.upload(hc, 'bool'), [0, 5, 1]);
    const a = view(b.upload(ha, 'float32'), [1, 3, 12]);
    const c = view(b.upload(hb, 'float32'), [0, 0, 1]);
    const got = b.readSync(b.where(cond, a, c, { shape, dtype: 'float32' }), 'float32', 60);
    const cs = readView(hc, cond, shape);
    const as = readView(ha, a, shape);
    const bs = readView(hb, c, shape);
    expectSame(
      got,
      cs.map((v, i) => (v ? as[i] : bs[i])),
    );
    expect(
      b.readSync(b.where(cond, a, c, { shape: [0, 5], dtype: 'float32' }), 'float32', 0).length,
    ).toBe(0);
  });
});

describe('copy', () => {
  it('materialises strided views contiguously', () => {
    const b = new CpuBackend();
    for (const layout of LAYOUTS) {
      const host = randomF32(layout.bufferSize, 5);
      const x = b.upload(host, 'float32');
      const id = b.copy(view(x, layout.strides, layout.offset), {
        shape: layout.shape,
        inDtype: 'float32',
        outDtype: 'float32',
      });
      expectSame(
        b.readSync(id, 'float32', numel(layout.shape)),
        readView(host, layout, layout.shape),
        layout.name,
      );
    }
  });

  it('converts dtypes: truncation to int32, nonzero (and NaN) to true, bool to 0/1', () => {
    const b = new CpuBackend();
    const x = b.upload(new Float32Array([1.7, -1.7, 0, -0, Number.NaN, 3e9]), 'float32');
    const v = view(x, [1]);
    expect(
      Array.from(
        b.readSync(b.copy(v, { shape: [6], inDtype: 'float32', outDtype: 'int32' }), 'int32', 6),
      ),
    ).toEqual([1, -1, 0, 0, 0, -1294967296]);
    expect(
      Array.from(
        b.readSync(b.copy(v, { shape: [6], inDtype: 'float32', outDtype: 'bool' }), 'bool', 6),
      ),
    ).toEqual([1, 1, 0, 0, 1, 1]);
    const m = b.upload(new Uint8Array([1, 0, 1]), 'bool');
    expect(
      Array.from(
        b.readSync(
          b.copy(view(m, [1]), { shape: [3], inDtype: 'bool', outDtype: 'float32' }),
          'float32',
          3,
        ),
      ),
    ).toEqual([1, 0, 1]);
    const i = b.upload(new Int32Array([256, 0, -1]), 'int32');
    expect(
      Array.from(
        b.readSync(
          b.copy(view(i, [1]), { shape: [3], inDtype: 'int32', outDtype: 'bool' }),
          'bool',
          3,
        ),
      ),
    ).toEqual([1, 0, 1]);
  });

  it('copies long contiguous rows of every dtype', () => {
    const b = new CpuBackend();
    const host = new Int32Array(1000).map((_, i) => i * 3 - 500);
    const x = b.upload(host, 'int32');
    // Two rows of 400 taken from the middle of the buffer.
    const got = b.readSync(
      b.copy(view(x, [500, 1], 50), { shape: [2, 400], inDtype: 'int32', outDtype: 'int32' }),
      'int32',
      800,
    );
    expectSame(got, readView(host, { strides: [500, 1], offset: 50 }, [2, 400]));
  });
});

describe('copyInto', () => {
  it('writes only the destination region (concat/pad pattern)', () => {
    const b = new CpuBackend();
    // dst is [4, 6] filled with -1; write a transposed [2, 3] source at rows 1..2, cols 2..4.
    const dst = b.fill(24, 'float32', -1);
    const srcHost = randomF32(6, 9);
    const src = b.upload(srcHost, 'float32');
    b.copyInto(view(dst, [6, 1], 1 * 6 + 2), view(src, [1, 2]), {
      shape: [2, 3],
      dtype: 'float32',
    });
    const got = b.readSync(dst, 'float32', 24);
    const want = new Array<number>(24).fill(-1);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++) want[(1 + i) * 6 + 2 + j] = srcHost[j * 2 + i];
    expectSame(got, want);
  });

  it('handles strided destinations, broadcast sources and empty shapes', () => {
    const b = new CpuBackend();
    const dst = b.fill(10, 'int32', 0);
    const src = b.upload(new Int32Array([7]), 'int32');
    b.copyInto(view(dst, [2], 1), view(src, [0]), { shape: [5], dtype: 'int32' });
    expect(Array.from(b.readSync(dst, 'int32', 10))).toEqual([0, 7, 0, 7, 0, 7, 0, 7, 0, 7]);
    b.copyInto(view(dst, [2], 0), view(src, [0]), { shape: [0], dtype: 'int32' });
    expect(Array.from(b.readSync(dst, 'int32', 10))).toEqual([0, 7, 0, 7, 0, 7, 0, 7, 0, 7]);
  });

  it('copies a large block whose rows are contiguous on both sides', () => {
    const b = new CpuBackend();
    const shape = [3, 200];
    const dst = b.fill(3 * 300, 'float32', 0);
    const host = randomF32(600, 4);
    b.copyInto(view(dst, [300, 1], 50), view(b.upload(host, 'float32'), contiguous(shape)), {
      shape,
      dtype: 'float32',
    });
    const got = b.readSync(dst, 'float32', 900);
    const want = new Float32Array(900);
    for (let r = 0; r < 3; r++)
      for (let c = 0; c < 200; c++) want[r * 300 + 50 + c] = host[r * 200 + c];
    expectSame(got, want);
  });
});
