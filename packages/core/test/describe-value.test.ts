import { describe, expect, it } from 'vitest';
import { describeValue } from '../src/index.js';

// Every package builds its error messages with this one function, so the
// received part of an error reads the same everywhere.
describe('describeValue (main entry)', () => {
  it('names null, undefined, arrays and objects by kind', () => {
    expect(describeValue(null)).toBe('null');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue([1, 2])).toBe('an array of length 2');
    expect(describeValue(new Float32Array(3))).toBe('a Float32Array of length 3');
    expect(describeValue({ a: 1 })).toBe('an object');
    expect(describeValue(new Map())).toBe('a Map');
    expect(describeValue(() => 1)).toBe('a function');
    expect(describeValue(/a+/)).toBe('/a+/');
  });

  it('shows primitives with their type and value', () => {
    expect(describeValue(Number.NaN)).toBe('number NaN');
    expect(describeValue('x')).toBe('"x"');
    expect(describeValue('')).toBe('""');
    expect(describeValue('a'.repeat(50))).toBe(`"${'a'.repeat(40)}…"`);
    expect(describeValue(true)).toBe('boolean true');
  });
});
