/** Scheduler state dicts: resuming mid-schedule continues the same lr sequence. */
import '@nerve/backend-cpu';
import { describe, expect, it } from 'vitest';
import {
  CosineAnnealingLR,
  ExponentialLR,
  LinearLR,
  type Optimizer,
  ReduceLROnPlateau,
  StepLR,
} from '../src/index.js';
import { buildOptimizer, buildScheduler, fixtures } from './helpers.js';

const lrsOf = (opt: Optimizer) => opt.paramGroups.map((g) => g.lr);

describe('scheduler state dicts resume exactly', () => {
  for (const c of fixtures.schedulers) {
    it(c.name, () => {
      const stepOnce = (opt: Optimizer, s: ReturnType<typeof buildScheduler>, t: number) => {
        opt.step();
        s.step(c.metrics?.[t]);
      };
      const n = c.lrs.length - 1;
      const half = Math.floor(n / 2);
      const opt = buildOptimizer(c);
      const sched = buildScheduler(opt, c);
      for (let t = 0; t < half; t++) stepOnce(opt, sched, t);
      // Through JSON, as a checkpoint file would store them.
      const optState = JSON.parse(JSON.stringify(opt.stateDict()));
      const schedState = JSON.parse(JSON.stringify(sched.stateDict()));

      const opt2 = buildOptimizer(c);
      const sched2 = buildScheduler(opt2, c);
      opt2.loadStateDict(optState);
      sched2.loadStateDict(schedState);
      expect(sched2.getLastLr()).toEqual(sched.getLastLr());
      for (let t = half; t < n; t++) {
        stepOnce(opt, sched, t);
        stepOnce(opt2, sched2, t);
        expect(lrsOf(opt2), `step ${t + 1}`).toEqual(lrsOf(opt));
        const hyper = (o: Optimizer) => o.paramGroups.map(({ params: _, ...h }) => h);
        expect(hyper(opt2)).toEqual(hyper(opt));
      }
      expect(sched2.stateDict()).toEqual(sched.stateDict());
    });
  }
});

describe('scheduler loadStateDict checks before changing anything', () => {
  function setup() {
    const opt = buildOptimizer(fixtures.schedulers[0]);
    return { opt, sched: new StepLR(opt, { stepSize: 3, gamma: 0.5 }) };
  }

  it('rejects another scheduler type', () => {
    const { opt, sched } = setup();
    const other = new ExponentialLR(opt, { gamma: 0.9 }).stateDict();
    const before = sched.stateDict();
    expect(() => sched.loadStateDict(other)).toThrow(/StepLR.*ExponentialLR/);
    expect(sched.stateDict()).toEqual(before);
  });

  it('rejects missing or mistyped fields and invalid values', () => {
    const { sched } = setup();
    sched.step();
    const good = sched.stateDict();
    const before = JSON.stringify(good);
    const { gamma: _gamma, ...noGamma } = good;
    for (const [bad, re] of [
      [noGamma, /gamma/],
      [{ ...good, stepSize: '3' }, /stepSize/],
      [{ ...good, stepSize: 0 }, /stepSize/],
      [{ ...good, lastEpoch: 1.5 }, /lastEpoch/],
      [{ ...good, baseLrs: [0.1] }, /baseLrs for 2/],
      [{ ...good, lastLr: [0.1, Number.NaN] }, /lastLr\[1\]/],
    ] as const) {
      expect(() => sched.loadStateDict(bad as never)).toThrow(re);
      expect(JSON.stringify(sched.stateDict())).toBe(before);
    }
  });

  it('restores all sub-schedulers or none', () => {
    const c = fixtures.schedulers.find((s) => s.type === 'SequentialLR')!;
    const opt = buildOptimizer(c);
    const sched = buildScheduler(opt, c);
    for (let t = 0; t < 7; t++) sched.step();
    const good = sched.stateDict();
    const before = JSON.stringify(good);
    const subs = good.schedulers as Record<string, unknown>[];
    const bad = {
      ...good,
      lastEpoch: 2,
      schedulers: [
        { ...subs[0], lastEpoch: 1 },
        { ...subs[1], tMax: -1 },
      ],
    };
    expect(() => sched.loadStateDict(bad)).toThrow(/tMax/);
    expect(JSON.stringify(sched.stateDict())).toBe(before);
  });

  it('keeps ReduceLROnPlateau JSON-able before any metric (best is null)', () => {
    const opt = buildOptimizer(fixtures.schedulers[0]);
    const s = new ReduceLROnPlateau(opt, { patience: 0 });
    const sd = JSON.parse(JSON.stringify(s.stateDict()));
    expect(sd.best).toBeNull();
    s.step(1);
    s.loadStateDict(sd);
    expect(s.best).toBeNull();
    s.step(5);
    expect(s.best).toBe(5);
  });
});

describe('scheduler behaviour', () => {
  it('closed forms equal the chained values when stepped alone', () => {
    const opt = buildOptimizer(fixtures.schedulers[0]);
    const cos = new CosineAnnealingLR(opt, { tMax: 7, etaMin: 0.01 });
    for (let t = 1; t <= 20; t++) {
      cos.step();
      opt.paramGroups.forEach((g, i) => {
        const closed = 0.01 + ((cos.baseLrs[i] - 0.01) * (1 + Math.cos((Math.PI * t) / 7))) / 2;
        expect(g.lr).toBeCloseTo(closed, 12);
      });
    }
  });

  it('ignores the metric argument of plain schedulers (fit passes one every epoch)', () => {
    const opt = buildOptimizer(fixtures.schedulers[0]);
    const s = new LinearLR(opt, { startFactor: 0.5, totalIters: 2 });
    s.step(123);
    expect(s.lastEpoch).toBe(1);
    expect(s.getLastLr()[0]).toBeCloseTo(0.075, 12);
  });

  it('requires a metric for ReduceLROnPlateau', () => {
    const opt = buildOptimizer(fixtures.schedulers[0]);
    const s = new ReduceLROnPlateau(opt);
    expect(() => s.step()).toThrow(/metric/);
    expect(s.lastEpoch).toBe(0);
  });
});
