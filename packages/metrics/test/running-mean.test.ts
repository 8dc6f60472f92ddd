import { describe, expect, it } from 'vitest';
import { RunningMean } from '../src/index.js';

describe('RunningMean', () => {
  it('weights values by their counts', () => {
    const m = new RunningMean();
    expect(Number.isNaN(m.value)).toBe(true);
    m.add(2, 3).add(5); // (2·3 + 5·1) / 4
    expect(m.value).toBeCloseTo(11 / 4, 12);
    expect(m.count).toBe(4);
    m.add(100, 0);
    expect(m.value).toBeCloseTo(11 / 4, 12);
    m.reset();
    m.add(1.5, 2);
    expect(m.value).toBe(1.5);
  });

  it('lets NaN values propagate and rejects bad counts', () => {
    const m = new RunningMean().add(Number.NaN);
    expect(Number.isNaN(m.value)).toBe(true);
    expect(() => m.add(1, -1)).toThrow(/count/);
    expect(() => m.add(1, Number.POSITIVE_INFINITY)).toThrow(/count/);
    expect(() => m.add('1' as unknown as number)).toThrow(/number/);
  });
});
