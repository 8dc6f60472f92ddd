import '@nerve/backend-cpu';
import { describe, expect, it } from 'vitest';
import {
  type StudyResult,
  choice,
  coarseToFine,
  formatStudy,
  gridSearch,
  intUniform,
  logUniform,
  randomSearch,
  runStudy,
  space,
  trialSeed,
  uniform,
} from '../src/index.js';
import { bowl } from './helpers/curves.js';

const comparable = (r: StudyResult) => r.trials.map(({ seconds, ...t }) => t);

describe('runStudy', () => {
  it('is reproducible: the same seed gives the same configs and results', async () => {
    const sp = space({ lr: logUniform(1e-4, 1), x: uniform(0, 1) });
    const opts = { space: sp, objective: bowl, searcher: randomSearch({ trials: 6 }), seed: 3 };
    const a = await runStudy(opts);
    const b = await runStudy(opts);
    expect(comparable(b)).toEqual(comparable(a));
    a.trials.forEach((t, i) => {
      expect(t.id).toBe(i);
      expect(t.config).toEqual(sp.sample(3, i));
      expect(t.seed).toBe(trialSeed(3, i));
    });
    const c = await runStudy({ ...opts, seed: 4 });
    expect(c.trials[0].config).not.toEqual(a.trials[0].config);
    // The objective is the best reported valLoss; best is the smallest.
    for (const t of a.trials) {
      expect(t.objective).toBe(Math.min(...t.history.map((h) => h.metrics.valLoss)));
    }
    expect(a.best?.objective).toBe(Math.min(...a.trials.map((t) => t.objective)));
  });

  it('uses a returned number as the objective, and maximizes accuracy-like metrics', async () => {
    const r = await runStudy({
      space: space({ k: choice([1, 2, 3]) }),
      objective: async (c, rep) => {
        await rep.report(1, { valAccuracy: c.k / 10 });
        return c.k / 10;
      },
      searcher: gridSearch(),
      metric: 'valAccuracy',
    });
    expect(r.mode).toBe('max');
    expect(r.best?.config).toEqual({ k: 3 });
  });

  it('records a throwing objective as a failed trial and goes on', async () => {
    const r = await runStudy({
      space: space({ k: choice([0, 1, 2]) }),
      objective: async (c, rep) => {
        if (c.k === 1) throw new Error('out of cheese');
        await rep.report(1, { valLoss: c.k });
      },
      searcher: gridSearch(),
    });
    expect(r.trials.map((t) => t.status)).toEqual(['completed', 'failed', 'completed']);
    expect(r.trials[1].reason).toBe('out of cheese');
    expect(Number.isNaN(r.trials[1].objective)).toBe(true);
    // A report without the study's metric is an error the objective sees.
    const bad = await runStudy({
      space: space({ k: choice([0]) }),
      objective: async (_c, rep) => void (await rep.report(1, { loss: 1 })),
      searcher: gridSearch(),
    });
    expect(bad.trials[0].reason).toMatch(/metric 'valLoss'/);
  });

  it('narrows coarse-to-fine stages around the best trials', async () => {
    const sp = space({
      lr: logUniform(1e-5, 1),
      x: uniform(0, 1),
      h: intUniform(8, 256, { log: true }),
    });
    const r = await runStudy({
      space: sp,
      objective: bowl,
      searcher: coarseToFine({ stages: [30, 15, 15], topK: 5, margin: 0.1 }),
      seed: 2,
    });
    expect(r.stages.map((s) => [s.firstId, s.trials])).toEqual([
      [0, 30],
      [30, 15],
      [45, 15],
    ]);
    // Reference: stage s+1's lr range is the log-span of stage s's five best, widened by 10% per side.
    for (let s = 0; s < 2; s++) {
      const stageTrials = r.trials
        .filter((t) => t.stage === s)
        .sort((a, b) => a.objective - b.objective || a.id - b.id);
      const logs = stageTrials.slice(0, 5).map((t) => Math.log(t.config.lr as number));
      const [lo, hi] = [Math.min(...logs), Math.max(...logs)];
      const prev = r.stages[s].ranges.lr as { low: number; high: number };
      const next = r.stages[s + 1].ranges.lr as { low: number; high: number };
      const pad = 0.1 * (hi - lo);
      expect(Math.log(next.low)).toBeCloseTo(Math.max(Math.log(prev.low), lo - pad), 10);
      expect(Math.log(next.high)).toBeCloseTo(Math.min(Math.log(prev.high), hi + pad), 10);
      // Ranges shrink, and every trial of the stage lies inside its range.
      expect(Math.log(next.high / next.low)).toBeLessThan(Math.log(prev.high / prev.low));
      for (const t of r.trials.filter((u) => u.stage === s + 1)) {
        expect(t.config.lr).toBeGreaterThanOrEqual(next.low);
        expect(t.config.lr).toBeLessThanOrEqual(next.high);
      }
    }
    const x0 = r.stages[0].ranges.x as { low: number; high: number };
    const x2 = r.stages[2].ranges.x as { low: number; high: number };
    expect(x2.high - x2.low).toBeLessThan(x0.high - x0.low);
    const text = formatStudy(r);
    expect(text).toMatch(
      /stage 0 \(trials 0–29\): lr \[1e-5, 1\] log, x \[0, 1\], h \[8, 256\] log/,
    );
    expect(text).toMatch(/stage 2 \(trials 45–59\): lr \[/);
    const bestOf = (s: number) =>
      Math.min(...r.trials.filter((t) => t.stage === s).map((t) => t.objective));
    expect(bestOf(2)).toBeLessThanOrEqual(bestOf(0));
  });
});
