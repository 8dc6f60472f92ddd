import '@nerve/backend-cpu';
import { Generator, manualSeed, memory } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import {
  constant,
  heNormal,
  heUniform,
  lecunNormal,
  normal,
  ones,
  smallRandom,
  uniform,
  xavierNormal,
  xavierUniform,
  zeros,
} from '../src/index.js';
import { stats } from './helpers.js';

// [out, in] = [400, 250]: fanIn 250, fanOut 400, 100 000 samples, so the
// sample std is within ~0.5 % of the true one (3σ) and the mean within ~1 % of std.
const SHAPE = [400, 250];
const FAN_IN = 250;
const FAN_OUT = 400;

function expectNormal(s: ReturnType<typeof stats>, std: number): void {
  expect(Math.abs(s.mean)).toBeLessThan(0.02 * std);
  expect(Math.abs(s.std / std - 1)).toBeLessThan(0.02);
}

function expectUniform(s: ReturnType<typeof stats>, bound: number): void {
  expect(s.min).toBeGreaterThanOrEqual(-bound);
  expect(s.max).toBeLessThanOrEqual(bound);
  expect(s.max).toBeGreaterThan(0.999 * bound);
  expect(s.min).toBeLessThan(-0.999 * bound);
  // Var of U(−r, r) is r²/3.
  expectNormal(s, bound / Math.sqrt(3));
}

describe('constant initializers', () => {
  it('zeros, ones and constant fill the shape', () => {
    expect(zeros([2, 3]).arraySync()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(ones([2]).arraySync()).toEqual([1, 1]);
    expect(constant(0.5)([3]).arraySync()).toEqual([0.5, 0.5, 0.5]);
    const t = zeros([4, 5]);
    expect(t.dtype).toBe('float32');
    expect(t.shape).toEqual([4, 5]);
  });
});

describe('distributions', () => {
  it('uniform(low, high)', () => {
    const s = stats(uniform(-3, 5)([100_000], { seed: 1 }));
    expect(s.min).toBeGreaterThanOrEqual(-3);
    expect(s.max).toBeLessThan(5);
    expect(Math.abs(s.mean - 1)).toBeLessThan(0.02);
    expect(Math.abs(s.std / (8 / Math.sqrt(12)) - 1)).toBeLessThan(0.02);
  });

  it('normal(mean, std)', () => {
    const s = stats(normal(2, 0.5)([100_000], { seed: 2 }));
    expect(Math.abs(s.mean - 2)).toBeLessThan(0.01);
    expect(Math.abs(s.std / 0.5 - 1)).toBeLessThan(0.02);
  });

  it('smallRandom is N(0, 0.01²) by default', () => {
    expectNormal(stats(smallRandom()(SHAPE, { seed: 3 })), 0.01);
    expectNormal(stats(smallRandom(0.1)(SHAPE, { seed: 3 })), 0.1);
  });

  it('xavierUniform: bound gain·√(6/(fanIn+fanOut))', () => {
    expectUniform(stats(xavierUniform()(SHAPE, { seed: 4 })), Math.sqrt(6 / (FAN_IN + FAN_OUT)));
    const g = 5 / 3;
    expectUniform(
      stats(xavierUniform(g)(SHAPE, { seed: 4 })),
      g * Math.sqrt(6 / (FAN_IN + FAN_OUT)),
    );
  });

  it('xavierNormal: std gain·√(2/(fanIn+fanOut))', () => {
    expectNormal(stats(xavierNormal(2)(SHAPE, { seed: 5 })), 2 * Math.sqrt(2 / (FAN_IN + FAN_OUT)));
  });

  it('heNormal: std √2/√fanIn by default, fanOut mode and leaky slopes', () => {
    expectNormal(stats(heNormal()(SHAPE, { seed: 6 })), Math.sqrt(2 / FAN_IN));
    expectNormal(
      stats(heNormal({ mode: 'fanOut', nonlinearity: 'relu' })(SHAPE, { seed: 6 })),
      Math.sqrt(2 / FAN_OUT),
    );
    expectNormal(
      stats(heNormal({ a: 0.2 })(SHAPE, { seed: 6 })),
      Math.sqrt(2 / 1.04) / Math.sqrt(FAN_IN),
    );
  });

  it('heUniform: bound √3·gain/√fan; a = √5 gives PyTorch layers’ 1/√fanIn', () => {
    expectUniform(stats(heUniform()(SHAPE, { seed: 7 })), Math.sqrt(6 / FAN_IN));
    expectUniform(stats(heUniform({ a: Math.sqrt(5) })(SHAPE, { seed: 7 })), 1 / Math.sqrt(FAN_IN));
    // Conv weight: fanIn = C·KH·KW = 8·3·3.
    expectUniform(
      stats(heUniform({ nonlinearity: 'tanh' })([1000, 8, 3, 3], { seed: 7 })),
      (Math.sqrt(3) * (5 / 3)) / Math.sqrt(72),
    );
  });

  it('lecunNormal: std 1/√fanIn', () => {
    expectNormal(stats(lecunNormal()(SHAPE, { seed: 8 })), 1 / Math.sqrt(FAN_IN));
  });

  it('fan-based initializers reject vectors and allow empty weights', () => {
    expect(() => xavierUniform()([10])).toThrow(/xavierUniform: needs a weight shape/);
    expect(() => heNormal()([10])).toThrow(/heNormal/);
    expect(() => lecunNormal()([10])).toThrow(/lecunNormal/);
    expect(xavierNormal()([0, 3]).shape).toEqual([0, 3]);
    expect(heUniform()([3, 0]).shape).toEqual([3, 0]);
  });

  it('validates arguments', () => {
    expect(() => uniform(1, 0)).toThrow(/uniform: expected low ≤ high/);
    expect(() => normal(0, -1)).toThrow(/normal: expected std ≥ 0/);
    expect(() => heUniform({ mode: 'fan_in' as never })([2, 2])).toThrow(/heUniform/);
  });
});

describe('seeding', () => {
  const inits = {
    uniform: uniform(),
    normal: normal(),
    xavierUniform: xavierUniform(),
    heNormal: heNormal(),
    lecunNormal: lecunNormal(),
  };
  for (const [name, init] of Object.entries(inits)) {
    it(`${name}: same seed same values, other seed other values`, () => {
      const a = init([8, 6], { seed: 11 }).arraySync();
      const b = init([8, 6], { seed: 11 }).arraySync();
      const c = init([8, 6], { seed: 12 }).arraySync();
      expect(a).toEqual(b);
      expect(a).not.toEqual(c);
    });
  }

  it('a generator advances between calls; the global one follows manualSeed', () => {
    const g = new Generator(3);
    const a = xavierNormal()([4, 4], { generator: g }).arraySync();
    const b = xavierNormal()([4, 4], { generator: g }).arraySync();
    expect(a).not.toEqual(b);
    const g2 = new Generator(3);
    expect(xavierNormal()([4, 4], { generator: g2 }).arraySync()).toEqual(a);

    manualSeed(99);
    const c = heUniform()([5, 5]).arraySync();
    const d = heUniform()([5, 5]).arraySync();
    manualSeed(99);
    expect(heUniform()([5, 5]).arraySync()).toEqual(c);
    expect(c).not.toEqual(d);
    // Drawing from the global generator after manualSeed(s) equals { seed: s }.
    expect(heUniform()([5, 5], { seed: 99 }).arraySync()).toEqual(c);
  });

  it('creates exactly one tensor per call', () => {
    const before = memory().numTensors;
    const t = heNormal()([3, 3], { seed: 1 });
    expect(memory().numTensors).toBe(before + 1);
    t.dispose();
  });
});
