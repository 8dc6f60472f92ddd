import '@nerve/backend-cpu';
import { describe, expect, it } from 'vitest';
import { INITIALIZER_NAMES, getInitializer } from '../src/index.js';
import { stats } from './helpers.js';

describe('getInitializer', () => {
  it('builds every listed name', () => {
    for (const name of INITIALIZER_NAMES) {
      const t = getInitializer(name)([6, 4], { seed: 0 });
      expect(t.shape).toEqual([6, 4]);
      t.dispose();
    }
  });
  it('maps names to the documented formulas', () => {
    // 'small': N(0, 0.01²); 'he': N(0, 2/fanIn); 'xavier': U with bound √(6/(in+out)).
    expect(
      Math.abs(stats(getInitializer('small')([200, 500], { seed: 1 })).std / 0.01 - 1),
    ).toBeLessThan(0.02);
    expect(
      Math.abs(stats(getInitializer('he')([200, 500], { seed: 1 })).std / Math.sqrt(2 / 500) - 1),
    ).toBeLessThan(0.02);
    const x = stats(getInitializer('xavier')([200, 500], { seed: 1 }));
    expect(x.max).toBeLessThanOrEqual(Math.sqrt(6 / 700));
    expect(x.max).toBeGreaterThan(0.999 * Math.sqrt(6 / 700));
    expect(getInitializer('zeros')([2]).arraySync()).toEqual([0, 0]);
  });
  it('ignores case, underscores and dashes', () => {
    expect(getInitializer('xavier_normal')([3, 3], { seed: 2 }).arraySync()).toEqual(
      getInitializer('xavierNormal')([3, 3], { seed: 2 }).arraySync(),
    );
    expect(() => getInitializer('KAIMING-UNIFORM')).not.toThrow();
  });
  it('rejects unknown names with the list of valid ones', () => {
    expect(() => getInitializer('glorious')).toThrow(
      /getInitializer: expected one of 'zeros', 'ones', .*'orthogonal', received "glorious"/,
    );
  });
});
