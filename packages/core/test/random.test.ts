import { describe, expect, it } from 'vitest';
import { Generator, philox4x32 } from '../src/random.js';

const hex = (a: Uint32Array) => [...a].map((v) => v.toString(16).padStart(8, '0'));

describe('philox4x32-10', () => {
  // Known-answer vectors published with Random123 (Salmon et al. 2011).
  it('matches the zero known-answer vector', () => {
    expect(hex(philox4x32([0, 0, 0, 0], [0, 0]))).toEqual([
      '6627e8d5',
      'e169c58d',
      'bc57ac4c',
      '9b00dbd8',
    ]);
  });

  it('matches the all-ones known-answer vector', () => {
    const f = 0xffffffff;
    expect(hex(philox4x32([f, f, f, f], [f, f]))).toEqual([
      '408f276d',
      '41c83b0e',
      'a20bc7c6',
      '6d5451fd',
    ]);
  });

  it('matches the pi-digits known-answer vector', () => {
    const out = philox4x32(
      [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
      [0xa4093822, 0x299f31d0],
    );
    expect(hex(out)).toEqual(['d16cfe09', '94fdcceb', '5001e420', '24126ea1']);
  });
});

describe('Generator', () => {
  it('gives the same stream for the same seed and another for another seed', () => {
    const a = new Generator(42).uniform(10);
    const b = new Generator(42).uniform(10);
    const c = new Generator(43).uniform(10);
    expect([...a]).toEqual([...b]);
    expect([...a]).not.toEqual([...c]);
  });

  it('continues the stream across calls exactly as one long call', () => {
    const g = new Generator(7);
    const parts = [...g.uint32(5), ...g.uint32(3)];
    // Calls consume whole blocks of four, so the second call starts at block 2.
    const whole = new Generator(7).uint32(12);
    expect(parts.slice(0, 5)).toEqual([...whole.slice(0, 5)]);
    expect(parts.slice(5)).toEqual([...whole.slice(8, 11)]);
  });

  it('draws uniform values in [0, 1) and normals with mean 0 and std 1', () => {
    const u = new Generator(1).uniform(20000);
    let mu = 0;
    for (const v of u) {
      expect(v >= 0 && v < 1).toBe(true);
      mu += v / u.length;
    }
    expect(Math.abs(mu - 0.5)).toBeLessThan(0.01);
    const z = new Generator(2).normal(20000);
    let m = 0;
    let s = 0;
    for (const v of z) m += v / z.length;
    for (const v of z) s += (v - m) ** 2 / z.length;
    expect(Math.abs(m)).toBeLessThan(0.03);
    expect(Math.abs(Math.sqrt(s) - 1)).toBeLessThan(0.03);
  });

  it('rejects seeds that are not non-negative safe integers', () => {
    expect(() => new Generator(-1)).toThrow(/seed/);
    expect(() => new Generator(1.5)).toThrow(/seed/);
  });
});
