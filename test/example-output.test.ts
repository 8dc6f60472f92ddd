/** The comparison behind the documentation examples' stated outputs. */
import { describe, expect, it } from 'vitest';
import { compareOutput, examplesIn, formatLogs } from './example-output.js';

describe('compareOutput', () => {
  it('accepts the same text, and numbers within 1e-4 relative', () => {
    expect(compareOutput('loss 0.7932065725326538', 'loss 0.7932065')).toBeNull();
    expect(compareOutput('[ 1,\n  2 ]', '[ 1, 2 ]')).toBeNull();
    expect(compareOutput('mean -1.02e-8', 'mean 3.1e-8')).toBeNull();
    expect(compareOutput('took 3.2 s, accuracy 0.98', 'took … s, accuracy 0.98')).toBeNull();
  });

  it('refuses another number, other words, or more output', () => {
    expect(compareOutput('loss 0.7933', 'loss 0.7932')).toMatch(/number 1 of the output is 0.7933/);
    expect(compareOutput('Float32Array(4) [ 1 ]', 'Float32Array(3) [ 1 ]')).toMatch(
      /is 4, the page says 3/,
    );
    expect(compareOutput('relaxed', 'simd')).toMatch(/differs/);
    expect(compareOutput('a 1\nb 2', 'a 1')).toMatch(/differs/);
    expect(compareOutput('NaN', '1')).toMatch(/differs/);
  });
});

describe('examplesIn', () => {
  it('pairs each ts block with the text block right after it, or none', () => {
    const page =
      '```ts\nconsole.log(1);\n```\n\n```text\n1\n```\n\nprose\n\n```ts\nf();\n```\n\ntext\n```text\nx\n```\n';
    const [a, b] = examplesIn(page);
    expect(a.code).toBe('console.log(1);\n');
    expect(a.expected).toBe('1');
    expect(b.expected).toBeNull();
  });

  it('formats logs as console.log would', () => {
    expect(formatLogs([['x', [1, 2]], [{ a: 'b' }]])).toBe("x [ 1, 2 ]\n{ a: 'b' }");
  });
});
