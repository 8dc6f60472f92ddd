import { describe, expect, it } from 'vitest';
import { symmetricEigen } from '../src/eigen.js';

/** Row-major n×n from nested arrays. */
function mat(rows: number[][]): Float64Array {
  return Float64Array.from(rows.flat());
}

/** Column j of a row-major n×n matrix. */
function column(v: Float64Array, n: number, j: number): number[] {
  return Array.from({ length: n }, (_, i) => v[i * n + j]);
}

/** The sign rule the solver promises, applied to a reference vector. */
function signed(v: number[]): number[] {
  const max = Math.max(...v.map(Math.abs));
  const first = v.find((x) => Math.abs(x) >= max * (1 - 1e-9))!;
  return first < 0 ? v.map((x) => -x) : v;
}

function normalize(v: number[]): number[] {
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(tol);
}

/** max |A·V − V·Λ| and max |VᵀV − I|. */
function residuals(a: Float64Array, n: number, values: Float64Array, vectors: Float64Array) {
  let res = 0;
  let orth = 0;
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[i * n + k] * vectors[k * n + j];
      res = Math.max(res, Math.abs(s - values[j] * vectors[i * n + j]));
      let g = 0;
      for (let k = 0; k < n; k++) g += vectors[k * n + i] * vectors[k * n + j];
      orth = Math.max(orth, Math.abs(g - (i === j ? 1 : 0)));
    }
  }
  return { res, orth };
}

