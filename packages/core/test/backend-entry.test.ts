import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as forBackends from '@nerve/core/backend';
import * as forUsers from '@nerve/core';

// Backend authors import @nerve/core/backend; it must share core's module
// instances (one registry), or a backend would register where users never look.
describe('@nerve/core/backend entry point', () => {
  it('shares the registry and the error class with the main entry', () => {
    expect(forBackends.registerBackend).toBe(forUsers.registerBackend);
    expect(forBackends.NerveError).toBe(forUsers.NerveError);
  });

  it('carries the scalar op table, the conv helpers and the optional-kernel list', () => {
    expect(forBackends.BINARY_SCALAR.add(2, 3)).toBe(5);
    expect(forBackends.UNARY_SCALAR.neg(2, 0)).toBe(-2);
    expect(forBackends.contiguousStrides([2, 3, 4])).toEqual([12, 4, 1]);
    expect(typeof forBackends.isPointwiseConv).toBe('function');
    expect(forBackends.OPTIONAL_KERNEL_NAMES).toContain('conv2d');
  });

  it('is declared in package.json with the same conditions as the main entry', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const main = pkg.exports['.'];
    const entry = pkg.exports['./backend'];
    expect(Object.keys(entry)).toEqual(Object.keys(main));
    expect(entry['@nerve/source']).toBe('./src/backend-api.ts');
    expect(entry.import).toEqual({
      types: './dist/backend-api.d.ts',
      default: './dist/backend-api.js',
    });
    expect(entry.require).toEqual({
      types: './dist/cjs/backend-api.d.ts',
      default: './dist/cjs/backend-api.js',
    });
  });
});
