import { describe, expect, it } from 'vitest';
import { describeFileKind, describeValue } from '../src/index.js';

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

describe('describeFileKind (main entry)', () => {
  const kind = (what: string) => {
    const is = (k: string) => () => k === what;
    return {
      isFile: is('file'),
      isDirectory: is('dir'),
      isFIFO: is('fifo'),
      isCharacterDevice: is('chr'),
      isBlockDevice: is('blk'),
      isSocket: is('sock'),
    };
  };

  it('is null for a regular file and names everything else', () => {
    expect(describeFileKind(kind('file'))).toBeNull();
    expect(describeFileKind(kind('dir'))).toBe('a directory');
    expect(describeFileKind(kind('fifo'))).toBe('a FIFO (named pipe)');
    expect(describeFileKind(kind('chr'))).toBe('a character device');
    expect(describeFileKind(kind('blk'))).toBe('a block device');
    expect(describeFileKind(kind('sock'))).toBe('a socket');
    expect(describeFileKind(kind('?'))).toBe('not a regular file');
  });
});