/** Deterministic pseudo-random numbers in [-0.5, 0.5) (a plain LCG, independent of the code under test). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  };
}

describe('symmetricEigen', () => {
  it('sorts a diagonal matrix and returns unit basis vectors', () => {
    const { values, vectors } = symmetricEigen(
      mat([
        [3, 0, 0],
        [0, 1, 0],
        [0, 0, 2],
      ]),
      3,
    );
    expectClose(values, [3, 2, 1], 1e-15);
    expectClose(vectors, [1, 0, 0, 0, 0, 1, 0, 1, 0], 1e-15);
  });

  it('solves [[2,1],[1,2]] with the documented signs', () => {
    const { values, vectors } = symmetricEigen(
      mat([
        [2, 1],
        [1, 2],
      ]),
      2,
    );
    expectClose(values, [3, 1], 1e-14);
    const r = Math.SQRT1_2;
    // (1, 1)/√2 and (1, −1)/√2: on a tie of magnitudes the first entry is made positive.
    expectClose(column(vectors, 2, 0), [r, r], 1e-14);
    expectClose(column(vectors, 2, 1), [r, -r], 1e-14);
  });

  it('matches the closed form of the tridiagonal Toeplitz matrix (2, −1)', () => {
    // λ_k = 2 − 2cos(kπ/(n+1)), v_k[j] ∝ sin(jkπ/(n+1)), j, k = 1..n.
    const n = 12;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      a[i * n + i] = 2;
      if (i > 0) a[i * n + i - 1] = a[(i - 1) * n + i] = -1;
    }
    const { values, vectors } = symmetricEigen(a, n);
    for (let j = 0; j < n; j++) {
      const k = n - j; // descending order: the largest λ has k = n
      expect(values[j]).toBeCloseTo(2 - 2 * Math.cos((k * Math.PI) / (n + 1)), 13);
      const ref = signed(
        normalize(Array.from({ length: n }, (_, i) => Math.sin(((i + 1) * k * Math.PI) / (n + 1)))),
      );
      expectClose(column(vectors, n, j), ref, 1e-12);
    }
  });

  it('recovers Q·diag(λ)·Qᵀ for a known orthogonal Q', () => {
    // Q = I − 2uuᵀ/uᵀu, a Householder reflection: symmetric and orthogonal.
    const u = [1, -2, 0.5, 3, -1, 2];
    const n = u.length;
    const uu = u.reduce((s, x) => s + x * x, 0);
    const q = (i: number, j: number) => (i === j ? 1 : 0) - (2 * u[i] * u[j]) / uu;
    const lambda = [5, 4, 3, 2, 1, -1.5];
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++)
        for (let k = 0; k < n; k++) a[i * n + j] += q(i, k) * lambda[k] * q(j, k);
    const { values, vectors } = symmetricEigen(a, n);
    expectClose(values, lambda, 1e-13);
    for (let j = 0; j < n; j++) {
      const ref = signed(Array.from({ length: n }, (_, i) => q(i, j)));
      expectClose(column(vectors, n, j), ref, 1e-12);
    }
  });

  it('returns an orthonormal basis for repeated eigenvalues', () => {
    // diag(2, 2, 2, 7) rotated: a 3-dimensional eigenspace.
    const n = 4;
    const a = mat([
      [2, 0, 0, 0],
      [0, 2, 0, 0],
      [0, 0, 4.5, 2.5],
      [0, 0, 2.5, 4.5],
    ]);
    const { values, vectors } = symmetricEigen(a, n);
    expectClose(values, [7, 2, 2, 2], 1e-13);
    const { res, orth } = residuals(a, n, values, vectors);
    expect(res).toBeLessThan(1e-13);
    expect(orth).toBeLessThan(1e-13);
  });

  it('handles 1×1, zero and negative-definite matrices', () => {
    expect(Array.from(symmetricEigen(mat([[-3]]), 1).values)).toEqual([-3]);
    expect(Array.from(symmetricEigen(mat([[-3]]), 1).vectors)).toEqual([1]);
    const zero = symmetricEigen(new Float64Array(9), 3);
    expect(Array.from(zero.values)).toEqual([0, 0, 0]);
    expect(Array.from(zero.vectors)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const neg = symmetricEigen(
      mat([
        [-2, 1],
        [1, -2],
      ]),
      2,
    );
    expectClose(neg.values, [-1, -3], 1e-14);
  });

  it('is deterministic: same input, same output', () => {
    const rnd = lcg(7);
    const n = 30;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = rnd();
    const r1 = symmetricEigen(a, n);
    const r2 = symmetricEigen(Float64Array.from(a), n);
    expect(r1.values).toEqual(r2.values);
    expect(r1.vectors).toEqual(r2.vectors);
  });

  it('decomposes a random 784×784 matrix accurately in a few seconds', () => {
    const rnd = lcg(1);
    const n = 784;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = rnd();
    const t0 = performance.now();
    const { values, vectors } = symmetricEigen(a, n);
    const ms = performance.now() - t0;
    // Generous bound for shared CI machines; about 2 s on one modern core.
    expect(ms).toBeLessThan(20_000);
    for (let j = 1; j < n; j++) expect(values[j]).toBeLessThanOrEqual(values[j - 1]);
    // Trace is invariant: Σλ = Σ a_ii.
    let trace = 0;
    for (let i = 0; i < n; i++) trace += a[i * n + i];
    expect(values.reduce((s, x) => s + x, 0)).toBeCloseTo(trace, 9);
    // Spot-check A·v = λ·v and orthonormality on a few columns (the full check is O(n³)).
    for (const j of [0, 1, 391, 782, 783]) {
      let res = 0;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += a[i * n + k] * vectors[k * n + j];
        res = Math.max(res, Math.abs(s - values[j] * vectors[i * n + j]));
      }
      expect(res).toBeLessThan(1e-11);
      for (const j2 of [0, 391, 783]) {
        let g = 0;
        for (let k = 0; k < n; k++) g += vectors[k * n + j] * vectors[k * n + j2];
        expect(Math.abs(g - (j === j2 ? 1 : 0))).toBeLessThan(1e-12);
      }
    }
  });

  it('rejects non-square, non-symmetric and non-finite input', () => {
    expect(() => symmetricEigen(new Float64Array(5), 2)).toThrow(/symmetricEigen: expected an n×n/);
    expect(() =>
      symmetricEigen(
        mat([
          [1, 2],
          [3, 1],
        ]),
        2,
      ),
    ).toThrow(/not symmetric: a\[1,0\]/);
    expect(() =>
      symmetricEigen(
        mat([
          [1, Number.NaN],
          [Number.NaN, 1],
        ]),
        2,
      ),
    ).toThrow(/non-finite/);
  });
});
