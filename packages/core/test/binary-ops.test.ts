import { describe, expect, it } from 'vitest';
import { BINARY_OPS } from '../src/ops/binary.js';
import { BINARY_SCALAR } from '../src/scalar-math.js';

// Binary ops are declared once, in one table, as unary ones are: every op the
// backend contract knows has an entry, and only comparisons lack a gradient.
describe('BINARY_OPS', () => {
  it('has an entry for every binary op of the contract', () => {
    expect(Object.keys(BINARY_OPS).sort()).toEqual(Object.keys(BINARY_SCALAR).sort());
  });

  it('gives a gradient to arithmetic ops and none to comparisons', () => {
    const noGrad = Object.entries(BINARY_OPS)
      .filter(([, d]) => d.grad === null)
      .map(([op]) => op)
      .sort();
    expect(noGrad).toEqual(['eq', 'ge', 'gt', 'le', 'logicalAnd', 'logicalOr', 'lt', 'ne']);
    expect(BINARY_OPS.div.float).toBe(true);
  });
});
