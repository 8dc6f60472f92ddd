import '@nerve/backend-cpu';
import { concat, memory, reshape, tensor, tidy } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import { Standardize, ZeroCenter } from '../src/index.js';
import { correlated, hostMean, maxDiff } from './helpers.js';

describe('ZeroCenter', () => {
  it("'meanImage' subtracts the per-feature training mean, also from test data", () => {
    const train = tensor([
      [1, 2, 3],
      [3, 6, 9],
      [5, 10, 0],
    ]);
    const test = tensor([
      [0, 0, 0],
      [3, 6, 4],
    ]);
    const zc = new ZeroCenter();
    const out = zc.fit(train).transform(test);
    // Training means (3, 6, 4), computed by hand.
    expect(out.arraySync()).toEqual([
      [-3, -6, -4],
      [0, 0, 0],
    ]);
    expect(Array.from(zc.stateDict().mean as Float32Array)).toEqual([3, 6, 4]);
    for (const t of [train, test, out]) t.dispose();
  });

  it('statistics come from the training data only', () => {
    const { x: train, values } = correlated(200, 4, 1);
    const { x: test } = correlated(50, 4, 2);
    const zc = new ZeroCenter().fit(train);
    const before = zc.stateDict().mean as Float32Array;
    expect(maxDiff(before, hostMean(values, 200, 4))).toBeLessThan(1e-5);
    zc.transform(test).dispose();
    expect(zc.stateDict().mean).toEqual(before);
    // Fitting on train + test would have given other statistics.
    const both = concat([train, test]);
    const leaky = new ZeroCenter().fit(both).stateDict().mean as Float32Array;
    expect(maxDiff(leaky, before)).toBeGreaterThan(1e-3);
    for (const t of [train, test, both]) t.dispose();
  });

  it("'perChannel' uses one mean per channel of [N, C, H, W], or of flat data given channels", () => {
    // Two samples, two channels of 2×2: channel 0 holds 0..7, channel 1 holds 100..107.
    const v = [0, 1, 2, 3, 100, 101, 102, 103, 4, 5, 6, 7, 104, 105, 106, 107];
    const x = tensor(Float32Array.from(v), { shape: [2, 2, 2, 2] });
    const zc = new ZeroCenter({ mode: 'perChannel' }).fit(x);
    expect(Array.from(zc.stateDict().mean as Float32Array)).toEqual([3.5, 103.5]);
    const out = zc.transform(x);
    expect(out.shape).toEqual([2, 2, 2, 2]);
    const expected = v.map((a) => (a >= 100 ? a - 103.5 : a - 3.5));
    expect(Array.from(out.dataSync())).toEqual(expected);
    const flat = reshape(x, [2, 8]);
    const zf = new ZeroCenter({ mode: 'perChannel', channels: 2 }).fit(flat);
    expect(zf.stateDict().mean).toEqual(zc.stateDict().mean);
    const outFlat = zf.transform(flat);
    expect(outFlat.shape).toEqual([2, 8]);
    expect(Array.from(outFlat.dataSync())).toEqual(expected);
    for (const t of [x, out, flat, outFlat]) t.dispose();
  });

  it('throws clear errors: transform before fit, wrong shapes, missing channels', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    const y = tensor([[1, 2, 3]]);
    expect(() => new ZeroCenter().transform(x)).toThrow(
      /ZeroCenter.transform: not fitted yet: call fit\(trainingData\)/,
    );
    expect(() => new ZeroCenter().stateDict()).toThrow(/ZeroCenter.stateDict: not fitted/);
    expect(() => new ZeroCenter().fit(x).transform(y)).toThrow(
      /ZeroCenter.transform: expected 2 features per sample \(as fitted\), received shape \[1,3\]/,
    );
    expect(() => new ZeroCenter({ mode: 'perChannel' }).fit(x)).toThrow(
      /needs the 'channels' option/,
    );
    expect(() => new ZeroCenter({ mode: 'perChannel', channels: 3 }).fit(x)).toThrow(
      /do not divide into 3/,
    );
    expect(() => new ZeroCenter().fit(tensor([1, 2]))).toThrow(
      /ZeroCenter.fit: expected samples along the first axis/,
    );
    const i = tensor(Int32Array.from([1, 2]), { shape: [2, 1] });
    expect(() => new ZeroCenter().fit(i)).toThrow(/ZeroCenter.fit: expected a float32 tensor/);
    expect(() => new ZeroCenter({ mode: 'median' as 'meanImage' })).toThrow(
      /ZeroCenter: expected mode/,
    );
    for (const t of [x, y, i]) t.dispose();
  });

  it('round-trips through stateDict and rejects a bad state without changing', () => {
    const x = tensor([
      [1, 2],
      [3, 8],
    ]);
    const a = new ZeroCenter().fit(x);
    const b = new ZeroCenter();
    b.loadStateDict(a.stateDict());
    const ya = a.transform(x);
    const yb = b.transform(x);
    expect(yb.arraySync()).toEqual(ya.arraySync());
    expect(() => b.loadStateDict({ mode: 'perChannel', mean: new Float32Array(2) })).toThrow(
      /ZeroCenter.loadStateDict: expected state.mode = meanImage/,
    );
    expect(() =>
      b.loadStateDict({ mode: 'meanImage', mean: [1, 2] as unknown as Float32Array }),
    ).toThrow(/state.mean a Float32Array/);
    expect(Array.from(b.stateDict().mean as Float32Array)).toEqual([2, 5]);
    // The state is a copy: editing it does not touch the preprocessor.
    (a.stateDict().mean as Float32Array)[0] = 99;
    expect(Array.from(a.stateDict().mean as Float32Array)).toEqual([2, 5]);
    for (const t of [x, ya, yb]) t.dispose();
  });

  it('fit creates no lasting tensors; transform inside tidy leaks nothing', () => {
    const { x } = correlated(64, 5, 3);
    const before = memory().numTensors;
    const zc = new ZeroCenter().fit(x);
    expect(memory().numTensors).toBe(before);
    for (let i = 0; i < 3; i++) {
      tidy(() => zc.transform(x).sum().itemSync());
      expect(memory().numTensors).toBe(before);
    }
    x.dispose();
  });
});

