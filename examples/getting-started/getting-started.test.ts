/**
 * The getting-started examples run in Node and print what they state (the
 * `/* Output:` block at the end of each file, compared as the docs' examples
 * are: test/example-output.ts). The docs site shows and runs the same files
 * in the browser (apps/site/.vitepress/theme/RunExample.vue); its test
 * (apps/site/test/examples.test.ts) compares the page's output too.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatWithOptions } from 'node:util';
import '@nerve/backend-cpu';
import { memory, setBackend } from '@nerve/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareOutput, formatLogs } from '../../test/example-output.js';
import { formatLog, splitExample } from '../stated-output.js';

const dir = dirname(fileURLToPath(import.meta.url));
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .sort();

describe('getting-started examples', () => {
  beforeAll(() => setBackend('cpu'));

  it('are the three the docs page shows (tensors, autograd, a small fit)', () => {
    expect(files).toEqual(expect.arrayContaining(['autograd.ts', 'fit.ts', 'tensors.ts']));
  });

  for (const file of files) {
    it(`${file} prints its stated output, as the page's formatter writes it, and frees its tensors`, async () => {
      const { expected } = splitExample(readFileSync(join(dir, file), 'utf8'));
      expect(
        expected,
        `${file} states no output: end it with a /* Output: … */ block`,
      ).not.toBeNull();
      const calls: unknown[][] = [];
      const orig = console.log;
      const before = memory().numTensors;
      console.log = (...args: unknown[]) => void calls.push(args);
      try {
        await import(/* @vite-ignore */ join(dir, file));
      } finally {
        console.log = orig;
      }
      expect(calls.length).toBeGreaterThan(0);
      // The browser's formatter writes each call exactly as Node does.
      for (const args of calls)
        expect(formatLog(args)).toBe(formatWithOptions({ colors: false }, ...args));
      const output = formatLogs(calls);
      expect(output).not.toMatch(/\bNaN\b/);
      const difference = compareOutput(output, expected ?? '');
      expect(difference, `${file}: ${difference}`).toBeNull();
      // Examples show good manners: every tensor they make is freed.
      expect(memory().numTensors).toBe(before);
    });
  }
});

describe('formatLog', () => {
  it('writes what Node writes for the shapes it supports, and refuses the rest', () => {
    const cases: unknown[][] = [
      ['a', 1, -0, true, null, undefined, 2n],
      [[1, [2, 3]], { a: 1, 'b-c': 'x' }, [], {}],
      ['nested', [[[1, 2], [3]], [[4]]]],
    ];
    for (const args of cases)
      expect(formatLog(args)).toBe(formatWithOptions({ colors: false }, ...args));
    expect(() => formatLog([[1, 2, 3, 4, 5, 6, 7]])).toThrow(/one line/);
    expect(() => formatLog([new Float32Array(2)])).toThrow(/Float32Array/);
    expect(() => formatLog([Array.from({ length: 6 }, () => 'a long string entry')])).toThrow();
  });

  it('splits an example into its code and its stated output', () => {
    expect(splitExample('console.log(1);\n\n/* Output:\n1\n*/\n')).toEqual({
      code: 'console.log(1);',
      expected: '1',
    });
    expect(splitExample('console.log(1);\n')).toEqual({ code: 'console.log(1);', expected: null });
  });
});
