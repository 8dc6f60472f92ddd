import { describe, expect, it } from 'vitest';
import { describeValue } from '../src/index.js';

// Every package builds its error messages with this one function, so the
// received part of an error reads the same everywhere.
describe('describeValue (main entry)', () => {
  it('names null, undefined, arrays and objects by kind', () => {
    expect(describeValue(null)).toBe('null');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue([1, 2])).toBe('an array');
    expect(describeValue({ a: 1 })).toBe('an object');
  });

  it('shows primitives with their type and value', () => {
    expect(describeValue(Number.NaN)).toBe('number NaN');
    expect(describeValue('x')).toBe('string x');
    expect(describeValue(true)).toBe('boolean true');
  });
});