describe('Standardize', () => {
  it("'perFeature' gives zero mean and unit population variance on the training data", () => {
    const train = tensor([
      [1, 10],
      [2, 10],
      [3, 10],
      [6, 10],
    ]);
    const st = new Standardize().fit(train);
    const s = st.stateDict();
    // Feature 0: mean 3, population variance (4 + 1 + 0 + 9)/4 = 3.5. Feature 1 is constant: scale 1.
    expect(Array.from(s.mean as Float32Array)).toEqual([3, 10]);
    expect(s.scale as Float32Array).toEqual(Float32Array.from([Math.sqrt(3.5), 1]));
    const test = tensor([[3 + Math.sqrt(3.5), 12]]);
    const out = st.transform(test);
    const [[a, b]] = out.arraySync() as number[][];
    expect(a).toBeCloseTo(1, 6);
    // A constant training feature is only centred, not divided by ~0.
    expect(b).toBe(2);
    for (const t of [train, test, out]) t.dispose();
  });

  it('standardizes correlated data feature by feature, checked on the host', () => {
    const { x, values } = correlated(300, 4, 5);
    const out = new Standardize().fitTransform(x);
    const o = out.dataSync();
    const m = hostMean(o, 300, 4);
    for (let j = 0; j < 4; j++) {
      expect(Math.abs(m[j])).toBeLessThan(1e-5);
      let v = 0;
      for (let i = 0; i < 300; i++) v += (o[i * 4 + j] - m[j]) ** 2;
      expect(v / 300).toBeCloseTo(1, 5);
    }
    // The reference scale from the raw values, divisor N.
    const ref = hostMean(values, 300, 4);
    const x0 = Array.from({ length: 300 }, (_, i) => values[i * 4]);
    const sd0 = Math.sqrt(x0.reduce((s, v) => s + (v - ref[0]) ** 2, 0) / 300);
    expect(o[0]).toBeCloseTo((values[0] - ref[0]) / sd0, 5);
    x.dispose();
    out.dispose();
  });

  it("'perChannel' uses one mean and scale per channel", () => {
    const v = [0, 2, 10, 30, 4, 6, 20, 40];
    const x = tensor(Float32Array.from(v), { shape: [2, 2, 2] });
    const st = new Standardize({ mode: 'perChannel' }).fit(x);
    const s = st.stateDict();
    // Channel 0: 0, 2, 4, 6 → mean 3, σ √5. Channel 1: 10, 30, 20, 40 → mean 25, σ √125.
    expect(Array.from(s.mean as Float32Array)).toEqual([3, 25]);
    expect(maxDiff(s.scale as Float32Array, [Math.sqrt(5), Math.sqrt(125)])).toBeLessThan(1e-6);
    const out = st.transform(x);
    expect(out.dataSync()[3]).toBeCloseTo(5 / Math.sqrt(125), 6);
    x.dispose();
    out.dispose();
  });

  it('errors and state handling', () => {
    const x = tensor([
      [1, 2],
      [3, 5],
    ]);
    expect(() => new Standardize().transform(x)).toThrow(/Standardize.transform: not fitted yet/);
    const st = new Standardize().fit(x);
    const copy = new Standardize();
    copy.loadStateDict(st.stateDict());
    expect(copy.stateDict()).toEqual(st.stateDict());
    const bad = { ...st.stateDict(), scale: new Float32Array([1, 0]) };
    expect(() => copy.loadStateDict(bad)).toThrow(
      /Standardize.loadStateDict: expected state.scale positive/,
    );
    expect(() => copy.loadStateDict({ ...st.stateDict(), scale: new Float32Array(3) })).toThrow(
      /state.scale of length 2/,
    );
    expect(() => new Standardize({ eps: -1 })).toThrow(/Standardize: expected eps ≥ 0/);
    const nan = tensor([[1, Number.NaN]]);
    expect(() => new Standardize().fit(nan)).toThrow(
      /Standardize.fit: the training data produced non-finite/,
    );
    x.dispose();
    nan.dispose();
  });
});
