import '@nerve/backend-cpu';
import { Generator, concat, memory, tensor, tidy } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import { PCA, PCAWhiten, ZCAWhiten, digitsSplit } from '../src/index.js';
import { correlated, distanceFromIdentity, hostCov, hostMean, maxDiff } from './helpers.js';

describe('PCA', () => {
  it('recovers a known dominant direction and its variance', () => {
    // x = t·u + 0.05·noise with u = (0, 0.6, −0.8) in 3-D and t ~ N(0, 2²).
    const n = 2000;
    const g = new Generator(1);
    const t = g.normal(n);
    const noise = g.normal(3 * n);
    const u = [0, 0.6, -0.8];
    const v = new Float32Array(3 * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < 3; j++) v[3 * i + j] = 2 * t[i] * u[j] + 0.05 * noise[3 * i + j] + j;
    const x = tensor(v, { shape: [n, 3] });
    const pca = new PCA({ components: 1 }).fit(x);
    const s = pca.stateDict();
    // Sign convention: the largest-magnitude entry (−0.8) is made positive.
    expect(maxDiff(s.eigenvectors as Float32Array, [0, -0.6, 0.8])).toBeLessThan(2e-3);
    // Variance along u: 4·var(t) + noise², from the host.
    const tm = t.reduce((a, b) => a + b, 0) / n;
    const varT = t.reduce((a, b) => a + (b - tm) ** 2, 0) / (n - 1);
    const ev = (s.eigenvalues as Float32Array)[0];
    expect(Math.abs(ev - (4 * varT + 0.0025)) / ev).toBeLessThan(5e-3);
    // The projection is the centred coordinate along the component.
    const z = pca.transform(x);
    expect(z.shape).toEqual([n, 1]);
    const m = hostMean(v, n, 3);
    const ref = (i: number) => -0.6 * (v[3 * i + 1] - m[1]) + 0.8 * (v[3 * i + 2] - m[2]);
    const zs = z.dataSync();
    for (const i of [0, 1, 500, 1999]) expect(Math.abs(zs[i] - ref(i))).toBeLessThan(0.02);
    x.dispose();
    z.dispose();
  });

  it('keeps the top-k eigenvalues in descending order and uncorrelated outputs', () => {
    const { x, values } = correlated(400, 6, 2);
    const z = new PCA({ components: 4 }).fitTransform(x);
    const c = hostCov(z.dataSync(), 400, 4);
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++)
        if (i !== j) expect(Math.abs(c[i][j])).toBeLessThan(1e-3 * c[0][0]);
      if (i > 0) expect(c[i][i]).toBeLessThanOrEqual(c[i - 1][i - 1]);
    }
    // Kept variance ≤ total variance (the trace of the host covariance).
    const total = hostCov(values, 400, 6).reduce((s, row, i) => s + row[i], 0);
    expect(c.reduce((s, row, i) => s + row[i], 0)).toBeLessThanOrEqual(total * (1 + 1e-5));
    x.dispose();
    z.dispose();
  });

  it('fits on training data only: transforming test data changes nothing', () => {
    const { x: train, values } = correlated(300, 5, 3);
    const { x: test } = correlated(100, 5, 4);
    const pca = new PCA({ components: 2 }).fit(train);
    const before = pca.stateDict();
    expect(maxDiff(before.mean as Float32Array, hostMean(values, 300, 5))).toBeLessThan(1e-5);
    pca.transform(test).dispose();
    expect(pca.stateDict()).toEqual(before);
    const both = concat([train, test]);
    const leaky = new PCA({ components: 2 }).fit(both).stateDict();
    expect(maxDiff(leaky.mean as Float32Array, before.mean as Float32Array)).toBeGreaterThan(1e-3);
    for (const t of [train, test, both]) t.dispose();
  });

  it('validates its input and state', () => {
    const { x } = correlated(10, 3, 5);
    expect(() => new PCA({ components: 0 })).toThrow(/PCA: expected components a positive integer/);
    expect(() => new PCA({ components: 4 }).fit(x)).toThrow(
      /PCA.fit: expected components ≤ 3 features/,
    );
    expect(() => new PCA({ components: 2 }).transform(x)).toThrow(/PCA.transform: not fitted yet/);
    const one = tensor([[1, 2, 3]]);
    expect(() => new PCA({ components: 1 }).fit(one)).toThrow(
      /PCA.fit: expected at least 2 sample/,
    );
    const pca = new PCA({ components: 2 }).fit(x);
    expect(() => new PCA({ components: 1 }).loadStateDict(pca.stateDict())).toThrow(
      /PCA.loadStateDict: expected state.components = 1/,
    );
    const copy = new PCA({ components: 2 });
    copy.loadStateDict(pca.stateDict());
    const a = pca.transform(x);
    const b = copy.transform(x);
    expect(b.arraySync()).toEqual(a.arraySync());
    for (const t of [x, one, a, b]) t.dispose();
  });
});

