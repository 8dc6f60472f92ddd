import { memory } from '@nerve/core';
import '@nerve/backend-cpu';
import { describe, expect, it } from 'vitest';
import { makeCircles } from '../src/index.js';

describe('makeCircles', () => {
  it('without noise puts class 0 on the unit circle and class 1 on radius factor, evenly spaced', () => {
    const before = memory().numTensors;
    const ds = makeCircles({ pointsPerClass: 8, factor: 0.3, noise: 0, seed: 1 });
    const x = ds.tensors[0].arraySync() as number[][];
    const y = Array.from(ds.tensors[1].dataSync());
    expect(ds.tensors[0].shape).toEqual([16, 2]);
    expect(ds.tensors[1].dtype).toBe('int32');
    expect(y).toEqual([...new Array(8).fill(0), ...new Array(8).fill(1)]);
    x.forEach(([a, b], j) => {
      const r = j < 8 ? 1 : 0.3;
      expect(Math.hypot(a, b)).toBeCloseTo(r, 6);
      // Angle 2πi/8: consecutive points are 45° apart.
      const t = Math.atan2(b, a);
      const want = (2 * Math.PI * (j % 8)) / 8;
      expect(Math.cos(t - want)).toBeCloseTo(1, 6);
    });
    ds.dispose();
    expect(memory().numTensors).toBe(before);
  });

  it('adds N(0, noise²) to each coordinate, the same for the same seed', () => {
    const noise = 0.1;
    const n = 2000;
    const clean = makeCircles({ pointsPerClass: n, noise: 0 });
    const noisy = makeCircles({ pointsPerClass: n, noise, seed: 3 });
    const again = makeCircles({ pointsPerClass: n, noise, seed: 3 });
    const other = makeCircles({ pointsPerClass: n, noise, seed: 4 });
    const a = clean.tensors[0].dataSync();
    const b = noisy.tensors[0].dataSync();
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < a.length; i++) {
      const d = b[i] - a[i];
      s += d;
      s2 += d * d;
    }
    const m = s / a.length;
    const sd = Math.sqrt(s2 / a.length - m * m);
    // 8,000 draws: the standard error of the mean is 0.1/√8000 ≈ 0.0011 and of
    // the std about 0.1/√16000 ≈ 0.0008; 5 standard errors either way.
    expect(Math.abs(m)).toBeLessThan(0.0056);
    expect(Math.abs(sd - noise)).toBeLessThan(0.004);
    expect(again.tensors[0].dataSync()).toEqual(b);
    expect(other.tensors[0].dataSync()).not.toEqual(b);
    for (const d of [clean, noisy, again, other]) d.dispose();
  });

  it('rejects bad options with the usual message', () => {
    expect(() => makeCircles({ pointsPerClass: 0 })).toThrow(
      /makeCircles: expected pointsPerClass a positive integer, received 0/,
    );
    expect(() => makeCircles({ factor: 1 })).toThrow(/makeCircles: expected factor in \(0, 1\)/);
    expect(() => makeCircles({ noise: -1 })).toThrow(/makeCircles: expected a finite noise ≥ 0/);
    expect(() => makeCircles({ seed: -1 })).toThrow(
      /makeCircles: expected a non-negative integer seed/,
    );
  });
});
