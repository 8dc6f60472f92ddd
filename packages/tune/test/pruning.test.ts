import { describe, expect, it } from 'vitest';
import {
  Arbiter,
  asha,
  choice,
  gridSearch,
  patience,
  rungsBetween,
  runStudy,
  space,
} from '../src/index.js';
import { CURVES, knownCurves } from './helpers/curves.js';

const curveSpace = () => space({ curve: choice(CURVES.map((_, i) => i)) });

describe('ASHA', () => {
  it('puts rungs at r·η^k below maxEpochs', () => {
    expect(rungsBetween(asha({ minEpochs: 1, reductionFactor: 2, maxEpochs: 8 }), 0, 100)).toEqual([
      1, 2, 4,
    ]);
    expect(rungsBetween(asha({ minEpochs: 2, reductionFactor: 3 }), 0, 60)).toEqual([2, 6, 18, 54]);
    expect(rungsBetween(asha({ minEpochs: 1, reductionFactor: 3 }), 2, 9)).toEqual([3, 9]);
  });

  it('stops the trials a hand computation says it should', async () => {
    // valLoss = a + b/e with (a, b) = CURVES[i], η = 2, rungs 1, 2, 4; a trial
    // continues if it is within the best max(1, ⌊n/2⌋) of the n trials with
    // smaller or equal id that reached the rung. Worked out by hand:
    //  trial 0 (5, 3, 2): alone at every rung → completes.
    //  trial 1 (3, 2.5, 2.25): best of {5, 3} and {3, 2.5}; at rung 4 {2, 2.25} keeps 1 → pruned at 4.
    //  trial 2 (8): rung 1 {5, 3, 8} keeps 1 (3) → pruned at 1.
    //  trial 3 (2.5, 1.5, 1): rung 1 keeps 2 of 4 (2.5, 3) → on; best after → completes.
    //  trial 4 (2.8, 2.6): rung 1 keeps 2 of 5 (2.5, 2.8) → on; rung 2 {3, 2.5, 1.5, 2.6} keeps 2 (1.5, 2.5) → pruned at 2.
    //  trial 5 (1, 0.5, 0.25): best everywhere → completes.
    const result = await runStudy({
      space: curveSpace(),
      objective: knownCurves,
      searcher: gridSearch(),
      pruners: asha({ minEpochs: 1, reductionFactor: 2, maxEpochs: 8 }),
    });
    const summary = result.trials.map((t) => [t.id, t.status, t.history.length]);
    expect(summary).toEqual([
      [0, 'completed', 8],
      [1, 'pruned', 4],
      [2, 'pruned', 1],
      [3, 'completed', 8],
      [4, 'pruned', 2],
      [5, 'completed', 8],
    ]);
    expect(result.best?.id).toBe(5);
    expect(result.best?.objective).toBe(0.125);
    expect(result.trials[2].reason).toMatch(/rung at epoch 1/);
  });

  it('decides the same whatever order trials report in', async () => {
    // Trial 1 reports rung 1 before trial 0 does: its decision waits for trial 0.
    const arb = new Arbiter([asha({ minEpochs: 1, reductionFactor: 2 })], 'valLoss', 'min');
    arb.begin(0);
    arb.begin(1);
    let settled = false;
    const d1 = arb.report(1, 1, 3).then((d) => {
      settled = true;
      return d;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(settled).toBe(false);
    const d0 = await arb.report(0, 1, 2);
    expect(d0.stop).toBe(false);
    expect((await d1).stop).toBe(true);
    // A smaller trial that ends before the rung releases a waiter without competing.
    const arb2 = new Arbiter([asha({ minEpochs: 1, reductionFactor: 2 })], 'valLoss', 'min');
    for (const id of [0, 1, 2]) arb2.begin(id);
    let settled2 = false;
    const d2 = arb2.report(2, 1, 1).then((d) => {
      settled2 = true;
      return d;
    });
    arb2.end(1);
    await new Promise((r) => setTimeout(r, 10));
    expect(settled2).toBe(false);
    await arb2.report(0, 1, 2);
    expect((await d2).stop).toBe(false);
  });
});

describe('patience', () => {
  it('stops a trial whose metric has not improved for p epochs', async () => {
    const values = [5, 4, 4, 4.5, 3, 2, 1];
    const result = await runStudy({
      space: space({ k: choice([0]) }),
      objective: async (_c, r) => {
        for (const [i, v] of values.entries()) if (await r.report(i + 1, { valLoss: v })) return;
      },
      searcher: gridSearch(),
      pruners: patience({ patience: 2 }),
    });
    const t = result.trials[0];
    expect(t.status).toBe('stopped');
    expect(t.history.map((h) => h.metrics.valLoss)).toEqual([5, 4, 4, 4.5]);
    expect(t.objective).toBe(4);
    expect(t.reason).toMatch(/did not improve for 2 epochs/);
    // minDelta: an improvement smaller than it does not count.
    const slow = await runStudy({
      space: space({ k: choice([0]) }),
      objective: async (_c, r) => {
        for (const [i, v] of [1, 0.95, 0.9, 0.85].entries())
          if (await r.report(i + 1, { valLoss: v })) return;
      },
      searcher: gridSearch(),
      pruners: patience({ patience: 2, minDelta: 0.1 }),
    });
    expect(slow.trials[0].history).toHaveLength(3);
  });

  it('fails a trial whose metric becomes NaN, and ignores reports after a stop', async () => {
    const result = await runStudy({
      space: space({ k: choice([0, 1]) }),
      objective: async (c, r) => {
        await r.report(1, { valLoss: 1 });
        // Keeps reporting after being told to stop: the study records nothing more.
        await r.report(2, { valLoss: c.k === 0 ? Number.NaN : 0.5 });
        await r.report(3, { valLoss: 0.1 });
      },
      searcher: gridSearch(),
    });
    expect(result.trials[0].status).toBe('failed');
    expect(result.trials[0].history).toHaveLength(2);
    expect(result.trials[0].reason).toMatch(/valLoss was not finite at epoch 2/);
    expect(result.trials[1].status).toBe('completed');
    expect(result.trials[1].objective).toBe(0.1);
  });
});