describe('PCAWhiten', () => {
  it('whitened training digits have covariance ≈ identity on the top-k subspace', () => {
    const { train, test } = digitsSplit({ seed: 0 });
    const [x] = train.tensors;
    const k = 20;
    const z = new PCAWhiten({ components: k, eps: 1e-5 }).fitTransform(x);
    expect(z.shape).toEqual([x.shape[0], k]);
    const c = hostCov(z.dataSync(), x.shape[0], k);
    expect(distanceFromIdentity(c)).toBeLessThan(2e-3);
    z.dispose();
    train.dispose();
    test.dispose();
  });

  it('divides by √(λ + eps): a large eps shrinks the variance to λ/(λ+eps)', () => {
    const { x } = correlated(500, 4, 6);
    const pca = new PCA({ components: 4 }).fit(x);
    const lambda = pca.stateDict().eigenvalues as Float32Array;
    const eps = lambda[3];
    const z = new PCAWhiten({ components: 4, eps }).fitTransform(x);
    const c = hostCov(z.dataSync(), 500, 4);
    for (let j = 0; j < 4; j++) expect(c[j][j]).toBeCloseTo(lambda[j] / (lambda[j] + eps), 3);
    expect(new PCAWhiten({ components: 4, eps }).fit(x).stateDict().eps).toBe(eps);
    x.dispose();
    z.dispose();
  });

  it('rejects a state saved with another eps', () => {
    const { x } = correlated(20, 3, 7);
    const s = new PCAWhiten({ components: 2, eps: 0.1 }).fit(x).stateDict();
    expect(() => new PCAWhiten({ components: 2 }).loadStateDict(s)).toThrow(
      /PCAWhiten.loadStateDict: expected state.eps = 0.00001/,
    );
    x.dispose();
  });
});

describe('ZCAWhiten', () => {
  it('whitened training data has covariance ≈ identity (full rank)', () => {
    const { x } = correlated(1000, 6, 8);
    const z = new ZCAWhiten({ eps: 1e-6 }).fitTransform(x);
    expect(z.shape).toEqual([1000, 6]);
    expect(distanceFromIdentity(hostCov(z.dataSync(), 1000, 6))).toBeLessThan(1e-3);
    x.dispose();
    z.dispose();
  });

  it('the ZCA matrix is symmetric and inverts the covariance: W·Σ·W ≈ I', () => {
    const { x, values } = correlated(800, 5, 9);
    const s = new ZCAWhiten({ eps: 1e-6 }).fit(x).stateDict();
    const w = s.matrix as Float32Array;
    const d = 5;
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) expect(w[a * d + b]).toBe(w[b * d + a]);
    const sigma = hostCov(values, 800, d);
    const wsw = Array.from({ length: d }, (_, a) =>
      Array.from({ length: d }, (_, b) => {
        let t = 0;
        for (let i = 0; i < d; i++)
          for (let j = 0; j < d; j++) t += w[a * d + i] * sigma[i][j] * w[j * d + b];
        return t;
      }),
    );
    expect(distanceFromIdentity(wsw)).toBeLessThan(1e-3);
    // Positive diagonal: the symmetric square root with positive eigenvalues, not a reflection.
    for (let a = 0; a < d; a++) expect(w[a * d + a]).toBeGreaterThan(0);
    x.dispose();
  });

  it('preserves orientation: each output feature tracks its own input feature', () => {
    const { x, values } = correlated(1000, 6, 10);
    const z = new ZCAWhiten().fitTransform(x);
    const zs = z.dataSync();
    const mx = hostMean(values, 1000, 6);
    const mz = hostMean(zs, 1000, 6);
    for (let a = 0; a < 6; a++) {
      // corr(z_a, x_b) is largest at b = a.
      const corr = Array.from({ length: 6 }, (_, b) => {
        let sxy = 0;
        let sxx = 0;
        let syy = 0;
        for (let i = 0; i < 1000; i++) {
          const dz = zs[i * 6 + a] - mz[a];
          const dx = values[i * 6 + b] - mx[b];
          sxy += dz * dx;
          sxx += dx * dx;
          syy += dz * dz;
        }
        return sxy / Math.sqrt(sxx * syy);
      });
      expect(corr.indexOf(Math.max(...corr))).toBe(a);
      expect(corr[a]).toBeGreaterThan(0.5);
    }
    x.dispose();
    z.dispose();
  });

  it('keeps the input shape, round-trips its state and leaks no tensors', () => {
    const { x } = correlated(50, 4, 11);
    const x4 = x.reshape([50, 1, 2, 2]);
    const zca = new ZCAWhiten().fit(x4);
    const before = memory().numTensors;
    const shape = tidy(() => zca.transform(x4).shape);
    expect(shape).toEqual([50, 1, 2, 2]);
    expect(memory().numTensors).toBe(before);
    const copy = new ZCAWhiten();
    copy.loadStateDict(zca.stateDict());
    const a = zca.transform(x);
    const b = copy.transform(x);
    expect(b.arraySync()).toEqual(a.arraySync());
    expect(() => new ZCAWhiten().transform(x)).toThrow(/ZCAWhiten.transform: not fitted yet/);
    expect(() => new ZCAWhiten({ eps: 0 })).toThrow(/ZCAWhiten: expected eps a finite number > 0/);
    expect(() => copy.loadStateDict({ ...zca.stateDict(), matrix: new Float32Array(3) })).toThrow(
      /state.matrix of length 16/,
    );
    for (const t of [x, x4, a, b]) t.dispose();
  });
});
