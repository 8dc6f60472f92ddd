import '@nerve/backend-cpu';
import { manualSeed, ones, randn, tidy } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import { Dropout } from '../src/index.js';

describe('Dropout (inverted)', () => {
  it('drops about p of the elements and scales the rest by 1/(1 − p)', () => {
    for (const p of [0.1, 0.5, 0.8]) {
      const d = new Dropout(p, { seed: 1 });
      const v = tidy(() => Array.from(d.call(ones([100_000])).dataSync()));
      const dropped = v.filter((x) => x === 0).length / v.length;
      // Binomial: 3σ ≤ 0.0016 at n = 1e5.
      expect(Math.abs(dropped - p)).toBeLessThan(0.005);
      const kept = v.filter((x) => x !== 0);
      expect(kept.every((x) => Math.abs(x - 1 / (1 - p)) < 1e-6)).toBe(true);
      // The expectation is preserved.
      expect(Math.abs(v.reduce((s, x) => s + x, 0) / v.length - 1)).toBeLessThan(0.02);
    }
  });

  it('is the identity in eval mode and for p = 0', () => {
    const x = randn([3, 4], { seed: 0 });
    const d = new Dropout(0.5).eval();
    expect(d.call(x)).toBe(x);
    expect(new Dropout(0).call(x)).toBe(x);
    x.dispose();
  });

  it('the gradient is the mask times 1/(1 − p)', () => {
    const d = new Dropout(0.25, { seed: 5 });
    tidy(() => {
      const x = randn([50], { seed: 1, requiresGrad: true });
      const y = d.call(x);
      y.sum().backward();
      const yv = y.dataSync();
      const g = x.grad!.dataSync();
      const xv = x.dataSync();
      for (let i = 0; i < 50; i++) {
        expect(g[i]).toBeCloseTo(yv[i] === 0 ? 0 : 1 / 0.75, 6);
        if (yv[i] !== 0) expect(yv[i]).toBeCloseTo(xv[i] / 0.75, 6);
      }
      x.dispose();
    });
  });

  it('masks are reproducible from the seed and differ between calls', () => {
    const run = (d: Dropout) => tidy(() => Array.from(d.call(ones([64])).dataSync()));
    const a = new Dropout(0.5, { seed: 9 });
    const b = new Dropout(0.5, { seed: 9 });
    const first = run(a);
    expect(run(b)).toEqual(first);
    expect(run(a)).not.toEqual(first);
    manualSeed(4);
    const g1 = run(new Dropout(0.5));
    manualSeed(4);
    expect(run(new Dropout(0.5))).toEqual(g1);
  });

  it('validates p in [0, 1)', () => {
    expect(() => new Dropout(1)).toThrow(
      /Dropout: expected a drop probability p in \[0, 1\), received 1/,
    );
    expect(() => new Dropout(-0.1)).toThrow(/Dropout/);
    expect(() => new Dropout(Number.NaN)).toThrow(/Dropout/);
  });
});
