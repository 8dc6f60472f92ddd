/**
 * The /search page's coordinator (search-study.ts) without a browser: the
 * space it builds from the controls, the workers default, the settings
 * check, and runSearch with a synthetic trial (no training), where lanes
 * that finish in a scrambled order must still give the one-lane study.
 */
import { describe, expect, it } from 'vitest';
import {
  type SearchSettings,
  type TrialRunner,
  checkSettings,
  defaultSettings,
  defaultWorkers,
  runSearch,
  studySpace,
  trialConfig,
  tuneCommand,
} from '../.vitepress/theme/search-study.js';

/**
 * A trial whose accuracy curve depends only on its configuration (rising
 * towards a ceiling set by how far log10(lr) is from -2.5), reported after
 * a delay that depends on the lane and epoch, so lanes interleave.
 */
function syntheticRunner(delays: boolean): TrialRunner {
  return {
    async run(lane, trial, report) {
      const ceiling = 1 - Math.abs(Math.log10(trial.config.lr) + 2.5) / 3;
      for (let e = 1; e <= trial.config.epochs; e++) {
        if (delays)
          await new Promise((r) => setTimeout(r, ((trial.id * 7 + lane * 3 + e) % 5) * 2));
        if (await report(e, { valAccuracy: ceiling * (1 - 0.5 ** e) })) break;
      }
      return {};
    },
  };
}

describe('search-study', () => {
  it('offers one worker per spare core, 1 to 4', () => {
    expect([undefined, 1, 2, 3, 5, 16].map((n) => defaultWorkers(n))).toEqual([1, 1, 1, 2, 4, 4]);
  });

  it('searches lr and weight decay log-uniformly, the width as a log integer, dropout uniformly', () => {
    const s = defaultSettings();
    const sp = studySpace(s);
    expect(sp.keys).toEqual(['lr', 'weightDecay', 'hidden', 'dropout']);
    expect(sp.params.lr?.kind).toBe('logUniform');
    expect(sp.params.weightDecay?.kind).toBe('logUniform');
    expect(sp.params.hidden).toMatchObject({ kind: 'intUniform', log: true, low: 16, high: 128 });
    expect(sp.params.dropout?.kind).toBe('uniform');
    s.params.dropout.search = false;
    s.params.dropout.fixed = 0.2;
    const sp2 = studySpace(s);
    expect(sp2.keys).toEqual(['lr', 'weightDecay', 'hidden']);
    for (let id = 0; id < 50; id++) {
      const c = trialConfig(s, sp2, id);
      expect(c.dropout).toBe(0.2);
      expect(c.epochs).toBe(s.epochs);
      expect(c.lr).toBeGreaterThanOrEqual(1e-4);
      expect(c.lr).toBeLessThanOrEqual(1e-1);
      expect(Number.isInteger(c.hidden) && c.hidden >= 16 && c.hidden <= 128).toBe(true);
    }
  });

  it('refuses settings the study cannot run, with the reason', () => {
    const bad = (f: (s: SearchSettings) => void) => {
      const s = defaultSettings();
      f(s);
      return checkSettings(s);
    };
    expect(checkSettings(defaultSettings())).toBeNull();
    expect(bad((s) => (s.params.lr.low = 0))).toMatch(/lr: a log range needs low > 0/);
    expect(bad((s) => (s.params.dropout.high = 1))).toMatch(/dropout/);
    expect(bad((s) => (s.trials = 0))).toMatch(/trials/);
    expect(
      bad((s) => {
        for (const p of Object.values(s.params)) p.search = false;
      }),
    ).toMatch(/at least one/);
  });

  it('gives the one-lane study on three lanes that finish out of order', async () => {
    const s = { ...defaultSettings(1), trials: 20, epochs: 9, seed: 3 };
    const one = await runSearch(s, syntheticRunner(false));
    const three = await runSearch({ ...s, workers: 3 }, syntheticRunner(true));
    const strip = (r: typeof one) => r.trials.map(({ seconds, worker, ...t }) => t);
    expect(strip(three)).toEqual(strip(one));
    expect(new Set(three.trials.map((t) => t.worker))).toEqual(new Set([0, 1, 2]));
    expect(one.rungs).toEqual([1, 3]);
    // ASHA cut some, and every cut one stopped at a rung.
    const pruned = one.trials.filter((t) => t.status === 'pruned');
    expect(pruned.length).toBeGreaterThan(0);
    for (const t of pruned) expect([1, 3]).toContain(t.history.at(-1)?.epoch);
    expect(one.best?.status).toBe('completed');
  });

  it('stops: no new trial after the signal, the running ones recorded as stopped', async () => {
    const ctl = new AbortController();
    const s = { ...defaultSettings(2), trials: 30, epochs: 3 };
    const runner: TrialRunner = {
      async run(_lane, trial, report) {
        if (trial.id === 4) ctl.abort();
        if (ctl.signal.aborted) return { error: 'stopped' };
        for (let e = 1; e <= 3; e++) if (await report(e, { valAccuracy: 0.5 })) break;
        return {};
      },
    };
    const r = await runSearch(s, runner, {}, ctl.signal);
    expect(r.stopped).toBe(true);
    expect(r.trials.length).toBeLessThan(30);
    expect(r.trials.find((t) => t.id === 4)?.status).toBe('stopped');
  });

  it('writes the nearest nerve tune line from the ranges', () => {
    expect(tuneCommand(defaultSettings(2))).toBe(
      'nerve tune --search random --trials 12 --epochs 4 --halving --lr 0.0001:0.1 --weight-decay 0.000001:0.01 --hidden 16:128 --batch-size 32 --workers 2 --seed 0',
    );
  });
});
