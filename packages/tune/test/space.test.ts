import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NerveError } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import {
  choice,
  conditional,
  gridSearch,
  intUniform,
  logUniform,
  randomSearch,
  runStudy,
  space,
  uniform,
} from '../src/index.js';

describe('search spaces', () => {
  it('rejects invalid spaces with a NerveError naming the parameter', () => {
    const bad: [string, () => unknown][] = [
      ['low ≥ high', () => space({ lr: uniform(1, 1) })],
      ['low > high', () => space({ lr: logUniform(1e-1, 1e-4) })],
      ['log range with zero bound', () => space({ lr: logUniform(0, 1) })],
      ['log range with negative bound', () => space({ wd: logUniform(-1, 1) })],
      ['int log from 0', () => space({ h: intUniform(0, 8, { log: true }) })],
      ['non-integer int bounds', () => space({ h: intUniform(1.5, 8) })],
      ['empty choices', () => space({ opt: choice([]) })],
      ['duplicate choices', () => space({ opt: choice(['a', 'a']) })],
      ['object choice', () => space({ opt: choice([{}] as never) })],
      ['NaN bound', () => space({ lr: uniform(Number.NaN, 1) })],
      ['unknown kind', () => space({ lr: { kind: 'gaussian', mean: 0 } as never })],
      ['not an object', () => space({ lr: 0.1 as never })],
      ['no parameters', () => space({})],
      ['bad steps', () => space({ lr: uniform(0, 1, { steps: 1 }) })],
      [
        'conditional on unknown parent',
        () => space({ m: conditional('opt', 'sgd', uniform(0, 1)) }),
      ],
      [
        'conditional on later parent',
        () => space({ m: conditional('opt', 'sgd', uniform(0, 1)), opt: choice(['sgd']) }),
      ],
      [
        'conditional on a range',
        () => space({ lr: uniform(0, 1), m: conditional('lr', 0.5, uniform(0, 1)) }),
      ],
      [
        'condition value not a choice',
        () =>
          space({ opt: choice(['sgd', 'adam']), m: conditional('opt', 'rmsprop', uniform(0, 1)) }),
      ],
      [
        'conditional with bad inner param',
        () => space({ opt: choice(['sgd']), m: conditional('opt', 'sgd', uniform(2, 1)) }),
      ],
    ];
    for (const [name, f] of bad) {
      expect(f, name).toThrow(NerveError);
    }
    expect(() => space({ lr: logUniform(0, 1) })).toThrow(/'lr'.*positive bounds/);
    expect(() => space({ lr: { kind: 'gaussian' } as never })).toThrow(
      /'lr' a parameter from uniform/,
    );
  });

  it('rejects an invalid space before any trial runs', async () => {
    let calls = 0;
    const objective = () => {
      calls++;
      return 1;
    };
    const fake = { params: { lr: uniform(2, 1) } } as never;
    await expect(
      runStudy({ space: fake, objective, searcher: randomSearch({ trials: 3 }) }),
    ).rejects.toThrow(NerveError);
    // A grid over a range without steps is refused up front as well, before a study file exists.
    const storage = join(tmpdir(), `nerve-tune-grid-${process.pid}.jsonl`);
    await expect(
      runStudy({ space: space({ lr: uniform(0, 1) }), objective, searcher: gridSearch(), storage }),
    ).rejects.toThrow(/steps/);
    expect(existsSync(storage)).toBe(false);
    expect(calls).toBe(0);
  });

  it('samples reproducibly from the seed and the trial id', () => {
    const s = space({
      lr: logUniform(1e-4, 1e-1),
      h: intUniform(16, 256),
      opt: choice(['sgd', 'adam']),
    });
    const a = Array.from({ length: 20 }, (_, i) => s.sample(3, i));
    const b = Array.from({ length: 20 }, (_, i) => s.sample(3, i));
    expect(b).toEqual(a);
    // Trial 7's config does not depend on the others being drawn.
    expect(s.sample(3, 7)).toEqual(a[7]);
    // Another seed gives other configs.
    expect(s.sample(4, 0)).not.toEqual(a[0]);
    for (const c of a) {
      expect(c.lr).toBeGreaterThanOrEqual(1e-4);
      expect(c.lr).toBeLessThan(1e-1);
      expect(Number.isInteger(c.h) && c.h >= 16 && c.h <= 256).toBe(true);
      expect(['sgd', 'adam']).toContain(c.opt);
    }
  });

  it('draws log-uniform values uniformly in log space (quantiles)', () => {
    const s = space({ lr: logUniform(1e-4, 1e-1) });
    const n = 4000;
    const logs = Array.from({ length: n }, (_, i) => Math.log10(s.sample(0, i).lr)).sort(
      (a, b) => a - b,
    );
    // Quantile q of log10(lr) is −4 + 3q for a log-uniform; the KS bound at
    // n = 4000 (α = 0.01) is 1.63/√n ≈ 0.026 in probability, 0.077 in log10 units.
    for (const q of [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]) {
      expect(Math.abs(logs[Math.floor(q * n)] - (-4 + 3 * q))).toBeLessThan(0.08);
    }
    // A third of the draws lie in each decade (a linear draw would put 90% in the top one).
    const below1e3 = logs.filter((v) => v < -3).length / n;
    expect(below1e3).toBeGreaterThan(0.3);
    expect(below1e3).toBeLessThan(0.37);
  });

  it('draws every integer of an int range, log-uniformly when asked', () => {
    const s = space({ a: intUniform(1, 4), b: intUniform(1, 1024, { log: true }) });
    const draws = Array.from({ length: 2000 }, (_, i) => s.sample(1, i));
    const counts = [1, 2, 3, 4].map((v) => draws.filter((d) => d.a === v).length);
    for (const c of counts) expect(Math.abs(c - 500)).toBeLessThan(80);
    // log: each of the ten octaves gets about a tenth of the draws.
    const small = draws.filter((d) => d.b < 32).length / draws.length;
    expect(Math.abs(small - 0.5)).toBeLessThan(0.05);
  });

  it('includes a conditional parameter only when its parent matches', () => {
    const s = space({
      opt: choice(['sgd', 'adam']),
      momentum: conditional('opt', 'sgd', uniform(0.5, 0.99)),
      lr: logUniform(1e-4, 1e-1),
    });
    const draws = Array.from({ length: 200 }, (_, i) => s.sample(5, i));
    for (const d of draws) {
      expect('momentum' in d).toBe(d.opt === 'sgd');
      if (d.opt === 'sgd') expect(d.momentum).toBeGreaterThanOrEqual(0.5);
    }
    expect(draws.some((d) => d.opt === 'sgd') && draws.some((d) => d.opt === 'adam')).toBe(true);
  });

  it('enumerates grids: choices, linear and log-spaced steps, conditions', () => {
    const s = space({
      opt: choice(['sgd', 'adam']),
      momentum: conditional('opt', 'sgd', uniform(0, 0.9, { steps: 4 })),
      lr: logUniform(1e-4, 1e-1, { steps: 4 }),
    });
    const g = s.grid();
    // sgd: 4 momenta × 4 lrs, adam: 4 lrs.
    expect(g).toHaveLength(20);
    const lrs = [...new Set(g.map((c) => c.lr))];
    expect(lrs).toHaveLength(4);
    const expected = [1e-4, 1e-3, 1e-2, 1e-1];
    for (const [i, v] of lrs.entries()) expect(v).toBeCloseTo(expected[i], 12);
    expect(lrs[0]).toBe(1e-4);
    expect(lrs[3]).toBe(1e-1);
    const momenta = [...new Set(g.filter((c) => c.opt === 'sgd').map((c) => c.momentum))];
    for (const [i, v] of [0, 0.3, 0.6, 0.9].entries()) expect(momenta[i]).toBeCloseTo(v, 12);
    expect(g.filter((c) => c.opt === 'adam').every((c) => !('momentum' in c))).toBe(true);
    // First parameter varies slowest.
    expect(g[0]).toEqual({ opt: 'sgd', momentum: 0, lr: 1e-4 });
    expect(g[1].lr).toBeCloseTo(1e-3, 12);
    expect(g[19].opt).toBe('adam');
    // Integer grids round and drop repeats; a searcher-wide steps fills in.
    const ints = space({ h: intUniform(1, 3), w: uniform(0, 1) }).grid(5);
    expect([...new Set(ints.map((c) => c.h))]).toEqual([1, 2, 3]);
    expect(ints).toHaveLength(15);
  });

  it('fingerprints spaces canonically', () => {
    const a = space({ lr: logUniform(1e-4, 1e-1), opt: choice(['sgd', 'adam']) });
    const b = space({
      lr: { high: 1e-1, low: 1e-4, kind: 'logUniform' },
      opt: choice(['sgd', 'adam']),
    });
    expect(b.fingerprint()).toBe(a.fingerprint());
    expect(
      space({ opt: choice(['sgd', 'adam']), lr: logUniform(1e-4, 1e-1) }).fingerprint(),
    ).not.toBe(a.fingerprint());
    expect(space({ lr: logUniform(1e-4, 1), opt: choice(['sgd', 'adam']) }).fingerprint()).not.toBe(
      a.fingerprint(),
    );
  });
});
