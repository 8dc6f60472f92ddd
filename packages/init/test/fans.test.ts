import '@nerve/backend-cpu';
import { describe, expect, it } from 'vitest';
import { calculateGain, computeFans } from '../src/index.js';

describe('computeFans (PyTorch _calculate_fan_in_and_fan_out)', () => {
  it('linear weights [out, in]', () => {
    expect(computeFans([30, 20])).toEqual({ fanIn: 20, fanOut: 30 });
  });
  it('conv weights [O, C, KH, KW] multiply by the kernel area', () => {
    expect(computeFans([16, 3, 5, 5])).toEqual({ fanIn: 75, fanOut: 400 });
    expect(computeFans([8, 4, 3])).toEqual({ fanIn: 12, fanOut: 24 });
    expect(computeFans([2, 3, 4, 5, 6])).toEqual({ fanIn: 360, fanOut: 240 });
  });
  it('rejects vectors and scalars', () => {
    expect(() => computeFans([5])).toThrow(/computeFans: expected a shape with at least 2/);
    expect(() => computeFans([])).toThrow(/computeFans/);
  });
});

describe('calculateGain (PyTorch calculate_gain)', () => {
  it('has the documented values', () => {
    expect(calculateGain('linear')).toBe(1);
    expect(calculateGain('conv2d')).toBe(1);
    expect(calculateGain('sigmoid')).toBe(1);
    expect(calculateGain('tanh')).toBeCloseTo(5 / 3, 15);
    expect(calculateGain('relu')).toBeCloseTo(Math.SQRT2, 15);
    expect(calculateGain('selu')).toBe(0.75);
  });
  it('leakyRelu uses √(2/(1+a²)), a = 0.01 by default', () => {
    // torch.nn.init.calculate_gain('leaky_relu') = 1.4141428569978354
    expect(calculateGain('leakyRelu')).toBeCloseTo(1.4141428569978354, 14);
    expect(calculateGain('leakyRelu', 0.2)).toBeCloseTo(Math.sqrt(2 / 1.04), 15);
    expect(calculateGain('leakyRelu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 15);
    expect(calculateGain('leakyRelu', 0)).toBeCloseTo(Math.SQRT2, 15);
  });
  it('rejects unknown names, listing the valid ones', () => {
    expect(() => calculateGain('swish' as never)).toThrow(/'linear'.*'selu'.*received "swish"/);
  });
});
