import '@nerve/backend-cpu';
import { Generator, manualSeed, matmul, tidy } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import { orthogonal, truncatedNormal } from '../src/index.js';
import { householderQ } from '../src/orthogonal.js';
import { erfcScalar as erfc } from '@nerve/core';
import { normalIcdf } from '../src/special.js';
import { stats } from './helpers.js';

const phi = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
const Phi = (x: number) => 0.5 * erfc(-x / Math.SQRT2);

/** Mean and std of N(mean, std²) truncated to [a, b] (textbook formulas). */
function truncMoments(mean: number, std: number, a: number, b: number) {
  const al = (a - mean) / std;
  const be = (b - mean) / std;
  const z = Phi(be) - Phi(al);
  const m = (phi(al) - phi(be)) / z;
  const v = 1 + (al * phi(al) - be * phi(be)) / z - m * m;
  return { mean: mean + std * m, std: std * Math.sqrt(v) };
}

describe('special functions (reference values from torch.special, float64)', () => {
  it('erfc', () => {
    const xs = [-3, -1, 0, 0.5, 2, 5];
    const ref = [
      1.9999779095030015, 1.8427007929497148, 1, 0.4795001221869535, 0.004677734981047265,
      1.537459794428035e-12,
    ];
    for (const [i, x] of xs.entries()) expect(Math.abs(erfc(x) / ref[i] - 1)).toBeLessThan(2e-7);
  });
  it('inverse normal CDF', () => {
    const ps = [1e-10, 1e-5, 0.01, 0.02425, 0.1, 0.5, 0.9, 0.975, 0.99999];
    const ref = [
      -6.361340902404056, -4.264890793922825, -2.3263478740408408, -1.972961051311885,
      -1.2815515655446004, 0, 1.2815515655446004, 1.959963984540054, 4.264890793923841,
    ];
    for (const [i, p] of ps.entries()) expect(Math.abs(normalIcdf(p) - ref[i])).toBeLessThan(1e-8);
  });
});

describe('truncatedNormal', () => {
  const cases: [number, number, number, number][] = [
    [0, 1, -2, 2],
    [0, 1, 0.5, 3],
    [1, 2, -4, 0],
    [0, 0.02, -0.04, 0.04],
    [0, 1, 4, 5], // deep in the upper tail
  ];
  for (const [mean, std, a, b] of cases) {
    it(`N(${mean}, ${std}²) on [${a}, ${b}] stays inside and has the truncated moments`, () => {
      const s = stats(truncatedNormal(mean, std, a, b)([200_000], { seed: 5 }));
      expect(s.min).toBeGreaterThanOrEqual(a);
      expect(s.max).toBeLessThanOrEqual(b);
      const ref = truncMoments(mean, std, a, b);
      expect(Math.abs(s.mean - ref.mean)).toBeLessThan(0.01 * ref.std + 1e-6);
      expect(Math.abs(s.std / ref.std - 1)).toBeLessThan(0.02);
    });
  }

  it('is seeded and validates its arguments', () => {
    const init = truncatedNormal();
    expect(init([5], { seed: 1 }).arraySync()).toEqual(init([5], { seed: 1 }).arraySync());
    expect(init([5], { seed: 1 }).arraySync()).not.toEqual(init([5], { seed: 2 }).arraySync());
    manualSeed(7);
    const g = init([6]).arraySync();
    expect(init([6], { seed: 7 }).arraySync()).toEqual(g);
    expect(() => truncatedNormal(0, 1, 2, 1)).toThrow(/truncatedNormal: expected a < b/);
    expect(() => truncatedNormal(0, -1)).toThrow(/truncatedNormal: expected std ≥ 0/);
  });
});

/** max |MᵀM − I| (or MMᵀ when wide) of a rows×cols float matrix. */
function orthoError(v: ArrayLike<number>, rows: number, cols: number, gain = 1): number {
  const wide = rows < cols;
  const k = wide ? rows : cols;
  const at = (i: number, j: number) => v[i * cols + j];
  let err = 0;
  for (let p = 0; p < k; p++) {
    for (let q = 0; q < k; q++) {
      let s = 0;
      if (wide) for (let j = 0; j < cols; j++) s += at(p, j) * at(q, j);
      else for (let i = 0; i < rows; i++) s += at(i, p) * at(i, q);
      err = Math.max(err, Math.abs(s / (gain * gain) - (p === q ? 1 : 0)));
    }
  }
  return err;
}

describe('orthogonal (Saxe et al. 2014)', () => {
  it('tall: WᵀW ≈ I', () => {
    const w = orthogonal()([64, 32], { seed: 1 });
    expect(orthoError(w.dataSync(), 64, 32)).toBeLessThan(1e-5);
  });
  it('wide: WWᵀ ≈ I', () => {
    const w = orthogonal()([20, 50], { seed: 2 });
    expect(orthoError(w.dataSync(), 20, 50)).toBeLessThan(1e-5);
  });
  it('square, with a gain', () => {
    const w = orthogonal(Math.SQRT2)([30, 30], { seed: 3 });
    expect(orthoError(w.dataSync(), 30, 30, Math.SQRT2)).toBeLessThan(1e-5);
  });
  it('conv weights are flattened to [O, C·KH·KW]', () => {
    const w = orthogonal()([16, 4, 3, 3], { seed: 4 });
    expect(w.shape).toEqual([16, 4, 3, 3]);
    expect(orthoError(w.dataSync(), 16, 36)).toBeLessThan(1e-5);
  });
  it('WᵀW ≈ I checked with core matmul too', () => {
    const err = tidy(() => {
      const w = orthogonal()([10, 6], { seed: 9 });
      const g = matmul(w.mT, w);
      return Math.max(...Array.from(g.dataSync(), (x, i) => Math.abs(x - (i % 7 === 0 ? 1 : 0))));
    });
    expect(err).toBeLessThan(1e-5);
  });
  it('Q has the sign convention of a positive-diagonal R', () => {
    // A = QR with R upper triangular, diag(R) > 0: R = QᵀA must have that shape.
    const a = Float64Array.from([2, -1, 0, 1, 3, 1, -1, 0, 4, 1, 1, -2], (x) => x); // 4×3
    const q = householderQ(a, 4, 3);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let r = 0;
        for (let k = 0; k < 4; k++) r += q[k * 3 + i] * a[k * 3 + j];
        if (i > j) expect(Math.abs(r)).toBeLessThan(1e-12);
        if (i === j) expect(r).toBeGreaterThan(0);
      }
    }
    // Q's first column is Gram-Schmidt's: the first column of A, [2, 1, −1, 1], over its norm √7.
    const n0 = Math.sqrt(7);
    expect([q[0], q[3], q[6], q[9]].map((v) => v * n0)).toEqual(
      [2, 1, -1, 1].map((v) => expect.closeTo(v, 12)),
    );
  });
  it('is seeded, follows the global generator, and rejects vectors', () => {
    const a = orthogonal()([5, 3], { seed: 1 }).arraySync();
    expect(orthogonal()([5, 3], { seed: 1 }).arraySync()).toEqual(a);
    expect(orthogonal()([5, 3], { generator: new Generator(1) }).arraySync()).toEqual(a);
    expect(orthogonal()([5, 3], { seed: 2 }).arraySync()).not.toEqual(a);
    manualSeed(1);
    expect(orthogonal()([5, 3]).arraySync()).toEqual(a);
    expect(() => orthogonal()([5])).toThrow(/orthogonal: expected a shape with at least 2/);
    expect(orthogonal()([0, 3]).shape).toEqual([0, 3]);
  });
});
