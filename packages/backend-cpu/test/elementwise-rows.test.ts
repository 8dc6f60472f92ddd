/**
 * The per-op rows of the unary and binary kernels are generated from an op
 * table (codegen/elementwise-rows.ts): the checked-in file must be exactly
 * what the generator writes, every op it names must exist in core's scalar
 * tables, and nothing in src builds code at run time (strict CSP). Their
 * values are checked against the scalar tables in elementwise-fast.test.ts
 * and elementwise.test.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BINARY_SCALAR, UNARY_SCALAR } from '@nerve/core/backend';
import { describe, expect, it } from 'vitest';
import {
  BINARY_ARITH,
  BINARY_COMPARE,
  GENERATED_PATH,
  UNARY,
  generate,
} from '../codegen/elementwise-rows.js';

const src = fileURLToPath(new URL('../src', import.meta.url));
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });

describe('generated elementwise rows', () => {
  it('are up to date (run `pnpm --filter @nerve/backend-cpu codegen`)', () => {
    expect(readFileSync(GENERATED_PATH, 'utf8')).toBe(generate());
  });

  it('name only ops of the scalar tables', () => {
    for (const op of [...Object.keys(BINARY_ARITH), ...Object.keys(BINARY_COMPARE)]) {
      expect(BINARY_SCALAR, op).toHaveProperty(op);
    }
    for (const op of Object.keys(UNARY)) expect(UNARY_SCALAR, op).toHaveProperty(op);
  });

  it('leave no run-time code generation in src', () => {
    const offenders = files(src).filter((f) =>
      /\bnew Function\s*\(|\beval\s*\(/.test(readFileSync(f, 'utf8')),
    );
    expect(offenders).toEqual([]);
  });
});
