import '@nerve/backend-cpu';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { memory } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import { digitsSplit, loadDigits, makeSpiral } from '../src/index.js';
import { makeSpiral as exampleSpiral } from '../../../examples/spiral/spiral.js';

describe('loadDigits', () => {
  it('returns x [1797, 64] float32 in 0..16 and y int32 labels 0..9', () => {
    const { x, y } = loadDigits();
    expect(x.shape).toEqual([1797, 64]);
    expect(x.dtype).toBe('float32');
    expect(y.shape).toEqual([1797]);
    expect(y.dtype).toBe('int32');
    const xs = x.dataSync();
    expect(Math.min(...xs)).toBe(0);
    expect(Math.max(...xs)).toBe(16);
    const counts = new Array(10).fill(0);
    for (const v of y.dataSync()) counts[v]++;
    // The class counts of scikit-learn's load_digits().
    expect(counts).toEqual([178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
    x.dispose();
    y.dispose();
  });

  it('matches the asset text row for row', () => {
    const url = new URL('../assets/digits.csv.gz', import.meta.url);
    const rows = gunzipSync(readFileSync(url)).toString('utf8').trim().split('\n');
    const { x, y } = loadDigits();
    const xs = x.dataSync();
    for (const r of [0, 1, 1000, 1796]) {
      const cells = rows[r].split(',').map(Number);
      expect(Array.from(xs.subarray(r * 64, r * 64 + 64))).toEqual(cells.slice(0, 64));
      expect(y.dataSync()[r]).toBe(cells[64]);
    }
    x.dispose();
    y.dispose();
  });
});

describe('digitsSplit', () => {
  it('splits 1797 digits stratified: 20% test per class, deterministic per seed', () => {
    const before = memory().numTensors;
    const a = digitsSplit({ seed: 3 });
    expect(a.test.length).toBe(360);
    expect(a.train.length).toBe(1437);
    expect(a.train.tensors[0].shape).toEqual([1437, 64]);
    const counts = new Array(10).fill(0);
    for (const v of a.test.tensors[1].dataSync()) counts[v]++;
    // ⌈0.2·1797⌉ = 360 spread over classes of 174..183: 34 to 37 each.
    for (const c of counts) expect(c === 35 || c === 36 || c === 37 || c === 34).toBe(true);
    const b = digitsSplit({ seed: 3 });
    expect(b.test.tensors[0].dataSync()).toEqual(a.test.tensors[0].dataSync());
    const c = digitsSplit({ seed: 4, testFraction: 0.5 });
    expect(c.test.length).toBe(899);
    for (const s of [a, b, c]) {
      s.train.dispose();
      s.test.dispose();
    }
    // Only the returned tensors survived; the full copy was disposed.
    expect(memory().numTensors).toBe(before);
  });
});

describe('makeSpiral', () => {
  it('gives the same points as examples/spiral/spiral.ts', () => {
    for (const [ppc, classes, seed] of [
      [100, 3, 0],
      [37, 5, 9],
    ]) {
      const ds = makeSpiral({ pointsPerClass: ppc, classes, seed });
      const ref = exampleSpiral(ppc, classes, seed);
      expect(ds.length).toBe(ppc * classes);
      expect(ds.tensors[0].dataSync()).toEqual(ref.x.dataSync());
      expect(ds.tensors[1].dataSync()).toEqual(ref.y.dataSync());
      ds.dispose();
      ref.x.dispose();
      ref.y.dispose();
    }
  });

  it('has radii i/(n−1) on every arm and labels in arm order', () => {
    const ds = makeSpiral({ pointsPerClass: 11, classes: 2, seed: 1 });
    const x = ds.tensors[0].arraySync() as number[][];
    x.forEach(([a, b], j) => {
      expect(Math.hypot(a, b)).toBeCloseTo((j % 11) / 10, 6);
    });
    expect(Array.from(ds.tensors[1].dataSync())).toEqual([
      ...new Array(11).fill(0),
      ...new Array(11).fill(1),
    ]);
    expect(() => makeSpiral({ pointsPerClass: 1 })).toThrow(
      /makeSpiral: expected pointsPerClass an integer ≥ 2/,
    );
    ds.dispose();
  });
});
